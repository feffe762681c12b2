"""Detection on hand-built scenes with known answers (see tests/scenes.py for each story)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.on_spark import judge_on_duckdb
from cibscan.detect.pipeline import DetectReport, create_findings, detect, resolve_tells
from cibscan.export import export
from cibscan.store import Case
from cibscan.tells.base import tells
from tests import scenes
from tests.conftest import rows


def flagged(case: Case, column: str = "flagged") -> dict[str, int]:
    return {
        r["account_id"]: r["cluster_id"]
        for r in rows(case, f"SELECT account_id, cluster_id FROM account_scores WHERE {column}")
    }


def campaign(prefix: str) -> set[str]:
    return {f"{prefix}{i}" for i in range(6 if prefix == "ring_" else 5)}


def test_every_campaign_is_found_as_one_cluster(scene: tuple[Case, DetectReport]) -> None:
    case, _ = scene
    found = flagged(case, "tied")
    hostile = {f"hostile_{m}" for m in range(4)}
    for members in (
        campaign("ring_"),
        campaign("persona_"),
        campaign("shift_"),
        {"xp_x", "xp_r"},
        hostile,
    ):
        assert members <= set(found), f"missed {members - set(found)}"
        assert len({found[m] for m in members}) == 1, f"{members} split across clusters"
    assert len({found[m] for m in found}) == 5


def test_the_combination_rule_flags_corroborated_clusters(
    scene: tuple[Case, DetectReport],
) -> None:
    """The ring and the personas were registered in batches (creation_burst), the shift
    workers keep office hours (shift_schedule) with strong synchrony, the hostile ring shares
    many texts: all flagged. The X+Reddit pair posts the same four links to a site nobody
    else links to, within 30 s each time: lockstep strong enough alone (q ~ 1e-8). The small
    account the ring exists to amplify has no tie of its own, but every repost it gets comes
    from the flagged ring: linked to it as the ring's beneficiary."""
    case, _ = scene
    assert set(flagged(case)) == set(flagged(case, "tied")) | {"ring_seed"}
    (seed,) = rows(case, "SELECT reasons FROM account_scores WHERE account_id = 'ring_seed'")
    assert seed["reasons"].startswith("tells: insular_engagement (")
    assert "received came from 6 members of cluster" in seed["reasons"]
    (pair,) = rows(case, "SELECT reasons, score FROM account_scores WHERE account_id = 'xp_x'")
    assert pair["reasons"].startswith("co_url: tied to 1 account(s)") and pair["score"] > 0.75
    (ring,) = rows(case, "SELECT reasons FROM account_scores WHERE account_id = 'ring_0'")
    assert "; tells: creation_burst (" in ring["reasons"]


def test_no_organic_account_is_flagged(scene: tuple[Case, DetectReport]) -> None:
    """Fans of a viral post, debate live-tweeters, petition signers, newspaper readers and
    the ordinary background all act together in some way; none of it is coordination (not
    even tied)."""
    case, _ = scene
    organic = [a for a in flagged(case, "tied") if not a.startswith(scenes.CAMPAIGN_PREFIXES)]
    assert organic == []


@pytest.mark.parametrize(
    ("member", "layer"),
    [
        ("ring_0", "co_repost"),
        ("persona_0", "near_duplicate"),
        ("shift_0", "sync_activity"),
        ("xp_x", "co_url"),
    ],
)
def test_each_campaign_is_explained_by_its_signal(
    scene: tuple[Case, DetectReport], member: str, layer: str
) -> None:
    case, _ = scene
    (row,) = rows(
        case,
        f"SELECT reasons, score, score_{layer} AS sub FROM ("
        "SELECT s.*, ss.score AS score_" + layer + " FROM account_scores AS s "
        "JOIN account_signal_scores AS ss USING (acct) WHERE ss.signal = ?) WHERE account_id = ?",
        layer,
        member,
    )
    # the strongest coordination reason comes first (after the rule's verdict, if any)
    assert re.sub(r"^not flagged: [^;]*; ", "", row["reasons"]).startswith(layer + ":")
    assert row["sub"] >= 0.5
    assert row["score"] >= row["sub"] - 1e-9  # flagged: the score adds the tells


def test_cross_platform_cluster_spans_both_platforms(scene: tuple[Case, DetectReport]) -> None:
    case, _ = scene
    (cluster,) = rows(
        case,
        "SELECT c.* FROM clusters AS c JOIN account_scores AS s USING (cluster_id) "
        "WHERE s.account_id = 'xp_r'",
    )
    assert cluster["platforms"] == ["reddit", "twitter"]
    # the same four links (co_url) on a site nobody else links to (co_domain)
    assert cluster["size"] == 2 and set(cluster["layers"]) == {"co_url", "co_domain"}


def test_cluster_metrics(scene: tuple[Case, DetectReport]) -> None:
    """The ring retweets within 3 s of each other: every tie is synchronous, the ring is a
    clique (density 1); the personas post hours apart (synchrony 0)."""
    case, _ = scene
    by_member = {
        r["account_id"]: r
        for r in rows(
            case,
            "SELECT s.account_id, c.* FROM clusters AS c JOIN account_scores AS s "
            "USING (cluster_id) WHERE s.account_id IN ('ring_0', 'persona_0')",
        )
    }
    ring, personas = by_member["ring_0"], by_member["persona_0"]
    assert (ring["size"], ring["n_edges"], ring["density"]) == (6, 15, 1.0)
    assert ring["synchrony"] == 1.0 and ring["median_min_dt"] <= 15
    assert personas["synchrony"] == 0.0


