"""The STIX 2.1 exporter: object counts against the findings, references, patterns, hostile
text, the technique mapping against its sources, determinism and golden files.

Golden files (tests/golden/stix_*.json) are regenerated with
``CIBSCAN_REGEN_GOLDEN=1 python -m pytest tests/test_export_stix.py -k golden``; review the
diff before committing it.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from collections.abc import Iterator
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
from cibscan.export.stix import account_pattern, attack_pattern, producer
from cibscan.signals.base import SIGNALS
from cibscan.store import Case, open_case
from tests import scenes
from tests.conftest import SHARED, load, rows

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
        if obj.type != "user-account" and obj.id != me:
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
    assert set(tq.SIGNAL_TECHNIQUES["co_repost"][0]) <= disarm_ids
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
        evidence = od.x_cibscan_evidence
        assert 0 < len(evidence) <= 200 and od.number_observed >= len(evidence)
        assert {"signal", "account_a", "account_b", "post_a", "gap_seconds"} <= set(evidence[0])


def test_pattern_escaping() -> None:
    pattern = account_pattern("twitter", "1", "it's\\me")
    assert pattern == (
        "[user-account:account_login = 'it\\'s\\\\me' AND user-account:account_type = 'twitter']"
    )
    assert validate(pattern)
    assert "user_id = '7'" in account_pattern("reddit", "7", None)


def test_the_bundle_is_deterministic(
    scene_bundle: tuple[Case, int, Any, Path], tmp_path: Path
) -> None:
    case, _, _, path = scene_bundle
    export(case, "stix", tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_every_signal_is_mapped_and_the_mapping_matches_its_sources() -> None:
    assert set(tq.SIGNAL_TECHNIQUES) == set(SIGNALS.all())
    for disarm_ids, meta_ids in tq.SIGNAL_TECHNIQUES.values():
        assert disarm_ids and meta_ids
        assert set(disarm_ids) <= set(tq.DISARM) and set(meta_ids) <= set(tq.META)
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
        cells = {
            (r["Tactic"], c) for r in csv.DictReader(f) for c in (r["Technique"], r["Procedure"])
        }
    for t in tq.META.values():
        assert (t.tactic, f"{t.id} {t.name}") in cells, t


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


def test_docs_show_the_mapping() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "outputs.md").read_text(encoding="utf-8")
    for signal, (disarm_ids, meta_ids) in tq.SIGNAL_TECHNIQUES.items():
        row = next(line for line in docs.splitlines() if line.startswith(f"| `{signal}` | T"))
        for t in [tq.DISARM[i] for i in disarm_ids] + [tq.META[i] for i in meta_ids]:
            assert f"{t.id} {t.name}" in row, (signal, t)
