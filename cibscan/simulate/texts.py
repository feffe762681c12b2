"""Text material for the simulator: names, camouflage spam, political copypasta, organic chatter.

Every text list here was written for this project (no copied corpus). The names are Faker's
en_US first names and surnames (MIT licence), shipped in ``cibscan/tells/data`` and read through
:mod:`cibscan.tells.names`, the list the persona_names tell matches handles against.
Political texts imitate the *shape* of Spamouflage posts described in the public record
(attacks on critics, "American chaos" themes, Chinese-language copies), not real posts.
"""

from __future__ import annotations

import numpy as np

from cibscan.tells.names import first_names, last_names

# Faker's en_US first names and surnames (MIT), shipped in cibscan/tells/data and shared with
# the persona_names tell; sorted, so the same seed draws the same names.
FIRST_NAMES = [n.capitalize() for n in first_names("en_US")]
LAST_NAMES = [n.capitalize() for n in last_names("en_US")]

CAMOUFLAGE = (
    "The mountains at sunrise are breathtaking, nature always heals the soul",
    "What a game last night! That last-second three pointer was unbelievable",
    "Morning coffee by the lake, the best way to start a weekend",
    "Cherry blossoms are out in the park, spring is finally here",
    "Basketball practice today, working on my jump shot every day",
    "Sunset over the sea tonight, colours I have never seen before",
    "Homemade dumplings for dinner, family recipe from grandma",
    "Beautiful waterfall hidden in the forest, worth the long hike",
    "Cute cat video made my day, look at those tiny paws",
    "Football season is back and the whole town is excited",
    "Fresh flowers at the market this morning, so many colours",
    "Rainy afternoon, a good book and hot tea, perfect",
)

POLITICAL_EN = (
    "America's gun violence shows the failure of its so-called democracy. Wake up!",
    "{target} is a liar paid by foreign forces to smear China. Expose him!",
    "Washington spreads chaos around the world while its own people suffer",
    "The truth about the lab leak lies: the US hides its own biolabs",
    "{target} cheats his followers out of their money, a shameless fraud",
    "Western media hide the truth about Xinjiang, watch the real video",
    "US politicians fight each other while ordinary people cannot afford food",
    "Racism in America is getting worse every year, the world can see it",
)
POLITICAL_ZH = (
    "{target}是一个骗子，欺骗他的追随者，大家要看清他的真面目！",
    "美国的枪支暴力说明所谓民主的失败，醒醒吧！",
    "西方媒体隐瞒真相，请看真实的视频",
    "华盛顿在世界各地制造混乱，自己的人民却在受苦",
)
# Small edits copypasta operators make so that texts are not byte-identical.
SWAPS = {
    "shows": "proves",
    "liar": "fraud",
    "chaos": "turmoil",
    "truth": "facts",
    "video": "clip",
    "suffer": "struggle",
    "worse": "worse and worse",
    "shameless": "disgusting",
}
TAILS = ("", "!", "!!", " 👇", " #truth", " …")
#: what an amplifier writes when it quotes a persona instead of reposting it
AMPLIFIER_COMMENTS = {
    "en": (
        "So true, everyone should read this",
        "This is what they don't tell you",
        "Exactly!",
        "Share this before it disappears",
        "Finally someone says it",
        "The world needs to see this",
    ),
    "zh": ("说得太对了", "大家都应该看看", "这就是真相", "转发让更多人知道"),
}
CAMPAIGN_TAGS = ("USA", "China", "truth", "democracy", "Xinjiang", "HongKong")
VIDEO_SUBTITLES = ("[English subtitles]", "【中英字幕】", "(with subtitles)")

BIOS = (
    "Love life, love peace",
    "Travel | Food | Music",
    "Just a normal person who likes the truth",
    "",
    "Photographer and dreamer",
)
ORGANIC_WORDS = [
    "coffee",
    "rain",
    "garden",
    "train",
    "weekend",
    "match",
    "book",
    "music",
    "dinner",
    "city",
    "river",
    "family",
    "work",
    "school",
    "movie",
    "walk",
    "market",
    "sunset",
    "bread",
    "phone",
    "holiday",
    "concert",
    "friends",
    "office",
    "game",
    "team",
    "kids",
    "weather",
    "traffic",
    "lunch",
    "gym",
    "beach",
    "podcast",
    "project",
    "deadline",
    "birthday",
    "recipe",
]
ORGANIC_OPENERS = (
    "honestly",
    "can't believe",
    "so tired of",
    "loving this",
    "anyone else think",
    "today was about",
    "finally",
    "quick thought on",
)
DEBATE_LINES = (
    "that answer on healthcare was a dodge",
    "moderator needs to cut the mics",
    "strong closing statement",
    "who is winning this so far?",
    "that was a low blow",
    "finally a real question on housing",
    "fact check needed on that number",
)
FAN_LINES = (
    "streaming the new single all day, let's break the record",
    "our girls deserve number one, keep streaming",
    "vote vote vote, we can do this",
    "the MV is a masterpiece, stream it",
)


def persona_name(rng: np.random.Generator) -> tuple[str, str]:
    """A Western display name and its ``FirstLast12345678`` handle (Meta Q2 2023 tell)."""
    first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
    last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
    digits = "".join(str(d) for d in rng.integers(0, 10, 8))
    return f"{first} {last}", f"{first}{last}{digits}"


def organic_handle(rng: np.random.Generator) -> tuple[str, str]:
    """A varied ordinary handle: words, initials, years, underscores."""
    first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
    last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
    word = ORGANIC_WORDS[int(rng.integers(len(ORGANIC_WORDS)))]
    style = int(rng.integers(5))
    n = int(rng.integers(1, 999))
    handle = (
        f"{first.lower()}_{last.lower()}",
        f"{first[0].lower()}{last.lower()}{n}",
        f"{word}_{first.lower()}",
        f"the{last}{n % 100}",
        f"{first}{word.title()}",
    )[style]
    return f"{first} {last}", handle[:15]


def copypasta(rng: np.random.Generator, template: str, target: str) -> str:
    """A template with the target's name, one random word swap and a random tail."""
    text = template.replace("{target}", target)
    keys = [k for k in SWAPS if k in text]
    if keys and rng.random() < 0.5:
        k = keys[int(rng.integers(len(keys)))]
        text = text.replace(k, SWAPS[k], 1)
    return text + TAILS[int(rng.integers(len(TAILS)))]


def chatter(rng: np.random.Generator) -> str:
    """An ordinary person's own words."""
    opener = ORGANIC_OPENERS[int(rng.integers(len(ORGANIC_OPENERS)))]
    words = rng.choice(ORGANIC_WORDS, size=int(rng.integers(4, 12)))
    return f"{opener} {' '.join(str(w) for w in words)}"


def amplifier_comment(rng: np.random.Generator, lang: str) -> str:
    """A short comment in the quoted post's language."""
    return pick(rng, AMPLIFIER_COMMENTS.get(lang, AMPLIFIER_COMMENTS["en"]))


def pick(rng: np.random.Generator, items: tuple[str, ...]) -> str:
    return items[int(rng.integers(len(items)))]
