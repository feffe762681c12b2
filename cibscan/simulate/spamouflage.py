"""The ``spamouflage`` scenario: a China-based CIB network in an organic crowd.

Calibrated to the public record summarised in ``../shared/README.md`` (Meta Q2 2023, Graphika
2019-2024, Twitter June 2020, Google DRAGONBRIDGE); docs/simulator.md says which behaviour
imitates which finding. The campaign is small (<= 2 % of accounts), as in real collections.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np

from cibscan.simulate import organic, texts
from cibscan.simulate.base import Account, Builder, Post, Simulation, epoch
from cibscan.simulate.paraphrase import paraphrase

log = logging.getLogger(__name__)
_DAY = 86400
NETWORK = "spamouflage"
#: Beijing office shifts: morning, lunch break, afternoon, dinner break, a light evening
_OFFICE = {
    9: 3.0,
    10: 3.2,
    11: 3.0,
    12: 0.15,
    13: 1.0,
    14: 3.0,
    15: 3.2,
    16: 3.0,
    17: 2.0,
    18: 0.15,
    19: 0.8,
    20: 0.6,
}
_BENGALI = ("আজকের দিনটা খুব সুন্দর", "শুভ সকাল বন্ধুরা", "ক্রিকেট খেলা দেখছি")


@dataclass
class SpamouflageParams:
    """Every knob of the scenario; defaults give a 4,000-account, 14-day case in seconds."""

    accounts: int = 4000
    """All accounts, campaign and organic, over every platform."""
    days: int = 14
    """Length of the observed period."""
    start: str = "2024-03-04"
    """First day (UTC); a Monday so that weekdays line up with the default."""
    campaign_share: float = 0.015
    """Share of accounts that are the campaign's (at most 0.02)."""
    takedown_at: float = 0.6
    """Fraction of the period after which the platform suspends the X network."""
    operator_posts_per_day: float = 6.0
    """Posts per weekday per operator persona (weekends are quiet)."""
    weekend_activity: float = 0.1
    """Relative chance of a weekend day for operators (office work)."""
    political_share: float = 0.55
    """Share of operator posts that are political; the rest is camouflage spam."""
    chinese_share: float = 0.3
    """Share of political posts written in Chinese."""
    video_link_share: float = 0.4
    """Share of political posts linking a subtitled video."""
    attack_share: float = 0.6
    """Share of posts naming a journalist sent as replies to that journalist's latest post."""
    reposts_per_post: float = 4.0
    """Mean amplifier reposts of each political operator post."""
    reddit_share: float = 0.15
    """Share of organic accounts on Reddit (the rest: X and YouTube)."""
    youtube_share: float = 0.15
    """Share of organic accounts on YouTube."""
    organic_posts_mean: float = 5.0
    """Mean posts per organic account over the period (heavy-tailed)."""
    news_outlets: int = 6
    """X news outlets whose links readers share."""
    journalists: int = 4
    """Journalists on X (the campaign attacks them)."""
    viral_share: float = 0.08
    """Share of organic X people retweeting one celebrity post (a retweet storm)."""
    debate_share: float = 0.05
    """Share live-tweeting a 90-minute TV debate with #DebateNight."""
    fan_share: float = 0.02
    """Fans running a #StreamNova hashtag drive with one streaming link."""
    activist_share: float = 0.015
    """Activists sharing one petition link."""
    night_shift_share: float = 0.03
    """Night-shift workers posting between 22:00 and 06:00 local time."""
    amplifier_delay_median: float = 90.0
    """Median seconds before an amplifier reposts (lognormal, clipped to 3 s - 20 medians)."""
    paraphrase: float = 0.0
    """Chance of each rewording (synonyms, clause order, opener) of every campaign text."""
    organic_noise: float = 1.0
    """Multiplier of the viral, debate, fan and activist shares (authentic look-alikes)."""

    def __post_init__(self) -> None:
        if not 0 < self.campaign_share <= 0.02:
            raise ValueError("campaign_share must be in (0, 0.02]")
        if self.accounts < 500 or self.days < 3:
            raise ValueError("need at least 500 accounts and 3 days")
        if self.amplifier_delay_median < 1 or not 0 <= self.paraphrase <= 1:
            raise ValueError("need amplifier_delay_median >= 1 and paraphrase in [0, 1]")
        k = self.organic_noise
        roles = self.night_shift_share + k * (self.fan_share + self.activist_share)
        if k < 0 or max(k * self.viral_share, k * self.debate_share, roles) > 1:
            raise ValueError("organic_noise must be >= 0 and keep every share at most 1")


class Spamouflage:
    """The scenario object registered under ``spamouflage``."""

    name = "spamouflage"
    params_type = SpamouflageParams

    def generate(self, params: SpamouflageParams, seed: int) -> Simulation:
        rng = np.random.default_rng(seed)
        b = Builder(rng, epoch(params.start), params.days)
        n_campaign = max(int(params.accounts * params.campaign_share), 10)
        world = organic.build(b, params.accounts - n_campaign, _crowd(params))
        _campaign(b, world, n_campaign, params)
        b.posts.sort(key=lambda p: (p.t, p.post_id))
        log.info("spamouflage: %d accounts, %d posts", len(b.accounts), len(b.posts))
        sim = Simulation(self.name, seed, params, b.start, b.end, b.accounts, b.posts)
        sim.video_owners = dict(world.videos)
        return sim


