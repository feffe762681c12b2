"""The report's plots as static SVG, drawn by matplotlib: no script, no font or image fetched.

Each function takes already-aggregated numbers (a 7 x 24 matrix, a few hundred dated counts,
a cluster's nodes and edges) and returns one ``<svg>`` element as text, or None when there
is nothing to draw (the page then says so in a line instead of an empty box). Text stays text
in the SVG (``svg.fonttype: none``): it is small, selectable, and drawn in the page's font.

Labels that come from the data (handles) are written by the accounts under investigation:
they are cleaned of invisible characters and cut here, matplotlib's SVG writer escapes them,
and mathtext is off so that a ``$`` in a handle is a dollar sign, not a formula.

Time axes cover the **active period**: posts cluster in runs of days, and a hijacked
account's posts from years before the operation would squash a two-week operation into a
sliver. Runs of days separated by more than :data:`GAP_DAYS` quiet days that hold under
:data:`MINOR_SHARE` of the posts are left off the axis and counted in a note under the plot.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cibscan.report.escape import clean

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
#: quiet days that split a cluster's activity into separate runs
GAP_DAYS = 30
#: a run holding less than this share of the posts is an outlier, not the operation
MINOR_SHARE = 0.05
#: how many accounts of a network map are named on it (the strongest-tied)
LABELLED_NODES = 8

_RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.family": "sans-serif",
}
#: room for tick labels, the axis label and the date axis' offset line (a fixed layout:
#: matplotlib's constrained layout doubles the time of a plot)
_MARGINS = {"left": 0.12, "right": 0.97, "bottom": 0.24, "top": 0.88}
_GROUP_ID = re.compile(r' id="[A-Za-z][A-Za-z0-9.]*_\d+"')
_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)


def _short(label: str, limit: int) -> str:
    """A data label for a plot: invisible characters made visible, cut with an ellipsis."""
    shown = clean(label, None)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


@dataclass(frozen=True)
class Period:
    """The days a time axis shows, and the posts of the days it leaves off."""

    first: date
    last: date
    before: int = 0
    after: int = 0
    outlier_first: date | None = None
    outlier_last: date | None = None

    def outside(self) -> str:
        """``23 posts outside the active period (2013-08-06 to 2017-11-27)``, or ""."""
        left = self.before + self.after
        if not left or self.outlier_first is None or self.outlier_last is None:
            return ""
        posts = "1 post" if left == 1 else f"{left:,} posts"
        span = (
            self.outlier_first.isoformat()
            if self.outlier_first == self.outlier_last
            else f"{self.outlier_first.isoformat()} to {self.outlier_last.isoformat()}"
        )
        return f"{posts} outside the active period ({span})"

    def note(self) -> str:
        """What a plot left off, in a sentence, or an empty string."""
        if not self.outside():
            return ""
        return (
            f"Not on the axis: {self.outside()}, such as a hijacked account's posts from "
            "before the operation."
        )


def active_period(points: Sequence[tuple[date, int]]) -> Period | None:
    """The run of busy days to plot: runs split by more than GAP_DAYS quiet days, keeping
    from the first to the last run that holds at least MINOR_SHARE of the posts."""
    shown = sorted((d, n) for d, n in points if n > 0)
    if not shown:
        return None
    total = sum(n for _, n in shown)
    runs: list[list[tuple[date, int]]] = [[shown[0]]]
    for d, n in shown[1:]:
        if (d - runs[-1][-1][0]).days > GAP_DAYS:
            runs.append([])
        runs[-1].append((d, n))
    major = [i for i, r in enumerate(runs) if sum(n for _, n in r) >= MINOR_SHARE * total]
    if not major:
        return Period(shown[0][0], shown[-1][0])
    lo, hi = major[0], major[-1]
    outside = [p for r in runs[:lo] + runs[hi + 1 :] for p in r]
    return Period(
        runs[lo][0][0],
        runs[hi][-1][0],
        before=sum(n for r in runs[:lo] for _, n in r),
        after=sum(n for r in runs[hi + 1 :] for _, n in r),
        outlier_first=min((d for d, _ in outside), default=None),
        outlier_last=max((d for d, _ in outside), default=None),
    )


@contextmanager
def plot_style() -> Iterator[None]:
    """The report's matplotlib settings for the plots drawn inside, restored afterwards
    (entered once per page: an ``rc_context`` per figure costs more than some figures)."""
    import matplotlib

    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        yield


def _svg(fig: Any, label: str, salt: str) -> str:
    """The figure as an inline ``<svg>`` element (the XML prolog and metadata dropped).
    ``salt`` makes the SVG's internal ids (clip paths) unique on the page and the same from
    run to run; it is set for this save only."""
    import matplotlib

    params = matplotlib.rcParams
    before = params["svg.hashsalt"]
    params["svg.hashsalt"] = salt
    out = io.StringIO()
    try:
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        params["svg.hashsalt"] = before
    svg = _PROLOG.sub("", out.getvalue(), count=1)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    # matplotlib names its groups figure_1, axes_1...: the same in every plot, so dropped
    # (nothing refers to them); the hashed ids of clip paths and markers stay
    svg = _GROUP_ID.sub("", svg)
    # an accessible name for the plot; ``label`` is our own title, never data
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def _date_axis(ax: Any) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=4, maxticks=9)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def _bin(points: Sequence[tuple[date, int]]) -> tuple[list[tuple[date, int]], str, float]:
    """Counts per day, week or month, whichever keeps the bars countable for the span."""
    span = (points[-1][0] - points[0][0]).days
    if span <= 90:
        return list(points), "day", 0.9
    binned: dict[date, int] = {}
    if span <= 730:
        for d, n in points:
            key = d - timedelta(days=d.weekday())
            binned[key] = binned.get(key, 0) + n
        return sorted(binned.items()), "week", 6.0
    for d, n in points:
        key = d.replace(day=1)
        binned[key] = binned.get(key, 0) + n
    return sorted(binned.items()), "month", 25.0


class Plotter:
    """Draws a page's heat maps and bar charts, one figure per kind of plot reused from
    cluster to cluster: only the data, limits and title change, so the axes, ticks and
    colour bar are built once per page (a plot drawn on a new figure costs 2-3 times as
    much, most of it in making ticks). Use one Plotter per page, in one thread."""

    def __init__(self) -> None:
        self._heat: tuple[Any, Any, Any] | None = None
        self._bars: dict[str, tuple[Any, Any]] = {}

    def heat_map(self, matrix: Sequence[Sequence[int]], title: str, salt: str) -> str | None:
        """Posts by weekday (rows) and hour of day (columns), with a colour scale."""
        import numpy as np

        values = np.array([list(r) for r in matrix], dtype=float)
        if not values.any():
            return None
        if self._heat is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(5.6, 2.7))
            ax = fig.subplots()
            fig.subplots_adjust(left=0.1, right=0.92, bottom=0.2, top=0.88)
            image = ax.imshow(values, cmap="Reds", aspect="auto", interpolation="nearest")
            ax.set_yticks(range(7), WEEKDAYS)
            ax.set_xticks(range(0, 24, 3), [f"{h:02d}:00" for h in range(0, 24, 3)])
            ax.set_xlabel("hour of day (UTC)")
            for side in ("left", "bottom"):
                ax.spines[side].set_visible(False)
            bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
            bar.set_label("posts")
            self._heat = (fig, ax, image)
        fig, ax, image = self._heat
        image.set_data(values)
        image.set_clim(0, float(values.max()))
        ax.set_title(title)
        return _svg(fig, title, salt)

    def _axes(self, kind: str, ylabel: str, right: float = _MARGINS["right"]) -> tuple[Any, Any]:
        """The reused figure of one kind of bar chart, emptied of the last chart's bars."""
        if kind not in self._bars:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(5.6, 2.6))
            ax = fig.subplots()
            fig.subplots_adjust(**{**_MARGINS, "right": right})
            ax.set_ylabel(ylabel)
            _date_axis(ax)
            self._bars[kind] = (fig, ax)
        fig, ax = self._bars[kind]
        for artist in list(ax.collections):
            artist.remove()
        return fig, ax

    @staticmethod
    def _columns(
        ax: Any,
        days: Sequence[date],
        heights: Sequence[int],
        width: float,
        colour: str,
        bottoms: Sequence[int] | None = None,
        align_left: bool = False,
    ) -> None:
        """Bars as one collection of rectangles (one artist, not one per bar: the SVG is
        the same, the drawing several times faster on a few hundred days)."""
        from matplotlib.collections import PolyCollection
        from matplotlib.dates import date2num

        x = date2num(list(days))  # type: ignore[no-untyped-call]
        left = x if align_left else x - width / 2
        base = list(bottoms) if bottoms is not None else [0] * len(heights)
        boxes = [
            [(a, b), (a + width, b), (a + width, b + h), (a, b + h)]
            for a, b, h in zip(left, base, heights, strict=True)
            if h > 0
        ]
        ax.add_collection(PolyCollection(boxes, facecolors=colour, edgecolors="none"))

    def daily_bars(
        self, points: Sequence[tuple[date, int]], title: str, salt: str
    ) -> tuple[str, str] | None:
        """Posts per day over the active period, and the note of what it left off."""
        period = active_period(points)
        if period is None:
            return None
        shown = [(d, n) for d, n in points if period.first <= d <= period.last]
        fig, ax = self._axes("daily", "posts")
        self._columns(ax, [d for d, _ in shown], [n for _, n in shown], 0.9, "#4a6fa5")
        pad = timedelta(days=1)
        ax.set_xlim(period.first - pad, period.last + pad)
        ax.set_ylim(0, max(n for _, n in shown) * 1.05)
        ax.set_title(title)
        return _svg(fig, title, salt), period.note()

    def created_bars(self, points: Sequence[tuple[date, int]], title: str, salt: str) -> str | None:
        """Accounts created per day, week or month over the whole span: a batch of accounts
        created together is a spike, however old the oldest (hijacked) account is."""
        shown = sorted((d, n) for d, n in points if n > 0)
        if not shown:
            return None
        binned, unit, width = _bin(shown)
        label = f"{title} (per {unit})"
        fig, ax = self._axes("created", "accounts")
        self._columns(ax, [d for d, _ in binned], [n for _, n in binned], width, "#6a8f3a")
        pad = timedelta(days=max(int(width), 1))
        ax.set_xlim(binned[0][0] - pad, binned[-1][0] + pad)
        ax.set_ylim(0, max(n for _, n in binned) * 1.05)
        ax.set_title(label)
        return _svg(fig, label, salt)

    def class_share_chart(
        self,
        points: Sequence[tuple[date, int, int]],
        title: str,
        salt: str,
        period: Period | None,
    ) -> str | None:
        """Political and mundane posts per week as stacked bars over the active period,
        with a legend: camouflage shows as green weeks between red ones."""
        shown = [
            (d, p, m)
            for d, p, m in points
            if p + m > 0
            and (period is None or period.first - timedelta(days=6) <= d <= period.last)
        ]
        if not shown:
            return None
        days = [d for d, _, _ in shown]
        political = [p for _, p, _ in shown]
        fig, ax = self._axes("classes", "posts per week", right=0.78)
        if ax.get_legend() is None:
            from matplotlib.patches import Patch

            ax.legend(
                handles=[
                    Patch(color="#b22222", label="political"),
                    Patch(color="#6a8f3a", label="mundane"),
                ],
                loc="upper left",
                bbox_to_anchor=(1.0, 1.0),
                frameon=False,
            )
        mundane = [m for _, _, m in shown]
        self._columns(ax, days, political, 6, "#b22222", align_left=True)
        self._columns(ax, days, mundane, 6, "#6a8f3a", political, align_left=True)
        ax.set_xlim(days[0] - timedelta(days=3), days[-1] + timedelta(days=9))
        ax.set_ylim(0, max(p + m for _, p, m in shown) * 1.05)
        ax.set_title(title)
        return _svg(fig, title, salt)


