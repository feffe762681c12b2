"""Every signal: its contract, a scene with a known answer, and the co-action invariants."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cibscan.detect.base import FINDINGS_DDL, DetectOptions
from cibscan.detect.pipeline import detect
from cibscan.detect.statistics import poisson_tail
from cibscan.engine import DuckDBEngine
from cibscan.signals.base import SignalContext, get_signal, parse_duration, signals
from cibscan.signals.similarity import families, hamming_neighbour_pairs
from cibscan.store import Case, open_case
from tests import scenes
from tests.conftest import ROOT, load, rows
from tests.scenes import DAY, post

# --- the contract ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(signals()))
def test_every_signal_declares_documented_parameters(name: str) -> None:
    signal = get_signal(name)
    assert signal.title and len(signal.description) > 40
    defaults = signal.resolve()
    assert set(defaults) == {p.name for p in signal.params}
    for p in signal.params:
        assert p.doc, f"{name}.{p.name} has no doc"
        assert p.parse(p.describe_default()) == p.default
    with pytest.raises(ValueError, match="no parameter"):
        signal.resolve({"no_such_parameter": 1})
    docs = (ROOT / "docs" / "signals.md").read_text(encoding="utf-8")
    assert f"`{name}`" in docs, f"docs/signals.md does not describe {name}"


def test_importing_one_signal_first_still_loads_them_all() -> None:
    """The registry loads every built-in on first use, even when one signal's module was
    imported before (in a fresh interpreter, so no earlier test has loaded them)."""
    code = (
        "import cibscan.signals.co_repost\n"
        "from cibscan.signals.base import signals\n"
        "from cibscan.signals import DEFAULT_SIGNALS\n"
        "assert len(signals()) == len(DEFAULT_SIGNALS), list(signals())\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_durations_parse() -> None:
    assert parse_duration("60s") == 60 and parse_duration("5m") == 300
    assert parse_duration("1.5h") == 5400 and parse_duration(2) == 2
    assert parse_duration("case") is None
    for bad in ("soon", "-5s", "5 weeks"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_poisson_tail_matches_known_values() -> None:
    # P(X >= 1 | 1) = 1 - e^-1; P(X >= 0 | 5) = 1; P(X >= 3 | 0.5) = 1 - e^-.5 (1 + .5 + .125)
    got = poisson_tail(pa.array([1, 0, 3]), pa.array([1.0, 5.0, 0.5])).to_pylist()
    assert got == pytest.approx([0.6321206, 1.0, 0.0143877], rel=1e-5)


# --- the shared co-action mechanism against a brute-force reference ----------------------------

Action = tuple[int, str, float]  # (account, object, time)


def engine_with_posts(actions: list[Action]) -> DuckDBEngine:
    """An in-memory engine holding ``cib_posts`` (the signals' input) made of reposts."""
    engine = DuckDBEngine()
    for table in ("pairs", "evidence"):
        engine.execute(FINDINGS_DDL[table])
    data = pa.table(
        {
            "acct": pa.array([a for a, _, _ in actions], pa.int64()),
            "platform": ["x"] * len(actions),
            "post_id": [f"p{i}" for i in range(len(actions))],
            "t": pa.array([t for _, _, t in actions], pa.float64()),
            "repost_of_post": [o for _, o, _ in actions],
            "kind": ["repost"] * len(actions),
            "text_norm": pa.array([None] * len(actions), pa.string()),
        }
    )
    engine.insert_arrow("cib_posts", data, temp=True)
    return engine


def brute_force(actions: list[Action], window: float | None) -> dict[tuple[int, int], Any]:
    """Pairs of accounts acting on the same object within the window, the slow obvious way.

    A co-action is an episode: the object and the window-wide time bucket of the earlier of
    the two actions (one bucket for the whole case when there is no window), shown by its
    closest pair of posts. A post is one piece of evidence: a shared item is a co-action
    whose post is, on each side, used by no co-action ranked before it (rarer object, then
    closer in time, then object and episode). The gap is the closest shared item's."""
    closest: dict[tuple[int, int, str, int], tuple[float, int, int]] = {}
    indexed = list(enumerate(actions))
    for (i, (a, oa, ta)), (j, (b, ob, tb)) in combinations(indexed, 2):
        if a == b or oa != ob or (window is not None and abs(ta - tb) > window):
            continue
        if a > b:
            (i, a, ta), (j, b, tb) = (j, b, tb), (i, a, ta)
        episode = int(min(ta, tb) // window) if window else 0
        key = (a, b, oa, episode)
        # closest in time, then the smallest post ids (the SQL's tie-break, ids compared as
        # the strings "p<index>")
        candidate = (abs(ta - tb), f"p{i}", f"p{j}")
        if key not in closest or candidate < closest[key]:
            closest[key] = candidate  # type: ignore[assignment]
    accounts_on = {o: {a for a, oo, _ in actions if oo == o} for _, o, _ in actions}
    rank = {
        key: (len(accounts_on[key[2]]), gap, key[2], key[3]) for key, (gap, _, _) in closest.items()
    }

    def best(side: int) -> dict[tuple[int, int, str], tuple[int, float, str, int]]:
        chosen: dict[tuple[int, int, str], tuple[int, float, str, int]] = {}
        for key, (_, post_a, post_b) in closest.items():
            post_key = (key[0], key[1], (post_a, post_b)[side])
            chosen[post_key] = min(chosen.get(post_key, rank[key]), rank[key])
        return chosen

    best_a, best_b = best(0), best(1)
    shared: dict[tuple[int, int], int] = {}
    gaps: dict[tuple[int, int], float] = {}
    for key, (gap, post_a, post_b) in closest.items():
        pair = (key[0], key[1])
        if best_a[(*pair, post_a)] == rank[key] == best_b[(*pair, post_b)]:
            shared[pair] = shared.get(pair, 0) + 1
            gaps[pair] = min(gaps.get(pair, float("inf")), gap)
    return {pair: (shared[pair], gaps[pair]) for pair in shared}


def co_repost_pairs(engine: DuckDBEngine, window: float | None) -> dict[tuple[int, int], Any]:
    get_signal("co_repost").pairs(SignalContext(engine), {"window": window, "max_accounts": 0})
    return {
        (r["a"], r["b"]): (r["n_shared"], r["min_dt"])
        for r in engine.fetch_arrow("SELECT * FROM pairs").to_pylist()
    }


actions_strategy = st.lists(
    st.tuples(
        st.integers(1, 6), st.sampled_from(["o1", "o2", "o3"]), st.integers(0, 400).map(float)
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(actions=actions_strategy, window=st.sampled_from([0.0, 10.0, 60.0, 250.0, None]))
def test_co_actions_equal_the_brute_force_pairs(
    actions: list[Action], window: float | None
) -> None:
    engine = engine_with_posts(actions)
    assert co_repost_pairs(engine, window) == brute_force(actions, window)


@settings(max_examples=30, deadline=None)
@given(actions=actions_strategy, seed=st.integers(0, 1000))
def test_pairs_do_not_depend_on_row_order_or_account_labels(
    actions: list[Action], seed: int
) -> None:
    """Shuffling the rows changes nothing; relabelling accounts relabels the pairs, with the
    same counts, gaps and null expectations (edge weights are symmetric: a < b always)."""
    rng = random.Random(seed)
    shuffled = actions[:]
    rng.shuffle(shuffled)
    labels = list(range(1, 7))
    rng.shuffle(labels)
    relabelled = [(labels[a - 1], o, t) for a, o, t in actions]

    def table(acts: list[Action], relabel: dict[int, int] | None = None) -> set[Any]:
        engine = engine_with_posts(acts)
        get_signal("co_repost").pairs(SignalContext(engine), {"window": 60.0, "max_accounts": 0})
        out = set()
        for r in engine.fetch_arrow("SELECT * FROM pairs").to_pylist():
            assert r["a"] < r["b"]
            a, b = (relabel[r["a"]], relabel[r["b"]]) if relabel else (r["a"], r["b"])
            out.add((min(a, b), max(a, b), r["n_shared"], r["min_dt"], round(r["expected"], 9)))
        return out

    original = table(actions)
    assert table(shuffled) == original
    back = {new: old for old, new in zip(range(1, 7), labels, strict=True)}
    assert table(relabelled, back) == original


def test_max_accounts_drops_crowded_objects_but_keeps_them_in_the_null() -> None:
    # o1 is acted on by all five accounts; o2 by accounts 1 and 2 only.
    actions = [(a, "o1", 0.0) for a in range(1, 6)] + [(1, "o2", 0.0), (2, "o2", 5.0)]
    engine = engine_with_posts(actions)
    get_signal("co_repost").pairs(SignalContext(engine), {"window": 60.0, "max_accounts": 2})
    got = engine.fetch_arrow("SELECT a, b, n_shared, expected FROM pairs").to_pylist()
    # Only the pair sharing o2 remains. Null (all in one episode): each account has two
    # posts (two trials); its episodes reach (5 - 1) + (2 - 1) = 5 other accounts, 4 without
    # the other one, plus the base reach 0.25 of each of its two episodes: 4.5; S = 7
    # incidences. b joins a's episodes 2 * 4.5 / 7 times.
    assert got == [{"a": 1, "b": 2, "n_shared": 1, "expected": pytest.approx(9 / 7)}]


# --- similarity helpers -------------------------------------------------------------------------


def test_families_join_chains_of_similar_items() -> None:
    engine = DuckDBEngine()
    engine.execute("CREATE TABLE ents AS SELECT range AS entity FROM range(1, 7)")
    engine.execute("CREATE TABLE sims AS SELECT * FROM (VALUES (1, 2), (2, 3), (5, 6)) t(e1, e2)")
    families(engine, "ents", "sims", "fam")
    got = dict(engine.fetchall("SELECT entity, family FROM fam"))
    assert got == {1: 1, 2: 1, 3: 1, 4: 4, 5: 5, 6: 5}


def test_hamming_neighbours_are_exact() -> None:
    engine = DuckDBEngine()
    hashes = {1: 0xFFFF000000000000, 2: 0xFFFF000000000003, 3: 0xFFFF00000000000F, 4: 0x0F}
    values = ", ".join(f"({e}, {h}::UBIGINT)" for e, h in hashes.items())
    sql = f"SELECT * FROM (VALUES {values}) AS t(entity, h)"
    hamming_neighbour_pairs(engine, sql, "near", max_distance=2)
    got = {(a, b) for a, b, _ in engine.fetchall("SELECT * FROM near")}
    # 1-2 differ in 2 bits, 2-3 in 2 bits, 1-3 in 4 bits, 4 is far from all.
    assert got == {(1, 2), (2, 3)}


# --- one scene per remaining signal ---------------------------------------------------------------


def more_campaigns() -> list[scenes.Post]:
    """Small networks, one per signal, on the organic background:

    - ``bot_*``: one bot retweets ``brand_owner``'s posts 2 s after each (fast_repost);
    - ``swarm_*``: four accounts reply to the same eight posts of a journalist within two
      minutes each time, among organic replies spread over hours (co_reply);
    - ``tagger_*``: four accounts mention the same dissident, in eight bursts a minute long
      each (co_mention);
    - ``seq_*``: four accounts post the same three-tag strings in ten waves
      (hashtag_sequence);
    - ``site_*``: four accounts link to different pages of the same two small sites within
      the hour, in ten waves (co_domain);
    - ``paste_*``: four accounts post ten identical texts within a minute (co_post);
    - ``zh_*``: four accounts post three Chinese talking points, hours apart, each copy with
      a small edit (near_duplicate).
    """
    out: list[scenes.Post] = []
    for k in range(6):
        t = 8 * DAY + k * 5000
        out.append(post(f"brand_{k}", "brand_owner", t, f"product news number {k}"))
        out.append(post(f"bot_rt_{k}", "bot_0", t + 2, repost_of_post=f"brand_{k}"))
    rng = random.Random(5)
    for k in range(8):
        t = 8 * DAY + k * 7000
        out.append(post(f"journo_{k}", "journalist", t, f"my reporting part {k}"))
        for r in range(4):
            out.append(
                post(
                    f"reader_{k}_{r}",
                    f"person_{rng.randrange(80)}",
                    t + rng.uniform(600, 9000),
                    f"interesting {k}",
                    reply_to_post=f"journo_{k}",
                    reply_to_account="journalist",
                )
            )
        for m in range(4):
            out.append(
                post(
                    f"swarm_{m}_{k}",
                    f"swarm_{m}",
                    t + 20 + 25 * m,
                    f"liar {m}{k}",
                    reply_to_post=f"journo_{k}",
                    reply_to_account="journalist",
                )
            )
            out.append(
                post(
                    f"tag_{m}_{k}",
                    f"tagger_{m}",
                    t + 3000 + 9 * m,
                    f"shame on you {m} {k}",
                    mentions=["dissident_x"],
                )
            )
    for k in range(10):
        tags = [["stopthelies", "truth", f"wave{k}"], ["peace", "harmony", f"wave{k}"]][k % 2]
        for m in range(4):
            # three separate operations, hours apart, so that they do not tie each other
            t = 9 * DAY + k * 9000 + 10 * m
            out.append(post(f"seq_{m}_{k}", f"seq_{m}", t, f"see this {m} {k}", hashtags=tags))
            url = f"https://small-site-{k % 2}.example.info/page/{m}-{k}"
            out.append(post(f"site_{m}_{k}", f"site_{m}", t + 3000 + 600 * m, url, urls=[url]))
            out.append(
                post(f"paste_{m}_{k}", f"paste_{m}", t + 6000, f"copy this exact sentence {k}")
            )
    talking_points = [
        "西方媒体一直在歪曲事实，真相是我们的经济正在稳步增长，人民生活越来越好，请大家不要相信谣言",
        "所谓的异见人士其实是拿了外国情报机构的钱，他们的目的就是制造混乱，破坏社会的和谐与稳定",
        "发展和稳定才是普通家庭真正想要的，而不是抗议和动荡，我们应该珍惜来之不易的美好生活",
    ]
    edits = ["", "！", "朋友们，", "真的，"]
    for k, point in enumerate(talking_points):
        for m in range(4):
            t = 10 * DAY + k * DAY + m * 7200
            out.append(post(f"zh_{m}_{k}", f"zh_{m}", t, f"{edits[m]}{point}"))
    return out


@pytest.fixture(scope="module")
def more(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    folder = tmp_path_factory.mktemp("more")
    path = scenes.write(folder / "more.jsonl", scenes.organic_background() + more_campaigns())
    case = open_case(folder / "case.duckdb")
    load(case, path, format="generic_jsonl")
    detect(case)
    yield case
    case.close()


@pytest.mark.parametrize(
    ("members", "layer"),
    [
        ({"bot_0", "brand_owner"}, "fast_repost"),
        ({f"swarm_{m}" for m in range(4)}, "co_reply"),
        ({f"tagger_{m}" for m in range(4)}, "co_mention"),
        ({f"seq_{m}" for m in range(4)}, "hashtag_sequence"),
        ({f"site_{m}" for m in range(4)}, "co_domain"),
        ({f"paste_{m}" for m in range(4)}, "co_post"),
        ({f"zh_{m}" for m in range(4)}, "near_duplicate"),
    ],
)
def test_each_signal_finds_its_network(more: Case, members: set[str], layer: str) -> None:
    found = rows(
        more,
        "SELECT s.account_id, s.cluster_id FROM account_scores AS s "
        "JOIN account_signal_scores AS ss USING (acct) "
        "WHERE s.tied AND ss.signal = ? AND ss.score >= 0.5",
        layer,
    )
    got = {r["account_id"] for r in found}
    assert members <= got, f"{layer} missed {members - got}"
    assert len({r["cluster_id"] for r in found if r["account_id"] in members}) == 1


def test_more_campaigns_flag_no_organic_account(more: Case) -> None:
    prefixes = ("bot_", "brand_owner", "swarm_", "tagger_", "seq_", "site_", "paste_", "zh_")
    wrong = rows(
        more,
        "SELECT account_id, reasons FROM account_scores WHERE tied AND NOT ("
        + " OR ".join(f"starts_with(account_id, '{p}')" for p in prefixes)
        + ")",
    )
    assert wrong == []


# --- media hashes, through the CooRTweet prepared table (which carries perceptual hashes) ------


def test_co_media_exact_and_perceptual(case: Case, tmp_path: Path) -> None:
    """Three accounts post four images within minutes; the third one's copies are re-encoded
    (perceptual hash one bit off). Exact matching ties only the first two; Hamming <= 2 ties
    all three. Fifty background accounts post unrelated images."""
    rng = random.Random(3)
    lines = ["account_id,post_id,url_id,hashtag_id,domain_id,phash_id,timestamp"]
    for k in range(4):
        h = rng.getrandbits(64)
        for m in range(3):
            value = h ^ 1 if m == 2 else h
            lines.append(f"tw_m{m},p{k}{m},,,,{value:016x},{1_700_000_000 + k * 3600 + 30 * m}")
    for n in range(200):
        h = rng.getrandbits(64)
        lines.append(f"tw_bg{n % 50},b{n},,,,{h:016x},{1_700_000_000 + rng.randint(0, 20000)}")
    path = tmp_path / "media.csv"
    path.write_text("\n".join(lines) + "\n")
    load(case, path, format="coortweet_prepared")

    def tied(max_hamming: int) -> set[str]:
        detect(
            case,
            DetectOptions(signals=["co_media"], params={"co_media": {"max_hamming": max_hamming}}),
        )
        return {r["account_id"] for r in rows(case, "SELECT * FROM account_scores WHERE tied")}

    assert tied(0) == {"tw_m0", "tw_m1"}
    assert tied(2) == {"tw_m0", "tw_m1", "tw_m2"}
