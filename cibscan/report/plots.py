"""Inline SVG plots for the HTML report: no JavaScript, no fonts or images from the network.

Each function takes already-aggregated numbers (a 7 x 24 matrix, a few hundred dated counts,
a cluster's nodes and edges) and returns one ``<svg>`` element as text. Every label that
comes from the data goes through :func:`cibscan.report.escape.text`, so an attacker-chosen
handle cannot become markup. Sizes are in CSS pixels; the page scales them with ``max-width``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cibscan.report.escape import text

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PLATFORM_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
)


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{text(label)}">'
        f"{body}</svg>"
    )


def heat_map(matrix: Sequence[Sequence[int]], title: str) -> str:
    """Hour of day (columns) x weekday (rows) counts as shaded cells; darker is busier."""
    cell, left, top = 18, 34, 18
    peak = max((v for row in matrix for v in row), default=0) or 1
    parts = [
        f'<text x="{left + 24 * cell // 2}" y="12" class="t" text-anchor="middle">'
        f"{text(title)}</text>"
    ]
    for d, row in enumerate(matrix):
        y = top + d * cell
        parts.append(f'<text x="0" y="{y + 13}" class="l">{WEEKDAYS[d]}</text>')
        for h, value in enumerate(row):
            shade = 0.06 + 0.94 * value / peak if value else 0.0
            parts.append(
                f'<rect x="{left + h * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                f'fill="#b22222" fill-opacity="{shade:.2f}" stroke="#ddd" stroke-width="0.5">'
                f"<title>{WEEKDAYS[d]} {h:02d}:00: {value} posts</title></rect>"
            )
    for h in range(0, 24, 3):
        parts.append(
            f'<text x="{left + h * cell + 2}" y="{top + 7 * cell + 12}" class="l">{h:02d}</text>'
        )
    return _svg(left + 24 * cell + 4, top + 7 * cell + 18, "".join(parts), title)


def bar_chart(points: Sequence[tuple[date, int]], title: str, colour: str = "#4a6fa5") -> str:
    """Counts over dates as bars on a time axis (gaps in the dates stay gaps)."""
    width, height, left, bottom = 560, 150, 36, 20
    parts = [f'<text x="{width // 2}" y="12" class="t" text-anchor="middle">{text(title)}</text>']
    if not points:
        parts.append(f'<text x="{width // 2}" y="70" class="l" text-anchor="middle">no data</text>')
        return _svg(width, height, "".join(parts), title)
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 0) + 1
    peak = max(v for _, v in points) or 1
    plot_w, plot_h = width - left - 8, height - bottom - 22
    bar_w = max(plot_w / span, 1.0)
    for day, value in points:
        x = left + (day - first).days * plot_w / span
        h = plot_h * value / peak
        parts.append(
            f'<rect x="{x:.1f}" y="{20 + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{colour}"><title>{day.isoformat()}: {value}</title></rect>'
        )
    parts.append(_date_axis(peak, first, last, left, width, height))
    return _svg(width, height, "".join(parts), title)


def _date_axis(peak: int, first: date, last: date, left: int, width: int, height: int) -> str:
    """The peak value on the left, the first and last dates under the bars."""
    return (
        f'<text x="0" y="28" class="l">{peak}</text>'
        f'<text x="{left}" y="{height - 4}" class="l">{first.isoformat()}</text>'
        f'<text x="{width - 8}" y="{height - 4}" class="l" text-anchor="end">'
        f"{last.isoformat()}</text>"
    )


def class_share_chart(points: Sequence[tuple[date, int, int]], title: str) -> str:
    """Political (red, bottom) and mundane (green, top) posts per week as stacked bars, with
    the political share in each bar's tooltip: camouflage shows as green between red."""
    width, height, left, bottom = 560, 150, 36, 20
    parts = [f'<text x="{width // 2}" y="12" class="t" text-anchor="middle">{text(title)}</text>']
    shown = [(d, p, m) for d, p, m in points if p + m > 0]
    if not shown:
        parts.append(
            f'<text x="{width // 2}" y="70" class="l" text-anchor="middle">'
            "no political or mundane posts</text>"
        )
        return _svg(width, height, "".join(parts), title)
    first, last = shown[0][0], shown[-1][0]
    weeks = (last - first).days // 7 + 1
    peak = max(p + m for _, p, m in shown)
    plot_w, plot_h = width - left - 8, height - bottom - 22
    bar_w = max(plot_w / weeks - 1, 1.0)
    for day, political, mundane in shown:
        x = left + (day - first).days // 7 * plot_w / weeks
        hp, hm = plot_h * political / peak, plot_h * mundane / peak
        tip = (
            f"week of {day.isoformat()}: {political} political, {mundane} mundane "
            f"({political / (political + mundane):.0%} political)"
        )
        parts.append(
            f"<g><title>{tip}</title>"
            f'<rect x="{x:.1f}" y="{20 + plot_h - hp:.1f}" width="{bar_w:.1f}" '
            f'height="{hp:.1f}" fill="#b22222"/>'
            f'<rect x="{x:.1f}" y="{20 + plot_h - hp - hm:.1f}" width="{bar_w:.1f}" '
            f'height="{hm:.1f}" fill="#6a8f3a"/></g>'
        )
    parts.append(_date_axis(peak, first, last, left, width, height))
    return _svg(width, height, "".join(parts), title)


