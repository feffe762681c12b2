"""The Python API: docs/python.md's example run as written, the top-level names being the
functions the CLI calls, and Findings' tables, account names, conversions and notebook view."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import cibscan
from cibscan.store import Case, CaseError
from tests import scenes
from tests.conftest import load
from tests.stix_check import validator_findings

DOC = Path(__file__).parents[1] / "docs" / "python.md"


def python_blocks(markdown: str) -> list[str]:
    """The ```python blocks of a Markdown page, in order."""
    return re.findall(r"^```python\n(.*?)^```$", markdown, flags=re.S | re.M)


def test_the_docs_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every python block of docs/python.md, run in order in an empty folder, does what the
    page says: pandas and polars tables of the flagged accounts and clusters, the evidence
    of the best account, a TLP:GREEN bundle that passes the validator, the whole run."""
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "docs_python"}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    accounts, clusters, evidence = (namespace[k] for k in ("accounts", "clusters", "evidence"))
    assert type(accounts).__module__.startswith("pandas") and len(accounts) > 0
    assert accounts["flagged"].all()
    assert str(accounts["cluster_id"].dtype) == "Int32"  # an integer, not a float
    assert type(clusters).__module__.startswith("polars")
    assert set(accounts["cluster_id"].dropna()) <= set(clusters["cluster_id"].to_list())
    best = namespace["best"]
    assert evidence.num_rows > 0
    for row in evidence.select(["account_id_a", "account_id_b"]).to_pylist():
        assert best.account_id in (row["account_id_a"], row["account_id_b"])
    bundle = tmp_path / "bundle.stix.json"
    assert validator_findings(bundle) == []
    assert '"name": "TLP:GREEN"' in bundle.read_text(encoding="utf-8")
    # the one-call run found the same flagged accounts as the step-by-step one
    assert namespace["flagged"].num_rows == len(accounts)
    assert (tmp_path / "results" / "network.stix.json").exists()


def test_top_level_names_are_the_functions_the_cli_calls() -> None:
    """Library first, thin CLI: the command line imports the very same objects."""
    from cibscan.cli import findings as cli_findings
    from cibscan.cli import ingest as cli_ingest

    pipeline = sys.modules["cibscan.detect.pipeline"]
    assert cibscan.detect is pipeline.detect is cli_findings.detect
    assert cibscan.export is cli_findings.export
    assert cibscan.ingest is cli_ingest
    assert cibscan.run is cli_findings.run_pipeline
    assert cibscan.open_case is cli_findings.open_case
    # the subpackages stay importable by their full names
    from cibscan.detect import base

    assert base.DetectOptions is cibscan.DetectOptions


@pytest.fixture(scope="module")
def ringed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A retweet ring of six (ring_0..ring_5, handles = ids) and the hostile-text ring
    (handles with markup, a right-to-left override and a control character) among 30
    organic people, detected."""
    folder = tmp_path_factory.mktemp("api")
    posts = scenes.organic_background(people=30, days=10)
    posts += scenes.retweet_ring() + scenes.hostile_ring()
    with cibscan.open_case(folder / "case.duckdb") as case:
        load(case, scenes.write(folder / "p.jsonl", posts), format="generic_jsonl")
        report = cibscan.detect(case)
        assert report.findings.summary()["run_id"] == report.run_id
        json.dumps(report.as_dict(), default=str)  # --json still works: no case inside
        assert "case" not in report.as_dict()
    return folder / "case.duckdb"


def test_evidence_of_one_account_by_every_name(ringed: Path) -> None:
    with cibscan.Findings.open(ringed) as found:
        everything = found.evidence().to_pylist()
        mine = [r for r in everything if "ring_0" in (r["account_id_a"], r["account_id_b"])]
        assert mine  # its co_repost ties with the five others
        for name in ("twitter:ring_0", "ring_0", "@RING_0"):
            assert found.evidence(name).to_pylist() == mine, name
        assert found.resolve("@ring_0") == ("twitter", "ring_0")
        with pytest.raises(ValueError, match="no account"):
            found.evidence("nobody_here")


def test_ambiguous_names_are_refused(case: Case, tmp_path: Path) -> None:
    """The same id on two platforms: the bare id is refused with both candidates, the
    platform-qualified name is not."""
    posts = [
        scenes.post("t1", "same", 0, "hello"),
        scenes.post("r1", "same", 60, "hello", platform="reddit"),
    ]
    load(case, scenes.write(tmp_path / "a.jsonl", posts), format="generic_jsonl")
    cibscan.detect(case)
    found = cibscan.Findings(case)
    with pytest.raises(ValueError, match="reddit:same, twitter:same"):
        found.resolve("same")
    assert found.resolve("reddit:same") == ("reddit", "same")


def test_tables_in_every_form(ringed: Path) -> None:
    with cibscan.Findings.open(ringed) as found:
        arrow = found.accounts()
        assert isinstance(arrow, pa.Table)
        assert arrow.column_names[:7] == [
            "platform", "account_id", "handle", "score", "flagged", "cluster_id", "reasons",
        ]  # fmt: skip
        scores = arrow.column("score").to_pylist()
        assert scores == sorted(scores, reverse=True)  # best first
        frame = found.accounts(to="pandas")
        # organic accounts are in no cluster: missing, yet the column stays an integer
        assert frame["cluster_id"].isna().any() and str(frame["cluster_id"].dtype) == "Int32"
        assert found.edges(to="polars").height == found.edges().num_rows > 0
        assert found.clusters(to="pandas").shape[0] == found.clusters().num_rows
        with pytest.raises(ValueError, match="unknown form"):
            found.clusters(to="excel")


def test_repr_html_escapes_attacker_text(ringed: Path) -> None:
    with cibscan.Findings.open(ringed) as found:
        page = found._repr_html_()
        handles = found.accounts(flagged=True).column("handle").to_pylist()
    assert "<b>bold</b>" in handles  # the hostile ring is flagged ...
    assert "<b>bold" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page  # ... and shown inert
    assert "\u202e" not in page and "⟦U+202E⟧" in page
    assert "<script" not in page
    assert page.startswith("<div><p><b>cibscan findings</b>, detect run 1")


def test_findings_need_a_detect_run(case: Case) -> None:
    with pytest.raises(CaseError, match="no findings yet"):
        cibscan.Findings(case)


def test_a_run_result_opens_its_findings(tmp_path: Path) -> None:
    posts = scenes.organic_background(people=20, days=5) + scenes.retweet_ring()
    path = scenes.write(tmp_path / "p.jsonl", posts)
    result = cibscan.run(
        [path], tmp_path / "out", ingest_options=cibscan.IngestOptions("generic_jsonl")
    )
    with pytest.raises(ValueError, match="not tied to a case"):
        result.detect.findings  # noqa: B018  (the case is closed after the run)
    with result.findings() as found:
        flagged = set(found.accounts(flagged=True).column("account_id").to_pylist())
    assert {f"ring_{m}" for m in range(6)} <= flagged
