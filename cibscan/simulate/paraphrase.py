"""Paraphrase instead of copy: how a campaign that hides better rewrites its texts.

The default Spamouflage scenario posts copypasta with small edits (``texts.copypasta``),
which is what the public record shows (Meta Q2 2023 listed 273 verbatim post texts).
Later reporting describes more varied, tailored content (Graphika 2024: US-voter personas;
OpenAI's May 2024 report on covert influence operations, not in ../shared/README.md, names
Spamouflage among the operations that used language models to write content), so a detector
that leans on copied text must be measured against rewording; how the rewording is modelled
here is an assumption of this simulator. The ``paraphrase`` knob of ``SpamouflageParams``
applies phrase-level synonym substitution, clause reordering and an added opener, each with
the knob's probability. With strength 0 the text is returned unchanged and the random generator
is not touched, so the default scenario stays byte-identical.

The synonym lists cover the phrases of ``texts.POLITICAL_EN``, ``texts.POLITICAL_ZH`` and
``texts.CAMOUFLAGE`` (a campaign that rewords its politics rewords its spam too); they were
written for this project.
"""

from __future__ import annotations

import re

import numpy as np

#: English phrases of the political templates and their rewordings
SYNONYMS_EN: dict[str, tuple[str, ...]] = {
    "America's gun violence": ("The shootings in America", "Gun deaths in the US"),
    "shows": ("proves", "reveals", "exposes"),
    "proves": ("shows", "demonstrates"),
    "failure": ("collapse", "bankruptcy"),
    "so-called democracy": ("fake democracy", "hollow freedom"),
    "Wake up": ("Open your eyes", "Think about it"),
    "liar": ("fraud", "fake"),
    "paid by": ("funded by", "bought by"),
    "foreign forces": ("outside powers", "hostile forces"),
    "smear": ("slander", "attack"),
    "Expose him": ("Unmask him", "Do not trust him"),
    "Washington": ("The US government", "America"),
    "spreads": ("creates", "sows"),
    "chaos": ("turmoil", "disorder"),
    "turmoil": ("chaos", "unrest"),
    "around the world": ("everywhere", "across the globe"),
    "its own people": ("its citizens", "Americans themselves"),
    "suffer": ("struggle", "pay the price"),
    "struggle": ("suffer", "pay the price"),
    "truth": ("facts", "reality"),
    "facts": ("truth", "reality"),
    "lies": ("myths", "fabrications"),
    "hides": ("covers up", "conceals"),
    "biolabs": ("secret labs", "bio-laboratories"),
    "cheats": ("deceives", "fools"),
    "followers": ("fans", "supporters"),
    "money": ("cash", "savings"),
    "shameless": ("disgusting", "brazen"),
    "disgusting": ("shameless", "brazen"),
    "fraud": ("scammer", "crook"),
    "Western media": ("The Western press", "Mainstream media"),
    "watch": ("see", "look at"),
    "real video": ("full video", "original footage"),
    "US politicians": ("American officials", "Lawmakers in DC"),
    "fight each other": ("quarrel endlessly", "bicker"),
    "ordinary people": ("working families", "normal citizens"),
    "cannot afford": ("can't pay for", "struggle to buy"),
    "Racism": ("Discrimination", "Racial hatred"),
    "getting worse": ("growing", "worsening"),
    "worse and worse": ("ever worse", "more and more serious"),
    "every year": ("year after year", "each year"),
    "the world can see it": ("everyone sees it", "nobody can deny it"),
    # the camouflage spam (texts.CAMOUFLAGE): scenery, sport, food, pets
    "breathtaking": ("stunning", "amazing"),
    "nature always heals the soul": ("nature is the best medicine", "so peaceful"),
    "What a game last night": ("Incredible match yesterday", "Wow, that game"),
    "unbelievable": ("insane", "crazy"),
    "Morning coffee": ("Early coffee", "A cup of coffee"),
    "the best way to start a weekend": ("perfect start to the weekend", "weekend mood"),
    "Cherry blossoms are out in the park": ("The park is full of cherry blossoms",),
    "spring is finally here": ("spring has arrived", "hello spring"),
    "Basketball practice today": ("Hoops session today", "Training on the court today"),
    "working on my jump shot every day": ("practising my shooting daily", "getting better"),
    "Sunset over the sea tonight": ("Tonight's sunset at the beach", "Evening sky by the sea"),
    "colours I have never seen before": ("unreal colours", "what colours"),
    "Homemade dumplings for dinner": ("Made dumplings tonight", "Dumplings at home tonight"),
    "family recipe from grandma": ("grandma's recipe", "an old family recipe"),
    "Beautiful waterfall hidden in the forest": ("Found a hidden waterfall in the woods",),
    "worth the long hike": ("worth every step", "long walk but worth it"),
    "Cute cat video made my day": ("This cat video made me smile", "Best cat clip today"),
    "look at those tiny paws": ("those little paws", "so adorable"),
    "Football season is back": ("Football is back", "The season has started"),
    "the whole town is excited": ("everyone here is hyped", "the town is buzzing"),
    "Fresh flowers at the market this morning": ("Bought fresh flowers at the market",),
    "so many colours": ("so colourful", "lovely colours"),
    "Rainy afternoon": ("A rainy day", "Rain all afternoon"),
    "a good book and hot tea": ("tea and a novel", "a book and a warm drink"),
    "perfect": ("bliss", "just right"),
}
#: Chinese phrases of the political templates and their rewordings
SYNONYMS_ZH: dict[str, tuple[str, ...]] = {
    "骗子": ("大骗子", "骗人的家伙"),
    "欺骗": ("蒙骗", "愚弄"),
    "追随者": ("粉丝", "支持者"),
    "真面目": ("真实面孔", "本来面目"),
    "枪支暴力": ("枪击案", "枪支泛滥"),
    "说明": ("证明", "暴露了"),
    "失败": ("破产", "虚伪"),
    "醒醒吧": ("快醒醒吧", "清醒一点吧"),
    "西方媒体": ("西媒", "西方的媒体"),
    "隐瞒": ("掩盖", "封锁"),
    "真相": ("事实", "实情"),
    "视频": ("影片", "录像"),
    "华盛顿": ("美国政府", "美国政客"),
    "制造混乱": ("搞乱局势", "挑起动荡"),
    "受苦": ("受难", "苦不堪言"),
}
OPENERS_EN = ("Look:", "Think about it:", "Everyone should know this.", "Share this:", "Again:")
OPENERS_ZH = ("大家看看：", "转发扩散：", "请注意：")


