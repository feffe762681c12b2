"""A library of known networks: one portable DuckDB file of fingerprints.

An analyst who has confirmed a network stores its fingerprint once (``cibscan library add``)
and checks every later case against it (``cibscan match``). The library is a single DuckDB
file (``LIB`` may also name a folder, which then holds ``library.duckdb``), so it is copied,
mailed and versioned like any file. Its tables (format version :data:`FORMAT_VERSION`):

- ``library_meta(key, value)``: ``format``, ``format_version``, ``created_by_version``,
  ``minhash_probe`` (the engine's hash of a fixed string: signatures made where it differs
  are recomputed from the stored texts, so a library survives an engine upgrade);
- ``networks(network, version, description, source, n_members, platforms, created_at,
  updated_at, cibscan_version)``: one row per network; ``version`` grows on each replace;
- ``network_members(network, platform, account_id, handle, display_name)``: the accounts
  themselves (they are matched by identity when they reappear);
- ``network_facets(network, facet, total)`` and ``network_features(network, facet, feature,
  n, example)``: per facet, how many members (or posts, for a distribution facet) had each
  feature; ``total`` is what ``n`` is out of;
- ``network_texts(network, entity, family, text, n, m0..m31)``: the network's distinct
  texts with their family and MinHash signature.

Nothing in a library refers to the case it came from except ``networks.source`` (a
description), so networks from many cases and machines live side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cibscan import __version__
from cibscan.detect.inputs import derived_sql, is_repost_sql
from cibscan.engine import Engine
from cibscan.engine.base import scratch
from cibscan.match.base import Facet, FacetContext, facets
from cibscan.match.text_index import HASH_PROBE, N_BINS
from cibscan.store.labels import cluster_members, current_labels_sql, resolve_accounts

log = logging.getLogger(__name__)

FORMAT = "cibscan-library"
FORMAT_VERSION = 1
LIB = "lib"

_DDL = (
    "CREATE TABLE IF NOT EXISTS {lib}.library_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS {lib}.networks (
        network VARCHAR PRIMARY KEY, version INTEGER, description VARCHAR, source VARCHAR,
        n_members BIGINT, platforms VARCHAR[], created_at TIMESTAMPTZ,
        updated_at TIMESTAMPTZ, cibscan_version VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS {lib}.network_members (
        network VARCHAR, platform VARCHAR, account_id VARCHAR, handle VARCHAR,
        display_name VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS {lib}.network_facets "
    "(network VARCHAR, facet VARCHAR, total BIGINT)",
    """CREATE TABLE IF NOT EXISTS {lib}.network_features (
        network VARCHAR, facet VARCHAR, feature VARCHAR, n BIGINT, example VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS {lib}.network_texts (network VARCHAR, entity BIGINT, "
    "family BIGINT, text VARCHAR, n INTEGER, "
    + ", ".join(f"m{b} UBIGINT" for b in range(N_BINS))
    + ")",
)

_NETWORK_TABLES = ("network_members", "network_facets", "network_features", "network_texts")


class LibraryError(ValueError):
    """A library cannot be opened or changed as asked."""


@dataclass
class NetworkSummary:
    """One network of a library, as ``library list`` shows it."""

    network: str
    version: int
    n_members: int
    platforms: list[str]
    source: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime


def library_file(path: str | Path) -> Path:
    """The DuckDB file of a library given as a file or a folder."""
    p = Path(path)
    if p.is_dir() or str(path).endswith(("/", "\\")):
        return p / "library.duckdb"
    return p


@contextmanager
def attached(engine: Engine, path: str | Path, *, write: bool = False) -> Iterator[str]:
    """Attach the library to ``engine`` as ``lib`` for the duration (created when writing
    and absent); yields the catalog name."""
    file = library_file(path)
    if not file.exists():
        if not write:
            raise LibraryError(f"{file}: no such library (create one with 'cibscan library add')")
        file.parent.mkdir(parents=True, exist_ok=True)
    quoted = str(file).replace("'", "''")
    mode = "" if write else " (READ_ONLY)"
    try:
        engine.execute(f"ATTACH '{quoted}' AS {LIB}{mode}")
    except Exception as exc:  # duckdb's IOException and friends, reworded
        raise LibraryError(f"{file}: not a cibscan library ({exc})") from exc
    try:
        _check_or_init(engine, file, write=write)
        yield LIB
    finally:
        engine.execute(f"DETACH {LIB}")


def _check_or_init(engine: Engine, file: Path, *, write: bool) -> None:
    tables = {
        r[0]
        for r in engine.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?", [LIB]
        )
    }
    if "library_meta" in tables:
        meta = dict(engine.fetchall(f"SELECT key, value FROM {LIB}.library_meta"))
        if meta.get("format") != FORMAT:
            raise LibraryError(f"{file}: not a cibscan library")
        if int(meta.get("format_version", "0")) > FORMAT_VERSION:
            raise LibraryError(
                f"{file}: library format {meta['format_version']} was written by cibscan "
                f"{meta.get('created_by_version')}; this cibscan reads format {FORMAT_VERSION}"
            )
        return
    if tables or not write:
        raise LibraryError(f"{file}: not a cibscan library")
    for ddl in _DDL:
        engine.execute(ddl.format(lib=LIB))
    probe = str(engine.fetchall("SELECT hash(?)", [HASH_PROBE])[0][0])
    engine.execute(
        f"INSERT INTO {LIB}.library_meta VALUES ('format', ?), ('format_version', ?), "
        "('created_by_version', ?), ('minhash_probe', ?)",
        [FORMAT, str(FORMAT_VERSION), __version__, probe],
    )


