"""Repurposed accounts and camouflage: planted cases fire, organic look-alikes stay quiet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.pipeline import detect
from cibscan.engine.duckdb_engine import DuckDBDialect
from cibscan.store import Case
from cibscan.tells.lexicon import post_class_sql
from tests import scenes
from tests.conftest import load, rows
from tests.conftest import tell_rows as _tell

YEAR = 365 * scenes.DAY
RING = [f"ring_{m}" for m in range(6)]


def _seconds(when: datetime) -> float:
    return (when - scenes.T0).total_seconds()


def _detect(case: Case, tmp_path: Path, posts: list[scenes.Post]) -> None:
    for p in posts:  # the generic adapter reads the fields named on the first line
        p.setdefault("language", None)
    load(case, scenes.write(tmp_path / "posts.jsonl", posts), format="generic_jsonl")
    detect(case)


def _clustered(case: Case, account: str) -> bool:
    return bool(
        rows(
            case,
            """SELECT 1 FROM account_clusters JOIN account_index USING (acct)
               WHERE account_id = ?""",
            account,
        )
    )


# ---------------------------------------------------------------- lexicon


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Polls close at 8pm, go and vote for your local council", "political"),
        ("The senator dodged every question about the new tariffs", "political"),
        ("美国政府又在抹黑中国，西方媒体只会造谣", "political"),
        ("Выборы президента прошли без сюрпризов", "political"),
        ("Die Regierung plant neue Sanktionen", "political"),
        ("Went for a hike this morning, the lake was frozen solid", "mundane"),
        ("What a match! Two goals in the last ten minutes", "mundane"),
        ("周末和家人去公园看樱花，天气太好了", "mundane"),
        ("Закат на море сегодня просто невероятный", "mundane"),
        ("Sonntag Frühstück mit Kaffee und Kuchen", "mundane"),
        ("Our football club backs the election of a new mayor", "political"),
        ("categorically a catastrophe for the category", "other"),
        ("山东的老板花钱很大方", "other"),
        ("", "other"),
    ],
)
def test_lexicon_classes_real_style_sentences(text: str, expected: str) -> None:
    """Sentences written for this test (not the simulator's), four languages; a post with
    both kinds of term is political; short Chinese characters inside other words do not
    match (山东 is a province, 花钱 is spending)."""
    con = duckdb.connect()
    got = con.execute(
        f"SELECT {post_class_sql(DuckDBDialect(), 'x')} FROM (SELECT lower(?) AS x)", [text]
    ).fetchone()
    assert got is not None and got[0] == expected


# ---------------------------------------------------------------- repurposed


def _history(style: str, members: int = 3) -> list[scenes.Post]:
    """Old posts of ring_0..2 (retweet ring members, a cluster), years before the case.

    - ``hijacked``: in 2014-2015 three posts in Bengali under a Bangladeshi handle; silent
      for nine years; in 2024 under the ring's handle, English and Chinese politics;
    - ``sports_fan``: in 2016 three posts on Arsenal in English; silent eight years; in 2024
      English posts on Arsenal again (same language, same topic);
    - ``bilingual``: in 2016 alternating Chinese and English posts on cooking; silent; in
      2024 alternating Chinese and English on cooking again (the same mix on both sides)."""
    before = {
        "hijacked": [("আজ সকালে বৃষ্টি হচ্ছে", "bn"), ("শুভ জন্মদিন বন্ধু", "bn"), ("চা খেতে চাই", "bn")],
        "sports_fan": [
            ("arsenal win again, saka was brilliant tonight", "en"),
            ("arsenal midfield needs depth, saka cannot play every minute", "en"),
            ("north london derby on sunday, arsenal fans ready", "en"),
        ],
        "bilingual": [
            ("今天做了红烧肉 recipe from my mum", "zh"),
            ("cooking noodles tonight with my brother", "en"),
            ("妈妈教我包饺子 delicious", "zh"),
        ],
    }[style]
    after = {
        "hijacked": [
            ("Washington lies to its people while the streets burn", "en"),
            ("美国政客只会互相攻击，人民却在受苦", "zh"),
            ("The so-called free press hides what really happens in America", "en"),
        ],
        "sports_fan": [
            ("back after years away: arsenal top of the league, saka unreal", "en"),
            ("arsenal derby day again, north london is red", "en"),
            ("saka and arsenal, still the best thing about sunday", "en"),
        ],
        "bilingual": [
            ("今天又做了红烧肉 mum would be proud", "zh"),
            ("cooking noodles again tonight", "en"),
            ("包饺子 with my brother, delicious", "zh"),
        ],
    }[style]
    start = datetime(2014 if style == "hijacked" else 2016, 5, 1, tzinfo=UTC)
    posts: list[scenes.Post] = []
    for m in range(members):
        account = f"ring_{m}"
        old_handle = f"rahim_{m}_bd" if style == "hijacked" else account
        for k, (text, lang) in enumerate(before):
            t = _seconds(start) + k * 60 * scenes.DAY + m * 3600
            posts.append(
                scenes.post(f"old_{m}_{k}", account, t, text, language=lang, handle=old_handle)
            )
        for k, (text, lang) in enumerate(after):
            t = 9 * scenes.DAY + k * 3600 + m * 600
            posts.append(scenes.post(f"new_{m}_{k}", account, t, text, language=lang))
    return posts


@pytest.mark.parametrize("style", ["hijacked", "sports_fan", "bilingual"])
def test_repurposed_fires_on_hijacked_accounts_only(case: Case, tmp_path: Path, style: str) -> None:
    """Planted: three members of a retweet ring are old Bengali accounts, silent nine years,
    back in English and Chinese politics under a new handle. No organic account of the
    background has a long gap, so the case's rate is tiny and three of the ring's six
    eligible members is very surprising. Look-alikes in the same cluster: the sports fan
    (same language, same team) and the bilingual cook (same mix of two languages) show no
    shift, so nothing fires."""
    _detect(case, tmp_path, scenes.organic_background() + scenes.retweet_ring() + _history(style))
    found = _tell(case, "repurposed")
    if style != "hijacked":
        assert _clustered(case, "ring_0")  # tested as a cluster member, and quiet
        assert found == {}
        return
    assert set(found) == {"ring_0", "ring_1", "ring_2"}
    assert all(float(r["score"]) >= 0.5 for r in found.values())  # type: ignore[arg-type]
    detail = str(found["ring_0"]["detail"])
    assert detail.startswith("silent for 3") and "language bn -> en" in detail
    assert "new name" in detail and "3 of 6 eligible cluster members" in detail


def test_a_lone_hijacked_account_has_no_cluster_to_compare(case: Case, tmp_path: Path) -> None:
    """One hijacked account without the ring: it is coordinated with nothing, so the tell (a
    cluster statistic) stays quiet however changed it came back. (Three such accounts posting
    the same texts minutes apart would be a cluster of their own.)"""
    _detect(case, tmp_path, scenes.organic_background() + _history("hijacked", members=1))
    assert _tell(case, "repurposed") == {}


# ---------------------------------------------------------------- camouflage

_MUNDANE = (
    "sunrise over the harbour, worth getting up early for",
    "lazy sunday brunch, pancakes and strong coffee",
    "the puppy finally learned to sit, so proud",
    "cherry trees along the canal are in full bloom, spring walk",
    "pickup basketball at the park, lost but had fun",
    "tried a new dumpling recipe tonight, family loved it",
    "周末去海边看日落，风景太美了",
    "funny clip of a cat chasing its own tail lol",
)
_FOOTBALL = (
    "what a goal in the derby, the stadium was shaking",
    "match day! scarf on, heading to the ground",
    "our keeper saved a penalty in the last minute of the match",
    "league table looking good after three wins in a row",
)


def _personas_with(extra: str) -> list[scenes.Post]:
    """The copypasta personas (a cluster posting political talking points) with other posts
    between their political ones: ``camouflage`` adds six mundane spam posts each (scenery,
    food, pets, sports, a clip, in English and Chinese: stock sentences the members share),
    interleaved; ``own_life`` adds six mundane posts in each member's own words (activists
    living their lives between posts for the cause); ``football`` makes them football fans
    with twenty match posts each, the politics a small share."""
    posts = scenes.copypasta_personas()
    n = 20 if extra == "football" else 6
    lines = _FOOTBALL if extra == "football" else _MUNDANE
    for m in range(5):
        for k in range(n):
            t = 2 * scenes.DAY + k * (4 * scenes.DAY / n) + m * 5400 + 2 * 3600
            line = lines[(k + m) % len(lines)]
            text = line if extra == "camouflage" else f"{line} {k} (said persona {m})"
            posts.append(scenes.post(f"persona_own_{m}_{k}", f"persona_{m}", t, text))
    return posts


def _organic_mixers() -> list[scenes.Post]:
    """Organic look-alikes, not coordinated with anyone: a football fan who mentions the
    election twice among thirty match posts, and a news outlet interleaving politics with
    weather and sport (a mixer by every account-level measure)."""
    posts = []
    for k in range(30):
        posts.append(scenes.post(f"fan_{k}", "united_fan", k * 8 * 3600, _FOOTBALL[k % 4]))
    for k, text in enumerate(("who are you voting for in the election?", "go vote tomorrow")):
        posts.append(scenes.post(f"fan_vote_{k}", "united_fan", 3 * scenes.DAY + k * 3600, text))
    news = (
        "Parliament passes the budget after a late-night vote",
        "Weather: heavy rain and snow expected this weekend",
        "Minister resigns over corruption claims",
        "Football: City win the derby 2-1",
        "Election campaign enters its final week",
        "Sunny spells return on monday, weather service says",
    )
    for k in range(24):
        posts.append(scenes.post(f"herald_{k}", "city_herald", k * 9 * 3600, news[k % 6]))
    return posts


def test_camouflage_fires_on_a_cluster_interleaving_spam(case: Case, tmp_path: Path) -> None:
    """Planted: five coordinated personas each post three political talking points (the
    fourth, on rumours, has no political term) between six mundane posts: 33% political,
    67% mundane, switching on most consecutive posts. Among the other accounts only the
    news outlet mixes, so five of five is very surprising. The outlet and the football fan
    are in no cluster and get nothing."""
    _detect(
        case,
        tmp_path,
        scenes.organic_background() + _personas_with("camouflage") + _organic_mixers(),
    )
    found = _tell(case, "camouflage")
    assert set(found) == {f"persona_{m}" for m in range(5)}
    assert all(float(r["score"]) >= 0.5 for r in found.values())  # type: ignore[arg-type]
    assert str(found["persona_0"]["detail"]).startswith(
        "5 of 5 active cluster members interleave political and mundane posts (this account: "
        "33% political, 67% mundane"
    )


def test_camouflage_is_quiet_on_a_cluster_mixing_politics_with_its_own_life(
    case: Case, tmp_path: Path
) -> None:
    """Look-alike: the same cluster and the same mix, but every mundane post is in the
    member's own words (activists between posts for their cause): not spam, no camouflage.
    Control: counting every mundane post (spam_only off), they are mixers."""
    posts = scenes.organic_background() + _personas_with("own_life") + _organic_mixers()
    _detect(case, tmp_path, posts)
    assert _clustered(case, "persona_0")
    assert _tell(case, "camouflage") == {}
    detect(case, DetectOptions(params={"camouflage": {"spam_only": False}}))
    assert set(_tell(case, "camouflage")) == {f"persona_{m}" for m in range(5)}


def test_camouflage_is_quiet_on_football_fans_who_mention_politics(
    case: Case, tmp_path: Path
) -> None:
    """Look-alike inside a cluster: the same personas, but as football fans whose twenty
    match posts each dwarf the three political ones (13% political < 20%, and a switch on
    only 23% of consecutive posts): no mixers."""
    _detect(
        case, tmp_path, scenes.organic_background() + _personas_with("football") + _organic_mixers()
    )
    assert _clustered(case, "persona_0")
    assert _tell(case, "camouflage") == {}
    # control: with lower bars (10% share; they switch on 5 of 22 consecutive posts) and
    # their own words counted, the same members are mixers: the thresholds decided, not the
    # lack of a cluster
    lower = {"min_share": 0.1, "min_switch": 0.2, "spam_only": False}
    detect(case, DetectOptions(params={"camouflage": lower}))
    assert set(_tell(case, "camouflage")) == {f"persona_{m}" for m in range(5)}
