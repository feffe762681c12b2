"""Which DISARM techniques and Meta kill-chain TTPs each cibscan signal evidences.

A signal says *how* accounts acted together, and that behaviour has a name in the two
frameworks analysts file influence operations under, so the STIX exporter can hand a
cluster to a threat-intelligence platform already classified. The mapping claims no more
than the signal shows: co-reposting within a minute is amplification, not proof of bots
(hence T0118 beside T0049.003); synchronised activity is a network working shifts.

Sources, shipped here because ``../shared`` is not part of the package (a test checks
every id, name and tactic below against the source files, character for character):

- DISARM Red Framework v1.6, ``red_framework_techniques.csv`` (columns id, type, name,
  tactics), extracted from DISARMFoundation/DISARMframeworks
  ``generated_files/DISARM_STIX/DISARM.json`` at commit 49df5f6. DISARM is licensed under
  CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/); these rows keep that
  licence and its attribution to the DISARM Foundation.
- Meta's Online Operations Kill Chain, ``Online_Operations_Killchain-TTPs.csv`` from
  facebook/threat-research (MIT licence, Copyright Meta Platforms, Inc.).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DISARM_SOURCE = "DISARM"
DISARM_LICENCE = "DISARM Red Framework v1.6, CC BY-SA 4.0, DISARM Foundation"
META_SOURCE = "Meta Online Operations Kill Chain"
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


#: the DISARM rows used (id, name, tactics as in red_framework_techniques.csv)
DISARM: dict[str, Technique] = {
    t.id: t
    for t in (
        Technique("T0049.002", "Flood Existing Hashtag", "maximise-exposure"),
        Technique(
            "T0049.003", "Bots Amplify via Automated Forwarding and Reposting", "maximise-exposure"
        ),
        Technique("T0049.005", "Conduct Swarming", "maximise-exposure"),
        Technique("T0084", "Reuse Existing Content", "develop-content"),
        Technique("T0084.001", "Use Copypasta", "develop-content"),
        Technique("T0092", "Build Network", "establish-assets"),
        Technique("T0116", "Comment or Reply on Content", "deliver-content"),
        Technique("T0118", "Amplify Existing Narrative", "maximise-exposure"),
        Technique("T0152.004", "Website Asset", "select-channels-and-affordances"),
    )
}

#: the Meta rows used: id and name split from the Technique or Procedure cell, and the Tactic
META: dict[str, Technique] = {
    t.id: t
    for t in (
        Technique("3.1", "Coordinating shift patterns", "3. Coordinating and planning"),
        Technique("3.5", "Automating activity", "3. Coordinating and planning"),
        Technique(
            "6.2",
            "Amplifying with likely fake accounts on social media",
            "6. Indiscriminate engagement",
        ),
        Technique("6.3", "Spraying content", "6. Indiscriminate engagement"),
        Technique("7.3.3", "Commenting on specific posts", "7. Targeted engagement"),
        Technique("7.5", "Directing online traffic", "7. Targeted engagement"),
        Technique("7.5.2", "Directing audience to website", "7. Targeted engagement"),
        Technique("7.8.1", "Tagging social media users", "7. Targeted engagement"),
    )
}

#: signal -> (DISARM technique ids, Meta TTP ids) that a significant tie of that signal
#: evidences; the table in docs/outputs.md mirrors it
SIGNAL_TECHNIQUES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "co_repost": (("T0049.003", "T0118"), ("6.2",)),
    "fast_repost": (("T0049.003",), ("3.5",)),
    "co_post": (("T0084.001",), ("6.2",)),
    "near_duplicate": (("T0084.001",), ("6.2",)),
    "co_url": (("T0118",), ("7.5",)),
    "co_domain": (("T0152.004",), ("7.5.2",)),
    "hashtag_sequence": (("T0049.002",), ("6.3",)),
    "co_reply": (("T0049.005", "T0116"), ("7.3.3",)),
    "co_mention": (("T0049.005",), ("7.8.1",)),
    "co_media": (("T0084",), ("6.2",)),
    "sync_activity": (("T0092",), ("3.1",)),
}


def meta_for(disarm_id: str) -> list[Technique]:
    """The Meta TTPs filed with a DISARM technique: those of every signal mapped to it, so
    that an attack-pattern is the same object (same phases) in every bundle."""
    ids = {m for d, ms in SIGNAL_TECHNIQUES.values() if disarm_id in d for m in ms}
    return [META[m] for m in sorted(ids, key=lambda i: [int(x) for x in i.split(".")])]


def techniques_for(signals: list[str]) -> list[Technique]:
    """The DISARM techniques evidenced by any of ``signals`` (unknown signals, e.g. a
    plugin's, evidence none), in id order."""
    ids = {d for s in signals for d in SIGNAL_TECHNIQUES.get(s, ((), ()))[0]}
    return [DISARM[i] for i in sorted(ids)]
