"""Cross-platform personas: one operator identity spread over several platforms.

Spamouflage runs the same personas on X, YouTube, Reddit, Medium, Tumblr and TikTok (Meta's
Q2 2023 takedown listed 35 X accounts, 66 Reddit, 48 Medium, 19 Tumblr and 5 TikTok accounts
beside 7,704 Facebook accounts; Google TAG on DRAGONBRIDGE; Graphika's "Spamouflage
Dragon" reports). A takedown report reads as a footprint: "40 X accounts, 12 YouTube
channels, 9 Reddit accounts". This tell links accounts on *different* platforms when the
evidence agrees, and writes the links to the findings table ``account_personas`` (``acct,
persona_id, basis``; ``persona_id`` is the smallest ``acct`` of the persona):

- ``handle``: the same normalised handle (lower case, letters and digits only) of at least
  ``min_handle`` characters with a letter, not a generic word, not a common person's name
  (first name + surname, surname + first name or initial + surname from the shipped name
  list of :mod:`cibscan.tells.names`, with up to four digits: many people are
  ``helen_hill``), and held by at most
  ``max_accounts`` accounts of any one platform (handles are unique on a platform, so a key
  that several accounts of one platform normalise to is a common name and links nobody);
- ``handle+name``: handles with Jaro-Winkler similarity of at least ``similarity`` *and* the
  same display name (names held by more than ``max_block`` accounts are not compared);
- ``image``: the same profile-image hash, held by at most ``max_accounts`` accounts of any one
  platform (default avatars are shared by thousands);
- ``bio``: a profile's description or URL links the other account (``youtube.com/@name``,
  ``reddit.com/user/name``, ``x.com/name``, ``tiktok.com/@name``, ...);
- ``content``: a significant coordination tie (``edges``) between two accounts on two
  platforms when neither has another tie on the other's platform (a cluster spanning
  platforms is many people, not one persona) and neither has a link above (mirrors of
  several personas post the same texts: such ties chained personas together).
Personas holding more than ``max_accounts`` accounts of one platform are chains of
coincidences, not one identity, and are dropped.

Personas are the connected components of these links (union-find over the links, a bounded
set: never over posts). The tell's strength is the persona's coordination evidence: an
account in a persona spanning at least two platforms gets the strongest tie strength
(``edges.strength``, ``-log10 q``) of any persona member that is in a coordination cluster, so
a YouTube channel without ties of its own inherits the evidence of its X twin. Organic
look-alikes: a brand with one handle on five platforms is a persona (recorded in
``account_personas``) but none of its accounts is in a cluster, so it gets no score; two
people named John Smith with different handles and photos are not linked.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from cibscan.engine import Engine
from cibscan.engine.base import Dialect, replace_table
from cibscan.score.base import score_sql
from cibscan.signals.base import Param
from cibscan.tells.base import Tell, TellContext, register
from cibscan.tells.names import LAST_TABLE, full_name_splits_sql, load_name_tables

log = logging.getLogger(__name__)

PERSONAS_DDL = """CREATE TABLE account_personas (
    acct BIGINT, persona_id BIGINT, basis STRING)"""

#: handles too generic to identify anyone on their own
_GENERIC = (
    "admin official news support music gaming video videos channel china world media "
    "info user users deleted anonymous unknown null none test hello online daily today "
    "store shop global radio sports people truth freedom"
)
GENERIC_HANDLES = frozenset(_GENERIC.split(" "))

#: profile links: (pattern over the lower-cased bio, platform it points to)
BIO_LINKS = (
    (r"youtube\.com/(?:@|c/|user/|channel/)([a-z0-9_.\-]+)", "youtube"),
    (r"reddit\.com/(?:u|user)/([a-z0-9_\-]+)", "reddit"),
    (r"(?:twitter|x)\.com/(?:@)?([a-z0-9_]+)", "twitter"),
    (r"tiktok\.com/@([a-z0-9_.]+)", "tiktok"),
    (r"t\.me/([a-z0-9_]+)", "telegram"),
    (r"bsky\.app/profile/([a-z0-9_.\-]+)", "bluesky"),
)


def _links_sql(dialect: Dialect, params: Mapping[str, Any]) -> str:
    """Candidate links ``(a, b, basis)`` between accounts on different platforms."""
    generic = ", ".join(f"'{w}'" for w in sorted(GENERIC_HANDLES))
    max_accounts, min_handle = int(params["max_accounts"]), int(params["min_handle"])
    similarity = float(params["similarity"])
    bios = " UNION ALL ".join(
        f"""SELECT acct, platform, '{platform}' AS target,
                   {dialect.explode(dialect.regexp_extract_all("bio", pattern, 1))} AS ref
            FROM profiles"""
        for pattern, platform in BIO_LINKS
    )
    handle = dialect.regexp_replace_all("lower(coalesce(a.handle, i.account_id))", "[^a-z0-9]", "")
    spaced = dialect.regexp_replace_all("a.display_name", r"\s+", " ")
    word = dialect.regexp_extract("handle", "^([a-z]+?)[0-9]{0,4}$", 1)
    splits = full_name_splits_sql(dialect, "letters", "handle", "word", 1, 16)
    # a tie is identity only both ways (below)
    alone = "QUALIFY count(*) OVER (PARTITION BY x, y_platform) = 1"
    return f"""WITH profiles AS (
        SELECT i.acct, i.platform, i.account_id, {handle} AS handle,
               lower(trim({spaced})) AS name,
               a.profile_image_hash AS image,
               lower(coalesce(a.description, '') || ' ' || coalesce(a.url, '')) AS bio,
               lower(a.handle) AS raw_handle
        FROM account_index AS i LEFT JOIN accounts AS a USING (platform, account_id)),
    letters AS (
        SELECT DISTINCT handle, {word} AS word
        FROM profiles WHERE handle IS NOT NULL),
    -- handles that are a common person's name (helen_hill, jsmith, smithjohn12) are held by
    -- many unrelated people across platforms: alone they link nobody
    namelike AS (
        SELECT key AS handle FROM ({splits}) AS s
        UNION SELECT handle FROM letters  -- an initial and a surname: jsmith
        WHERE length(word) > 1 AND substr(word, 2) IN (SELECT name FROM {LAST_TABLE})),
    handles AS (
        SELECT * FROM profiles
        WHERE length(handle) >= {min_handle} AND {dialect.regexp_contains("handle", "[a-z]")}
          AND handle NOT IN ({generic})
          AND handle NOT IN (SELECT handle FROM namelike)
        QUALIFY count(*) OVER (PARTITION BY handle, platform) <= {max_accounts}),
    named AS (
        SELECT * FROM profiles WHERE length(name) >= 3 AND length(handle) >= 3
        QUALIFY count(*) OVER (PARTITION BY name) <= {int(params["max_block"])}),
    images AS (
        SELECT * FROM profiles WHERE image IS NOT NULL AND image <> ''
        QUALIFY count(*) OVER (PARTITION BY image, platform) <= {max_accounts}),
    refs AS (SELECT * FROM ({bios}) AS b WHERE ref IS NOT NULL AND ref <> ''),
    ties AS (
        SELECT e.a AS x, e.b AS y, ib.platform AS y_platform FROM edges AS e
        JOIN account_index AS ia ON ia.acct = e.a JOIN account_index AS ib ON ib.acct = e.b
        WHERE ia.platform <> ib.platform
        UNION ALL
        SELECT e.b, e.a, ia.platform FROM edges AS e
        JOIN account_index AS ia ON ia.acct = e.a JOIN account_index AS ib ON ib.acct = e.b
        WHERE ia.platform <> ib.platform),
    -- a tie is identity only between two accounts that have no other tie on the other's
    -- platform: a cluster spanning platforms is many people, not one persona
    unique_ties AS (
        SELECT * FROM (SELECT x AS a, y AS b FROM ties {alone}) AS f
        INTERSECT
        SELECT * FROM (SELECT y AS a, x AS b FROM ties {alone}) AS r),
    identity AS (
        SELECT x.acct AS a, y.acct AS b, 'handle' AS basis FROM handles AS x
        JOIN handles AS y ON x.handle = y.handle AND x.platform < y.platform
        UNION ALL
        SELECT x.acct, y.acct, 'handle+name' FROM named AS x
        JOIN named AS y ON x.name = y.name AND x.platform < y.platform
        WHERE {dialect.jaro_winkler("x.handle", "y.handle")} >= {similarity}
        UNION ALL
        SELECT x.acct, y.acct, 'image' FROM images AS x
        JOIN images AS y ON x.image = y.image AND x.platform < y.platform
        UNION ALL
        SELECT r.acct, p.acct, 'bio' FROM refs AS r JOIN profiles AS p
          ON p.platform = r.target AND p.platform <> r.platform
         AND (p.raw_handle = r.ref OR lower(p.account_id) = r.ref)),
    identified AS (SELECT a AS acct FROM identity UNION SELECT b FROM identity),
    -- a coordination tie links only accounts with no identity link of their own: mirrors
    -- of several personas post the same texts on several platforms, and their ties across
    -- platforms chained different personas into one (dropped then as too many accounts of
    -- one platform, taking their handle links with them)
    links AS (
        SELECT * FROM identity
        UNION ALL
        SELECT a, b, 'content' FROM unique_ties
        WHERE a NOT IN (SELECT acct FROM identified) AND b NOT IN (SELECT acct FROM identified))
    SELECT least(a, b) AS a, greatest(a, b) AS b, {dialect.string_agg_sorted("basis", ";")} AS basis
    FROM links WHERE a <> b GROUP BY least(a, b), greatest(a, b)"""


def _components(links: list[tuple[int, int]]) -> dict[int, int]:
    """Union-find over the links: each account's persona id (its component's smallest acct)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def build_personas(engine: Engine, params: Mapping[str, Any]) -> int:
    """Write ``account_personas``; return the number of personas."""
    engine.drop_table("account_personas")
    engine.execute(PERSONAS_DDL)
    load_name_tables(engine)
    engine.create_scratch("_xp_links", _links_sql(engine, params))
    links = [(int(a), int(b)) for a, b in engine.fetchall("SELECT a, b FROM _xp_links")]
    persona = _components(links)
    if persona:
        table = pa.table(
            {
                "acct": pa.array(list(persona), pa.int64()),
                "persona_id": pa.array(list(persona.values()), pa.int64()),
            }
        )
        engine.drop_table("_xp_members")
        engine.insert_arrow("_xp_members", table, temp=True)
        basis = engine.explode(engine.string_split("l.basis", ";"))
        # each member's bases (every member has a link); a chain of links holding several
        # accounts of one platform is not one identity
        replace_table(
            engine,
            "account_personas",
            f"""WITH bases AS (
                SELECT m.acct, m.persona_id, {basis} AS basis
                FROM _xp_members AS m JOIN _xp_links AS l ON l.a = m.acct OR l.b = m.acct),
            members AS (
                SELECT acct, persona_id, {engine.string_agg_sorted("basis", ";")} AS basis
                FROM bases GROUP BY acct, persona_id),
            crowded AS (
                SELECT p.persona_id FROM members AS p JOIN account_index USING (acct)
                GROUP BY p.persona_id, platform HAVING count(*) > {int(params["max_accounts"])})
            SELECT * FROM members WHERE persona_id NOT IN (SELECT persona_id FROM crowded)
            ORDER BY persona_id, acct""",
        )
        engine.drop_table("_xp_members")
    engine.drop_table("_xp_links")
    return int(engine.fetchall("SELECT count(DISTINCT persona_id) FROM account_personas")[0][0])


