"""The organic population: ordinary people and the hard negatives a CIB detector must not flag.

Ordinary people post their own words on a human day in their own time zone, and about half of
their X posts @mention someone (one of a few friends, or a prominent account), as real
timelines do, so that a crowd mentioning one account is not rare in itself. Around them are
the kinds of *authentic* synchronised behaviour that fool naive detectors: a viral retweet
storm, live-tweeting a TV debate with one hashtag, a fandom streaming drive, news outlets and
the readers who share their links, a brand posting the same text from several official
accounts, night-shift workers on odd hours, and the crowds of
:mod:`cibscan.simulate.negatives` (an idol's retweeting fans, an award-show voting hour,
hashtag games, breaking-news readers, a petition drive). Every crowd's members carry its role
in the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cibscan.simulate import crowd_texts as ct
from cibscan.simulate import negatives, texts
from cibscan.simulate.base import Account, Builder, Post

_DAY = 86400
_HUMAN = {
    7: 0.6,
    8: 1.0,
    9: 0.7,
    12: 1.0,
    13: 0.8,
    17: 0.8,
    18: 0.9,
    19: 1.2,
    20: 1.4,
    21: 1.4,
    22: 1.1,
    23: 0.6,
    10: 0.6,
    11: 0.7,
    14: 0.6,
    15: 0.6,
    16: 0.7,
}
_NIGHT = {22: 1.0, 23: 1.2, 0: 1.3, 1: 1.3, 2: 1.2, 3: 1.0, 4: 0.9, 5: 0.7, 6: 0.5}
_OFFSETS = np.array([-8, -7, -6, -5, -5, -4, 0, 0, 1, 1, 2, 3, 5.5, 8, 9, 10])
_FRIENDS = 6  # people each person mentions now and then
_FANDOM = frozenset({"fan", "fan_voter", "fan_streamer"})
_ALBUM = "New album out now!!"
_STREAM = "https://music.example.com/nova"
SUBREDDITS = ("worldnews", "news", "pics", "nba", "travel", "politics", "China", "AskReddit")
_NEWS = ("dailyherald", "metrowire", "citypost", "globaldesk", "thereporter", "morningledger")


@dataclass
class Organic:
    """What the campaign needs to know about the organic world it lives in."""

    targets: list[Account] = field(default_factory=list)
    target_posts: list[Post] = field(default_factory=list)
    submissions: list[Post] = field(default_factory=list)
    videos: list[tuple[str, str]] = field(default_factory=list)  # (video id, owner channel)


def _x_account(b: Builder, role: str, name: str = "", handle: str = "") -> Account:
    if not handle:
        name, handle = texts.organic_handle(b.rng)
    created = b.start - int(b.rng.integers(60, 4500)) * _DAY
    followers = int(b.rng.lognormal(5.0, 1.6))
    return b.add(
        Account(
            sink="x_v2",
            account_id=b.user_id(created),
            handle=handle,
            name=name,
            created=created,
            role=role,
            description=texts.pick(b.rng, texts.BIOS),
            followers=followers,
            following=int(b.rng.lognormal(5.5, 1.0)),
        )
    )


def _posts_for(b: Builder, n: int, mean: float) -> np.ndarray:
    """Heavy-tailed post counts (at least one each), as real activity is."""
    return 1 + b.rng.poisson(b.rng.gamma(0.7, max(mean - 1, 0.1) / 0.7, n))


def build(b: Builder, n: int, p: Any) -> Organic:
    """Add ``n`` organic accounts with their posts; ``p`` is the scenario's parameters."""
    rng, world = b.rng, Organic()
    n_reddit = round(n * p.reddit_share)
    n_youtube = round(n * p.youtube_share)
    n_x = n - n_reddit - n_youtube
    human = b.hours_profile(_HUMAN)

    # Prominent X accounts: news outlets, journalists (the campaign's targets), the idol and
    # its circle, a brand with three regional accounts.
    outlets = [_x_account(b, "news_outlet", n_, n_) for n_ in _NEWS[: p.news_outlets]]
    world.targets = [_x_account(b, "journalist") for _ in range(p.journalists)]
    circle = _circle(b)
    brand = [_x_account(b, "brand", "Brightmart", f"brightmart_{c}") for c in ("us", "uk", "ca")]
    fixed = len(outlets) + len(world.targets) + 1 + len(circle.tagged) + len(brand)
    people = [_x_account(b, "organic") for _ in range(max(n_x - fixed, 1))]
    news_links: list[tuple[int, str]] = []
    for o in outlets:
        for t in b.times(int(p.days * 8), human, -5):
            url = f"https://www.{o.handle}.com/{int(t)}/{b.token(6).lower()}"
            b.post(o, int(t), "post", f"{texts.chatter(rng).title()} {url}", urls=(url,))
            news_links.append((int(t), url))
    for j in world.targets:
        for t in b.times(p.days * 2, human, -5):
            world.target_posts.append(b.post(j, int(t), "post", texts.chatter(rng)))
    for t in b.times(p.days * 2, human, 1):  # the same promo text, same minute, 3 accounts
        for a in brand:
            b.post(
                a,
                int(t) + int(rng.integers(0, 30)),
                "post",
                "Spring sale! 30% off today",
                urls=("https://www.brightmart.example/sale",),
                client="Sprout Social",
            )

    roles = rng.choice(
        ["organic", "night_shift", "fan_streamer", "activist"],
        size=len(people),
        p=[
            1 - p.night_shift_share - p.fan_share - p.activist_share,
            p.night_shift_share,
            p.fan_share,
            p.activist_share,
        ],
    )
    for a, role in zip(people, roles, strict=True):
        a.role = str(role)
    crowds = _crowds(rng, people, p)
    stars = outlets + world.targets + [circle.idol, circle.official]
    _everyday(b, world, people, p, human, news_links, circle, stars)
    negatives.petition_drive(b, [a for a in people if a.role == "activist"], human)
    negatives.idol_storm(b, circle, crowds["fan_voter"] + crowds["fan"], human, p)
    negatives.vote_drive(b, crowds["fan_voter"], circle)
    negatives.hashtag_games(b, crowds["hashtag_gamer"])
    negatives.news_crowd(b, outlets, crowds["news_reader"], human, p.news_stories)
    _reddit(b, world, n_reddit, p, human)
    _youtube(b, world, n_youtube, p, human)
    return world


