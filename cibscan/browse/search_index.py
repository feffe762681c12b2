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
answer; more exactly, a run between two others is a whole term of the text, the first one
ends a term and the last one starts one (:func:`_run_terms`). The rarest run's posts are
the candidates, intersected with the next rarest runs' while those are not much more
numerous, and the candidates' texts are then checked as the scan checks them (the words
adjacent, in order), read by offset from the flat files of
:mod:`cibscan.browse.search_store`, not by a scan. When the query is one run and nothing
else, a term containing it *is* an answer, and no text is read. A domain or hashtag is one
exact term. A query without any word character, or one whose terms are in more than
:data:`BROAD` of the posts (the scan is then as fast), is left to the scan
(:func:`search_posts` returns None).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cibscan.browse.common import check_page
from cibscan.browse.search_store import write_store
from cibscan.engine import Engine

if TYPE_CHECKING:
    from cibscan.browse.index import BrowseIndex

#: what separates terms: anything but letters, combining marks, digits and ``_``
SPLIT = r"[^\pL\pM\pN_]+"
#: the field of each search kind
FIELDS = {"text": "w", "url": "u", "domain": "d", "hashtag": "h"}
#: a query whose candidate posts exceed this share of all posts is answered by a scan
BROAD = 0.05
#: characters of a post's text a result holds
TEXT_CHARS = 500


def scores_sql(engine: Engine) -> tuple[str, str, bool]:
    """(columns, join, whether scored): each result's author's score, flag and cluster,
    through its ``a`` (accounts) row."""
    if not engine.table_exists("account_scores"):
        return "NULL AS score, NULL AS flagged, NULL AS cluster_id", "", False
    return (
        "s.score, s.flagged, s.cluster_id",
        "LEFT JOIN account_scores AS s ON s.platform = a.platform AND s.account_id = a.account_id",
        True,
    )


def post_rows_sql(
    engine: Engine,
    source: str,
    where: str,
    order: str = "p.created_at DESC NULLS LAST, p.platform, p.post_id",
) -> str:
    """The result rows of the posts ``p`` of ``source`` meeting ``where``, in ``order``
    (newest first): what a post found shows, with its author's handle and score. The scan
    and the index's rows (:mod:`cibscan.browse.search_store`) are both this query."""
    score_cols, score_join, _ = scores_sql(engine)
    return f"""SELECT p.platform, p.post_id, p.account_id, a.handle, p.created_at, p.kind,
               left(p.text, {TEXT_CHARS}) AS text, p.urls, {score_cols}
        FROM {source} AS p
        LEFT JOIN accounts AS a ON a.platform = p.platform AND a.account_id = p.account_id
        {score_join}
        WHERE {where}
        ORDER BY {order}"""


def _terms(source: str, value: str) -> str:
    return f"""SELECT DISTINCT sk, term FROM (
        SELECT sk, unnest(regexp_split_to_array(lower({value}), '{SPLIT}')) AS term
        FROM {source}) WHERE term <> ''"""


def build_search(engine: Engine, work: str, path: Path) -> None:
    """``{work}.search_posts`` (every post numbered ``sk`` newest first, with what a result
    row shows), ``{work}.search_terms`` (``term_id``, ``field``, ``term``, ``n`` posts,
    ``start``: where its posts begin among all the postings) and ``{work}.search_postings``
    (``term_id``, ``sk``), sorted so a term's posts are the range ``start`` .. ``start + n``
    (:mod:`cibscan.browse.search_store` writes them, the texts and the result rows to
    flat files beside the index's file ``path``)."""
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
                SELECT term_id, field, term, n,
                       sum(n) OVER (ORDER BY term_id) - n AS start
                FROM (SELECT row_number() OVER (ORDER BY field, term) AS term_id, field, term,
                             n
                      FROM (SELECT field, term, count(*) AS n FROM _bi_terms GROUP BY ALL))
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
    write_store(engine, work, path, post_rows_sql(engine, posts, "true", "p.sk"))


