"""The case's text index: a compact MinHash digest of each distinct text, kept in the case.

Matching a case against a library compares every text of the case with the library's text
families (:class:`cibscan.match.facets.TextFamilies`). The MinHash signature of a text is
the costly part: one hash per character shingle and 32 conditional minima per text, about
20 CPU seconds per million texts in DuckDB whatever the SQL's shape (measured: a GROUP BY
on (text, bin), FILTER clauses, list lambdas and bin groups all cost as much or more). A
case of 1M accounts holds 3.4M distinct texts: a minute of CPU on every match.

A text's signature never changes, so the first match keeps a digest of every text in the
case (``text_minhash``) and later matches (other libraries, a grown library, the same case
after more posts were ingested) compute the digests of new texts only. The digest holds what
finding candidates needs and no more:

- ``k0..k15``: the 16 LSH band keys (the engine's hash of a band's two minima, cut to 32
  bits; NULL where a short text leaves the band empty). A cut key can collide, which makes
  a spurious candidate that the sketch screen and the verification then drop.
- ``w0..w3``: the sketch of the signature (a byte of each bin's minimum) that screens the
  candidate pairs, and ``n``, the number of non-empty bins.

The full signatures are recomputed from the texts for the candidates only (well under 1%
of the texts) and verified exactly as before. Keys are the engine's 64-bit hash of the text:
two different texts with one key would share their digests (a spurious candidate at worst;
at 3.4M texts the chance that any two collide is about 3e-7).

The layout (shingle, bins, bands, characters, the engine's hash) is recorded in the case's
``meta`` table; an index written with another layout is dropped and rebuilt. Size: about
110 bytes a text (350 MB for 3.4M texts).

``cibscan ingest`` indexes the texts of the posts it stores (:func:`index_posts`), so that
the first match of a freshly ingested case reads a complete index: the digest's CPU is paid
once, at ingest, where the texts arrive (docs/matching.md, "The text index"). A case made
otherwise (an older cibscan, tables written by SQL) gets its index from its first match.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cibscan.detect.inputs import derived_sql, is_repost_sql
from cibscan.engine import Engine
from cibscan.signals.similarity import char_shingles_sql, minhash_signatures

log = logging.getLogger(__name__)

#: MinHash layout of text signatures (library and index; changing it needs a new version)
N_BINS = 32
ROWS_PER_BAND = 2
SHINGLE = 4
MAX_CHARS = 2000
#: a post's own text shorter than this is not compared (too little to be a talking point)
MIN_CHARS = 30
#: texts digested per statement: the signatures' aggregate holds 32 minima per text (about
#: 0.5 kB), so a batch stays within a 1 GB memory limit (ingest's default) without spilling
BATCH_TEXTS = 1_000_000
#: a stable value of the engine's hash, stored with signatures and the index: where the
#: hash differs (another DuckDB release) they are recomputed from the texts
HASH_PROBE = "cibscan minhash probe"

TABLE = "text_minhash"
META_KEY = "text_minhash_layout"
N_BANDS = N_BINS // ROWS_PER_BAND
BAND_KEYS = ", ".join(f"k{j}" for j in range(N_BANDS))

#: the sketches that screen the candidate pairs keep a byte of each bin's minimum (two
#: different minima agree by chance one time in 256), eight to a UBIGINT
SKETCH_BITS = 8
SKETCH_WORDS = -(-N_BINS * SKETCH_BITS // 64)
SKETCH_COLUMNS = ", ".join(f"w{w}" for w in range(SKETCH_WORDS))


def sketch_words_sql() -> str:
    """``w0..``: the sketch of the signature columns ``m0..`` in scope: a byte of each bin's
    minimum (bits above the bin number, which are its low bits), eight bins to a UBIGINT,
    an empty bin as 0."""
    per_word = 64 // SKETCH_BITS
    words = []
    for w in range(SKETCH_WORDS):
        bins = range(w * per_word, min(N_BINS, (w + 1) * per_word))
        parts = " | ".join(
            f"(((coalesce(m{b}, 0) // {N_BINS}) % {2**SKETCH_BITS}) "
            f"<< {SKETCH_BITS * (b - w * per_word)})"
            for b in bins
        )
        words.append(f"{parts} AS w{w}")
    return ", ".join(words)


def band_keys_sql() -> str:
    """``k0..``: the LSH band keys of the signature columns ``m0..`` in scope, cut to 32 bits
    (band j holds bins j*r .. j*r+r-1 and counts only when all of them are filled)."""
    r = ROWS_PER_BAND
    keys = []
    for j in range(N_BANDS):
        cols = [f"m{j * r + i}" for i in range(r)]
        filled = " AND ".join(f"{c} IS NOT NULL" for c in cols)
        keys.append(
            f"CASE WHEN {filled} THEN CAST(hash({', '.join(cols)}) % 4294967296 AS UINTEGER) "
            f"END AS k{j}"
        )
    return ", ".join(keys)


def bands_sql(source: str) -> str:
    """``(entity, band, bucket)``: the non-empty band keys of ``source(entity, k0..)``."""
    return f"""SELECT entity, band, bucket FROM (
            SELECT entity, unnest(range({N_BANDS})) AS band, unnest([{BAND_KEYS}]) AS bucket
            FROM {source}) AS b
        WHERE bucket IS NOT NULL"""


def layout(engine: Engine) -> str:
    """The index layout here, with the engine's hash of :data:`HASH_PROBE`."""
    probe = engine.fetchall("SELECT hash(?)", [HASH_PROBE])[0][0]
    return f"shingle={SHINGLE} bins={N_BINS} rows={ROWS_PER_BAND} chars={MAX_CHARS} hash={probe}"


