"""GEXF and GraphML exports: read back by networkx, same counts as the SQL, typed attributes,
hostile text inert, a golden file for the exact spelling, an empty network, the CLI."""

from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.detect.pipeline import DetectReport, detect
from cibscan.export import export
from cibscan.export.graph import GraphExporter, write_gexf, write_graphml, xml_text
from cibscan.export.tables import network_edges_sql, nodes_sql
from cibscan.store import Case, open_case
from tests import scenes
from tests.conftest import load, rows

GOLDEN = Path(__file__).parent / "golden"
READERS: dict[str, Callable[[Path], Any]] = {"gexf": nx.read_gexf, "graphml": nx.read_graphml}
NODE_TYPES = {
    "label": str,
    "platform": str,
    "account_id": str,
    "handle": str,
    "display_name": str,
    "created_at": str,
    "cluster": int,
    "score": float,
    "flagged": bool,
    "reasons": str,
}
EDGE_TYPES = {
    "weight": float,
    "weight_raw": float,
    "signals": str,
    "n_layers": int,
    "n_shared": int,
    "p_value": float,
    "min_gap_seconds": float,
    "first_time": str,
    "last_time": str,
}


def count(case: Case, sql: str) -> int:
    return int(case.engine.fetchall(f"SELECT count(*) FROM ({sql})")[0][0])


def read_back(case: Case, file_format: str, folder: Path) -> tuple[int, Any]:
    path = folder / f"network.{file_format}"
    written = export(case, file_format, path)
    return written, READERS[file_format](path)


@pytest.fixture(scope="module", params=sorted(READERS))
def scene_graph(
    request: pytest.FixtureRequest,
    scene: tuple[Case, DetectReport],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, int, Any]:
    """Each format of the shared scene, written once and read back by networkx."""
    case, _ = scene
    written, graph = read_back(case, request.param, tmp_path_factory.mktemp(request.param))
    return request.param, written, graph


@pytest.fixture(scope="module")
def small_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed case file (for the CLI): one retweet ring on an organic background, with
    display names and creation dates, which the shared scene's accounts lack."""
    folder = tmp_path_factory.mktemp("small")
    posts = scenes.organic_background() + scenes.retweet_ring()
    for p in posts:
        p["acct_display_name"] = f"Name of {p['account_id']}"
        p["acct_created_at"] = "2020-01-02T03:04:05+00:00"
    path = scenes.write(folder / "small.jsonl", posts)
    with open_case(folder / "case.duckdb") as case:
        load(case, path, format="generic_jsonl")
        detect(case)
    return folder / "case.duckdb"


def test_counts_match_the_sql(scene: tuple[Case, DetectReport], scene_graph: Any) -> None:
    case, _ = scene
    _, written, graph = scene_graph
    nodes, edges = count(case, nodes_sql(case.engine)), count(case, network_edges_sql(case.engine))
    assert edges > 0
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (nodes, edges)
    assert written == nodes + edges
    assert not graph.is_directed() and not graph.is_multigraph()


def test_known_node_and_edge_are_typed(scene: tuple[Case, DetectReport], scene_graph: Any) -> None:
    case, _ = scene
    _, _, graph = scene_graph
    ring_0 = graph.nodes["twitter:ring_0"]
    assert ring_0["platform"] == "twitter" and ring_0["label"] == "ring_0"
    assert ring_0["flagged"] is True
    [expected] = rows(
        case,
        "SELECT cluster_id, score FROM account_scores WHERE platform = 'twitter' "
        "AND account_id = 'ring_0'",
    )
    assert ring_0["cluster"] == expected["cluster_id"]
    assert ring_0["score"] == pytest.approx(expected["score"])
    # this scene has no display names nor creation dates: a missing value is left out
    for name, kind in NODE_TYPES.items():
        if name not in ("display_name", "created_at"):
            assert isinstance(ring_0[name], kind), name
    edge = graph.edges["twitter:ring_0", "twitter:ring_1"]
    assert "co_repost" in edge["signals"].split(";")
    assert edge["weight"] > 0 and edge["weight_raw"] > 0
    for name, kind in EDGE_TYPES.items():
        assert isinstance(edge[name], kind), name
    assert datetime.fromisoformat(edge["first_time"]) <= datetime.fromisoformat(edge["last_time"])


def test_hostile_handles_survive_escaping(scene_graph: Any) -> None:
    _, _, graph = scene_graph
    labels = {graph.nodes[f"twitter:hostile_{m}"]["label"] for m in range(4)}
    assert labels == {"<b>bold</b>", "\u202eadmin", 'quote"s & <amp>', "ctrl\ufffdname"}