def test_evidence_backs_every_significant_tie(scene: tuple[Case, DetectReport]) -> None:
    case, _ = scene
    missing = rows(
        case,
        "SELECT p.signal, p.a, p.b FROM pairs AS p WHERE p.significant AND NOT EXISTS ("
        "SELECT 1 FROM evidence AS e WHERE e.signal = p.signal AND e.a = p.a AND e.b = p.b)",
    )
    assert missing == []
    ring = rows(
        case,
        "SELECT e.* FROM evidence AS e JOIN account_index AS i ON i.acct = e.a "
        "WHERE e.signal = 'co_repost' AND i.account_id = 'ring_0'",
    )
    assert ring and all(
        e["dt"] <= 60 and e["object"].startswith("twitter|ring_seed_") for e in ring
    )


def test_exports_follow_the_documented_contract(
    scene: tuple[Case, DetectReport], tmp_path: Path
) -> None:
    case, report = scene
    export(case, "csv", tmp_path / "accounts.csv", "accounts")
    with open(tmp_path / "accounts.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        table = list(reader)
        header = reader.fieldnames or []
    assert header[:7] == [
        "platform",
        "account_id",
        "handle",
        "score",
        "flagged",
        "cluster_id",
        "reasons",
    ]
    signal_columns = [f"score_{run.name}" for run in report.signals]
    tell_columns = [f"score_{name}" for name in tells()]  # DEFAULT_TELLS order
    assert header[7:] == [*signal_columns, *tell_columns]
    assert len(table) == report.accounts
    ring = next(r for r in table if r["account_id"] == "ring_3")
    assert ring["flagged"] == "true" and float(ring["score_co_repost"]) >= 0.5
    for what in ("edges", "clusters", "evidence"):
        assert export(case, "parquet", tmp_path / f"{what}.parquet", what) > 0


def test_run_is_recorded_with_parameters(scene: tuple[Case, DetectReport]) -> None:
    case, report = scene
    (run,) = rows(case, "SELECT * FROM detect_runs")
    # 6 + 5 + 5 + 2 campaign + 4 hostile, and the ring's seed linked to the ring
    assert run["n_flagged"] == report.flagged == 23
    assert '"corroborated": 6.0' in run["params"] and '"tell_alone": 12.0' in run["params"]
    co_repost = '"co_repost": {"lockstep": "20s", "max_accounts": 1000, "window": "15m"}'
    assert co_repost in run["params"]


def test_a_case_without_posts_gives_no_findings(case: Case) -> None:
    report = detect(case)
    assert (report.posts, report.pairs, report.flagged, report.clusters) == (0, 0, 0, 0)


def test_bad_parameters_fail_before_any_work(case: Case) -> None:
    with pytest.raises(ValueError, match="no parameter"):
        detect(case, DetectOptions(params={"co_repost": {"widow": "1m"}}))
    with pytest.raises(ValueError, match="not a duration"):
        detect(case, DetectOptions(window="soon"))
    with pytest.raises(ValueError, match="unknown signal"):
        detect(case, DetectOptions(signals=["co_everything"]))


def test_window_sets_time_windowed_signals_and_leaves_case_wide_ones() -> None:
    """``--window 60s`` narrows co_repost (15 min by default) and co_url to 60 s, but
    near_duplicate compares copypasta over the whole case by design: the README's example
    turned it into a 60 s signal and the demo's 58 flagged accounts into 0. It keeps its
    case-wide window unless its own parameter says otherwise."""
    from cibscan.detect.pipeline import resolve_signals

    def windows(options: DetectOptions) -> dict[str, object]:
        return {s.name: p.get("window") for s, p in resolve_signals(options)}

    narrowed = windows(DetectOptions(window="60s"))
    default = windows(DetectOptions())
    assert narrowed["co_repost"] == narrowed["co_url"] != default["co_repost"]
    assert narrowed["near_duplicate"] == default["near_duplicate"]
    own = windows(DetectOptions(window="60s", params={"near_duplicate": {"window": "60s"}}))
    assert own["near_duplicate"] == narrowed["co_url"]


def test_tells_a_spark_run_cannot_run_are_skipped_and_said(
    case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    """The DuckDB half of a Spark run (no Spark needed): Spark read 100 posts from Parquet,
    but this case holds none, so the tells, which run on the case's posts until they are
    ported, cannot run. They are skipped with a warning and returned for the run's record
    (``spark.tells_skipped``), never dropped silently; the scores still follow."""
    engine = case.engine
    create_findings(engine)
    engine.execute("CREATE TABLE account_index (acct BIGINT, platform VARCHAR, account_id VARCHAR)")
    options = DetectOptions(engine="spark", posts_parquet="posts/")
    chosen = resolve_tells(options)
    skipped = judge_on_duckdb(engine, options, chosen, DetectReport(run_id=1, posts=100))
    assert skipped == [tell.name for tell, _ in chosen] != []
    assert "are skipped" in caplog.text and "posts/" in caplog.text
    assert engine.fetchall("SELECT count(*) FROM account_tells") == [(0,)]
