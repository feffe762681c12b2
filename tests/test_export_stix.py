"""The STIX 2.1 exporter: object counts against the findings, references, patterns, hostile
text, the technique mapping against its sources and the docs, TLP markings, campaigns without
a hijacked account's past, the validator's verdict, determinism and golden files.

Golden files (tests/golden/stix_*.json) are regenerated with
``CIBSCAN_REGEN_GOLDEN=1 python -m pytest tests/test_export_stix.py -k golden``; review the
diff before committing it.
"""

from __future__ import annotations

import csv
import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import stix2
from click.testing import CliRunner
from stix2patterns.validator import validate

from cibscan.cli import main
from cibscan.detect.pipeline import DetectReport, detect
from cibscan.export import export, exporters
from cibscan.export import techniques as tq
from cibscan.export.stix_objects import (
    ACCOUNT_TYPES,
    EXTENSION_ID,
    TLP_LEVELS,
    account_pattern,
    attack_pattern,
    producer,
)
from cibscan.signals.base import SIGNALS
from cibscan.store import Case, open_case
from cibscan.tells.base import TELLS
from tests import scenes
from tests.conftest import SHARED, load, rows
from tests.stix_check import validator_findings

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CIBSCAN_REGEN_GOLDEN") == "1"


def bundle_of(case: Case, path: Path) -> tuple[int, Any]:
    count = export(case, "stix", path)
    return count, stix2.parse(path.read_text(encoding="utf-8"), allow_custom=True)


def by_type(bundle: Any) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for obj in bundle.objects:
        grouped.setdefault(obj.type, []).append(obj)
    return grouped


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} changed (see module docstring)"


@pytest.fixture(scope="module")
def scene_bundle(
    scene: tuple[Case, DetectReport], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Case, int, Any, Path]:
    case, _ = scene
    path = tmp_path_factory.mktemp("stix") / "scene.stix.json"
    count, bundle = bundle_of(case, path)
    return case, count, bundle, path


