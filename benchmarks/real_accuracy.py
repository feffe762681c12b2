"""Accuracy on real labelled data: IRA accounts inside real organic crowds of the same days.

The campaign side is the Internet Research Agency's tweets released by Twitter in 2018
(FiveThirtyEight's republication, split per author); the organic side is public tweet
collections of the same days (and, where the IRA spoke about it, the same topic). Each mix
is written in the X Information Operations archive tweets format with a ``truth.csv``; the
construction and its leakage controls are in :mod:`real_mixes`, the sources in
:mod:`real_sources`, the findings in ``benchmarks/real_accuracy.md``.

For every mix: ``cibscan run`` with the defaults, the CooRTweet-style baseline and
coordination-network-toolkit 1.5.2 (both from ``benchmarks/accuracy.py``, on the same
ingested posts), all scored by ``cibscan.evaluate.evaluate``; then cibscan's ablations
(``--tell none``, ties only, and each signal left out in turn). Peer results are cached in
the work directory, so after a change to the detection code the cibscan part alone re-runs
in about 20 s for the four mixes (about 3 min with its ablations). Give every concurrent run
its own ``--workdir``: a run deletes and rebuilds the ingested cases under ``runs/``, so two
runs sharing one work directory break each other's ablations::

    .venv/bin/python benchmarks/real_accuracy.py                      # everything
    .venv/bin/python benchmarks/real_accuracy.py --only cibscan --no-ablations
    .venv/bin/python benchmarks/real_accuracy.py --mix debate2016 --only cibscan
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import cnt_baseline, coortweet_style, ties_only
from real_mixes import MIXES, MixBuild, build_mix
from real_sources import SOURCES, SourceStore

from cibscan.evaluate import Evaluation, evaluate
from cibscan.signals.base import signals
from cibscan.store import open_case

log = logging.getLogger("bench.real")

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("cibscan", "cibscan, ties only", "CooRTweet-style", "coordination-network-toolkit")
PEERS = METHODS[2:]
#: how many false positives and misses the error analysis lists per mix
SHOWN = 8


@dataclass
class Result:
    """One method on one mix: its evaluation and how long it took."""

    mix: str
    method: str
    evaluation: dict[str, Any]
    seconds: float
    measured: str

    def row(self) -> list[str]:
        e = self.evaluation
        return [
            self.mix, self.method, str(e["flagged"]), f"{e['precision']:.3f}",
            f"{e['recall']:.3f}", f"{e['f1']:.3f}", f"{e['pr_auc']:.3f}",
            f"{e['roc_auc']:.3f}", f"{self.seconds:.1f}",
        ]  # fmt: skip


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


class ResultCache:
    """Results as JSON files under ``workdir/results/<mix>/`` (peers are re-used)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, mix: str, method: str) -> Path:
        return self.root / mix / f"{_slug(method)}.json"

    def get(self, mix: str, method: str) -> Result | None:
        path = self.path(mix, method)
        if not path.exists():
            return None
        return Result(**json.loads(path.read_text(encoding="utf-8")))

    def put(self, result: Result) -> Result:
        path = self.path(result.mix, result.method)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result.__dict__, indent=2) + "\n", encoding="utf-8")
        return result


def _today() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


def _cibscan(args: Sequence[str], log_path: Path) -> float:
    """Run the cibscan CLI (the interface the detection engineer changes least); seconds."""
    exe = Path(sys.executable).with_name("cibscan")
    command = [str(exe) if exe.exists() else "cibscan", *args]
    clock = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as out:
        subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - clock


def _evaluate_case(mix: MixBuild, case_path: Path) -> Evaluation:
    with open_case(case_path, create=False, read_only=True) as case:
        return evaluate(mix.truth, engine=case.engine)


def _result(mix: str, method: str, evaluation: Evaluation, seconds: float) -> Result:
    return Result(mix, method, evaluation.as_dict(), round(seconds, 2), _today())


