"""The simulator's organic hard negatives and hard campaign shapes: each crowd is present in a
small case, with its truth role and the shape that makes it hard (coordinated on a target, a
tag, a link or an original, yet authentic)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.simulate import Simulation, generate, simulate
from cibscan.simulate.base import Post
from cibscan.simulate.crowd_texts import GAMES
from cibscan.store import Case
from tests.conftest import load, rows

SMALL = {"accounts": 600, "days": 7}
NEGATIVE_ROLES = ("fan", "fan_voter", "hashtag_gamer", "news_reader", "activist")


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return generate("spamouflage", 11, **SMALL)


def _by_role(sim: Simulation, role: str) -> list[Post]:
    return [p for p in sim.posts if p.account.role == role]


def test_every_negative_has_its_role_in_the_truth(tmp_path: Path) -> None:
    simulate("spamouflage", tmp_path, seed=11, **SMALL)
    with (tmp_path / "truth.csv").open(encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    roles = Counter(r["role"] for r in truth)
    assert all(roles[r] > 0 for r in NEGATIVE_ROLES), roles
    assert roles["fan"] == 60  # a tenth of the accounts, as 400 of 4,000
    assert {r["label"] for r in truth if r["role"] in NEGATIVE_ROLES} == {"organic"}


def test_fan_voters_post_every_few_minutes_within_one_hour_in_their_own_words(
    sim: Simulation,
) -> None:
    votes = [p for p in _by_role(sim, "fan_voter") if "VoteNova" in p.hashtags]
    voters = {p.account.account_id for p in votes}
    assert len(voters) >= 2
    assert all({m.handle for m in p.mentions} == {"novastar", "nova_official"} for p in votes)
    assert all("@novastar @nova_official" in p.text for p in votes)
    t = np.array([p.t for p in votes])
    assert t.max() - t.min() <= 3600
    assert len({p.text for p in votes}) == len(votes)  # never a copied text
    gaps = [
        np.median(np.diff(sorted(p.t for p in votes if p.account.account_id == v))) for v in voters
    ]
    assert all(120 <= g <= 480 for g in gaps), gaps


def test_idol_storm_reposts_within_minutes_at_human_delays(sim: Simulation) -> None:
    idol = [p for p in sim.posts if p.account.handle == "novastar" and p.kind == "post"]
    tagging = [p for p in idol if len(p.mentions) >= 4]
    assert len(tagging) >= 4.3 * 7 - 1 and all(len(p.mentions) <= 6 for p in tagging)
    engaged = [p for p in sim.posts if p.ref in tagging and p.account.role in ("fan", "fan_voter")]
    delays = np.array([p.t - p.ref.t for p in engaged if p.ref is not None])
    assert 60 <= float(np.median(delays)) <= 600  # minutes, not seconds
    assert delays.min() >= 15
    per_post = Counter(p.ref.post_id for p in engaged if p.ref is not None)
    fans = sum(1 for a in sim.accounts if a.role in ("fan", "fan_voter"))
    assert float(np.median(list(per_post.values()))) > 0.3 * fans
    quotes = [p for p in engaged if p.kind == "quote"]
    assert quotes and len({p.text for p in quotes}) > 0.5 * len(quotes)


def test_hashtag_game_jokes_are_own_words_within_two_hours(sim: Simulation) -> None:
    jokes = [p for p in _by_role(sim, "hashtag_gamer") if set(p.hashtags) & set(GAMES)]
    assert len(jokes) >= 10
    for tag in {p.hashtags[0] for p in jokes}:
        game = [p for p in jokes if p.hashtags == (tag,)]
        t = [p.t for p in game]
        assert max(t) - min(t) <= 2 * 3600
        assert len({p.text for p in game}) >= 0.9 * len(game)


def test_news_readers_share_a_breaking_link_within_minutes(sim: Simulation) -> None:
    breaking = [p for p in sim.posts if p.text.startswith("BREAKING: ")]
    assert len(breaking) == 4
    readers = sum(1 for a in sim.accounts if a.role == "news_reader")
    for story in breaking:
        shares = [p for p in _by_role(sim, "news_reader") if p.urls == story.urls]
        assert len(shares) >= 0.2 * readers
        assert float(np.median([p.t - story.t for p in shares])) <= 600
        assert len({p.text for p in shares}) == len(shares)


def test_activists_paste_the_petition_text_with_small_edits_within_a_day() -> None:
    sim = generate("spamouflage", 11, activist_share=0.08, **SMALL)
    activists = {a.account_id for a in sim.accounts if a.role == "activist"}
    pasted = [p for p in _by_role(sim, "activist") if "I just signed" in p.text]
    assert {p.account.account_id for p in pasted} == activists
    assert max(p.t for p in pasted) - min(p.t for p in pasted) < 86400
    assert 1 < len({p.text for p in pasted}) < len(pasted)  # edited, yet often identical
    assert all(p.urls and "petitions.example.org" in p.urls[0] for p in pasted)


def test_about_half_of_ordinary_posts_mention_someone(sim: Simulation) -> None:
    own = [
        p
        for p in sim.posts
        if p.account.platform == "twitter"
        and p.account.role == "organic"
        and p.kind in ("post", "reply")
    ]
    share = sum(1 for p in own if p.mentions) / len(own)
    assert 0.35 < share < 0.65


def _v2_pages(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_share_of_reposts_lose_their_original_after_ingest(tmp_path: Path, case: Case) -> None:
    simulate("spamouflage", tmp_path, seed=11, **SMALL)
    report = load(case, tmp_path)
    assert all(f.quarantined == 0 for f in report.files)
    counts = rows(
        case,
        """SELECT count(*) FILTER (WHERE repost_of_post IS NULL) AS no_id,
                  count(*) FILTER (WHERE repost_of_account IS NULL) AS no_author,
                  count(*) AS n
           FROM posts WHERE kind = 'repost'""",
    )[0]
    assert counts["no_id"] > 0  # IO archive rows: is_retweet with no retweeted ids
    assert counts["no_author"] > counts["no_id"]  # v2: the original absent from includes
    assert counts["no_author"] < 0.5 * counts["n"]
    with_errors = [p for p in _v2_pages(tmp_path / "x_v2.jsonl") if p.get("errors")]
    assert with_errors
    page = with_errors[0]
    included = {t["id"] for t in page["includes"]["tweets"]}
    assert all(e["resource_id"] not in included for e in page["errors"])


def test_no_repost_loses_its_original_at_share_zero() -> None:
    sim = generate("spamouflage", 11, missing_repost_ids=0.0, **SMALL)
    assert not any(p.ref_missing for p in sim.posts)


def _components(pairs: list[tuple[str, str]]) -> int:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    return len({find(x) for x in parent})


def test_hard_scenario_has_independent_rings_quotes_and_human_delays() -> None:
    sim = generate("spamouflage-hard", 11, campaign_accounts=20, **SMALL)
    echoes = [
        p
        for p in sim.posts
        if p.account.role == "amplifier" and p.kind in ("repost", "quote") and p.ref is not None
    ]
    pairs = [(p.account.account_id, p.ref.account.account_id) for p in echoes if p.ref]
    assert _components(pairs) >= 3  # 15 X accounts in rings of 5
    assert 0.1 < sum(p.kind == "quote" for p in echoes) / len(echoes) < 0.5
    delays = [p.t - p.ref.t for p in echoes if p.ref]
    assert float(np.median(delays)) > 300


def test_a_ring_of_five_in_a_case_of_about_a_thousand_posts(tmp_path: Path, case: Case) -> None:
    report = simulate(
        "spamouflage",
        tmp_path,
        seed=5,
        accounts=150,
        days=3,
        campaign_accounts=5,
        ring_size=5,
        news_outlets=2,
        organic_posts_mean=3.0,
    )
    assert report.labels["campaign"] == 5
    assert {"operator_persona", "amplifier"} <= set(report.roles)
    load(case, tmp_path)
    posts = rows(case, "SELECT count(*) AS n FROM posts")[0]["n"]
    assert 500 <= posts <= 2000
    assert rows(case, "SELECT count(*) AS n FROM accounts")[0]["n"] == 150


def test_cli_offers_the_hard_scenario(tmp_path: Path) -> None:
    args = ["simulate", "--scenario", "spamouflage-hard", "--out", str(tmp_path)]
    result = CliRunner().invoke(main, [*args, "--accounts", "500", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "campaign 10" in result.output
