"""Insular engagement and cross-platform personas: planted cases and organic look-alikes."""

from __future__ import annotations

import random

import pytest

from cibscan.store import Case
from tests import scenes
from tests.conftest import detect_posts as _detect
from tests.conftest import rows
from tests.conftest import tell_rows as _tell

DAY = scenes.DAY
post = scenes.post


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


def voters_among_fans(fans: int = 120, voters: int = 5) -> list[scenes.Post]:
    """Organic look-alike: an idol's twelve posts are reposted by a crowd of fans within
    the hour; five of them also paste the same vote text in the same minute on six days,
    a lockstep cluster. That cluster sends the idol far more reposts than its share of
    the case's engagement predicts, but a twentieth of what the idol gets: the idol has a
    crowd, not a network, and the voters are not its amplifiers."""
    rng = random.Random(31)
    out: list[scenes.Post] = []
    for k in range(12):
        t = k * DAY * 0.75 + 7200
        out.append(post(f"idol_{k}", "idol", t, f"new stage photo {k}"))
        for f in range(fans):
            if f < voters or rng.random() < 0.5:
                when = t + rng.uniform(60, 3600)
                out.append(post(f"ifan_{f}_{k}", f"ifan_{f}", when, repost_of_post=f"idol_{k}"))
    for day in range(6):
        for v in range(voters):
            t = day * DAY + 20 * 3600 + 7 * v
            out.append(
                post(f"vote_{v}_{day}", f"ifan_{v}", t, f"vote for idol at the awards {day}")
            )
    return out


def test_an_idol_with_a_crowd_is_not_insular(tmp_path_factory: pytest.TempPathFactory) -> None:
    from cibscan.store import open_case

    folder = tmp_path_factory.mktemp("idol")
    case = open_case(folder / "case.duckdb")
    _detect(case, folder, scenes.organic_background() + voters_among_fans())
    tied = rows(case, "SELECT account_id FROM account_scores WHERE tied ORDER BY account_id")
    assert [r["account_id"] for r in tied] == [f"ifan_{v}" for v in range(5)]
    assert _tell(case, "insular_engagement") == {}


_PROFILE = ("acct_display_name", "acct_profile_image_hash", "acct_description")


def _profiles(posts: list[scenes.Post], profiles: dict[str, dict[str, str]]) -> list[scenes.Post]:
    """Every post names the profile fields (the generic adapter reads the first line's)."""
    for p in posts:
        p.update(dict.fromkeys(_PROFILE) | profiles.get(p["account_id"], {}))
    return posts


def persona_scene() -> list[scenes.Post]:
    """The retweet ring (an X cluster) has twins elsewhere: a YouTube channel with ring_0's
    handle, a Reddit account whose bio links x.com/ring_1, a TikTok account with ring_2's
    profile image. The cross-platform pair (X and Reddit, tied by co_url) is one persona by
    content. Organic look-alikes: a coffee brand with one handle on five platforms posting
    the same two announcements a day apart on each; two John Smiths on X and Reddit with
    different handles and photos."""
    posts = scenes.organic_background() + scenes.retweet_ring() + scenes.cross_platform_pair()
    posts += [
        post(
            f"yt_{k}",
            "UCa1b2c3",
            2 * DAY + k * 5000,
            f"video {k}",
            platform="youtube",
            handle="ring_0",
        )
        for k in range(3)
    ]
    posts += [
        post(f"rd_{k}", "throwaway77", 2 * DAY + k * 7000, f"opinion {k}", platform="reddit")
        for k in range(3)
    ]
    posts += [
        post(f"tt_{k}", "tt_9911", 2 * DAY + k * 6000, f"clip {k}", platform="tiktok")
        for k in range(3)
    ]
    for n, platform in enumerate(("twitter", "youtube", "reddit", "tiktok", "bluesky")):
        for k, text in enumerate(("new autumn blend in stores", "our cafe opens on main street")):
            posts.append(
                post(
                    f"acme_{platform}_{k}",
                    f"acme_{platform}",
                    5 * DAY + k * 3 * DAY + n * DAY / 2,
                    text,
                    platform=platform,
                    handle="AcmeCoffee",
                )
            )
    posts += [
        post(f"js_{p}_{k}", f"js_{p}", 6 * DAY + k * 9000, f"my day {k}", platform=p, handle=h)
        for p, h in (("twitter", "jsmith_1984"), ("reddit", "smithy_j"))
        for k in range(2)
    ]
    # two unrelated Helen Hills who both picked the obvious handle, one of them ring-linked
    # through nothing: a common person's name is no identity link
    posts += [
        post(
            f"hh_{p}_{k}",
            f"hh_{p}",
            7 * DAY + k * 8000,
            f"hello {k}",
            platform=p,
            handle="helen_hill",
        )
        for p in ("twitter", "youtube")
        for k in range(2)
    ]
    return _profiles(
        posts,
        {
            "ring_2": {"acct_profile_image_hash": "f0e1d2c3b4a59687"},
            "tt_9911": {"acct_profile_image_hash": "f0e1d2c3b4a59687"},
            "throwaway77": {"acct_description": "also on https://x.com/ring_1 follow me"},
            "js_twitter": {"acct_display_name": "John Smith", "acct_profile_image_hash": "aa11"},
            "js_reddit": {"acct_display_name": "John Smith", "acct_profile_image_hash": "bb22"},
        },
    )


