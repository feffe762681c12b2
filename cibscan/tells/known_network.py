"""Known networks: the account matches a network an analyst confirmed before.

``cibscan match`` (or ``cibscan detect --library LIB``, which runs it first) scores every
account against a library of confirmed networks (:mod:`cibscan.match.scoring`) into the
case's ``matches`` table. This tell turns the matched rows into evidence for the combination
rule: a member account seen again (same id or handle) gets the strength ``identity``
(default 10, the cap of one tell); an account matched on its habits gets its match score
``S``, which is already on the ``-log10`` scale (a log-likelihood ratio of the network
against the case; docs/matching.md). The tell adds evidence; it does not flag by itself: an
account matched but with no coordination tie in this case is flagged only if its tells sum
to ``tell_alone``, and ``matches.csv`` lists every match for the analyst either way.
The tell counts only the matches of the run's own library (``detect --library``, which
matches first): a ``matches`` table left by an earlier ``cibscan match`` (perhaps against
another library, or before a later ingest) is not evidence, so detect without a library
stays detection from scratch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cibscan.engine.base import real
from cibscan.score.base import score_sql
from cibscan.signals.base import Param
from cibscan.tells.base import Tell, TellContext, register

log = logging.getLogger(__name__)


class KnownNetwork(Tell):
    name = "known_network"
    title = "Matches a known network"
    description = (
        "The account matched a network of the analyst's library (cibscan match): as a member "
        "seen again, or by its texts, links, targets, persona formula and schedule."
    )
    reads = ()
    params = (
        Param(
            "identity",
            "float",
            10.0,
            "Strength of a member account of a known network seen again.",
            minimum=0,
        ),
    )

    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        if ctx.library is None or not engine.table_exists("matches"):
            return  # only this run's own match counts, never a table left from another
        strength = f"CASE WHEN m.identity THEN {real(params['identity'])} ELSE m.score END"
        detail = engine.printf(
            "matches known network %s (similarity %.2f): %s",
            *("m.network", "m.similarity", "left(m.facets, 240)"),
        )
        # of two networks matched equally strongly, the detail that sorts last
        engine.execute(
            f"""INSERT INTO {ctx.table} BY NAME
            SELECT i.acct, '{self.name}' AS tell, max({strength}) AS strength,
                   {score_sql(f"max({strength})")} AS score,
                   max_by({detail}, ({strength}, {detail})) AS detail
            FROM matches AS m
            JOIN account_index AS i USING (platform, account_id)
            WHERE m.matched GROUP BY i.acct"""
        )


register(KnownNetwork())
