"""Text material of the organic hard negatives, written for this project (no copied corpus).

A fandom voting for its idol, fans quoting the idol, players of a hashtag game, readers of a
breaking story and activists of a petition all act on one target, tag or link at once; what
makes them authentic is that each writes in their own words. So each generator here combines
fragments (and a person's own habits, a :class:`Voice`) rather than picking one of a few
lines, and :func:`fresh` redraws a text someone already posted. The petition is the exception
people really make: the site's suggested text, pasted with small personal edits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _lines(block: str) -> tuple[str, ...]:
    """One phrase per non-empty line (keeps long phrase lists compact and readable)."""
    return tuple(line.strip() for line in block.strip().splitlines() if line.strip())


def pick(rng: np.random.Generator, items: tuple[str, ...]) -> str:
    return items[int(rng.integers(len(items)))]


def fresh(make: Callable[[], str], used: set[str], tries: int = 20) -> str:
    """A text from ``make`` that is not in ``used`` (people rarely post a stranger's exact
    words); after ``tries`` draws the last one is kept, so a tiny phrase space cannot hang."""
    text = make()
    for _ in range(tries):
        if text not in used:
            break
        text = make()
    used.add(text)
    return text


# --- the idol, its circle and its fandom -------------------------------------------------

IDOL = ("Nova Star", "novastar")
IDOL_OFFICIAL = ("NOVA Official", "nova_official")
IDOL_MEMBERS = (
    ("Mina of NOVA", "nova_mina"),
    ("Jia of NOVA", "nova_jia"),
    ("Sora of NOVA", "nova_sora"),
    ("Lena of NOVA", "nova_lena"),
    ("Hana of NOVA", "nova_hana"),
)
IDOL_COMPANIES = (
    ("Starlight Entertainment", "starlight_ent"),
    ("Pop Countdown", "popcountdown"),
    ("Music Wave", "musicwave_tv"),
    ("Star Talk Show", "startalk_show"),
)
VOTE_TAGS = ("VoteNova", "StarAwards")

IDOL_MESSAGES = _lines("""
    thank you for coming today
    rehearsal done, see you tonight
    we miss you already
    a little behind the scenes for you
    tonight's stage was for you
    happy weekend everyone
    did you eat well today?
    the new choreo is almost ready
    thank you for always being with us
    we read all your messages
    sleepy but happy
    look who I found backstage
    first stage of the week done
    recording something special
    it's raining here, stay warm
    our fans are the best fans
""")
IDOL_TAILS = ("", " 💜", " ✨", " 🥹", " 🌙", " 🎤", "!!", " hehe")
CIRCLE_LINES = _lines("""
    today's schedule is done
    see you at the next stage
    new photos coming soon
    thank you for the love
    tune in tonight
    backstage with the team
""")

FAN_QUOTES = _lines("""
    look at her smile
    I'm not okay after this
    proud of you always
    the visuals are unreal
    this made my whole day
    you deserve the world
    how is she so pretty
    protect them at all costs
    I've watched this ten times already
    best group best stage
    my heart can't take this
    waking up to this is a blessing
    they never miss
    screaming crying throwing up
""")
FAN_OPENERS = ("", "omg ", "stop ", "wait ", "aaaa ", "honestly ", "not me crying ", "ok but ")
FAN_EMOJI = ("", " 😭", " 💜", " 🥺", " ✨", " 😭😭", " 🫶", "!!!")

VOTE_OPENERS = _lines("""
    voting for our girls
    another one for Nova
    still here still voting
    keep going everyone
    we can win this
    don't stop now
    voting till my fingers hurt
    let's bring the trophy home
    they worked so hard for this
    for the ones who can't vote
    one more for the girls
    every vote counts
    not stopping until the hour is over
    back again
""")
VOTE_MIDDLES = _lines("""
    the gap is closing
    we were behind an hour ago
    almost there
    drink water and keep going
    I believe in us
    the other fandoms are fast tonight
    my phone is dying but whatever
    refresh and vote again
    do it for Mina
    Jia would be so proud