def _crowd(p: SpamouflageParams) -> SpamouflageParams:
    """The parameters the organic crowd sees: hard-negative shares times ``organic_noise``."""
    if p.organic_noise == 1:
        return p
    k = p.organic_noise
    return dataclasses.replace(
        p,
        organic_noise=1.0,  # already applied: the copy is validated as it stands
        viral_share=p.viral_share * k,
        debate_share=p.debate_share * k,
        fan_share=p.fan_share * k,
        activist_share=p.activist_share * k,
    )


def _reworded(rng: np.random.Generator, c: dict[str, object], p: SpamouflageParams) -> str:
    """A content's text as posted again: verbatim (the default), or paraphrased afresh."""
    if p.paraphrase <= 0:
        return str(c["text"])
    return paraphrase(rng, str(c["body"]), p.paraphrase) + str(c["suffix"])


def _persona(b: Builder, sink: str, role: str, created: int) -> Account:
    name, handle = texts.persona_name(b.rng)
    return b.add(
        Account(
            sink=sink,
            account_id=b.user_id(created),
            handle=handle,
            name=name,
            created=created,
            label="campaign",
            network=NETWORK,
            role=role,
            description=texts.pick(b.rng, texts.BIOS),
            followers=int(b.rng.integers(0, 40)),
            following=int(b.rng.integers(0, 80)),
        )
    )


