"""Parameters of the ``spamouflage`` scenarios: the default world and the hard presets.

Every field has a default and a docstring; docs/simulator.md has one table row per field (a
test checks it). The organic hard negatives are on by default, because a detector measured
without them is measured on a world with no authentic coordination; the hard campaign shapes
are off (or mild) by default so that the default demo stays comparable, and
:class:`HardSpamouflageParams` (scenario ``spamouflage-hard``) switches them on together.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    campaign_accounts: int = 0
    """Exact number of campaign accounts (0: from campaign_share, at least 10)."""
    ring_size: int = 0
    """Accounts per independent amplification ring (0: one network amplifying itself)."""
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
    amplifier_quote_share: float = 0.0
    """Share of amplifications written as quotes with a comment instead of plain reposts."""
    reddit_share: float = 0.15
    """Share of organic accounts on Reddit (the rest: X and YouTube)."""
    youtube_share: float = 0.15
    """Share of organic accounts on YouTube."""
    organic_posts_mean: float = 5.0
    """Mean posts per organic account over the period (heavy-tailed)."""
    mention_share: float = 0.5
    """Share of ordinary organic X posts that @mention a friend or a prominent account."""
    news_outlets: int = 6
    """X news outlets whose links readers share."""
    journalists: int = 4
    """Journalists on X (the campaign attacks them)."""
    viral_share: float = 0.08
    """Share of organic X people retweeting one celebrity post (a retweet storm)."""
    debate_share: float = 0.05
    """Share live-tweeting a 90-minute TV debate with #DebateNight."""
    fan_share: float = 0.02
    """Fans running a #StreamNova streaming drive with one link (role fan_streamer)."""
    activist_share: float = 0.015
    """Activists pasting a petition's suggested text, edited, within one day."""
    night_shift_share: float = 0.03
    """Night-shift workers posting between 22:00 and 06:00 local time."""
    idol_fan_share: float = 0.1
    """Fans (share of all accounts) who retweet and quote the idol's posts (role fan)."""
    idol_posts_per_day: float = 4.3
    """Posts per day of the idol, each tagging 4-6 accounts of its circle."""
    fan_delay_median: float = 180.0
    """Median seconds before a fan retweets an idol post (lognormal; some fans hours later)."""
    fan_quote_share: float = 0.1
    """Share of the fans' engagements that are quotes in their own words."""
    fan_voters: int = 25
    """Fans in the one-hour award-show voting drive at 4,000 accounts (scaled; fan_voter)."""
    hashtag_gamer_share: float = 0.03
    """Share of organic X people joking in one of two hashtag games (role hashtag_gamer)."""
    news_reader_share: float = 0.04
    """Share of organic X people sharing breaking-news links within minutes (news_reader)."""
    news_stories: int = 4
    """Breaking stories whose headline links the news readers share."""
    missing_repost_ids: float = 0.1
    """Share of all reposts (campaign and organic) written without their original's id."""
    amplifier_delay_median: float = 90.0
    """Median seconds before an amplifier reposts (lognormal, clipped to 3 s - 20 medians)."""
    paraphrase: float = 0.0
    """Chance of each rewording (synonyms, clause order, opener) of every campaign text."""
    formulaic_handles: float = 1.0
    """Share of new campaign accounts with the ``FirstLast12345678`` handle (Meta Q2 2023);
    the others get handles an ordinary user would pick (17 of the 35 X handles in Meta's
    indicators match a formula)."""
    creation_span_days: int = 0
    """0: campaign accounts are registered in batches (a few days, several accounts within
    hours); N: each one on a random day of the N before the start (bought aged accounts)."""
    organic_noise: float = 1.0
    """Multiplier of every authentic look-alike (the hard negatives' shares and sizes)."""
    visual_mirrors: int = 0
    """Operator personas mirrored on Instagram (Meta Content Library), Pinterest and TikTok
    (Zeeschuimer captures), in turn, sharing the campaign's images and sound (0: none)."""
    visual_organic: int = 40
    """Ordinary users on each of those platforms when visual_mirrors > 0."""

    def __post_init__(self) -> None:
        if not 0 < self.campaign_share <= 0.02:
            raise ValueError("campaign_share must be in (0, 0.02]")
        if self.accounts < 100 or self.days < 2:
            raise ValueError("need at least 100 accounts and 2 days")
        if not 0 <= self.campaign_accounts <= self.accounts // 2 or self.campaign_accounts == 1:
            raise ValueError("campaign_accounts must be 0 (derived) or 2 to half the accounts")
        if self.ring_size < 0 or self.ring_size == 1:
            raise ValueError("ring_size must be 0 (one network) or at least 2")
        if self.amplifier_delay_median < 1 or not 0 <= self.paraphrase <= 1:
            raise ValueError("need amplifier_delay_median >= 1 and paraphrase in [0, 1]")
        if self.visual_mirrors < 0 or self.visual_organic < 0:
            raise ValueError("visual_mirrors and visual_organic must be >= 0")
        if self.fan_delay_median < 1 or self.fan_voters < 0 or self.news_stories < 0:
            raise ValueError("need fan_delay_median >= 1, fan_voters and news_stories >= 0")
        shares = (
            self.amplifier_quote_share,
            self.mention_share,
            self.idol_fan_share,
            self.fan_quote_share,
            self.hashtag_gamer_share,
            self.news_reader_share,
            self.missing_repost_ids,
        )
        if not all(0 <= s <= 1 for s in shares):
            raise ValueError("every share must be in [0, 1]")
        k = self.organic_noise
        roles = self.night_shift_share + k * (self.fan_share + self.activist_share)
        if k < 0 or max(k * self.viral_share, k * self.debate_share, roles) > 1:
            raise ValueError("organic_noise must be >= 0 and keep every share at most 1")


