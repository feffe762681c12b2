"""Impersonation: accounts posing as a protected person or as another account of the case.

Spamouflage impersonated and harassed critics, journalists and dissidents, with look-alike
accounts bearing their names and photos (Meta Q2 2023 and Q3 2023 adversarial threat reports;
Graphika's "Spamouflage" reports; ASPI on the harassment of critics abroad). Copies of a
real account take its display name and profile photo and a handle one character away.

Two comparisons, all in SQL:

- against the user's ``protected`` list (a CSV of identities: journalists, dissidents,
  officials; see :func:`read_protected`): an account matches when its normalised handle
  equals or nearly equals the identity's (``near`` below), its normalised display name equals
  the identity's name, or its profile image hash equals the identity's. The account that
  *is* the identity (same handle, on the identity's platform or on any when none is given)
  is never scored.
- against the other accounts of the case, on any platform: an account that copies another
  account's display name *and* its profile image hash or a near handle, while being newer
  (``created_at``, else the first post seen), is a copy; the older account is the original
  and is not scored. A shared common name alone ("John Smith" twice, different photos,
  unrelated handles) never fires.

Normalisation: lower case, accents stripped, Cyrillic and Greek look-alike letters and
``0 1 3 4 5 7`` folded to Latin letters, ``i`` folded to ``l``, ``rn`` to ``m``, ``vv`` to
``w``; handles also lose trailing digits and underscores and the separators ``._-``.
``near``: equal keys, or a Damerau-Levenshtein distance of 1 (keys of 6+ characters) or 2
(10+), among candidates sharing their first or last four characters and at most two characters
longer or shorter (the blocking that keeps this near-linear in the case; edits at both ends
are not looked for). Copies are looked for among accounts with the same name key and the
same photo or handle block, so a very common display name does not make a quadratic join.

Strength: this tell has no natural null model, so each kind of evidence has a fixed strength
on the tells' ``-log10 q`` scale (:data:`PROTECTED_STRENGTH`, :data:`COPY_STRENGTH`): a
photo with a handle or a name is strong (3-4, score 0.6-0.67), a name alone against a
protected identity weak (0.5, score 0.2).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from cibscan.engine import Engine
from cibscan.engine.base import Dialect
from cibscan.score.base import score_sql
from cibscan.signals.base import Param
from cibscan.tells.base import Tell, TellContext, register

log = logging.getLogger(__name__)

PROTECTED_COLUMNS = ("name", "handle", "platform", "profile_image_hash", "note")
_KEYS = ("name", "handle", "profile_image_hash")
#: strength of a match with a protected identity by (photo, handle, name)
PROTECTED_STRENGTH = {
    (True, True, True): 4.0,
    (True, True, False): 4.0,
    (True, False, True): 3.0,
    (False, True, True): 3.0,
    (True, False, False): 2.0,
    (False, True, False): 1.5,
    (False, False, True): 0.5,
}
#: strength of a newer copy of another account by (photo, handle); the name always matches
COPY_STRENGTH = {(True, True): 4.0, (True, False): 3.0, (False, True): 2.0}
_CONFUSABLE_FROM = "аеорсухіјѕԁһӏαεικνορτυ013457"
_CONFUSABLE_TO = "aeopcyxijsdhlaeikvoptuoleast"
_TEMP = ("_imp_protected", "_imp_p", "_imp_acc", "_imp_hits")


def fold_sql(dialect: Dialect, expr: str) -> str:
    """SQL: the look-alike-folded, lower-case, accent-free form of ``expr``."""
    return (
        f"replace(replace(replace(translate({dialect.strip_accents(f'lower({expr})')}, "
        f"'{_CONFUSABLE_FROM}', '{_CONFUSABLE_TO}'), 'i', 'l'), 'rn', 'm'), 'vv', 'w')"
    )


def handle_key_sql(dialect: Dialect, expr: str) -> str:
    """SQL: a handle's comparison key (folded, no trailing digits/underscores, no ``._-``)."""
    trimmed = dialect.regexp_replace_all(f"lower(trim({expr}))", "^@|[0-9_]+$", "")
    return f"nullif({dialect.regexp_replace_all(fold_sql(dialect, trimmed), '[._-]', '')}, '')"


def name_key_sql(dialect: Dialect, expr: str) -> str:
    """SQL: a display name's comparison key (folded, letters and digits only)."""
    return f"nullif({dialect.regexp_replace_all(fold_sql(dialect, expr), '[^a-z0-9]', '')}, '')"


def near_sql(dialect: Dialect, a: str, b: str) -> str:
    """SQL: handle keys ``a`` and ``b`` are equal or a typo apart (see the module docstring)."""
    return (
        f"({a} = {b} OR (least(length({a}), length({b})) >= 6 AND {dialect.edit_distance(a, b)}"
        f" <= CASE WHEN least(length({a}), length({b})) >= 10 THEN 2 ELSE 1 END))"
    )