def ensure(engine: Engine, keys: str, texts_sql: str) -> int:
    """Add to the case's index the texts whose keys in ``keys(text_key)`` it lacks; return
    how many were added. ``texts_sql`` selects ``(text_key, text_norm)`` for the case's
    texts (a key may repeat: one text per post). Drops an index of another layout first."""
    here = layout(engine)
    stored = engine.fetchall("SELECT value FROM meta WHERE key = ?", [META_KEY])
    if engine.table_exists(TABLE) and (not stored or stored[0][0] != here):
        log.warning("the case's text index has another layout: rebuilding it")
        engine.execute(f"DROP TABLE {TABLE}")
    if not engine.table_exists(TABLE):
        engine.execute(
            f"""CREATE TABLE {TABLE} (text_key UBIGINT, n UTINYINT, """
            + ", ".join(f"w{w} UBIGINT" for w in range(SKETCH_WORDS))
            + ", "
            + ", ".join(f"k{j} UINTEGER" for j in range(N_BANDS))
            + ")"
        )
        engine.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [META_KEY, here])
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE _mx_tnew AS
        SELECT text_key FROM {keys} ANTI JOIN {TABLE} AS i USING (text_key)"""
    )
    added = int(engine.fetchall("SELECT count(*) FROM _mx_tnew")[0][0])
    if added:
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _mx_tnew AS
            SELECT text_key AS entity, any_value(text_norm) AS text_norm FROM ({texts_sql}) AS t
            WHERE text_key IN (SELECT text_key FROM _mx_tnew) GROUP BY text_key"""
        )
        batches = -(-added // BATCH_TEXTS)
        for batch in range(batches):
            part = "_mx_tnew" if batches == 1 else "_mx_tpart"
            if batches > 1:
                engine.execute(
                    f"""CREATE OR REPLACE TEMP TABLE _mx_tpart AS
                    SELECT * FROM _mx_tnew WHERE entity % {batches} = {batch}"""
                )
            minhash_signatures(
                engine, char_shingles_sql(part, SHINGLE, MAX_CHARS), "_mx_tnsig", n_bins=N_BINS
            )
            engine.execute(
                f"""INSERT INTO {TABLE}
                SELECT entity, n, {sketch_words_sql()}, {band_keys_sql()} FROM _mx_tnsig"""
            )
        log.info("text index: %d texts added", added)
    for table in ("_mx_tnew", "_mx_tnsig", "_mx_tpart"):
        engine.drop_table(table)
    return added


def own_texts_sql(engine: Engine, where: str = "") -> str:
    """``(text_key, text_norm)`` of the case's posts that are their authors' own words (not
    reposts, at least :data:`MIN_CHARS` long), one row a post, ``where`` a condition on
    ``posts AS p``: the texts that matching compares (its ``_mx_posts`` has the same)."""
    words = derived_sql(engine, "text_words")
    return f"""SELECT hash(text_words) AS text_key, text_words AS text_norm FROM (
        SELECT {words} AS text_words, {is_repost_sql("p")} AS is_repost
        FROM posts AS p {f"WHERE {where}" if where else ""}) AS o
        WHERE NOT is_repost AND length(text_words) >= {MIN_CHARS}"""


def index_posts(engine: Engine, run_ids: Sequence[int] | None) -> int:
    """Index the own texts of the posts stored by the ingest runs ``run_ids`` (every post
    of the case when None); return how many texts were added (a text already indexed, as
    a repeated one, costs a join)."""
    if run_ids is not None and not run_ids:
        return 0
    where = (
        "" if run_ids is None else f"p.ingest_run_id IN ({', '.join(map(str, map(int, run_ids)))})"
    )
    # the texts once, materialised: the derived words are a regex over every tagged post
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ti_texts AS
        {own_texts_sql(engine, where)}"""
    )
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE _ti_keys AS SELECT DISTINCT text_key FROM _ti_texts"
    )
    try:
        return ensure(engine, "_ti_keys", "SELECT text_key, text_norm FROM _ti_texts")
    finally:
        for table in ("_ti_texts", "_ti_keys"):
            engine.drop_table(table)


def digests_sql(engine: Engine, keys: str) -> str:
    """``(entity, n, w0.., k0..)`` of the texts in ``keys(text_key)`` (``entity`` is the
    key), once :func:`ensure` has indexed them. The index holds the texts of the case, a
    set that only grows; when it holds as many texts as ``keys`` it holds exactly those
    and is read without a join."""
    indexed = int(engine.fetchall(f"SELECT count(*) FROM {TABLE}")[0][0])
    wanted = int(engine.fetchall(f"SELECT count(*) FROM {keys}")[0][0])
    where = "" if indexed == wanted else f"WHERE text_key IN (SELECT text_key FROM {keys})"
    return f"""(SELECT text_key AS entity, n, {SKETCH_COLUMNS}, {BAND_KEYS}
        FROM {TABLE} {where})"""
