"""A small shipped lexicon: political/propaganda terms and mundane (lifestyle) terms.

Written by hand for cibscan (no copied word list; same licence as the project). It classifies
a post as *political*, *mundane* or *other* by matching terms in its normalised text, in
English, German, Chinese and Russian. It is deliberately small and general: political terms
are the vocabulary of government, elections, geopolitics and the attack words of
state-backed campaigns (Graphika's Spamouflage reports; Meta Q2 2023); mundane terms are the
"spam as camouflage" themes of the same reports (scenery, nature, food, pets, sports, travel,
clips; Meta kill chain TTP 5.2.4 "Posting spam as camouflage").

How terms match (one RE2 pattern, run by DuckDB's vectorised ``regexp_matches``):

- English and German terms are regex fragments matched as whole words (``\\b...\\b``): write
  stems as ``democra\\w*`` and plurals as ``elections?``;
- Chinese and Russian terms are plain substrings (Chinese has no spaces; RE2's ``\\b`` is
  ASCII-only, so Cyrillic stems match anywhere). Chinese terms have two characters or more:
  a single character (山, 花) hides inside unrelated words (山东, 花钱).

A post that matches both lists is political: a post on an election and a football match
is about the election. Matching is on ``text_norm`` (lower case, links removed).
"""

from __future__ import annotations

from cibscan.engine.base import Dialect

POLITICAL_WORDS: tuple[str, ...] = (
    # English: institutions, elections, geopolitics
    r"democra\w*",
    r"elections?",
    r"elector\w*",
    r"voters?",  # not "vote": fandoms vote in award polls and chart races
    r"councils?",
    r"polling",
    r"ballots?",
    r"president\w*",
    r"governments?",
    r"parliament\w*",
    r"congress\w*",
    r"senat\w*",
    r"politic\w*",
    r"polic(?:y|ies)",
    r"ministers?",
    r"regimes?",
    r"dictator\w*",
    r"communis\w*",
    r"ccp",
    r"cpc",
    r"nato",
    r"sanctions?",
    r"military",
    r"wars?",
    r"invasion",
    r"imperialis\w*",
    r"hegemon\w*",
    r"geopolitic\w*",
    r"diplomat\w*",
    r"corrupt\w*",
    r"protests?",
    r"protesters?",
    r"riots?",
    r"human rights",
    r"freedom of speech",
    r"censorship",
    r"racism",
    r"racist",
    r"gun violence",
    r"immigra\w*",
    r"refugees?",
    r"tariffs?",
    r"taxpayers?",
    # places and people that stand for politics in this domain
    r"washington",
    r"white house",
    r"beijing",
    r"kremlin",
    r"taiwan\w*",
    r"hong ?kong",
    r"xinjiang",
    r"uyghurs?",
    r"tibet\w*",
    r"biden",
    r"trump",
    r"xi jinping",
    r"putin",
    # attack words of influence operations
    r"propaganda",
    r"dissidents?",
    r"traitors?",
    r"liars?",
    r"smear\w*",
    r"foreign forces",
    r"western media",
    r"fake news",
    r"biolabs?",
    r"lab leak",
    r"so-called",
    # German
    r"wahl(?:en)?",
    r"regierung\w*",
    r"demokratie",
    r"bundestag",
    r"kanzler\w*",
    r"partei\w*",
    r"politik\w*",
    r"krieg\w*",
    r"sanktion\w*",
)

POLITICAL_SUBSTRINGS: tuple[str, ...] = (
    # Chinese
    "民主",
    "选举",
    "投票",
    "政府",
    "总统",
    "政治",
    "政权",
    "独裁",
    "共产党",
    "中共",
    "美国",
    "华盛顿",
    "北京",
    "台湾",
    "台独",
    "香港",
    "新疆",
    "维吾尔",
    "西藏",
    "人权",
    "抗议",
    "制裁",
    "军事",
    "战争",
    "霸权",
    "腐败",
    "种族",
    "枪支",
    "暴力",
    "真相",
    "骗子",
    "谣言",
    "造谣",
    "西方媒体",
    "外国势力",
    "习近平",
    "拜登",
    "特朗普",
    "川普",
    "国会",
    "议会",
    "宣传",
    "汉奸",
    "反华",
    # Russian stems
    "выбор",
    "президент",
    "правительств",
    "демократ",
    "политик",
    "пропаганд",
    "войн",
    "санкци",
    "путин",
    "нато",
    "протест",
    "оппозиц",
    "кремл",
    "парламент",
    "госдум",
    "режим",
)