def read_protected(path: str) -> list[dict[str, str | None]]:
    """The protected identities of a CSV file, validated: a header naming only
    :data:`PROTECTED_COLUMNS` and at least one of name/handle/profile_image_hash; every row
    with one of them. Raises ``ValueError`` naming the problem."""
    where = f"impersonation.protected: {path}"
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            unknown = sorted(set(header) - set(PROTECTED_COLUMNS))
            if unknown:
                raise ValueError(
                    f"{where}: unknown column(s) {', '.join(unknown)}; "
                    f"expected {', '.join(PROTECTED_COLUMNS)}"
                )
            if not set(header) & set(_KEYS):
                raise ValueError(f"{where}: the header needs a column {', '.join(_KEYS)}")
            reader.fieldnames = header
            rows = []
            for line, raw in enumerate(reader, start=2):
                row = {c: (raw.get(c) or "").strip() or None for c in PROTECTED_COLUMNS}
                if not any(row[k] for k in _KEYS):
                    raise ValueError(f"{where}: line {line} has no {', '.join(_KEYS)}")
                rows.append(row)
    except FileNotFoundError:
        raise ValueError(f"{where}: no such file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{where}: not UTF-8 text") from None
    except csv.Error as e:
        raise ValueError(f"{where}: not a CSV file ({e})") from None
    if not rows:
        raise ValueError(f"{where}: no identities listed")
    return rows