#: a run's terms by where it stands in the query: (word characters may come before it in
#: a text, after it) -> the terms that can hold it
_CONDITIONS = {
    (True, True): "contains(term, ?)",
    (True, False): "ends_with(term, ?)",
    (False, True): "starts_with(term, ?)",
    (False, False): "term = ?",
}
#: another run's postings are intersected with the candidates while they are at most this
#: many times as many (past that, checking the candidates' texts is cheaper)
INTERSECT_RATIO = 4


def _ranges(
    engine: Engine, alias: str, field: str, condition: str, value: str
) -> list[tuple[int, int]]:
    """The postings (``start``, ``n``) of the ``field`` terms meeting ``condition``."""
    return [
        (int(start), int(n))
        for start, n in engine.fetchall(
            f"SELECT start, n FROM {alias}.search_terms WHERE field = ? AND {condition}",
            [field, value],
        )
    ]


def _run_terms(engine: Engine, query: str) -> tuple[str, list[tuple[str, str]]]:
    """(the query lower-cased by DuckDB, as the scan lowers it; its runs of word characters
    in order, each with the condition a term holding it meets, each pair once).

    A run followed in the query by another character is followed by that same non-word
    character in any text that contains the query, so its term there ends with it; one
    preceded by another character starts its term; one with both is a whole term."""
    parts, whole = engine.fetchall(
        f"SELECT regexp_split_to_array(lower(?), '{SPLIT}'), lower(?)", [query, query]
    )[0]
    runs = [r for r in parts if r]
    found: list[tuple[str, str]] = []
    for i, run in enumerate(runs):
        open_before = i == 0 and parts[0] != ""
        open_after = i == len(runs) - 1 and parts[-1] != ""
        pair = (_CONDITIONS[open_before, open_after], run)
        if pair not in found:
            found.append(pair)
    return str(whole), found


def search_posts(
    engine: Engine, index: BrowseIndex, query: str, kind: str, *, limit: int, offset: int
) -> tuple[int, list[int]] | None:
    """(number of matching posts, the ``sk`` of page ``offset``..``offset + limit``) of
    the posts whose ``kind`` (text, url, domain, hashtag) matches ``query`` as the scan
    would match it, read from the browse ``index``; None when the scan should answer (see
    the module)."""
    check_page(limit, offset)
    store = index.search
    if store is None:
        return None
    field = FIELDS[kind]
    broad = BROAD * len(store)
    if kind in ("domain", "hashtag"):
        # lower-cased by DuckDB, as the scan does (Python's lower differs on a few letters)
        value = query if kind == "domain" else query.lstrip("#")
        exact = str(engine.fetchall("SELECT lower(?)", [value])[0][0])
        ranges = _ranges(engine, index.alias, field, "term = ?", exact)
        if sum(n for _, n in ranges) > broad:
            return None
        found = store.postings(ranges)
    else:
        whole, terms = _run_terms(engine, query)
        if not terms or (field == "u" and "\n" in whole):
            return None  # no word character, or a URL query over lines: the scan's
        chosen = [_ranges(engine, index.alias, field, c, run) for c, run in terms]
        # the rarest run bounds the candidates: a broad query is left to the scan
        totals = sorted((sum(n for _, n in r), k) for k, r in enumerate(chosen))
        if totals[0][0] > broad:
            return None
        found = store.postings(chosen[totals[0][1]])
        for total, k in totals[1:]:  # smallest first, while cheaper than the texts
            if not len(found) or total > INTERSECT_RATIO * len(found):
                break
            found = found[np.isin(found, store.postings(chosen[k]), assume_unique=True)]
        if len(terms) > 1 or terms[0][0] != _CONDITIONS[True, True] or terms[0][1] != whole:
            found = store.containing(field, found, whole)  # adjacent, in this order
    # at most BROAD of the posts: all of them at once, counted and paged here
    return len(found), [int(sk) for sk in found[offset : offset + limit]]
