"""The simulator: deterministic, realistic enough to ingest cleanly, truth that lines up."""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.ingest.readers import expand_sources
from cibscan.simulate import SpamouflageParams, generate, simulate
from cibscan.store import Case
from tests.conftest import load, rows
from tests.stix_check import validator_findings

SMALL = {"accounts": 600, "days": 7}
FILES = ("x_io_tweets.csv", "x_v2.jsonl", "reddit.ndjson", "youtube.json")


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "case"
    simulate("spamouflage", out, seed=1, **SMALL)
    return out


def test_same_seed_same_bytes_other_seed_other_bytes(sim_dir: Path, tmp_path: Path) -> None:
    simulate("spamouflage", tmp_path / "again", seed=1, **SMALL)
    simulate("spamouflage", tmp_path / "other", seed=2, **SMALL)
    for name in (*FILES, "truth.csv"):
        again = (tmp_path / "again" / name).read_bytes()
        assert again == (sim_dir / name).read_bytes(), name
        assert (tmp_path / "other" / name).read_bytes() != again, name


def test_campaign_is_at_most_two_percent_and_has_every_role() -> None:
    for accounts in (500, 600, 4000):
        sim = generate("spamouflage", 5, accounts=accounts, days=5)
        campaign = [a for a in sim.accounts if a.label == "campaign"]
        assert 0 < len(campaign) <= 0.02 * len(sim.accounts)
    roles = {a.role for a in campaign}
    assert {"operator_persona", "amplifier", "hijacked", "regrowth"} <= roles
    organic_roles = {a.role for a in sim.accounts if a.label == "organic"}
    assert {
        "news_outlet",
        "brand",
        "fan",
        "fan_streamer",
        "fan_voter",
        "hashtag_gamer",
        "news_reader",
        "night_shift",
        "activist",
    } <= organic_roles


