"""Synchronised activity: accounts active in the same fine time bins, sharing no content."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.engine.base import Dialect
from cibscan.engine.duckdb_engine import DuckDBDialect
from cibscan.signals.base import Param, SignalContext, register
from cibscan.signals.coaction import CoActionSignal
from cibscan.signals.similarity import minhash_similar_pairs

log = logging.getLogger(__name__)


class SyncActivity(CoActionSignal):
    name = "sync_activity"
    title = "Synchronised activity"
    description = (
        "The two accounts were active in many of the same fine time bins (say, the same "
        "minutes), more than their activity levels and the bins' crowding predict. Shift "
        "workers who share no content still post together. Candidate pairs come from MinHash "
        "LSH over each account's set of active bins (no all-pairs comparison); each candidate "
        "is then counted exactly and tested against the null model, in which busy bins (prime "
        "time, a live TV debate) are expected to be shared."
    )
    scratch_tables = ("_sy_bins", "_sy_sim", "_sy_cand")
    reads = ("post_id",)
    params: ClassVar[tuple[Param, ...]] = (
        Param("bin", "duration", 60.0, "Width of a time bin."),
        Param("min_bins", "int", 10, "Fewest active bins an account needs.", minimum=2),
        Param(
            "max_bins",
            "int",
            2000,
            "Accounts active in more bins are left out: activity around the clock carries no "
            "timing signal, and comparing it costs the most.",
            minimum=2,
        ),
        Param(
            "threshold",
            "float",
            0.25,
            "Smallest Jaccard similarity of two accounts' active-bin sets.",
            minimum=0.01,
            maximum=1,
        ),
        Param(
            "max_bucket",
            "int",
            2000,
            "LSH buckets with more accounts than this are skipped.",
            minimum=2,
        ),
    )

    def prepare(self, ctx: SignalContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        width = params["bin"] or 60.0
        # One pass: each account's active bins, with how many it has (for the bounds).
        engine.create_scratch(
            "_sy_bins",
            f"""SELECT acct, bin, t, post_id FROM (
                SELECT acct, bin, min(t) AS t, min(post_id) AS post_id,
                       count(*) OVER (PARTITION BY acct) AS n_bins
                FROM (SELECT acct, CAST(floor(t / {width!r}) AS BIGINT) AS bin, t, post_id
                      FROM cib_posts) AS p
                GROUP BY acct, bin) AS b
            WHERE n_bins BETWEEN {int(params["min_bins"])} AND {int(params["max_bins"])}""",
        )
        # stable token hashes: the candidates are the same on every engine
        n = minhash_similar_pairs(
            engine,
            "SELECT acct AS entity, CAST(bin AS STRING) AS token FROM _sy_bins",
            "_sy_sim",
            threshold=float(params["threshold"]),
            max_bucket=int(params["max_bucket"]),
            stable=True,
        )
        engine.create_scratch("_sy_cand", "SELECT e1 AS a, e2 AS b FROM _sy_sim")
        log.info("sync_activity: %d candidate pairs", n)

    def candidates_table(self, ctx: SignalContext, params: Mapping[str, Any]) -> str | None:
        return "_sy_cand"

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return self.actions(DuckDBDialect(), params)

    def actions(self, dialect: Dialect, params: Mapping[str, Any]) -> str:
        width = params["bin"] or 60.0
        # the object reads as the bin's start time, e.g. "2024-03-04 01:00:00+00" (whole
        # seconds: a bin width in fractions of a second shows its start rounded down)
        start = dialect.format_epoch(f"CAST(floor(bin * {width!r}) AS BIGINT)")
        return f"SELECT acct, {start} AS obj, t, post_id FROM _sy_bins"


register(SyncActivity())
