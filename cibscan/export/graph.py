"""The network as GEXF 1.3 and GraphML, for Gephi (and networkx, igraph, Cytoscape, yEd).

Nodes and edges are exactly the rows of :func:`~cibscan.export.tables.nodes_sql` and
:func:`~cibscan.export.tables.network_edges_sql`, so that the files, the tables and the report
always agree. Both writers stream: rows come from the engine in Arrow batches and are written
one element at a time through a file handle, so a network of millions of ties never sits whole
in memory. They share one description of the attribute columns (:data:`NODE_COLUMNS`,
:data:`EDGE_COLUMNS`: name, type, where the value comes from), one loop
(:func:`_write_network`) and one escaping function (:func:`xml_text`); each format only says
how one element is spelt.

Choices worth knowing:

- Edge ``weight`` is the tie's *strength* (``-log10 q``, its significance), not its raw weight,
  so that Gephi's weighted layouts (ForceAtlas2) pull the most certain ties together; the
  rarity-weighted count of shared items is kept as ``weight_raw``.
- ``cluster`` is left out of a node that is in no cluster (a missing value, not ``-1``), so
  that Gephi's partition and statistics do not treat "no cluster" as one more cluster.
- The GEXF graph is *static*, with ``first_time`` and ``last_time`` as ISO 8601 string
  attributes, and no ``mode="dynamic" timeformat="datetime"`` with edge ``start``/``end``.
  networkx 3.6 cannot read a dynamic GEXF file with ``timeformat="datetime"`` (its reader has
  no parser for that time format and raises ``KeyError: 'datetime'``), and the one time format
  both read, ``date``, would declare timestamps to be plain dates. Gephi builds a timeline
  from the two columns (Data Laboratory > Merge columns > Create time interval).
- Every piece of text is attacker-written (handles, display names, even ids): it is
  XML-escaped, and characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF, lone
  surrogates) are replaced with U+FFFD so that every parser accepts the file and the reader
  still sees that something was there.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, TextIO

from cibscan.engine.base import iter_rows_as_dicts
from cibscan.export.base import Exporter, register
from cibscan.export.tables import network_edges_sql, nodes_sql
from cibscan.store import Case

log = logging.getLogger(__name__)

Row = Mapping[str, Any]
Kind = Literal["string", "integer", "long", "double", "boolean"]

#: a character XML 1.0 does not allow anywhere in a document
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: what must be written as a reference; tab, newline and CR too, because a parser turns them
#: into spaces in an attribute value (GEXF keeps every value in attributes)
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"} | {
    c: f"&#{ord(c)};" for c in "\t\n\r"
}
_TO_ESCAPE = re.compile("[&<>\"'\t\n\r]")


def xml_text(text: str) -> str:
    """``text`` safe in XML element content and in a quoted attribute value.

    Forbidden characters become U+FFFD (rather than vanishing, so that ``ctrl\\x07name`` and
    ``ctrlname`` stay distinguishable); the markup characters become entity references.
    """
    text = _FORBIDDEN.sub("\ufffd", text)
    return _TO_ESCAPE.sub(lambda m: _ESCAPES[m.group()], text)


def _lexical(value: Any) -> str:
    """A value in the XML Schema lexical form its declared type expects (before escaping)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "INF" if value > 0 else "-INF"
        return repr(value)
    if isinstance(value, date):  # datetime too: ISO 8601, with the UTC offset
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Column:
    """One attribute of a node or an edge: its name in the file, its type and its value.

    ``native`` marks what GEXF spells as an attribute of the element itself (a node's
    ``label``, an edge's ``weight``); GraphML declares those as keys like any other.
    """

    name: str
    kind: Kind
    value: Callable[[Row], Any]
    native: bool = False


def _col(name: str, kind: Kind, source: str | None = None, native: bool = False) -> Column:
    return Column(name, kind, itemgetter(source or name), native)


#: node attributes, from the columns of :func:`~cibscan.export.tables.nodes_sql`
NODE_COLUMNS: tuple[Column, ...] = (
    Column("label", "string", lambda r: r["handle"] or r["account_id"], native=True),
    _col("platform", "string"),
    _col("account_id", "string"),
    _col("handle", "string"),
    _col("display_name", "string"),
    _col("created_at", "string"),
    _col("cluster", "integer", "cluster_id"),
    _col("score", "double"),
    _col("flagged", "boolean"),
    _col("reasons", "string"),
)

#: edge attributes, from the columns of :func:`~cibscan.export.tables.network_edges_sql`
EDGE_COLUMNS: tuple[Column, ...] = (
    _col("weight", "double", "strength", native=True),
    _col("weight_raw", "double", "weight"),
    _col("signals", "string", "layers"),
    _col("n_layers", "integer"),
    _col("n_shared", "long"),
    _col("p_value", "double"),
    _col("min_gap_seconds", "double"),
    _col("first_time", "string"),
    _col("last_time", "string"),
)

#: GraphML's names of the types where they differ from GEXF's
_GRAPHML_TYPES = {"integer": "int"}

#: values of one element: (column, escaped text), missing values left out
Values = list[tuple[Column, str]]


def _values(columns: Iterable[Column], row: Row) -> Values:
    return [(c, xml_text(_lexical(v))) for c in columns if (v := c.value(row)) is not None]