def build_scratch(engine: Engine, members: str | None = None) -> None:
    """``_mx_acc`` and ``_mx_posts`` (:mod:`cibscan.match.base`) for every account of the
    case, or only for those in the table ``members(platform, account_id)``."""
    only = f"JOIN {members} AS m USING (platform, account_id)" if members else ""
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE _mx_acc AS
        WITH keys AS (
            SELECT DISTINCT platform, account_id FROM (
                SELECT platform, account_id FROM accounts
                UNION ALL SELECT platform, account_id FROM posts
                WHERE account_id IS NOT NULL) AS k {only})
        SELECT row_number() OVER (ORDER BY k.platform, k.account_id) AS acct,
               k.platform, k.account_id, a.handle, a.display_name, a.created_at
        FROM keys AS k LEFT JOIN (
            SELECT platform, account_id, arg_max(handle, snapshot_at) AS handle,
                   arg_max(display_name, snapshot_at) AS display_name,
                   min(created_at) AS created_at
            FROM accounts GROUP BY platform, account_id) AS a USING (platform, account_id)"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE _mx_posts AS
        SELECT a.acct, p.post_id, p.created_at AS t,
               {derived_sql(engine, "text_words")} AS text_words, {is_repost_sql("p")} AS is_repost,
               p.urls, p.domains, p.hashtags, p.mentions, p.media, p.reply_to_account,
               p.repost_of_account, p.client, p.language
        FROM posts AS p JOIN _mx_acc AS a USING (platform, account_id)"""
    )


#: the scratch tables of :func:`build_scratch` and the fingerprint
SCRATCH_TABLES = ("_mx_acc", "_mx_posts", "_mx_members", "_mx_fp", "_mx_fp_tot")


def facet_scratch(chosen: list[Facet]) -> tuple[str, ...]:
    """Every scratch table of a match or a fingerprint with the facets ``chosen``."""
    return (*SCRATCH_TABLES, *(t for facet in chosen for t in facet.scratch_tables))


def network_members(
    engine: Engine,
    *,
    clusters: list[int] | None = None,
    accounts: list[str] | None = None,
    confirmed: bool = False,
) -> list[tuple[str, str]]:
    """The accounts a new network is made of: clusters of the latest run, accounts given as
    ``PLATFORM:ID`` and, with ``confirmed``, every account the analysts confirmed."""
    keys: list[tuple[str, str]] = []
    for cluster in clusters or []:
        keys += cluster_members(engine, cluster)
    keys += resolve_accounts(engine, accounts or [])
    if confirmed:
        if not engine.table_exists("labels"):
            raise ValueError("the case has no labels: confirm accounts with 'cibscan label'")
        keys += [
            (str(p), str(a))
            for p, a in engine.fetchall(
                f"SELECT platform, account_id FROM ({current_labels_sql()}) "
                "WHERE verdict = 'confirmed' ORDER BY platform, account_id"
            )
        ]
    unique = list(dict.fromkeys(keys))
    if not unique:
        raise ValueError("no accounts: give --cluster, --account or --confirmed")
    return unique


def fingerprint(engine: Engine, lib: str, network: str, chosen: list[Facet]) -> None:
    """Compute the facets of the accounts in ``_mx_members`` into ``_mx_fp`` and
    ``_mx_fp_tot`` (facet, total); text families stay in scratch tables for ``store``."""
    build_scratch(engine, "_mx_members")
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE _mx_fp "
        "(facet VARCHAR, feature VARCHAR, n BIGINT, example VARCHAR)"
    )
    engine.execute("CREATE OR REPLACE TEMP TABLE _mx_fp_tot (facet VARCHAR, total BIGINT)")
    n_members = int(engine.fetchall("SELECT count(*) FROM _mx_acc")[0][0])
    days = int(
        engine.fetchall(
            "SELECT count(DISTINCT floor(epoch(t) / 86400)) FROM _mx_posts WHERE t IS NOT NULL"
        )[0][0]
    )
    ctx = FacetContext(engine, "fingerprint", lib, network)
    for facet in chosen:
        if days < facet.min_days:
            log.info(
                "%s: facet %s left out: the posts cover %d days, it needs %d",
                network, facet.name, days, facet.min_days,
            )  # fmt: skip
            continue
        facet.prepare(ctx)
        rows = facet.features_sql(ctx)
        # a set facet counts members with the feature; a distribution counts units
        n = "count(*)" if facet.levels else "count(DISTINCT acct)"
        engine.execute(
            f"""INSERT INTO _mx_fp
            SELECT ?, feature, {n}, feature FROM ({rows}) AS f GROUP BY feature""",
            [facet.name],
        )
        total = f"(SELECT count(*) FROM ({rows}) AS f)" if facet.levels else str(n_members)
        engine.execute(f"INSERT INTO _mx_fp_tot SELECT ?, {total}", [facet.name])
    if any(facet.name == "text" for facet in chosen):
        # a text family is shown by one of its texts, not by its number
        engine.execute(
            """UPDATE _mx_fp SET example = t.text FROM (
                   SELECT 'family ' || f.family AS feature,
                          arg_min(x.text_norm, x.entity) AS text
                   FROM _mx_texts AS x JOIN _mx_tfam AS f USING (entity)
                   GROUP BY f.family) AS t
               WHERE _mx_fp.facet = 'text' AND _mx_fp.feature = t.feature"""
        )


def add_network(
    engine: Engine,
    library: str | Path,
    name: str,
    members: list[tuple[str, str]],
    *,
    description: str | None = None,
    source: str | None = None,
    replace: bool = False,
) -> NetworkSummary:
    """Fingerprint ``members`` of the case open in ``engine`` into the library as ``name``."""
    if not name.strip():
        raise ValueError("a network needs a name")
    chosen = list(facets().values())
    with attached(engine, library, write=True) as lib:
        previous = engine.fetchall(f"SELECT version FROM {lib}.networks WHERE network = ?", [name])
        if previous and not replace:
            raise LibraryError(
                f"network {name!r} is already in the library (version {previous[0][0]}); "
                "use --replace to store a new version"
            )
        engine.execute(
            "CREATE OR REPLACE TEMP TABLE _mx_members (platform VARCHAR, account_id VARCHAR)"
        )
        engine.execute(
            "INSERT INTO _mx_members SELECT * FROM (VALUES "
            + ", ".join("(?, ?)" for _ in members)
            + ")",
            [v for key in members for v in key],
        )
        with scratch(engine, *facet_scratch(chosen)):
            fingerprint(engine, lib, name, chosen)
            version = int(previous[0][0]) + 1 if previous else 1
            now = datetime.now(UTC)
            with engine.transaction():
                for table in ("networks", *_NETWORK_TABLES):
                    engine.execute(f"DELETE FROM {lib}.{table} WHERE network = ?", [name])
                _store(engine, lib, name, chosen, version, description, source, now)
        summary = network_summaries(engine, lib, name)[0]
    log.info("library: stored %s v%d (%d members)", name, version, summary.n_members)
    return summary


def _store(
    engine: Engine,
    lib: str,
    name: str,
    chosen: list[Facet],
    version: int,
    description: str | None,
    source: str | None,
    now: datetime,
) -> None:
    engine.execute(
        f"""INSERT INTO {lib}.networks
        SELECT ?, ?, ?, ?, count(*), list(DISTINCT platform ORDER BY platform), ?, ?, ?
        FROM _mx_acc""",
        [name, version, description, source, now, now, __version__],
    )
    engine.execute(
        f"""INSERT INTO {lib}.network_members
        SELECT ?, platform, account_id, handle, display_name FROM _mx_acc""",
        [name],
    )
    engine.execute(
        f"INSERT INTO {lib}.network_facets SELECT ?, facet, total FROM _mx_fp_tot", [name]
    )
    engine.execute(
        f"INSERT INTO {lib}.network_features SELECT ?, facet, feature, n, example FROM _mx_fp",
        [name],
    )
    for facet in chosen:
        facet.store(FacetContext(engine, "fingerprint", lib, name))


def network_summaries(engine: Engine, lib: str, name: str | None = None) -> list[NetworkSummary]:
    where = "WHERE network = ?" if name is not None else ""
    rows = engine.fetchall(
        f"""SELECT network, version, n_members, platforms, source, description, created_at,
                   updated_at
            FROM {lib}.networks {where} ORDER BY network""",
        [name] if name is not None else None,
    )
    return [NetworkSummary(*row) for row in rows]


def list_networks(engine: Engine, library: str | Path) -> list[NetworkSummary]:
    """The networks of a library, by name."""
    with attached(engine, library) as lib:
        return network_summaries(engine, lib)


def show_network(engine: Engine, library: str | Path, name: str, top: int = 8) -> dict[str, Any]:
    """A network's summary, members and strongest features per facet (most members first)."""
    with attached(engine, library) as lib:
        found = network_summaries(engine, lib, name)
        if not found:
            raise LibraryError(f"no network {name!r} in the library")
        facets_rows = engine.fetch_arrow(
            f"""SELECT f.facet, t.total, count(*) AS features,
                       list({{'feature': f.feature, 'n': f.n, 'example': left(f.example, 120)}}
                            ORDER BY f.n DESC, f.feature)[1:{int(top)}] AS top
                FROM {lib}.network_features AS f
                JOIN {lib}.network_facets AS t USING (network, facet)
                WHERE f.network = ? GROUP BY f.facet, t.total ORDER BY f.facet""",
            [name],
        ).to_pylist()
        members = engine.fetch_arrow(
            f"""SELECT platform, account_id, handle, display_name FROM {lib}.network_members
                WHERE network = ? ORDER BY platform, account_id""",
            [name],
        ).to_pylist()
    return {"network": found[0].__dict__, "facets": facets_rows, "members": members}


def remove_network(engine: Engine, library: str | Path, name: str) -> None:
    """Delete a network and everything stored about it."""
    with attached(engine, library, write=True) as lib:
        if not network_summaries(engine, lib, name):
            raise LibraryError(f"no network {name!r} in the library")
        with engine.transaction():
            for table in ("networks", *_NETWORK_TABLES):
                engine.execute(f"DELETE FROM {lib}.{table} WHERE network = ?", [name])
    log.info("library: removed %s", name)
