"""Hard scenes with known answers: small rings any analyst would call coordinated, and
authentic crowds that coordinate without being inauthentic (tests/test_accuracy_scenes.py).

The first three are textbook operations a detector must catch at any case size; the last two
are the organic classes that made most of the false flags on real data (issue 13): a fan
voting drive and an idol's retweet storm. Each function returns posts in the generic JSON
lines layout of :mod:`tests.scenes` or rows of the X Information Operations archive CSV, and
names its accounts so that a test can tell the campaign from the crowd by prefix.

Times are seconds after ``scenes.T0`` (a Monday). Every generator is seeded.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cibscan.ingest.twitter_io import IO_TWEET_COLUMNS
from tests.scenes import _WORDS_LIST, DAY, T0, Post, post

IORow = dict[str, Any]


def io_row(
    tweetid: str,
    userid: str,
    t: float,
    text: str,
    *,
    urls: tuple[str, ...] = (),
    hashtags: tuple[str, ...] = (),
    mentions: tuple[str, ...] = (),
    is_retweet: bool = False,
) -> IORow:
    """One IO-archive tweet row (minute precision, as the archive has it)."""
    row: IORow = dict.fromkeys(IO_TWEET_COLUMNS, "")
    row.update(
        tweetid=tweetid,
        userid=userid,
        user_screen_name=handle(userid),
        user_display_name=handle(userid),
        tweet_text=text,
        tweet_time=(T0 + timedelta(seconds=t)).strftime("%Y-%m-%d %H:%M"),
        is_retweet="true" if is_retweet else "false",
        hashtags=repr(list(hashtags)),
        urls=repr(list(urls)),
        user_mentions=repr(list(mentions)),
    )
    return row


def write_io(path: Path, rows: list[IORow]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(IO_TWEET_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


_FIRST = [
    "anna",
    "ben",
    "chloe",
    "dan",
    "emma",
    "felix",
    "grace",
    "hugo",
    "isla",
    "jack",
    "kate",
    "leo",
    "mia",
    "noah",
    "olga",
    "pete",
    "ruby",
    "sam",
    "tara",
    "will",
    "zoe",
    "yusuf",
    "xena",
    "vic",
    "una",
    "theo",
    "sara",
    "rosa",
    "quinn",
    "pablo",
    "omar",
    "nina",
    "max",
    "lara",
    "kim",
    "joe",
]
_LIKES = [
    "coffee",
    "football",
    "vinyl",
    "hiking",
    "kpop",
    "cats",
    "gardening",
    "chess",
    "anime",
    "jazz",
    "baking",
    "cycling",
    "surf",
    "tea",
    "books",
    "films",
    "opera",
    "rugby",
    "yoga",
    "sushi",
    "tennis",
    "poetry",
    "maps",
    "trains",
    "birds",
]


def handle(account: str) -> str:
    """A handle a person would pick (a name, a passion, sometimes a year), the same for an
    account every time: hand-made scenes must not all share one stem and a number, which
    is what the persona_names tell looks for."""
    rng = random.Random(account)
    name, like = rng.choice(_FIRST), rng.choice(_LIKES)
    shape = rng.randrange(4)
    tail = str(rng.randrange(1960, 2010)) if shape == 0 else ""
    joined = (f"{name}_{like}", f"{like}{name}", f"the{name}{like}", f"{name}.{like}")[shape]
    return f"{joined}{tail}{rng.randrange(1000) if shape != 0 else ''}"


def named(posts: list[Post]) -> list[Post]:
    """Give every post's account its :func:`handle`."""
    for p in posts:
        p["acct_handle"] = handle(p["account_id"])
    return posts


def _words(rng: random.Random, low: int = 5, high: int = 14) -> str:
    return " ".join(rng.choice(_WORDS_LIST) for _ in range(rng.randint(low, high)))


def ordinary_io(people: int, posts_each: int = 3, days: int = 8, seed: int = 1) -> list[IORow]:
    """People posting unrelated texts of their own at random times; one post in four links
    a news story (40 stories, a few popular), so that co_url has an organic background."""
    rng = random.Random(seed)
    rows: list[IORow] = []
    for person in range(people):
        for n in range(posts_each):
            t = rng.uniform(0, days * DAY)
            text = f"{_words(rng)} {person} {n}"
            urls: tuple[str, ...] = ()
            if rng.random() < 0.25:
                urls = (f"https://news.example.org/story/{min(int(rng.expovariate(1 / 6)), 39)}",)
                text = f"{text} {urls[0]}"
            rows.append(io_row(f"o{person}_{n}", f"person_{person}", t, text, urls=urls))
    return rows


def lockstep_ring_io(members: int = 30, days: int = 8, seed: int = 2) -> list[IORow]:
    """The textbook lockstep ring: on each of eight days, in one minute, every member posts
    the day's talking point with the same link. Only the ring ever posts these texts, so
    however dense the ring, nothing about the objects is popular outside it."""
    rng = random.Random(seed)
    rows: list[IORow] = []
    for day in range(days):
        minute = day * DAY + rng.randrange(8 * 60, 20 * 60) * 60
        url = f"https://truth-daily.example.net/2024/{day}"
        text = f"the real story they hide from you, day {day}: read and share {url}"
        for m in range(members):
            t = minute + rng.uniform(0, 59)
            rows.append(io_row(f"ring{m}_{day}", f"ring_{m}", t, text, urls=(url,)))
    return rows


