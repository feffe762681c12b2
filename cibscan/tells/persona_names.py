"""Persona names: formulaic handles and display names, weak alone and strong in a cluster.

Spamouflage's X accounts had handles made of a Western first name and surname followed by
eight digits, such as ``ZoeRich28859010`` or ``KarenMa85962925`` (Meta, Q2 2023 adversarial
threat report and its indicators; X fills a new account's handle with the start of its display
name and a run of digits). Operators who create accounts in bulk also leave sequential handles
(``news_1``, ``news_2``...), one handle formula for the whole batch, display names that do not
match the handle, and one display name reused by several accounts (Meta and Graphika on
Spamouflage; Twitter's 2020 disclosure).

Each account's handle is split in SQL into ``[letters][digits]`` and the letters matched
against the shipped name list (:mod:`cibscan.tells.names`, Faker's MIT-licensed first names
and surnames): first name + surname (either order), first name + start of a surname or a
first name alone when 6+ digits follow (an X default handle). The *features* of an account:

- ``name_digits``: a Western name and 6+ digits; ``digit_run``: 6+ digits otherwise;
  ``name_few_digits``: first name + surname + 1-5 digits; ``name_only``: first name + surname;
  ``mismatch``: the display name is a Western first name + surname and the handle contains
  neither (cluster test only: organic people use nicknames);
- ``shape`` (the handle with capitals as ``A``, letter runs as ``a``, digits as ``9``),
  ``stem`` (the handle before its trailing number) and ``display_name``: values shared by
  members of one cluster (a formula, a sequence, a reused name); tested per cluster only.

Null model, per cluster with ``n`` members carrying a handle (or a display name) and each
feature value that ``k >= min_members`` of them share: chance expects ``n p`` where ``p`` is
the value's share among the case's *other* accounts (add-one smoothed, so a value no one else
has is tested against ``1 / (N + 1)``); the Poisson tail ``P(X >= k)`` is corrected by the
number of (cluster, feature, value) tests. Members carrying the value get ``-log10 q``.

Alone, an account with one of the first four handle features is weak evidence: its strength
is ``min(0.5, -log10 s)`` where ``s`` is the feature's share in the case (score at most 0.2),
so an organic ``john_smith84`` or an X default handle never looks like a campaign on its own.
Organic look-alikes kept quiet: two unrelated "John Smith" accounts outside any cluster (the
display-name test is per cluster), ``jsmith1984`` (an initial is no name), brand handles.
Accounts whose identity the source replaced by a hash (``hashed_identity``) are left out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cibscan.detect.statistics import register_poisson_tail, strength_sql
from cibscan.engine import Engine
from cibscan.score.base import score_sql
from cibscan.signals.base import Param
from cibscan.tells.base import Tell, TellContext, register
from cibscan.tells.names import (
    FIRST_TABLE,
    LAST_PREFIX_TABLE,
    LAST_TABLE,
    cut_points,
    drop_name_tables,
    full_name_splits_sql,
    load_name_tables,
)

log = logging.getLogger(__name__)

#: the largest strength one account gets from its own handle (score 0.2)
ACCOUNT_CAP = 0.5
#: digits X appends to a default handle (8; 6 or more counted)
DEFAULT_DIGITS = 6
#: what each feature says in a detail sentence
FEATURE_TEXT = {
    "name_digits": "handles of a Western name and 6+ digits",
    "digit_run": "handles ending in 6+ digits",
    "name_few_digits": "handles of a first name, a surname and 1-5 digits",
    "name_only": "handles of a first name and a surname",
    "mismatch": "a Western display name that their handle does not contain",
}
#: which feature a detail names when several are equally strong (the most specific first)
RANKED = (
    "name_digits",
    "stem",
    "display_name",
    "digit_run",
    "name_few_digits",
    "name_only",
    "mismatch",
    "shape",
)
#: features scored on one account alone (weakly)
ACCOUNT_FEATURES = ("name_digits", "digit_run", "name_few_digits")
_TEMP = ("_pn_acc", "_pn_split", "_pn_feat", "_pn_tests", "_pn_rows")


def _cap(expr: str) -> str:
    """SQL: first letter upper-case (names are stored folded)."""
    return f"(upper(left({expr}, 1)) || substr({expr}, 2))"


def build_features(engine: Engine) -> None:
    """Write ``_pn_acc`` (parsed handles and display names) and ``_pn_feat`` (one row per
    account, feature and value, with the account's evidence); the name tables stay loaded."""
    load_name_tables(engine)
    _parse(engine)
    _features(engine)


def _parse(engine: Engine) -> None:
    """Per account: the handle split into letters and trailing digits, its shape, the
    normalised display name, and the best split of the letters into names."""
    hashed = engine.list_contains("a.flags", "'hashed_identity'")
    spaced = engine.regexp_replace_all(engine.strip_accents("lower(display_name)"), r"\s+", " ")
    lower_handle = "lower(handle)"
    shape = "handle"
    for pattern, letter in (("[A-Z]", "A"), ("[a-z]+", "a"), ("[0-9]", "9"), ("[^Aa9]", "_")):
        shape = engine.regexp_replace_all(shape, pattern, letter)
    words = engine.string_split("dname", " ")
    letters = engine.regexp_extract(lower_handle, "^([a-z._]+?)[0-9]*$", 1)
    stem = engine.regexp_extract(lower_handle, "^(.*?[^0-9])[0-9]+$", 1)
    engine.create_scratch(
        "_pn_acc",
        f"""WITH a AS (
            SELECT i.acct, any_value(a.handle) AS handle,
                   any_value(a.display_name) AS display_name
            FROM account_index AS i JOIN accounts AS a USING (platform, account_id)
            WHERE NOT coalesce({hashed}, false)
            GROUP BY i.acct),
        cleaned AS (
            SELECT acct, nullif(trim(handle), '') AS handle,
                   nullif(trim({spaced}), '') AS dname, display_name
            FROM a)
        SELECT acct, handle, display_name, dname,
               replace(replace({letters}, '_', ''), '.', '') AS letters,
               {engine.regexp_extract("handle", "([0-9]*)$", 1)} AS digits,
               {shape} AS shape,
               nullif({stem}, '') AS stem,
               {engine.regexp_replace_all(lower_handle, "[^a-z0-9]", "")} AS flat,
               CASE WHEN {engine.list_length(words)} BETWEEN 2 AND 3
                    THEN {engine.list_get(words, 1)} END AS d_first,
               CASE WHEN {engine.list_length(words)} BETWEEN 2 AND 3
                    THEN {engine.list_get(words, -1)} END AS d_last
        FROM cleaned""",
    )
    engine.create_scratch(
        "_pn_split",
        f"""WITH splits AS (
            SELECT acct, digits, substr(letters, 1, i) AS a, substr(letters, i + 1) AS b
            FROM _pn_acc CROSS JOIN ({cut_points(engine, 2, 40)}) AS r
            WHERE letters <> '' AND i < length(letters)),
        matched AS (
            SELECT key AS acct, pri, a, b
            FROM ({full_name_splits_sql(engine, "_pn_acc", "acct", "letters", 2, 40)}) AS f
            UNION ALL
            SELECT s.acct, 3, s.a, s.b FROM splits AS s
            JOIN {FIRST_TABLE} AS f ON f.name = s.a
            JOIN {LAST_PREFIX_TABLE} AS l ON l.prefix = s.b
            WHERE length(s.digits) >= {DEFAULT_DIGITS}
            UNION ALL
            SELECT p.acct, 4, p.letters, '' FROM _pn_acc AS p
            JOIN {FIRST_TABLE} AS f ON f.name = p.letters
            WHERE length(p.digits) >= {DEFAULT_DIGITS})
        SELECT acct, min_by(pri, (pri, -length(a))) AS pri,
               min_by(a, (pri, -length(a))) AS a, min_by(b, (pri, -length(a))) AS b
        FROM matched GROUP BY acct""",
    )


def _features(engine: Engine) -> None:
    """One row per (account, feature, value) with the account's own evidence."""
    cap_a, cap_b = _cap("s.a"), _cap("s.b")
    words = (
        f"CASE s.pri WHEN 1 THEN {engine.printf(' = first name %s + surname %s', cap_a, cap_b)} "
        f"WHEN 2 THEN {engine.printf(' = surname %s + first name %s', cap_a, cap_b)} "
        f"WHEN 3 THEN {engine.printf(' = first name %s + start of a surname (%s…)', cap_a, cap_b)} "
        f"WHEN 4 THEN {engine.printf(' = first name %s', cap_a)} ELSE '' END"
    )
    plural = "CASE WHEN length(p.digits) > 1 THEN 's' ELSE '' END"
    one_word = engine.list_length(engine.string_split("p.dname", " "))
    handle = engine.printf("handle %s", "left(p.handle, 40)")
    digits = engine.printf(" + %d digit%s", "length(p.digits)", plural)
    named = engine.printf("; display name '%s'", "left(p.display_name, 40)")
    flat_name = engine.regexp_replace_all("p.dname", "[^a-z0-9]", "")
    display = engine.printf("display name '%s'", "left(display_name, 40)")
    engine.create_scratch(
        "_pn_feat",
        f"""WITH acc AS (
            SELECT p.*, s.pri,
                   {handle} || {words}
                   || CASE WHEN length(p.digits) > 0 THEN {digits} ELSE '' END
                   || CASE WHEN p.display_name IS NOT NULL THEN {named} ELSE '' END
                       AS evidence,
                   p.d_first IN (SELECT name FROM {FIRST_TABLE})
                   AND p.d_last IN (SELECT name FROM {LAST_TABLE}) AS western,
                   coalesce({one_word} = 1 AND position({flat_name} IN p.flat) > 0, false)
                       AS labelled
            FROM _pn_acc AS p LEFT JOIN _pn_split AS s USING (acct)
            WHERE p.handle IS NOT NULL)
        SELECT acct, 'handle' AS base, 'name_digits' AS feature, '' AS value, evidence
        FROM acc WHERE pri IS NOT NULL AND length(digits) >= {DEFAULT_DIGITS}
        UNION ALL
        SELECT acct, 'handle', 'digit_run', '', evidence FROM acc
        WHERE pri IS NULL AND length(digits) >= {DEFAULT_DIGITS}
        UNION ALL
        SELECT acct, 'handle', 'name_few_digits', '', evidence FROM acc
        WHERE pri IN (1, 2) AND length(digits) BETWEEN 1 AND {DEFAULT_DIGITS - 1}
        UNION ALL
        SELECT acct, 'handle', 'name_only', '', evidence FROM acc
        WHERE pri IN (1, 2) AND digits = ''
        UNION ALL
        SELECT acct, 'handle', 'mismatch', '', evidence FROM acc
        WHERE western AND length(d_first) >= 3 AND length(d_last) >= 3
          AND position(d_first IN flat) = 0 AND position(d_last IN flat) = 0
        UNION ALL
        -- a one-word name inside the handle labels an organisation's accounts openly
        -- (Brightmart: brightmart_us, brightmart_uk): their shared shape, stem and name are
        -- a house style, not a persona formula
        SELECT acct, 'handle', 'shape', shape, evidence FROM acc WHERE NOT labelled
        UNION ALL
        SELECT acct, 'handle', 'stem', stem, evidence FROM acc
        WHERE length(stem) >= 3 AND NOT labelled
        UNION ALL
        SELECT acct, 'display_name', 'display_name', dname, {display}
        FROM acc WHERE dname IS NOT NULL AND NOT labelled""",
    )


class PersonaNames(Tell):
    name = "persona_names"
    title = "Persona handles and names"
    description = (
        "Handles of a Western first name + surname + digits (Meta's Spamouflage X accounts), "
        "default-handle digit runs, one handle formula or sequence, display names reused or "
        "not matching the handle: weak on one account, tested per cluster against the case "
        "(Poisson test, corrected)."
    )
    reads = ()
    params = (
        Param(
            "min_members",
            "int",
            3,
            "Fewest cluster members sharing a feature that make a test.",
            minimum=2,
        ),
    )

    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        register_poisson_tail(engine)
        build_features(engine)
        self._cluster_tests(ctx, int(params["min_members"]))
        self._write(ctx)
        for table in _TEMP:
            engine.drop_table(table)
        drop_name_tables(engine)

    def _cluster_tests(self, ctx: TellContext, min_members: int) -> None:
        """Per cluster and feature value shared by ``min_members`` members: the Poisson tail
        against the value's (add-one smoothed) share among the case's other accounts."""
        ctx.engine.create_scratch(
            "_pn_tests",
            f"""WITH bases AS (
                SELECT 'handle' AS base, acct FROM _pn_acc WHERE handle IS NOT NULL
                UNION ALL SELECT 'display_name', acct FROM _pn_acc WHERE dname IS NOT NULL),
            population AS (SELECT base, count(*) AS total FROM bases GROUP BY base),
            members AS (
                SELECT b.base, c.cluster_id, count(*) AS n
                FROM bases AS b JOIN account_clusters AS c USING (acct)
                GROUP BY b.base, c.cluster_id),
            everyone AS (
                SELECT feature, value, count(*) AS total_k FROM _pn_feat GROUP BY ALL),
            shared AS (
                SELECT f.base, f.feature, f.value, c.cluster_id, count(*) AS k
                FROM _pn_feat AS f JOIN account_clusters AS c USING (acct)
                GROUP BY ALL HAVING count(*) >= {int(min_members)})
            SELECT s.*, m.n,
                   (e.total_k - s.k + 1) / (p.total - m.n + 1) AS share,
                   m.n * (e.total_k - s.k + 1) / (p.total - m.n + 1) AS expected
            FROM shared AS s
            JOIN members AS m USING (base, cluster_id)
            JOIN everyone AS e USING (feature, value)
            JOIN population AS p USING (base)""",
        )

    def _write(self, ctx: TellContext) -> None:
        engine = ctx.engine
        m = max(int(engine.fetchall("SELECT count(*) FROM _pn_tests")[0][0]), 1)
        strength = strength_sql("cib_poisson_tail(t.k, t.expected)", m)
        texts = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in FEATURE_TEXT.items())
        shape = engine.printf("handles of one shape %s", "left(t.value, 30)")
        stem = engine.printf("handles '%s' + a number", "left(t.value, 30)")
        reused = engine.printf("the display name '%s'", "left(t.value, 40)")
        what = (
            f"CASE t.feature {texts} WHEN 'shape' THEN {shape} WHEN 'stem' THEN {stem} "
            f"ELSE {reused} END"
        )
        features = ", ".join(f"'{f}'" for f in ACCOUNT_FEATURES)
        ranks = " ".join(f"WHEN '{f}' THEN {k}" for k, f in enumerate(RANKED, start=1))
        clustered = engine.printf(
            "%d of %d cluster members have %s; %.2f%% of the case's other accounts do; %s",
            *("t.k", "t.n", "t.what", "100 * t.share", "f.evidence"),
        )
        alone = engine.printf(
            "%s (%.1f%% of the case's accounts have such a handle)", "f.evidence", "100 * r.rate"
        )
        engine.create_scratch(
            "_pn_rows",
            f"""WITH tested AS (SELECT t.*, {strength} AS strength, {what} AS what
                            FROM _pn_tests AS t),
            clustered AS (
                SELECT f.acct, t.strength, CASE t.feature {ranks} END AS rank,
                       {clustered} AS detail
                FROM tested AS t
                JOIN account_clusters AS c ON c.cluster_id = t.cluster_id
                JOIN _pn_feat AS f ON f.acct = c.acct AND f.feature = t.feature
                                   AND f.value = t.value
                WHERE t.strength > 0),
            rates AS (
                SELECT f.feature, count(*) / (SELECT count(*) FROM _pn_acc
                                              WHERE handle IS NOT NULL) AS rate
                FROM _pn_feat AS f WHERE f.feature IN ({features}) GROUP BY f.feature),
            alone AS (
                SELECT f.acct, least({ACCOUNT_CAP}, -log10(r.rate)) AS strength, 99 AS rank,
                       {alone} AS detail
                FROM _pn_feat AS f JOIN rates AS r USING (feature))
            SELECT acct, max(strength) AS strength,
                   max_by(detail, (strength, -rank, detail)) AS detail
            FROM (SELECT * FROM clustered UNION ALL SELECT * FROM alone) AS r
            WHERE strength > 0 GROUP BY acct""",
        )
        engine.execute(
            f"""INSERT INTO {ctx.table} BY NAME
            SELECT acct, '{self.name}' AS tell, strength, {score_sql("strength")} AS score,
                   detail
            FROM _pn_rows"""
        )
        log.info("persona_names: %d cluster tests", m)


register(PersonaNames())
