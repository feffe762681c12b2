"""One account: who it says it is, what it posted, whom it is tied to and why.

The account page puts the evidence beside the profile: the names the account went by
(a renamed account is a classic sign of a bought or repurposed one), its posts over time,
its significant ties with the items behind each, its tells and its scores with the
reasons the combination rule gave.
"""

from __future__ import annotations

from typing import Any

from cibscan.browse.common import (
    DEFAULT_LIMIT,
    Page,
    Row,
    bare_account_detail,
    evidence_page,
    labels_join,
    page,
    rows,
)
from cibscan.browse.index import BrowseIndex
from cibscan.browse.index_reads import account_page
from cibscan.engine import Engine

#: characters of a post's text a page of posts holds (the rest is cut by the renderer)
POST_CHARS = 2000
#: ties and evidence rows an account's detail holds (their totals are counted)
TIE_ROWS = 100
EVIDENCE_ROWS = 50


def _acct(engine: Engine, platform: str, account_id: str) -> int | None:
    if not engine.table_exists("account_index"):
        return None
    found = engine.fetchall(
        "SELECT acct FROM account_index WHERE platform = ? AND account_id = ?",
        [platform, account_id],
    )
    return int(found[0][0]) if found else None


def account_posts(
    engine: Engine,
    platform: str,
    account_id: str,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page:
    """A page of the account's posts, oldest first, texts cut at :data:`POST_CHARS`."""
    sql = f"""SELECT post_id, created_at, kind, left(text, {POST_CHARS}) AS text,
                     length(text) AS text_length, language, urls, domains, hashtags,
                     repost_of_account, reply_to_account, quote_of_account, client
              FROM posts WHERE platform = ? AND account_id = ?
              ORDER BY created_at NULLS LAST, post_id"""
    return page(engine, sql, [platform, account_id], limit, offset)


def account_detail(
    engine: Engine,
    platform: str,
    account_id: str,
    *,
    posts_limit: int = DEFAULT_LIMIT,
    posts_offset: int = 0,
    partner: str | None = None,
    index: BrowseIndex | None = None,
) -> dict[str, Any] | None:
    """Everything the account page shows (None when the case has no such account):
    ``profile`` (its accounts row and current verdict), ``names`` (handles and display
    names over time), ``score`` (score, flag, cluster, reasons), ``signals`` (per signal
    scores), ``tells``, ``ties`` (significant partners, strongest first) and ``n_ties``,
    ``evidence`` (items shared with partners, or with ``partner`` alone, named
    ``platform:account_id``: the evidence behind one tie) and ``n_evidence``, ``activity``
    (posts per day) and ``posts`` (a :class:`Page` as a dict). With a browse ``index``
    (:mod:`cibscan.browse.index`) the same answer is read from it, a lookup instead of
    a score of queries (the evidence of one ``partner`` is still asked of the case)."""
    if index is not None and partner is None:
        return account_page(
            engine,
            index,
            platform,
            account_id,
            posts_limit=posts_limit,
            posts_offset=posts_offset,
        )
    verdict, join = labels_join(engine, "a")
    profile = rows(
        engine,
        f"""SELECT a.*, {verdict} FROM accounts AS a {join}
            WHERE a.platform = ? AND a.account_id = ? LIMIT 1""",
        [platform, account_id],
    )
    acct = _acct(engine, platform, account_id)
    if not profile and acct is None:
        return None
    names = rows(
        engine,
        """SELECT handle, display_name, first_seen, last_seen, source_format
           FROM account_names WHERE platform = ? AND account_id = ?
           ORDER BY first_seen NULLS LAST, handle, display_name""",
        [platform, account_id],
    )
    activity = rows(
        engine,
        """SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, count(*) AS n
           FROM posts WHERE platform = ? AND account_id = ? AND created_at IS NOT NULL
           GROUP BY day ORDER BY day""",
        [platform, account_id],
    )
    detail = bare_account_detail(
        profile[0] if profile else {"platform": platform, "account_id": account_id},
        names,
        activity,
        account_posts(engine, platform, account_id, limit=posts_limit, offset=posts_offset),
    )
    if acct is not None and engine.table_exists("account_scores"):
        other = None
        if partner is not None:
            other_platform, _, other_id = partner.partition(":")
            other = _acct(engine, other_platform, other_id)
            if other is None:
                raise ValueError(f"no account {partner!r} in the findings")
        detail.update(_findings(engine, acct, other))
        detail["partner"] = partner
    return detail


def _findings(engine: Engine, acct: int, partner: int | None) -> dict[str, Any]:
    """The detect run's view of one account (its engine key is ``acct``); its evidence with
    one ``partner`` only when given."""
    score = rows(
        engine,
        """SELECT round(score, 6) AS score, flagged, cluster_id, reasons,
                  round(strength, 6) AS strength, n_partners, tied
           FROM account_scores WHERE acct = ?""",
        [acct],
    )
    signals = rows(
        engine,
        """SELECT signal, round(score, 6) AS score, round(strength, 6) AS strength,
                  n_partners, n_shared, best_q, n_tested
           FROM account_signal_scores WHERE acct = ? AND (n_partners > 0 OR score > 0)
           ORDER BY score DESC, signal""",
        [acct],
    )
    tells: list[Row] = []
    if engine.table_exists("account_tells"):
        tells = rows(
            engine,
            """SELECT tell, round(score, 6) AS score, round(strength, 6) AS strength, detail
               FROM account_tells WHERE acct = ? ORDER BY score DESC, tell""",
            [acct],
        )
    ties_sql = """SELECT ip.platform, ip.account_id, h.handle, sp.cluster_id, sp.flagged,
                         round(e.strength, 6) AS strength, e.n_shared,
                         array_to_string(e.layers, ';') AS layers, e.min_dt AS min_gap_seconds
        FROM (SELECT b AS partner, * FROM edges WHERE a = ?
              UNION ALL BY NAME SELECT a AS partner, * FROM edges WHERE b = ?) AS e
        JOIN account_index AS ip ON ip.acct = e.partner
        LEFT JOIN account_scores AS sp ON sp.acct = e.partner
        LEFT JOIN accounts AS h ON h.platform = ip.platform AND h.account_id = ip.account_id
        ORDER BY e.strength DESC, ip.platform, ip.account_id"""
    n_ties = int(engine.fetchall(f"SELECT count(*) FROM ({ties_sql})", [acct, acct])[0][0])
    ties = rows(engine, f"SELECT * FROM ({ties_sql}) LIMIT {TIE_ROWS}", [acct, acct])
    if partner is None:
        condition, params = "v.a = ? OR v.b = ?", [acct, acct]
    else:
        condition = "(v.a = ? AND v.b = ?) OR (v.a = ? AND v.b = ?)"
        params = [acct, partner, partner, acct]
    n_evidence, evidence = evidence_page(engine, condition, params, EVIDENCE_ROWS)
    return {
        "score": score[0] if score else None,
        "signals": signals,
        "tells": tells,
        "ties": ties,
        "n_ties": n_ties,
        "evidence": evidence,
        "n_evidence": n_evidence,
    }