def _pattern(words: dict[str, tuple[str, ...]], boundary: str) -> re.Pattern[str]:
    keys = sorted(words, key=len, reverse=True)  # longest first: phrases before their words
    return re.compile(boundary + "(" + "|".join(re.escape(k) for k in keys) + ")" + boundary)


_EN = _pattern(SYNONYMS_EN, r"\b")
_ZH = _pattern(SYNONYMS_ZH, "")
#: clause boundaries: after western punctuation and a space, or after Chinese punctuation
_CLAUSE = re.compile(r"(?<=[.!?,;])\s+|(?<=[，。！？；])")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _joined(clauses: list[str], zh: bool) -> str:
    """Clauses back into one text: a comma after any but the last that lacks punctuation,
    none dangling at the end."""
    comma, ends = ("，", "，。！？；") if zh else (",", ",.!?;")
    out = [c if c.endswith(tuple(ends)) else c + comma for c in clauses[:-1]]
    out.append(clauses[-1].rstrip(",，"))
    return ("" if zh else " ").join(out)


def paraphrase(rng: np.random.Generator, text: str, strength: float) -> str:
    """``text`` reworded: each listed phrase swapped for a synonym with probability
    ``strength`` (one pass, so a swap is never swapped again), then its clauses rotated and
    an opener added, each with probability ``strength``. Strength 0 returns ``text`` as is
    without drawing from ``rng``."""
    if strength <= 0:
        return text

    def swap(m: re.Match[str]) -> str:
        options = SYNONYMS_EN.get(m.group(1)) or SYNONYMS_ZH[m.group(1)]
        if rng.random() < strength:
            return options[int(rng.integers(len(options)))]
        return m.group(1)

    zh = bool(_CJK.search(text))
    text = (_ZH if zh else _EN).sub(swap, text)
    clauses = [c for c in _CLAUSE.split(text) if c]
    if len(clauses) > 1 and rng.random() < strength:
        k = int(rng.integers(1, len(clauses)))
        text = _joined(clauses[k:] + clauses[:k], zh)
    if rng.random() < strength:
        openers = OPENERS_ZH if zh else OPENERS_EN
        text = openers[int(rng.integers(len(openers)))] + ("" if zh else " ") + text
    return text
