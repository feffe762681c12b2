"""MinHash signatures in batches of entities (issue 16): the same rows as one pass.

A signature is the least hash per bin over an entity's own tokens, so cutting the entities
into ranges must change nothing; these tests force tiny batches to prove it on DuckDB (the
Spark side is tests/test_engines.py, near_duplicate-batched).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from cibscan.engine import DuckDBEngine
from cibscan.signals.similarity import (
    EntityBatches,
    batch_size,
    char_shingles_sql,
    jaccard_sql,
    lsh_bands_sql,
    minhash_signatures,
    minhash_similar_pairs,
)

N_TEXTS = 60
WORDS = [
    "bridge",
    "vote",
    "mayor",
    "road",
    "money",
    "town",
    "contract",
    "public",
    "waste",
    "council",
    "tax",
    "school",
]


def _texts() -> list[str]:
    """Twenty base texts, each with two edited copies (a word swapped, one dropped)."""
    rng = random.Random(16)
    texts = []
    for _ in range(N_TEXTS // 3):
        words = [rng.choice(WORDS) for _ in range(14)]
        swapped = list(words)
        swapped[rng.randrange(len(words))] = rng.choice(WORDS)
        dropped = words[:5] + words[6:]
        texts += [" ".join(words), " ".join(swapped), " ".join(dropped)]
    return texts


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    duck = DuckDBEngine()
    texts = _texts()
    duck.insert_arrow(
        "_t_texts",
        pa.table({"entity": list(range(1, len(texts) + 1)), "text_norm": texts}),
        temp=True,
    )
    yield duck
    duck.close()


def _tokens(lo: int, hi: int) -> str:
    return char_shingles_sql(
        f"(SELECT * FROM _t_texts WHERE entity BETWEEN {lo} AND {hi}) AS x", 4, 2000
    )


def _rows(engine: DuckDBEngine, table: str) -> list[tuple[Any, ...]]:
    return engine.fetchall(f"SELECT * FROM {table} ORDER BY ALL")


@pytest.mark.parametrize("stable", [True, False])
@pytest.mark.parametrize("size", [1, 7, N_TEXTS - 1, N_TEXTS, 1000])
def test_signatures_in_batches_are_those_of_one_pass(
    engine: DuckDBEngine, size: int, stable: bool
) -> None:
    minhash_signatures(engine, _tokens(1, N_TEXTS), "_t_one", n_bins=16, stable=stable)
    batches = EntityBatches(_tokens, N_TEXTS, size)
    minhash_signatures(engine, batches, "_t_batched", n_bins=16, stable=stable)
    one = _rows(engine, "_t_one")
    assert len(one) == N_TEXTS
    assert _rows(engine, "_t_batched") == one


@pytest.mark.parametrize("size", [4, 20])  # candidates one band a pass, and two
def test_similar_pairs_in_batches_are_those_of_one_pass(engine: DuckDBEngine, size: int) -> None:
    kwargs: dict[str, Any] = {"threshold": 0.6, "n_bins": 16, "stable": True, "star": True}
    n_one = minhash_similar_pairs(engine, _tokens(1, N_TEXTS), "_t_pairs_one", **kwargs)
    batches = EntityBatches(_tokens, N_TEXTS, size)
    n_batched = minhash_similar_pairs(engine, batches, "_t_pairs_batched", **kwargs)
    # the edited copies are found (each base text with at least one of its copies)
    assert n_one >= N_TEXTS // 3
    assert n_batched == n_one
    assert _rows(engine, "_t_pairs_batched") == _rows(engine, "_t_pairs_one")


@pytest.mark.parametrize(("count", "size"), [(0, 5), (1, 5), (10, 3), (10, 10), (11, 1)])
def test_batches_cover_every_entity_once(count: int, size: int) -> None:
    ranges = EntityBatches(_tokens, count, size).ranges()
    covered = [e for lo, hi in ranges for e in range(lo, hi + 1)]
    assert covered == list(range(1, count + 1))
    assert all(hi - lo + 1 <= size for lo, hi in ranges)


def test_the_batch_size_follows_the_memory_limit(engine: DuckDBEngine) -> None:
    assert batch_size(engine, 10**9, forced=123) == 123
    engine.configure(memory_limit="4GB")
    at_4gb = batch_size(engine, 10**9)
    engine.configure(memory_limit="8GB")
    assert batch_size(engine, 10**9) == 2 * at_4gb
    assert engine.memory_limit_bytes() == 8 * 10**9


def test_star_pairs_band_by_band_are_those_of_all_bands_at_once(engine: DuckDBEngine) -> None:
    """The star candidates are found one band at a time; the reference is the former
    statement over every band's buckets together."""
    n = minhash_similar_pairs(
        engine, _tokens(1, N_TEXTS), "_t_star", threshold=0.6, n_bins=16, stable=True, star=True
    )
    minhash_signatures(engine, _tokens(1, N_TEXTS), "_t_wide", n_bins=16, stable=True)
    engine.create_scratch(
        "_t_band", lsh_bands_sql("_t_wide", n_bins=16, rows_per_band=2, key=engine.hash64)
    )
    expected = engine.fetchall(
        f"""SELECT DISTINCT e1, e2, similarity FROM (
            SELECT c.e1, c.e2, {jaccard_sql("x", "y", 16)} AS similarity
            FROM (SELECT r.rep AS e1, b.entity AS e2
                  FROM _t_band AS b JOIN (
                      SELECT band, bucket, min(entity) AS rep FROM _t_band
                      GROUP BY band, bucket HAVING count(*) >= 2) AS r
                    ON r.band = b.band AND r.bucket = b.bucket AND b.entity > r.rep) AS c
            JOIN _t_wide AS x ON x.entity = c.e1
            JOIN _t_wide AS y ON y.entity = c.e2) AS v
        WHERE similarity >= 0.6 ORDER BY ALL"""
    )
    assert n == len(expected) > 0
    assert _rows(engine, "_t_star") == expected
