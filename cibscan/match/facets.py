"""The built-in facets of a known network (the contract is in :mod:`cibscan.match.base`).

Most facets are one SQL expression over the scratch tables, declared with
:class:`SqlFacet`; texts need more (MinHash signatures kept in the library, compared by a
band join), so :class:`TextFamilies` implements the hooks itself.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from cibscan.match import text_index
from cibscan.match.base import Facet, FacetContext, register
from cibscan.match.text_index import (
    HASH_PROBE,
    MAX_CHARS,
    MIN_CHARS,
    N_BINS,
    ROWS_PER_BAND,
    SHINGLE,
    SKETCH_COLUMNS,
    band_keys_sql,
    bands_sql,
    sketch_words_sql,
)
from cibscan.signals.similarity import (
    char_shingles_sql,
    families,
    jaccard_sql,
    minhash_signatures,
    minhash_similar_pairs,
)

log = logging.getLogger(__name__)

# MIN_CHARS (text_index): texts shorter are not compared (``ok``, ``lol``: everybody
# writes them); the index that ingest builds holds the same texts as this facet compares
#: a network's own texts this similar form one family (copypasta with edits)
FAMILY_JACCARD = 0.5
#: a new post this similar to a network text belongs to its family (a paraphrase keeps
#: about a third of its character shingles; docs/matching.md)
MATCH_JACCARD = 0.3
#: a band bucket holding more than this share of the case's texts (and more than
#: STOP_BUCKET_MIN) is a stop bucket, as a stop word: its minima are those of shingles
#: every other text has, and the pairs meeting there are chance (docs/matching.md)
STOP_BUCKET_SHARE = 1e-4
STOP_BUCKET_MIN = 50

SIG_COLUMNS = ", ".join(f"m{b}" for b in range(N_BINS))
#: the posts whose texts are compared: the account's own words, long enough to mean something
_OWN_TEXT = f"NOT is_repost AND length(text_words) >= {MIN_CHARS}"


def _agreeing_bins_sql(x: str) -> str:
    """The number of sketch bins that agree in ``x``, the xor of two sketch words: its zero
    bytes (the classic bit trick: a byte's high bit ends up set exactly when the byte is 0;
    no carry crosses a byte)."""
    low7 = int.from_bytes(b"\x7f" * 8, "little")
    return f"bit_count(~((({x} & {low7}) + {low7}) | {x} | {low7}))"


class SqlFacet(Facet):
    """A facet whose features are one ``SELECT acct, unit, feature`` statement."""

    sql: ClassVar[str]

    def features_sql(self, ctx: FacetContext) -> str:
        return self.sql


def _account_facet(
    name: str, family: str, title: str, description: str, feature: str, min_members: int = 1
) -> None:
    """Register a facet with one feature per account (``feature`` over ``_mx_acc``)."""
    cls = type(
        name.title().replace("_", ""),
        (SqlFacet,),
        {
            "name": name,
            "family": family,
            "title": title,
            "description": description,
            "unit_name": "accounts",
            "min_members": min_members,
            "one_per_account": True,
            "sql": f"""SELECT acct, feature AS unit, feature FROM (
                SELECT acct, {feature} AS feature FROM _mx_acc) WHERE feature IS NOT NULL""",
        },
    )
    register(cls())


def _post_set_facet(name: str, family: str, title: str, description: str, values: str) -> None:
    """Register a set facet whose features are the distinct ``values`` (a list expression
    over ``_mx_posts``) of an account's posts."""
    cls = type(
        name.title().replace("_", ""),
        (SqlFacet,),
        {
            "name": name,
            "family": family,
            "title": title,
            "description": description,
            "unit_name": name + "s",
            "sql": f"""SELECT DISTINCT acct, feature AS unit, feature FROM (
                SELECT acct, unnest({values}) AS feature FROM _mx_posts)
                WHERE feature IS NOT NULL AND feature <> ''""",
        },
    )
    register(cls())


