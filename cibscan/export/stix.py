"""The findings as a STIX 2.1 bundle, for threat-intelligence platforms (OpenCTI, MISP).

Analysts share influence operations as STIX: one bundle per case carries, for every
flagged cluster, an ``intrusion-set`` with its ``campaign`` waves, the accounts
(``user-account`` SCOs and ``indicator`` patterns), the DISARM/Meta techniques its signals
evidence (``attack-pattern``), the people it addresses (``identity``) and the evidence itself
(``observed-data`` with a ``sighting``). The object model and caps are documented in
docs/outputs.md ("STIX bundle").

Determinism, so that golden files and diffs work: SDO ids are uuid5 of a fixed namespace and
the case's content (cluster members, wave bounds, patterns), SCO ids are computed by stix2
from their id-contributing properties, and every timestamp comes from the data or from the
detect run's ``ended_at``, never from the clock. Static objects (the producer identity and
the attack-patterns) carry a fixed date, so they are the same object in every bundle.

The bundle is built in memory and written with ``serialize(pretty=True)``: its size grows
with the flagged accounts (three objects each) and the capped per-cluster evidence, which
stays in the megabytes even for tens of thousands of flagged accounts; streaming would buy
nothing but a hand-written JSON framing, which this module avoids on purpose.

Handles, display names and evidence objects are attacker-written: they only ever become JSON
string values through stix2's serialiser, and in patterns they are escaped (``\\`` and ``'``)
as the STIX patterning grammar requires.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import stix2

from cibscan.engine import Engine
from cibscan.engine.base import iter_rows_as_dicts
from cibscan.export import techniques as tq
from cibscan.export.base import Exporter, register
from cibscan.export.tables import clusters_sql, evidence_sql, nodes_sql
from cibscan.store import Case, CaseError

log = logging.getLogger(__name__)

#: post times of a cluster's flagged members more than this far apart start a new campaign
WAVE_GAP_DAYS = 14
#: evidence rows kept per cluster in ``x_cibscan_evidence`` (closest in time first)
EVIDENCE_CAP = 200
#: targeted identities per cluster, and the fewest members that must address one
TARGET_CAP = 20
TARGET_MIN_MEMBERS = 2
#: namespace of every SDO id; changing it changes every id cibscan has ever exported
NAMESPACE = uuid.UUID("01531af1-719d-49ed-95ed-3aabb3423c38")
#: creation date of the objects that do not depend on a case (producer, attack-patterns)
STATIC_CREATED = datetime(2024, 1, 1, tzinfo=UTC)


def sdo_id(kind: str, *parts: Any) -> str:
    """A deterministic STIX id: uuid5 of the kind and the parts (JSON-encoded, unambiguous)."""
    key = json.dumps([kind, *parts], ensure_ascii=False, default=str)
    return f"{kind}--{uuid.uuid5(NAMESPACE, key)}"


def escape_pattern_string(value: str) -> str:
    """A string literal body for a STIX pattern: backslash and single quote escaped."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _clean(**props: Any) -> dict[str, Any]:
    """Keyword arguments without the unknown (None) ones, which STIX omits."""
    return {k: v for k, v in props.items() if v is not None}


def producer() -> Any:
    """cibscan itself, the ``created_by_ref`` of every SDO it makes."""
    return stix2.Identity(
        id=sdo_id("identity", "cibscan"),
        name="cibscan",
        identity_class="system",
        description="cibscan: detection of coordinated inauthentic behaviour",
        created=STATIC_CREATED,
        modified=STATIC_CREATED,
    )


def attack_pattern(technique: tq.Technique, producer_id: str) -> Any:
    """A DISARM technique, filed in DISARM's and in Meta's kill chain (static per id)."""
    metas = tq.meta_for(technique.id)
    signals = sorted(s for s, (d, _) in tq.SIGNAL_TECHNIQUES.items() if technique.id in d)
    refs = [
        {
            "source_name": tq.DISARM_SOURCE,
            "external_id": technique.id,
            "url": technique.disarm_url,
            "description": tq.DISARM_LICENCE,
        }
    ] + [
        {"source_name": tq.META_SOURCE, "external_id": m.id, "url": tq.META_URL,
         "description": m.name}
        for m in metas
    ]  # fmt: skip
    phases = [{"kill_chain_name": tq.DISARM_KILL_CHAIN, "phase_name": technique.phase}]
    for phase in sorted({m.phase for m in metas}):
        phases.append({"kill_chain_name": tq.META_KILL_CHAIN, "phase_name": phase})
    return stix2.AttackPattern(
        id=sdo_id("attack-pattern", "disarm", technique.id),
        name=technique.name,
        description=f"DISARM {technique.id}. Evidenced in cibscan by: {', '.join(signals)}.",
        external_references=refs,
        kill_chain_phases=phases,
        created=STATIC_CREATED,
        modified=STATIC_CREATED,
        created_by_ref=producer_id,
    )