def run_cibscan(mix: MixBuild, out: Path, cache: ResultCache) -> list[Result]:
    """``cibscan run`` with the defaults, and the ties-only reading of the same run."""
    target = out / "cibscan"
    seconds = _cibscan(
        ["run", str(mix.data), "--out", str(target), "--overwrite"], out / "cibscan.log"
    )
    case_path = target / "case.duckdb"
    full = cache.put(_result(mix.name, METHODS[0], _evaluate_case(mix, case_path), seconds))
    ties_csv = out / "cibscan_ties_only.csv"
    with open_case(case_path, create=False, read_only=True) as case:
        ties_only(case, ties_csv)
    ties = evaluate(mix.truth, accounts_csv=ties_csv)
    return [full, cache.put(_result(mix.name, METHODS[1], ties, seconds))]


def _ingested_case(mix: MixBuild, out: Path) -> Path:
    """A case holding the mix's posts and no findings: what the peers and ablations read."""
    base = out / "ingested.duckdb"
    if not base.exists():
        _cibscan(["ingest", str(mix.data), "--case", str(base)], out / "ingest.log")
    return base


def _token_jaccard(tokens_1: str, tokens_2: str) -> float:
    """coordination-network-toolkit's co-similar-tweet similarity (Jaccard of the two token
    sets), except that two empty token sets score 0 instead of dividing by zero.

    The toolkit strips @mentions before tokenising and compares every message with every
    message of the time window, itself included, so a single tweet made only of mentions
    ("@a @b", a reply's bare address list; debate2016 has four) aborts the whole run with
    ZeroDivisionError. A tweet without words is similar to nothing; every other pair scores
    exactly as the toolkit's own function does."""
    set_1, set_2 = set(tokens_1.split()), set(tokens_2.split())
    union = set_1 | set_2
    return len(set_1 & set_2) / len(union) if union else 0.0


@contextlib.contextmanager
def _cnt_without_empty_crash() -> Iterator[None]:
    """Run the toolkit's co-similar-tweet network with :func:`_token_jaccard` (the toolkit
    takes the function as a parameter; ``accuracy.cnt_baseline`` passes none, so the module
    attribute it calls is wrapped for the duration)."""
    from coordination_network_toolkit import compute_networks

    original = compute_networks.compute_co_similar_tweet
    compute_networks.compute_co_similar_tweet = functools.partial(
        original, similarity_function=_token_jaccard
    )
    try:
        yield
    finally:
        compute_networks.compute_co_similar_tweet = original


def run_peers(mix: MixBuild, out: Path, cache: ResultCache) -> list[Result]:
    """The CooRTweet-style detector and coordination-network-toolkit on the same posts."""
    case_path = _ingested_case(mix, out)
    results = []
    clock = time.perf_counter()
    coortweet_style(case_path, out / "coortweet_accounts.csv")
    evaluation = evaluate(mix.truth, accounts_csv=out / "coortweet_accounts.csv")
    results.append(cache.put(_result(mix.name, PEERS[0], evaluation, time.perf_counter() - clock)))
    work = out / "cnt"
    work.mkdir(parents=True, exist_ok=True)
    clock = time.perf_counter()
    with _cnt_without_empty_crash():
        cnt_baseline(case_path, work, out / "cnt_accounts.csv")
    evaluation = evaluate(mix.truth, accounts_csv=out / "cnt_accounts.csv")
    results.append(cache.put(_result(mix.name, PEERS[1], evaluation, time.perf_counter() - clock)))
    return results


def ablation_variants() -> dict[str, list[str]]:
    """Detect options of each ablation: no tell, then each signal left out in turn (the
    signal list is read from cibscan, so a new signal gets its own ablation)."""
    names = list(signals())
    variants = {"--tell none": ["--tell", "none"]}
    for left_out in names:
        variants[f"without {left_out}"] = [
            arg for name in names if name != left_out for arg in ("--signal", name)
        ]
    return variants