class TextFamilies(Facet):
    """Texts of the network's families, paraphrases included (MinHash over shingles)."""

    name = "text"
    family = "text"
    title = "Text families"
    description = (
        "The network's own texts grouped into families (character-shingle MinHash, Jaccard "
        f">= {FAMILY_JACCARD}); a new post belongs to a family when its estimated Jaccard "
        f"with one of the family's texts is >= {MATCH_JACCARD} (a paraphrase). Reposts are "
        "someone else's words and are left out."
    )
    unit_name = "posts"
    scratch_tables = ("_mx_texts", "_mx_tsig", "_mx_tsim", "_mx_tfam", "_mx_lsig", "_mx_lsig0",
                      "_mx_ltexts", "_mx_tsig_b", "_mx_lsig_b", "_mx_tcand",
                      "_mx_tver")  # fmt: skip

    def prepare(self, ctx: FacetContext) -> None:
        engine = ctx.engine
        if ctx.mode == "match":
            self._prepare_match(ctx)
            return
        offset = int(
            engine.fetchall(f"SELECT coalesce(max(entity), 0) FROM {ctx.library}.network_texts")[0][
                0
            ]
        )
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _mx_texts AS
            SELECT row_number() OVER (ORDER BY text_norm) + {offset} AS entity, text_norm
            FROM (SELECT DISTINCT text_words AS text_norm FROM _mx_posts
                  WHERE {_OWN_TEXT}) AS t"""
        )
        tokens = char_shingles_sql("_mx_texts", SHINGLE, MAX_CHARS)
        minhash_signatures(engine, tokens, "_mx_tsig", n_bins=N_BINS)
        minhash_similar_pairs(
            engine,
            tokens,
            "_mx_tsim",
            threshold=FAMILY_JACCARD,
            n_bins=N_BINS,
            rows_per_band=ROWS_PER_BAND,
            star=True,
        )
        families(engine, "_mx_texts", "_mx_tsim", "_mx_tfam")

    def _prepare_match(self, ctx: FacetContext) -> None:
        """``_mx_tfam(entity, family)``: the case's texts (``entity`` the text's key, the
        engine's hash of it) that belong to a family of the library."""
        engine = ctx.engine
        # the case's texts as keys: hashing them costs less than a DISTINCT of the strings
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _mx_texts AS
            SELECT DISTINCT hash(text_words) AS text_key FROM _mx_posts WHERE {_OWN_TEXT}"""
        )
        texts = f"""SELECT hash(text_words) AS text_key, text_words AS text_norm
            FROM _mx_posts WHERE {_OWN_TEXT}"""
        # the case's texts are compared through its text index (band keys and sketches,
        # kept in the case: cibscan/match/text_index.py); a first match builds it
        text_index.ensure(engine, "_mx_texts", texts)
        self._library_signatures(ctx)
        # Candidates are the pairs sharing an LSH band, as in the pair search; but texts
        # made of common words share the bands made of common shingles (a tenth of a
        # million tweets fall in one bucket, with thousands of the library's texts): at 1M
        # accounts against 100 networks, 5 billion pairs, which a DISTINCT spilled to disk
        # until the disk was full. Each pair is screened on the fly instead, by sketches
        # of the signatures (text_index.sketch_words_sql): the bins whose sketches agree
        # are at least the bins whose minima agree, and a pair can reach MATCH_JACCARD only
        # if those are MATCH_JACCARD of the larger signature's non-empty bins (the
        # estimate's denominator is at least that). What passes is verified on the full
        # signatures, recomputed for those texts only; 0.7% of the pairs pass. And the
        # case's stop buckets are left out of the join: in that case 147 buckets with over
        # 10,000 texts each made 3.4 of the 5.3 billion pairs, and the 3.4M texts "found"
        # 406,000 in a family, most by chance meetings of common shingles
        # (benchmarks/match.py, docs/matching.md).
        self._candidate_pairs(ctx)
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _mx_tver AS
            SELECT text_key AS entity, any_value(text_norm) AS text_norm FROM ({texts}) AS t
            WHERE text_key IN (SELECT ce FROM _mx_tcand) GROUP BY text_key"""
        )
        minhash_signatures(
            engine, char_shingles_sql("_mx_tver", SHINGLE, MAX_CHARS), "_mx_tsig", n_bins=N_BINS
        )
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _mx_tfam AS
            SELECT DISTINCT c.entity, l.family
            FROM _mx_tcand AS cand
            JOIN _mx_tsig AS c ON c.entity = cand.ce
            JOIN _mx_lsig AS l ON l.entity = cand.le
            WHERE {jaccard_sql("c", "l", N_BINS)} >= {MATCH_JACCARD}"""
        )

    def _candidate_pairs(self, ctx: FacetContext) -> None:
        """``_mx_tcand(ce, le)``: the pairs of a case text and a library text worth
        verifying: sharing a band bucket (not a stop bucket) and passing the sketches."""
        engine = ctx.engine
        texts = int(engine.fetchall("SELECT count(*) FROM _mx_texts")[0][0])
        cap = max(STOP_BUCKET_MIN, int(STOP_BUCKET_SHARE * texts))
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _mx_lsig_b AS
            {bands_sql(f"(SELECT entity, {band_keys_sql()} FROM _mx_lsig)")}"""
        )
        # the case's digests (band keys, sketch) from its text index
        digests = text_index.digests_sql(engine, "_mx_texts")
        # only the case's bands in a bucket of the library can meet it, so the stop buckets
        # are counted among those (every case band of such a bucket is there); one band at
        # a time, a semi-join on one column: unnesting the 16 bands of every text first and
        # counting the buckets with a window cost three times as much
        meeting = " UNION ALL ".join(
            f"""SELECT entity, {j} AS band, k{j} AS bucket FROM {digests} AS d
            WHERE k{j} IN (SELECT bucket FROM _mx_lsig_b WHERE band = {j})"""
            for j in range(text_index.N_BANDS)
        )
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _mx_tsig_b AS
            SELECT * FROM ({meeting}) AS b
            SEMI JOIN (SELECT band, bucket FROM ({meeting}) AS m
                       GROUP BY band, bucket HAVING count(*) <= {cap}) AS ok
              USING (band, bucket)"""
        )
        words = range(text_index.SKETCH_WORDS)
        diffs = ", ".join(f"xor(x.w{w}, y.w{w}) AS d{w}" for w in words)
        agree = " + ".join(_agreeing_bins_sql(f"d{w}") for w in words)
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _mx_tcand AS
            WITH xs AS (SELECT entity, n, {SKETCH_COLUMNS} FROM {digests} AS d
                        WHERE entity IN (SELECT entity FROM _mx_tsig_b)),
            ys AS (SELECT entity, n, {sketch_words_sql()} FROM _mx_lsig)
            SELECT ce, le FROM (
                SELECT xb.entity AS ce, yb.entity AS le, greatest(x.n, y.n) AS nn, {diffs}
                FROM _mx_tsig_b AS xb JOIN _mx_lsig_b AS yb USING (band, bucket)
                JOIN xs AS x ON x.entity = xb.entity
                JOIN ys AS y ON y.entity = yb.entity) AS p
            WHERE {agree} + 1e-9 >= {MATCH_JACCARD} * nn"""
        )

    def _library_signatures(self, ctx: FacetContext) -> None:
        """The library's text signatures, recomputed from its texts when they were written
        by an engine whose hash differs from this one's."""
        engine = ctx.engine
        lib = ctx.library
        stored = engine.fetchall(
            f"SELECT value FROM {lib}.library_meta WHERE key = 'minhash_probe'"
        )
        here = str(engine.fetchall("SELECT hash(?)", [HASH_PROBE])[0][0])
        if stored and stored[0][0] == here:
            engine.execute(
                f"""CREATE OR REPLACE TEMP TABLE _mx_lsig AS
                SELECT entity, family, n, {SIG_COLUMNS} FROM {lib}.network_texts"""
            )
            return
        log.warning("library signatures were made by another engine: recomputing them")
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _mx_ltexts AS
            SELECT entity, family, text AS text_norm FROM {lib}.network_texts"""
        )
        minhash_signatures(
            engine, char_shingles_sql("_mx_ltexts", SHINGLE, MAX_CHARS), "_mx_lsig0", n_bins=N_BINS
        )
        engine.execute(
            """CREATE OR REPLACE TEMP TABLE _mx_lsig AS
            SELECT s.*, t.family FROM _mx_lsig0 AS s JOIN _mx_ltexts AS t USING (entity)"""
        )

    def features_sql(self, ctx: FacetContext) -> str:
        if ctx.mode == "match":
            return f"""SELECT DISTINCT p.acct, p.post_id AS unit, 'family ' || f.family AS feature
                FROM _mx_posts AS p JOIN _mx_tfam AS f ON f.entity = hash(p.text_words)
                WHERE {_OWN_TEXT}"""
        return """SELECT DISTINCT p.acct, p.post_id AS unit, 'family ' || f.family AS feature
            FROM _mx_posts AS p
            JOIN _mx_texts AS x ON x.text_norm = p.text_words
            JOIN _mx_tfam AS f ON f.entity = x.entity
            WHERE NOT p.is_repost"""

    def store(self, ctx: FacetContext) -> None:
        engine = ctx.engine
        engine.execute(
            f"""INSERT INTO {ctx.library}.network_texts
            SELECT ? AS network, x.entity, f.family, x.text_norm AS text, s.n,
                   {", ".join(f"s.m{b}" for b in range(N_BINS))}
            FROM _mx_texts AS x JOIN _mx_tfam AS f USING (entity)
            JOIN _mx_tsig AS s USING (entity)""",
            [ctx.network],
        )


register(TextFamilies())

_post_set_facet(
    "url",
    "links",
    "Links",
    "The exact (normalised) URLs the network posted.",
    "urls",
)
_post_set_facet(
    "domain",
    "links",
    "Domains",
    "The domains the network linked (a new operation keeps its sites and changes its URLs).",
    "domains",
)
_post_set_facet(
    "hashtag",
    "tags",
    "Hashtags",
    "The hashtags the network used, case-folded.",
    "list_transform(hashtags, lambda h: lower(h))",
)
_post_set_facet(
    "media",
    "media",
    "Media",
    "The hashes of the images and videos the network posted.",
    "list_transform(media, lambda m: m.hash)",
)
_post_set_facet(
    "target",
    "targets",
    "Targets",
    "The accounts the network mentioned, replied to or reposted (the dissidents it attacks, "
    "the personas it amplifies).",
    """list_concat(list_transform(mentions, lambda m: 'mention ' || lower(ltrim(m, '@'))),
                   [CASE WHEN reply_to_account IS NOT NULL THEN 'reply ' || reply_to_account END,
                    CASE WHEN repost_of_account IS NOT NULL
                         THEN 'repost ' || repost_of_account END])""",
)
_account_facet(
    "handle_formula",
    "persona",
    "Handle formula",
    "The shape of the handle: capitals as A, letter runs as a, each digit as 9 "
    "(ZoeRich28859010 is AaAa99999999): an operator's account factory keeps its formula "
    "when the names change.",
    r"""regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            handle, '[A-Z]', 'A', 'g'), '[a-z]+', 'a', 'g'), '[0-9]', '9', 'g'),
            '[^Aa9]', '_', 'g')""",
    min_members=2,  # a formula only one member has is that account's, not the factory's
)
_account_facet(
    "first_name",
    "persona",
    "Display-name first names",
    "The first and last words of the display names (the name lists an operator draws from).",
    r"""CASE WHEN len(string_split(trim(lower(display_name)), ' ')) BETWEEN 2 AND 4
             THEN 'first ' || string_split(trim(lower(display_name)), ' ')[1] END""",
    min_members=2,
)
_account_facet(
    "surname",
    "persona",
    "Display-name surnames",
    "The last word of two- to four-word display names.",
    r"""CASE WHEN len(string_split(trim(lower(display_name)), ' ')) BETWEEN 2 AND 4
             THEN 'last ' || string_split(trim(lower(display_name)), ' ')[-1] END""",
    min_members=2,
)
_account_facet(
    "creation_week",
    "creation",
    "Creation batch",
    "The ISO week the account was created (accounts bought or registered in one batch).",
    "strftime(created_at, '%G-W%V')",
)
_account_facet(
    "platform",
    "context",
    "Platform",
    "The platform of the account.",
    "platform",
)
_post_set_facet(
    "client",
    "context",
    "Client apps",
    "The apps the network posted from.",
    "[client]",
)
_post_set_facet(
    "language",
    "context",
    "Languages",
    "The languages of the network's posts.",
    "[language]",
)


class PostingHour(SqlFacet):
    """When the network posts: the hour of day in UTC, for and against."""

    name = "schedule"
    family = "schedule"
    title = "Posting schedule"
    description = (
        "The hour of day (UTC) of each post against the network's own distribution: an office "
        "in Beijing posts 01-10 UTC with a lunch break, whatever names its accounts wear. "
        "Every post counts, for or against. Kept only when the network's posts cover at least a "
        "week of days."
    )
    levels = 24
    unit_name = "posts"
    min_days = 7
    sql = """SELECT acct, post_id AS unit,
                    printf('hour %02d', (CAST(floor(epoch(t) / 3600) AS BIGINT) % 24 + 24) % 24)
                        AS feature
             FROM _mx_posts WHERE t IS NOT NULL"""


register(PostingHour())