def account_pattern(account_type: str, account_id: str, handle: str | None) -> str:
    """The indicator pattern of an account: its login (or, unknown, its id) on its platform."""
    prop, value = ("account_login", handle) if handle else ("user_id", account_id)
    return (
        f"[user-account:{prop} = '{escape_pattern_string(value)}'"
        f" AND user-account:account_type = '{escape_pattern_string(account_type)}']"
    )


def waves_sql(gap_seconds: float) -> str:
    """Each flagged cluster's activity cut into waves: a gap over ``gap_seconds`` between
    consecutive posts of its flagged members starts a new wave."""
    return f"""WITH member_posts AS (
            SELECT s.cluster_id, s.account_id, epoch(p.created_at) AS t
            FROM account_scores AS s JOIN clusters AS c USING (cluster_id)
            JOIN posts AS p USING (platform, account_id)
            WHERE s.flagged AND c.n_flagged > 0 AND p.created_at IS NOT NULL),
        breaks AS (
            SELECT *, CASE WHEN t - lag(t) OVER (PARTITION BY cluster_id ORDER BY t)
                           > {float(gap_seconds)} THEN 1 ELSE 0 END AS brk
            FROM member_posts),
        numbered AS (
            SELECT *, sum(brk) OVER (PARTITION BY cluster_id ORDER BY t
                                     ROWS UNBOUNDED PRECEDING) AS wave
            FROM breaks)
        SELECT cluster_id, CAST(wave AS INTEGER) + 1 AS wave, to_timestamp(min(t)) AS first_time,
               to_timestamp(max(t)) AS last_time, count(*) AS n_posts,
               count(DISTINCT account_id) AS n_accounts
        FROM numbered GROUP BY cluster_id, wave ORDER BY cluster_id, wave"""


def cluster_evidence_sql(engine: Engine, cap: int) -> str:
    """The evidence rows inside each cluster (both accounts members), ``cap`` per cluster,
    with the cluster's total count and time span over all of them."""
    return f"""WITH ev AS ({evidence_sql(engine)}),
        scoped AS (
            SELECT sa.cluster_id, ev.signal,
                   ev.platform_a || ':' || ev.account_id_a AS account_a,
                   ev.platform_b || ':' || ev.account_id_b AS account_b,
                   ev.object, ev.post_a, ev.post_b, ev.time_a, ev.time_b, ev.gap_seconds
            FROM ev
            JOIN account_scores AS sa
              ON sa.platform = ev.platform_a AND sa.account_id = ev.account_id_a
            JOIN account_scores AS sb
              ON sb.platform = ev.platform_b AND sb.account_id = ev.account_id_b
            WHERE sa.cluster_id = sb.cluster_id),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY cluster_id ORDER BY gap_seconds, signal,
                          account_a, account_b, post_a, post_b, object, time_a) AS k,
                   count(*) OVER (PARTITION BY cluster_id) AS n_total,
                   min(least(time_a, time_b)) OVER (PARTITION BY cluster_id) AS first_seen,
                   max(greatest(time_a, time_b)) OVER (PARTITION BY cluster_id) AS last_seen
            FROM scoped)
        SELECT * FROM ranked WHERE k <= {int(cap)} ORDER BY cluster_id, k"""


def targets_sql(cap: int, min_members: int) -> str:
    """Per flagged cluster, the accounts outside it that most of its flagged members reply
    to or mention (named by lower-case handle when known, else by account id)."""
    return f"""WITH members AS (
            SELECT s.cluster_id, s.platform, s.account_id, lower(any_value(a.handle)) AS handle
            FROM account_scores AS s JOIN clusters AS c USING (cluster_id)
            LEFT JOIN accounts AS a USING (platform, account_id)
            WHERE s.flagged AND c.n_flagged > 0
            GROUP BY s.cluster_id, s.platform, s.account_id),
        handles AS (
            SELECT platform, account_id, lower(any_value(handle)) AS handle
            FROM accounts GROUP BY platform, account_id),
        addressed AS (
            SELECT m.cluster_id, m.account_id AS member, p.platform,
                   p.reply_to_account AS target_id, h.handle AS target_handle
            FROM members AS m
            JOIN posts AS p ON p.platform = m.platform AND p.account_id = m.account_id
            LEFT JOIN handles AS h
              ON h.platform = p.platform AND h.account_id = p.reply_to_account
            WHERE p.reply_to_account IS NOT NULL
            UNION ALL
            SELECT m.cluster_id, m.account_id, p.platform, CAST(NULL AS VARCHAR),
                   unnest(p.mentions)
            FROM members AS m
            JOIN posts AS p ON p.platform = m.platform AND p.account_id = m.account_id
            WHERE len(p.mentions) > 0),
        counted AS (
            SELECT cluster_id, platform, coalesce(target_handle, 'id:' || target_id) AS target_key,
                   any_value(target_handle) AS handle, max(target_id) AS target_id,
                   count(DISTINCT member) AS n_members, count(*) AS n_posts
            FROM addressed AS t
            WHERE NOT EXISTS (
                SELECT 1 FROM members AS x
                WHERE x.cluster_id = t.cluster_id AND x.platform = t.platform
                  AND (x.account_id = t.target_id OR x.handle = t.target_handle))
            GROUP BY cluster_id, platform, target_key
            HAVING count(DISTINCT member) >= {int(min_members)}),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY cluster_id
                          ORDER BY n_members DESC, n_posts DESC, platform, target_key) AS r
            FROM counted)
        SELECT * FROM ranked WHERE r <= {int(cap)} ORDER BY cluster_id, r"""


