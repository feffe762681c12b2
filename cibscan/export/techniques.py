"""Which DISARM techniques and Meta kill-chain TTPs each cibscan signal and tell evidences.

A signal says *how* accounts acted together and a tell *what kind* of accounts they are;
both have names in the two frameworks analysts file influence operations under, so the STIX
exporter can hand a cluster to a threat-intelligence platform already classified. The
mapping claims no more than the evidence shows: co-reposting within a minute is
amplification, not proof of bots (hence T0118 beside T0049.003); synchronised activity is a
network working shifts.

The mapping is data, not code, so that it can be reviewed and extended without reading
Python (a plugin's signal or tell maps to nothing until a row names it):

- ``data/technique_map.csv``: one row per signal or tell (``kind``, ``name``, the DISARM
  ids and the Meta ids, ``;``-separated, and ``why`` in a few words);
- ``data/techniques.csv``: the DISARM and Meta rows used, copied from their sources (a test
  checks every id, name and tactic against the source files, character for character).

Sources, shipped here because ``../shared`` is not part of the package:

- DISARM Red Framework v1.6, ``red_framework_techniques.csv`` (columns id, type, name,
  tactics), extracted from DISARMFoundation/DISARMframeworks
  ``generated_files/DISARM_STIX/DISARM.json`` at commit 49df5f6. DISARM is licensed under
  CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/); these rows keep that
  licence and its attribution to the DISARM Foundation.
- Meta's Online Operations Kill Chain, ``Online_Operations_Killchain-TTPs.csv`` from
  facebook/threat-research (MIT licence, Copyright Meta Platforms, Inc.).

docs/outputs.md shows the mapping as the table :func:`mapping_markdown` writes (a test
keeps the two equal).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from importlib import resources

DISARM_SOURCE = "DISARM"
DISARM_LICENCE = "DISARM Red Framework v1.6, CC BY-SA 4.0, DISARM Foundation"
META_SOURCE = "Meta Online Operations Kill Chain"
#: where Meta's kill chain is published (named in descriptions: a ``url`` in an external
#: reference should carry the page's hash, which cibscan cannot know offline)
META_URL = (
    "https://github.com/facebook/threat-research/blob/main/Online_Operations_Killchain-TTPs.csv"
)
#: STIX kill chain names (DISARM's own STIX says "mitre-attack"; OpenCTI uses "disarm")
DISARM_KILL_CHAIN = "disarm"
META_KILL_CHAIN = "meta-online-operations"


@dataclass(frozen=True)
class Technique:
    """One DISARM technique (``tactic`` is the CSV's slug) or Meta TTP (``tactic`` is
    Meta's tactic cell, e.g. "6. Indiscriminate engagement")."""

    id: str
    name: str
    tactic: str

    @property
    def phase(self) -> str:
        """The tactic as a STIX kill-chain phase name: lower case, hyphenated, no number."""
        words = re.sub(r"^[0-9.]+\s*", "", self.tactic).lower()
        return re.sub(r"[^a-z0-9]+", "-", words).strip("-")

    @property
    def disarm_url(self) -> str:
        """DISARM's generated page for the technique (the framework's own link)."""
        return (
            "https://github.com/DISARMFoundation/DISARMframeworks/blob/main/"
            f"generated_pages/techniques/{self.id}.md"
        )


@dataclass(frozen=True)
class Mapping:
    """What one signal or tell evidences."""

    kind: str  # "signal" or "tell"
    name: str
    disarm: tuple[str, ...]
    meta: tuple[str, ...]
    why: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("cibscan.export").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _load() -> tuple[dict[str, Technique], dict[str, Technique], dict[str, Mapping]]:
    disarm: dict[str, Technique] = {}
    meta: dict[str, Technique] = {}
    for row in _rows("techniques.csv"):
        table = disarm if row["framework"] == "DISARM" else meta
        table[row["id"]] = Technique(row["id"], row["name"], row["tactic"])
    mapping: dict[str, Mapping] = {}
    for row in _rows("technique_map.csv"):
        item = Mapping(
            row["kind"],
            row["name"],
            tuple(i for i in row["disarm"].split(";") if i),
            tuple(i for i in row["meta"].split(";") if i),
            row["why"],
        )
        unknown = [i for i in item.disarm if i not in disarm] + [
            i for i in item.meta if i not in meta
        ]
        if unknown:  # a packaging mistake, caught by the tests before a release
            raise ValueError(f"technique_map.csv: {item.name} names unknown ids {unknown}")
        mapping[item.name] = item
    return disarm, meta, mapping


#: the DISARM rows used, by id
DISARM: dict[str, Technique]
#: the Meta rows used (id and name split from the Technique or Procedure cell), by id
META: dict[str, Technique]
#: signal or tell name -> what it evidences
MAPPING: dict[str, Mapping]
DISARM, META, MAPPING = _load()


def _meta_key(meta_id: str) -> list[int]:
    return [int(x) for x in meta_id.split(".")]


def meta_for(disarm_id: str) -> list[Technique]:
    """The Meta TTPs filed with a DISARM technique: those of every signal and tell mapped
    to it, so that an attack-pattern is the same object (same phases) in every bundle."""
    ids = {m for item in MAPPING.values() if disarm_id in item.disarm for m in item.meta}
    return [META[m] for m in sorted(ids, key=_meta_key)]


def evidenced_by(disarm_id: str) -> list[str]:
    """The signals and tells mapped to a DISARM technique, signals first, by name."""
    items = [i for i in MAPPING.values() if disarm_id in i.disarm]
    return [i.name for i in sorted(items, key=lambda i: (i.kind != "signal", i.name))]


def techniques_for(names: list[str]) -> list[Technique]:
    """The DISARM techniques evidenced by any of ``names`` (signals or tells; unknown
    names, e.g. a plugin's, evidence none), in id order."""
    ids = {d for n in names if n in MAPPING for d in MAPPING[n].disarm}
    return [DISARM[i] for i in sorted(ids)]


def mapping_markdown() -> str:
    """The mapping as the Markdown table of docs/outputs.md (one row per signal and tell)."""
    lines = [
        "| kind | name | DISARM technique (phase) | Meta kill chain (phase) | why |",
        "|---|---|---|---|---|",
    ]
    for item in sorted(MAPPING.values(), key=lambda i: (i.kind != "signal", i.name)):
        disarm = "; ".join(f"{t.id} {t.name} ({t.phase})" for t in (DISARM[i] for i in item.disarm))
        meta = "; ".join(f"{t.id} {t.name} ({t.phase})" for t in (META[i] for i in item.meta))
        lines.append(f"| {item.kind} | `{item.name}` | {disarm} | {meta} | {item.why} |")
    return "\n".join(lines) + "\n"