@pytest.mark.parametrize("file_format", sorted(READERS))
def test_every_attribute_end_to_end(small_case: Path, tmp_path: Path, file_format: str) -> None:
    """Through the CLI, on a case whose accounts have every field: all attributes typed."""
    target = tmp_path / f"x.{file_format}"
    args = ["export", "--case", str(small_case), "--format", file_format, "--out", str(target)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "items written" in result.output
    graph = READERS[file_format](target)
    node = graph.nodes["twitter:ring_0"]
    for name, kind in NODE_TYPES.items():
        assert isinstance(node[name], kind), name
    assert node["display_name"] == "Name of ring_0"
    assert datetime.fromisoformat(node["created_at"]) == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert "co_repost" in graph.edges["twitter:ring_0", "twitter:ring_5"]["signals"]


def test_cli_refuses_a_table_name_for_a_network_format(small_case: Path, tmp_path: Path) -> None:
    args = ["export", "accounts", "--case", str(small_case), "--format", "gexf"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "x.gexf")])
    assert result.exit_code != 0
    assert "gexf writes the whole network in one file; leave out the table name" in result.output
    assert not (tmp_path / "x.gexf").exists()


@pytest.mark.parametrize("file_format", sorted(READERS))
def test_detected_case_without_findings_writes_an_empty_network(
    tmp_path: Path, file_format: str
) -> None:
    posts = [scenes.post(f"p{i}", f"solo_{i}", i * 86400, f"own words {i}") for i in range(3)]
    path = scenes.write(tmp_path / "quiet.jsonl", posts)
    with open_case(tmp_path / "case.duckdb") as case:
        load(case, path, format="generic_jsonl")
        assert detect(case).edges == 0
        written, graph = read_back(case, file_format, tmp_path)
    assert written == 0
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (0, 0)


# Golden files: the exact spelling of both formats for two nodes and one edge, hostile text
# included. After an intended change of the output, regenerate them with
#   CIBSCAN_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_export_graph.py -k golden
# and review the diff before committing.
TINY_NODES = [
    {
        "node_id": "twitter:a1",
        "platform": "twitter",
        "account_id": "a1",
        "handle": "<b>ann</b> & 'co'",
        "display_name": 'Ann "\x07\ud800\ufffe" \u202e',
        "created_at": datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
        "cluster_id": 0,
        "score": 0.75,
        "flagged": True,
        "reasons": "co_repost: tied to 1 account(s)\nsecond line\ttab",
    },
    {
        "node_id": "reddit:b2",
        "platform": "reddit",
        "account_id": "b2",
        "handle": None,
        "display_name": None,
        "created_at": None,
        "cluster_id": None,
        "score": 0.0,
        "flagged": False,
        "reasons": "",
    },
]
TINY_EDGES = [
    {
        "source": "twitter:a1",
        "target": "reddit:b2",
        "strength": 3.5,
        "p_value": 0.000316,
        "weight": 2.25,
        "n_shared": 3,
        "layers": ["co_repost", "co_url"],
        "n_layers": 2,
        "min_gap_seconds": 4.0,
        "first_time": datetime(2024, 3, 4, 1, 0, tzinfo=UTC),
        "last_time": datetime(2024, 3, 5, 1, 0, 30, tzinfo=UTC),
    }
]
WRITERS = {"gexf": write_gexf, "graphml": write_graphml}


@pytest.mark.parametrize("file_format", sorted(WRITERS))
def test_golden_file(file_format: str) -> None:
    out = io.StringIO()
    assert WRITERS[file_format](out, iter(TINY_NODES), iter(TINY_EDGES)) == 3
    golden = GOLDEN / f"tiny.{file_format}"
    if os.environ.get("CIBSCAN_REGEN_GOLDEN"):
        golden.write_text(out.getvalue(), encoding="utf-8", newline="\n")
    assert out.getvalue() == golden.read_text(encoding="utf-8")
    graph = READERS[file_format](golden)
    a1 = graph.nodes["twitter:a1"]
    assert a1["label"] == "<b>ann</b> & 'co'"
    assert a1["display_name"] == 'Ann "\ufffd\ufffd\ufffd" \u202e'
    assert a1["reasons"] == "co_repost: tied to 1 account(s)\nsecond line\ttab"
    assert graph.nodes["reddit:b2"]["label"] == "b2"  # no handle: the account id
    assert "cluster" not in graph.nodes["reddit:b2"]
    edge = graph.edges["twitter:a1", "reddit:b2"]
    assert (edge["weight"], edge["weight_raw"], edge["signals"]) == (3.5, 2.25, "co_repost;co_url")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f"),
        ("\x00\x08\x0b\x0c\x1f\x7f", "\ufffd" * 5 + "\x7f"),
        ("\ud800 \udfff \ufffe \uffff", "\ufffd \ufffd \ufffd \ufffd"),
        ("tab\tnl\ncr\r", "tab&#9;nl&#10;cr&#13;"),
        ("\u202e\U0001f600 ok", "\u202e\U0001f600 ok"),
    ],
)
def test_xml_text(text: str, expected: str) -> None:
    assert xml_text(text) == expected
    # whatever went in, the result parses as an attribute value and as element content
    ET.fromstring(f'<x a="{xml_text(text)}">{xml_text(text)}</x>')


def test_a_failed_write_leaves_no_file(scene: tuple[Case, DetectReport], tmp_path: Path) -> None:
    def broken(out: Any, nodes: Any, edges: Any) -> int:
        out.write("<gexf>")
        raise RuntimeError("disk full")

    case, _ = scene
    with pytest.raises(RuntimeError):
        GraphExporter("broken", "test only", broken).write(case, tmp_path / "x.gexf")
    assert not (tmp_path / "x.gexf").exists()
