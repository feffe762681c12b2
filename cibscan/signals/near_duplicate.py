"""Near-duplicate text: copypasta with small edits, found by MinHash LSH over character shingles."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.detect.inputs import is_repost_sql
from cibscan.signals.base import Param, SignalContext, register
from cibscan.signals.coaction import (
    CoActionSignal,
    lockstep_param,
    max_accounts_param,
    window_param,
)
from cibscan.signals.similarity import (
    EntityBatches,
    batch_size,
    char_shingles_sql,
    families,
    minhash_similar_pairs,
)

log = logging.getLogger(__name__)


class NearDuplicate(CoActionSignal):
    name = "near_duplicate"
    title = "Near-duplicate text"
    description = (
        "Both accounts posted texts of the same family: texts whose character-shingle Jaccard "
        "similarity reaches the threshold, joined transitively (A~B~C is one family). "
        "Character shingles, not words, so Chinese, Russian and mixed scripts work. Found by "
        "MinHash LSH inside the engine, never by comparing all pairs of texts."
    )
    scratch_tables = ("_nd_texts", "_nd_sim", "_nd_fam")
    reads = ("post_id", "kind", "repost_of_post", "text_words")
    params: ClassVar[tuple[Param, ...]] = (
        window_param(None, "Largest gap between the two posts ('case' = any time)."),
        max_accounts_param(200),
        Param("threshold", "float", 0.6, "Smallest Jaccard similarity.", minimum=0.05, maximum=1),
        Param("shingle", "int", 4, "Characters per shingle.", minimum=1, maximum=20),
        Param("min_chars", "int", 30, "Shortest normalised text compared.", minimum=1),
        Param(
            "max_chars",
            "int",
            2000,
            "Longest prefix of a text that is shingled (cost grows with text length; a "
            "megabyte-long post is compared on its first max_chars characters).",
            minimum=10,
        ),
        Param("bins", "int", 16, "MinHash bins (one-permutation hashing).", minimum=4),
        lockstep_param(
            3600.0,
            "Largest mean gap between the two accounts' copies at which their ties are "
            "lockstep (an operator pasting the same text on its accounts within the hour); "
            "copies days apart are what templates, petitions and memes spread by people do, "
            "and count like a shared target.",
        ),
        Param("rows_per_band", "int", 2, "Bins per LSH band.", minimum=1),
        Param(
            "batch_texts",
            "int",
            0,
            "Texts whose MinHash signatures are computed together (0: as many as a quarter "
            "of the memory limit holds); the signatures are the same for any batch size.",
            minimum=0,
        ),
    )

    def prepare(self, ctx: SignalContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        # texts numbered by their text, so both engines number them alike
        engine.create_numbered(
            "_nd_texts",
            f"""SELECT DISTINCT text_words AS text_norm FROM cib_posts
            WHERE NOT {is_repost_sql()} AND length(text_words) >= {int(params["min_chars"])}""",
            ["text_norm"],
        )
        k, max_chars = int(params["shingle"]), int(params["max_chars"])

        def tokens(lo: int, hi: int) -> str:
            texts = f"""(SELECT entity, text_norm FROM _nd_texts
                         WHERE entity BETWEEN {int(lo)} AND {int(hi)}) AS nt"""
            return char_shingles_sql(texts, k, max_chars, engine)

        count = int(engine.fetchall("SELECT count(*) FROM _nd_texts")[0][0])
        size = batch_size(engine, count, int(params["batch_texts"]))
        log.info("near_duplicate: %d texts, signed in batches of %d", count, size)
        n = minhash_similar_pairs(
            engine,
            EntityBatches(tokens, count, size),
            "_nd_sim",
            threshold=float(params["threshold"]),
            n_bins=int(params["bins"]),
            rows_per_band=int(params["rows_per_band"]),
            stable=True,
            star=True,
        )
        log.info("near_duplicate: %d similar text pairs", n)
        families(engine, "_nd_texts", "_nd_sim", "_nd_fam")

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return f"""SELECT p.acct, r.text_norm AS obj, p.t, p.post_id
            FROM cib_posts AS p
            JOIN _nd_texts AS x ON x.text_norm = p.text_words
            JOIN _nd_fam AS f ON f.entity = x.entity
            JOIN _nd_texts AS r ON r.entity = f.family
            WHERE NOT {is_repost_sql("p")}"""


register(NearDuplicate())
