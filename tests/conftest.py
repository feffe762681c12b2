"""Shared test helpers: paths to the real format samples and a one-call ingest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.pipeline import DetectReport, detect
from cibscan.ingest.pipeline import IngestOptions, IngestReport, ingest
from cibscan.store import Case, open_case
from tests import scenes

if TYPE_CHECKING:  # pyspark is an extra; the fixture imports it when a Spark test asks
    from cibscan.engine.spark_engine import SparkEngine

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FORMATS = SHARED / "formats"
#: the project's own small hand-built samples of formats with no real sample in ../shared
FIXTURES = ROOT / "tests" / "fixtures" / "formats"


@pytest.fixture
def case(tmp_path: Path) -> Iterator[Case]:
    """A fresh file-backed case (a real DuckDB file, as users get)."""
    c = open_case(tmp_path / "case.duckdb")
    yield c
    c.close()


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkEngine]:
    """One local Spark (local[2]) for the whole session, its warehouse in a temporary folder:
    the three engine modules share it (a SparkContext started per module cost its start and
    its first jobs' warm-up three times). Each test (re)creates the tables it reads; names
    are shared, so none may rely on a table another module left."""
    from cibscan.engine.spark_engine import SparkEngine, local_session

    session = local_session("local[2]", warehouse=tmp_path_factory.mktemp("warehouse"))
    engine = SparkEngine(session)
    yield engine
    engine.close()
    session.stop()


def load(case: Case, *paths: str | Path, **options: Any) -> IngestReport:
    """Ingest ``paths`` into ``case`` and check the counts reconcile for every file."""
    report = ingest(case, [str(p) for p in paths], IngestOptions(**options))
    for f in report.files:
        assert f.read == f.stored + f.duplicates + f.quarantined, f
    return report


def rows(case: Case, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Query results as dicts."""
    return list(case.engine.fetch_arrow(sql, list(params) or None).to_pylist())


@pytest.fixture(scope="session")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Case, DetectReport]]:
    """The full scene of tests/scenes.py (four campaigns, four organic hard negatives) plus
    the hostile-text ring, ingested and detected once for the whole session. Read only."""
    folder = tmp_path_factory.mktemp("scene")
    posts = scenes.full_scene() + scenes.hostile_ring()
    path = scenes.write(folder / "scene.jsonl", posts)
    case = open_case(folder / "case.duckdb")
    load(case, path, format="generic_jsonl")
    report = detect(case)
    yield case, report
    case.close()


def detect_posts(case: Case, folder: Path, posts: list[scenes.Post], **params: Any) -> None:
    """Write hand-built posts, ingest them with the generic adapter and detect, with per
    signal or tell parameter overrides (``camouflage={"spam_only": False}``)."""
    load(case, scenes.write(folder / "posts.jsonl", posts), format="generic_jsonl")
    detect(case, DetectOptions(params=params))


def tell_rows(case: Case, tell: str) -> dict[str, dict[str, Any]]:
    """The rows one tell wrote, by account id."""
    found = rows(
        case,
        """SELECT i.account_id, t.score, t.detail, t.strength, t.cluster_id
           FROM account_tells AS t JOIN account_index AS i USING (acct) WHERE t.tell = ?""",
        tell,
    )
    return {str(r["account_id"]): r for r in found}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``) every Spark test goes to one worker, which
    then starts one JVM for them all, while the other worker runs the rest."""
    for item in items:
        if item.get_closest_marker("spark"):
            item.add_marker(pytest.mark.xdist_group("spark"))