""")
COUNTER_STYLES = (
    "vote {n}",
    "#{n}",
    "{n}/50",
    "[{n}]",
    "v{n}",
    "vote no. {n}",
    "({n})",
    "{n} votes in",
)
VOTE_EMOJI = ("💜", "🗳️", "🔥", "✨", "🙏", "💪", "🌟", "")


@dataclass(frozen=True)
class Voice:
    """One voting fan's habits: how they count, tag, lay out a post and which emoji is theirs.

    Fans follow the fan base's instructions (the two tags, the two accounts) but each writes
    and counts in their own way; that is the difference from a copied text."""

    counter: str
    emoji: str
    lower: bool
    tags_first: bool
    swap_tags: bool

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Voice:
        return cls(
            counter=pick(rng, COUNTER_STYLES),
            emoji=pick(rng, VOTE_EMOJI),
            lower=bool(rng.random() < 0.4),
            tags_first=bool(rng.random() < 0.3),
            swap_tags=bool(rng.random() < 0.2),
        )


def vote_text(rng: np.random.Generator, voice: Voice, n: int, mentions: str) -> str:
    """One vote post: the two mentions, the two vote tags, the fan's running counter and a
    few words of their own."""
    words = pick(rng, VOTE_OPENERS)
    if rng.random() < 0.5:
        words += f", {pick(rng, VOTE_MIDDLES)}"
    if voice.lower:
        words = words.lower()
    tags = " ".join(f"#{t}" for t in vote_tags(voice))
    emoji = voice.emoji * int(rng.integers(1, 4))
    head, tail = ([tags, mentions], []) if voice.tags_first else ([mentions], [tags])
    parts = [*head, words, emoji, *tail, voice.counter.format(n=n)]
    return " ".join(x for x in parts if x)


def vote_tags(voice: Voice) -> tuple[str, ...]:
    """The two vote tags in the order this fan writes them (most keep the fan base's)."""
    return VOTE_TAGS[::-1] if voice.swap_tags else VOTE_TAGS


def idol_text(rng: np.random.Generator) -> str:
    return pick(rng, IDOL_MESSAGES) + pick(rng, IDOL_TAILS)


def fan_quote(rng: np.random.Generator, member: str) -> str:
    """A fan's comment on an idol post, sometimes naming a member."""
    text = pick(rng, FAN_OPENERS) + pick(rng, FAN_QUOTES)
    if rng.random() < 0.3:
        text = f"{member} {text}"
    return text + pick(rng, FAN_EMOJI)


# --- hashtag games -----------------------------------------------------------------------

#: game tag -> things players name; each is combined with a qualifier and a frame
GAMES: dict[str, tuple[str, ...]] = {
    "ThingsBetterThanMondays": _lines("""
        a root canal
        doing my taxes
        waiting for the bus
        assembling flat-pack furniture
        a cold shower
        a group project
        a printer jam
        stepping on a plug barefoot
        an hour on hold with the bank
        a dentist appointment
        losing my phone charger
        a three-hour meeting
        soggy cereal
        a stubbed toe
        airport security
        a parking ticket
        burnt toast
        wet socks
        a spoiler for my favourite show
        a software update
        jury duty
        a flat tyre
        unpacking after holidays
        a surprise fire drill
    """),
    "WorstFirstDateIdeas": _lines("""
        a tour of my spreadsheets
        competitive grocery shopping
        watching me parallel park
        meeting my landlord
        a lecture on crypto
        cleaning my car
        a silent retreat
        reading my old diary aloud
        a cooking class with no food
        queueing for concert tickets
        my cousin's wedding
        a debate on pineapple pizza
        assembling a wardrobe together
        a walk through a car park
        karaoke with my boss
        sorting my sock drawer
        a documentary about concrete
        a webinar on insurance
        the laundromat
        bringing my mum
        a trivia night about tax law
        splitting a single fry
        a hike with no water
        my fantasy football draft
    """),
}
GAME_QUALIFIERS = _lines("""
    at 6am
    in the rain
    with no coffee
    twice
    during a heatwave
    on a Sunday
    with my in-laws
    while hungry
""")
GAME_FRAMES = (
    "{x}",
    "{x}, no contest",
    "literally {x}",
    "{x} and I will die on this hill",
    "honestly? {x}",
    "{x}. that's the tweet",
    "even {x}",
    "{x} lol",
    "{x} 😂",
    "{x}, obviously",
)


def game_joke(rng: np.random.Generator, tag: str) -> str:
    """A player's own entry in hashtag game ``tag``."""
    x = pick(rng, GAMES[tag])
    if rng.random() < 0.6:
        x += " " + pick(rng, GAME_QUALIFIERS)
    text = pick(rng, GAME_FRAMES).format(x=x)
    return f"#{tag} {text}" if rng.random() < 0.4 else f"{text} #{tag}"


# --- breaking news -----------------------------------------------------------------------

HEADLINES = _lines("""
    City council votes to close the old harbour bridge
    Heatwave warning issued for the whole region
    Central bank raises interest rates by half a point
    Major rail strike announced for next week
    Stadium roof collapses during storm, no injuries reported
    Tech company cuts a tenth of its staff
    Court blocks new housing law
    Flooding forces evacuation of riverside homes
""")
NEWS_REACTIONS = _lines("""
    wow, did not see this coming
    this is huge
    not surprised at all tbh
    finally some news on this
    this affects so many people
    what a mess
    about time
    can't believe this is happening
    my commute is going to be a nightmare
    thoughts with everyone affected
    so what happens now?
    here we go again
    big if true
    well that escalated
""")
NEWS_TAILS = ("", " 👀", " ugh", " someone explain", " called it last week", ", wild", "!")


def news_comment(rng: np.random.Generator, headline: str, url: str) -> str:
    """A reader's own comment on a breaking story, sometimes with the pasted headline."""
    text = pick(rng, NEWS_REACTIONS) + pick(rng, NEWS_TAILS)
    if rng.random() < 0.3:
        text += f" ({headline})"
    return f"{text} {url}"


# --- the petition ------------------------------------------------------------------------

PETITION_URL = "https://www.petitions.example.org/save-the-millbrook-wetlands"
#: the text the petition site pre-fills in its share button
PETITION_TEXT = (
    'I just signed "Save the Millbrook Wetlands": the county wants to drain them for a '
    "bypass road. Will you sign too?"
)
PETITION_PREFIXES = _lines("""
    Please sign!
    Signed.
    This one matters to me.
    Done ✅
    My kids grew up there.
    Everyone in Millbrook:
    Took two minutes.
""")
PETITION_ASKS = ("Please sign too!", "Sign and share!", "Add your name!", "Please share.")
ACTIVIST_LINES = _lines("""
    we are close to 5,000 signatures, keep sharing
    the council meets on Thursday, sign before then
    went to see the wetlands today, worth saving
    thank you to everyone who signed so far
""")


def petition_text(rng: np.random.Generator) -> str:
    """The suggested text, posted as is by about four in ten, with the small personal edits
    people make by the others."""
    text = PETITION_TEXT
    if rng.random() < 0.4:
        return f"{text} {PETITION_URL}"
    if rng.random() < 0.3:
        text = text.replace("wants to", "plans to")
    if rng.random() < 0.4:
        text = text.replace("Will you sign too?", pick(rng, PETITION_ASKS))
    if rng.random() < 0.5:
        text = f"{pick(rng, PETITION_PREFIXES)} {text}"
    if rng.random() < 0.3:
        text += " #SaveMillbrook"
    if rng.random() < 0.2:
        text += " 🌿"
    return f"{text} {PETITION_URL}"
