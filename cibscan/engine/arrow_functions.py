"""Scalar functions Spark SQL lacks, written in Python to give DuckDB's results exactly.

Spark runs them as Arrow UDFs (:meth:`cibscan.engine.spark_engine.SparkEngine`'s string
and tell helpers); DuckDB uses its own built-ins, so these are never on DuckDB's path and
tests/test_engines_tells.py compares the two. Each runs over *accounts* (display names to
strip of accents) or *candidate pairs* (handles within an edit or two), never over posts:
the sizes are those of the tells' outputs, not of the case.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from fractions import Fraction

import pyarrow as pa

#: Unicode categories DuckDB's strip_accents removes (utf8proc's STRIPMARK: every mark)
_MARKS = frozenset(("Mn", "Mc", "Me"))


def format_double(spec: str, value: float) -> str:
    """C's printf of one float (``%.1f``, ``%.2g``): Python's ``%`` follows C, rounding
    the exact binary value half to even, where Java rounds the shortest decimal half up."""
    return spec % value


def strip_accents(text: str) -> str:
    """DuckDB's ``strip_accents``: decomposed, every mark removed, composed again (so that
    Hangul syllables stay whole, and Devanagari loses its vowel signs as in DuckDB)."""
    kept = "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) not in _MARKS
    )
    return unicodedata.normalize("NFC", kept)


def damerau_levenshtein(a: str, b: str) -> int:
    """DuckDB's ``damerau_levenshtein``: the unrestricted distance (insertions, deletions,
    substitutions and transpositions of adjacent characters, a substring edited again after
    a transposition: ``ca`` to ``abc`` is 2), over characters (Lowrance and Wagner)."""
    inf = len(a) + len(b)
    last_row: dict[str, int] = {}
    d = [[inf] * (len(b) + 2) for _ in range(len(a) + 2)]
    for i in range(len(a) + 1):
        d[i + 1][0], d[i + 1][1] = inf, i
    for j in range(len(b) + 1):
        d[0][j + 1], d[1][j + 1] = inf, j
    for i in range(1, len(a) + 1):
        last_col = 0
        for j in range(1, len(b) + 1):
            k, ell = last_row.get(b[j - 1], 0), last_col
            cost = 0 if a[i - 1] == b[j - 1] else 1
            if cost == 0:
                last_col = j
            d[i + 1][j + 1] = min(
                d[i][j] + cost,
                d[i + 1][j] + 1,
                d[i][j + 1] + 1,
                d[k][ell] + (i - k - 1) + 1 + (j - ell - 1),
            )
        last_row[a[i - 1]] = i
    return d[len(a) + 1][len(b) + 1]


def jaro_winkler(p: str, t: str) -> float:
    """DuckDB's ``jaro_winkler_similarity`` (rapidfuzz): Jaro's matches within half the
    longer length less one, the prefix bonus (0.1 a character, at most 4) only above 0.7,
    with the same floating-point operations in the same order, so that a threshold such as
    0.9 cuts at the same pairs (checked on 20,000 random pairs, tests/test_engines_tells.py)."""
    if not p or not t:
        return 0.0
    bound = max(max(len(p), len(t)) // 2 - 1, 0)
    used = [False] * len(t)
    matched_p: list[str] = []
    for i, char in enumerate(p):
        for j in range(max(0, i - bound), min(len(t), i + bound + 1)):
            if not used[j] and t[j] == char:
                used[j] = True
                matched_p.append(char)
                break
    common = len(matched_p)
    if common == 0:
        return 0.0
    matched_t = [t[j] for j in range(len(t)) if used[j]]
    transpositions = sum(x != y for x, y in zip(matched_p, matched_t, strict=True)) // 2
    sim = 0.0
    sim += common / len(p)
    sim += common / len(t)
    sim += (common - transpositions) / common
    sim /= 3.0
    prefix = 0
    for x, y in zip(p[:4], t[:4], strict=False):
        if x != y:
            break
        prefix += 1
    if sim > 0.7:
        # one rounding, as DuckDB's compiled ``Sim += prefix * weight * (1 - Sim)`` (a fused
        # multiply-add on this x86-64 build: two roundings differ in the last bit)
        sim = min(float(Fraction(prefix * 0.1) * Fraction(1.0 - sim) + Fraction(sim)), 1.0)
    return sim


def vectorised(fn: Callable[..., object], result: pa.DataType) -> Callable[..., pa.Array]:
    """``fn`` over Arrow arrays, row by row; NULL when any argument is NULL (as in SQL)."""

    def call(*columns: pa.Array) -> pa.Array:
        rows = zip(*(c.to_pylist() for c in columns), strict=True)
        return pa.array([None if None in row else fn(*row) for row in rows], result)

    return call


#: name: (function, argument types, result type), as Spark registers them
FUNCTIONS: dict[str, tuple[Callable[..., pa.Array], list[str], str]] = {
    "cib_format_double": (vectorised(format_double, pa.string()), ["VARCHAR", "DOUBLE"], "VARCHAR"),
    "cib_strip_accents": (vectorised(strip_accents, pa.string()), ["VARCHAR"], "VARCHAR"),
    "cib_damerau_levenshtein": (
        vectorised(damerau_levenshtein, pa.int64()),
        ["VARCHAR", "VARCHAR"],
        "BIGINT",
    ),
    "cib_jaro_winkler": (
        vectorised(jaro_winkler, pa.float64()),
        ["VARCHAR", "VARCHAR"],
        "DOUBLE",
    ),
}