def run_ablations(mix: MixBuild, out: Path, cache: ResultCache) -> list[Result]:
    """Each ablation detects on a copy of the ingested case (ingest is done once)."""
    base = _ingested_case(mix, out)
    folder = out / "ablations"
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for name, options in ablation_variants().items():
        case_path = folder / f"{_slug(name)}.duckdb"
        shutil.copyfile(base, case_path)
        seconds = _cibscan(
            ["detect", "--case", str(case_path), *options], folder / f"{_slug(name)}.log"
        )
        evaluation = _evaluate_case(mix, case_path)
        results.append(cache.put(_result(mix.name, f"cibscan, {name}", evaluation, seconds)))
        # the rule may flag nothing at all; the ties show what each signal still contributes
        ties_csv = folder / f"{_slug(name)}_ties.csv"
        with open_case(case_path, create=False, read_only=True) as case:
            ties_only(case, ties_csv)
        ties = evaluate(mix.truth, accounts_csv=ties_csv)
        results.append(cache.put(_result(mix.name, f"cibscan, {name}, ties only", ties, seconds)))
        case_path.unlink()
    return results


def _meta_sql(mix: MixBuild) -> str:
    path = str(mix.accounts_meta).replace("'", "''")
    return f"read_csv('{path}', header = true, all_varchar = true)"


def false_positive_kinds(mix: MixBuild, case_path: Path) -> list[dict[str, Any]]:
    """Flagged organic accounts by the collection's sub-kind (the airline addressed, the
    state, the sentiment) and by how many posts the account has in the mix."""
    query = f"""
        WITH m AS (SELECT * FROM {_meta_sql(mix)} WHERE label = 'organic'),
        j AS (SELECT m.subkind,
                     CASE WHEN CAST(m.posts AS INT) = 1 THEN '1 post'
                          WHEN CAST(m.posts AS INT) <= 3 THEN '2-3 posts'
                          WHEN CAST(m.posts AS INT) <= 9 THEN '4-9 posts'
                          ELSE '10+ posts' END AS activity,
                     coalesce(s.flagged, false) AS flagged, coalesce(s.tied, false) AS tied
              FROM m LEFT JOIN account_scores AS s ON s.account_id = m.account_id)
        SELECT 'sub-kind' AS axis, subkind AS kind, count(*) AS accounts,
               count(*) FILTER (WHERE tied) AS tied, count(*) FILTER (WHERE flagged) AS flagged
        FROM j GROUP BY ALL
        UNION ALL
        SELECT 'activity', activity, count(*), count(*) FILTER (WHERE tied),
               count(*) FILTER (WHERE flagged)
        FROM j GROUP BY ALL ORDER BY 1, 2"""
    with open_case(case_path, create=False, read_only=True) as case:
        rows = case.engine.fetchall(query)
    keys = ("axis", "kind", "accounts", "tied", "flagged")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _account_details(case: Any, mix: MixBuild, where: str) -> list[dict[str, Any]]:
    """Accounts matching ``where`` (over s = account_scores, m = accounts_meta), with their
    reasons, significant signals and tells, strongest first."""
    rows = case.engine.fetchall(
        f"""SELECT s.account_id, m.role, m.subkind, CAST(m.posts AS INT), s.score, s.tied,
                   s.flagged, s.cluster_id, s.reasons,
                   (SELECT string_agg(g.signal || ' (' || g.n_partners || ' partners, q='
                                      || printf('%.1e', g.best_q) || ')', '; '
                                      ORDER BY g.strength DESC)
                    FROM account_signal_scores AS g WHERE g.acct = s.acct) AS signals,
                   (SELECT string_agg(t.tell || ' ' || printf('%.1f', t.strength), '; '
                                      ORDER BY t.strength DESC)
                    FROM account_tells AS t WHERE t.acct = s.acct) AS tells
            FROM account_scores AS s JOIN {_meta_sql(mix)} AS m USING (account_id)
            WHERE {where} ORDER BY s.score DESC, s.account_id LIMIT {SHOWN}"""
    )
    keys = (
        "account", "role", "subkind", "posts", "score", "tied", "flagged", "cluster",
        "reasons", "signals", "tells",
    )  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _shared_objects(case: Any, accounts: Iterable[str]) -> list[tuple[str, str, int, int]]:
    """The objects behind the listed accounts' pairs: (signal, object, pairs, accounts
    sharing the object), most frequent first."""
    ids = ", ".join("'" + a.replace("'", "''") + "'" for a in accounts)
    if not ids:
        return []
    return [
        (str(s), str(o)[:90], int(n), int(k))
        for s, o, n, k in case.engine.fetchall(
            f"""WITH x AS (SELECT acct FROM account_scores WHERE account_id IN ({ids}))
            SELECT signal, object, count(*), max(object_accounts) FROM evidence
            WHERE a IN (SELECT acct FROM x) OR b IN (SELECT acct FROM x)
            GROUP BY ALL ORDER BY 3 DESC LIMIT {SHOWN}"""
        )
    ]


