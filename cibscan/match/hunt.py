"""Hunting published indicators in a case: every account they name or whose posts they match.

All matching is SQL joins inside the engine: the indicators go into a temp table (one row per
indicator and source) and are joined with the case's normalised columns, so that a case of
millions of posts is scanned a handful of times, never looped over in Python.

- ``handle``: case-insensitive equality with ``accounts.handle`` and with every name in the
  ``account_names`` history (operators rename accounts after a takedown report);
- ``account_id``: equality with ``accounts.account_id``;
- ``url``: membership in posts' normalised ``urls`` (the indicator was normalised by the
  same macro at read time);
- ``domain``: a post domain equal to the indicator or a subdomain of it; the post domains'
  suffixes are joined, not LIKE-scanned, so the join stays a hash join;
- ``text``: posts' ``text_norm`` equal to the indicator's normalised text.

Platform must agree whenever the indicator names one (``x`` and ``twitter`` are one
platform). Account hits name the account; post hits name the post's author, with one example
post and the number of matching posts.

Formula (``pattern``) hits are weaker and reported apart: a takedown's handles often share a
generator's shape (first name + last name + 8 digits, as X suggests when a name is taken).
A shape seen at least MIN_SHAPE_COUNT times among one source's handles of a platform and
carrying a digit run of at least MIN_DIGIT_RUN is a formula, and accounts of that platform
with the same shape that no exact indicator hit are reported. Many real people have such
handles too, so a pattern hit is a lead to check, not a finding.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from cibscan.match.indicator_values import SHAPE_SQL, handle_shape
from cibscan.match.indicators import IndicatorSet, Rejected
from cibscan.store import Case

log = logging.getLogger(__name__)

#: columns of hunt_hits, in order (post_id and n_posts only for url/domain/text hits)
HUNT_COLUMNS = (
    "platform",
    "account_id",
    "handle",
    "indicator",
    "indicator_type",
    "source",
    "match",
    "post_id",
    "n_posts",
    "matched",
)
#: a handle shape must occur this often among one source's handles to count as a formula
MIN_SHAPE_COUNT = 3
#: ... and contain a digit run at least this long (ordinary names rarely do)
MIN_DIGIT_RUN = 4

_PLATFORM = "CASE lower({p}) WHEN 'x' THEN 'twitter' ELSE lower({p}) END"


@dataclass
class HuntReport:
    """What a hunt found: the hit rows (as in ``hunt_hits``) and what was hunted."""

    hits: list[dict[str, Any]]
    n_indicators: int
    rejected: list[Rejected]
    shapes: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def counts(self, key: str) -> dict[str, int]:
        """Hits per value of a column (``indicator_type``, ``source``, ``match``)."""
        return dict(Counter(str(h[key]) for h in self.hits).most_common())

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicators": self.n_indicators,
            "rejected": len(self.rejected),
            "hits": len(self.hits),
            "accounts": len({(h["platform"], h["account_id"]) for h in self.hits}),
            "by_type": self.counts("indicator_type"),
            "by_source": self.counts("source"),
            "by_match": self.counts("match"),
            "formulas": [
                {"source": s, "platform": p, "shape": shape}
                for (s, p), shapes in sorted(self.shapes.items())
                for shape in shapes
            ],
            "seconds": round(self.seconds, 3),
        }


def formulas(indicator_set: IndicatorSet) -> dict[tuple[str, str], list[str]]:
    """Handle shapes that are operator formulas, per (source, platform).

    Only handles of a known platform count: a shape is matched against that platform's
    accounts, never across platforms.
    """
    seen: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for ind in indicator_set.indicators:
        if ind.type != "handle" or ind.platform is None:
            continue
        shape = handle_shape(_written_handle(ind.raw, ind.value))
        for source in ind.sources:
            seen[(source, ind.platform)][shape] += 1
    out: dict[tuple[str, str], list[str]] = {}
    for key, counter in seen.items():
        kept = [
            shape
            for shape, n in counter.items()
            if n >= MIN_SHAPE_COUNT
            and any(int(d) >= MIN_DIGIT_RUN for d in re.findall(r"9\{(\d+)\}", shape))
        ]
        if kept:
            out[key] = sorted(kept)
    return out


def _written_handle(raw: str, value: str) -> str:
    """The handle with its case as published (shapes need the capitals the value lost)."""
    i = raw.lower().rfind(value)
    return raw[i : i + len(value)] if i >= 0 else value


def _indicator_table(indicator_set: IndicatorSet) -> pa.Table:
    rows: dict[str, list[Any]] = {k: [] for k in ("value", "type", "platform", "source")}
    for ind in indicator_set.indicators:
        for source in ind.sources:
            rows["value"].append(ind.value)
            rows["type"].append(ind.type)
            rows["platform"].append(ind.platform)
            rows["source"].append(source)
    return pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})


def _shape_table(shapes: dict[tuple[str, str], list[str]]) -> pa.Table:
    flat = [(s, p, shape) for (s, p), kept in shapes.items() for shape in kept]
    return pa.table(
        {
            "source": pa.array([f[0] for f in flat], pa.string()),
            "platform": pa.array([f[1] for f in flat], pa.string()),
            "shape": pa.array([f[2] for f in flat], pa.string()),
        }
    )


def _exact_sql() -> str:
    plat = _PLATFORM.format(p="{t}.platform")
    agree = "(i.platform IS NULL OR i.platform = " + plat + ")"
    return f"""
    WITH ind AS (SELECT * FROM _hunt_ind),
    names AS (
        SELECT platform, account_id, lower(ltrim(handle, '@')) AS h FROM accounts
        WHERE handle IS NOT NULL
        UNION
        SELECT platform, account_id, lower(ltrim(handle, '@')) FROM account_names
        WHERE handle IS NOT NULL),
    handle_hits AS (
        SELECT n.platform, n.account_id, i.value AS indicator, i.type, i.source,
               NULL::VARCHAR AS post_id, NULL::BIGINT AS n_posts, n.h AS matched
        FROM ind AS i JOIN names AS n ON n.h = i.value
        WHERE i.type = 'handle' AND {agree.format(t="n")}),
    id_hits AS (
        SELECT a.platform, a.account_id, i.value, i.type, i.source,
               NULL::VARCHAR, NULL::BIGINT, a.account_id
        FROM ind AS i JOIN accounts AS a ON a.account_id = i.value
        WHERE i.type = 'account_id' AND {agree.format(t="a")}),
    post_urls AS (
        SELECT platform, account_id, post_id, unnest(urls) AS u FROM posts
        WHERE len(urls) > 0),
    url_posts AS (
        SELECT p.platform, p.account_id, p.post_id, i.value, i.type, i.source, p.u AS matched
        FROM post_urls AS p JOIN ind AS i ON p.u = i.value
        WHERE i.type = 'url' AND {agree.format(t="p")}),
    post_domains AS (
        SELECT platform, account_id, post_id, unnest(domains) AS d FROM posts
        WHERE len(domains) > 0),
    ind_domains AS (SELECT * FROM ind WHERE type = 'domain'),
    -- each distinct post domain with its parent domains: an equality join finds
    -- subdomains of an indicator domain without a LIKE scan
    suffixes AS (
        SELECT d, array_to_string(list_slice(parts, k, len(parts)), '.') AS suffix
        FROM (SELECT d, parts, unnest(range(1, greatest(len(parts), 2))) AS k
              FROM (SELECT d, string_split(d, '.') AS parts
                    FROM (SELECT DISTINCT d FROM post_domains)))),
    domain_match AS (
        SELECT s.d, i.value, i.type, i.source, i.platform
        FROM suffixes AS s JOIN ind_domains AS i ON s.suffix = i.value),
    domain_posts AS (
        SELECT p.platform, p.account_id, p.post_id, m.value, m.type, m.source, p.d AS matched
        FROM post_domains AS p JOIN domain_match AS m ON p.d = m.d
        WHERE (m.platform IS NULL OR m.platform = {_PLATFORM.format(p="p.platform")})),
    text_posts AS (
        SELECT p.platform, p.account_id, p.post_id, i.value, i.type, i.source,
               p.text_norm AS matched
        FROM posts AS p JOIN ind AS i ON p.text_norm = i.value
        WHERE i.type = 'text' AND {agree.format(t="p")}),
    post_hits AS (
        SELECT platform, account_id, value AS indicator, type, source,
               min(post_id) AS post_id, count(DISTINCT post_id) AS n_posts,
               min(matched) AS matched
        FROM (SELECT * FROM url_posts UNION ALL SELECT * FROM domain_posts
              UNION ALL SELECT * FROM text_posts)
        GROUP BY ALL)
    SELECT * FROM handle_hits UNION ALL SELECT * FROM id_hits
    UNION ALL SELECT * FROM post_hits"""


def _pattern_sql() -> str:
    shape = SHAPE_SQL.format(h="a.handle")
    return f"""
    SELECT a.platform, a.account_id, s.shape AS indicator, 'handle' AS type, s.source,
           NULL::VARCHAR AS post_id, NULL::BIGINT AS n_posts, a.handle AS matched
    FROM (SELECT platform, account_id, handle,
                 {_PLATFORM.format(p="platform")} AS plat FROM accounts
          WHERE handle IS NOT NULL AND regexp_matches(handle, '[0-9]{{{MIN_DIGIT_RUN}}}')
            AND {_PLATFORM.format(p="platform")} IN (SELECT platform FROM _hunt_shapes)) AS a
    JOIN _hunt_shapes AS s ON s.platform = a.plat AND s.shape = {shape}
    WHERE NOT EXISTS (SELECT 1 FROM _hunt_exact AS e
                      WHERE e.platform = a.platform AND e.account_id = a.account_id)"""


def hunt(case: Case, indicator_set: IndicatorSet, *, patterns: bool = True) -> HuntReport:
    """Find every account and post of the case that the indicators name.

    Writes ``hunt_hits`` (replaced on each run; columns HUNT_COLUMNS) and returns its rows,
    exact hits first. ``patterns`` adds the weaker handle-formula hits (see module docstring).
    """
    started = time.perf_counter()
    engine = case.engine
    shapes = formulas(indicator_set) if patterns else {}
    for name in ("_hunt_ind", "_hunt_shapes", "_hunt_exact"):
        engine.execute(f"DROP TABLE IF EXISTS temp.{name}")
    engine.insert_arrow("_hunt_ind", _indicator_table(indicator_set), temp=True)
    engine.execute(f"CREATE TEMP TABLE _hunt_exact AS {_exact_sql()}")
    parts = ["SELECT *, 'exact' AS match FROM _hunt_exact"]
    if shapes:
        engine.insert_arrow("_hunt_shapes", _shape_table(shapes), temp=True)
        parts.append(f"SELECT *, 'pattern' AS match FROM ({_pattern_sql()})")
    with engine.transaction():
        engine.execute(
            f"""CREATE OR REPLACE TABLE hunt_hits AS
            SELECT h.platform, h.account_id, a.handle, h.indicator,
                   h.type AS indicator_type, h.source, h.match, h.post_id, h.n_posts,
                   h.matched
            FROM ({" UNION ALL ".join(parts)}) AS h
            LEFT JOIN accounts AS a USING (platform, account_id)
            ORDER BY h.match, h.source, h.type, h.platform, h.account_id, h.indicator"""
        )
    for name in ("_hunt_ind", "_hunt_shapes", "_hunt_exact"):
        engine.execute(f"DROP TABLE IF EXISTS temp.{name}")
    hits = engine.fetch_arrow("SELECT * FROM hunt_hits").to_pylist()
    seconds = time.perf_counter() - started
    n = len(indicator_set.indicators)
    log.info("hunt: %d hits from %d indicators in %.2f s", len(hits), n, seconds)
    return HuntReport(hits, n, list(indicator_set.rejected), shapes, seconds)