class CrossPlatform(Tell):
    #: one persona on several platforms is identity, not inauthenticity (a brand does it):
    #: it links a twin to its cluster but adds nothing to the cluster's evidence
    corroborates = False
    name = "cross_platform"
    title = "Persona spanning platforms, tied to a coordination cluster"
    description = (
        "Accounts on different platforms linked into one persona (same handle, similar "
        "handle and same name, same profile image, a bio link, or a coordination tie; table "
        "account_personas) where a persona member is in a coordination cluster: the account "
        "inherits that member's strongest tie."
    )
    reads = ()
    params = (
        Param("min_handle", "int", 5, "Fewest characters of a handle that links alone.", minimum=3),
        Param(
            "similarity",
            "float",
            0.9,
            "Smallest Jaro-Winkler similarity of handles that, with the same display name, link.",
            minimum=0.5,
            maximum=1,
        ),
        Param(
            "max_accounts",
            "int",
            2,
            "Most accounts of one platform sharing a handle or image that still link.",
            minimum=2,
        ),
        Param(
            "max_block",
            "int",
            50,
            "Most accounts sharing a display name that are compared.",
            minimum=2,
        ),
    )

    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        n = build_personas(engine, params)
        detail = engine.printf(
            "one persona of %d accounts on %s (linked by %s); a member is in coordination "
            "cluster %d",
            *("p.n_accounts", "p.platforms", "m.basis", "p.cluster_id"),
        )
        engine.execute(
            f"""INSERT INTO {ctx.table} BY NAME
            WITH ties AS (
                SELECT acct, max(strength) AS tie
                FROM (SELECT a AS acct, strength FROM edges
                      UNION ALL SELECT b, strength FROM edges) AS e
                GROUP BY acct),
            members AS (
                SELECT p.persona_id, p.acct, p.basis, i.platform, c.cluster_id, t.tie
                FROM account_personas AS p JOIN account_index AS i USING (acct)
                LEFT JOIN account_clusters AS c USING (acct)
                LEFT JOIN ties AS t USING (acct)),
            personas AS (
                SELECT persona_id, count(DISTINCT platform) AS n_platforms,
                       {engine.string_agg_sorted("platform", ", ")} AS platforms,
                       count(*) AS n_accounts,
                       max(tie) FILTER (WHERE cluster_id IS NOT NULL) AS strength,
                       min(cluster_id) AS cluster_id
                FROM members GROUP BY persona_id)
            SELECT m.acct, '{self.name}' AS tell, p.strength,
                   {score_sql("p.strength")} AS score,
                   {detail} AS detail,
                   p.cluster_id
            FROM members AS m JOIN personas AS p USING (persona_id)
            WHERE p.n_platforms >= 2 AND p.strength > 0"""
        )
        log.info("cross_platform: %d personas", n)


register(CrossPlatform())