def _rows_by_cluster(engine: Engine, sql: str) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in iter_rows_as_dicts(engine, sql):
        grouped[int(row["cluster_id"])].append(row)
    return grouped


def build_bundle(case: Case) -> Any:
    """The STIX bundle of the case's latest detect run (see the module docstring)."""
    engine = case.engine
    runs = list(
        iter_rows_as_dicts(
            engine, "SELECT run_id, ended_at FROM detect_runs ORDER BY run_id DESC LIMIT 1"
        )
    )
    if not runs or runs[0]["ended_at"] is None:
        raise CaseError("this case has no finished detect run: run 'cibscan detect' first")
    stamp = runs[0]["ended_at"]
    me = producer()
    common = {"created": stamp, "modified": stamp, "created_by_ref": me.id}
    objects: dict[str, Any] = {me.id: me}

    def add(obj: Any) -> Any:
        objects[obj.id] = obj
        return obj

    def relate(kind: str, source: str, target: str, description: str | None = None) -> None:
        add(stix2.Relationship(id=sdo_id("relationship", kind, source, target),
                               relationship_type=kind, source_ref=source, target_ref=target,
                               **_clean(description=description), **common))  # fmt: skip

    clusters = list(
        iter_rows_as_dicts(
            engine,
            f"SELECT * FROM ({clusters_sql(engine)}) WHERE n_flagged > 0 "
            "ORDER BY score DESC, size DESC, cluster_id",
        )
    )
    accounts = list(
        iter_rows_as_dicts(
            engine,
            f"SELECT * FROM ({nodes_sql(engine)}) WHERE flagged ORDER BY platform, account_id",
        )
    )
    # user-account SCOs for every flagged account
    members: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for acc in accounts:
        acc["account_type"] = str(acc["platform"]).lower()
        acc["sco"] = add(stix2.UserAccount(**_clean(
            user_id=acc["account_id"], account_login=acc["handle"],
            display_name=acc["display_name"], account_type=acc["account_type"],
            account_created=acc["created_at"])))  # fmt: skip
        if acc["cluster_id"] is not None:
            members[int(acc["cluster_id"])].append(acc)

    waves = _rows_by_cluster(engine, waves_sql(WAVE_GAP_DAYS * 86400))
    evidence = _rows_by_cluster(engine, cluster_evidence_sql(engine, EVIDENCE_CAP))
    targets = _rows_by_cluster(engine, targets_sql(TARGET_CAP, TARGET_MIN_MEMBERS))
    patterns: dict[str, Any] = {}
    for cluster in clusters:
        cid = int(cluster["cluster_id"])
        crew = members.get(cid, [])
        label = f"cibscan network {cid}"
        intrusion = add(stix2.IntrusionSet(
            id=sdo_id("intrusion-set", sorted(a["node_id"] for a in crew)),
            name=label,
            description=(
                f"{cluster['size']} accounts ({cluster['n_flagged']} flagged), platforms: "
                f"{cluster['footprint']}; layers: {cluster['layers']}; score "
                f"{cluster['score']:.3f}; {cluster['n_edges']} significant ties, density "
                f"{cluster['density']:.3f}"),
            **_clean(first_seen=cluster["first_time"], last_seen=cluster["last_time"]),
            **common))  # fmt: skip
        for wave in waves.get(cid, []):
            campaign = add(stix2.Campaign(
                id=sdo_id("campaign", intrusion.id, _iso(wave["first_time"]),
                          _iso(wave["last_time"])),
                name=f"{label} wave {wave['wave']}",
                description=(f"{wave['n_posts']} posts by {wave['n_accounts']} flagged "
                             f"accounts, no gap longer than {WAVE_GAP_DAYS} days"),
                first_seen=wave["first_time"], last_seen=wave["last_time"],
                **common))  # fmt: skip
            relate("attributed-to", campaign.id, intrusion.id)
        signals = [s for s in str(cluster["layers"] or "").split(";") if s]
        for technique in tq.techniques_for(signals):
            if technique.id not in patterns:
                patterns[technique.id] = attack_pattern(technique, me.id)
            evidenced = [s for s in signals if technique.id in tq.SIGNAL_TECHNIQUES[s][0]]
            relate("uses", intrusion.id, patterns[technique.id].id,
                   f"evidenced by significant {', '.join(evidenced)} ties")  # fmt: skip
        for acc in crew:
            pattern = account_pattern(acc["account_type"], acc["account_id"], acc["handle"])
            indicator = add(stix2.Indicator(
                id=sdo_id("indicator", pattern), name=f"{acc['account_type']} account "
                f"{acc['account_id']} of {label}", indicator_types=["attribution"],
                description=f"flagged by cibscan, score {acc['score']:.3f}: {acc['reasons']}",
                pattern=pattern, pattern_type="stix", valid_from=stamp, **common))  # fmt: skip
            relate("indicates", indicator.id, intrusion.id)
        rows = evidence.get(cid, [])
        if rows:
            first = rows[0]
            observed = add(stix2.ObservedData(
                id=sdo_id("observed-data", intrusion.id),
                first_observed=first["first_seen"], last_observed=first["last_seen"],
                number_observed=int(first["n_total"]),
                object_refs=sorted(a["sco"].id for a in crew),
                x_cibscan_evidence=[_evidence(r) for r in rows],
                x_cibscan_evidence_total=int(first["n_total"]),
                allow_custom=True, **common))  # fmt: skip
            add(stix2.Sighting(
                id=sdo_id("sighting", intrusion.id), sighting_of_ref=intrusion.id,
                observed_data_refs=[observed.id], where_sighted_refs=[me.id],
                first_seen=first["first_seen"], last_seen=first["last_seen"],
                count=min(int(first["n_total"]), 999_999_999), **common))  # fmt: skip
        for target in targets.get(cid, []):
            name = f"@{target['handle']}" if target["handle"] else str(target["target_id"])
            who = add(stix2.Identity(
                id=sdo_id("identity", target["platform"], target["target_key"]),
                name=name, identity_class="individual",
                description=f"{target['platform']} account addressed by coordinated accounts",
                **common))  # fmt: skip
            relate("targets", intrusion.id, who.id,
                   f"{target['n_members']} members replied to or mentioned it "
                   f"in {target['n_posts']} posts")  # fmt: skip
    for ap in patterns.values():
        add(ap)
    if clusters:
        refs = sorted(objects)
        add(stix2.Report(
            id=sdo_id("report", refs), name=f"cibscan findings, detect run {runs[0]['run_id']}",
            report_types=["threat-actor"], published=stamp, object_refs=refs,
            description=f"{len(clusters)} flagged networks, {len(accounts)} flagged accounts",
            **common))  # fmt: skip
    ordered = sorted(objects.values(), key=lambda o: (_TYPE_ORDER.get(o.type, 99), o.id))
    bundle_id = sdo_id("bundle", sorted(objects))
    log.info("STIX bundle: %d objects for %d flagged clusters", len(ordered), len(clusters))
    return stix2.Bundle(objects=ordered, id=bundle_id, allow_custom=True)


