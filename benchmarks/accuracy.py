"""Accuracy on simulated cases: cibscan beside a CooRTweet-style co-share detector.

For each seed: ``cibscan simulate`` writes a Spamouflage-like case with ground truth,
``cibscan run`` ingests and detects with the defaults, and the same case file is given to a
re-implementation of CooRTweet's published algorithm (Righetti & Balluff; the R package's
``detect_groups`` + ``generate_coordinated_network``), written here from its description,
not from its code:

1. a *coordinated share*: two different accounts share the same object (the reposted post,
   a URL, or the same normalised text) within ``time_window`` seconds (CooRTweet's default
   10 s);
2. accounts that took part in fewer than ``min_participation`` (2) coordinated shares are
   dropped;
3. the network joins account pairs, weighted by the number of distinct objects they
   co-shared; edges below the ``edge_weight`` quantile (0.5) of the weights are removed
   (CooRTweet's ``subgraph = 1``);
4. the accounts left are flagged; connected components are their clusters; an account's
   score is its weighted degree (for PR-AUC and ROC-AUC).

Both are scored by the same function (``cibscan.evaluate.evaluate``). Seeds 1-3 are the
development seeds; held-out seeds must be chosen afresh and never used to tune anything.
A second table counts each method's false positives per organic truth role (fans, voters,
hashtag gamers, news readers, activists, ...: docs/simulator.md), because a precision says
how many authentic accounts were flagged, not which kind of authentic coordination fooled the
method. ``--scenario`` and ``--param KEY=VALUE`` (any field of the scenario's parameters)
choose the simulated world, e.g. the hard campaign shapes.

    .venv/bin/python benchmarks/accuracy.py --seeds 1 2 3 --workdir /tmp/cibscan-accuracy
    .venv/bin/python benchmarks/accuracy.py --seeds 7 --scenario spamouflage-hard \
        --param ring_size=5 --param paraphrase=1 --no-cnt
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import logging
import shutil
import time
import typing
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cibscan.evaluate import Evaluation, evaluate
from cibscan.simulate import SCENARIOS, simulate
from cibscan.store import Case, open_case
from cibscan.workflow import run_pipeline

log = logging.getLogger("bench")

COORTWEET_SQL = """
WITH shares AS (
    SELECT account_id, 'post:' || repost_of_post AS object, epoch(created_at) AS t
    FROM posts WHERE repost_of_post IS NOT NULL
    UNION ALL
    SELECT account_id, 'url:' || unnest(urls), epoch(created_at) FROM posts
    UNION ALL
    SELECT account_id, 'text:' || text_norm, epoch(created_at) FROM posts
    WHERE repost_of_post IS NULL AND length(text_norm) >= 10),
co AS (
    SELECT x.account_id AS a, y.account_id AS b, x.object
    FROM shares AS x JOIN shares AS y
      ON x.object = y.object AND x.account_id < y.account_id
     AND abs(x.t - y.t) <= {window}),
participation AS (
    SELECT account, count(*) AS n FROM (SELECT a AS account FROM co UNION ALL SELECT b FROM co)
    GROUP BY account),
kept AS (SELECT account FROM participation WHERE n >= {min_participation}),
pairs AS (
    SELECT a, b, count(DISTINCT object) AS weight FROM co
    WHERE a IN (SELECT account FROM kept) AND b IN (SELECT account FROM kept)
    GROUP BY a, b),
strong AS (
    SELECT * FROM pairs
    WHERE weight >= (SELECT quantile_cont(weight, {edge_quantile}) FROM pairs))
