"""amplifies_cluster: an amplifier layer relaying a flagged core at human pace is flagged with
it; fans relaying an idol the same way are not."""

from __future__ import annotations

import hashlib
import random

import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.pipeline import detect
from cibscan.store import Case, open_case
from cibscan.tells.base import tells
from tests import scenes
from tests.conftest import load, rows, tell_rows

DAY = scenes.DAY
_FIRST = [
    "anna",
    "ben",
    "carla",
    "dev",
    "ella",
    "finn",
    "gina",
    "hugo",
    "iris",
    "jack",
    "kim",
    "leo",
    "mona",
    "nick",
    "olga",
    "paul",
]
_LAST = ["reed", "stone", "brook", "hill", "wood", "lake", "field", "marsh", "dale", "vale"]


def post(pid: str, account: str, t: float, text: str = "", **fields: object) -> scenes.Post:
    """A post whose author has an ordinary handle (two first names and a surname, no
    digits): the test accounts' own names (relay_3, fan_5) would rightly fire persona_names."""
    n = int(hashlib.sha256(account.encode()).hexdigest(), 16)
    handle = f"{_FIRST[n % 16]}{_LAST[(n >> 8) % 10]}{_FIRST[(n >> 16) % 16]}"
    return scenes.post(pid, account, t, text, handle=handle, **fields)


def _relay(rng: random.Random, who: str, source: str, t: float, n: int) -> list[scenes.Post]:
    """``who`` reposts ``source`` 2-10 minutes after ``t``, and also reposts three posts of
    accounts outside the case (so most of its engagement leaves the case, as the IRA's did:
    insular_engagement's loyalty is not met and cannot be what flags it)."""
    out = [post(f"{who}_rt_{source}", who, t + rng.uniform(120, 600), repost_of_post=source)]
    for k in range(3):
        outside = f"outside_{rng.randrange(10_000)}"
        when = t + rng.uniform(0, DAY / 2)
        out.append(post(f"{who}_x_{n}_{k}", who, when, repost_of_post=outside))
    return out


def core_and_relays(core: int = 5, relays: int = 8) -> list[scenes.Post]:
    """The operated network: ``core`` accounts post one identical slogan in the same minute
    on each of eight days (lockstep co_post: flagged on its own). ``relays`` accounts pass
    each core post along, four of them per post, 2-10 minutes later: ties among the relays
    are co_repost ties on *targets* (mean gap far above 20 s), which alone would read like
    fans. What they amplify is the flagged core's posts."""
    rng = random.Random(41)
    posts: list[scenes.Post] = []
    for d in range(8):
        t = (d + 1) * DAY + 3600
        text = f"day {d}: the region is stable and prosperous, ignore the foreign rumours"
        for c in range(core):
            pid = f"core_{c}_{d}"
            posts.append(post(pid, f"core_{c}", t + c * 7, text))
            for r in rng.sample(range(relays), 4):
                posts += _relay(rng, f"relay_{r}", pid, t, len(posts))
    return posts


def idol_fans(fans: int = 8) -> list[scenes.Post]:
    """The look-alike: an idol (no coordination of its own, in no cluster) posts once a day;
    four of eight fans pass each post along 2-10 minutes later, with the same outside
    reposts as the relays. Tied on targets like the relays, but what they amplify is one
    account that is not a coordinated cluster: nothing links them to a flagged network."""
    rng = random.Random(43)
    posts: list[scenes.Post] = []
    for d in range(8):
        for k in range(5):
            t = (d + 1) * DAY + 7200 + k * 3000
            pid = f"idol_{d}_{k}"
            posts.append(post(pid, "idol", t, f"new photo {d}-{k}, love you all"))
            for f in rng.sample(range(fans), 4):
                posts += _relay(rng, f"fan_{f}", pid, t, len(posts))
    return posts


def repost_crowd(people: int = 300) -> list[scenes.Post]:
    """The case's ordinary reposters: each passes along ten posts of accounts outside the case
    (a pool of 2,000), at random moments over nine days. Without a crowd, eight relays would
    be most of the case's reposters, and four of them reposting a post would be popular."""
    rng = random.Random(47)
    return [
        post(
            f"crowd_{c}_{k}",
            f"crowd_{c}",
            rng.uniform(0, 9 * DAY),
            repost_of_post=f"outside_{rng.randrange(2_000)}",
        )
        for c in range(people)
        for k in range(10)
    ]


def _flagged(case: Case) -> dict[str, dict[str, object]]:
    found = rows(
        case,
        """SELECT i.account_id, s.flagged, s.tied, s.reasons FROM account_scores AS s
           JOIN account_index AS i USING (acct)""",
    )
    return {str(r["account_id"]): r for r in found}


@pytest.fixture(scope="module")
def relay_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    folder = tmp_path_factory.mktemp("relay")
    posts = scenes.organic_background() + repost_crowd() + core_and_relays() + idol_fans()
    case = open_case(folder / "case.duckdb")
    load(case, scenes.write(folder / "posts.jsonl", posts), format="generic_jsonl")
    detect(case)
    return case


def test_relays_of_a_flagged_core_are_linked_and_flagged(relay_case: Case) -> None:
    scores = _flagged(relay_case)
    assert all(scores[f"core_{c}"]["flagged"] for c in range(5))
    relays = [f"relay_{r}" for r in range(8)]
    assert all(scores[r]["tied"] for r in relays)
    assert all(scores[r]["flagged"] for r in relays), {r: scores[r]["reasons"] for r in relays}
    amplifiers = tell_rows(relay_case, "amplifies_cluster")
    assert set(relays) <= set(amplifiers)
    core_cluster = rows(
        relay_case,
        """SELECT DISTINCT c.cluster_id FROM account_clusters AS c
           JOIN account_index AS i USING (acct) WHERE i.account_id = 'core_0'""",
    )[0]["cluster_id"]
    assert {amplifiers[r]["cluster_id"] for r in relays} == {core_cluster}
    assert f"amplifies cluster {core_cluster}:" in str(amplifiers["relay_0"]["detail"])
    assert "amplifies_cluster" in str(scores["relay_0"]["reasons"])


def test_fans_of_an_idol_are_not_flagged(relay_case: Case) -> None:
    scores = _flagged(relay_case)
    fans = [f"fan_{f}" for f in range(8)]
    # tied to each other on the idol's posts, like the relays on the core's, and left alone
    assert all(scores[f]["tied"] and not scores[f]["flagged"] for f in fans)
    assert "coordinated on targets (co_repost: idol_" in str(scores["fan_0"]["reasons"])
    assert not scores["idol"]["flagged"]
    assert not set(fans) & set(tell_rows(relay_case, "amplifies_cluster"))


def test_without_the_tell_the_relays_read_like_fans(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The same scene without amplifies_cluster: the relays stay tied on targets and
    unflagged, with the targets reason. The tell, not another one, flags them."""
    folder = tmp_path_factory.mktemp("relay_without")
    posts = scenes.organic_background() + repost_crowd() + core_and_relays()
    case = open_case(folder / "case.duckdb")
    load(case, scenes.write(folder / "posts.jsonl", posts), format="generic_jsonl")
    others = [name for name in tells() if name != "amplifies_cluster"]
    detect(case, DetectOptions(tells=others))
    scores = _flagged(case)
    assert all(scores[f"core_{c}"]["flagged"] for c in range(5))
    relays = [f"relay_{r}" for r in range(8)]
    assert all(scores[r]["tied"] and not scores[r]["flagged"] for r in relays)
    assert "coordinated on targets (co_repost" in str(scores["relay_0"]["reasons"])