def tiny_posts() -> list[scenes.Post]:
    """A ring of four (one handle with a quote and a backslash), registered together, reposting
    a seed account in two waves 20 days apart and mentioning and replying to one journalist,
    on a small organic background."""
    posts = scenes.organic_background(people=30, days=30)
    handles = ["ring_a", "it's\\me", "ring_c", "ring_d"]
    posts.append(scenes.post("victim_1", "victim", 0.5 * scenes.DAY, "my reporting"))
    for wave, start in enumerate((1 * scenes.DAY, 21 * scenes.DAY)):
        for k in range(6):
            t = start + k * 5 * 3600
            seed = f"seed_{wave}_{k}"
            posts.append(scenes.post(seed, "seed", t, f"our message {wave} {k}"))
            for m, handle in enumerate(handles):
                posts.append(scenes.post(f"r{m}_{wave}_{k}", f"r{m}", t + 20 + 3 * m,
                                         repost_of_post=seed, handle=handle))  # fmt: skip
                posts.append(scenes.post(
                    f"r{m}_{wave}_{k}_at", f"r{m}", t + 900 + 60 * m + k,
                    f"@journo_x shame on you {m} {k}", mentions=["journo_x"], handle=handle,
                    reply_to_post="victim_1" if k == 0 else None,
                    reply_to_account="victim" if k == 0 else None))  # fmt: skip
    return scenes.with_creation_dates(posts, scenes.batch_created([f"r{m}" for m in range(4)], 150))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A detected tiny case, closed, with the detect run's end fixed so that its bundle is
    golden-stable."""
    folder = tmp_path_factory.mktemp("tiny")
    path = scenes.write(folder / "tiny.jsonl", tiny_posts())
    with open_case(folder / "case.duckdb") as case:
        load(case, path, format="generic_jsonl")
        detect(case)
        case.engine.execute(
            "UPDATE detect_runs SET ended_at = TIMESTAMPTZ '2024-06-01 12:00:00+00'"
        )
    return folder / "case.duckdb"


@pytest.fixture
def tiny_case(tiny: Path) -> Iterator[Case]:
    with open_case(tiny, create=False, read_only=True) as case:
        yield case


def test_stix_is_a_registered_whole_network_format() -> None:
    exporter = exporters()["stix"]
    assert not exporter.tabular and exporter.suffix == ".stix.json"


def test_counts_match_the_findings(scene_bundle: tuple[Case, int, Any, Path]) -> None:
    case, count, bundle, _ = scene_bundle
    objects = by_type(bundle)
    assert count == len(bundle.objects)
    n_clusters = rows(case, "SELECT count(*) AS n FROM clusters WHERE n_flagged > 0")[0]["n"]
    n_flagged = rows(case, "SELECT count(*) AS n FROM account_scores WHERE flagged")[0]["n"]
    assert n_clusters >= 4  # the X+Reddit pair is tied but not flagged
    assert len(objects["intrusion-set"]) == n_clusters
    assert len(objects["user-account"]) == n_flagged
    assert len(objects["indicator"]) == n_flagged
    assert len(objects["observed-data"]) == len(objects["sighting"]) == n_clusters
    assert len(objects["campaign"]) >= n_clusters
    assert len(objects["report"]) == 1


def test_every_reference_resolves(scene_bundle: tuple[Case, int, Any, Path]) -> None:
    _, _, bundle, _ = scene_bundle
    ids = {obj.id for obj in bundle.objects}
    assert len(ids) == len(bundle.objects)
    me = producer().id
    for obj in bundle.objects:
        if obj.type == "relationship":
            assert obj.source_ref in ids and obj.target_ref in ids, obj
        if obj.type == "sighting":
            assert obj.sighting_of_ref in ids
            assert set(obj.observed_data_refs) <= ids
        if obj.type in ("observed-data", "report"):
            assert set(obj.object_refs) <= ids
        if obj.type not in ("user-account", "marking-definition") and obj.id != me:
            assert obj.created_by_ref == me


def test_ring_uses_the_co_repost_techniques(scene_bundle: tuple[Case, int, Any, Path]) -> None:
    _, _, bundle, _ = scene_bundle
    objects = {obj.id: obj for obj in bundle.objects}
    relations = by_type(bundle)["relationship"]
    ring = {
        r.target_ref
        for r in relations
        if r.relationship_type == "indicates" and "'ring_0'" in objects[r.source_ref].pattern
    }
    assert len(ring) == 1
    used = [
        objects[r.target_ref]
        for r in relations
        if r.relationship_type == "uses" and r.source_ref in ring
    ]
    disarm_ids = {
        ref["external_id"]
        for ap in used
        for ref in ap.external_references
        if ref["source_name"] == "DISARM"
    }
    assert set(tq.MAPPING["co_repost"].disarm) <= disarm_ids
    for ap in used:
        chains = {p.kill_chain_name for p in ap.kill_chain_phases}
        assert chains == {"disarm", "meta-online-operations"}
    assert objects[next(iter(ring))].name.startswith("cibscan network ")


def test_patterns_are_valid_and_hostile_handles_round_trip(
    scene_bundle: tuple[Case, int, Any, Path],
) -> None:
    _, _, bundle, path = scene_bundle
    objects = by_type(bundle)
    for indicator in objects["indicator"]:
        valid, errors = validate(indicator.pattern, ret_errs=True)
        assert valid, (indicator.pattern, errors)
    logins = {ua.account_login for ua in objects["user-account"]}
    for handle in ('quote"s & <amp>', "<b>bold</b>", "\u202eadmin", "ctrl\x07name"):
        assert handle in logins
    raw = path.read_text(encoding="utf-8")
    assert "<script>" in raw  # the evidence keeps the text, as a JSON string
    assert json.loads(raw)["type"] == "bundle"
    for od in objects["observed-data"]:
        evidence = od.extensions[EXTENSION_ID]["evidence"]
        assert od.extensions[EXTENSION_ID]["evidence_total"] == od.number_observed
        assert 0 < len(evidence) <= 200 and od.number_observed >= len(evidence)
        assert {"signal", "account_a", "account_b", "post_a", "gap_seconds"} <= set(evidence[0])


def test_pattern_escaping() -> None:
    pattern = account_pattern("twitter", "1", "it's\\me")
    assert pattern == (
        "[user-account:account_login = 'it\\'s\\\\me' AND user-account:account_type = 'twitter']"
    )
    assert validate(pattern)
    # reddit is not in STIX's account-type vocabulary: the platform is cibscan's extension
    reddit = account_pattern("Reddit", "7", None)
    assert reddit == (
        f"[user-account:user_id = '7' AND user-account:extensions.'{EXTENSION_ID}'.platform"
        " = 'reddit']"
    )
    assert validate(reddit)


def test_the_bundle_is_deterministic(
    scene_bundle: tuple[Case, int, Any, Path], tmp_path: Path
) -> None:
    case, _, _, path = scene_bundle
    export(case, "stix", tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_every_signal_and_tell_is_mapped_and_the_rows_match_their_sources() -> None:
    signals = {n for n, m in tq.MAPPING.items() if m.kind == "signal"}
    tells = {n for n, m in tq.MAPPING.items() if m.kind == "tell"}
    assert signals == set(SIGNALS.all()) and tells == set(TELLS.all())
    for item in tq.MAPPING.values():
        assert item.disarm and item.meta and item.why, item
        assert set(item.disarm) <= set(tq.DISARM) and set(item.meta) <= set(tq.META)
    # every shipped row is used (no stale technique in the package)
    assert {d for m in tq.MAPPING.values() for d in m.disarm} == set(tq.DISARM)
    assert {i for m in tq.MAPPING.values() for i in m.meta} == set(tq.META)
    disarm_csv = SHARED / "disarm" / "red_framework_techniques.csv"
    meta_csv = SHARED / "meta-threat-research" / "Online_Operations_Killchain-TTPs.csv"
    if not disarm_csv.exists() or not meta_csv.exists():
        pytest.skip("../shared data not available")
    with disarm_csv.open(newline="", encoding="utf-8-sig") as f:
        disarm = {r["id"]: r for r in csv.DictReader(f)}
    for t in tq.DISARM.values():
        row = disarm[t.id]
        assert (row["type"], row["name"], row["tactics"]) == ("attack-pattern", t.name, t.tactic)
    with meta_csv.open(newline="", encoding="utf-8-sig") as f:
        # Meta's cells carry stray spaces ("9.5.1 Changing social media accounts ")
        cells = {
            (r["Tactic"].strip(), " ".join(c.split()))
            for r in csv.DictReader(f)
            for c in (r["Technique"], r["Procedure"])
        }
    for t in tq.META.values():
        assert (t.tactic, f"{t.id} {t.name}") in cells, t


def test_techniques_follow_signals_and_tells() -> None:
    # a plugin's unknown name evidences nothing; tells and signals share the lookup
    assert tq.techniques_for(["no_such_signal"]) == []
    ids = [t.id for t in tq.techniques_for(["co_post", "creation_burst", "near_duplicate"])]
    assert ids == ["T0084.001", "T0150.008"]  # copypasta once, bulk-created accounts
    assert tq.evidenced_by("T0118") == ["co_repost", "co_url", "amplifies_cluster"]
    assert [m.id for m in tq.meta_for("T0049.003")] == ["3.5", "6.2"]


def test_golden_attack_patterns() -> None:
    me = producer()
    objects = [me] + [attack_pattern(t, me.id) for t in tq.DISARM.values()]
    text = "[\n" + ",\n".join(o.serialize(indent=1) for o in objects) + "\n]\n"
    check_golden("stix_attack_patterns.json", text)


def test_golden_tiny_bundle(tiny_case: Case, tmp_path: Path) -> None:
    count, bundle = bundle_of(tiny_case, tmp_path / "tiny.stix.json")
    objects = by_type(bundle)
    assert len(objects["intrusion-set"]) == 1
    assert len(objects["campaign"]) == 2  # two waves, 20 days apart
    targets = [o for o in objects["identity"] if o.identity_class == "individual"]
    assert {o.name for o in targets} >= {"@journo_x", "@victim"}
    logins = {ua.account_login for ua in objects["user-account"]}
    assert "it's\\me" in logins
    check_golden("stix_tiny_bundle.json", (tmp_path / "tiny.stix.json").read_text("utf-8"))
    assert count == len(bundle.objects)


def test_no_findings_gives_just_the_producer(case: Case, tmp_path: Path) -> None:
    path = scenes.write(tmp_path / "organic.jsonl", scenes.organic_background(people=20, days=3))
    load(case, path, format="generic_jsonl")
    detect(case)
    count, bundle = bundle_of(case, tmp_path / "empty.stix.json")
    assert count == 1
    assert [o.id for o in bundle.objects] == [producer().id]


def test_cli_export_stix(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.stix.json"
    result = CliRunner().invoke(
        main, ["export", "--case", str(tiny), "--format", "stix", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    bundle = stix2.parse(out.read_text(encoding="utf-8"), allow_custom=True)
    assert f"{len(bundle.objects)} items written" in result.output
    assert Counter(o.type for o in bundle.objects)["intrusion-set"] == 1
    markings = [o.name for o in bundle.objects if o.type == "marking-definition"]
    assert markings == ["TLP:AMBER"]  # the default
    red = CliRunner().invoke(
        main,
        ["export", "--case", str(tiny), "--format", "stix", "--tlp", "red", "--out", str(out)],
    )
    assert red.exit_code == 0, red.output
    assert '"name": "TLP:RED"' in out.read_text(encoding="utf-8")
    # a marking asked for on a format that cannot carry one is refused, not dropped
    args = ["export", "accounts", "--case", str(tiny), "--tlp", "red"]
    refused = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a.csv")])
    assert refused.exit_code == 1 and "csv does not take tlp" in refused.output


def test_docs_show_the_mapping() -> None:
    """docs/outputs.md holds the table the data makes, row for row (regenerate it with
    ``python -c 'from cibscan.export.techniques import mapping_markdown as m; print(m())'``)."""
    docs = (Path(__file__).parents[1] / "docs" / "outputs.md").read_text(encoding="utf-8")
    assert tq.mapping_markdown() in docs


def test_the_scene_bundle_passes_the_validator(
    scene_bundle: tuple[Case, int, Any, Path],
) -> None:
    """stix2-validator with every check: no error, no warning (UUIDv4 ids, extensions
    declared, account types from the vocabulary, TLP 2.0 marking)."""
    _, _, bundle, path = scene_bundle
    assert validator_findings(path) == []
    objects = by_type(bundle)
    assert [o.id for o in objects["extension-definition"]] == [EXTENSION_ID]
    # the scene has Reddit and YouTube accounts: no account_type outside the vocabulary
    types = {ua.get("account_type") for ua in objects["user-account"]}
    assert types <= ACCOUNT_TYPES | {None} and None in types


def test_tiny_bundle_passes_the_validator_at_every_tlp(tiny_case: Case, tmp_path: Path) -> None:
    for level, marking_id in TLP_LEVELS.items():
        path = tmp_path / f"{level}.stix.json"
        export(tiny_case, "stix", path, tlp=level)
        assert validator_findings(path) == [], level
        bundle = stix2.parse(path.read_text("utf-8"), allow_custom=True)
        markings = [o for o in bundle.objects if o.type == "marking-definition"]
        assert [(m.id, m.name) for m in markings] == [(marking_id, f"TLP:{level.upper()}")]
        # the producer, the extension-definition and the attack-patterns hold nothing of
        # the case and are the same in every bundle; everything else carries the marking
        static = {"extension-definition", "attack-pattern", "marking-definition"}
        for obj in bundle.objects:
            if obj.type in static or obj.id == producer().id:
                assert "object_marking_refs" not in obj, obj.id
            else:
                assert obj.object_marking_refs == [marking_id], obj.id


def test_tlp_is_refused_where_it_cannot_be_written(tiny_case: Case, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="csv does not take tlp"):
        export(tiny_case, "csv", tmp_path / "a.csv", "accounts", tlp="red")
    with pytest.raises(ValueError, match="unknown TLP level"):
        export(tiny_case, "stix", tmp_path / "b.json", tlp="white")  # TLP 1.0's name


def test_sdo_ids_are_version_4_and_stable(scene_bundle: tuple[Case, int, Any, Path]) -> None:
    _, _, bundle, _ = scene_bundle
    for obj in bundle.objects:
        version = uuid.UUID(obj.id.split("--")[1]).version
        if obj.type == "user-account":
            assert version == 5  # STIX's own name-based SCO ids
        else:
            assert version == 4, obj.id
    assert producer().id == "identity--99213979-5e55-4ff6-8593-89d5aeae0789"


def test_tells_bring_their_techniques(tiny_case: Case, tmp_path: Path) -> None:
    """The tiny ring was registered in one day (creation_burst): its network uses DISARM
    T0150.008 Bulk Created Asset, filed in Meta's 'acquiring assets' phase."""
    _, bundle = bundle_of(tiny_case, tmp_path / "t.stix.json")
    objects = {o.id: o for o in bundle.objects}
    uses = {
        objects[r.target_ref].external_references[0]["external_id"]: r.description
        for r in bundle.objects
        if r.type == "relationship" and r.relationship_type == "uses"
    }
    assert "creation_burst tell on 4 flagged members" in uses["T0150.008"]
    assert "co_repost" in uses["T0049.003"]
    bulk = next(
        o for o in bundle.objects if o.type == "attack-pattern" and o.name.startswith("Bulk")
    )
    phases = {(p.kill_chain_name, p.phase_name) for p in bulk.kill_chain_phases}
    assert phases == {
        ("disarm", "establish-assets"),
        ("meta-online-operations", "acquiring-assets"),
    }


