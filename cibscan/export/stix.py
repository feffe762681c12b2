"""The findings as a STIX 2.1 bundle, for threat-intelligence platforms (OpenCTI, MISP).

Analysts share influence operations as STIX: one bundle per case carries, for every
flagged cluster, an ``intrusion-set`` with its ``campaign`` waves, the accounts
(``user-account`` SCOs and ``indicator`` patterns), the DISARM/Meta techniques its signals
and its members' tells evidence (``attack-pattern``), the people it addresses
(``identity``) and the evidence itself (``observed-data`` with a ``sighting``), all under
one TLP 2.0 marking. The object model and caps are documented in docs/outputs.md ("STIX
bundle"); ids, extensions and markings in :mod:`cibscan.export.stix_objects`. The bundle
validates with zero errors and warnings in stix2-validator (a test runs it).

Campaigns are the activity of the flagged accounts *while* they were part of the
operation: a hijacked or bought account's posts from before its takeover (before the last
silence of at least the ``repurposed`` tell's ``min_gap`` ahead of its first coordinated
action) are not a wave of the network.

Determinism, so that golden files and diffs work: ids are derived from the case's content,
and every timestamp comes from the data or from the detect run's ``ended_at``, never from
the clock. Static objects (the producer identity, the extension-definition and the
attack-patterns) carry a fixed date, so they are the same object in every bundle.

The bundle is built in memory (it grows with the flagged accounts, three objects each, and
the capped per-cluster evidence: megabytes even for tens of thousands of flagged accounts)
and streamed to the file by stix2's ``fp_serialize`` with an indent, keys in stix2's property
order. Not ``pretty=True``: its key ordering costs seconds per few hundred kilobytes (3.6 s
for the 230 kB test scene) and grows faster than the bundle. No JSON is ever concatenated by
hand.

Handles, display names and evidence objects are attacker-written: they only ever become JSON
string values through stix2's serialiser, and in patterns they are escaped (``\\`` and ``'``)
as the STIX patterning grammar requires.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import stix2

from cibscan.detect.statistics import strength_threshold
from cibscan.engine import Engine
from cibscan.engine.base import iter_rows_as_dicts
from cibscan.export import techniques as tq
from cibscan.export.base import Exporter, register
from cibscan.export.stix_objects import (
    DEFAULT_TLP,
    account_pattern,
    attack_pattern,
    clean,
    extension,
    extension_definition,
    producer,
    sdo_id,
    tlp_marking,
    user_account,
)
from cibscan.export.stix_queries import (
    cluster_evidence_sql,
    cluster_tells_sql,
    targets_sql,
    waves_sql,
)
from cibscan.export.tables import clusters_sql, nodes_sql
from cibscan.store import Case, CaseError

log = logging.getLogger(__name__)

#: post times of a cluster's flagged members more than this far apart start a new campaign
WAVE_GAP_DAYS = 14
#: evidence rows kept per cluster in the observed-data's ``evidence`` (closest in time first)
EVIDENCE_CAP = 200
#: targeted identities per cluster, and the fewest members that must address one
TARGET_CAP = 20
TARGET_MIN_MEMBERS = 2
#: what an evidence row keeps (accounts as platform:account_id)
EVIDENCE_FIELDS = (
    "signal",
    "account_a",
    "account_b",
    "object",
    "post_a",
    "post_b",
    "time_a",
    "time_b",
    "gap_seconds",
)
#: the silence that marks a takeover when the run did not record the repurposed tell's
#: ``min_gap`` (its default)
DEFAULT_TAKEOVER_DAYS = 365


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _rows_by_cluster(engine: Engine, sql: str) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in iter_rows_as_dicts(engine, sql):
        grouped[int(row["cluster_id"])].append(row)
    return grouped


class _Builder:
    """Collects the objects of one bundle; every SDO is created by cibscan at ``stamp`` and
    every object made from the case carries the bundle's TLP marking."""

    def __init__(self, stamp: datetime, tlp: str) -> None:
        self.me = producer()
        self.marking = tlp_marking(tlp)
        self.markings = [self.marking.id]
        self.common = {
            "created": stamp,
            "modified": stamp,
            "created_by_ref": self.me.id,
            "object_marking_refs": self.markings,
        }
        self.stamp = stamp
        self.objects: dict[str, Any] = {self.me.id: self.me}
        self.patterns: dict[str, Any] = {}

    def add(self, obj: Any) -> Any:
        self.objects[obj.id] = obj
        return obj

    def relate(self, kind: str, source: str, target: str, description: str | None = None) -> None:
        self.add(
            stix2.Relationship(
                id=sdo_id("relationship", kind, source, target),
                relationship_type=kind,
                source_ref=source,
                target_ref=target,
                **clean(description=description),
                **self.common,
            )
        )

    def account(self, acc: dict[str, Any]) -> Any:
        """The user-account SCO of a flagged account."""
        return self.add(
            user_account(
                acc["platform"],
                acc["account_id"],
                acc["handle"],
                acc["display_name"],
                acc["created_at"],
                self.markings,
            )
        )

    def intrusion_set(self, cluster: dict[str, Any], crew: list[dict[str, Any]]) -> Any:
        """The network; its id hashes its flagged members, so it is stable across runs."""
        c = cluster
        return self.add(
            stix2.IntrusionSet(
                id=sdo_id("intrusion-set", sorted(a["node_id"] for a in crew)),
                name=f"cibscan network {c['cluster_id']}",
                description=(
                    f"{c['size']} accounts ({c['n_flagged']} flagged), platforms: "
                    f"{c['footprint']}; layers: {c['layers']}; score {c['score']:.3f}; "
                    f"{c['n_edges']} significant ties, density {c['density']:.3f}"
                ),
                **clean(first_seen=c["first_time"], last_seen=c["last_time"]),
                **self.common,
            )
        )

    def campaign(self, intrusion: Any, wave: dict[str, Any], takeover_days: float) -> None:
        first, last = wave["first_time"], wave["last_time"]
        campaign = self.add(
            stix2.Campaign(
                id=sdo_id("campaign", intrusion.id, _iso(first), _iso(last)),
                name=f"{intrusion.name} wave {wave['wave']}",
                description=(
                    f"{wave['n_posts']} posts by {wave['n_accounts']} flagged accounts, "
                    f"no gap longer than {WAVE_GAP_DAYS} days; an account's posts from "
                    f"before a silence of {takeover_days:g} days or more ahead of its first "
                    "coordinated action (a takeover) are left out"
                ),
                first_seen=first,
                last_seen=last,
                **self.common,
            )
        )
        self.relate("attributed-to", campaign.id, intrusion.id)

    def techniques(self, intrusion: Any, signals: list[str], tells: dict[str, int]) -> None:
        """``uses`` the attack-pattern of every technique the cluster's signals (its layers)
        and its flagged members' tells (with how many members show each) evidence."""
        for technique in tq.techniques_for([*signals, *tells]):
            if technique.id not in self.patterns:
                self.patterns[technique.id] = attack_pattern(technique, self.me.id)
            mapped = set(tq.evidenced_by(technique.id))
            why = []
            ties = [s for s in signals if s in mapped]
            if ties:
                why.append(f"significant {', '.join(ties)} ties")
            why += [f"the {t} tell on {n} flagged members" for t, n in tells.items() if t in mapped]
            target = self.patterns[technique.id].id
            self.relate("uses", intrusion.id, target, f"evidenced by {'; '.join(why)}")

    def indicator(self, intrusion: Any, acc: dict[str, Any]) -> None:
        pattern = account_pattern(acc["platform"], acc["account_id"], acc["handle"])
        indicator = self.add(
            stix2.Indicator(
                id=sdo_id("indicator", pattern),
                name=f"{str(acc['platform']).lower()} account {acc['account_id']} of "
                f"{intrusion.name}",
                indicator_types=["attribution"],
                description=f"flagged by cibscan, score {acc['score']:.3f}: {acc['reasons']}",
                pattern=pattern,  # stix2 validates it with stix2patterns
                pattern_type="stix",
                valid_from=self.stamp,
                **self.common,
            )
        )
        self.relate("indicates", indicator.id, intrusion.id)

    def evidence(self, intrusion: Any, crew: list[dict[str, Any]], rows: list[Any]) -> None:
        """observed-data with the (capped) evidence rows, and its sighting."""
        first = rows[0]
        total = int(first["n_total"])
        observed = self.add(
            stix2.ObservedData(
                id=sdo_id("observed-data", intrusion.id),
                first_observed=first["first_seen"],
                last_observed=first["last_seen"],
                number_observed=total,
                object_refs=sorted(a["sco"].id for a in crew),
                extensions=extension(evidence=[_evidence(r) for r in rows], evidence_total=total),
                **self.common,
            )
        )
        self.add(
            stix2.Sighting(
                id=sdo_id("sighting", intrusion.id),
                sighting_of_ref=intrusion.id,
                observed_data_refs=[observed.id],
                where_sighted_refs=[self.me.id],
                first_seen=first["first_seen"],
                last_seen=first["last_seen"],
                count=min(total, 999_999_999),
                **self.common,
            )
        )

    def target(self, intrusion: Any, target: dict[str, Any]) -> None:
        handle, platform = target["handle"], target["platform"]
        who = self.add(
            stix2.Identity(
                id=sdo_id("identity", platform, target["target_key"]),
                name=f"@{handle}" if handle else str(target["target_id"]),
                identity_class="individual",
                description=f"{platform} account addressed by coordinated accounts",
                **self.common,
            )
        )
        self.relate(
            "targets",
            intrusion.id,
            who.id,
            f"{target['n_members']} members replied to or mentioned it "
            f"in {target['n_posts']} posts",
        )