class Impersonation(Tell):
    name = "impersonation"
    title = "Impersonation of a protected person or another account"
    description = (
        "Account copying a protected identity's handle, name or profile image (the "
        "'protected' CSV), or copying an older account's display name with its profile "
        "image or a near handle; fixed strengths per kind of evidence."
    )
    reads = ()
    params = (
        Param(
            "protected",
            "str",
            "",
            "CSV of protected identities (columns name, handle, platform, "
            "profile_image_hash, note); empty: compare accounts of the case only.",
        ),
    )

    def resolve(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        resolved = super().resolve(given)
        if resolved["protected"]:
            read_protected(resolved["protected"])  # a bad file fails before the run
        return resolved

    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        protected = read_protected(params["protected"]) if params["protected"] else []
        table = pa.Table.from_pylist(
            protected, schema=pa.schema([(c, pa.string()) for c in PROTECTED_COLUMNS])
        )
        engine.drop_table("_imp_protected")
        engine.insert_arrow("_imp_protected", table, temp=True)
        self._prepare(engine)
        hits = " UNION ALL ".join(
            f"SELECT * FROM ({q}) AS h{k}"
            for k, q in enumerate((self._match_protected(engine), self._match_copies(engine)))
        )
        engine.create_scratch("_imp_hits", hits)
        # of two equally strong findings, the detail that sorts last
        engine.execute(
            f"""INSERT INTO {ctx.table} BY NAME
            SELECT acct, '{self.name}' AS tell, max(strength) AS strength,
                   {score_sql("max(strength)")} AS score,
                   max_by(detail, (strength, detail)) AS detail
            FROM _imp_hits GROUP BY acct"""
        )
        n = engine.fetchall("SELECT count(DISTINCT acct) FROM _imp_hits")[0][0]
        log.info("impersonation: %d accounts, %d protected identities", n, len(protected))
        for name in _TEMP:
            engine.drop_table(name)

    def _prepare(self, engine: Engine) -> None:
        hk, nk = handle_key_sql(engine, "handle"), name_key_sql(engine, "display_name")
        engine.create_scratch(
            "_imp_acc",
            f"""WITH a AS (
                SELECT i.acct, i.platform, any_value(a.handle) AS handle,
                       any_value(a.display_name) AS display_name,
                       any_value(nullif(trim(a.profile_image_hash), '')) AS photo,
                       min(coalesce(a.created_at, a.first_seen)) AS born
                FROM account_index AS i JOIN accounts AS a USING (platform, account_id)
                WHERE NOT coalesce({engine.list_contains("a.flags", "'hashed_identity'")}, false)
                GROUP BY i.acct, i.platform),
            keyed AS (SELECT *, {hk} AS hk, {nk} AS nk FROM a)
            SELECT *, left(hk, 4) AS pre, right(hk, 4) AS suf FROM keyed""",
        )
        hk, nk = handle_key_sql(engine, "handle"), name_key_sql(engine, "name")
        engine.create_scratch(
            "_imp_p",
            f"""WITH keyed AS (
                SELECT row_number() OVER (ORDER BY handle, name, platform, profile_image_hash)
                           AS pid, *, {hk} AS hk, {nk} AS nk
                FROM _imp_protected)
            SELECT *, left(hk, 4) AS pre, right(hk, 4) AS suf FROM keyed""",
        )

    def _match_protected(self, engine: Engine) -> str:
        """SELECT of (acct, strength, detail): accounts posing as a protected identity."""
        strength = " ".join(
            f"WHEN photo = {str(p).lower()} AND handle_near = {str(h).lower()} "
            f"AND name_eq = {str(n).lower()} THEN {s}"
            for (p, h, n), s in PROTECTED_STRENGTH.items()
        )
        near = near_sql(engine, "a.hk", "p.hk")
        handles = engine.printf("handle %s ~ %s", "left(handle, 40)", "left(p_handle, 40)")
        evidence = f"""concat_ws('; ', CASE WHEN photo THEN 'same profile image' END,
                                 CASE WHEN handle_near THEN {handles} END,
                                 CASE WHEN name_eq THEN 'same name' END)"""
        where = "CASE WHEN p_platform IS NULL THEN '' ELSE ' (' || p_platform || ')' END"
        detail = engine.printf(
            "poses as protected identity %s%s: %s",
            *("left(coalesce(p_handle, name), 40)", where, evidence),
        )
        return f"""WITH candidates AS (
                SELECT a.acct, p.pid FROM _imp_acc AS a JOIN _imp_p AS p ON a.nk = p.nk
                UNION SELECT a.acct, p.pid FROM _imp_acc AS a
                      JOIN _imp_p AS p ON a.photo = p.profile_image_hash
                UNION SELECT a.acct, p.pid FROM _imp_acc AS a JOIN _imp_p AS p
                      ON a.pre = p.pre AND abs(length(a.hk) - length(p.hk)) <= 2
                UNION SELECT a.acct, p.pid FROM _imp_acc AS a JOIN _imp_p AS p
                      ON a.suf = p.suf AND abs(length(a.hk) - length(p.hk)) <= 2),
            judged AS (
                SELECT a.acct, a.handle, p.name, p.handle AS p_handle, p.platform AS p_platform,
                       coalesce(a.photo = p.profile_image_hash, false) AS photo,
                       coalesce({near}, false) AS handle_near,
                       coalesce(a.nk = p.nk, false) AS name_eq
                FROM candidates AS c JOIN _imp_acc AS a USING (acct) JOIN _imp_p AS p USING (pid)
                WHERE NOT coalesce(lower(a.handle) = lower(p.handle)
                                   AND (p.platform IS NULL OR p.platform = a.platform), false))
            SELECT acct, CAST(CASE {strength} ELSE 0 END AS DOUBLE) AS strength,
                   {detail} AS detail
            FROM judged WHERE photo OR handle_near OR name_eq"""

    def _match_copies(self, engine: Engine) -> str:
        """SELECT of (acct, strength, detail): newer copies of another account."""
        strength = " ".join(
            f"WHEN photo = {str(p).lower()} AND handle_near = {str(h).lower()} THEN {s}"
            for (p, h), s in COPY_STRENGTH.items()
        )
        handles = engine.printf(", handle %s ~ %s", "left(handle, 40)", "left(o_handle, 40)")
        detail = engine.printf(
            "copies the older account %s (%s, since %s): display name '%s'%s%s",
            *("left(o_handle, 40)", "o_platform", engine.format_epoch_date(engine.epoch("o_born"))),
            "left(display_name, 40)",
            "CASE WHEN photo THEN ', same profile image' ELSE '' END",
            f"CASE WHEN handle_near THEN {handles} ELSE '' END",
        )
        return f"""WITH pairs AS (
                SELECT c.acct AS copy, o.acct AS original FROM _imp_acc AS c
                JOIN _imp_acc AS o ON c.nk = o.nk AND c.photo = o.photo
                UNION SELECT c.acct, o.acct FROM _imp_acc AS c
                JOIN _imp_acc AS o ON c.nk = o.nk AND c.pre = o.pre
                UNION SELECT c.acct, o.acct FROM _imp_acc AS c
                JOIN _imp_acc AS o ON c.nk = o.nk AND c.suf = o.suf),
            judged AS (
                SELECT c.acct, c.handle, c.display_name, o.handle AS o_handle,
                       o.platform AS o_platform, o.born AS o_born,
                       coalesce(c.photo = o.photo, false) AS photo,
                       coalesce({near_sql(engine, "c.hk", "o.hk")}, false) AS handle_near
                FROM pairs AS p
                JOIN _imp_acc AS c ON c.acct = p.copy
                JOIN _imp_acc AS o ON o.acct = p.original
                WHERE c.acct <> o.acct AND c.born > o.born AND length(c.nk) >= 3
                  -- an impersonator does not coordinate with its victim: accounts of one
                  -- cluster sharing a name are one owner's (persona_names tests reuse)
                  AND NOT EXISTS (
                      SELECT 1 FROM account_clusters AS kc JOIN account_clusters AS ko
                        ON ko.cluster_id = kc.cluster_id
                      WHERE kc.acct = c.acct AND ko.acct = o.acct))
            SELECT acct, CAST(CASE {strength} ELSE 0 END AS DOUBLE) AS strength,
                   {detail} AS detail
            FROM judged WHERE photo OR handle_near"""


register(Impersonation())
