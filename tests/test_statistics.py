"""The pair test, dependent items, reposts known from their kind, and the group test
(docs/signals.md, "Dependent items count once" and "The null model and the test").

Small hand-made cases whose answers can be worked out on paper, and property tests of the
invariants the rest of detection relies on.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammaincc
from scipy.stats import binom

from cibscan.detect.base import FINDINGS_DDL
from cibscan.detect.groups import group_tests
from cibscan.detect.pipeline import detect
from cibscan.detect.statistics import pair_tail
from cibscan.engine import DuckDBEngine
from cibscan.signals.null_model import design_effect_sql
from cibscan.store import Case
from tests.conftest import load, rows
from tests.scenes import DAY, post, write


def test_the_pair_tail_is_the_exact_binomial() -> None:
    # Eight shared items out of eight trials at 0.2 each: 0.2^8, where Poisson(1.6) says
    # 2.9e-4; no trials known: the Poisson tail; nothing shared: 1.
    got = pair_tail(
        pa.array([8.0, 8.0, 0.0, 3.0]),
        pa.array([8.0, None, 8.0, 40.0]),
        pa.array([1.6, 1.63, 1.6, 0.8]),
    ).to_pylist()
    assert got[0] == pytest.approx(0.2**8, rel=1e-9)
    assert got[1] == pytest.approx(2.94e-4, rel=1e-2)
    assert got[2] == 1.0
    assert got[3] == pytest.approx(binom.sf(2, 40, 0.02), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    n=st.floats(0.5, 30),
    trials=st.floats(1, 60),
    expected=st.floats(0.001, 20),
    more=st.floats(0.01, 5),
)
def test_the_pair_tail_is_monotone_and_a_probability(
    n: float, trials: float, expected: float, more: float
) -> None:
    """More evidence is never less surprising; a higher expectation never more; at a fixed
    mean, more trials give a heavier tail (why one bound serves both sides of a pair)."""
    trials = max(trials, n)

    def tail(x: float, size: float, lam: float) -> float:
        return float(pair_tail(pa.array([x]), pa.array([size]), pa.array([lam]))[0].as_py())

    p = tail(n, trials, expected)
    assert 0.0 <= p <= 1.0
    assert tail(n + more, trials + more, expected) <= p + 1e-12
    assert tail(n, trials, expected + more) >= p - 1e-12
    if expected < trials and n >= expected + 1:
        assert tail(n, trials + more, expected) >= p - 1e-12


def test_repeated_episodes_count_with_the_design_effect() -> None:
    # One episode counts 1, twelve in one session 12 / (1 + 11 / 4) = 3.2, never above 4.
    engine = DuckDBEngine()
    got = engine.fetchall(
        f"SELECT {design_effect_sql('j', 0.25)} FROM (VALUES (1), (12), (10000)) AS v(j)"
    )
    assert [round(r[0], 3) for r in got] == [1.0, 3.2, 3.999]


def _detect(case: Case, folder: Path, posts: list[dict[str, Any]], **options: Any) -> None:
    for p in posts:
        p.setdefault("kind", None)
    load(case, write(folder / "p.jsonl", posts), format="generic_jsonl")
    detect(case)


def _pair(case: Case, signal: str, a: str, b: str) -> dict[str, Any] | None:
    found = rows(
        case,
        "SELECT p.* FROM pairs AS p JOIN account_index AS x ON x.acct = p.a "
        "JOIN account_index AS y ON y.acct = p.b WHERE p.signal = ? "
        "AND ((x.account_id = ? AND y.account_id = ?) OR (x.account_id = ? AND y.account_id = ?))",
        signal,
        a,
        b,
        b,
        a,
    )
    return found[0] if found else None


def test_one_pair_of_posts_is_one_item_however_many_tags(case: Case, tmp_path: Path) -> None:
    """Two accounts each post twice, a minute apart, tagging the same five accounts: two
    items (one per pair of posts), not ten, each shown by one tag (the same one: ties go to
    the smallest object)."""
    tags = ["a1", "a2", "a3", "a4", "a5"]
    posts = [
        post(f"{who}{k}", who, k * DAY + s, f"hello {who} {k}", mentions=tags)
        for k in range(2)
        for who, s in (("x", 0), ("y", 30))
    ]
    _detect(case, tmp_path, posts)
    pair = _pair(case, "co_mention", "x", "y")
    assert pair is not None and pair["n_shared"] == 2 and pair["n_objects"] == 1


def test_a_repost_without_its_target_id_is_still_a_repost(case: Case, tmp_path: Path) -> None:
    """Reposts whose reposted id the collection lost: never their authors' words (no co_post,
    no co_mention), compared by the reposted text in co_repost, skipped by fast_repost."""
    posts = []
    for k in range(3):
        text = f"@target the original message number {k} with plenty of words"
        posts.append(post(f"o{k}", "author", k * DAY, text, kind="post", mentions=["target"]))
        for who in ("r1", "r2"):
            posts.append(
                post(f"{who}_{k}", who, k * DAY + 5, text, kind="repost", mentions=["target"])
            )
    _detect(case, tmp_path, posts)
    assert _pair(case, "co_post", "r1", "r2") is None
    assert _pair(case, "co_mention", "r1", "r2") is None
    assert _pair(case, "fast_repost", "author", "r1") is None
    repost = _pair(case, "co_repost", "r1", "r2")
    assert repost is not None and repost["n_shared"] == 3
    (objects,) = rows(
        case, "SELECT list(DISTINCT object) AS o FROM evidence WHERE signal = 'co_repost'"
    )
    assert all(o.startswith("twitter|text|@target the original") for o in objects["o"])


def test_own_words_leave_tags_out(case: Case, tmp_path: Path) -> None:
    """The same words under different tags are one text; the same tags around different
    words are not."""
    posts = []
    for k in range(3):
        posts.append(post(f"p{k}", "p", k * DAY, f"@idol #vote number {k} is the best thing ever"))
        posts.append(post(f"q{k}", "q", k * DAY + 9, f"#other number {k} is the best thing ever"))
        posts.append(post(f"v{k}", "v", k * DAY + 20, f"@idol #vote my own words today {k}"))
        posts.append(post(f"w{k}", "w", k * DAY + 25, f"@idol #vote nothing like yours at {k}"))
    _detect(case, tmp_path, posts)
    copied = _pair(case, "co_post", "p", "q")
    assert copied is not None and copied["n_shared"] == 3
    assert _pair(case, "co_post", "v", "w") is None


def test_lockstep_or_target_follows_the_timing(case: Case, tmp_path: Path) -> None:
    """Two reposters within 5 s of each other are lockstep; two within 50 s are reposting
    the same posts at human pace: a shared target."""
    posts = []
    for k in range(4):
        posts.append(post(f"o{k}", "author", k * DAY, f"original {k}"))
        for who, delay in (("fast1", 10), ("fast2", 15), ("slow1", 100), ("slow2", 150)):
            posts.append(post(f"{who}_{k}", who, k * DAY + delay, repost_of_post=f"o{k}"))
    _detect(case, tmp_path, posts)
    fast = _pair(case, "co_repost", "fast1", "fast2")
    slow = _pair(case, "co_repost", "slow1", "slow2")
    assert fast is not None and fast["tie_kind"] == "lockstep" and fast["mean_dt"] == 5
    assert slow is not None and slow["tie_kind"] == "target" and slow["mean_dt"] == 50


def test_the_star_test_combines_a_hubs_partners() -> None:
    """A hub with three partners at p_alone 1e-5 (p' = 1e-2 at the partner level 1e-3):
    Fisher over the three smallest, paid for by C(3, 3) sets, 3 sizes and 1 hub."""
    engine = DuckDBEngine()
    engine.execute(FINDINGS_DDL["pairs"])
    for b in (2, 3, 4):
        engine.execute(
            "INSERT INTO pairs (signal, a, b, n_shared, p_alone) VALUES ('s', 1, ?, 3, 1e-5)",
            [b],
        )
    engine.execute(
        "INSERT INTO pairs (signal, a, b, n_shared, p_alone) VALUES ('s', 5, 6, 2, NULL)"
    )
    group_tests(engine, 1e-3)
    got = engine.fetchall("SELECT a, b, q_group, group_size FROM pairs ORDER BY a, b")
    # hubs: 1 (three partners) and 2, 3, 4 (one each): H = 4 tests
    best = min(gammaincc(j, j * math.log(100)) * math.comb(3, j) * 3 * 4 for j in range(1, 4))
    assert [r[3] for r in got[:3]] == [4, 4, 4]
    assert got[0][2] == pytest.approx(best, rel=1e-6)
    assert got[3][2] is None  # not a partner pair: not in any star