@dataclass(frozen=True)
class MapNode:
    """One account on a network map."""

    key: str
    label: str
    platform: str
    flagged: bool


def network_map(
    nodes: Sequence[MapNode], edges: Sequence[tuple[int, int, float]], title: str, salt: str
) -> str | None:
    """A cluster's accounts and ties, laid out by Kamada-Kawai (deterministic: it starts from
    a circle), coloured by platform with a legend; flagged accounts have a dark outline, line
    width grows with the tie's strength, and the LABELLED_NODES accounts with the strongest
    ties are named."""
    if not nodes:
        return None
    import igraph as ig  # imported here: only the report's maps need it
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    graph = ig.Graph(n=len(nodes), edges=[(a, b) for a, b, _ in edges])
    coords = graph.layout_kamada_kawai().coords if len(nodes) > 1 else [[0.0, 0.0]]
    platforms = sorted({n.platform for n in nodes})
    colour = {p: PLATFORM_COLOURS[i % len(PLATFORM_COLOURS)] for i, p in enumerate(platforms)}
    peak = max((w for _, _, w in edges), default=1.0) or 1.0
    weight = [0.0] * len(nodes)
    for a, b, w in edges:
        weight[a] += w
        weight[b] += w
    named = sorted(range(len(nodes)), key=lambda i: (-weight[i], nodes[i].label))
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.8, 4.6))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.1, top=0.92)
    ax.add_collection(
        LineCollection(
            [(coords[a], coords[b]) for a, b, _ in edges],
            linewidths=[0.4 + 2.0 * min(w / peak, 1.0) for _, _, w in edges],
            colors="#888888",
            alpha=0.5,
            zorder=1,
        )
    )
    ax.scatter(
        [c[0] for c in coords],
        [c[1] for c in coords],
        s=46,
        c=[colour[n.platform] for n in nodes],
        edgecolors=["#111111" if n.flagged else "#ffffff" for n in nodes],
        linewidths=[1.6 if n.flagged else 0.6 for n in nodes],
        zorder=2,
    )
    for i in named[:LABELLED_NODES]:
        ax.annotate(
            _short(nodes[i].label, 18),
            (coords[i][0], coords[i][1]),
            xytext=(5, 3),
            textcoords="offset points",
            fontsize=9,
            color="#222222",
            zorder=3,
            # a pale box keeps the name readable over the ties it sits on (a stroked halo
            # would turn the text into outlines and triple the size of the SVG)
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75},
        )
    ax.set_axis_off()
    ax.margins(x=0.22, y=0.08)
    ax.set_title(title)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=colour[p], label=_short(p, 14))
        for p in platforms[:6]
    ] + [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="#ffffff",
            markeredgecolor="#111111",
            markeredgewidth=1.6,
            label="flagged",
        )
    ]
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, -0.08),
        ncols=min(len(handles), 4),
        frameon=False,
    )
    return _svg(fig, title, salt)
