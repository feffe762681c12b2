"""The ``spamouflage`` scenario: a China-based CIB network in an organic crowd.

Calibrated to the public record summarised in ``../shared/README.md`` (Meta Q2 2023, Graphika
2019-2024, Twitter June 2020, Google DRAGONBRIDGE); docs/simulator.md says which behaviour
imitates which finding. The campaign is small (<= 2 % of accounts), as in real collections.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from cibscan.simulate import organic, texts, visual
from cibscan.simulate.base import Account, Builder, Post, Simulation, epoch
from cibscan.simulate.params import HardSpamouflageParams, SpamouflageParams
from cibscan.simulate.paraphrase import paraphrase

__all__ = ["HardSpamouflageParams", "Spamouflage", "SpamouflageHard", "SpamouflageParams"]

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


class Spamouflage:
    """The scenario object registered under ``spamouflage``."""

    name = "spamouflage"
    params_type: type[SpamouflageParams] = SpamouflageParams

    def generate(self, params: SpamouflageParams, seed: int) -> Simulation:
        rng = np.random.default_rng(seed)
        b = Builder(rng, epoch(params.start), params.days)
        n_campaign = params.campaign_accounts or max(
            int(params.accounts * params.campaign_share), 10
        )
        world = organic.build(b, params.accounts - n_campaign, _crowd(params))
        _campaign(b, world, n_campaign, params)
        b.lose_repost_ids(params.missing_repost_ids)
        office = b.hours_profile(_OFFICE, floor=0.01)
        visual.mirror(b, NETWORK, params.visual_mirrors, params.visual_organic, office)
        b.posts.sort(key=lambda p: (p.t, p.post_id))
        log.info("%s: %d accounts, %d posts", self.name, len(b.accounts), len(b.posts))
        sim = Simulation(self.name, seed, params, b.start, b.end, b.accounts, b.posts)
        sim.video_owners = dict(world.videos)
        return sim


class SpamouflageHard(Spamouflage):
    """``spamouflage-hard``: the same world, the campaign shapes of
    :class:`HardSpamouflageParams` (small rings, paraphrase, human delays, quotes)."""

    name = "spamouflage-hard"
    params_type = HardSpamouflageParams


def _crowd(p: SpamouflageParams) -> SpamouflageParams:
    """The parameters the organic crowd sees: every hard negative's share or size times
    ``organic_noise`` (the new crowds' shares capped at 1)."""
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
        idol_fan_share=min(p.idol_fan_share * k, 1.0),
        fan_voters=round(p.fan_voters * k),
        hashtag_gamer_share=min(p.hashtag_gamer_share * k, 1.0),
        news_reader_share=min(p.news_reader_share * k, 1.0),
    )


#: how the campaign's accounts split over its roles (the mirrors are operator personas)
_ROLE_SHARES = {
    "operator_persona": 0.30,
    "amplifier": 0.35,
    "hijacked": 0.10,
    "regrowth": 0.15,
    "mirror": 0.10,
}


def _split(n: int) -> dict[str, int]:
    """Campaign accounts per role by largest remainders, so that any size works: a ring of
    five still has personas and amplifiers (a network needs a voice and an echo)."""
    quotas = {r: n * s for r, s in _ROLE_SHARES.items()}
    counts = {r: int(q) for r, q in quotas.items()}
    by_remainder = sorted(quotas, key=lambda r: counts[r] - quotas[r])
    for r in by_remainder[: n - sum(counts.values())]:
        counts[r] += 1
    return counts


def _rings(
    size: int, posters: list[Account], amps: list[Account]
) -> list[tuple[list[Account], list[Account]]]:
    """Posters and amplifiers dealt into independent rings of about ``size`` accounts (0: one
    network). A ring amplifies only its own posters, so rings share no reposts."""
    distinct = len({id(a) for a in posters + amps})
    k = 1 if size <= 0 else max(1, round(distinct / size))
    return [(posters[i::k], amps[i::k]) for i in range(k)]


def _reworded(rng: np.random.Generator, c: dict[str, object], p: SpamouflageParams) -> str:
    """A content's text as posted again: verbatim (the default), or paraphrased afresh."""
    if p.paraphrase <= 0:
        return str(c["text"])
    return paraphrase(rng, str(c["body"]), p.paraphrase) + str(c["suffix"])


def _persona(b: Builder, sink: str, role: str, created: int, formulaic: float = 1.0) -> Account:
    """A campaign account; its handle is the formulaic persona's with chance ``formulaic``
    (1 draws nothing extra from the generator, so the default world keeps its bytes)."""
    if formulaic >= 1 or b.rng.random() < formulaic:
        name, handle = texts.persona_name(b.rng)
    else:
        name, handle = texts.organic_handle(b.rng)
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


