"""Insular engagement and cross-platform personas: planted cases and organic look-alikes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cibscan.detect.pipeline import DetectReport, detect
from cibscan.store import Case
from tests import scenes
from tests.conftest import load, rows

DAY = scenes.DAY
post = scenes.post


def _tell(case: Case, tell: str) -> dict[str, dict[str, object]]:
    found = rows(
        case,
        """SELECT i.account_id, t.score, t.detail FROM account_tells AS t
           JOIN account_index AS i USING (acct) WHERE t.tell = ?""",
        tell,
    )
    return {str(r["account_id"]): r for r in found}


def _detect(case: Case, tmp_path: Path, posts: list[scenes.Post]) -> None:
    load(case, scenes.write(tmp_path / "posts.jsonl", posts), format="generic_jsonl")
    detect(case)


def amplified_personas(personas: int = 6, amplifiers: int = 20) -> list[scenes.Post]:
    """Spamouflage-like: six personas post eight originals each; twenty amplifiers repost
    five random originals each time and two of them comment, at human delays (20 min to
    6 h, so the co-action signals see little). The amplifiers engage nothing else, and no
    one else engages the personas: a closed group, one-way (personas do not engage back)."""
    rng = random.Random(23)
    posts: list[scenes.Post] = []
    for p in range(personas):
        for k in range(8):
            t = (p * 8 + k) * DAY * 9 / (personas * 8) + 3600
            pid = f"op_{p}_{k}"
            posts.append(post(pid, f"op_{p}", t, f"the truth about the region, part {p}-{k}"))
            chosen = rng.sample(range(amplifiers), 7)
            for n, a in enumerate(chosen):
                when = t + rng.uniform(1200, 6 * 3600)
                if n < 5:
                    posts.append(post(f"amp_{a}_{pid}", f"amp_{a}", when, repost_of_post=pid))
                else:
                    posts.append(
                        post(
                            f"amp_{a}_c_{pid}",
                            f"amp_{a}",
                            when,
                            f"so true {rng.randrange(1000)}",
                            reply_to_post=pid,
                            reply_to_account=f"op_{p}",
                        )
                    )
    return posts


def friends(people: int = 5, rounds: int = 3) -> list[scenes.Post]:
    """Organic look-alike: five friends who reply to each other (three times each way) and
    engage nobody else: a tight group, but a conversation (each engager is engaged back)."""
    rng = random.Random(29)
    posts: list[scenes.Post] = []
    for f in range(people):
        for n in range(6):
            posts.append(post(f"fr_{f}_{n}", f"friend_{f}", rng.uniform(0, 9 * DAY), f"hi {n}"))
    for f in range(people):
        for g in range(people):
            for r in range(rounds if f != g else 0):
                target = f"fr_{g}_{r}"
                posts.append(
                    post(
                        f"fr_{f}_re_{g}_{r}",
                        f"friend_{f}",
                        rng.uniform(0, 9 * DAY),
                        f"@friend_{g} haha {r}",
                        reply_to_post=target,
                        reply_to_account=f"friend_{g}",
                    )
                )
    return posts


@pytest.fixture(scope="module")
def insular_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    from cibscan.store import open_case

    folder = tmp_path_factory.mktemp("insular")
    posts = (
        scenes.organic_background()
        + scenes.viral_storm()
        + scenes.retweet_ring()
        + amplified_personas()
        + friends()
    )
    case = open_case(folder / "case.duckdb")
    _detect(case, folder, posts)
    return case


def test_amplified_personas_and_their_amplifiers_are_insular(insular_case: Case) -> None:
    found = _tell(insular_case, "insular_engagement")
    personas = {f"op_{p}" for p in range(6)}
    amps = {f"amp_{a}" for a in range(20)}
    assert personas <= set(found) and amps <= set(found)
    assert all(float(found[a]["score"]) >= 0.5 for a in personas | amps)  # type: ignore[arg-type]
    assert str(found["op_0"]["detail"]).startswith("closed group: 20 engagers spend 100%")


def test_ring_seed_gets_its_reposts_from_the_ring_cluster(insular_case: Case) -> None:
    """The retweet ring (a co_repost cluster) reposts ring_seed and nobody else: the seed,
    outside the cluster, receives all 48 reposts from it (cluster view)."""
    found = _tell(insular_case, "insular_engagement")
    seed = found["ring_seed"]
    assert float(seed["score"]) >= 0.5  # type: ignore[arg-type]
    assert str(seed["detail"]).startswith("48 of 48 reposts and quotes received came from 6")


def test_celebrity_fans_and_friends_are_not_insular(insular_case: Case) -> None:
    """Organic look-alikes: the popstar's reposts all come from thirty fans who repost
    nothing else, but one account with devoted fans is no group and the fans are no
    cluster; five friends replying only to each other are a conversation; the organic
    background's people engage the whole case."""
    found = _tell(insular_case, "insular_engagement")
    campaign = ("op_", "amp_", "ring_")
    assert not [a for a in found if not a.startswith(campaign)], found
