"""Regrowth: the whack-a-mole world, two periods of one case (``simulate(..., regrowth=True)``).

Platforms take a network down and its operator comes back months later with new accounts and
old habits (Graphika's Spamouflage reports, Meta Q2 2023). A detector that starts from scratch
on the new period sees accounts that each post a few times and barely coordinate; what links
them to the old network is the operator's habits: the same narratives reworded, links on the
same sites, some of the same hashtags, the same journalists attacked, the same handle formula,
creation in batches, the Beijing office day, the same client apps and languages. This module
builds that second period so that matching against a library of known networks can be
measured:

- period 1 is the scenario itself (``spamouflage``) plus links to the operator's own sites
  and, now and then, to a popular news outlet (``RegrowthParams.site_link_share``; 0 keeps
  period 1 byte-identical to the plain scenario's files);
- period 2 starts ``gap_days`` after period 1 ends: a fresh organic crowd on the same
  journalists and news outlets (same accounts), the returning network (new accounts, role
  ``regrowth``, and a few of period 1's accounts, role ``known_member``), an unrelated network
  (truth network ``distractor``) and organic people who share some of the network's topics,
  hashtags, one news domain or one slogan (role ``topic_neighbor``: hard negatives).

Both periods' truth.csv add ``regrew_from`` (``spamouflage`` for the returning accounts) and
``reappeared`` (``true`` for period-1 accounts seen again). Each period draws from its own
generator seeded from the seed, so the same seed writes the same bytes.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cibscan.simulate import organic, texts
from cibscan.simulate.base import Account, Builder, Post, Simulation, epoch
from cibscan.simulate.params import RegrowthParams, SpamouflageParams
from cibscan.simulate.paraphrase import paraphrase
from cibscan.simulate.spamouflage import _OFFICE, NETWORK, _bursts
from cibscan.simulate.writers import TRUTH_COLUMNS, write

__all__ = ["REGROWTH_TRUTH_COLUMNS", "Regrowth", "RegrowthParams", "build", "write_periods"]

log = logging.getLogger(__name__)
_DAY = 86400
REGROWTH_TRUTH_COLUMNS = (*TRUTH_COLUMNS, "regrew_from", "reappeared")
DISTRACTOR = "distractor"
#: the operator's own "news" sites (period 1) and the ones it opens after the takedown
OPERATOR_SITES = (
    "www.worldtruth-news.example",
    "asiapacific-voice.example",
    "www.dailyfacts-review.example",
)
NEW_SITES = ("www.globalview-daily.example", "freshinsight-news.example")
#: hashtags the returning network adds to period 1's (texts.CAMPAIGN_TAGS)
NEW_TAGS = ("WakeUpAmerica", "StopTheLies", "RealFacts", "PeaceNotWar")
_SLUG_WORDS = ("truth", "america", "chaos", "democracy", "media", "lies", "west", "report")
#: a share of the site links point to an article of the world's first news outlet instead
_NEWS_LINK_SHARE = 0.2

# The distractor: a European-facing operation on Moscow office hours (UTC+3), posting links to
# look-alike news sites in bursts from a scheduler, in English and German. Written for this
# project; the shape (look-alike sites, scheduled bursts) follows public Doppelganger reports.
_MOSCOW = {10: 3.0, 11: 3.0, 12: 2.5, 13: 1.2, 14: 3.0, 15: 3.0, 16: 2.8, 17: 2.0, 18: 0.6}
_DIS_SITES = ("eu-insider-news.example", "faktenblick24.example", "europe-today-report.example")
_DIS_TAGS = ("EnergyCrisis", "Sanktionen", "EUfarmers", "CostOfLiving")
_DIS_EN = (
    "Europe pays the price for the sanctions: energy bills up again",
    "Why are our taxes funding a war that never ends?",
    "Farmers protest across the EU while Brussels looks away",
    "The sanctions backfired, read the numbers",
    "Factories are closing in Germany because of energy prices",
)
_DIS_DE = (
    "Die Energiepreise steigen weiter, die Sanktionen schaden uns selbst",
    "Warum zahlen wir für einen Krieg ohne Ende?",
    "Bauernproteste in ganz Europa, Brüssel schaut weg",
)
_DIS_FIRST = ("Markus", "Jens", "Sabine", "Katrin", "Thomas", "Anja", "Stefan", "Monika", "Uwe")
_DIS_ADJ = ("calm", "true", "free", "north", "clear", "bold", "quiet", "real", "plain")
_DIS_NOUN = ("voice", "observer", "citizen", "reader", "thinker", "eagle", "oak", "view")

# Organic people on the network's topics, in their own words (written for this project): each
# shares one thing with the network, a news domain, a hashtag or a slogan.
_NEIGHBOR_LINES = (
    "Another shooting in the news today, gun violence in America has to stop",
    "Reading about racism in America again, we have to do better",
    "Thinking of the people of Hong Kong tonight",
    "Anyone following the Xinjiang reports? Hard to read",
    "Washington should fix things at home first, prices are crazy",
    "Is democracy in trouble? Good long read on it",
    "The lab leak debate is still going on, who knows what is true",
)
SLOGANS = ("Wake up!", "The world can see it")


@dataclass
class Regrowth:
    """Both periods in memory, and which period-2 accounts the network regrew."""

    period1: Simulation
    period2: Simulation
    params: RegrowthParams
    #: the returning network's accounts in period 2 (new ones and known members)
    returning: list[Account] = field(default_factory=list)
    #: the period-1 accounts among them (same account id, same handle)
    reappeared: list[Account] = field(default_factory=list)
    #: the news domain the network linked and organic people link too ("" without outlets)
    popular_domain: str = ""

    def truth_rows(self, period: int) -> list[dict[str, str]]:
        """truth.csv rows of ``period`` (1 or 2): the usual columns plus the lineage."""
        sim = self.period1 if period == 1 else self.period2
        regrown = {id(a) for a in self.returning} if period == 2 else set()
        again = {id(a) for a in self.reappeared} if period == 2 else set()
        return [
            row
            | {
                "regrew_from": NETWORK if id(a) in regrown else "",
                "reappeared": "true" if id(a) in again else "false",
            }
            for a, row in zip(sim.accounts, sim.truth_rows(), strict=True)
        ]


def build(sim1: Simulation, seed: int, params: RegrowthParams) -> Regrowth:
    """Period 2 after ``sim1`` (period 1, which gets the operator's site links in place)."""
    p1: SpamouflageParams = sim1.params
    popular = _link_sites(sim1, np.random.default_rng([seed, 1]), params.site_link_share)
    start = sim1.end + params.gap_days * _DAY
    days = params.days or p1.days
    accounts = params.accounts or max(p1.accounts // 2, 500)
    p2 = dataclasses.replace(
        p1,
        accounts=accounts,
        days=days,
        start=datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d"),
        campaign_accounts=0,
    )
    b = Builder(np.random.default_rng([seed, 2]), epoch(p2.start), days)
    old = [a for a in sim1.accounts if a.label == "campaign" and a.network == NETWORK]
    x_old = [a for a in old if a.platform == "twitter"]
    n_back = min(round(params.reappear_share * len(old)), len(x_old))
    if params.reappear_share > 0 and x_old:
        n_back = max(n_back, 1)
    n_organic = accounts - params.campaign_accounts - n_back - params.distractor_accounts
    if n_organic < 100:
        raise ValueError(f"period 2 leaves {n_organic} organic accounts: give it more accounts")

    world = organic.build(b, n_organic, p2)
    kept = _same_world(sim1, b, world)
    tags = sorted({t for a in sim1.posts if a.account.network == NETWORK for t in a.hashtags})
    _neighbors(b, params.neighbor_share, popular, tuple(tags) or texts.CAMPAIGN_TAGS)
    picks = sorted(int(i) for i in b.rng.choice(len(x_old), size=n_back, replace=False))
    members = [
        b.add(dataclasses.replace(x_old[i], sink="x_v2", role="known_member")) for i in picks
    ]
    new = _new_accounts(b, params, old)
    _returning_posts(b, world, members + new, params, p2, popular)
    _distractor(b, params.distractor_accounts, params.distractor_bursts)
    _fresh_ids(b, sim1, kept + members)
    b.lose_repost_ids(p2.missing_repost_ids)
    b.posts.sort(key=lambda p: (p.t, p.post_id))
    sim2 = Simulation(f"{sim1.scenario}-regrowth", seed, p2, b.start, b.end, b.accounts, b.posts)
    sim2.video_owners = dict(world.videos)
    log.info(
        "regrowth: period 2 has %d accounts (%d new, %d known), %d posts",
        len(b.accounts),
        len(new),
        len(members),
        len(b.posts),
    )
    return Regrowth(sim1, sim2, params, members + new, members, popular)


def _article(rng: np.random.Generator, domain: str, t: int) -> str:
    """A dated article address on ``domain``, as news-like sites write them."""
    words = "-".join(str(w) for w in rng.choice(_SLUG_WORDS, size=3, replace=False))
    month = datetime.fromtimestamp(t, UTC).strftime("%Y/%m")
    return f"https://{domain}/{month}/{words}-{int(rng.integers(1000, 9999))}"


def _link_sites(sim1: Simulation, rng: np.random.Generator, share: float) -> str:
    """Add a link to ``share`` of period 1's political X posts (their reposts follow): to one
    of the operator's sites, or (a fifth) to an article of the world's first news outlet, whose
    domain is returned. Drawn from its own generator: the scenario's draws are untouched."""
    outlets = [a for a in sim1.accounts if a.role == "news_outlet"]
    popular = f"www.{outlets[0].handle}.com" if outlets else ""
    if share <= 0:
        return popular
    political = [
        p
        for p in sim1.posts
        if p.account.label == "campaign"
        and p.account.platform == "twitter"
        and p.kind in ("post", "reply")
        and p.hashtags
    ]
    linked: set[str] = set()
    for p, draw in zip(political, rng.random(len(political)), strict=True):
        if draw >= share:
            continue
        news = bool(popular) and rng.random() < _NEWS_LINK_SHARE
        domain = popular if news else texts.pick(rng, OPERATOR_SITES)
        url = _article(rng, domain, p.t)
        p.text, p.urls = f"{p.text} {url}", (*p.urls, url)
        linked.add(p.post_id)
    for p in sim1.posts:  # a repost says what its original says
        if p.kind == "repost" and p.ref is not None and p.ref.post_id in linked:
            p.text, p.urls = f"RT @{p.ref.account.handle}: {p.ref.text}", p.ref.urls
    log.info(
        "regrowth: %d of period 1's %d political posts got a link", len(linked), len(political)
    )
    return popular


def _same_world(sim1: Simulation, b: Builder, world: organic.Organic) -> list[Account]:
    """The journalists and news outlets of period 2 are period 1's accounts (same ids and
    handles), so the network attacks the same people; texts naming the period-2 stand-ins'
    handles are rewritten. Returns the accounts carried over."""
    renames: dict[str, str] = {}
    kept: list[Account] = []
    for role in ("journalist", "news_outlet"):
        before = [a for a in sim1.accounts if a.role == role]
        now = [a for a in b.accounts if a.role == role]
        for old, new in zip(before, now, strict=False):
            if new.handle != old.handle:
                renames[new.handle] = old.handle
            new.account_id, new.handle, new.name = old.account_id, old.handle, old.name
            new.created, new.description = old.created, old.description
            kept.append(new)
    if renames:
        alternatives = "|".join(re.escape(h) for h in sorted(renames, key=len, reverse=True))
        at = re.compile(f"@({alternatives})(?![A-Za-z0-9_])")
        for p in b.posts:
            p.text = at.sub(lambda m: "@" + renames[m.group(1)], p.text)
    return kept


def _neighbors(b: Builder, share: float, popular: str, tags: tuple[str, ...]) -> None:
    """Ordinary X people (``share`` of them) post once or twice on the network's topics, each
    post sharing one thing with it: the news domain it linked, one of the hashtags it used
    (``tags``), or a slogan from its texts. Authentic: their own day, their own time zone,
    no coordination."""
    rng = b.rng
    people = [a for a in b.accounts if a.sink == "x_v2" and a.role == "organic"]
    n = round(share * len(people))
    if n == 0:
        return
    human = b.hours_profile(organic._HUMAN)
    for i in sorted(rng.choice(len(people), size=n, replace=False)):
        a = people[int(i)]
        a.role = "topic_neighbor"
        offset = float(rng.choice([-5, -5, 0, 1, 8]))
        for t in b.times(1 + int(rng.random() < 0.3), human, offset):
            line, r = texts.pick(rng, _NEIGHBOR_LINES), rng.random()
            if popular and r < 0.4:
                url = _article(rng, popular, int(t))
                b.post(a, int(t), "post", f"{line} {url}", urls=(url,))
            elif r < 0.75:
                tag = texts.pick(rng, tags)
                b.post(a, int(t), "post", f"{line} #{tag}", hashtags=(tag,))
            else:
                b.post(a, int(t), "post", f"{line}. {texts.pick(rng, SLOGANS)}")


def _new_accounts(b: Builder, p: RegrowthParams, old: list[Account]) -> list[Account]:
    """The operator's new accounts: created in new batches over the 45 days before period 2,
    the same name style and (mostly) handle formula with names period 1 did not use."""
    rng = b.rng
    names, handles = {a.name for a in old}, {a.handle for a in old}
    out = []
    for created in _bursts(b, p.campaign_accounts, b.start, 45):
        while True:
            formulaic = p.formulaic_handles >= 1 or rng.random() < p.formulaic_handles
            name, handle = texts.persona_name(rng) if formulaic else texts.organic_handle(rng)
            if name not in names and handle not in handles:
                break
        names.add(name)
        handles.add(handle)
        youtube = rng.random() < p.youtube_share
        a = Account(
            sink="youtube" if youtube else "x_v2",
            account_id=b.channel_id() if youtube else b.user_id(created),
            handle=handle,
            name=name,
            created=created,
            label="campaign",
            network=NETWORK,
            role="regrowth",
            description=texts.pick(rng, texts.BIOS),
            followers=int(rng.integers(0, 40)),
            following=int(rng.integers(0, 80)),
        )
        out.append(b.add(a))
    return out


def _narrative(
    b: Builder, world: organic.Organic, p: RegrowthParams, sp: SpamouflageParams, popular: str
) -> tuple[str, str, tuple[str, ...], str, Account | None]:
    """One political post of the returning network: an old narrative reworded, a new video
    or article link, an old or a new hashtag. Returns text, language, links, tag, target."""
    rng = b.rng
    target = world.targets[int(rng.integers(len(world.targets)))]
    zh = rng.random() < sp.chinese_share
    template = texts.pick(rng, texts.POLITICAL_ZH if zh else texts.POLITICAL_EN)
    body = texts.copypasta(rng, template, target.name or target.handle)
    text, urls = paraphrase(rng, body, p.paraphrase), []
    if rng.random() < sp.video_link_share:
        video = f"https://www.youtube.com/watch?v={b.token(11)}"
        text += f" {texts.pick(rng, texts.VIDEO_SUBTITLES)} {video}"
        urls.append(video)
    if rng.random() < p.site_link_share:
        if popular and rng.random() < _NEWS_LINK_SHARE:
            domain = popular
        elif rng.random() < p.old_domain_share:
            domain = texts.pick(rng, OPERATOR_SITES)
        else:
            domain = texts.pick(rng, NEW_SITES)
        urls.append(_article(rng, domain, b.start))
        text += f" {urls[-1]}"
    tag = texts.pick(rng, texts.CAMPAIGN_TAGS if rng.random() < p.hashtag_reuse else NEW_TAGS)
    text += f" #{tag}"
    return text, "zh" if zh else "en", tuple(urls), tag, target if "{target}" in template else None


def _returning_posts(
    b: Builder,
    world: organic.Organic,
    accounts: list[Account],
    p: RegrowthParams,
    sp: SpamouflageParams,
    popular: str,
) -> None:
    """Each returning account posts a little (two plus a Poisson, mean ``posts_mean``) on the
    Beijing office day: camouflage spam or a political post, an attack sent as a reply to the
    journalist's latest post; a few reposts among them hours later (weak coordination)."""
    rng = b.rng
    office = b.hours_profile(_OFFICE, floor=0.01)
    counts = 2 + rng.poisson(p.posts_mean - 2, size=len(accounts))
    originals: list[Post] = []
    for a, k in zip(accounts, counts, strict=True):
        youtube = a.sink == "youtube"
        for t in b.times(int(k), office, 8, sp.weekend_activity):
            tags: tuple[str, ...] = ()
            urls: tuple[str, ...] = ()
            lang, target = "en", None
            if rng.random() >= sp.political_share:
                text = paraphrase(rng, texts.pick(rng, texts.CAMOUFLAGE), p.paraphrase)
            else:
                text, lang, urls, tag, target = _narrative(b, world, p, sp, popular)
                tags = (tag,)
            if youtube:
                video = world.videos[int(rng.integers(len(world.videos)))][0]
                b.post(a, int(t), "comment", text, lang=lang, venue=video)
                continue
            kw = {"lang": lang, "urls": urls, "hashtags": tags}
            if target is not None and rng.random() < sp.attack_share:
                prior = [x for x in world.target_posts if x.account is target and x.t < t]
                if prior:
                    text = f"@{target.handle} {text}"
                    b.post(a, int(t), "reply", text, ref=prior[-1], mentions=(target,), **kw)
                    continue
            post = b.post(a, int(t), "post", text, **kw)
            if tags:
                originals.append(post)
    x = [a for a in accounts if a.sink != "youtube"]
    for o in originals:
        pool = [a for a in x if a is not o.account]
        k = min(int(rng.poisson(p.repost_mean)), len(pool))
        for i in rng.choice(len(pool), size=k, replace=False) if k else ():
            delay = int(np.clip(rng.lognormal(np.log(7200), 1.0), 300, 3 * _DAY))
            if o.t + delay < b.end:
                b.repost(pool[int(i)], o.t + delay, o, client="Twitter for Android")


def _distractor(b: Builder, n: int, bursts: float) -> None:
    """An unrelated network: accounts registered in one batch with ``adjective_noun12``
    handles, posting a new look-alike-site link together in bursts (about half of them
    within minutes) from a scheduler, on Moscow office hours, in English and German."""
    if n == 0:
        return
    rng = b.rng
    batch = b.start - int(rng.integers(10, 30)) * _DAY
    members = []
    for _ in range(n):
        created = batch + int(rng.integers(0, 6 * 3600))
        first = texts.pick(rng, _DIS_FIRST)
        handle = f"{texts.pick(rng, _DIS_ADJ)}_{texts.pick(rng, _DIS_NOUN)}{rng.integers(10, 99)}"
        a = Account(
            sink="x_v2",
            account_id=b.user_id(created),
            handle=handle,
            name=f"{first} {chr(65 + int(rng.integers(26)))}.",
            created=created,
            label="campaign",
            network=DISTRACTOR,
            role="operator_persona",
            lang="de" if rng.random() < 0.4 else "en",
            description="Independent news for Europe",
            followers=int(rng.integers(5, 120)),
            following=int(rng.integers(50, 400)),
        )
        members.append(b.add(a))
    moscow = b.hours_profile(_MOSCOW, floor=0.005)
    for t0 in b.times(round(bursts * b.days * 5 / 7), moscow, 3, weekend=0.05):
        de = rng.random() < 0.4
        line = texts.pick(rng, _DIS_DE if de else _DIS_EN)
        url = _article(rng, texts.pick(rng, _DIS_SITES), int(t0))
        tag = texts.pick(rng, _DIS_TAGS)
        who = np.nonzero(rng.random(n) < 0.5)[0]
        delays = np.clip(rng.lognormal(np.log(60), 0.8, len(who)), 5, 900)
        for i, d in zip(who, delays, strict=True):
            if int(t0) + int(d) < b.end:
                text = f"{line} {url} #{tag}"
                lang = "de" if de else "en"
                b.post(
                    members[int(i)],
                    int(t0) + int(d),
                    "post",
                    text,
                    lang=lang,
                    urls=(url,),
                    hashtags=(tag,),
                    client="Buffer",
                )


def _fresh_ids(b: Builder, sim1: Simulation, kept: list[Account]) -> None:
    """Period 2's own accounts get ids no period-1 campaign account or carried account has
    (X ids are snowflakes of the creation time, so two periods' builders could meet)."""
    carried = {id(a) for a in kept}
    taken = {(a.platform, a.account_id) for a in sim1.accounts if a.label == "campaign"}
    taken |= {(a.platform, a.account_id) for a in kept}
    for a in b.accounts:
        if id(a) in carried:
            continue
        while (a.platform, a.account_id) in taken:
            if a.platform == "twitter":
                a.account_id = b.snowflake(a.created * 1000)
            elif a.platform == "youtube":
                a.account_id = b.channel_id()
            else:
                a.account_id = a.handle = a.account_id + b.token(1)
        taken.add((a.platform, a.account_id))


def _write_truth(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=REGROWTH_TRUTH_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_periods(rg: Regrowth, out_dir: str | Path) -> dict[str, dict[str, int]]:
    """Write ``out_dir/period1`` and ``out_dir/period2``, each a whole case with its own
    truth.csv (with the lineage columns); a file with no records is not written (period 2 has
    no takedown archive). Returns records written per file, per period."""
    written: dict[str, dict[str, int]] = {}
    for period, sim in ((1, rg.period1), (2, rg.period2)):
        folder = Path(out_dir) / f"period{period}"
        files = write(sim, folder)
        for name, n in list(files.items()):
            if n == 0 and name != "truth.csv":
                (folder / name).unlink()
                del files[name]
        _write_truth(rg.truth_rows(period), folder / "truth.csv")
        written[f"period{period}"] = files
    return written