def error_analysis(mix: MixBuild, case_path: Path) -> dict[str, Any]:
    """What the false positives and the misses are made of, read from the case."""
    with open_case(case_path, create=False, read_only=True) as case:
        fps = _account_details(case, mix, "s.flagged AND m.label = 'organic'")
        hits = _account_details(case, mix, "s.flagged AND m.label = 'campaign'")
        tied_missed = _account_details(
            case, mix, "s.tied AND NOT s.flagged AND m.label = 'campaign'"
        )
        untied = case.engine.fetchall(
            f"""SELECT m.role, count(*), median(CAST(m.posts AS INT)),
                       count(*) FILTER (WHERE s.tied)
                FROM {_meta_sql(mix)} AS m LEFT JOIN account_scores AS s USING (account_id)
                WHERE m.label = 'campaign' AND NOT coalesce(s.flagged, false)
                GROUP BY ALL ORDER BY 1"""
        )
        return {
            "false_positives": fps,
            "false_positive_objects": _shared_objects(case, [r["account"] for r in fps]),
            "campaign_flagged": hits,
            "campaign_flagged_objects": _shared_objects(case, [r["account"] for r in hits]),
            "campaign_tied_not_flagged": tied_missed,
            "misses_by_role": [
                {"role": r, "missed": int(n), "median_posts": float(p), "tied": int(t)}
                for r, n, p, t in untied
            ],
        }


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _code_version() -> str:
    """The commit the cibscan numbers belong to: the git work tree holding the imported
    ``cibscan`` package, and whether its ``cibscan/`` differs from that commit."""
    import cibscan

    tree = Path(cibscan.__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tree), *args], capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return f"the cibscan tree in {tree} (no git metadata: pass --code-label)"
    dirty = git("status", "--porcelain", "--", "cibscan")
    return commit + (" + uncommitted cibscan/ changes" if dirty else "")


def markdown_report(
    builds: dict[str, MixBuild],
    results: list[Result],
    extras: dict[str, dict[str, Any]],
    code: str,
) -> str:
    """Every measured table of this run, in Markdown (benchmarks/real_accuracy.md quotes it)."""
    header = ["mix", "method", "flagged", "precision", "recall", "F1", "PR-AUC", "ROC-AUC", "s"]
    main = [r for r in results if r.method in METHODS]
    ablations = [r for r in results if r.method not in METHODS]
    parts = [
        f"Measured {_today()}, cibscan at {code}.",
        "",
        "## Mixes",
        "",
        _table(
            ["mix", "window (UTC)", "posts", "accounts", "campaign accounts by role", "sources"],
            [
                [
                    b.name,
                    f"{b.window[0][:16]} .. {b.window[1][:16]}",
                    f"{b.counts['posts']:,}",
                    f"{b.counts['accounts']:,}",
                    ", ".join(
                        f"{k} {v['accounts']}" for k, v in b.counts["campaign_roles"].items()
                    ),
                    "; ".join(b.sources.values()),
                ]
                for b in builds.values()
            ],
        ),
        "",
        "## Results",
        "",
        _table(header, [r.row() for r in main]),
        "",
        "## Recall per IRA role (account_category)",
        "",
        _table(
            ["mix", "method", "recall by role"],
            [
                [
                    r.mix,
                    r.method,
                    ", ".join(f"{k} {v:.2f}" for k, v in r.evaluation["recall_by_role"].items()),
                ]
                for r in main
            ],
        ),
    ]
    if ablations:
        parts += ["", "## Ablations (cibscan)", "", _table(header, [r.row() for r in ablations])]
    for name, extra in extras.items():
        parts += ["", f"## Errors: {name}", "", "```json", json.dumps(extra, indent=1), "```"]
    return "\n".join(parts) + "\n"


