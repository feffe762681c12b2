"""Set similarity at scale in SQL: MinHash LSH and families of similar items.

Used by the near-duplicate text signal (entities = distinct texts, tokens = character
shingles, so Chinese, Russian and mixed scripts work without word splitting), by the
synchronised-activity signal (entities = accounts, tokens = active time bins) and by the
perceptual media hash signal (Hamming neighbours, found with the pigeonhole principle).

MinHash here is **one-permutation hashing**: each token's 64-bit hash picks a bin
(``hash % n_bins``) and each entity keeps the minimum hash per bin. That costs one pass over
the tokens instead of one pass per hash function, and for two sets the probability that a bin
holds the same minimum is their Jaccard similarity. Bins are grouped into bands of
``rows_per_band``; entities whose band minima all agree become candidates, and candidates are
verified by the share of agreeing non-empty bins (the Jaccard estimate). With 32 bins in 16
bands of 2, a pair at Jaccard 0.6 becomes a candidate with probability
1 - (1 - 0.6^2)^16 = 0.999, a pair at 0.3 with 0.78 (and is then dropped by verification).
A short text leaves bins empty and fills fewer bands: at 27 shingles about 5 bands, which
still find a pair at Jaccard 0.6 with probability 0.91.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from cibscan.engine import Engine
from cibscan.engine.base import Dialect, real
from cibscan.engine.duckdb_engine import DuckDBDialect

log = logging.getLogger(__name__)

#: bytes an entity's signature takes while its GROUP BY runs (key, n_bins minimum states
#: and the hash table's share, on DuckDB), and the share of the memory limit a batch may use
_BYTES_PER_ENTITY = 400
_BATCH_MEMORY_SHARE = 0.25
#: fewest entities in a batch sized from the memory limit
_MIN_BATCH = 100_000


@dataclass(frozen=True)
class EntityBatches:
    """Tokens of entities numbered ``1..count``, signed in batches of ``size`` entities.

    ``tokens(lo, hi)`` is the SQL of the ``(entity, token)`` rows of entities ``lo..hi``
    (the caller filters its source, so that the filter is below the shingling). A
    signature is the least hash per bin over an entity's own tokens, so the batches give
    exactly the rows one pass over all entities would.
    """

    tokens: Callable[[int, int], str]
    count: int
    size: int

    def ranges(self) -> list[tuple[int, int]]:
        """``(lo, hi)`` of each batch, inclusive (none for no entity)."""
        step = max(1, self.size)
        return [(lo, min(lo + step - 1, self.count)) for lo in range(1, self.count + 1, step)]


def batch_size(engine: Engine, n_entities: int, forced: int = 0) -> int:
    """Entities per signature batch: ``forced`` if given, else what a quarter of the
    engine's memory limit holds (every entity at once when the engine cannot tell)."""
    if forced > 0:
        return forced
    limit = engine.memory_limit_bytes()
    if limit is None:
        return max(1, n_entities)
    return max(_MIN_BATCH, int(limit * _BATCH_MEMORY_SHARE) // _BYTES_PER_ENTITY)


def minhash_similar_pairs(
    engine: Engine,
    tokens_sql: str | EntityBatches,
    out: str,
    *,
    threshold: float,
    n_bins: int = 32,
    rows_per_band: int = 2,
    star: bool = False,
    max_bucket: int = 1000,
    stable: bool = False,
) -> int:
    """Write ``out(e1, e2, similarity)`` (e1 < e2) for entities with estimated Jaccard >= threshold.

    ``tokens_sql`` selects ``(entity BIGINT, token VARCHAR)`` with no NULL token (the caller
    filters its source instead: a ``token IS NOT NULL`` here was pushed below the projection
    and computed every token twice, 2 s of the 16 s signature at 5M posts), or gives them
    by :class:`EntityBatches` to sign them batch by batch; returns the number of pairs.

    Two ways to turn LSH buckets into candidate pairs:
    - ``star=False``: every pair inside a bucket; buckets with more than ``max_bucket``
      entities are skipped. For when every similar pair matters (accounts).
    - ``star=True``: each entity against its bucket's smallest entity only, so the work is
      linear in the number of entities however big a bucket grows (a slogan copied with
      10,000 small variations). Enough for families (connected components), since the
      members of a bucket are joined through its representative.

    ``stable``: token hashes every engine computes alike (:func:`minhash_signatures`), so
    that DuckDB and Spark find the same pairs; the signals use it, the match library keeps
    the engine's own hash (its stored signatures were made with it).
    """
    s = f"_mh_{out}"
    minhash_signatures(engine, tokens_sql, f"{s}_wide", n_bins=n_bins, stable=stable)
    band_key = engine.hash64 if stable else None
    if star:
        # Each bucket's representative by GROUP BY and a join rather than a window (no sort).
        # Not DISTINCT: 97% of the candidates are distinct (12.1M rows, 11.8M pairs at 5M
        # posts), so the few repeats are verified twice and removed from the verified pairs.
        # A few bands a pass: the GROUP BY holds those bands' buckets (about one per entity
        # each), not every band's, and the candidates are the same rows (a bucket is within
        # one band). A bucket takes about an eighth of a signature's memory in the GROUP BY,
        # so a pass takes as many bands as 8 signature batches' worth of buckets.
        n_bands = n_bins // rows_per_band
        per_pass = n_bands
        if isinstance(tokens_sql, EntityBatches) and tokens_sql.count > 0:
            per_pass = max(1, min(n_bands, 8 * tokens_sql.size // tokens_sql.count))
        for first in range(0, n_bands, per_pass):
            engine.create_scratch(
                f"{s}_band",
                " UNION ALL ".join(
                    band_sql(f"{s}_wide", j, rows_per_band=rows_per_band, key=band_key)
                    for j in range(first, min(first + per_pass, n_bands))
                ),
            )
            candidates = f"""SELECT r.rep AS e1, b.entity AS e2
                FROM {s}_band AS b JOIN (
                    SELECT band, bucket, min(entity) AS rep FROM {s}_band
                    GROUP BY band, bucket HAVING count(*) >= 2) AS r
                  ON r.band = b.band AND r.bucket = b.bucket AND b.entity > r.rep"""
            if first == 0:
                engine.create_scratch(f"{s}_cand", candidates)
            else:
                engine.append_scratch(f"{s}_cand", candidates)
    else:
        engine.create_scratch(
            f"{s}_band",
            lsh_bands_sql(f"{s}_wide", n_bins=n_bins, rows_per_band=rows_per_band, key=band_key),
        )
        candidates = f"""SELECT DISTINCT x.entity AS e1, y.entity AS e2
            FROM (SELECT b.* FROM {s}_band AS b JOIN (
                    SELECT band, bucket FROM {s}_band GROUP BY band, bucket
                    HAVING count(*) BETWEEN 2 AND {int(max_bucket)}) AS ok
                  USING (band, bucket)) AS x
            JOIN {s}_band AS y
              ON y.band = x.band AND y.bucket = x.bucket AND x.entity < y.entity"""
        engine.create_scratch(f"{s}_cand", candidates)
    # Estimated Jaccard: bins holding the same minimum / bins non-empty in either.
    engine.create_scratch(
        out,
        f"""SELECT DISTINCT e1, e2, similarity FROM (
            SELECT c.e1, c.e2, {jaccard_sql("x", "y", n_bins)} AS similarity
            FROM {s}_cand AS c
            JOIN {s}_wide AS x ON x.entity = c.e1
            JOIN {s}_wide AS y ON y.entity = c.e2) AS v
        WHERE similarity >= {real(threshold)}""",
    )
    for suffix in ("wide", "band", "cand"):
        engine.drop_table(f"{s}_{suffix}")
    return int(engine.fetchall(f"SELECT count(*) FROM {out}")[0][0])


def minhash_bands(
    engine: Engine, tokens_sql: str, prefix: str, *, n_bins: int = 32, rows_per_band: int = 2
) -> None:
    """Write ``{prefix}_wide`` (signatures, :func:`minhash_signatures`) and ``{prefix}_band``
    (their LSH band keys, :func:`lsh_bands`)."""
    minhash_signatures(engine, tokens_sql, f"{prefix}_wide", n_bins=n_bins)
    lsh_bands(
        engine, f"{prefix}_wide", f"{prefix}_band", n_bins=n_bins, rows_per_band=rows_per_band
    )


def minhash_signatures(
    engine: Engine,
    tokens_sql: str | EntityBatches,
    out: str,
    *,
    n_bins: int = 32,
    stable: bool = False,
) -> None:
    """Write ``out(entity, n, m0..m{n_bins-1})``: each entity's MinHash signature by
    one-permutation hashing (``m{b}`` the least hash of its tokens in bin ``b``, ``n`` its
    non-empty bins).

    Shared by the pair search above and by the text families of known networks
    (:mod:`cibscan.match.facets`), which keep their posts' signatures in the library so that
    a new post is compared with them by a band join and this same estimate.
    """
    # One pass over the tokens gives each entity's whole signature as one row. One row per
    # entity serves both the bands and the verification; a per-(entity, band) aggregate
    # pivoted afterwards cost 10 s more at 10M posts.
    mins = ", ".join(f"min(CASE WHEN bin = {b} THEN h END) AS m{b}" for b in range(n_bins))
    filled = " + ".join(f"CAST(m{b} IS NOT NULL AS INTEGER)" for b in range(n_bins))
    cols = ", ".join(f"m{b}" for b in range(n_bins))
    batches = tokens_sql if isinstance(tokens_sql, EntityBatches) else None
    every = batches.tokens(1, batches.count) if batches else str(tokens_sql)
    if stable:
        _stable_dictionary(engine, every, f"{out}_dict")

    def signed(tokens: str) -> str:
        if stable:
            hashed = _stable_hashed(engine, tokens, f"{out}_dict")
        else:
            hashed = f"""SELECT entity, hash(token) AS h FROM ({tokens}) AS t
                         WHERE entity IS NOT NULL"""
        return f"""SELECT entity, {filled} AS n, {cols}
            FROM (SELECT entity, {mins}
                  FROM (SELECT entity, h, h % {n_bins} AS bin FROM ({hashed}) AS hashed) AS b
                  GROUP BY entity) AS w"""

    # In batches of entities that fit memory: the GROUP BY of every text at once spilled
    # 51 GiB at 50M posts. A signature depends on its entity's tokens alone, so the rows are
    # the same however the entities are cut (tests/test_similarity_batches.py).
    ranges = batches.ranges() if batches else []
    if batches is None or len(ranges) <= 1:
        engine.create_scratch(out, signed(every))
    else:
        for i, (lo, hi) in enumerate(ranges):
            log.debug("minhash %s: batch %d/%d, entities %d..%d", out, i + 1, len(ranges), lo, hi)
            if i == 0:
                engine.create_scratch(out, signed(batches.tokens(lo, hi)))
            else:
                engine.append_scratch(out, signed(batches.tokens(lo, hi)))
    if stable:
        engine.drop_table(f"{out}_dict")


#: the largest BIGINT: a stable hash keeps 63 bits, so that it is never negative
_LOW63 = (1 << 63) - 1


def _stable_dictionary(engine: Engine, tokens_sql: str, dictionary: str) -> None:
    """Write ``dictionary(hk, h)``: each distinct token's hash from the first 63 bits of its
    MD5, keyed by the engine's 64-bit hash ``hk`` of the token.

    DuckDB and Spark compute MD5 alike (their own 64-bit hashes differ, and MinHash keeps
    the least hash of a bin: the candidates depend on the values, not only on equality).
    MD5 costs several times the engine's hash, so each *distinct* token is hashed once
    (text shingles repeat: 46M shingles of 1M posts are 59,000 distinct ones), and every
    shingle then joins the dictionary on an integer (measured on those 46M: 5.8 CPU s for
    the signatures against 3.3 s with the engine's hash alone, and 9.5 s with MD5 on every
    shingle). Grouping the shingles by ``hk`` with the least token, instead of DISTINCT on
    the strings, was slower (1M texts, 80M shingles: 17.9 s against 13.1 s, load 7).
    Two tokens with one engine hash (about 1e-10 at 59,000 tokens) would share the least
    of their MD5 hashes.
    """
    key = engine.hash64("token")
    md5 = engine.hex_to_int64("substr(md5(token), 1, 16)")
    engine.create_scratch(
        dictionary,
        f"""SELECT {key} AS hk, min(({md5}) & {_LOW63}) AS h
        FROM (SELECT DISTINCT token FROM ({tokens_sql}) AS t) AS d GROUP BY {key}""",
    )


def _stable_hashed(engine: Engine, tokens_sql: str, dictionary: str) -> str:
    """SQL of ``(entity, h)``: each token's stable hash read from ``dictionary``
    (:func:`_stable_dictionary`) by its engine hash.

    The dictionary has to hold every token: one of a 5% sample of the texts, with the MD5
    of a missing token computed where it occurs (a LEFT JOIN and a COALESCE), made the
    pass over every token 2.9 s instead of 50 s at 10M posts, but the first batch of
    signatures 116 s instead of 26 s (load 12).
    """
    key = engine.hash64("token")
    return f"""SELECT t.entity, d.h
        FROM (SELECT entity, {key} AS hk FROM ({tokens_sql}) AS t
              WHERE entity IS NOT NULL) AS t
        JOIN {dictionary} AS d ON d.hk = t.hk"""


def lsh_bands_sql(
    wide: str,
    *,
    n_bins: int = 32,
    rows_per_band: int = 2,
    key: Callable[[str], str] | None = None,
) -> str:
    """``(entity, band, bucket)`` of the signatures in ``wide``.

    Band j holds bins j*r .. j*r+r-1 and counts only when all of them are filled (a short
    text fills fewer bands); a last band short of r bins never counts. ``key`` makes the
    bucket from the band's columns (default DuckDB's ``hash``; an engine's ``hash64``
    elsewhere: buckets are only joined and counted, so their values may differ by engine).
    """
    return " UNION ALL ".join(
        band_sql(wide, j, rows_per_band=rows_per_band, key=key)
        for j in range(n_bins // rows_per_band)
    )


def band_sql(
    wide: str, j: int, *, rows_per_band: int = 2, key: Callable[[str], str] | None = None
) -> str:
    """``(entity, band, bucket)`` of band ``j`` alone (:func:`lsh_bands_sql`)."""
    r = rows_per_band
    make_key = key or (lambda cols: f"hash({cols})")
    return f"""SELECT entity, {j} AS band,
               {make_key(", ".join(f"m{j * r + i}" for i in range(r)))} AS bucket
            FROM {wide}
            WHERE {" AND ".join(f"m{j * r + i} IS NOT NULL" for i in range(r))}"""


def lsh_bands(
    engine: Engine, wide: str, out: str, *, n_bins: int = 32, rows_per_band: int = 2
) -> None:
    """Write ``out(entity, band, bucket)`` (:func:`lsh_bands_sql`)."""
    sql = lsh_bands_sql(wide, n_bins=n_bins, rows_per_band=rows_per_band)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS {sql}")


def jaccard_sql(x: str, y: str, n_bins: int = 32) -> str:
    """The estimated Jaccard similarity of the signatures aliased ``x`` and ``y``: bins
    holding the same minimum over bins non-empty in either."""
    both = " + ".join(
        f"CAST({x}.m{b} IS NOT NULL AND {y}.m{b} IS NOT NULL AS INTEGER)" for b in range(n_bins)
    )
    same = " + ".join(
        f"CAST(coalesce({x}.m{b} = {y}.m{b}, FALSE) AS INTEGER)" for b in range(n_bins)
    )
    return f"(({same}) / ({x}.n + {y}.n - ({both})))"


def char_shingles_sql(table: str, k: int, max_chars: int, dialect: Dialect | None = None) -> str:
    """``(entity, token)``: the character shingles of ``table(entity, text_norm)``.

    Shingles of the first ``max_chars`` characters, cut from text_norm itself: carrying a
    computed prefix (``left(text_norm, max_chars)``) through the unnest copied that string
    into every shingle row, which took three quarters of near_duplicate's time (measured:
    7.4 s against 1.8 s for the 48M shingles of 1M posts). The last shingle ends at
    max_chars, and a head shorter than a shingle is one token, itself: hence the length
    ``least(k, max_chars)``, equal to cutting the prefix first. Character shingles, not
    words, so Chinese, Russian and mixed scripts work.
    """
    d = dialect or DuckDBDialect()
    length = f"least(length(text_norm), {int(max_chars)})"
    positions = d.explode(d.int_range("1", f"greatest({length} - {int(k)} + 2, 2)"))
    return f"""SELECT entity, substr(text_norm, i, {min(int(k), int(max_chars))}) AS token
        FROM (SELECT entity, text_norm, {positions} AS i FROM {table}) AS s"""


def families(engine: Engine, entities: str, pairs: str, out: str, *, max_rounds: int = 20) -> None:
    """Write ``out(entity, family)``: connected components of the similarity graph.

    Min-label propagation: every entity starts as its own family and repeatedly takes the
    smallest family among itself and its neighbours, until nothing changes. A chain of
    small edits (A~B~C) thus ends in one family, as copypasta variants should. Each round is
    one SQL statement; the Python loop is over rounds, not rows.
    """
    # scratch tables through the engine (a Spark temp view would recompute every round)
    engine.create_scratch(out, f"SELECT entity, entity AS family FROM {entities}")
    for round_no in range(max_rounds):
        engine.create_scratch(
            f"{out}_next",
            f"""SELECT f.entity, least(f.family, coalesce(n.best, f.family)) AS family
            FROM {out} AS f LEFT JOIN (
                SELECT e.entity, min(g.family) AS best FROM (
                    SELECT e1 AS entity, e2 AS other FROM {pairs}
                    UNION ALL SELECT e2, e1 FROM {pairs}) AS e
                JOIN {out} AS g ON g.entity = e.other
                GROUP BY e.entity) AS n USING (entity)""",
        )
        changed = engine.fetchall(
            f"""SELECT count(*) FROM {out} AS f JOIN {out}_next AS g USING (entity)
            WHERE f.family <> g.family"""
        )[0][0]
        engine.drop_table(out)
        engine.rename_table(f"{out}_next", out)
        if not changed:
            return
        log.debug("families %s: round %d changed %d", out, round_no, changed)
    log.warning("families %s: still changing after %d rounds; stopping", out, max_rounds)


def hamming_neighbour_pairs(
    engine: Engine, hashes_sql: str, out: str, *, max_distance: int, bits: int = 64
) -> int:
    """Write ``out(e1, e2, similarity)`` for 64-bit hashes within ``max_distance`` bits.

    Pigeonhole: if two hashes differ in at most k bits, at least one of k + 1 disjoint chunks
    is identical, so an equi-join per chunk finds every candidate; the exact distance is then
    the bits that differ (``Dialect.hamming_distance``). ``hashes_sql`` selects ``(entity BIGINT,
    h BIGINT)``, the 64 bits as a signed integer (Spark has no UBIGINT).
    """
    chunks = max_distance + 1
    width = bits // chunks
    parts = []
    for i in range(chunks):
        hi = bits if i == chunks - 1 else (i + 1) * width
        # an arithmetic shift on both engines: the mask drops the sign's copies
        mask = (1 << (hi - i * width)) - 1
        key = "h" if hi - i * width >= 64 else f"(h >> {i * width}) & {mask}"
        parts.append(f"SELECT entity, h, {i} AS chunk, {key} AS key FROM hs")
    union = " UNION ALL ".join(parts)
    distance = engine.hamming_distance("x.h", "y.h")
    engine.create_scratch(
        out,
        f"""WITH hs AS ({hashes_sql}), keyed AS ({union})
        SELECT DISTINCT x.entity AS e1, y.entity AS e2,
               {real(1.0)} - {distance} / {real(bits)} AS similarity
        FROM keyed AS x JOIN keyed AS y
          ON y.chunk = x.chunk AND y.key = x.key AND x.entity < y.entity
        WHERE {distance} <= {int(max_distance)}""",
    )
    return int(engine.fetchall(f"SELECT count(*) FROM {out}")[0][0])