@dataclass
class HardSpamouflageParams(SpamouflageParams):
    """``spamouflage-hard``: the same world, a campaign that hides the way careful ones do.

    Small independent rings instead of one network, paraphrased rather than copied texts,
    amplification at human delays and partly as quotes, few shared links, and more reposts
    whose original the collection lost. Each is one field of :class:`SpamouflageParams`.
    """

    ring_size: int = 5
    """Accounts per independent amplification ring."""
    video_link_share: float = 0.1
    """Share of political posts linking a subtitled video."""
    amplifier_quote_share: float = 0.3
    """Share of amplifications written as quotes with a comment."""
    missing_repost_ids: float = 0.3
    """Share of all reposts written without their original's id."""
    amplifier_delay_median: float = 900.0
    """Median seconds before an amplifier reposts (a human, not a script)."""
    paraphrase: float = 0.8
    """Chance of each rewording of every campaign text."""
    formulaic_handles: float = 0.3
    """Share of new campaign accounts with the formulaic persona handle."""
    creation_span_days: int = 1500
    """Campaign accounts registered on random days over four years, not in batches."""


@dataclass
class RegrowthParams:
    """The second period of ``simulate(..., regrowth=True)``: the network returns after a
    takedown with new accounts and old habits, next to an unrelated network and organic people
    who share some of its topics (docs/simulator.md, "Regrowth"). Period 1 is the scenario
    itself; these fields shape period 2 only, except ``site_link_share``."""

    gap_days: int = 120
    """Days between the end of period 1 and the start of period 2 (about four months)."""
    days: int = 0
    """Length of period 2 (0: as long as period 1)."""
    accounts: int = 0
    """All accounts of period 2 (0: half of period 1's, at least 500)."""
    campaign_accounts: int = 40
    """New operator accounts after the takedown (none of period 1's ids or handles)."""
    reappear_share: float = 0.05
    """Share of period 1's campaign accounts on X that reappear with the same account."""
    posts_mean: float = 4.0
    """Mean posts per returning account over period 2 (two plus a Poisson; median about 4)."""
    paraphrase: float = 0.5
    """Strength of the rewording of the old narratives (see the ``paraphrase`` parameter)."""
    formulaic_handles: float = 0.8
    """Share of new accounts with the ``FirstLast12345678`` handle (other names than before)."""
    hashtag_reuse: float = 0.6
    """Share of political posts tagged with one of period 1's hashtags (the rest: new tags)."""
    site_link_share: float = 0.3
    """Share of political posts linking an operator site or a news article (both periods:
    0 leaves period 1 byte-identical to the plain scenario's files)."""
    old_domain_share: float = 0.6
    """Share of period 2's operator-site links on period 1's domains (the rest: new domains)."""
    repost_mean: float = 0.3
    """Mean reposts of each returning political post by another returning account (weak)."""
    youtube_share: float = 0.1
    """Share of the new accounts that are YouTube channels commenting, not X accounts."""
    distractor_accounts: int = 24
    """Accounts of the unrelated network (truth network ``distractor``; 0: none)."""
    distractor_bursts: float = 3.0
    """Bursts per weekday of the distractor (each a new link posted by about half of it)."""
    neighbor_share: float = 0.06
    """Share of organic X people posting on the network's topics (role ``topic_neighbor``)."""

    def __post_init__(self) -> None:
        if self.gap_days < 1 or self.days < 0 or self.days == 1:
            raise ValueError("need gap_days >= 1 and days 0 (as period 1) or at least 2")
        if self.accounts and self.accounts < 300:
            raise ValueError("period 2 needs 0 (derived) or at least 300 accounts")
        if self.campaign_accounts < 2 or self.distractor_accounts < 0:
            raise ValueError("need campaign_accounts >= 2 and distractor_accounts >= 0")
        if self.posts_mean < 2 or self.distractor_bursts < 0 or self.repost_mean < 0:
            raise ValueError("need posts_mean >= 2, distractor_bursts and repost_mean >= 0")
        shares = (
            self.reappear_share,
            self.paraphrase,
            self.formulaic_handles,
            self.hashtag_reuse,
            self.site_link_share,
            self.old_domain_share,
            self.youtube_share,
            self.neighbor_share,
        )
        if not all(0 <= s <= 1 for s in shares):
            raise ValueError("every share must be in [0, 1]")