def small_ring_io(members: int = 6, texts: int = 6, seed: int = 3) -> list[IORow]:
    """Six accounts post six talking points, each within one minute of each other, on six
    different days: a ring too small for any crowd statistic to notice by its size."""
    rng = random.Random(seed)
    rows: list[IORow] = []
    for k in range(texts):
        minute = k * DAY + rng.randrange(9 * 60, 18 * 60) * 60
        text = f"talking point {k}: the election was stolen by foreign money, share now"
        for m in range(members):
            rows.append(io_row(f"six{m}_{k}", f"six_{m}", minute + rng.uniform(0, 50), text))
    return rows


def _repost(pid: str, account: str, t: float, original: Post) -> Post:
    """A repost as scraped collections hold it: its kind and the original's text and
    mentions, but no id of the reposted post."""
    return post(
        pid,
        account,
        t,
        original["text"],
        kind="repost",
        mentions=list(original["mentions"]),
        hashtags=list(original["hashtags"]),
    )


def crowd(people: int = 1500, days: int = 6, seed: int = 5) -> list[Post]:
    """An organic crowd where half of the posts mention someone (popular accounts more
    often) and one in six is a repost, without its target id, of one of forty posts by a
    few big accounts at human delays (minutes to hours)."""
    rng = random.Random(seed)
    famous = [f"famous_{i}" for i in range(60)]
    originals = [
        post(f"big_{k}", f"bigacct_{k % 5}", k * days * DAY / 40, f"{_words(rng)} big {k}")
        for k in range(40)
    ]
    for original in originals:
        original["kind"] = "post"
    posts: list[Post] = list(originals)
    for person in range(people):
        for n in range(rng.randint(2, 8)):
            pid, account = f"c{person}_{n}", f"crowd_{person}"
            t = rng.uniform(0, days * DAY)
            roll = rng.random()
            if roll < 1 / 6:
                original = rng.choice(originals)
                t = _seconds(original) + rng.lognormvariate(7.5, 1.2)
                posts.append(_repost(pid, account, t, original))
            elif roll < 0.6:
                tagged = sorted({famous[min(int(rng.expovariate(1 / 8)), 59)] for _ in range(2)})
                text = " ".join("@" + m for m in tagged) + " " + _words(rng)
                posts.append(post(pid, account, t, text, kind="post", mentions=tagged))
            else:
                posts.append(post(pid, account, t, _words(rng), kind="post"))
    return named(posts)


def _seconds(p: Post) -> float:
    return (datetime.fromisoformat(p["created_at"]) - T0).total_seconds()


def silent_amplifiers(members: int = 8, posts: int = 10, seed: int = 7) -> list[Post]:
    """A small account posts ten times; eight amplifiers repost each post within 30 s of its
    publication, every time. The collection lost the reposted ids (as the FiveThirtyEight
    IRA release and scraped data do): a repost is known from its kind and text only."""
    rng = random.Random(seed)
    out: list[Post] = []
    for k in range(posts):
        t = DAY + k * 11 * 3600
        original = post(
            f"seed_{k}", "small_voice", t, f"our message number {k}: the truth about the west"
        )
        original["kind"] = "post"
        out.append(original)
        for m in range(members):
            out.append(_repost(f"amp{m}_{k}", f"amp_{m}", t + rng.uniform(3, 30), original))
    return named(out)


_VOTE_OPENERS = (
    "voting again for",
    "another one for",
    "keep going",
    "don't stop voting",
    "we can do this",
    "vote vote vote",
    "our kings deserve it",
    "streaming and voting",
    "never stop",
    "for the win",
)


def voting_drive(fans: int = 25, seed: int = 11) -> list[Post]:
    """Authentic: an award-show voting hour. Every few minutes for an hour each fan posts
    "@idol @idol_official" with the vote hashtags and a running counter in their own words.
    Coordinated on targets and tags, nothing copied, no fake-account traits."""
    rng = random.Random(seed)
    start = 3 * DAY + 19 * 3600
    out: list[Post] = []
    for f in range(fans):
        t = start + rng.uniform(0, 240)
        count = 0
        while t < start + 3600:
            count += 1
            words = f"{rng.choice(_VOTE_OPENERS)} {_words(rng, 2, 5)}"
            text = f"@idol @idol_official {words} vote {count} #VoteIdol #StarAwards2024"
            out.append(
                post(
                    f"vote{f}_{count}",
                    f"voter_{f}",
                    t,
                    text,
                    kind="post",
                    mentions=["idol", "idol_official"],
                    hashtags=["VoteIdol", "StarAwards2024"],
                )
            )
            t += rng.uniform(120, 420)
    return named(out)


def idol_storm(fans: int = 400, posts: int = 60, seed: int = 13) -> list[Post]:
    """Authentic: an idol posts sixty times over six days, each post tagging four to six
    accounts (members, the label, the show); fans repost most of them within minutes of
    publication, at human delays, and the collection lost the reposted ids."""
    rng = random.Random(seed)
    tags = ["member_a", "member_b", "member_c", "member_d", "label_ent", "music_show", "fanclub"]
    out: list[Post] = []
    for k in range(posts):
        t = k * 6 * DAY / posts + rng.uniform(0, 3600)
        tagged = rng.sample(tags, rng.randint(4, 6))
        text = f"{_words(rng, 4, 9)} {k} " + " ".join("@" + m for m in tagged)
        original = post(f"idol_{k}", "idol", t, text, kind="post", mentions=tagged)
        out.append(original)
        for f in range(fans):
            if rng.random() < 0.6:
                delay = rng.lognormvariate(5.2, 0.9)  # median about 3 minutes
                out.append(_repost(f"fan{f}_{k}", f"fan_{f}", t + delay, original))
    return named(out)