def _circle(b: Builder) -> negatives.Circle:
    """The idol and its circle: famous accounts (many followers) that its posts tag."""

    def star(name: str, handle: str) -> Account:
        a = _x_account(b, "celebrity", name, handle)
        a.followers = int(b.rng.lognormal(13.0, 0.6))
        return a

    return negatives.Circle(
        idol=star(*ct.IDOL),
        official=star(*ct.IDOL_OFFICIAL),
        members=[star(*m) for m in ct.IDOL_MEMBERS],
        companies=[star(*c) for c in ct.IDOL_COMPANIES],
    )


def _crowds(rng: np.random.Generator, people: list[Account], p: Any) -> dict[str, list[Account]]:
    """Draw the members of each organic crowd from the people with no other role, without
    replacement, and give them its role; a crowd larger than the people left is cut to them
    (when ``organic_noise`` inflates the crowds, or in a tiny case)."""
    plain = [a for a in people if a.role == "organic"]
    order = rng.permutation(len(plain))
    voters = round(p.fan_voters * p.accounts / 4000)  # sized for the default case
    sizes = {
        "fan_voter": max(voters, 2) if p.fan_voters else 0,  # a drive needs two fans
        "fan": round(p.idol_fan_share * p.accounts),
        "news_reader": round(p.news_reader_share * len(people)),
        "hashtag_gamer": round(p.hashtag_gamer_share * len(people)),
    }
    crowds: dict[str, list[Account]] = {}
    used = 0
    for role, size in sizes.items():
        crowds[role] = [plain[int(i)] for i in order[used : used + size]]
        used += len(crowds[role])
        for a in crowds[role]:
            a.role = role
    return crowds