SELECT a, b, weight FROM strong
"""


def coortweet_style(
    case_path: Path,
    out_csv: Path,
    *,
    window: float = 10,
    min_participation: int = 2,
    edge_quantile: float = 0.5,
) -> int:
    """Run the CooRTweet-style detector on a case; write an accounts.csv; return flagged."""
    with open_case(case_path, create=False, read_only=True) as case:
        sql = COORTWEET_SQL.format(
            window=float(window), min_participation=int(min_participation),
            edge_quantile=float(edge_quantile),
        )  # fmt: skip
        edges = case.engine.fetchall(sql)
        accounts = case.engine.fetchall("SELECT DISTINCT platform, account_id FROM posts")
    import igraph as ig

    names = sorted({a for a, _, _ in edges} | {b for _, b, _ in edges})
    index = {n: i for i, n in enumerate(names)}
    graph = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a, b, _ in edges])
    graph.es["weight"] = [w for _, _, w in edges]
    component = graph.connected_components().membership if names else []
    strength = graph.strength(weights="weight") if names else []
    with out_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["platform", "account_id", "score", "flagged", "cluster_id"])
        for platform, account_id in sorted(accounts):
            i = index.get(account_id)
            writer.writerow(
                [platform, account_id]
                + ([strength[i], "true", component[i]] if i is not None else [0.0, "false", ""])
            )
    return len(names)


#: the peer's four networks at its documented settings (60 s window, similarity 0.9)
CNT_NETWORKS = ("co_retweet", "co_tweet", "co_link", "co_similar_tweet")


def cnt_baseline(case_path: Path, work: Path, out_csv: Path, *, window: float = 60) -> int:
    """coordination-network-toolkit 1.5.2 on the same posts (written in its CSV format,
    accounts named ``platform:account_id``): its co_retweet, co_tweet, co_link (empty URLs
    removed, the workaround of benchmarks/detect.py) and co_similar_tweet networks. The
    peer gives weighted networks, not flags: an account is flagged when it has an edge of
    weight >= 2 (two or more co-actions, as cibscan's ``min_shared``) in any network; its
    score is its heaviest edge. Returns the flagged count."""
    import sqlite3

    from coordination_network_toolkit import compute_networks
    from coordination_network_toolkit.preprocess import preprocess_csv_files

    from cibscan.ingest.base import get_adapter

    peer_csv, db = work / "cnt.csv", work / "cnt.sqlite"
    db.unlink(missing_ok=True)
    header = ", ".join(
        f"{expr} AS {name}"
        for expr, name in zip(
            (
                "platform || ':' || post_id",
                "platform || ':' || account_id",
                "platform || ':' || account_id",
                "CASE WHEN repost_of_post IS NOT NULL THEN platform || ':' || repost_of_post END",
                "CASE WHEN reply_to_post IS NOT NULL THEN platform || ':' || reply_to_post END",
                "coalesce(text, '')",
                "CAST(epoch(created_at) AS BIGINT)",
                "array_to_string(urls, ' ')",
            ),
            get_adapter("cnt_csv").columns,
            strict=True,
        )
    )
    with open_case(case_path, create=False, read_only=True) as case:
        case.engine.copy_to(f"SELECT {header} FROM posts ORDER BY ALL", str(peer_csv), "csv")
        accounts = case.engine.fetchall("SELECT DISTINCT platform, account_id FROM posts")
    preprocess_csv_files(str(db), [str(peer_csv)])
    con = sqlite3.connect(db)
    con.execute("DELETE FROM message_url WHERE url = ''")
    con.commit()
    compute_networks.compute_co_retweet_parallel(str(db), window, n_threads=2)
    compute_networks.compute_co_tweet_network(str(db), window, n_threads=2)
    compute_networks.compute_co_link_network(str(db), window, n_threads=2)
    compute_networks.compute_co_similar_tweet(str(db), window, n_threads=2)
    heaviest: dict[str, float] = {}
    for network in CNT_NETWORKS:
        for a, b, w in con.execute(f"SELECT user_1, user_2, weight FROM {network}_network"):
            if a != b and w >= 2:
                for user in (a, b):
                    heaviest[user] = max(heaviest.get(user, 0.0), float(w))
    con.close()
    with out_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["platform", "account_id", "score", "flagged", "cluster_id"])
        for platform, account_id in sorted(accounts):
            w = heaviest.get(f"{platform}:{account_id}")
            writer.writerow([platform, account_id, w or 0.0, "true" if w else "false", ""])
    return len(heaviest)


def ties_only(case: Case, out_csv: Path) -> None:
    """Ablation: cibscan without the tells and the combination rule. Flagged = a significant
    coordination tie; score = the strongest signal sub-score (the same run, read before the
    rule)."""
    case.engine.execute(
        f"""COPY (
            SELECT s.platform, s.account_id,
                   coalesce(max(g.score), 0.0) AS score, s.tied AS flagged, s.cluster_id
            FROM account_scores AS s LEFT JOIN account_signal_scores AS g USING (acct)
            GROUP BY s.platform, s.account_id, s.tied, s.cluster_id
        ) TO '{out_csv}' (HEADER)"""
    )


@dataclass
class Result:
    """One method on one seed: its scores and its false positives per organic role."""

    method: str
    seed: int
    evaluation: Evaluation
    seconds: float
    false_positives: Counter[str]

    def row(self) -> str:
        e = self.evaluation
        return (
            f"| {self.method} | {self.seed} | {e.flagged} | {e.precision:.3f} | {e.recall:.3f} "
            f"| {e.f1:.3f} | {e.pr_auc:.3f} | {e.roc_auc:.3f} | {self.seconds:.1f} |"
        )


def organic_roles(truth: Path) -> dict[tuple[str, str], str]:
    """``(platform, account_id) -> role`` of every organic account in ``truth.csv``."""
    with truth.open(newline="", encoding="utf-8") as f:
        return {
            (r["platform"], r["account_id"]): r["role"] or "(none)"
            for r in csv.DictReader(f)
            if r["label"] != "campaign"
        }


def flagged_in_csv(accounts_csv: Path) -> set[tuple[str, str]]:
    """The accounts an ``accounts.csv`` (cibscan's columns) flags."""
    with accounts_csv.open(newline="", encoding="utf-8") as f:
        return {
            (r["platform"], r["account_id"])
            for r in csv.DictReader(f)
            if r["flagged"].strip().lower() in ("true", "1")
        }


def flagged_in_case(case: Case) -> set[tuple[str, str]]:
    rows = case.engine.fetchall("SELECT platform, account_id FROM account_scores WHERE flagged")
    return {(str(p), str(a)) for p, a in rows}


def false_positives(
    roles: dict[tuple[str, str], str], flagged: set[tuple[str, str]]
) -> Counter[str]:
    """Flagged organic accounts per truth role."""
    return Counter(roles[k] for k in flagged if k in roles)


def role_table(results: list[Result], sizes: dict[int, Counter[str]]) -> list[str]:
    """Markdown table: per method and seed, flagged / all organic accounts of each role."""
    roles = sorted({r for c in sizes.values() for r in c})
    lines = [
        "| method | seed | " + " | ".join(roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for r in results:
        cells = [f"{r.false_positives[x]}/{sizes[r.seed][x]}" for x in roles]
        lines.append(f"| {r.method} | {r.seed} | " + " | ".join(cells) + " |")
    return lines


def parse_params(scenario: str, pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings as typed overrides of the scenario's parameter dataclass."""
    params_type = SCENARIOS[scenario].params_type
    hints = typing.get_type_hints(params_type)
    names = {f.name for f in dataclasses.fields(params_type)}
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in names:
            raise ValueError(
                f"--param {pair!r}: expected KEY=VALUE with KEY one of {sorted(names)}"
            )
        kind = hints[key]
        out[key] = value.strip().lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--accounts", type=int, default=4000)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="spamouflage")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Override one scenario parameter (repeatable), e.g. ring_size=5.",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-accuracy"))
    parser.add_argument("--no-cnt", action="store_true", help="Skip the toolkit (needs .[bench]).")
    args = parser.parse_args()
    try:
        overrides = {"accounts": args.accounts, **parse_params(args.scenario, args.param)}
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.WARNING)
    results: list[Result] = []
    sizes: dict[int, Counter[str]] = {}
    for seed in args.seeds:
        work = args.workdir / f"seed{seed}"
        shutil.rmtree(work, ignore_errors=True)
        simulated = simulate(args.scenario, work / "data", seed, **overrides)
        truth = simulated.out_dir / "truth.csv"
        runs: list[tuple[str, Evaluation, float, set[tuple[str, str]]]] = []
        clock = time.perf_counter()
        result = run_pipeline([work / "data"], work / "cibscan", overwrite=True)
        ours = time.perf_counter() - clock
        ablation = work / "cibscan_ties_only.csv"
        with open_case(result.case_path, create=False, read_only=True) as case:
            ev = evaluate(truth, engine=case.engine)
            runs.append(("cibscan", ev, ours, flagged_in_case(case)))
            ties_only(case, ablation)
        ev = evaluate(truth, accounts_csv=ablation)
        runs.append(("cibscan, ties only", ev, ours, flagged_in_csv(ablation)))
        clock = time.perf_counter()
        baseline = work / "coortweet_accounts.csv"
        coortweet_style(result.case_path, baseline)
        theirs = time.perf_counter() - clock
        ev = evaluate(truth, accounts_csv=baseline)
        runs.append(("CooRTweet-style", ev, theirs, flagged_in_csv(baseline)))
        if not args.no_cnt:
            clock = time.perf_counter()
            peer = work / "cnt_accounts.csv"
            cnt_baseline(result.case_path, work, peer)
            theirs = time.perf_counter() - clock
            ev = evaluate(truth, accounts_csv=peer)
            runs.append(("coordination-network-toolkit", ev, theirs, flagged_in_csv(peer)))
        roles = organic_roles(truth)
        sizes[seed] = Counter(roles.values())
        results += [
            Result(method, seed, e, secs, false_positives(roles, flagged))
            for method, e, secs, flagged in runs
        ]
    print("| method | seed | flagged | precision | recall | F1 | PR-AUC | ROC-AUC | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(r.row() for r in results))
    print("\nFalse positives per organic role (flagged / accounts of the role):\n")
    print("\n".join(role_table(results, sizes)))


if __name__ == "__main__":
    main()
