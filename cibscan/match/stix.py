"""A known network as a STIX 2.1 bundle, and back.

Threat-intelligence teams share networks as STIX. ``cibscan library export`` writes one
network as an ``intrusion-set`` with an ``indicator`` per member account (a
``user-account`` pattern, the same as the findings bundle's, :mod:`cibscan.export.stix`),
per website domain and per URL it posted more than once, each ``indicates`` the
intrusion-set, plus the members' ``user-account`` objects. ``cibscan hunt`` on another
machine reads it with :func:`cibscan.match.indicators.read_indicators`, and ``cibscan
library add --stix`` imports it as a network whose fingerprint is what STIX can carry: its
members (matched by identity), domains and URLs. Habits (texts, schedule, formulas) do not
travel in STIX; copy the library file for those.

Platform domains (twitter.com, youtube.com ...) are not exported as domain indicators: a
network posting YouTube links says nothing about youtube.com.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import stix2

from cibscan import __version__
from cibscan.engine import DuckDBEngine
from cibscan.export.stix_objects import (
    DEFAULT_TLP,
    account_pattern,
    escape_pattern_string,
    extension_definition,
    producer,
    sdo_id,
    tlp_marking,
    user_account,
)
from cibscan.match.indicator_values import platform_of_host
from cibscan.match.indicators import Indicator, read_indicators
from cibscan.match.library import LibraryError, NetworkSummary, attached, network_summaries

log = logging.getLogger(__name__)

#: a URL is exported as an indicator when at least this many members posted it
URL_MIN_MEMBERS = 2


def export_network(library: str | Path, name: str, out: str | Path, tlp: str = DEFAULT_TLP) -> int:
    """Write network ``name`` as a STIX 2.1 bundle marked ``tlp`` (TLP 2.0); return the
    number of objects."""
    engine = DuckDBEngine()
    try:
        with attached(engine, library) as lib:
            found = network_summaries(engine, lib, name)
            if not found:
                raise LibraryError(f"no network {name!r} in the library")
            members = engine.fetch_arrow(
                f"""SELECT platform, account_id, handle, display_name
                    FROM {lib}.network_members WHERE network = ?
                    ORDER BY platform, account_id, handle""",
                [name],
            ).to_pylist()
            sites = engine.fetchall(
                f"""SELECT facet, feature FROM {lib}.network_features
                    WHERE network = ? AND (facet = 'domain' OR (facet = 'url' AND n >= ?))
                    ORDER BY facet, feature""",
                [name, URL_MIN_MEMBERS],
            )
    finally:
        engine.close()
    bundle = _bundle(found[0], members, sites, tlp)
    Path(out).write_text(bundle.serialize(indent=1), encoding="utf-8")
    log.info("exported %s: %d objects", name, len(bundle.objects))
    return len(bundle.objects)


def _bundle(net: NetworkSummary, members: list[dict[str, Any]], sites: list[Any], tlp: str) -> Any:
    me = producer()
    marking = tlp_marking(tlp)
    stamp = net.updated_at.astimezone(UTC)
    common = {
        "created": stamp,
        "modified": stamp,
        "created_by_ref": me.id,
        "object_marking_refs": [marking.id],
    }
    intrusion = stix2.IntrusionSet(
        id=sdo_id("intrusion-set", "library", net.network, net.version),
        name=net.network,
        description=net.description or f"Known network {net.network} (cibscan library)",
        **common,
    )
    objects: list[Any] = [me, marking, extension_definition(me.id), intrusion]

    def indicate(pattern: str, label: str) -> None:
        indicator = stix2.Indicator(
            id=sdo_id("indicator", net.network, pattern),
            name=label,
            description=f"{label}, from the cibscan library network {net.network}",
            pattern=pattern,
            pattern_type="stix",
            valid_from=stamp,
            indicator_types=["malicious-activity"],
            **common,
        )
        objects.append(indicator)
        objects.append(
            stix2.Relationship(
                id=sdo_id("relationship", "indicates", indicator.id, intrusion.id),
                relationship_type="indicates",
                source_ref=indicator.id,
                target_ref=intrusion.id,
                **common,
            )
        )

    for m in members:
        platform = str(m["platform"]).lower()
        if m["account_id"] or m["handle"]:
            objects.append(
                user_account(
                    platform,
                    m["account_id"],
                    m["handle"],
                    m["display_name"],
                    markings=[marking.id],
                )
            )
            pattern = account_pattern(platform, m["account_id"] or "", m["handle"])
            indicate(pattern, f"{platform} account of {net.network}")
    for facet, feature in sites:
        if facet == "domain":
            if platform_of_host(feature) or "." not in feature:
                continue
            indicate(f"[domain-name:value = '{escape_pattern_string(feature)}']", "domain")
        else:
            indicate(f"[url:value = '{escape_pattern_string(feature)}']", "url")
    return stix2.Bundle(
        objects=objects, id=sdo_id("bundle", sorted(o.id for o in objects)), allow_custom=False
    )


def import_network(
    path: str | Path,
    library: str | Path,
    name: str,
    *,
    description: str | None = None,
    replace: bool = False,
) -> NetworkSummary:
    """Store the indicators of a STIX bundle (or any indicator file ``cibscan hunt`` reads)
    as network ``name``: its accounts as members, its domains and URLs as features."""
    found = read_indicators([path])
    accounts = [i for i in found.indicators if i.type in ("handle", "account_id") and i.platform]
    sites = [i for i in found.indicators if i.type in ("domain", "url")]
    if not accounts and not sites:
        raise ValueError(f"{path}: no account, domain or URL indicator to import")
    engine = DuckDBEngine()
    now = datetime.now(UTC)
    try:
        with attached(engine, library, write=True) as lib:
            previous = engine.fetchall(
                f"SELECT version FROM {lib}.networks WHERE network = ?", [name]
            )
            if previous and not replace:
                raise LibraryError(
                    f"network {name!r} is already in the library (version "
                    f"{previous[0][0]}); use --replace to store a new version"
                )
            version = int(previous[0][0]) + 1 if previous else 1
            members = _pair_accounts(accounts)
            n = max(len(members), 1)
            with engine.transaction():
                for table in (
                    "networks",
                    "network_members",
                    "network_facets",
                    "network_features",
                    "network_texts",
                ):
                    engine.execute(f"DELETE FROM {lib}.{table} WHERE network = ?", [name])
                platforms = sorted({str(i.platform) for i in accounts})
                engine.execute(
                    f"INSERT INTO {lib}.networks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [name, version, description, f"STIX {Path(path).name}", len(members),
                     platforms, now, now, __version__],
                )  # fmt: skip
                for platform, ident, handle in members:
                    engine.execute(
                        f"INSERT INTO {lib}.network_members VALUES (?, ?, ?, ?, NULL)",
                        [name, platform, ident, handle],
                    )
                # an indicator is something the network used: every member "had" it
                for facet in ("domain", "url"):
                    engine.execute(
                        f"INSERT INTO {lib}.network_facets VALUES (?, ?, ?)", [name, facet, n]
                    )
                for i in sites:
                    engine.execute(
                        f"INSERT INTO {lib}.network_features VALUES (?, ?, ?, ?, ?)",
                        [name, i.type, i.value, n, i.raw],
                    )
            summary = network_summaries(engine, lib, name)[0]
    finally:
        engine.close()
    log.info(
        "imported %s from %s: %d accounts, %d sites", name, path, summary.n_members, len(sites)
    )
    return summary


def _pair_accounts(accounts: list[Indicator]) -> list[tuple[str, str | None, str | None]]:
    """(platform, account_id, handle) of each account: a handle and an id read from one
    STIX object (one ``raw``) on one platform are one account, not two members."""
    groups: dict[tuple[str, str], list[Indicator]] = {}
    for i in accounts:
        groups.setdefault((str(i.platform), i.raw), []).append(i)
    members: list[tuple[str, str | None, str | None]] = []
    for (platform, _), group in groups.items():
        ids = [i.value for i in group if i.type == "account_id"]
        handles = [i.value for i in group if i.type == "handle"]
        if len(ids) == 1 and len(handles) == 1:
            members.append((platform, ids[0], handles[0]))
        else:
            members += [(platform, v, None) for v in ids] + [(platform, None, v) for v in handles]
    return members