def _everyday(
    b: Builder,
    world: Organic,
    people: list[Account],
    p: Any,
    human: np.ndarray,
    news_links: list[tuple[int, str]],
    circle: negatives.Circle,
    stars: list[Account],
) -> None:
    """Each person's own posts on their own day, in their own time zone: chatter that
    mentions a friend or a prominent account about half the time, shared news links, replies
    to journalists; streaming fans push #StreamNova; some retweet the idol's album post
    (a one-off viral storm) or live-tweet a TV debate."""
    rng = b.rng
    counts = _posts_for(b, len(people), p.organic_posts_mean)
    offsets = rng.choice(_OFFSETS, size=len(people))
    friends = rng.integers(len(people), size=(len(people), _FRIENDS))
    fandom = [circle.idol, circle.official, *circle.members]
    night = b.hours_profile(_NIGHT)
    viral = b.post(circle.idol, b.start + min(3, b.days - 1) * _DAY + 14 * 3600, "post", _ALBUM)
    debate_t0 = b.start + min(4, b.days - 1) * _DAY + 1 * 3600
    for i, (a, k) in enumerate(zip(people, counts, strict=True)):
        famous = fandom if a.role in _FANDOM else stars
        prof = night if a.role == "night_shift" else human
        for t in b.times(int(k), prof, float(offsets[i])):
            r = rng.random()
            if a.role == "fan_streamer" and r < 0.6:
                text = f"{texts.pick(rng, texts.FAN_LINES)} #StreamNova"
                b.post(a, int(t), "post", text, hashtags=("StreamNova",), urls=(_STREAM,))
            elif r < 0.12 and news_links:
                t0, url = news_links[int(rng.integers(len(news_links)))]
                b.post(a, max(int(t), t0 + 600), "post", f"{texts.chatter(rng)} {url}", urls=(url,))
            elif r < 0.2:
                tp = world.target_posts[int(rng.integers(len(world.target_posts)))]
                text = f"@{tp.account.handle} {texts.chatter(rng)}"
                b.post(a, max(int(t), tp.t + 120), "reply", text, ref=tp, mentions=(tp.account,))
            elif rng.random() < p.mention_share:
                if rng.random() < 0.3:
                    whom = famous[int(rng.integers(len(famous)))]
                else:
                    whom = people[int(friends[i, int(rng.integers(_FRIENDS))])]
                chat = texts.chatter(rng)
                text = f"@{whom.handle} {chat}" if rng.random() < 0.6 else f"{chat} @{whom.handle}"
                b.post(a, int(t), "post", text, mentions=(whom,) if whom is not a else ())
            else:
                b.post(a, int(t), "post", texts.chatter(rng))
        if rng.random() < p.viral_share:  # the retweet storm: minutes to days after
            delay = int(np.clip(rng.lognormal(np.log(1800), 1.3), 20, 3 * _DAY))
            if viral.t + delay < b.end:
                b.repost(a, viral.t + delay, viral)
                a.role = "viral_retweeter" if a.role == "organic" else a.role
        if rng.random() < p.debate_share:  # live-tweeting a 90-minute TV debate
            for t in np.sort(rng.integers(0, 5400, int(rng.integers(1, 5)))):
                b.post(
                    a,
                    debate_t0 + int(t),
                    "post",
                    f"{texts.pick(rng, texts.DEBATE_LINES)} #DebateNight",
                    hashtags=("DebateNight",),
                )
            a.role = "debate_viewer" if a.role == "organic" else a.role


def _reddit(b: Builder, world: Organic, n: int, p: Any, human: np.ndarray) -> None:
    rng = b.rng
    users = []
    for _ in range(n):
        _, handle = texts.organic_handle(rng)
        created = b.start - int(rng.integers(30, 4000)) * _DAY
        users.append(b.add(Account("reddit", f"{handle}{b.token(3)}", "", "", created)))
    for a in users:
        a.handle = a.account_id
        for t in b.times(int(_posts_for(b, 1, p.organic_posts_mean)[0]), human, -5):
            sub = texts.pick(rng, SUBREDDITS)
            if rng.random() < 0.15 or not world.submissions:
                title = texts.chatter(rng).capitalize()
                world.submissions.append(
                    b.post(a, int(t), "submission", "", title=title, venue=sub)
                )
            else:
                s = world.submissions[int(rng.integers(len(world.submissions)))]
                b.post(
                    a, max(int(t), s.t + 60), "comment", texts.chatter(rng), ref=s, venue=s.venue
                )


def _youtube(b: Builder, world: Organic, n: int, p: Any, human: np.ndarray) -> None:
    rng = b.rng
    world.videos = [(b.token(11), b.channel_id()) for _ in range(max(n // 20, 3))]
    tops: list[Post] = []
    for _ in range(n):
        name, handle = texts.organic_handle(rng)
        a = b.add(Account("youtube", b.channel_id(), handle, name, b.start - 400 * _DAY))
        for t in b.times(int(_posts_for(b, 1, p.organic_posts_mean / 2)[0]), human, 0):
            video = world.videos[int(rng.integers(len(world.videos)))][0]
            if tops and rng.random() < 0.25:
                top = tops[int(rng.integers(len(tops)))]
                b.post(
                    a,
                    max(int(t), top.t + 60),
                    "comment",
                    texts.chatter(rng),
                    ref=top,
                    venue=top.venue,
                )
            else:
                tops.append(b.post(a, int(t), "comment", texts.chatter(rng), venue=video))
