"""Organic hard negatives: real people acting together, each crowd with its own truth role.

A CIB detector is only as good as what it leaves alone. Each crowd here is coordinated in one
of the senses the signals measure (same target, same tag, same link, same original, same
minutes) but authentic: people act because something happened, at human delays, in their own
words. Truth roles let an evaluation count false positives per kind:

- ``fan``: an idol's fans retweet (and sometimes quote) each of its posts within minutes;
- ``fan_voter``: an award-show voting hour, every few minutes the same two mentions and two
  tags with the fan's own running counter and words;
- ``hashtag_gamer``: a hashtag game, everyone's own joke under one tag within two hours;
- ``news_reader``: a breaking headline link shared by many within minutes, own comments;
- ``activist``: a petition's suggested text pasted with small personal edits within a day.

The members of each crowd come from :mod:`cibscan.simulate.organic`; here is what they do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from cibscan.simulate import crowd_texts as ct
from cibscan.simulate.base import Account, Builder, Post

_DAY = 86400
_KST = 9  # the idol's time zone
_CLIENTS = ("Twitter for iPhone", "Twitter for Android", "Twitter Web App")


@dataclass
class Circle:
    """The idol and the accounts its posts tag: official account, members, label, shows."""

    idol: Account
    official: Account
    members: list[Account]
    companies: list[Account]

    @property
    def tagged(self) -> list[Account]:
        return [self.official, *self.members, *self.companies]


def _client(b: Builder) -> str:
    return ct.pick(b.rng, _CLIENTS)


def idol_storm(b: Builder, circle: Circle, fans: list[Account], human: np.ndarray, p: Any) -> None:
    """The idol posts ``p.idol_posts_per_day``, each tagging 4-6 of its circle; every fan
    retweets a share of the posts (each fan its own appetite, each post its own pull) after a
    human delay: lognormal with median ``p.fan_delay_median`` seconds, and for one engagement
    in seven a fan who was away, hours later; ``p.fan_quote_share`` of them are quotes in the
    fan's own words."""
    rng = b.rng
    tagged = circle.tagged
    originals: list[Post] = []
    for t in b.times(max(round(p.idol_posts_per_day * b.days), 1), human, _KST):
        tags = tuple(tagged[i] for i in rng.choice(len(tagged), int(rng.integers(4, 7)), False))
        text = f"{ct.idol_text(rng)} " + " ".join(f"@{a.handle}" for a in tags)
        originals.append(b.post(circle.idol, int(t), "post", text, mentions=tags))
    for a in tagged:  # the circle posts a little itself, naming the idol
        for t in b.times(int(rng.integers(1, 4)), human, _KST):
            text = f"{ct.pick(rng, ct.CIRCLE_LINES)} @{circle.idol.handle}"
            b.post(a, int(t), "post", text, mentions=(circle.idol,), client="Sprout Social")
    if not fans:
        return
    appetite = rng.beta(2.5, 2.0, len(fans))
    pull = rng.uniform(0.7, 1.0, len(originals))
    hit = rng.random((len(fans), len(originals))) < appetite[:, None] * pull[None, :]
    who, what = np.nonzero(hit)
    away = rng.random(len(who)) < 1 / 7
    delay = np.where(
        away,
        rng.lognormal(np.log(3 * 3600), 0.8, len(who)),
        rng.lognormal(np.log(p.fan_delay_median), 0.9, len(who)),
    )
    delay = np.clip(delay, 15, 2 * _DAY).astype(np.int64)
    quote = rng.random(len(who)) < p.fan_quote_share
    clients = [_client(b) for _ in fans]
    names = [m.name.split()[0] for m in circle.members]
    for f, j, d, q in zip(who, what, delay, quote, strict=True):
        original, fan = originals[int(j)], fans[int(f)]
        t = original.t + int(d)
        if t >= b.end:
            continue
        if q:
            text = ct.fan_quote(rng, ct.pick(rng, tuple(names)))
            b.post(fan, t, "quote", text, ref=original, client=clients[int(f)])
        else:
            b.repost(fan, t, original, client=clients[int(f)])


