"""Hand-built detection scenes with known answers, written as generic JSON lines.

Each scene is a list of post dicts (the generic_jsonl adapter's field names). The comments say
what each scene is and why the expected answer is right; tests/test_detect.py checks them.

Times are seconds after T0 (2024-03-04 00:00 UTC, a Monday). The organic background is drawn
from a seeded generator so that the null model has a population to compare with: 80 people
who post their own texts, retweet a few popular posts and share news links at human pace.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2024, 3, 4, tzinfo=UTC)
DAY = 86400

Post = dict[str, Any]
# The generic adapter reads the fields named on the first line, so every post names them all.
_LIST_FIELDS = ("urls", "hashtags", "mentions")
_REF_FIELDS = ("repost_of_post", "reply_to_post", "reply_to_account")


def post(
    pid: str,
    account: str,
    t: float,
    text: str = "",
    *,
    platform: str = "twitter",
    **fields: Any,
) -> Post:
    """One post; ``t`` is seconds after T0."""
    row: Post = {name: [] for name in _LIST_FIELDS}
    row |= dict.fromkeys(_REF_FIELDS)
    row.update(
        {
            "platform": platform,
            "post_id": pid,
            "account_id": account,
            "created_at": (T0 + timedelta(seconds=t)).isoformat(),
            "text": text,
            "acct_handle": fields.pop("handle", account),
            "acct_created_at": None,
        }
    )
    row.update(fields)
    return row


def write(path: Path, posts: list[Post]) -> Path:
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts))
    return path


_WORDS = "coffee rain garden train weekend match book music dinner city river family work school movie walk market sunset bread phone holiday concert friends office"  # noqa: E501
_WORDS_LIST = _WORDS.split(" ")


def organic_background(seed: int = 7, people: int = 80, days: int = 10) -> list[Post]:
    """Ordinary people: own texts at random hours, retweets of a celebrity's posts spread
    over hours, news links shared at reading pace, replies to each other's posts minutes to
    hours later, and mentions of well-known accounts. Nothing here is coordinated, so none of
    it may be flagged."""
    rng = random.Random(seed)
    posts: list[Post] = []
    news = [f"https://news.example.org/story/{i}" for i in range(40)]
    dates = random.Random(seed + 1000)  # its own generator: the posts stay as they were
    joined = {f"person_{p}": T0 - timedelta(days=dates.uniform(30, 3650)) for p in range(people)}
    famous = ["mayor", "footballclub", "dissident_x", "weatherman", "popstar", "journalist"]
    celebrity = [f"celeb_{i}" for i in range(15)]
    for i in range(15):
        posts.append(post(celebrity[i], "celebrity", i * DAY * days / 15, f"big news {i}"))
    for person in range(people):
        account = f"person_{person}"
        for n in range(rng.randint(8, 30)):
            t = rng.uniform(0, days) * DAY
            words = " ".join(rng.choice(_WORDS_LIST) for _ in range(rng.randint(5, 14)))
            pid = f"{account}_{n}"
            kind = rng.random()
            if kind < 0.2:
                orig = rng.randrange(15)
                t = orig * DAY * days / 15 + rng.expovariate(1 / 7200)
                posts.append(post(pid, account, t, repost_of_post=celebrity[orig]))
            elif kind < 0.3:
                url = news[min(int(rng.expovariate(1 / 8)), 39)]
                posts.append(post(pid, account, t, f"{words} {url}", urls=[url]))
            elif kind < 0.35:
                url = f"https://blog-{rng.randrange(30)}.example.com/post/{rng.randrange(500)}"
                posts.append(post(pid, account, t, f"{words} {url}", urls=[url]))
            elif kind < 0.5 and posts:
                target = rng.choice(posts[-200:])
                t = _seconds(target) + rng.expovariate(1 / 5400)
                posts.append(
                    post(
                        pid,
                        account,
                        t,
                        f"@{target['account_id']} {words}",
                        reply_to_post=target["post_id"],
                        reply_to_account=target["account_id"],
                    )
                )
            elif kind < 0.6:
                who = famous[min(int(rng.expovariate(1 / 1.5)), len(famous) - 1)]
                posts.append(post(pid, account, t, f"@{who} {words}", mentions=[who]))
            elif kind < 0.85:
                tags = rng.choice(_TAG_STRINGS)
                text = f"{words} {n} " + " ".join("#" + tag for tag in tags)
                posts.append(post(pid, account, t, text, hashtags=list(tags)))
            else:
                posts.append(post(pid, account, t, f"{words} {n}"))
    return with_creation_dates(posts, joined)


def with_creation_dates(posts: list[Post], created: dict[str, datetime]) -> list[Post]:
    """Name each post's account creation time (``acct_created_at``; the generic adapter
    reads account fields from the posts). Accounts not in ``created`` keep theirs, if any."""
    for p in posts:
        if p["account_id"] in created:
            p["acct_created_at"] = created[p["account_id"]].isoformat()
    return posts


def batch_created(accounts: list[str], days_before: float) -> dict[str, datetime]:
    """``accounts`` registered one every three hours, ``days_before`` T0: the batch
    registration the public reporting describes (creation_burst)."""
    start = T0 - timedelta(days=days_before)
    return {account: start + timedelta(hours=3 * m) for m, account in enumerate(accounts)}


# What people tag: single trending tags and the odd habitual pair.
_TAG_STRINGS = [
    ("monday",),
    ("weekend",),
    ("football",),
    ("rain",),
    ("music",),
    ("news",),
    ("monday", "motivation"),
    ("football", "derby"),
    ("photo", "sunset"),
    ("food", "dinner"),
]


def _seconds(p: Post) -> float:
    return (datetime.fromisoformat(p["created_at"]) - T0).total_seconds()


def retweet_ring(prefix: str = "ring", members: int = 6, start: float = DAY) -> list[Post]:
    """Six accounts, registered together 200 days earlier, retweet the same eight posts of a
    small account, each time within 20 seconds of each other: the textbook amplification
    ring (co_repost, corroborated by creation_burst)."""
    posts: list[Post] = []
    for k in range(8):
        t = start + k * 7 * 3600
        posts.append(post(f"{prefix}_seed_{k}", f"{prefix}_seed", t, f"our message number {k}"))
        for m in range(members):
            posts.append(
                post(
                    f"{prefix}_{m}_rt{k}",
                    f"{prefix}_{m}",
                    t + 30 + 3 * m,
                    repost_of_post=f"{prefix}_seed_{k}",
                )
            )
    return with_creation_dates(posts, batch_created([f"{prefix}_{m}" for m in range(members)], 200))


def copypasta_personas(prefix: str = "persona", members: int = 5) -> list[Post]:
    """Five personas, registered together 100 days earlier, post four talking points each,
    hours apart, every copy with a small edit (a different greeting, an emoji, a changed
    word): no identical text within a minute, so only near-duplicate text across the case
    finds them (corroborated by creation_burst)."""
    points = [
        "the western media keeps lying about the real situation in the region, wake up people",
        "everyone should know that the so called dissident is paid by foreign intelligence",
        "development and stability are what ordinary families want, not chaos and protests",
        "look at the facts: the economy is growing while they spread rumours every day",
    ]
    greetings = ["", "wow ", "friends, ", "honestly ", "!!! "]
    posts: list[Post] = []
    for k, point in enumerate(points):
        for m in range(members):
            t = 2 * DAY + k * DAY + m * 5400
            text = f"{greetings[m]}{point} {'🙂' * (m % 3)}".strip()
            posts.append(post(f"{prefix}_{m}_{k}", f"{prefix}_{m}", t, text))
    return with_creation_dates(posts, batch_created([f"{prefix}_{m}" for m in range(members)], 100))


def shift_workers(prefix: str = "shift", members: int = 5) -> list[Post]:
    """Five operators who share no content but post in the same minutes: on each of eight
    working days, each posts one unique text in each of the same six scheduled minutes
    (09:00, 09:40, 10:20, 14:00, 14:40, 15:20 at UTC+8). Only synchronised activity sees it."""
    posts: list[Post] = []
    slots = [1 * 3600, 1 * 3600 + 2400, 2 * 3600 + 1200, 6 * 3600, 6 * 3600 + 2400, 7 * 3600 + 1200]
    for day in range(8):
        for s, slot in enumerate(slots):
            for m in range(members):
                t = day * DAY + slot + 5 * m
                text = f"operator {m} writes item {day}-{s} about {_WORDS_LIST[(m + s + day) % 24]}"
                posts.append(post(f"{prefix}_{m}_{day}_{s}", f"{prefix}_{m}", t, text))
    return posts


def cross_platform_pair() -> list[Post]:
    """One persona on X and on Reddit posts the same four links to a small website, each
    time within 30 seconds on both platforms (co_url across platforms)."""
    posts: list[Post] = []
    for k in range(4):
        url = f"https://tiny-site.example.net/a/{k}"
        t = 3 * DAY + k * 9000
        posts.append(post(f"xp_x_{k}", "xp_x", t, f"must read {url}", urls=[url]))
        posts.append(
            post(f"xp_r_{k}", "xp_r", t + 25, f"interesting {url}", urls=[url], platform="reddit")
        )
    return posts


def viral_storm(fans: int = 30) -> list[Post]:
    """Hard negative: fans retweet most of a celebrity's viral posts within the first minutes
    after each is published. Pairs of fans share several retweets within 60 s, but the
    reposted posts are the most popular objects in the case, so the null model expects it."""
    rng = random.Random(11)
    posts: list[Post] = []
    for k in range(6):
        t = 4 * DAY + k * 5 * 3600
        posts.append(post(f"viral_{k}", "popstar", t, f"new single out now {k}"))
        for f in range(fans):
            if rng.random() < 0.7:
                posts.append(
                    post(
                        f"fan_{f}_rt{k}",
                        f"fan_{f}",
                        t + rng.uniform(5, 240),
                        repost_of_post=f"viral_{k}",
                    )
                )
    return posts


def debate_livetweeting(viewers: int = 30) -> list[Post]:
    """Hard negative: viewers live-tweet a 90-minute TV debate with '#debate #election', each
    writing their own texts at their own moments: crowded minutes, one shared hashtag string."""
    rng = random.Random(13)
    posts: list[Post] = []
    start = 5 * DAY + 20 * 3600
    for v in range(viewers):
        for n in range(rng.randint(6, 14)):
            t = start + rng.uniform(0, 5400)
            words = " ".join(rng.choice(_WORDS_LIST) for _ in range(8))
            posts.append(
                post(
                    f"viewer_{v}_{n}",
                    f"viewer_{v}",
                    t,
                    f"{words} #debate #election",
                    hashtags=["debate", "election"],
                )
            )
    return posts


def petition_activists(people: int = 25) -> list[Post]:
    """Hard negative: activists post the pre-filled petition tweet (same text, same link)
    over a day, at their own pace: one object shared by many, once each."""
    rng = random.Random(17)
    url = "https://petitions.example.org/save-the-river"
    text = f"I just signed the petition to save the river, please sign too {url}"
    return [
        post(f"petition_{p}", f"activist_{p}", 6 * DAY + rng.uniform(0, DAY), text, urls=[url])
        for p in range(people)
    ]


def news_outlet_readers(readers: int = 20) -> list[Post]:
    """Hard negative: an outlet posts twelve articles; readers share some of them minutes to
    hours later, each at their own pace."""
    rng = random.Random(19)
    posts: list[Post] = []
    for k in range(12):
        url = f"https://daily-paper.example.com/2024/article-{k}"
        t = 7 * DAY + k * 4 * 3600
        posts.append(post(f"outlet_{k}", "daily_paper", t, f"read: article {k} {url}", urls=[url]))
        for r in range(readers):
            if rng.random() < 0.3:
                posts.append(
                    post(
                        f"reader_{r}_{k}",
                        f"reader_{r}",
                        t + rng.expovariate(1 / 3600),
                        f"worth reading {url}",
                        urls=[url],
                    )
                )
    return posts


def full_scene() -> list[Post]:
    """Every campaign and every hard negative on one organic background."""
    return (
        organic_background()
        + retweet_ring()
        + copypasta_personas()
        + shift_workers()
        + cross_platform_pair()
        + viral_storm()
        + debate_livetweeting()
        + petition_activists()
        + news_outlet_readers()
    )


CAMPAIGN_PREFIXES = ("ring_", "persona_", "shift_", "xp_", "hostile_")


#: attacker-written strings every output must render inert: markup, a script, an RTL
#: override, zero-width and control characters, a lone surrogate-looking escape, quotes
HOSTILE_TEXTS = (
    "<script>document.title='PWNED';window.__pwned=1</script> read the truth",
    '"><img src=x onerror="window.__pwned=1"> look here',
    "\u202eevil.exe\u202c reversed \u200b\u200dzero width",
    "control \x01\x02\x07\x0b\x0c\x1b[31m chars and ]]> and --> and &amp; entities",
    '=HYPERLINK("http://evil.example") spreadsheet formula',
)


def hostile_ring(members: int = 4) -> list[Post]:
    """Four accounts with hostile handles and display names post the same hostile texts
    within seconds (co_post), so that every text above reaches the evidence, the report and
    every export; one post is a megabyte long. Known answer: all four are flagged as one
    cluster, and no output runs or breaks on their text."""
    posts: list[Post] = []
    names = ["<b>bold</b>", "\u202eadmin", 'quote"s & <amp>', "ctrl\x07name"]
    long_text = "<script>window.__pwned=1</script>" + "A" * 1_000_000
    for k, text in enumerate((*HOSTILE_TEXTS, long_text)):
        for m in range(members):
            posts.append(
                post(
                    f"hostile_{m}_{k}",
                    f"hostile_{m}",
                    3 * DAY + k * 3600 + 5 * m,
                    text,
                    handle=names[m],
                    urls=[f"https://evil.example/{k}?q=<script>"],
                )
            )
    return posts