@dataclass(frozen=True)
class MapNode:
    """One account on a network map."""

    key: str
    label: str
    platform: str
    flagged: bool


def network_map(
    nodes: Sequence[MapNode], edges: Sequence[tuple[int, int, float]], title: str
) -> str:
    """A cluster's accounts and ties, laid out by Kamada-Kawai (deterministic: it starts
    from a circle), coloured by platform; flagged accounts have a dark outline. Edge width
    grows with the tie's strength; every node carries its label as a tooltip and, for small
    maps, as text."""
    import igraph as ig  # imported here: only the report's maps need it

    size, pad = 420, 28
    if not nodes:
        return _svg(size, 60, '<text x="10" y="30" class="l">no ties</text>', title)
    graph = ig.Graph(n=len(nodes), edges=[(a, b) for a, b, _ in edges])
    coords = graph.layout_kamada_kawai().coords if len(nodes) > 1 else [[0.0, 0.0]]
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0

    def at(i: int) -> tuple[float, float]:
        x = pad + (xs[i] - min(xs)) / span_x * (size - 3 * pad)
        y = pad + (ys[i] - min(ys)) / span_y * (size - 2 * pad)
        return x, y

    platforms = sorted({n.platform for n in nodes})
    colour = {p: PLATFORM_COLOURS[i % len(PLATFORM_COLOURS)] for i, p in enumerate(platforms)}
    peak = max((w for _, _, w in edges), default=1.0) or 1.0
    parts = []
    for a, b, w in edges:
        (x1, y1), (x2, y2) = at(a), at(b)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#888" '
            f'stroke-opacity="0.6" stroke-width="{0.5 + 2.5 * min(w / peak, 1):.2f}"/>'
        )
    show_labels = len(nodes) <= 25
    for i, node in enumerate(nodes):
        x, y = at(i)
        outline = ' stroke="#111" stroke-width="2"' if node.flagged else ""
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour[node.platform]}"{outline}>'
            f"<title>{text(node.label)} ({text(node.platform)})</title></circle>"
        )
        if show_labels:
            parts.append(
                f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" class="n">{text(node.label[:24])}</text>'
            )
    legend = "".join(
        f'<circle cx="{10 + 110 * k}" cy="{size + 10}" r="5" fill="{colour[p]}"/>'
        f'<text x="{18 + 110 * k}" y="{size + 14}" class="l">{text(p[:14])}</text>'
        for k, p in enumerate(platforms[:4])
    )
    return _svg(size, size + 20, "".join(parts) + legend, title)