def test_every_file_ingests_cleanly_and_truth_matches_accounts(sim_dir: Path, case: Case) -> None:
    report = load(case, sim_dir)
    formats = {Path(f.source).name: f.format for f in report.files}
    assert formats == {
        "x_io_tweets.csv": "twitter_io_tweets",
        "x_v2.jsonl": "twitter_v2",
        "reddit.ndjson": "reddit_pushshift",
        "youtube.json": "youtube_comment_threads",
    }
    assert all(f.quarantined == 0 and f.stored == f.read > 0 for f in report.files)
    missing = rows(
        case,
        f"""SELECT t.platform, t.account_id
            FROM read_csv('{sim_dir / "truth.csv"}', all_varchar = true) AS t
            ANTI JOIN accounts AS a USING (platform, account_id)""",
    )
    assert missing == []
    n_truth = len((sim_dir / "truth.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert rows(case, "SELECT count(*) AS n FROM accounts")[0]["n"] == n_truth


def test_truth_csv_is_not_ingested_as_data(sim_dir: Path) -> None:
    assert sorted(Path(s.name).name for s in expand_sources(sim_dir)) == sorted(FILES)


def test_operators_post_on_beijing_office_hours_on_weekdays() -> None:
    sim = generate("spamouflage", 3, **SMALL)
    times = np.array(
        [
            p.t
            for p in sim.posts
            if p.account.role == "operator_persona" and sim.start <= p.t < sim.end
        ]
    )
    stamps = [datetime.fromtimestamp(int(t), UTC) for t in times]
    hours = np.bincount([s.hour for s in stamps], minlength=24)
    assert hours[1:10].sum() > 0.6 * hours.sum()
    assert int(np.argmax(hours)) in range(1, 10)
    weekdays = sum(1 for s in stamps if s.weekday() < 5)
    assert weekdays > 0.85 * len(stamps)


def test_cross_platform_mirrors_reuse_persona_handles_and_texts() -> None:
    sim = generate("spamouflage", 4, **SMALL)
    x_handles = {a.handle for a in sim.accounts if a.platform == "twitter"}
    mirrors = [a for a in sim.accounts if a.platform != "twitter" and a.label == "campaign"]
    assert mirrors and all(a.handle in x_handles for a in mirrors)
    x_texts = {p.text for p in sim.posts if p.account.platform == "twitter"}
    mirrored = [p for p in sim.posts if p.account in mirrors]
    assert any(p.text in x_texts for p in mirrored)


def test_cli_writes_the_files_and_reports_counts(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--out",
            str(tmp_path / "s"),
            "--seed",
            "9",
            "--accounts",
            "500",
            "--days",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "campaign 10" in result.output
    # each path whole on one line (never broken at the terminal's width), to copy it
    assert f"wrote {tmp_path / 's' / 'truth.csv'}:" in result.output
    assert all((tmp_path / "s" / name).is_file() for name in FILES)


def test_cli_rejects_unknown_scenario(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["simulate", "--scenario", "nope", "--out", str(tmp_path)])
    assert result.exit_code != 0


def test_every_parameter_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "simulator.md").read_text("utf-8")
    for f in dataclasses.fields(SpamouflageParams):
        assert f"| `{f.name}` |" in docs, f"docs/simulator.md lacks parameter {f.name}"


def test_demo_simulates_runs_and_evaluates_then_recognises_the_regrowth(tmp_path: Path) -> None:
    """`cibscan demo` writes every output and an evaluation whose counts match the truth;
    its whack-a-mole loop confirms period 1's campaign, fingerprints it, and matches its
    return in period 2 (new accounts posting about four times each) with precision and
    recall >= 0.9, while the distractor network and the organic accounts sharing the
    network's domains, hashtags or slogans (role topic_neighbor) are not matched."""
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--accounts", "500"])
    assert result.exit_code == 0, result.output
    for name in ("report.html", "network.stix.json", "network.gexf", "accounts.csv"):
        assert (tmp_path / name).stat().st_size > 0
    # the demo's STIX bundles (findings, library network): no validator error or warning
    for name in ("network.stix.json", "spamouflage.stix.json"):
        assert validator_findings(tmp_path / name) == [], name
    evaluation = json.loads((tmp_path / "evaluation.json").read_text(encoding="utf-8"))
    with (tmp_path / "data" / "period1" / "truth.csv").open(encoding="utf-8") as f:
        campaign = sum(1 for row in csv.DictReader(f) if row["label"] == "campaign")
    assert evaluation["campaign_accounts"] == campaign
    assert "evaluation against the truth" in result.output
    matching = json.loads((tmp_path / "period2" / "matching.json").read_text(encoding="utf-8"))
    score = matching["networks"]["spamouflage"]
    assert score["precision"] >= 0.9 and score["recall"] >= 0.9, score
    assert score["recall_reappeared"] == 1.0  # known members come back by identity
    assert "topic_neighbor" not in score["fp_by_role"] and not score["fp_by_network"]
    with (tmp_path / "period2" / "matches.csv").open(encoding="utf-8") as f:
        matched = [r for r in csv.DictReader(f) if r["matched"] == "true"]
    assert len(matched) == score["predicted"]
    assert "Known networks" in (tmp_path / "period2" / "report.html").read_text("utf-8")
    assert "matching network spamouflage" in result.output


# --- robustness knobs: each hides the campaign one way; at its default nothing changes ---


def test_paraphrase_zero_is_the_identity_and_draws_nothing() -> None:
    """Strength 0 must leave the text and the random stream alone (the default scenario is
    then byte-identical to the one before the knob existed); strength 1 rewords every
    political template (English and Chinese) and camouflage line."""
    from cibscan.simulate import texts
    from cibscan.simulate.paraphrase import paraphrase

    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    every = (*texts.POLITICAL_EN, *texts.POLITICAL_ZH, *texts.CAMOUFLAGE)
    for template in every:
        assert paraphrase(rng, template, 0.0) == template
    assert rng.bit_generator.state == before
    for template in every:
        assert paraphrase(rng, template, 1.0) != template


def _reused_share(sim: Any) -> float:
    """Share of regrowth and mirror texts found verbatim among the X network's own posts
    (an attack reply's leading "@journalist" aside)."""
    x_io = {p.text for p in sim.posts if p.account.sink == "x_io"}
    later = [
        p.text.split(" ", 1)[1] if p.kind == "reply" else p.text
        for p in sim.posts
        if p.account.label == "campaign"
        and p.kind != "repost"
        and (p.account.role == "regrowth" or p.account.platform != "twitter")
    ]
    return sum(t in x_io for t in later) / len(later)


def test_paraphrase_replaces_verbatim_reuse_by_rewording() -> None:
    # By default regrowth and mirror accounts copy the old texts verbatim: all are found
    # among the X network's posts. Paraphrasing at strength 1 rewords each copy afresh
    # (three rewordings, each certain), so almost none match byte for byte.
    assert _reused_share(generate("spamouflage", 5, **SMALL)) == 1.0
    assert _reused_share(generate("spamouflage", 5, paraphrase=1.0, **SMALL)) < 0.2


def _repost_delays(sim: Any) -> Any:
    return np.array(
        [
            p.t - p.ref.t
            for p in sim.posts
            if p.kind == "repost" and p.account.label == "campaign" and p.ref is not None
        ]
    )


def test_amplifier_delay_median_sets_the_repost_delays() -> None:
    # Lognormal delays, sigma 1: the sample median sits near the knob (90 s by default).
    fast = _repost_delays(generate("spamouflage", 6, **SMALL))
    slow = _repost_delays(generate("spamouflage", 6, amplifier_delay_median=3600, **SMALL))
    assert 45 < float(np.median(fast)) < 180 and fast.max() <= 1800
    assert 1800 < float(np.median(slow)) < 7200 and slow.max() <= 72000


def test_organic_noise_scales_the_authentic_look_alikes() -> None:
    # Every crowd of authentic look-alikes (the album's retweeters, the idol's fans, voters,
    # gamers, readers, streamers, activists) grows with the multiplier (0: none at all); the
    # campaign itself does not change size.
    crowds = {"fan", "fan_voter", "fan_streamer", "activist", "hashtag_gamer", "news_reader"}

    def crowd(noise: float) -> tuple[int, int, int]:
        sim = generate("spamouflage", 7, organic_noise=noise, **SMALL)
        storm = sum(1 for p in sim.posts if p.kind == "repost" and p.account.label == "organic")
        members = sum(1 for a in sim.accounts if a.role in crowds)
        return storm, members, sum(1 for a in sim.accounts if a.label == "campaign")

    def album(noise: float) -> int:
        sim = generate("spamouflage", 7, organic_noise=noise, **SMALL)
        return sum(1 for p in sim.posts if p.ref is not None and p.ref.text.startswith("New album"))

    none, default, triple = crowd(0.0), crowd(1.0), crowd(3.0)
    assert none[:2] == (0, 0)
    assert triple[0] > 2 * default[0] and triple[1] > 2 * default[1]
    assert none[2] == default[2] == triple[2]
    # valid up to viral_share 1 (the crowds are then cut to the people left)
    assert album(10.0) > album(3.0)


def test_robustness_knobs_are_validated() -> None:
    for bad in (
        {"paraphrase": 1.5},
        {"amplifier_delay_median": 0},
        {"organic_noise": 20},
        {"ring_size": 1},
        {"campaign_accounts": 1},
        {"missing_repost_ids": 1.5},
        {"accounts": 99},
    ):
        with pytest.raises(ValueError):
            SpamouflageParams(**bad)  # type: ignore[arg-type]
