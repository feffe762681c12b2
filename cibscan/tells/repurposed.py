"""Repurposed accounts: long dormancy, then a comeback in another language, topic or name.

Spamouflage buys or hijacks old accounts (many from Bangladesh) and long-dormant channels,
then reactivates them to post its political content (Graphika 2019-2024; Meta Q2 2023 on
repurposed Pages; Google TAG on DRAGONBRIDGE's bought YouTube channels). The trace in the
data is an account whose posts stop for a long time and resume *different*.

Per account with at least ``min_before`` + ``min_after`` timed posts: the longest gap between
consecutive posts; when it lasts at least ``min_gap`` with at least ``min_before`` posts
before and ``min_after`` after it, the two sides are compared:

- *language*: the total variation distance between the two sides' distributions of the
  writing script (Han, Cyrillic, Bengali, Arabic, Latin ..., counted by RE2 Unicode classes
  over the text) and, where both sides have it, of the platform-declared language; a shift
  is a distance of at least ``min_shift``. A bilingual person who always mixes two
  languages has the same mix on both sides;
- *topic*: the overlap of the two sides' vocabularies (words of four letters or more,
  hashtags, link domains) relative to the smaller one; a shift is an overlap under
  ``1 - min_shift``;
- *name*: a handle or display name first seen between the gap's start and ``name_window``
  after the comeback, other than the account's first name (``account_names``).

An account is *reactivated-changed* on a language shift, or on both a topic shift and a
name change (people do come back with new interests, or rename themselves). Units are
accounts, calibrated on the case like :mod:`cibscan.tells.creation_burst`: per cluster with
an eligible member, ``k`` of its ``n`` eligible members are reactivated-changed where the
other eligible accounts give a rate ``p`` (smoothed ``(x + 0.5) / (N + 1)``); the Poisson
tail ``P(X >= k | n p)`` is corrected by the clusters tested and those members get strength
``-log10 q``. A sports fan whose account slept for years and came back about the same team
in the same language shows no shift; a lone hijacked account is in no cluster and gets no
row (documented limit: dormancy since creation without earlier posts is not compared).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cibscan.detect.statistics import register_poisson_tail, strength_sql
from cibscan.engine.base import Dialect, real
from cibscan.score.base import score_sql
from cibscan.signals.base import Param
from cibscan.tells.base import Tell, TellContext, register

log = logging.getLogger(__name__)

#: writing scripts told apart by RE2 Unicode classes (the first of equal counts wins)
SCRIPTS: tuple[tuple[str, str], ...] = (
    ("han", r"\p{Han}"),
    ("kana", r"\p{Hiragana}\p{Katakana}"),
    ("hangul", r"\p{Hangul}"),
    ("cyrillic", r"\p{Cyrillic}"),
    ("arabic", r"\p{Arabic}"),
    ("hebrew", r"\p{Hebrew}"),
    ("greek", r"\p{Greek}"),
    ("devanagari", r"\p{Devanagari}"),
    ("bengali", r"\p{Bengali}"),
    ("thai", r"\p{Thai}"),
    ("latin", r"\p{Latin}"),
)
#: declared language codes that name no language
_NO_LANGUAGE = ("und", "zxx", "qam", "qct", "qht", "qme", "qst", "art")
#: frequent words of four letters or more that say nothing about a topic
_STOPWORDS_TEXT = (
    "that this with have from they will what your about just been were there their would "
    "when more some like only also than then them very into over after before here being "
    "because could should these those which while where does doing done dass eine einen "
    "nicht oder sich sind wird auch"
)
_STOPWORDS = tuple(_STOPWORDS_TEXT.split())


def script_sql(dialect: Dialect, text: str) -> str:
    """SQL for the dominant writing script of ``text`` (NULL when it has no letters)."""
    counts = [f"length({dialect.regexp_replace_all(text, f'[^{cls}]', '')})" for _, cls in SCRIPTS]
    top = f"greatest({', '.join(counts)})"
    whens = " ".join(
        f"WHEN {c} = {top} THEN '{name}'" for (name, _), c in zip(SCRIPTS, counts, strict=True)
    )
    return f"CASE WHEN {text} IS NULL OR {top} = 0 THEN NULL {whens} END"


class Repurposed(Tell):
    name = "repurposed"
    title = "Accounts reactivated after long dormancy, changed"
    description = (
        "Members of a cluster came back after a long silence in another language or script "
        "(or with a new topic and a new name), unlike the case's other accounts (Poisson "
        "test over accounts, corrected by the number of clusters)."
    )
    reads = ("platform", "post_id", "text_norm", "hashtags", "domains")
    params = (
        Param("min_gap", "duration", 365 * 86400.0, "Shortest dormancy between two posts.", 1),
        Param("min_before", "int", 2, "Fewest posts before the dormancy.", 1),
        Param("min_after", "int", 2, "Fewest posts after the dormancy.", 1),
        Param(
            "min_shift",
            "float",
            0.5,
            "Smallest language distance (total variation) or topic change that is a shift.",
            minimum=0.01,
            maximum=1,
        ),
        Param(
            "name_window",
            "duration",
            90 * 86400.0,
            "How soon after a comeback a new name counts.",
            0,
        ),
    )

    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        register_poisson_tail(engine)
        self._candidates(ctx, params)
        self._compare(ctx, params)
        self._test_clusters(ctx, params)
        for table in ("_rp_gaps", "_rp_posts", "_rp_changes", "_rp_tests"):
            engine.drop_table(table)

    def _candidates(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        """Every eligible account's longest gap, and the posts of those with a long one."""
        engine = ctx.engine
        min_before, min_after = int(params["min_before"]), int(params["min_after"])
        # of two equally long gaps, the comeback is the later one
        engine.create_scratch(
            "_rp_gaps",
            f"""WITH ordered AS (
                SELECT acct, t, t - lag(t) OVER (PARTITION BY acct ORDER BY t) AS gap
                FROM cib_posts WHERE t IS NOT NULL)
            SELECT acct, count(*) AS n, max(gap) AS gap,
                   max_by(t, (gap, t)) FILTER (WHERE gap IS NOT NULL) AS back
            FROM ordered GROUP BY acct HAVING count(*) >= {min_before + min_after}""",
        )
        no_language = ", ".join(f"'{c}'" for c in _NO_LANGUAGE)
        engine.create_scratch(
            "_rp_posts",
            f"""WITH long AS (
                SELECT g.acct, g.back, g.gap FROM _rp_gaps AS g
                WHERE g.gap >= {float(params["min_gap"])}),
            sided AS (
                SELECT l.acct, l.back, l.gap, p.t < l.back AS before, p.platform, p.post_id,
                       p.text_norm, p.hashtags, p.domains,
                       sum(CASE WHEN p.t < l.back THEN 1 ELSE 0 END)
                           OVER (PARTITION BY l.acct) AS nb,
                       sum(CASE WHEN p.t >= l.back THEN 1 ELSE 0 END)
                           OVER (PARTITION BY l.acct) AS na
                FROM cib_posts AS p JOIN long AS l USING (acct))
            SELECT s.acct, s.back, s.gap, s.before, s.text_norm, s.hashtags, s.domains,
                   {script_sql(engine, "q.text")} AS script,
                   CASE WHEN lower(split_part(q.language, '-', 1)) NOT IN ({no_language})
                        THEN nullif(lower(split_part(q.language, '-', 1)), '') END AS lang
            FROM sided AS s
            LEFT JOIN posts AS q ON q.platform = s.platform AND q.post_id = s.post_id
            WHERE s.nb >= {min_before} AND s.na >= {min_after}""",
        )

    def _compare(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        """Language, topic and name changes across each candidate's gap."""
        shift = float(params["min_shift"])
        stop = ", ".join(f"'{w}'" for w in _STOPWORDS)
        engine = ctx.engine
        words = engine.explode(engine.regexp_split("text_norm", r"[^\p{L}\p{M}\p{N}_]+"))
        # of labels with equal shares, the last in text order (ties broken by the label)
        engine.create_scratch(
            "_rp_changes",
            f"""WITH labelled AS (
                SELECT acct, before, 'script' AS kind, script AS label FROM _rp_posts
                WHERE script IS NOT NULL
                UNION ALL
                SELECT acct, before, 'language', lang FROM _rp_posts WHERE lang IS NOT NULL),
            shares AS (
                SELECT acct, kind, before, label,
                       count(*) / sum(count(*)) OVER (PARTITION BY acct, kind, before) AS share
                FROM labelled GROUP BY acct, kind, before, label),
            sides AS (
                SELECT acct, kind, label,
                       coalesce(max(share) FILTER (WHERE before), 0) AS b,
                       coalesce(max(share) FILTER (WHERE NOT before), 0) AS a
                FROM shares GROUP BY acct, kind, label),
            distance AS (
                SELECT acct, kind, 0.5 * sum(abs(b - a)) AS tv,
                       max_by(label, (b, label)) AS was, max_by(label, (a, label)) AS now
                FROM sides GROUP BY acct, kind HAVING max(b) > 0 AND max(a) > 0),
            language AS (
                SELECT acct, max(tv) AS tv, max_by(was, (rank, kind)) AS was,
                       max_by(now, (rank, kind)) AS now
                FROM (SELECT *, tv + 1e-9 * CAST(kind = 'language' AS DOUBLE) AS rank
                      FROM distance) AS d GROUP BY acct),
            pieces AS (
                SELECT acct, before, '' AS mark, {words} AS piece FROM _rp_posts
                UNION ALL
                SELECT acct, before, '#', {engine.explode("hashtags")} FROM _rp_posts
                UNION ALL
                SELECT acct, before, '@', {engine.explode("domains")} FROM _rp_posts),
            tokens AS (SELECT acct, before, mark || piece AS tok FROM pieces),
            vocab AS (
                SELECT acct, tok, bool_or(before) AS b, bool_or(NOT before) AS a FROM tokens
                WHERE length(tok) >= 4 AND tok NOT IN ({stop}) GROUP BY acct, tok),
            topic AS (
                SELECT acct, count(*) FILTER (WHERE a AND b)
                           / greatest(least(count(*) FILTER (WHERE b),
                                            count(*) FILTER (WHERE a)), 1) AS overlap,
                       least(count(*) FILTER (WHERE b), count(*) FILTER (WHERE a)) AS smaller
                FROM vocab GROUP BY acct),
            cands AS (SELECT acct, any_value(back) AS back, any_value(gap) AS gap,
                             count(*) FILTER (WHERE before) AS nb,
                             count(*) FILTER (WHERE NOT before) AS na
                      FROM _rp_posts GROUP BY acct),
            names AS (
                SELECT i.acct, {engine.epoch("n.first_seen")} AS seen,
                       min({engine.epoch("n.first_seen")}) OVER (PARTITION BY i.acct) AS first
                FROM account_names AS n JOIN account_index AS i USING (platform, account_id)
                WHERE i.acct IN (SELECT acct FROM cands) AND n.first_seen IS NOT NULL),
            renamed AS (
                SELECT c.acct FROM cands AS c JOIN names AS n USING (acct)
                WHERE n.seen > n.first AND n.seen >= c.back - c.gap
                  AND n.seen <= c.back + {float(params["name_window"])}
                GROUP BY c.acct)
            SELECT c.*, l.tv, l.was, l.now, t.overlap,
                   coalesce(l.tv >= {shift}, false) AS language_shift,
                   coalesce(t.smaller >= 3 AND t.overlap <= 1 - {shift}, false) AS topic_shift,
                   r.acct IS NOT NULL AS renamed
            FROM cands AS c LEFT JOIN language AS l USING (acct)
            LEFT JOIN topic AS t USING (acct) LEFT JOIN renamed AS r USING (acct)""",
        )

    def _test_clusters(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        engine.create_scratch(
            "_rp_tests",
            f"""WITH marked AS (
                SELECT g.acct, coalesce(c.language_shift OR (c.topic_shift AND c.renamed),
                                        false) AS hit
                FROM _rp_gaps AS g LEFT JOIN _rp_changes AS c USING (acct)),
            clustered AS (
                SELECT k.cluster_id, count(*) AS n, count(*) FILTER (WHERE m.hit) AS k
                FROM marked AS m JOIN account_clusters AS k USING (acct) GROUP BY k.cluster_id),
            total AS (SELECT count(*) AS n, count(*) FILTER (WHERE hit) AS k FROM marked)
            SELECT c.cluster_id, c.n, c.k, (t.k - c.k + {real(0.5)}) / (t.n - c.n + 1) AS rate
            FROM clustered AS c CROSS JOIN total AS t""",
        )
        (m,) = engine.fetchall("SELECT count(*) FROM _rp_tests")[0]
        strength = strength_sql("cib_poisson_tail(b.k, b.n * b.rate)", max(int(m), 1))
        # DuckDB's // divides doubles exactly and its cast rounds: whole days, rounded
        days = engine.printf("%d days", engine.round_to_int64("c.gap / 86400"))
        language = engine.printf("language %s -> %s", "left(c.was, 16)", "left(c.now, 16)")
        topic = engine.printf("topic (%.0f%% shared words)", "100 * c.overlap")
        changes = f"""concat_ws(', ', CASE WHEN c.language_shift THEN {language} END,
                                CASE WHEN c.topic_shift THEN {topic} END,
                                CASE WHEN c.renamed THEN 'new name' END)"""
        detail = engine.printf(
            "silent for %s until %s, then changed: %s; %d of %d eligible cluster members came "
            "back changed, against a rate of %.1f%% among the case's other eligible accounts",
            *(days, engine.format_epoch_date("c.back"), changes, "b.k", "b.n", "100 * b.rate"),
        )
        engine.execute(
            f"""INSERT INTO {ctx.table} BY NAME
            WITH tested AS (SELECT b.*, {strength} AS strength FROM _rp_tests AS b WHERE b.k > 0)
            SELECT c.acct, '{self.name}' AS tell, b.strength, {score_sql("b.strength")} AS score,
                   {detail} AS detail
            FROM tested AS b
            JOIN account_clusters AS k ON k.cluster_id = b.cluster_id
            JOIN _rp_changes AS c ON c.acct = k.acct
            WHERE (c.language_shift OR (c.topic_shift AND c.renamed)) AND b.strength > 0"""
        )
        log.info("repurposed: %d clusters tested", m)


register(Repurposed())