MUNDANE_WORDS: tuple[str, ...] = (
    # English: scenery and nature
    r"sunrise",
    r"sunsets?",
    r"mountains?",
    r"beach\w*",
    r"waterfalls?",
    r"forests?",
    r"lakes?",
    r"flowers?",
    r"blossoms?",
    r"garden\w*",
    r"nature",
    r"scenery",
    r"landscapes?",
    r"sky",
    r"weather",
    r"rainy",
    r"snow\w*",
    r"sunny",
    r"spring",
    r"autumn",
    # food and drink
    r"coffee",
    r"tea",
    r"breakfast",
    r"brunch",
    r"lunch",
    r"dinner",
    r"recipes?",
    r"cook\w*",
    r"bak(?:e|ed|ing)",
    r"dumplings?",
    r"noodles?",
    r"pizza",
    r"cake",
    r"delicious",
    r"yummy",
    r"food\w*",
    # pets and cute things
    r"cats?",
    r"kittens?",
    r"dogs?",
    r"pupp(?:y|ies)",
    r"pets?",
    r"paws",
    r"cute",
    # sports
    r"football",
    r"soccer",
    r"basketball",
    r"baseball",
    r"cricket",
    r"tennis",
    r"golf",
    r"nba",
    r"fifa",
    r"league",
    r"match(?:es)?",
    r"goals?",
    r"three pointer",
    r"jump shot",
    r"workout",
    r"gym",
    r"yoga",
    r"hik(?:e|es|ing)",
    # leisure, travel, clips
    r"travel\w*",
    r"vacation",
    r"holidays?",
    r"weekend",
    r"trip",
    r"music",
    r"songs?",
    r"concerts?",
    r"movies?",
    r"dance\w*",
    r"dancing",
    r"fashion",
    r"outfits?",
    r"makeup",
    r"shopping",
    r"birthday",
    r"wedding",
    r"selfie",
    r"funny",
    r"lol",
    r"tiktok",
    r"clips?",
    r"good morning",
    r"happy (?:monday|friday|weekend|sunday)",
    # German
    r"wetter",
    r"sonnenuntergang",
    r"sonnenaufgang",
    r"berge",
    r"strand",
    r"blumen",
    r"kaffee",
    r"frühstück",
    r"abendessen",
    r"rezept\w*",
    r"katzen?",
    r"hunde?",
    r"fußball",
    r"fussball",
    r"urlaub",
    r"wochenende",
    r"musik",
    r"konzert",
    r"geburtstag",
)

MUNDANE_SUBSTRINGS: tuple[str, ...] = (
    # Chinese
    "风景",
    "日出",
    "日落",
    "夕阳",
    "爬山",
    "山景",
    "海边",
    "大海",
    "湖边",
    "瀑布",
    "森林",
    "鲜花",
    "花开",
    "樱花",
    "公园",
    "天气",
    "下雨",
    "咖啡",
    "喝茶",
    "早餐",
    "午餐",
    "晚餐",
    "美食",
    "好吃",
    "饺子",
    "做饭",
    "菜谱",
    "猫咪",
    "小猫",
    "小狗",
    "狗狗",
    "宠物",
    "可爱",
    "篮球",
    "足球",
    "比赛",
    "球队",
    "健身",
    "跑步",
    "旅行",
    "旅游",
    "周末",
    "假期",
    "音乐",
    "唱歌",
    "电影",
    "跳舞",
    "生日",
    "家人",
    "朋友",
    "自拍",
    "搞笑",
    "抖音",
    "早安",
    # Russian stems
    "погод",
    "закат",
    "рассвет",
    "природ",
    "горы",
    "море",
    "озер",
    "цветы",
    "кофе",
    "завтрак",
    "ужин",
    "рецепт",
    "кошк",
    "котик",
    "собак",
    "футбол",
    "баскетбол",
    "хоккей",
    "матч",
    "отпуск",
    "путешеств",
    "выходны",
    "музык",
    "фильм",
    "день рождения",
)


def pattern(words: tuple[str, ...], substrings: tuple[str, ...]) -> str:
    """One RE2 pattern: whole-word ``words`` or anywhere ``substrings``."""
    parts = [r"\b(?:" + "|".join(words) + r")\b"] if words else []
    parts += ["(?:" + "|".join(substrings) + ")"] if substrings else []
    return "|".join(parts)


POLITICAL_PATTERN = pattern(POLITICAL_WORDS, POLITICAL_SUBSTRINGS)
MUNDANE_PATTERN = pattern(MUNDANE_WORDS, MUNDANE_SUBSTRINGS)


def post_class_sql(dialect: Dialect, text: str) -> str:
    """SQL for a post's class, ``'political'``, ``'mundane'`` or ``'other'``, from the
    lower-cased text expression ``text`` (``text_norm``). The one definition the camouflage
    tell and the report share."""
    return (
        f"CASE WHEN {text} IS NULL THEN 'other' "
        f"WHEN {dialect.regexp_contains(text, POLITICAL_PATTERN)} THEN 'political' "
        f"WHEN {dialect.regexp_contains(text, MUNDANE_PATTERN)} THEN 'mundane' "
        "ELSE 'other' END"
    )


def repost_class_sql(dialect: Dialect, post: str = "p", original: str = "o") -> str:
    """SQL for the class of post ``post`` joined to its original ``original`` by
    :func:`original_join_sql`: a repost without text of its own takes its original's. The one
    definition the camouflage tell and the report's camouflage plot share (kept here, not in
    the tell's module, so that importing it registers no tell out of order)."""
    return post_class_sql(dialect, f"coalesce(nullif({post}.text_norm, ''), {original}.text_norm)")


def original_join_sql(post: str = "p", original: str = "o") -> str:
    """``LEFT JOIN posts AS <original> ON ...``: the original of a repost, if in the case."""
    return (
        f"LEFT JOIN posts AS {original} ON {post}.repost_of_post IS NOT NULL "
        f"AND {original}.platform = {post}.platform "
        f"AND {original}.post_id = {post}.repost_of_post"
    )