def vote_drive(b: Builder, voters: list[Account], circle: Circle) -> None:
    """One voting hour of an award show (20:00 in Seoul on day 5): each voter posts every few
    minutes (their own rhythm, 2.5-6 min) the idol's two accounts and the two vote tags with
    their running counter and own words, never the same text twice."""
    if not voters:
        return
    rng = b.rng
    t0 = b.start + min(5, b.days - 1) * _DAY + (20 - _KST) * 3600
    mentions = (circle.idol, circle.official)
    at = " ".join(f"@{a.handle}" for a in mentions)
    used: set[str] = set()
    for a in voters:
        voice, client = ct.Voice.draw(rng), _client(b)
        gap = rng.uniform(150, 360)
        steps = rng.lognormal(np.log(gap), 0.35, int(3600 / gap) + 3)
        times = t0 + rng.uniform(0, 600) + np.cumsum(steps) - steps[0]
        first = int(rng.integers(1, 25))  # votes cast before this hour
        for i, t in enumerate(times[times < min(t0 + 3600, b.end)]):
            text = ct.fresh(partial(ct.vote_text, rng, voice, first + i, at), used)
            tags = ct.vote_tags(voice)
            b.post(a, int(t), "post", text, hashtags=tags, mentions=mentions, client=client)


def hashtag_games(b: Builder, players: list[Account]) -> None:
    """Two hashtag games on different evenings (20:00 US East); each player joins one with
    one to a few jokes of their own, most within the first hour, none after two."""
    if not players:
        return
    rng = b.rng
    game_of = rng.integers(len(ct.GAMES), size=len(players))
    for g, tag in enumerate(ct.GAMES):
        group = [a for a, x in zip(players, game_of, strict=True) if x == g]
        if not group:
            continue
        t0 = b.start + min(1 + 4 * g, b.days - 1) * _DAY + 1 * 3600
        jokes = 1 + rng.poisson(0.8, len(group))
        offsets = np.clip(rng.lognormal(np.log(1800), 0.7, int(jokes.sum())), 30, 2 * 3600 - 1)
        owners = np.repeat(np.arange(len(group)), jokes)
        used: set[str] = set()
        for i, off in zip(owners, offsets, strict=True):
            t = min(t0 + int(off), b.end - 1)
            text = ct.fresh(partial(ct.game_joke, rng, tag), used)
            b.post(group[int(i)], t, "post", text, hashtags=(tag,))


def news_crowd(
    b: Builder, outlets: list[Account], readers: list[Account], human: np.ndarray, stories: int
) -> None:
    """``stories`` breaking stories: an outlet posts the headline link and each reader (with
    their own appetite for news) shares it minutes later (lognormal, median 4 min) with a
    comment of their own."""
    if not readers or not outlets or stories <= 0:
        return
    rng = b.rng
    appetite = rng.uniform(0.3, 0.8, len(readers))
    first = int(rng.integers(len(ct.HEADLINES)))
    for s, t in enumerate(b.times(stories, human, -5, hi=b.end - 4 * 3600)):
        outlet = outlets[s % len(outlets)]
        headline = ct.HEADLINES[(first + s) % len(ct.HEADLINES)]
        slug = "-".join(headline.lower().replace(",", "").split()[:6])
        url = f"https://www.{outlet.handle}.com/{int(t)}/{slug}"
        b.post(outlet, int(t), "post", f"BREAKING: {headline} {url}", urls=(url,))
        who = np.nonzero(rng.random(len(readers)) < appetite)[0]
        delays = np.clip(rng.lognormal(np.log(240), 0.9, len(who)), 20, 4 * 3600)
        used: set[str] = set()
        for i, d in zip(who, delays, strict=True):
            text = ct.fresh(partial(ct.news_comment, rng, headline, url), used)
            b.post(readers[int(i)], int(t) + int(d), "post", text, urls=(url,))


def petition_drive(b: Builder, activists: list[Account], human: np.ndarray) -> None:
    """A local petition launched on day 2: within that day (the town's, UTC-5) each activist
    pastes the site's suggested text with small personal edits; three in ten come back hours
    later with a reminder in their own words."""
    if not activists:
        return
    rng = b.rng
    midnight = b.start + min(2, max(b.days - 2, 0)) * _DAY + 5 * 3600
    times = b.day_times(len(activists), human, midnight)
    for i, t in zip(rng.permutation(len(activists)), times, strict=True):
        a, text = activists[int(i)], ct.petition_text(rng)
        tags = ("SaveMillbrook",) if "#SaveMillbrook" in text else ()
        b.post(a, int(t), "post", text, urls=(ct.PETITION_URL,), hashtags=tags)
        later = int(t) + int(rng.uniform(3 * 3600, 30 * 3600))
        if rng.random() < 0.3 and later < b.end:
            text = f"{ct.pick(rng, ct.ACTIVIST_LINES)} {ct.PETITION_URL}"
            b.post(a, later, "post", text, urls=(ct.PETITION_URL,))