class _Dialect:
    """How one file format spells the document around the elements, and each element."""

    head: str
    between: str
    tail: str

    def element(self, tag: str, attrs: str, values: Values) -> str:
        """One ``node`` or ``edge`` with its XML attributes (``id`` ...) and its values."""
        raise NotImplementedError


class _Gexf(_Dialect):
    """GEXF 1.3: declared attributes, values in ``<attvalues>``, label and weight native."""

    @staticmethod
    def _declare(kind: str, columns: Iterable[Column]) -> str:
        lines = "".join(
            f'      <attribute id="{c.name}" title="{c.name}" type="{c.kind}"/>\n'
            for c in columns
            if not c.native
        )
        return f'    <attributes class="{kind}" mode="static">\n{lines}    </attributes>\n'

    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gexf xmlns="http://gexf.net/1.3" version="1.3">\n'
        "  <meta>\n    <creator>cibscan</creator>\n"
        "    <description>coordinated accounts and their significant ties</description>\n"
        "  </meta>\n"
        '  <graph mode="static" defaultedgetype="undirected">\n'
        + _declare("node", NODE_COLUMNS)
        + _declare("edge", EDGE_COLUMNS)
        + "    <nodes>\n"
    )
    between = "    </nodes>\n    <edges>\n"
    tail = "    </edges>\n  </graph>\n</gexf>\n"

    def element(self, tag: str, attrs: str, values: Values) -> str:
        native = "".join(f' {c.name}="{text}"' for c, text in values if c.native)
        rest = "".join(
            f'          <attvalue for="{c.name}" value="{text}"/>\n'
            for c, text in values
            if not c.native
        )
        if not rest:
            return f"      <{tag} {attrs}{native}/>\n"
        return (
            f"      <{tag} {attrs}{native}>\n        <attvalues>\n{rest}"
            f"        </attvalues>\n      </{tag}>\n"
        )


class _GraphML(_Dialect):
    """GraphML: one ``<key>`` per attribute (Gephi reads ``label`` and ``weight`` by name)."""

    @staticmethod
    def _declare(kind: str, columns: Iterable[Column]) -> str:
        return "".join(
            f'  <key id="{c.name}" for="{kind}" attr.name="{c.name}" '
            f'attr.type="{_GRAPHML_TYPES.get(c.kind, c.kind)}"/>\n'
            for c in columns
        )

    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        + _declare("node", NODE_COLUMNS)
        + _declare("edge", EDGE_COLUMNS)
        + '  <graph id="cibscan" edgedefault="undirected">\n'
    )
    between = ""
    tail = "  </graph>\n</graphml>\n"

    def element(self, tag: str, attrs: str, values: Values) -> str:
        data = "".join(f'      <data key="{c.name}">{text}</data>\n' for c, text in values)
        return f"    <{tag} {attrs}>\n{data}    </{tag}>\n"


def _write_network(
    out: TextIO, dialect: _Dialect, nodes: Iterable[Row], edges: Iterable[Row]
) -> int:
    """Write every node, then every edge; return how many of both.

    ``nodes`` is consumed to the end before ``edges`` is first touched, so two lazy engine
    queries never run at the same time.
    """
    out.write(dialect.head)
    count = 0
    for row in nodes:
        attrs = f'id="{xml_text(row["node_id"])}"'
        out.write(dialect.element("node", attrs, _values(NODE_COLUMNS, row)))
        count += 1
    out.write(dialect.between)
    for number, row in enumerate(edges):
        attrs = (
            f'id="e{number}" source="{xml_text(row["source"])}" target="{xml_text(row["target"])}"'
        )
        out.write(dialect.element("edge", attrs, _values(EDGE_COLUMNS, row)))
        count += 1
    out.write(dialect.tail)
    return count


def write_gexf(out: TextIO, nodes: Iterable[Row], edges: Iterable[Row]) -> int:
    """Write node and edge rows (as :func:`nodes_sql`, :func:`network_edges_sql`) as GEXF."""
    return _write_network(out, _Gexf(), nodes, edges)


def write_graphml(out: TextIO, nodes: Iterable[Row], edges: Iterable[Row]) -> int:
    """Write node and edge rows (as :func:`nodes_sql`, :func:`network_edges_sql`) as GraphML."""
    return _write_network(out, _GraphML(), nodes, edges)


class GraphExporter(Exporter):
    """The whole network of a case's latest detect run in one graph file."""

    tabular = False

    def __init__(
        self,
        name: str,
        description: str,
        writer: Callable[[TextIO, Iterable[Row], Iterable[Row]], int],
    ) -> None:
        self.name = name
        self.suffix = f".{name}"
        self.description = description
        self._writer = writer

    def write(self, case: Case, path: Path, table: str | None = None, **options: Any) -> int:
        engine = case.engine
        # generators: the edge query starts only once every node row has been written
        nodes = iter_rows_as_dicts(engine, nodes_sql(engine))
        edges = iter_rows_as_dicts(engine, network_edges_sql(engine))
        try:
            with path.open("w", encoding="utf-8", newline="\n") as out:
                count = self._writer(out, nodes, edges)
        except BaseException:
            path.unlink(missing_ok=True)  # no half-written file that looks complete
            raise
        log.debug("wrote %d nodes and edges as %s", count, self.name)
        return count


register(GraphExporter("gexf", "the network for Gephi as GEXF 1.3", write_gexf))
register(GraphExporter("graphml", "the network as GraphML (Gephi, yEd, igraph)", write_graphml))