def _bursts(b: Builder, n: int, before: int, span_days: int) -> list[int]:
    """Creation times in bursts: a few days, each with several accounts within hours."""
    days = b.rng.integers(1, span_days, size=max(n // 6, 1))
    burst = b.rng.choice(days, size=n)
    return [int(before - d * _DAY + b.rng.integers(0, 4 * 3600)) for d in burst]


def _political(b: Builder, world: organic.Organic, p: SpamouflageParams) -> dict[str, object]:
    rng = b.rng
    target = world.targets[int(rng.integers(len(world.targets)))]
    zh = rng.random() < p.chinese_share
    pool = texts.POLITICAL_ZH if zh else texts.POLITICAL_EN
    template = texts.pick(rng, pool)
    body = texts.copypasta(rng, template, target.name or target.handle)
    body = paraphrase(rng, body, p.paraphrase)
    suffix = ""
    urls: tuple[str, ...] = ()
    if rng.random() < p.video_link_share:
        video = f"https://www.youtube.com/watch?v={b.token(11)}"
        suffix = f" {texts.pick(rng, texts.VIDEO_SUBTITLES)} {video}"
        urls = (video,)
    tag = texts.pick(rng, texts.CAMPAIGN_TAGS)
    suffix += f" #{tag}"
    return {
        "text": body + suffix,
        "body": body,
        "suffix": suffix,
        "lang": "zh" if zh else "en",
        "urls": urls,
        "hashtags": (tag,),
        "target": target if "{target}" in template else None,
    }


def _operate(
    b: Builder,
    a: Account,
    times: np.ndarray,
    world: organic.Organic,
    p: SpamouflageParams,
    content: dict[str, dict[str, object]],
    reuse: list[dict[str, object]] | None = None,
) -> list[Post]:
    """One persona's posts at ``times``; returns its political originals (to amplify)."""
    rng, originals = b.rng, []
    for t in times:
        if rng.random() >= p.political_share:
            spam = paraphrase(rng, texts.pick(rng, texts.CAMOUFLAGE), p.paraphrase)
            b.post(a, int(t), "post", spam, client="Twitter Web App")
            continue
        # regrowth accounts reuse old content (verbatim unless the campaign paraphrases)
        if reuse:
            c = reuse[int(rng.integers(len(reuse)))]
            c = {**c, "text": _reworded(rng, c, p)}
        else:
            c = _political(b, world, p)
        target = c.get("target")
        kw = {"lang": c["lang"], "urls": c["urls"], "hashtags": c["hashtags"]}
        if isinstance(target, Account) and rng.random() < p.attack_share:
            prior = [x for x in world.target_posts if x.account is target and x.t < t]
            if prior:
                ref = prior[-1]
                text = f"@{target.handle} {c['text']}"
                b.post(a, int(t), "reply", text, ref=ref, mentions=(target,), **kw)
                continue
        post = b.post(a, int(t), "post", str(c["text"]), **kw)
        content[post.post_id] = c
        originals.append(post)
    return originals


def _amplify(
    b: Builder, originals: list[Post], ring: list[Account], mean: float, hi: int, median: float
) -> None:
    """Reposts by the ring within seconds to minutes (lognormal delay, ``median`` seconds)."""
    rng = b.rng
    for o in originals:
        k = min(int(rng.poisson(mean)), len(ring))
        for a in rng.choice(len(ring), size=k, replace=False):
            delay = int(np.clip(rng.lognormal(np.log(median), 1.0), 3, 20 * median))
            if o.t + delay < hi:
                acc = ring[int(a)]
                b.post(
                    acc,
                    o.t + delay,
                    "repost",
                    f"RT @{o.account.handle}: {o.text}",
                    ref=o,
                    lang=o.lang,
                    client="Twitter for Android",
                )


def _campaign(b: Builder, world: organic.Organic, n: int, p: SpamouflageParams) -> None:
    rng = b.rng
    down = b.start + int(p.takedown_at * p.days) * _DAY
    n_hijacked = max(n // 10, 1)
    n_regrowth = max(int(n * 0.15), 2)
    n_mirror = max(n // 10, 2)
    n_persona = max(int(n * 0.3), 2)
    n_amp = n - n_hijacked - n_regrowth - n_mirror - n_persona
    office = b.hours_profile(_OFFICE, floor=0.01)
    content: dict[str, dict[str, object]] = {}

    personas = [
        _persona(b, "x_io", "operator_persona", c) for c in _bursts(b, n_persona, b.start, 200)
    ]
    amps = [_persona(b, "x_io", "amplifier", c) for c in _bursts(b, n_amp, b.start, 120)]
    hijacked = []
    for _ in range(n_hijacked):  # bought/hijacked: old, dormant, then a new language
        created = epoch("2013-01-01") + int(rng.integers(0, 4 * 365)) * _DAY
        name, handle = texts.organic_handle(rng)
        a = _persona(b, "x_io", "hijacked", created)
        a.name, a.handle, a.lang, a.location = name, handle, "bn", "Dhaka, Bangladesh"
        a.followers = int(rng.integers(200, 3000))
        for k in range(int(rng.integers(2, 6))):
            t = created + (k + 1) * int(rng.integers(20, 200)) * _DAY
            b.post(a, t, "post", texts.pick(rng, _BENGALI), lang="bn", client="Twitter for Android")
        hijacked.append(a)

    n_x_days = max((down - b.start) // _DAY, 1)
    originals: list[Post] = []
    for a in personas + hijacked:
        k = int(rng.poisson(p.operator_posts_per_day * n_x_days * 5 / 7)) + 1
        times = b.times(k, office, 8, p.weekend_activity, hi=down)
        originals += _operate(b, a, times, world, p, content)
    _amplify(b, originals, amps, p.reposts_per_post, down, p.amplifier_delay_median)
    for a in amps:  # amplifiers also post a little camouflage of their own
        for t in b.times(int(rng.integers(1, 4)), office, 8, p.weekend_activity, hi=down):
            spam = paraphrase(rng, texts.pick(rng, texts.CAMOUFLAGE), p.paraphrase)
            b.post(a, int(t), "post", spam)

    # Cross-platform mirrors: the same persona names and texts on Reddit and YouTube.
    for i in range(n_mirror):
        src = personas[i % len(personas)]
        own = [o for o in originals if o.account is src] or originals[:3]
        if i % 2 == 0:
            a = b.add(
                Account(
                    "reddit",
                    src.handle,
                    src.handle,
                    "",
                    src.created,
                    "campaign",
                    NETWORK,
                    "operator_persona",
                )
            )
            for o in own[:8]:
                text = _reworded(rng, content[o.post_id], p)
                t = o.t + int(rng.integers(60, 3 * 3600))
                if rng.random() < 0.5 and world.submissions:
                    s = world.submissions[int(rng.integers(len(world.submissions)))]
                    b.post(a, max(t, s.t + 60), "comment", text, ref=s, venue=s.venue)
                else:
                    b.post(a, t, "submission", text, title=text[:120], venue="China", urls=o.urls)
        else:
            a = b.add(
                Account(
                    "youtube",
                    b.channel_id(),
                    src.handle,
                    src.name,
                    src.created,
                    "campaign",
                    NETWORK,
                    "operator_persona",
                )
            )
            for o in own[:8]:
                text = _reworded(rng, content[o.post_id], p)
                video = world.videos[int(rng.integers(len(world.videos)))][0]
                b.post(a, o.t + int(rng.integers(60, 3 * 3600)), "comment", text, venue=video)

    # Regrowth after the takedown: new accounts in a burst, reusing the old content.
    reuse = [content[o.post_id] for o in originals if o.post_id in content]
    regrowth = [
        _persona(b, "x_v2", "regrowth", down + int(rng.integers(3600, 2 * _DAY)))
        for _ in range(n_regrowth)
    ]
    regrown: list[Post] = []
    for a in regrowth:
        lo = max(a.created + 3600, down)
        if lo >= b.end - 3600:
            lo = down
        k = int(rng.poisson(p.operator_posts_per_day * max((b.end - lo) // _DAY, 1) * 5 / 7))
        times = b.times(k + 1, office, 8, p.weekend_activity, lo=lo)
        regrown += _operate(b, a, times, world, p, content, reuse or None)
    _amplify(b, regrown, regrowth, p.reposts_per_post / 2, b.end, p.amplifier_delay_median)