def _run_params(engine: Engine) -> dict[str, Any]:
    rows = engine.fetchall("SELECT params FROM detect_runs ORDER BY run_id DESC LIMIT 1")
    return dict(json.loads(rows[0][0])) if rows and rows[0][0] else {}


def takeover_seconds(params: dict[str, Any]) -> float:
    """The silence that marks a takeover: the run's ``repurposed.min_gap`` (the tell that
    finds hijacked and bought accounts), or its default when the run did not record it."""
    from cibscan.tells.base import get_tell

    given = params.get("tells", {}).get("repurposed", {})
    if "min_gap" not in given:
        return DEFAULT_TAKEOVER_DAYS * 86400.0
    return float(get_tell("repurposed").resolve({"min_gap": given["min_gap"]})["min_gap"])


def build_bundle(case: Case, tlp: str = DEFAULT_TLP) -> Any:
    """The STIX bundle of the case's latest detect run, marked ``tlp`` (see the module
    docstring)."""
    engine = case.engine
    sql = "SELECT run_id, ended_at FROM detect_runs ORDER BY run_id DESC LIMIT 1"
    runs = list(iter_rows_as_dicts(engine, sql))
    if not runs or runs[0]["ended_at"] is None:
        raise CaseError("this case has no finished detect run: run 'cibscan detect' first")
    b = _Builder(runs[0]["ended_at"], tlp)
    params = _run_params(engine)
    takeover = takeover_seconds(params)
    clusters = list(
        iter_rows_as_dicts(
            engine,
            f"SELECT * FROM ({clusters_sql(engine)}) WHERE n_flagged > 0 "
            "ORDER BY score DESC, size DESC, cluster_id",
        )
    )
    sql = f"SELECT * FROM ({nodes_sql(engine)}) WHERE flagged ORDER BY platform, account_id"
    members: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for acc in iter_rows_as_dicts(engine, sql):
        acc["sco"] = b.account(acc)
        if acc["cluster_id"] is not None:
            members[int(acc["cluster_id"])].append(acc)
    waves = _rows_by_cluster(engine, waves_sql(WAVE_GAP_DAYS * 86400, takeover))
    evidence = _rows_by_cluster(engine, cluster_evidence_sql(engine, EVIDENCE_CAP))
    targets = _rows_by_cluster(engine, targets_sql(TARGET_CAP, TARGET_MIN_MEMBERS))
    tells: dict[int, list[dict[str, Any]]] = {}
    if engine.table_exists("account_tells"):
        alpha = float(params.get("alpha", 0.01))
        tells = _rows_by_cluster(engine, cluster_tells_sql(strength_threshold(alpha)))
    for cluster in clusters:
        cid = int(cluster["cluster_id"])
        crew = members.get(cid, [])
        intrusion = b.intrusion_set(cluster, crew)
        for wave in waves.get(cid, []):
            b.campaign(intrusion, wave, takeover / 86400)
        b.techniques(
            intrusion,
            [s for s in str(cluster["layers"] or "").split(";") if s],
            {str(t["tell"]): int(t["n_accounts"]) for t in tells.get(cid, [])},
        )
        for acc in crew:
            b.indicator(intrusion, acc)
        if evidence.get(cid):
            b.evidence(intrusion, crew, evidence[cid])
        for target in targets.get(cid, []):
            b.target(intrusion, target)
    for ap in b.patterns.values():
        b.add(ap)
    if clusters:
        refs = sorted(b.objects)
        b.add(
            stix2.Report(
                id=sdo_id("report", refs),
                name=f"cibscan findings, detect run {runs[0]['run_id']}",
                report_types=["threat-actor"],
                published=b.stamp,
                object_refs=refs,
                description=f"{len(clusters)} flagged networks, {sum(map(len, members.values()))}"
                " flagged accounts",
                **b.common,
            )
        )
    if len(b.objects) > 1:  # accounts carry cibscan's extension; findings carry the marking
        b.add(extension_definition(b.me.id))
        b.add(b.marking)
    ordered = sorted(b.objects.values(), key=lambda o: (_TYPE_ORDER.get(o.type, 99), o.id))
    log.info("STIX bundle: %d objects for %d flagged clusters", len(ordered), len(clusters))
    return stix2.Bundle(objects=ordered, id=sdo_id("bundle", sorted(b.objects)))