#: object order in the bundle: producer and SDOs first, SCOs, then relationships
_TYPE_ORDER = {
    t: k
    for k, t in enumerate(
        ("identity", "report", "intrusion-set", "campaign", "attack-pattern", "indicator",
         "observed-data", "sighting", "user-account", "relationship")
    )
}  # fmt: skip


def _evidence(row: dict[str, Any]) -> dict[str, Any]:
    """One evidence row as a JSON-ready dict (times as ISO strings)."""
    return {
        "signal": row["signal"],
        "account_a": row["account_a"],
        "account_b": row["account_b"],
        "object": row["object"],
        "post_a": row["post_a"],
        "post_b": row["post_b"],
        "time_a": _iso(row["time_a"]),
        "time_b": _iso(row["time_b"]),
        "gap_seconds": row["gap_seconds"],
    }


class StixExporter(Exporter):
    """The whole set of findings as one STIX 2.1 bundle."""

    name = "stix"
    suffix = ".stix.json"
    description = "a STIX 2.1 bundle: networks, campaigns, accounts, DISARM/Meta techniques"
    tabular = False

    def write(self, case: Case, path: Path, table: str | None = None) -> int:
        bundle = build_bundle(case)
        path.write_text(bundle.serialize(pretty=True) + "\n", encoding="utf-8")
        return len(bundle.objects)


register(StixExporter())