def _selected(names: Sequence[str] | None) -> list[str]:
    chosen = list(names) if names else list(MIXES)
    unknown = [n for n in chosen if n not in MIXES]
    if unknown:
        raise SystemExit(f"unknown mix(es) {unknown}; known: {', '.join(MIXES)}")
    return chosen


def run_mix(
    build: MixBuild, args: argparse.Namespace, cache: ResultCache
) -> tuple[list[Result], dict[str, Any]]:
    """Everything asked for one mix; missing peer results are measured even under
    ``--only cibscan`` so that the table is always complete."""
    out = args.workdir / "runs" / build.name
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingested.duckdb").unlink(missing_ok=True)  # the mix may have been rebuilt
    results: list[Result] = []
    extra: dict[str, Any] = {}
    if args.only in ("all", "cibscan"):
        results += run_cibscan(build, out, cache)
        case_path = out / "cibscan" / "case.duckdb"
        extra = {
            "false_positives_by_kind": false_positive_kinds(build, case_path),
            **error_analysis(build, case_path),
        }
    else:
        results += [r for m in METHODS[:2] if (r := cache.get(build.name, m))]
    peers = [cache.get(build.name, m) for m in PEERS]
    if args.only in ("all", "peers") or (not args.no_peers and None in peers):
        results += run_peers(build, out, cache)
    else:
        results += [r for r in peers if r]
    if not args.no_ablations and args.only in ("all", "cibscan"):
        results += run_ablations(build, out, cache)
    return results, extra


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-real-accuracy"))
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--mix", nargs="+", choices=list(MIXES), help="Default: every mix.")
    parser.add_argument(
        "--only", choices=("all", "cibscan", "peers"), default="all",
        help="cibscan: re-run cibscan (and its ablations) only, peers from the cache.",
    )  # fmt: skip
    parser.add_argument("--no-ablations", action="store_true")
    parser.add_argument("--no-peers", action="store_true", help="Never run the peers.")
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the mixes.")
    parser.add_argument("--no-clone", action="store_true", help="Never clone from GitHub.")
    parser.add_argument(
        "--code-label",
        help="How the report names the cibscan code (e.g. a commit, when cibscan is imported"
        " from an exported tree via PYTHONPATH).",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    store = SourceStore(args.mirrors, args.workdir / "clones", allow_clone=not args.no_clone)
    cache = ResultCache(args.workdir / "results")
    builds = {
        n: build_mix(MIXES[n], store, args.workdir, force=args.rebuild) for n in _selected(args.mix)
    }
    results: list[Result] = []
    extras: dict[str, dict[str, Any]] = {}
    for name, build in builds.items():
        mix_results, extra = run_mix(build, args, cache)
        results += mix_results
        if extra:
            extras[name] = extra
    report = markdown_report(builds, results, extras, args.code_label or _code_version())
    (args.workdir / "report.md").write_text(report, encoding="utf-8")
    header = ["mix", "method", "flagged", "P", "R", "F1", "PR-AUC", "ROC-AUC", "s"]
    print(_table(header, [r.row() for r in results]))
    print(f"\nfull report: {args.workdir / 'report.md'} (sources: {', '.join(SOURCES)})")


if __name__ == "__main__":
    main()