def _bursts(b: Builder, n: int, before: int, span_days: int, spread: int = 0) -> list[int]:
    """Creation times in bursts: a few days, each with several accounts within hours; with
    ``spread`` days, each account on its own random day of them instead (aged accounts)."""
    if spread > 0:
        return [int(before - d * _DAY) for d in b.rng.integers(30, spread, size=n)]
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
    b: Builder,
    originals: list[Post],
    ring: list[Account],
    mean: float,
    hi: int,
    p: SpamouflageParams,
) -> None:
    """Reposts by the ring's other accounts after a lognormal delay (median
    ``amplifier_delay_median`` seconds); ``amplifier_quote_share`` of them are quotes with a
    short comment, which hides the echo from a repost-only signal."""
    rng, median = b.rng, p.amplifier_delay_median
    for o in originals:
        pool = [a for a in ring if a is not o.account]
        k = min(int(rng.poisson(mean)), len(pool))
        for a in rng.choice(len(pool), size=k, replace=False) if k else ():
            delay = int(np.clip(rng.lognormal(np.log(median), 1.0), 3, 20 * median))
            if o.t + delay >= hi:
                continue
            acc, t = pool[int(a)], o.t + delay
            if p.amplifier_quote_share > 0 and rng.random() < p.amplifier_quote_share:
                comment = texts.amplifier_comment(rng, o.lang)
                b.post(acc, t, "quote", comment, ref=o, lang=o.lang, client="Twitter for Android")
            else:
                b.repost(acc, t, o, client="Twitter for Android")


def _campaign(b: Builder, world: organic.Organic, n: int, p: SpamouflageParams) -> None:
    rng = b.rng
    down = b.start + int(p.takedown_at * p.days) * _DAY
    split = _split(n)
    n_hijacked, n_regrowth, n_mirror = split["hijacked"], split["regrowth"], split["mirror"]
    n_persona, n_amp = split["operator_persona"], split["amplifier"]
    office = b.hours_profile(_OFFICE, floor=0.01)
    content: dict[str, dict[str, object]] = {}

    spread, formulaic = p.creation_span_days, p.formulaic_handles
    personas = [
        _persona(b, "x_io", "operator_persona", c, formulaic)
        for c in _bursts(b, n_persona, b.start, 200, spread)
    ]
    amps = [
        _persona(b, "x_io", "amplifier", c, formulaic)
        for c in _bursts(b, n_amp, b.start, 120, spread)
    ]
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
    for posters, ring in _rings(p.ring_size, personas + hijacked, amps):
        own: list[Post] = []
        for a in posters:
            k = int(rng.poisson(p.operator_posts_per_day * n_x_days * 5 / 7)) + 1
            times = b.times(k, office, 8, p.weekend_activity, hi=down)
            own += _operate(b, a, times, world, p, content)
        _amplify(b, own, ring, p.reposts_per_post, down, p)
        originals += own
    for a in amps:  # amplifiers also post a little camouflage of their own
        for t in b.times(int(rng.integers(1, 4)), office, 8, p.weekend_activity, hi=down):
            spam = paraphrase(rng, texts.pick(rng, texts.CAMOUFLAGE), p.paraphrase)
            b.post(a, int(t), "post", spam)

    # Cross-platform mirrors: the same persona names and texts on Reddit and YouTube.
    for i in range(n_mirror):
        src = personas[i % len(personas)]
        own = [o for o in originals if o.account is src] or originals[:3]
        if not own:  # a tiny campaign with no political post yet: the mirror posts spam
            own = [b.post(src, b.start + 3600, "post", texts.pick(rng, texts.CAMOUFLAGE))]
            content[own[0].post_id] = {"text": own[0].text, "body": own[0].text, "suffix": ""}
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
        _persona(b, "x_v2", "regrowth", down + int(rng.integers(3600, 2 * _DAY)), formulaic)
        for _ in range(n_regrowth)
    ]
    for group, ring in _rings(p.ring_size, regrowth, regrowth):
        regrown: list[Post] = []
        for a in group:
            lo = max(a.created + 3600, down)
            if lo >= b.end - 3600:
                lo = down
            k = int(rng.poisson(p.operator_posts_per_day * max((b.end - lo) // _DAY, 1) * 5 / 7))
            times = b.times(k + 1, office, 8, p.weekend_activity, lo=lo)
            regrown += _operate(b, a, times, world, p, content, reuse or None)
        _amplify(b, regrown, ring, p.reposts_per_post / 2, b.end, p)
