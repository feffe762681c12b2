"""Published indicators (Meta threat-research CSVs, STIX 2.1 bundles, plain lists) as one list.

Platforms publish takedown indicators defanged (``hxxps://twitter[.]com/Name``) and mixed with
prose, counts and malware hashes. Each file is sniffed by content; every data row either
becomes indicators or is rejected with its locator and reason, so that nothing is silently
dropped (``rows == parsed + rejected`` per file). Values are normalised the way the case
normalises its own columns, so that hunting is an equality join: URLs and texts go through
the ingest macros (``cib_norm_url``, ``cib_text_norm``) run in an in-memory DuckDB, handles are
lower-cased without ``@``, domains lower-cased without ``www.``. An account URL
(``twitter.com/Name``, ``facebook.com/profile.php?id=1``, ``youtube.com/channel/UC..``) is an
account indicator on its platform, never a URL indicator: posts rarely link to the accounts
of a network, but the accounts themselves are in the case.

docs/hunting.md describes the formats and rules.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from cibscan.export.stix_objects import EXTENSION_ID
from cibscan.match.indicator_values import (
    PLATFORM_ALIASES,
    TYPES,
    Draft,
    account_of_url,
    classify,
    normalise,
)
from cibscan.match.stix_patterns import PatternError, parse_pattern

log = logging.getLogger(__name__)

#: files a directory walk reads (explicit file arguments are always read)
INDICATOR_SUFFIXES = {".csv", ".json", ".txt", ".list", ".ioc", ".stix"}
#: where cibscan's bundles name an account's platform outside STIX's account-type vocabulary
#: (:mod:`cibscan.export.stix_objects`), as a pattern's object path
PLATFORM_PATH = f"user-account:extensions.'{EXTENSION_ID}'.platform"


@dataclass(frozen=True)
class Indicator:
    """One published indicator, normalised for matching.

    ``source`` is the first report that published it; ``sources`` every report (a value
    published twice collapses into one indicator that keeps both).
    """

    value: str
    type: str
    platform: str | None
    source: str
    raw: str
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown indicator type {self.type!r}")
        if not self.sources:
            object.__setattr__(self, "sources", (self.source,))


@dataclass(frozen=True)
class Rejected:
    """A row or object that gave no indicator, and why."""

    locator: str
    raw: str
    reason: str


@dataclass
class FileReport:
    """Per file: its format and how its data rows (or objects) were accounted for."""

    path: str
    format: str
    rows: int = 0
    parsed: int = 0
    rejected: int = 0


@dataclass
class IndicatorSet:
    """Indicators read from files, the rejected rows, and the per-file accounting."""

    indicators: list[Indicator] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)

    def by_type(self) -> dict[str, int]:
        counts = dict.fromkeys(TYPES, 0)
        for ind in self.indicators:
            counts[ind.type] += 1
        return counts


# --- readers -----------------------------------------------------------------------------

Row = tuple[str, str, str, str]  # locator, raw value, context, source


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def sniff(text: str) -> str:
    """``stix``, ``meta_ttp`` (Tactic..Indicator), ``meta_ioc`` (indicator_type,
    indicator_value) or ``plain``."""
    head = text.lstrip()[:4096]
    if head.startswith("{") and re.search(r'"type"\s*:\s*"bundle"', head):
        return "stix"
    first = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    names = [c.strip().lower() for c in first]
    if "indicator" in names and "procedure" in names:
        return "meta_ttp"
    if names[:2] == ["indicator_type", "indicator_value"]:
        return "meta_ioc"
    return "plain"


def _meta_ttp(path: Path, text: str, report: FileReport) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text))
    header = [c.strip().lower() for c in next(reader)]
    col = {name: header.index(name) for name in ("tactic", "technique", "procedure", "indicator")
           if name in header}  # fmt: skip
    source = path.stem.strip()
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        if not any(c.strip() for c in row):
            continue
        report.rows += 1
        cell = row[col["indicator"]] if len(row) > col["indicator"] else ""
        ctx = " | ".join(row[col[k]].strip() for k in ("tactic", "technique", "procedure")
                         if k in col and len(row) > col[k])  # fmt: skip
        yield f"{path}:{line}", cell, ctx, source


_IOC_TYPES = {
    "domain_name": "domain",
    "url": "",
    "cib_url": "",
    "phishing_url": "",
    "telegram_url": "",
}


def _meta_ioc(path: Path, text: str, report: FileReport) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text))
    next(reader)
    source = path.stem.strip()
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        if not any(c.strip() for c in row):
            continue
        report.rows += 1
        kind = row[0].strip().lower()
        value = row[1] if len(row) > 1 else ""
        if kind not in _IOC_TYPES:
            kind = kind or "no type"
            yield f"{path}:{line}", value, f"!{kind}, not a supported indicator type", source
            continue
        yield f"{path}:{line}", value, "domain" if kind == "domain_name" else "", source


def _plain(path: Path, text: str, report: FileReport) -> Iterator[Row]:
    source = path.stem.strip()
    for n, line in enumerate(text.splitlines(), 1):
        value = line.split(" #", 1)[0].strip() if not line.lstrip().startswith('"') else line
        if not value.strip() or value.lstrip().startswith("#"):
            continue
        report.rows += 1
        yield f"{path}:{n}", value.strip(), "plain", source


def _stix(path: Path, text: str, report: FileReport) -> Iterator[tuple[str, str, Draft | str, str]]:
    """STIX rows: (locator, raw, draft-or-reason, source); one per object that can carry
    indicators (indicator, user-account, domain-name, url)."""
    bundle = json.loads(text)
    objects = [o for o in bundle.get("objects", []) if isinstance(o, dict)]
    by_id = {o.get("id"): o for o in objects}
    named = {i: str(o.get("name")) for i, o in by_id.items()
             if o.get("type") in ("intrusion-set", "campaign") and o.get("name")}  # fmt: skip
    names_of: dict[str, list[str]] = {}
    for o in objects:
        if o.get("type") == "relationship" and o.get("target_ref") in named:
            names_of.setdefault(str(o.get("source_ref")), []).append(named[o["target_ref"]])
    for o in objects:  # observed SCOs: sighting -> observed-data -> object_refs
        if o.get("type") == "sighting" and o.get("sighting_of_ref") in named:
            for od in o.get("observed_data_refs", []):
                for ref in by_id.get(od, {}).get("object_refs", []):
                    names_of.setdefault(ref, []).append(named[o["sighting_of_ref"]])
    for o in objects:
        kind, oid = o.get("type"), str(o.get("id"))
        if kind not in ("indicator", "user-account", "domain-name", "url"):
            continue
        report.rows += 1
        sources = names_of.get(oid, [])
        if not sources and kind == "indicator":
            sources = [n for n in named.values() if f" of {n}" in str(o.get("name", ""))][:1]
        if not sources and len(named) == 1:  # a bundle about one group: its unlinked objects
            sources = list(named.values())
        sources = sorted(set(sources)) or [path.name]
        loc = f"{path}:{oid}"
        if kind == "indicator":
            raw = str(o.get("pattern", ""))
            if o.get("pattern_type", "stix") != "stix":
                yield loc, raw, f"pattern type {o.get('pattern_type')} is not stix", sources[0]
                continue
            try:
                conjunctions = parse_pattern(raw)
            except PatternError as exc:
                yield loc, raw, f"unreadable STIX pattern: {exc}", sources[0]
                continue
            drafts = [d for c in conjunctions for d in _drafts_of(c)]
        else:
            raw = json.dumps({k: v for k, v in o.items() if k not in ("id", "spec_version")})
            props = {f"{kind}:{k}": str(v) for k, v in o.items() if isinstance(v, str | int)}
            ours = o.get("extensions", {}).get(EXTENSION_ID) if kind == "user-account" else None
            if isinstance(ours, dict) and isinstance(ours.get("platform"), str):
                props[PLATFORM_PATH] = ours["platform"]
            drafts = _drafts_of(props)
        if not drafts:
            yield loc, raw, "no account, domain or URL in it", sources[0]
        for source in sources:
            for d in drafts:
                yield loc, raw, d, source


def _drafts_of(props: dict[str, str]) -> list[Draft]:
    """Indicators of one object description (``type:property`` -> value)."""
    out = []
    acct_type = props.get("user-account:account_type") or props.get(PLATFORM_PATH)
    platform = PLATFORM_ALIASES.get(acct_type.lower(), acct_type.lower()) if acct_type else None
    if props.get("user-account:account_login"):
        out.append(Draft("handle", props["user-account:account_login"], platform))
    if props.get("user-account:user_id"):
        out.append(Draft("account_id", props["user-account:user_id"], platform))
    if props.get("domain-name:value"):
        out.append(Draft("domain", props["domain-name:value"], None))
    if props.get("url:value"):
        acct = account_of_url(props["url:value"])
        out.append(Draft(*acct) if acct else Draft("url", props["url:value"], None))
    return out


def _files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in f.relative_to(path).parts)
                if f.is_file() and not hidden and f.suffix.lower() in INDICATOR_SUFFIXES:
                    yield f
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")


def read_indicators(paths: Iterable[str | Path]) -> IndicatorSet:
    """Read every indicator of the files (directories recursively) into one set.

    Duplicates (same type, value and platform) collapse into one indicator that keeps
    every source. Raises FileNotFoundError for a missing path and ValueError for a STIX
    file that is not JSON.
    """
    result = IndicatorSet()
    # one entry per data row (or STIX object): its report, locator, raw text, and either
    # its (draft, source) pairs or the reason it gives none
    entries: list[tuple[FileReport, str, str, list[tuple[Draft, str]] | str]] = []
    for path in _files(paths):
        text = _decode(path)
        fmt = sniff(text)
        report = FileReport(str(path), fmt)
        result.files.append(report)
        if fmt == "stix":
            try:
                rows = list(_stix(path, text, report))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not a JSON STIX bundle ({exc})") from exc
            by_loc: dict[str, list[tuple[str, Draft | str, str]]] = {}
            for loc, raw, item, source in rows:
                by_loc.setdefault(loc, []).append((raw, item, source))
            for loc, items in by_loc.items():
                good = [(d, s) for _, d, s in items if isinstance(d, Draft)]
                entries.append((report, loc, items[0][0], good or str(items[0][1])))
            continue
        reader = {"meta_ttp": _meta_ttp, "meta_ioc": _meta_ioc, "plain": _plain}[fmt]
        for loc, raw, ctx, source in reader(path, text, report):
            got = (
                ctx[1:] if ctx.startswith("!") else classify(raw, context=ctx, plain=ctx == "plain")
            )
            entries.append(
                (report, loc, raw.strip(), got if isinstance(got, str) else
                 [(d, source) for d in got])
            )  # fmt: skip
    flat = [d for *_, got in entries if not isinstance(got, str) for d, _ in got]
    values = iter(normalise(flat))
    merged: dict[tuple[str, str, str | None], Indicator] = {}
    for report, loc, raw, entry in entries:
        if isinstance(entry, str):
            report.rejected += 1
            result.rejected.append(Rejected(loc, raw, entry))
            continue
        kept = [(d, s, v) for (d, s), v in zip(entry, values, strict=False) if v is not None]
        if not kept:
            report.rejected += 1
            result.rejected.append(Rejected(loc, raw, f"{entry[0][0].type} normalises to nothing"))
            continue
        report.parsed += 1
        for draft, source, value in kept:
            key = (draft.type, value, draft.platform)
            old = merged.get(key)
            if old is None:
                merged[key] = Indicator(value, draft.type, draft.platform, source, raw)
            elif source not in old.sources:
                merged[key] = replace(old, sources=(*old.sources, source))
    result.indicators = list(merged.values())
    log.info(
        "read %d indicators from %d files (%d rows rejected)",
        len(result.indicators),
        len(result.files),
        len(result.rejected),
    )
    return result
