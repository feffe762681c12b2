"""Search a case: accounts by handle or name, posts by text, URL, domain or hashtag.

An analyst pivots from one thing they saw (a handle, a phrase, a link) to every account
and post that shares it. Handles and texts are matched as substrings ignoring case; a
domain or hashtag as the normalised value the ingest stored (``example.com``, a hashtag
lower-cased without its ``#``), so ``#Vote`` finds ``#vote``. The query is a bound
parameter, never spliced into SQL, and ``%`` or ``_`` in it mean themselves.
"""

from __future__ import annotations

from typing import Any

from cibscan.browse.common import DEFAULT_LIMIT, Page, page, rows
from cibscan.browse.index import BrowseIndex
from cibscan.browse.search_index import post_rows_sql, scores_sql, search_posts
from cibscan.engine import Engine

#: what a search looks in
SEARCH_KINDS = ("handle", "text", "url", "domain", "hashtag")
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
    index: BrowseIndex | None = None,
) -> dict[str, Any]:
    """The accounts (``kind`` handle) or posts (the other kinds) matching ``query``, as a
    page dict with ``kind`` and ``query``; posts come newest first with their author's
    handle and score, accounts best score first. With a browse ``index`` posts are found
    through its search terms (:mod:`cibscan.browse.search_index`): the same answer without
    reading every text."""
    q = query.strip()
    if kind not in SEARCH_KINDS:
        raise ValueError(f"unknown search kind {kind!r}; known: {', '.join(SEARCH_KINDS)}")
    if not q:
        raise ValueError("give something to search for")
    if len(q) > MAX_QUERY:
        raise ValueError(f"the query is longer than {MAX_QUERY} characters")
    found = (
        _accounts(engine, q, limit, offset)
        if kind == "handle"
        else _posts(engine, q, kind, limit, offset, index)
    )
    result = found.as_dict()
    result.update(kind=kind, query=q)
    return result


def _accounts(engine: Engine, q: str, limit: int, offset: int) -> Page:
    score_cols, score_join, scored = scores_sql(engine)
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
    return page(engine, sql, [bare, bare, q, bare], limit, offset)


def _posts(
    engine: Engine, q: str, kind: str, limit: int, offset: int, index: BrowseIndex | None
) -> Page:
    if index is not None:
        found = search_posts(engine, index, q, kind, limit=limit, offset=offset)
        if found is not None:
            total, keys = found
            items = index.search.rows(keys) if index.search is not None and keys else None
            if items is None:
                chosen = "p.sk IN (SELECT unnest(?::BIGINT[]))"
                sql = post_rows_sql(engine, f"{index.alias}.search_posts", chosen)
                items = rows(engine, sql, [keys]) if keys else []
            return Page(items, total, limit, offset)
    return page(engine, post_rows_sql(engine, "posts", _POST_WHERE[kind]), [q], limit, offset)
