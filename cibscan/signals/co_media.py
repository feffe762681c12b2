"""Co-media: two accounts post the same image or video (exact or perceptual hash)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.detect.inputs import is_repost_sql
from cibscan.engine.base import Dialect
from cibscan.engine.duckdb_engine import DuckDBDialect
from cibscan.signals.base import Param, SignalContext, register
from cibscan.signals.coaction import CoActionSignal, max_accounts_param, window_param
from cibscan.signals.similarity import families, hamming_neighbour_pairs

# Media hashes as ingested: exact content hashes (any string) or 64-bit perceptual hashes
# written as 16 hex digits (pHash, dHash), optionally after a short letter prefix such as
# "p" or "phash:", which may be compared by Hamming distance.
_PHASH = "[a-zA-Z]{0,8}:?[0-9a-fA-F]{16}"
_HEX64 = "substr(h, length(h) - 15, 16)"


class CoMedia(CoActionSignal):
    name = "co_media"
    title = "Co-media"
    description = (
        "Both accounts posted the same media item within the window, by its hash. With "
        "max_hamming > 0, 64-bit perceptual hashes (16 hex digits) within that many bits also "
        "match, so a re-encoded or slightly cropped image is still the same item."
    )
    scratch_tables = ("_cm_hashes", "_cm_near", "_cm_fam")
    several_objects = True
    reads = ("post_id", "kind", "repost_of_post", "media")
    params: ClassVar[tuple[Param, ...]] = (
        window_param(3600.0),
        max_accounts_param(500),
        Param(
            "max_hamming",
            "int",
            0,
            "Largest Hamming distance between 64-bit perceptual hashes (0 = exact).",
            minimum=0,
            maximum=16,
        ),
    )

    def _media_sql(self, dialect: Dialect) -> str:
        return f"""SELECT acct, t, post_id, m.hash AS h
            FROM (SELECT acct, t, post_id, {dialect.explode("media")} AS m FROM cib_posts
                  WHERE NOT {is_repost_sql()}) AS u
            WHERE m.hash IS NOT NULL AND m.hash <> ''"""

    def prepare(self, ctx: SignalContext, params: Mapping[str, Any]) -> None:
        if not params["max_hamming"]:
            return
        engine = ctx.engine
        # entities numbered by the hash text, so both engines number them alike; the bits
        # as a signed BIGINT (Spark has no UBIGINT)
        engine.create_numbered(
            "_cm_hashes",
            f"""SELECT h, {engine.hex_to_int64(_HEX64)} AS bits
            FROM (SELECT DISTINCT h FROM ({self._media_sql(engine)}) AS m
                  WHERE {engine.regexp_full_match("h", _PHASH)}) AS d""",
            ["h"],
        )
        hamming_neighbour_pairs(
            engine,
            "SELECT entity, bits AS h FROM _cm_hashes",
            "_cm_near",
            max_distance=int(params["max_hamming"]),
        )
        families(engine, "_cm_hashes", "_cm_near", "_cm_fam")

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return self.actions(DuckDBDialect(), params)

    def actions(self, dialect: Dialect, params: Mapping[str, Any]) -> str:
        media = self._media_sql(dialect)
        if not params["max_hamming"]:
            return f"SELECT acct, h AS obj, t, post_id FROM ({media}) AS m"
        return f"""SELECT m.acct, coalesce(r.h, m.h) AS obj, m.t, m.post_id
            FROM ({media}) AS m
            LEFT JOIN _cm_hashes AS x ON x.h = m.h
            LEFT JOIN _cm_fam AS f ON f.entity = x.entity
            LEFT JOIN _cm_hashes AS r ON r.entity = f.family"""


register(CoMedia())
