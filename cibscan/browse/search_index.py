"""The browse index's search terms: text, URL, domain and hashtag search without a scan.

Searching posts by text or URL asks whether a lower-cased text (or one of a post's URLs)
*contains* the query, so ``vote`` finds ``voters``: on a 1M-post case each search read
every text (0.1-0.4 s alone, 13 s p95 under fifty clients). The index keeps, per post, its
distinct *terms*: the runs of letters, marks, digits and ``_`` of its lower-cased text
(field ``w``) and of its URLs (``u``), and its domains (``d``) and hashtags (``h``) as
stored. A post numbered ``sk`` in the results' order (newest first) is listed under each of
its terms (``search_postings``), and the terms are listed once each (``search_terms``).

Why the answers are the scan's: if a lower-cased text contains the query, every run of
word characters in the query lies inside a run of the text, so inside one of its terms.
So the posts that have, for each of the query's runs, a term containing it, hold every
answer; the texts of those few are then checked as the scan checks them. When the query is
one run and nothing else, a term containing it *is* an answer, and no text is read. A
domain or hashtag is one exact term. A query without any word character, or one whose
terms are in more than :data:`BROAD` of the posts (the scan is then as fast), is left to
the scan (:func:`search_posts` returns None).
"""

from __future__ import annotations

from typing import Any

from cibscan.browse.common import check_page
from cibscan.engine import Engine

#: what separates terms: anything but letters, combining marks, digits and ``_``
SPLIT = r"[^\pL\pM\pN_]+"
#: the field of each search kind
FIELDS = {"text": "w", "url": "u", "domain": "d", "hashtag": "h"}
#: a query whose candidate posts exceed this share of all posts is answered by a scan
BROAD = 0.05


def _terms(source: str, value: str) -> str:
    return f"""SELECT DISTINCT sk, term FROM (
        SELECT sk, unnest(regexp_split_to_array(lower({value}), '{SPLIT}')) AS term
        FROM {source}) WHERE term <> ''"""


def build_search(engine: Engine, work: str) -> None:
    """``{work}.search_posts`` (every post numbered ``sk`` newest first, with what a result
    row shows and what the check reads), ``{work}.search_terms`` (``term_id``, ``field``,
    ``term``, ``n`` posts) and ``{work}.search_postings`` (``term_id``, ``sk``), sorted so a
    term's posts are a range."""
    engine.execute(
        f"""CREATE TABLE {work}.search_posts AS
            SELECT row_number() OVER (
                       ORDER BY created_at DESC NULLS LAST, platform, post_id) AS sk,
                   platform, post_id, account_id, created_at, kind, text, urls, domains,
                   hashtags
            FROM posts ORDER BY sk"""
    )
    posts = f"{work}.search_posts"
    urls = f"(SELECT sk, unnest(urls) AS u FROM {posts})"
    found = f"""
        SELECT 'w' AS field, term, sk FROM ({_terms(posts, "text")})
        UNION ALL SELECT 'u', term, sk FROM ({_terms(urls, "u")})
        UNION ALL SELECT DISTINCT 'd', d, sk FROM (SELECT sk, unnest(domains) AS d FROM {posts})
        WHERE d IS NOT NULL
        UNION ALL SELECT DISTINCT 'h', h, sk FROM (SELECT sk, unnest(hashtags) AS h FROM {posts})
        WHERE h IS NOT NULL"""
    engine.execute(f"CREATE TEMP TABLE _bi_terms AS {found}")
    try:
        engine.execute(
            f"""CREATE TABLE {work}.search_terms AS
                SELECT row_number() OVER (ORDER BY field, term) AS term_id, field, term, n
                FROM (SELECT field, term, count(*) AS n FROM _bi_terms GROUP BY ALL)
                ORDER BY term_id"""
        )
        engine.execute(
            f"""CREATE TABLE {work}.search_postings AS
                SELECT v.term_id, t.sk FROM _bi_terms AS t
                JOIN {work}.search_terms AS v USING (field, term)
                ORDER BY v.term_id, t.sk"""
        )
    finally:
        engine.execute("DROP TABLE IF EXISTS _bi_terms")


#: the scan's test of one post, on ``p`` (as cibscan.browse.search words it)
_CHECK = {
    "text": "contains(lower(p.text), lower(?))",
    "url": "list_bool_or(list_transform(p.urls, lambda u: contains(lower(u), lower(?))))",
}


def _matching_terms(
    engine: Engine, alias: str, field: str, condition: str, value: str
) -> tuple[str, int]:
    """(the query of the ids of the ``field`` terms meeting ``condition`` on ``value``, the
    number of postings they have)."""
    chosen = f"""SELECT term_id FROM {alias}.search_terms
        WHERE field = '{field}' AND {condition}"""
    n = engine.fetchall(
        f"SELECT coalesce(sum(n), 0) FROM {alias}.search_terms WHERE term_id IN ({chosen})",
        [value],
    )[0][0]
    return chosen, int(n)


def search_posts(
    engine: Engine, alias: str, query: str, kind: str, *, limit: int, offset: int
) -> tuple[int, list[int]] | None:
    """(number of matching posts, the ``sk`` of page ``offset``..``offset + limit``) of
    the posts whose ``kind`` (text, url, domain, hashtag) matches ``query`` as the scan
    would match it, read from the index attached as ``alias``; None when the scan should
    answer (see the module)."""
    check_page(limit, offset)
    field = FIELDS[kind]
    posts = int(engine.fetchall(f"SELECT count(*) FROM {alias}.search_posts")[0][0])
    postings = f"{alias}.search_postings"
    if kind in ("domain", "hashtag"):
        # lower-cased by DuckDB, as the scan does (Python's lower differs on a few letters)
        value = query if kind == "domain" else query.lstrip("#")
        exact = str(engine.fetchall("SELECT lower(?)", [value])[0][0])
        chosen, n = _matching_terms(engine, alias, field, "term = ?", exact)
        if n > BROAD * posts:
            return None
        hits = f"SELECT sk FROM {postings} WHERE term_id IN ({chosen})"
        params: list[Any] = [exact]
    else:
        runs, whole = engine.fetchall(
            f"""SELECT list_distinct(list_filter(
                           regexp_split_to_array(lower(?), '{SPLIT}'), lambda x: x <> '')),
                       lower(?)""",
            [query, query],
        )[0]
        if not runs:
            return None  # no word character: nothing to look up
        chosen_runs = [_matching_terms(engine, alias, field, "contains(term, ?)", r) for r in runs]
        # the rarest run bounds the candidates: a broad query is left to the scan
        if min(n for _, n in chosen_runs) > BROAD * posts:
            return None
        hits = " INTERSECT ".join(
            f"SELECT sk FROM {postings} WHERE term_id IN ({chosen})" for chosen, _ in chosen_runs
        )
        params = list(runs)
        if list(runs) != [whole]:  # the query is more than one run: check the candidates
            hits = f"""SELECT p.sk FROM {alias}.search_posts AS p
                WHERE p.sk IN ({hits}) AND {_CHECK[kind]}"""
            params.append(query)
    # at most BROAD of the posts: all of them in one query, counted and paged here
    found = [
        int(r[0]) for r in engine.fetchall(f"SELECT DISTINCT sk FROM ({hits}) ORDER BY sk", params)
    ]
    return len(found), found[offset : offset + limit]
