"""The simulator contract: a scenario turns parameters and a seed into records plus truth.

A :class:`Scenario` has a parameter dataclass (every field with a default and a docstring
comment) and a ``generate(params, seed)`` returning a :class:`Simulation`: accounts and posts
in memory, in a platform-neutral shape, each account carrying its ground-truth label and role.
:func:`cibscan.simulate.writers.write` then renders the records in the real formats the ingest
adapters read, so a simulated case goes through exactly the code paths a real one does.

Everything random comes from one seeded ``numpy.random.Generator`` and records are emitted in
a deterministic order, so the same seed writes byte-identical files.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

#: X/Twitter snowflake epoch (ms): tweet ids encode their creation time, as real ones do
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657
_B64 = string.ascii_letters + string.digits + "-_"

#: where an account's records are written (the platform is implied)
Sink = str  # "x_io" | "x_v2" | "reddit" | "youtube" | "instagram_mcl" | "pinterest_zs" | ...
PLATFORM_OF_SINK = {
    "x_io": "twitter",
    "x_v2": "twitter",
    "reddit": "reddit",
    "youtube": "youtube",
    "instagram_mcl": "instagram",  # Meta Content Library API results
    "pinterest_zs": "pinterest",  # Zeeschuimer captures
    "tiktok_zs": "tiktok",  # Zeeschuimer captures
}
#: numeric post ids of the image and video platforms: (lowest, highest) as the platforms
#: write them (MCL ids, 18-digit pins, 19-digit TikTok videos)
_NUMERIC_POST_IDS = {
    "instagram_mcl": (1_000_000_000_000_000, 9_999_999_999_999_999),
    "pinterest_zs": (100_000_000_000_000_000, 999_999_999_999_999_999),
    "tiktok_zs": (7_000_000_000_000_000_000, 7_499_999_999_999_999_999),
}


@dataclass
class Account:
    """One simulated account and its ground truth (``label``, ``network``, ``role``)."""

    sink: Sink
    account_id: str
    handle: str
    name: str
    created: int  # epoch seconds
    label: str = "organic"
    network: str = ""
    role: str = "organic"
    lang: str = "en"
    description: str = ""
    location: str = ""
    followers: int = 0
    following: int = 0

    @property
    def platform(self) -> str:
        return PLATFORM_OF_SINK[self.sink]


@dataclass
class Post:
    """One post in a platform-neutral shape; writers map it to each format's fields.

    ``kind`` is ``post``, ``repost``, ``quote``, ``reply`` (X), ``submission``/``comment``
    (Reddit) or ``comment`` (YouTube). ``ref`` is what it reposts, quotes or replies to;
    ``venue`` is a subreddit or a YouTube video id. ``ref_missing`` marks a repost whose
    collection lost the original (no retweeted id in the IO archive, the original absent from
    the v2 page's includes), as real scraped and withheld-id collections do.
    """

    account: Account
    post_id: str
    t: int
    kind: str
    text: str
    lang: str = "en"
    hashtags: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    mentions: tuple[Account, ...] = ()
    ref: Post | None = None
    venue: str = ""
    title: str = ""
    client: str = "Twitter Web App"
    ref_missing: bool = False
    #: the media it carries, by content: an image hash (32 hex digits) on Instagram and
    #: Pinterest, a sound id on TikTok (what each format lets ingest see as a media hash)
    media: tuple[str, ...] = ()


@dataclass
class Simulation:
    """What a scenario generated: accounts (with truth) and their posts."""

    scenario: str
    seed: int
    params: Any
    start: int
    end: int
    accounts: list[Account] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    #: YouTube video id -> the channel that uploaded it (a comment thread names it)
    video_owners: dict[str, str] = field(default_factory=dict)

    def truth_rows(self) -> list[dict[str, str]]:
        """Rows of truth.csv: ``platform, account_id, label, network, role``."""
        return [
            {
                "platform": a.platform,
                "account_id": a.account_id,
                "label": a.label,
                "network": a.network,
                "role": a.role,
            }
            for a in self.accounts
        ]


class Scenario(Protocol):
    """A named generator of a case with ground truth."""

    name: str
    params_type: type[Any]

    def generate(self, params: Any, seed: int) -> Simulation: ...


def epoch(day: str) -> int:
    """Epoch seconds of ``YYYY-MM-DD`` 00:00 UTC."""
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())


class Builder:
    """Shared state while generating: the RNG, the time frame and id counters.

    Ids are drawn to look like the platform's (tweet snowflakes carrying their time, Reddit
    base-36 ids, YouTube ``UC`` channel ids) because detectors and analysts read them.
    """

    def __init__(self, rng: np.random.Generator, start: int, days: int) -> None:
        self.rng = rng
        self.start = start
        self.days = days
        self.end = start + days * 86400
        self.accounts: list[Account] = []
        self.posts: list[Post] = []
        self._seq = 0
        self._reddit_id = int(rng.integers(60_000_000_000, 70_000_000_000))
        self._used: set[str] = set()

    def _unique(self, make: Any) -> str:
        while True:
            value = str(make())
            if value not in self._used:
                self._used.add(value)
                return value

    def user_id(self, created: int) -> str:
        """A numeric X user id: snowflakes since 2013-ish, short integers before."""
        if created > epoch("2016-01-01"):
            return self.snowflake(created * 1000)
        return self._unique(lambda: int(self.rng.integers(10_000_000, 4_000_000_000)))

    def snowflake(self, ms: int) -> str:
        self._seq += 1
        return str(((ms - _SNOWFLAKE_EPOCH_MS) << 22) + (self._seq % 4096) * 1024 + 7)

    def reddit_id(self) -> str:
        self._reddit_id += int(self.rng.integers(1, 40))
        return np.base_repr(self._reddit_id, 36).lower()

    def token(self, n: int) -> str:
        return "".join(_B64[i] for i in self.rng.integers(0, 64, n))

    def channel_id(self) -> str:
        return self._unique(lambda: "UC" + self.token(22))

    def add(self, account: Account) -> Account:
        self.accounts.append(account)
        return account

    def post(self, account: Account, t: int, kind: str, text: str, **kw: Any) -> Post:
        """Add a post with a platform-shaped id."""
        if account.sink.startswith("x_"):
            pid = self.snowflake(t * 1000 + int(self.rng.integers(0, 1000)))
        elif account.sink == "reddit":
            pid = self.reddit_id()
        elif account.sink in _NUMERIC_POST_IDS:
            lo, hi = _NUMERIC_POST_IDS[account.sink]
            pid = self._unique(lambda: int(self.rng.integers(lo, hi)))
        else:
            pid = "Ug" + self.token(18) + "4AaABAg"
        p = Post(account=account, post_id=pid, t=int(t), kind=kind, text=text, **kw)
        self.posts.append(p)
        return p

    def repost(self, account: Account, t: int, original: Post, **kw: Any) -> Post:
        """A plain repost as X writes one: ``RT @author: text`` with the original's entities
        (its author first among the mentions), so a repost that loses its original's id
        still carries what the original said, as real archive rows do."""
        return self.post(
            account,
            t,
            "repost",
            f"RT @{original.account.handle}: {original.text}",
            ref=original,
            lang=original.lang,
            hashtags=original.hashtags,
            urls=original.urls,
            mentions=(original.account, *original.mentions),
            **kw,
        )

    def lose_repost_ids(self, share: float) -> None:
        """Lose the original of about ``share`` of all reposts (``Post.ref_missing``).

        Real collections lose what a retweet points to: the FiveThirtyEight IRA release has
        no retweeted ids, archives withhold some, and a deleted or withheld original is
        missing from every v2 page's includes. The unit is the original: each one that was
        reposted is lost with probability ``share`` (so about that share of reposts, in
        expectation), and then all its reposts are. Share 0 draws nothing from the generator.
        """
        if share <= 0:
            return
        reposts = [p for p in self.posts if p.kind == "repost" and p.ref is not None]
        originals = list(dict.fromkeys(p.ref.post_id for p in reposts if p.ref is not None))
        draws = self.rng.random(len(originals)) < share
        lost = {o for o, gone in zip(originals, draws, strict=True) if gone}
        for p in reposts:
            p.ref_missing = p.ref is not None and p.ref.post_id in lost

    def hours_profile(self, weights: dict[int, float], floor: float = 0.02) -> np.ndarray:
        """A 24-hour probability vector from a few weighted local hours."""
        p = np.full(24, floor)
        for hour, w in weights.items():
            p[hour] = w
        return np.asarray(p / p.sum())

    def day_times(self, n: int, profile: np.ndarray, midnight: int) -> np.ndarray:
        """``n`` sorted epoch times within one local day starting at ``midnight`` (the epoch of
        local 00:00), hours drawn from ``profile`` (vectorised). Unlike :meth:`times` nothing
        is clipped, so an event bound to one day keeps its daily rhythm."""
        hours = self.rng.choice(24, size=n, p=profile)
        return np.sort(midnight + hours * 3600 + self.rng.integers(0, 3600, size=n))

    def times(
        self,
        n: int,
        profile: np.ndarray,
        utc_offset: float,
        weekend: float = 1.0,
        lo: int | None = None,
        hi: int | None = None,
    ) -> np.ndarray:
        """``n`` sorted epoch times drawn from a local-hour ``profile`` (vectorised).

        ``weekend`` scales the chance of Saturday/Sunday local days; ``lo``/``hi`` bound the
        times (default: the whole period).
        """
        lo = self.start if lo is None else lo
        hi = self.end if hi is None else hi
        first, last = (lo - self.start) // 86400, max((hi - self.start - 1) // 86400, 0)
        day_idx = np.arange(first, last + 1)
        weekday = (np.array([datetime.fromtimestamp(self.start, UTC).weekday()]) + day_idx) % 7
        dw = np.where(weekday >= 5, weekend, 1.0)
        days = self.rng.choice(day_idx, size=n, p=dw / dw.sum())
        hours = self.rng.choice(24, size=n, p=profile)
        secs = self.rng.integers(0, 3600, size=n)
        t = self.start + days * 86400 + hours * 3600 + secs - int(utc_offset * 3600)
        return np.sort(np.clip(t, lo, hi - 1))