def test_campaigns_leave_out_a_hijacked_accounts_past(case: Case, tmp_path: Path) -> None:
    """A retweet ring of six reposting eight posts of a seed account over two days; one
    member is an old account that posted about its garden two years earlier, then fell
    silent until it joined the ring (a takeover). Before, its old posts made a campaign of
    their own; now the network has one campaign: the seed's 8 posts and the ring's 48
    reposts, from the seed's first post on."""
    ring = scenes.retweet_ring("hj")
    old = [
        scenes.post(f"hj_old_{k}", "hj_0", (-700 + k) * scenes.DAY, f"my garden today {k}")
        for k in range(3)
    ]
    posts = scenes.organic_background(people=30, days=10) + ring + old
    load(case, scenes.write(tmp_path / "hj.jsonl", posts), format="generic_jsonl")
    detect(case)
    flagged = rows(case, "SELECT account_id FROM account_scores WHERE flagged")
    # the seed is flagged with its ring (its reposts come only from the ring)
    assert {r["account_id"] for r in flagged} == {f"hj_{m}" for m in range(6)} | {"hj_seed"}
    _, bundle = bundle_of(case, tmp_path / "hj.stix.json")
    campaigns = by_type(bundle)["campaign"]
    assert len(campaigns) == 1
    assert campaigns[0].first_seen == scenes.T0 + timedelta(seconds=scenes.DAY)
    assert campaigns[0].description.startswith("56 posts by 7 flagged accounts")  # 8 + 8 x 6


def test_cli_run_marks_its_bundle(tmp_path: Path) -> None:
    """``cibscan run --tlp red`` writes network.stix.json under TLP:RED, and it validates."""
    posts = scenes.organic_background(people=20, days=5) + scenes.retweet_ring()
    data = scenes.write(tmp_path / "p.jsonl", posts)
    out = tmp_path / "out"
    args = ["run", str(data), "--format", "generic_jsonl", "--out", str(out), "--tlp", "red"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    bundle = out / "network.stix.json"
    assert '"name": "TLP:RED"' in bundle.read_text(encoding="utf-8")
    assert validator_findings(bundle) == []
    wrong = CliRunner().invoke(main, [*args[:-1], "white"])  # TLP 1.0's name: a usage error
    assert wrong.exit_code == 2 and "white" in wrong.output
