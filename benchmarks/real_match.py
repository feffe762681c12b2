"""Known-network matching on real data: the IRA accounts of one real mix as the library,
a later mix matched against it.

The mixes are those of ``benchmarks/real_accuracy.py`` (real IRA troll accounts' tweets from
Twitter's 2018 release inside real organic tweet collections of the same days; built by
:mod:`real_mixes` from the pinned sources of :mod:`real_sources` into ``--data-dir``, reused
when already built there). An IRA account keeps its id from mix to mix (the id is a hash of
the IRA author id), so the later mix holds IRA accounts the earlier one had (known members)
and IRA accounts it did not (new accounts of the same operation). For each pair
(earlier mix -> later mix) and each way of confirming the network:

1. the earlier mix is ingested into a case and the analyst's verdicts are written with
   ``cibscan.store.labels.label``: ``truth`` confirms every IRA account of the mix (truth
   label ``campaign``: the best library the mix allows); ``flagged`` runs detect with the
   defaults and confirms the flagged IRA accounts, dismissing the other flagged ones
   (``cibscan.whackamole.confirm_from_truth``: what a reviewing analyst would keep).
   ``add_network`` fingerprints the confirmed accounts into a library as network ``ira``
   (``cibscan library add --confirmed``);
2. a copy of the library without its identity keys measures the habits alone: no
   ``network_members`` (no identity rule) and no features of the persona family (every
   handle and display name in the mixes is the account's sha256, so a handle "formula" is
   unique to its account: a second identity key, not an operator's habit). A second copy
   also leaves out the distribution facets (the posting hour): an ablation that shows what
   the schedule facet does to these accounts, not a proposed setting;
3. the later mix is ingested into a case, detected from scratch (``detect``, default
   options; before any match, because the ``known_network`` tell reads whatever ``matches``
   table the case holds, library option or not), matched against the three libraries
   (``cibscan.match.scoring.match``, default ``MatchOptions``) and detected with the library
   (``DetectOptions(library=...)``: the ``known_network`` tell);
4. everything is scored against a derived truth written beside the runs
   (``truth_regrowth.csv``: ``regrew_from`` = ``ira`` for every IRA account of the later mix,
   ``reappeared`` for the library's members among them) with
   ``cibscan.evaluate.matching.evaluate_matching``, once over all IRA accounts and once per
   subset (``truth_known.csv``: organic + known members; ``truth_new.csv``: organic + new
   accounts), so that the PR-AUC of one subset is not dragged by the other. An IRA account
   of the earlier mix that was not confirmed (``flagged``) is new to the library.

Run (about 30 s on 2 cores when the mixes are built; about 40 s in an empty work directory,
which builds the IRA database and the four mixes from the mirrors first)::

    .venv/bin/python benchmarks/real_match.py --workdir /tmp/cibscan-real-match
    .venv/bin/python benchmarks/real_match.py --data-dir /tmp/cra-final   # reuse built mixes
    .venv/bin/python benchmarks/real_match.py --pairs coachella2015:debate2016 --confirm truth

Prints the summary table; ``WORKDIR/report.md`` holds every table of the run (where the IRA
accounts stop in the match rule, the facets that carried evidence, recall per IRA role, the
false matches or organic near misses and the best-scored missed accounts with their
``facets``), ``WORKDIR/report.json`` the raw figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_accuracy import _code_version, _table, _today
from real_mixes import MIXES, MixBuild, build_mix
from real_sources import SOURCES, SourceStore

from cibscan.detect.base import DetectOptions
from cibscan.detect.pipeline import detect
from cibscan.evaluate.matching import NetworkMatchScore, evaluate_matching
from cibscan.evaluate.metrics import average_precision
from cibscan.ingest.pipeline import IngestOptions, ingest
from cibscan.match.base import facets
from cibscan.match.library import add_network, network_members
from cibscan.match.scoring import MatchOptions, match
from cibscan.store import open_case
from cibscan.store.labels import label
from cibscan.whackamole import confirm_from_truth

log = logging.getLogger("bench.real_match")

NETWORK = "ira"
#: earlier -> later, in time; the first two share IRA accounts (17 and 25), the last none
DEFAULT_PAIRS = ("coachella2015:airline2015", "airline2015:debate2016", "debate2016:guncontrol2018")
CONFIRM = ("truth", "flagged")
#: the libraries every later case is matched against
LIBRARIES = ("library", "habits", "habits_no_schedule")
METHODS = {
    "library": "match (library)",
    "habits": "match, habits only (no identity)",
    "habits_no_schedule": "ablation: habits only, no schedule facet",
    "scratch": "detect from scratch",
    "tell": "detect --library",
    "union": "match or detect from scratch",
}
#: how many examples (false matches or near misses, missed accounts) the report shows
SHOWN = 6

Key = tuple[str, str]


@dataclass
class PairRun:
    """What one pair measured with one way of confirming (figures and rows behind them)."""

    earlier: str
    later: str
    confirm: str
    confirmed: int
    known: set[Key]
    new: set[Key]
    organic: set[Key]
    role: dict[Key, str]
    posts: dict[Key, int]
    #: matches rows (dicts) per library of :data:`LIBRARIES`
    rows: dict[str, list[dict[str, Any]]]
    #: accounts flagged by detect from scratch / with the library
    flagged: dict[str, set[Key]]
    #: account scores of detect from scratch
    detect_score: dict[Key, float]
    evaluations: dict[str, NetworkMatchScore] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.earlier} -> {self.later}"

    def found(self, method: str) -> set[Key]:
        if method in self.rows:
            return {_key(r) for r in self.rows[method] if r["matched"]}
        if method == "union":
            return self.found("library") | self.flagged["scratch"]
        return self.flagged[method]


def _key(row: Mapping[str, Any]) -> Key:
    return (str(row["platform"]), str(row["account_id"]))


def _truth(build: MixBuild) -> list[dict[str, str]]:
    with build.truth.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _posts(build: MixBuild) -> dict[str, int]:
    with build.accounts_meta.open(encoding="utf-8", newline="") as f:
        return {r["account_id"]: int(r["posts"]) for r in csv.DictReader(f)}


def _campaign(build: MixBuild) -> set[Key]:
    return {(r["platform"], r["account_id"]) for r in _truth(build) if r["label"] == "campaign"}


def build_library(earlier: MixBuild, out: Path, confirm: str) -> tuple[Path, set[Key]]:
    """Ingest the earlier mix, write the analyst's verdicts, fingerprint the confirmed
    accounts; (library, members)."""
    library = out / "library.duckdb"
    case_path = out / f"{earlier.name}.duckdb"
    for path in (library, case_path):
        path.unlink(missing_ok=True)
    with open_case(case_path) as case:
        ingest(case, [earlier.tweets], IngestOptions())
        if confirm == "truth":
            label(
                case.engine, "confirmed",
                accounts=[f"{p}:{a}" for p, a in sorted(_campaign(earlier))],
                analyst="real_match", note=f"IRA accounts of {earlier.name} (2018 release)",
            )  # fmt: skip
        else:
            detect(case)
            verdicts = confirm_from_truth(case, earlier.truth, analyst="real_match")
            log.info("%s: detect flagged %d IRA accounts (confirmed), %d others (dismissed)",
                     earlier.name, verdicts.confirmed, verdicts.dismissed)  # fmt: skip
            if not verdicts.confirmed:
                raise SystemExit(f"{earlier.name}: detect flags no IRA account to confirm")
        members = network_members(case.engine, confirmed=True)
        add_network(
            case.engine, library, NETWORK, members,
            description=f"IRA accounts of the {earlier.name} mix ({confirm})",
            source=earlier.name,
        )  # fmt: skip
    return library, set(members)


def library_copy(library: Path, target: Path, *, schedule: bool) -> tuple[Path, dict[str, int]]:
    """A copy of ``library`` without its identity keys (members, persona features) and,
    unless ``schedule``, without its distribution facets; returns how many rows went."""
    shutil.copyfile(library, target)
    chosen = facets().values()
    dropped = sorted(f.name for f in chosen if f.family == "persona")
    if not schedule:
        dropped += sorted(f.name for f in chosen if f.levels)
    con = duckdb.connect(str(target))
    removed: dict[str, int] = {}
    try:
        for table, where in (
            ("network_members", "TRUE"),
            ("network_features", "facet IN (SELECT unnest(?::VARCHAR[]))"),
            ("network_facets", "facet IN (SELECT unnest(?::VARCHAR[]))"),
        ):
            params = [] if where == "TRUE" else [dropped]
            count = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()
            removed[table] = int(count[0]) if count else 0
            con.execute(f"DELETE FROM {table} WHERE {where}", params)
    finally:
        con.close()
    return target, removed


def write_truths(
    later: MixBuild, members: set[Key], out: Path
) -> tuple[dict[str, Path], set[Key], set[Key], set[Key]]:
    """The derived regrowth truth of the later mix, and one per subset (organic + known
    members, organic + new accounts); (paths, known, new, organic)."""
    rows = _truth(later)
    campaign = {(r["platform"], r["account_id"]) for r in rows if r["label"] == "campaign"}
    organic = {(r["platform"], r["account_id"]) for r in rows if r["label"] != "campaign"}
    known = campaign & members
    new = campaign - members
    columns = [*rows[0].keys(), "regrew_from", "reappeared"]
    subsets = {"all": campaign, "known": known, "new": new}
    paths = {view: out / f"truth_{'regrowth' if view == 'all' else view}.csv" for view in subsets}
    for view, path in paths.items():
        keep = subsets[view] | organic
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, columns)
            writer.writeheader()
            for r in rows:
                key = (r["platform"], r["account_id"])
                if key in keep:
                    writer.writerow(
                        {
                            **r,
                            "regrew_from": NETWORK if key in campaign else "",
                            "reappeared": "true" if key in known else "false",
                        }
                    )
    return paths, known, new, organic


def _flagged(case: Any) -> tuple[set[Key], dict[Key, float]]:
    rows = case.engine.fetchall("SELECT platform, account_id, flagged, score FROM account_scores")
    flagged = {(str(p), str(a)) for p, a, f, _ in rows if f}
    return flagged, {(str(p), str(a)): float(s or 0.0) for p, a, _, s in rows}


def run_pair(
    earlier: MixBuild, later: MixBuild, out: Path, confirm: str, options: MatchOptions
) -> PairRun:
    """The whole loop for one pair and one way of confirming (module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    library, members = build_library(earlier, out, confirm)
    seconds["library"] = time.perf_counter() - clock
    libraries = {"library": library}
    for name, schedule in (("habits", True), ("habits_no_schedule", False)):
        libraries[name], removed = library_copy(
            library, out / f"library_{name}.duckdb", schedule=schedule
        )
        log.info("%s -> %s (%s): %s removed %s", earlier.name, later.name, confirm, name,
                 removed)  # fmt: skip
    truths, known, new, organic = write_truths(later, members, out)
    case_path = out / f"{later.name}.duckdb"
    case_path.unlink(missing_ok=True)
    rows: dict[str, list[dict[str, Any]]] = {}
    flagged: dict[str, set[Key]] = {}
    with open_case(case_path) as case:
        clock = time.perf_counter()
        ingest(case, [later.tweets], IngestOptions())
        seconds["ingest"] = time.perf_counter() - clock
        # from scratch, the defaults; first: the known_network tell reads any matches table
        # the case holds, with or without a library in the options
        clock = time.perf_counter()
        detect(case)
        seconds["detect"] = time.perf_counter() - clock
        flagged["scratch"], detect_score = _flagged(case)
        for name in LIBRARIES:
            clock = time.perf_counter()
            match(case.engine, libraries[name], options)
            seconds[f"match {name}"] = time.perf_counter() - clock
            rows[name] = case.engine.fetch_arrow("SELECT * FROM matches").to_pylist()
        detect(case, DetectOptions(library=str(library)))  # matches anew: the full library
        flagged["tell"], _ = _flagged(case)
    truth_rows = _truth(later)
    meta = _posts(later)
    run = PairRun(
        earlier.name, later.name, confirm, len(members), known, new, organic,
        role={(r["platform"], r["account_id"]): r["role"] for r in truth_rows},
        posts={(r["platform"], r["account_id"]): meta.get(r["account_id"], 0)
               for r in truth_rows},
        rows=rows, flagged=flagged, detect_score=detect_score, seconds=seconds,
    )  # fmt: skip
    population = {"all": known | new | organic, "known": known | organic, "new": new | organic}
    for view, path in truths.items():
        for name in LIBRARIES:
            chosen = [r for r in rows[name] if _key(r) in population[view]]
            result = evaluate_matching(chosen, path).networks.get(NETWORK)
            if result is not None:
                run.evaluations[f"{name}/{view}"] = result
    _check_habits(run, options)
    return run


def _check_habits(run: PairRun, options: MatchOptions) -> None:
    """The habits-only library should agree with the match rule read off the full run's
    ``score`` and ``families`` columns (identity ignored) wherever no persona feature
    scored: a check that the copy measures what it claims to. Logged."""
    by_columns = {
        _key(r)
        for r in run.rows["library"]
        if r["score"] >= options.threshold and r["families"] >= options.min_families
    }
    persona = {_key(r) for r in run.rows["library"] if "handle_formula" in (r["facets"] or "")}
    habits = run.found("habits")
    differ = sorted((by_columns ^ habits) - persona)
    log.info("%s (%s): habits-only library matched %d; the full run's score/families columns "
             "%d (%d differ outside the persona family)", run.name, run.confirm, len(habits),
             len(by_columns), len(differ))  # fmt: skip
    if differ:
        log.warning("%s: habits-only and score/families disagree on %s", run.name, differ[:5])


def _recall(found: set[Key], positives: set[Key]) -> str:
    if not positives:
        return "-"
    hit = len(found & positives)
    return f"{hit}/{len(positives)} ({hit / len(positives):.2f})"


def _precision(found: set[Key], run: PairRun) -> str:
    tp = len(found & (run.known | run.new))
    fp = len(found & run.organic)
    return f"{tp / (tp + fp):.3f}" if tp + fp else "-"


def _ap(scores: Mapping[Key, float], positives: set[Key], run: PairRun) -> str:
    """Average precision of ``scores`` over ``positives`` + the organic accounts."""
    if not positives:
        return "-"
    population = sorted(positives | run.organic)
    truth = np.array([k in positives for k in population])
    score = np.array([scores.get(k, 0.0) for k in population], dtype=np.float64)
    return f"{average_precision(truth, score):.3f}"


def _pr_auc(run: PairRun, method: str, view: str) -> str:
    if method == "scratch":
        return _ap(run.detect_score, run.known if view == "known" else run.new, run)
    found = run.evaluations.get(f"{method}/{view}")
    return f"{found.pr_auc:.3f}" if found is not None else "-"


SUMMARY_HEADER = [
    "earlier -> later", "confirmed from", "library members", "IRA in later", "method",
    "known members found", "new IRA found", "organic flagged", "precision", "PR-AUC known",
    "PR-AUC new",
]  # fmt: skip


def summary_rows(run: PairRun) -> list[list[str]]:
    """One row per method: known members found, new accounts found, organic accounts
    flagged, precision over all of them, PR-AUC over known / new (organic as negatives:
    the similarity for the matches, the account score for detect)."""
    methods = list(METHODS)
    if run.confirm != "truth":  # detect from scratch does not depend on the library
        methods = ["library", "habits", "tell", "union"]
    out = []
    for method in methods:
        found = run.found(method)
        out.append([
            run.name, run.confirm, str(run.confirmed), str(len(run.known) + len(run.new)),
            METHODS[method], _recall(found, run.known), _recall(found, run.new),
            str(len(found & run.organic)), _precision(found, run),
            _pr_auc(run, method, "known"), _pr_auc(run, method, "new"),
        ])  # fmt: skip
    return out


def why_missed(run: PairRun, options: MatchOptions) -> list[list[str]]:
    """Where the IRA accounts of the later mix stop in the match rule, habits only: no
    content evidence (no row even without the schedule facet: ``S`` under the report
    floor), content evidence cancelled by the schedule (a row only without it), evidence in
    fewer than ``min_families`` families, enough families but ``S`` under the threshold,
    matched; with the median posts of each group."""
    best = {_key(r): r for r in run.rows["habits"]}
    content = {_key(r) for r in run.rows["habits_no_schedule"]}
    floor = f"{options.report_floor:g}"
    out = []
    for subset, keys in (("known", run.known), ("new", run.new)):
        groups: dict[str, list[int]] = {}
        for k in sorted(keys):
            r = best.get(k)
            if r is None and k not in content:
                stage = f"no content evidence (S < {floor} without the schedule)"
            elif r is None:
                stage = f"content evidence, S < {floor} with the schedule"
            elif r["matched"]:
                stage = "matched"
            elif r["families"] < options.min_families:
                stage = f"under {options.min_families} families"
            else:
                stage = f"{options.min_families}+ families, S < {options.threshold:g}"
            groups.setdefault(stage, []).append(run.posts.get(k, 0))
        for stage, posts in sorted(groups.items()):
            out.append([run.name, subset, stage, str(len(posts)), f"{np.median(posts):g}"])
    return out


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def _facet_scores(row: Mapping[str, Any]) -> Iterable[tuple[str, float]]:
    for part in (row["facets"] or "").split("; "):
        bits = part.split(" ")
        if len(bits) >= 2:
            yield bits[0], _float(bits[1])


def facet_counts(run: PairRun) -> list[list[str]]:
    """Which facets carried content evidence (score >= 1, no-schedule run: the accounts
    whose content the schedule cancels are counted too) for the IRA accounts and the
    organic accounts with a row, and how the schedule scored them (habits-only run)."""
    out = []
    for subset, keys in (("known", run.known), ("new", run.new), ("organic", run.organic)):
        content: Counter[str] = Counter()
        rows = [r for r in run.rows["habits_no_schedule"] if _key(r) in keys]
        for r in rows:
            content.update(f for f, v in _facet_scores(r) if v >= 1.0)
        schedule: Counter[str] = Counter()
        for r in run.rows["habits"]:
            if _key(r) in keys:
                for f, v in _facet_scores(r):
                    if f == "schedule" and abs(v) >= 1.0:
                        schedule["for" if v > 0 else "against"] += 1
        out.append([
            run.name, subset, f"{len(rows)}/{len(keys)}",
            ", ".join(f"{f} {n}" for f, n in content.most_common()) or "none",
            ", ".join(f"{k} {n}" for k, n in sorted(schedule.items())) or "none",
        ])  # fmt: skip
    return out


def by_role(run: PairRun) -> list[list[str]]:
    matched, habits = run.found("library"), run.found("habits")
    out = []
    for role in sorted({run.role[k] for k in run.known | run.new}):
        keys = {k for k in run.known | run.new if run.role[k] == role}
        known, new = keys & run.known, keys & run.new
        out.append([
            run.name, role, str(len(known)), str(len(new)), _recall(matched, known),
            _recall(habits, known), _recall(matched, new), _recall(run.flagged["scratch"], keys),
        ])  # fmt: skip
    return out


def _example(run: PairRun, r: Mapping[str, Any]) -> dict[str, Any]:
    key = _key(r)
    return {
        "account": key[1][:12],
        "truth": run.role.get(key, "?") + (" (known)" if key in run.known else ""),
        "posts": run.posts.get(key, 0),
        "matched": bool(r["matched"]),
        "similarity": round(float(r["similarity"]), 3),
        "score": round(float(r["score"]), 2),
        "families": int(r["families"]),
        "facets": r["facets"],
    }


def examples(run: PairRun, method: str = "library") -> list[dict[str, Any]]:
    """The organic accounts with the highest similarity, false matches first."""
    rows = [r for r in run.rows[method] if _key(r) in run.organic]
    rows.sort(key=lambda r: (not r["matched"], -float(r["similarity"]), r["account_id"]))
    return [_example(run, r) for r in rows[:SHOWN]]


def missed(run: PairRun) -> list[dict[str, Any]]:
    """The IRA accounts with habit evidence that were not matched on it, strongest first."""
    rows = [r for r in run.rows["habits"] if _key(r) in run.known | run.new and not r["matched"]]
    rows.sort(key=lambda r: (-float(r["score"]), r["account_id"]))
    return [_example(run, r) for r in rows[:SHOWN]]


def _json_block(items: Iterable[Mapping[str, Any]]) -> str:
    return "```json\n" + json.dumps(list(items), indent=1, ensure_ascii=False) + "\n```"


def markdown_report(
    runs: list[PairRun], builds: dict[str, MixBuild], options: MatchOptions, code: str
) -> str:
    """Every table of the run (benchmarks/real_match.md quotes it)."""
    main = [r for r in runs if r.confirm == "truth"] or runs
    parts = [
        f"Measured {_today()}, cibscan at {code}; {options}.",
        "",
        "## Mixes",
        "",
        _table(
            ["mix", "window (UTC)", "posts", "accounts", "IRA accounts", "sources"],
            [
                [
                    b.name,
                    f"{b.window[0][:16]} .. {b.window[1][:16]}",
                    f"{b.counts['posts']:,}",
                    f"{b.counts['accounts']:,}",
                    str(sum(v["accounts"] for v in b.counts["campaign_roles"].values())),
                    "; ".join(b.sources.values()),
                ]
                for b in builds.values()
            ],
        ),
        "",
        "## Summary",
        "",
        _table(SUMMARY_HEADER, [r for run in runs for r in summary_rows(run)]),
        "",
        "## Where the IRA accounts stop in the match rule (habits only)",
        "",
        _table(
            ["pair", "confirmed from", "IRA accounts", "stage", "accounts", "median posts"],
            [[r[0], run.confirm, *r[1:]] for run in runs for r in why_missed(run, options)],
        ),
        "",
        "## Facets with evidence (library from the truth)",
        "",
        "Content: facets scoring >= 1 with the schedule left out (a row means S >= 1 from"
        " content alone); schedule: its sign where |score| >= 1, among the accounts the"
        " habits-only run reports (S >= 1 with the schedule: those it pushed under 1 are"
        " not seen).",
        "",
        _table(
            [
                "pair",
                "accounts",
                "with content evidence",
                "content facets (accounts)",
                "schedule (accounts)",
            ],
            [r for run in main for r in facet_counts(run)],
        ),
        "",
        "## Per IRA role (library from the truth)",
        "",
        _table(
            [
                "pair",
                "role",
                "known",
                "new",
                "match: known",
                "habits: known",
                "match: new",
                "detect from scratch: all",
            ],
            [r for run in main for r in by_role(run)],
        ),
    ]
    for run in runs:
        parts += ["", f"## {run.name}, confirmed from {run.confirm}", ""]
        score = run.evaluations.get("library/all")
        if score is not None:
            parts += [
                f"evaluate_matching over all {score.positives} IRA accounts of {run.later}: "
                f"precision {score.precision:.3f}, recall {score.recall:.3f} (known "
                f"{score.recall_reappeared:.3f}, new {score.recall_new:.3f}), F1 "
                f"{score.f1:.3f}, PR-AUC {score.pr_auc:.3f}, false matches by role "
                f"{score.fp_by_role or 'none'}. Seconds: "
                + ", ".join(f"{k} {v:.1f}" for k, v in run.seconds.items()),
                "",
            ]
        parts += [
            "Organic accounts with the highest similarity (false matches first):",
            "",
            _json_block(examples(run)),
            "",
            "The same without the schedule facet (ablation):",
            "",
            _json_block(examples(run, "habits_no_schedule")),
            "",
            "IRA accounts with habit evidence, not matched on it (strongest first):",
            "",
            _json_block(missed(run)),
        ]
    return "\n".join(parts) + "\n"


def as_json(runs: list[PairRun]) -> dict[str, Any]:
    return {
        f"{run.name} ({run.confirm})": {
            "library_members": run.confirmed,
            "known": len(run.known),
            "new": len(run.new),
            "organic": len(run.organic),
            "evaluations": {k: v.__dict__ for k, v in run.evaluations.items()},
            "summary": [dict(zip(SUMMARY_HEADER, r, strict=True)) for r in summary_rows(run)],
            "seconds": run.seconds,
        }
        for run in runs
    }


def _pairs(texts: list[str]) -> list[tuple[str, str]]:
    out = []
    for text in texts:
        earlier, sep, later = text.partition(":")
        if not sep or earlier not in MIXES or later not in MIXES or earlier == later:
            raise SystemExit(f"bad pair {text!r}: EARLIER:LATER of {', '.join(MIXES)}")
        out.append((earlier, later))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-real-match"))
    parser.add_argument(
        "--data-dir", type=Path,
        help="where the mixes and the source cache are built, or reused when built there"
        " (a real_accuracy.py --workdir will do); default: --workdir",
    )  # fmt: skip
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--pairs", nargs="+", default=list(DEFAULT_PAIRS),
                        help="EARLIER:LATER mix names")  # fmt: skip
    parser.add_argument("--confirm", nargs="+", choices=CONFIRM, default=list(CONFIRM),
                        help="truth: every IRA account of the earlier mix is confirmed; "
                        "flagged: only those detect flags there")  # fmt: skip
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the mixes.")
    parser.add_argument("--no-clone", action="store_true", help="Never clone from GitHub.")
    parser.add_argument("--code-label", help="How the report names the cibscan code.")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    pairs = _pairs(args.pairs)
    data = args.data_dir or args.workdir
    store = SourceStore(args.mirrors, data / "clones", allow_clone=not args.no_clone)
    names = list(dict.fromkeys(n for pair in pairs for n in pair))
    builds = {n: build_mix(MIXES[n], store, data, force=args.rebuild) for n in names}
    options = MatchOptions()
    runs = [
        run_pair(
            builds[earlier], builds[later],
            args.workdir / "runs" / confirm / f"{earlier}_to_{later}", confirm, options,
        )
        for confirm in args.confirm
        for earlier, later in pairs
    ]  # fmt: skip
    args.workdir.mkdir(parents=True, exist_ok=True)
    report = markdown_report(runs, builds, options, args.code_label or _code_version())
    (args.workdir / "report.md").write_text(report, encoding="utf-8")
    (args.workdir / "report.json").write_text(
        json.dumps(as_json(runs), indent=1, default=str) + "\n", encoding="utf-8"
    )
    print(_table(SUMMARY_HEADER, [r for run in runs for r in summary_rows(run)]))
    log.warning("full report: %s (sources: %s)", args.workdir / "report.md", ", ".join(SOURCES))


if __name__ == "__main__":
    main()
