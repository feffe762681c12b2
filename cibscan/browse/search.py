"""Search a case: accounts by handle or name, posts by text, URL, domain or hashtag.

An analyst pivots from one thing they saw (a handle, a phrase, a link) to every account
and post that shares it. Handles and texts are matched as substrings ignoring case; a
domain or hashtag as the normalised value the ingest stored (``example.com``, a hashtag
lower-cased without its ``#``), so ``#Vote`` finds ``#vote``. The query is a bound
parameter, never spliced into SQL, and ``%`` or ``_`` in it mean themselves.
"""

from __future__ import annotations

from typing import Any

from cibscan.browse.common import DEFAULT_LIMIT, page
from cibscan.engine import Engine

#: what a search looks in
SEARCH_KINDS = ("handle", "text", "url", "domain", "hashtag")
#: characters of a post's text a result holds
TEXT_CHARS = 500
#: the longest query accepted (a longer one is a paste gone wrong)
MAX_QUERY = 500

_POST_WHERE = {
    "text": "contains(lower(p.text), lower(?))",
    "url": "list_bool_or(list_transform(p.urls, lambda u: contains(lower(u), lower(?))))",
    "domain": "list_contains(p.domains, lower(?))",
    "hashtag": "list_contains(p.hashtags, lower(ltrim(?, '#')))",
}


def search(
    engine: Engine,
    query: str,
    kind: str = "handle",
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> dict[str, Any]:
    """The accounts (``kind`` handle) or posts (the other kinds) matching ``query``, as a
    page dict with ``kind`` and ``query``; posts come newest first with their author's
    handle and score, accounts best score first."""
    q = query.strip()
    if kind not in SEARCH_KINDS:
        raise ValueError(f"unknown search kind {kind!r}; known: {', '.join(SEARCH_KINDS)}")
    if not q:
        raise ValueError("give something to search for")
    if len(q) > MAX_QUERY:
        raise ValueError(f"the query is longer than {MAX_QUERY} characters")
    scored = engine.table_exists("account_scores")
    score_cols = (
        "s.score, s.flagged, s.cluster_id"
        if scored
        else ("NULL AS score, NULL AS flagged, NULL AS cluster_id")
    )
    score_join = (
        "LEFT JOIN account_scores AS s ON s.platform = a.platform AND s.account_id = a.account_id"
        if scored
        else ""
    )
    if kind == "handle":
        bare = q.removeprefix("@")
        sql = f"""SELECT a.platform, a.account_id, a.handle, a.display_name, a.created_at,
                         a.n_posts, {score_cols}
            FROM accounts AS a {score_join}
            WHERE contains(lower(a.handle), lower(?)) OR contains(lower(a.display_name), lower(?))
               OR a.account_id = ?
               OR EXISTS (SELECT 1 FROM account_names AS n
                          WHERE n.platform = a.platform AND n.account_id = a.account_id
                            AND contains(lower(n.handle), lower(?)))
            ORDER BY {"s.score DESC NULLS LAST, " if scored else ""}a.platform, a.account_id"""
        params: list[Any] = [bare, bare, q, bare]
    else:
        sql = f"""SELECT p.platform, p.post_id, p.account_id, a.handle, p.created_at, p.kind,
                         left(p.text, {TEXT_CHARS}) AS text, p.urls, {score_cols}
            FROM posts AS p
            LEFT JOIN accounts AS a ON a.platform = p.platform AND a.account_id = p.account_id
            {score_join}
            WHERE {_POST_WHERE[kind]}
            ORDER BY p.created_at DESC NULLS LAST, p.platform, p.post_id"""
        params = [q]
    result = page(engine, sql, params, limit, offset).as_dict()
    result.update(kind=kind, query=q)
    return result