@pytest.fixture(scope="module")
def persona_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    from cibscan.store import open_case

    folder = tmp_path_factory.mktemp("personas")
    case = open_case(folder / "case.duckdb")
    _detect(case, folder, persona_scene())
    return case


def _personas(case: Case) -> dict[str, tuple[int, str]]:
    found = rows(
        case,
        """SELECT i.platform || ':' || i.account_id AS who, p.persona_id, p.basis
           FROM account_personas AS p JOIN account_index AS i USING (acct)""",
    )
    return {str(r["who"]): (int(r["persona_id"]), str(r["basis"])) for r in found}


def test_twins_of_a_cluster_are_one_persona_and_score(persona_case: Case) -> None:
    personas = _personas(persona_case)
    assert personas["youtube:UCa1b2c3"][1] == "handle"
    assert personas["youtube:UCa1b2c3"][0] == personas["twitter:ring_0"][0]
    assert personas["reddit:throwaway77"][1] == "bio"
    assert personas["reddit:throwaway77"][0] == personas["twitter:ring_1"][0]
    assert personas["tiktok:tt_9911"][0] == personas["twitter:ring_2"][0]
    assert personas["reddit:xp_r"][1] == "content"
    found = _tell(persona_case, "cross_platform")
    for twin in ("UCa1b2c3", "throwaway77", "tt_9911", "ring_0"):
        assert float(found[twin]["score"]) >= 0.5  # type: ignore[arg-type]
    assert str(found["UCa1b2c3"]["detail"]).startswith(
        "one persona of 2 accounts on twitter, youtube (linked by handle)"
    )


def test_a_brand_is_a_persona_without_score_and_namesakes_are_not_linked(
    persona_case: Case,
) -> None:
    personas = _personas(persona_case)
    brand = {personas[f"{p}:acme_{p}"] for p in ("twitter", "youtube", "reddit", "tiktok")}
    assert len({pid for pid, _ in brand}) == 1  # one persona, recorded
    assert "twitter:js_twitter" not in personas and "reddit:js_reddit" not in personas
    assert "twitter:hh_twitter" not in personas and "youtube:hh_youtube" not in personas
    found = _tell(persona_case, "cross_platform")
    assert not [a for a in found if a.startswith(("acme_", "js_"))]
    assert all(
        a.startswith(scenes.CAMPAIGN_PREFIXES) or a in ("UCa1b2c3", "throwaway77", "tt_9911")
        for a in found
    ), found


def test_a_tie_between_two_personas_mirrors_does_not_merge_them(tmp_path: object) -> None:
    """Two operator personas, each on X and TikTok under one handle (an identity link
    each): Dana's TikTok account and Eli's X account push the same four links within 25
    seconds, their only tie across platforms. A coordination tie alone makes two accounts
    one persona only when neither has an identity link: here it chained Dana and Eli into
    one persona of four accounts (the simulated mirrors of issue 19 lost their personas
    this way, once a persona held too many accounts of one platform)."""
    from pathlib import Path

    from cibscan.store import open_case

    posts = scenes.organic_background()
    for who, platform, handle in (
        ("dana_x", "twitter", "DanaWrites7781"),
        ("dana_tt", "tiktok", "danawrites7781"),
        ("eli_x", "twitter", "EliNotes5402"),
        ("eli_tt", "tiktok", "elinotes5402"),
    ):
        posts += [
            post(f"{who}_{k}", who, 8 * DAY + k * 7000, f"note {k}", platform=platform,
                 handle=handle)
            for k in range(2)
        ]  # fmt: skip
    for k in range(4):
        url = f"https://pushed-site.example.org/b/{k}"
        t = 4 * DAY + k * 9000
        posts.append(post(f"dtt_{k}", "dana_tt", t, f"watch {url}", urls=[url],
                          platform="tiktok", handle="danawrites7781"))  # fmt: skip
        posts.append(post(f"ex_{k}", "eli_x", t + 25, f"read {url}", urls=[url],
                          handle="EliNotes5402"))  # fmt: skip
    folder = Path(str(tmp_path))
    with open_case(folder / "case.duckdb") as case:
        _detect(case, folder, posts)
        personas = _personas(case)
    dana = {personas["twitter:dana_x"][0], personas["tiktok:dana_tt"][0]}
    eli = {personas["twitter:eli_x"][0], personas["tiktok:eli_tt"][0]}
    assert len(dana) == 1 and len(eli) == 1  # each persona by its handle
    assert dana != eli