#: object order in the bundle: producer and SDOs first, SCOs, then relationships
_TYPE_ORDER = {
    t: k
    for k, t in enumerate(
        (
            "marking-definition",
            "extension-definition",
            "identity",
            "report",
            "intrusion-set",
            "campaign",
            "attack-pattern",
            "indicator",
            "observed-data",
            "sighting",
            "user-account",
            "relationship",
        )
    )
}


def _evidence(row: dict[str, Any]) -> dict[str, Any]:
    """One evidence row as a JSON-ready dict (times as ISO strings)."""
    return {k: _iso(row[k]) if k.startswith("time_") else row[k] for k in EVIDENCE_FIELDS}


class StixExporter(Exporter):
    """The whole set of findings as one STIX 2.1 bundle."""

    name = "stix"
    suffix = ".stix.json"
    description = "a STIX 2.1 bundle: networks, campaigns, accounts, DISARM/Meta techniques"
    tabular = False

    options = ("tlp",)

    def write(self, case: Case, path: Path, table: str | None = None, **options: Any) -> int:
        bundle = build_bundle(case, str(options.get("tlp") or DEFAULT_TLP))
        with path.open("w", encoding="utf-8") as f:
            bundle.fp_serialize(f, indent=1)
            f.write("\n")
        return len(bundle.objects)


register(StixExporter())
