"""What the templates need beyond the gathered rows: which sections exist (so that every
link has a target), platform permalinks, the plots, and the sort orders of the index.

The templates print and escape; every decision that could leave a dangling link is made
here, in one place: an account links to its section only if the page has one, a cluster
only to its section or its line in the index, and an account without a cluster says so
instead of linking to ``#c-None``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cibscan.report import fmt
from cibscan.report.data import ClusterView, ReportData, Row
from cibscan.report.links import account_url, anchor, post_url
from cibscan.report.plots import MapNode, Period, Plotter, active_period, network_map

#: accounts drawn on a cluster's network map, members listed in its section
MAP_NODES = 150
MEMBERS_SHOWN = 200


@dataclass(frozen=True)
class AccountRef:
    """How one account is shown: its name, its section on the page and its platform page
    (either may be missing)."""

    platform: str
    name: str
    href: str | None
    url: str | None


@dataclass(frozen=True)
class Plot:
    """One plot of a cluster: the SVG (None: nothing to draw) and a note under it."""

    title: str
    svg: str | None
    note: str = ""


@dataclass
class IndexTable:
    """A sortable index: rows with their rank under each sort key (CSS ``order``)."""

    name: str
    keys: list[tuple[str, str]]
    rows: list[Row] = field(default_factory=list)
    ranks: list[str] = field(default_factory=list)


def _ranks(rows: Sequence[Row], keys: dict[str, Callable[[Row], Any]]) -> list[str]:
    """Each row's position under every key, as the CSS variables of its ``style``."""
    order: dict[str, list[int]] = {}
    for name, key in keys.items():
        position = [0] * len(rows)
        for rank, i in enumerate(sorted(range(len(rows)), key=lambda i: key(rows[i]))):
            position[i] = rank
        order[name] = position
    return [";".join(f"--{n}:{order[n][i]}" for n in keys) for i in range(len(rows))]


class Page:
    """The gathered data with the page's links resolved."""

    def __init__(self, data: ReportData) -> None:
        self.data = data
        self.sections = {(a["platform"], a["account_id"]) for a in data.accounts}
        self.shown_clusters = {v.row["cluster_id"] for v in data.clusters}
        self.indexed_clusters = {r["cluster_id"] for r in data.cluster_index}
        self.plotter = Plotter()

    # links -------------------------------------------------------------------------------
    def account_anchor(self, platform: str, account_id: str) -> str:
        return anchor("a", platform, account_id)

    def account(self, row: Row, suffix: str = "") -> AccountRef:
        """An account of a row (``suffix`` "_a"/"_b" for the sides of an evidence row)."""
        platform = str(row.get(f"platform{suffix}") or "")
        account_id = row.get(f"account_id{suffix}")
        handle = row.get(f"handle{suffix}")
        key = (platform, account_id)
        href = f"#{anchor('a', platform, account_id)}" if key in self.sections else None
        url = None
        if platform in self.data.linkable:
            url = account_url(platform, str(account_id or ""), handle)
        return AccountRef(platform, str(handle or account_id or ""), href, url)

    def cluster_href(self, cluster_id: int | None) -> str | None:
        """The cluster's section, else its line in the index, else None."""
        if cluster_id is None:
            return None
        if cluster_id in self.shown_clusters:
            return f"#c-{int(cluster_id)}"
        if cluster_id in self.indexed_clusters:
            return f"#ci-{int(cluster_id)}"
        return None

    def post_url(self, row: Row, side: str) -> str | None:
        """The platform page of post ``side`` ("a" or "b") of an evidence row."""
        platform = str(row.get(f"platform_{side}") or "")
        if platform not in self.data.linkable:
            return None
        return post_url(
            platform,
            row.get(f"post_{side}"),
            venue=row.get(f"venue_{side}"),
            conversation=row.get(f"conversation_{side}"),
            handle=row.get(f"handle_{side}"),
        )

    # index -------------------------------------------------------------------------------
    def cluster_index(self) -> IndexTable:
        rows = self.data.cluster_index
        keys: dict[str, Callable[[Row], Any]] = {
            "score": lambda r: (-(r["score"] or 0), r["cluster_id"]),
            "size": lambda r: (-(r["size"] or 0), r["cluster_id"]),
            "flagged": lambda r: (-(r["n_flagged"] or 0), r["cluster_id"]),
            "first": lambda r: (r["first_time"] is None, r["first_time"] or 0, r["cluster_id"]),
            "platforms": lambda r: (r["platforms"] or "", r["cluster_id"]),
        }
        labels = [
            ("score", "score"),
            ("size", "size"),
            ("flagged", "flagged members"),
            ("first", "first post"),
            ("platforms", "platform"),
        ]
        return IndexTable("cs", labels, rows, _ranks(rows, keys))

    def account_index(self) -> IndexTable:
        rows = self.data.index
        keys: dict[str, Callable[[Row], Any]] = {
            "score": lambda r: (-(r["score"] or 0), r["platform"], r["account_id"]),
            "cluster": lambda r: (
                r["cluster_id"] is None,
                r["cluster_id"] or 0,
                -(r["score"] or 0),
                r["account_id"],
            ),
            "platform": lambda r: (r["platform"], -(r["score"] or 0), r["account_id"]),
            "created": lambda r: (
                r["created_at"] is None,
                r["created_at"].timestamp() if r["created_at"] is not None else 0,
                r["account_id"],
            ),
            "name": lambda r: (str(r["handle"] or r["account_id"]).casefold(), r["account_id"]),
        }
        labels = [
            ("score", "score"),
            ("cluster", "cluster"),
            ("platform", "platform"),
            ("created", "created"),
            ("name", "name"),
        ]
        return IndexTable("as", labels, rows, _ranks(rows, keys))

    # clusters ----------------------------------------------------------------------------
    def plots(self, view: ClusterView) -> list[Plot]:
        """The cluster's plots, with a note for the empty ones instead of an empty box."""
        cid = int(view.row["cluster_id"])
        members = view.members[:MAP_NODES]
        index = {m["acct"]: i for i, m in enumerate(members)}
        nodes = [
            MapNode(
                str(m["acct"]), str(m["handle"] or m["account_id"]), m["platform"], m["flagged"]
            )
            for m in members
        ]
        ties = [
            (index[t["a"]], index[t["b"]], float(t["strength"]))
            for t in view.ties
            if t["a"] in index and t["b"] in index
        ]
        drawn = (
            f" ({MAP_NODES} best-scored of {len(view.members):,})"
            if len(view.members) > MAP_NODES
            else ""
        )
        title = f"cluster {cid}: accounts and ties{drawn}"
        draw = self.plotter
        activity = draw.daily_bars(view.activity, "posts per day", f"c{cid}-d")
        period = active_period(view.activity)
        political = "political vs mundane posts per week"
        weekly = "posts by weekday and hour (UTC)"
        created = "accounts created"
        return [
            Plot(title, network_map(nodes, ties, title, f"c{cid}-n")),
            Plot(weekly, draw.heat_map(view.weekly, weekly, f"c{cid}-h")),
            Plot("posts per day", *(activity or (None, ""))),
            Plot(created, draw.created_bars(view.created, created, f"c{cid}-c")),
            Plot(political, draw.class_share_chart(view.classes, political, f"c{cid}-p", period)),
        ]

    def more_members(self, view: ClusterView) -> int:
        return max(len(view.members) - MEMBERS_SHOWN, 0)

    # counts ------------------------------------------------------------------------------
    @property
    def quiet_clusters(self) -> int:
        """Coordinated clusters shown although the combination rule flagged none of them."""
        return sum(1 for c in self.data.clusters if not c.row["n_flagged"])

    @property
    def clusters_left_out(self) -> int:
        return max(self.data.n_all_clusters - len(self.data.clusters), 0)

    @property
    def accounts_left_out(self) -> int:
        return max(self.data.n_flagged - len(self.data.accounts), 0)

    @property
    def index_left_out(self) -> int:
        return max(self.data.n_flagged - len(self.data.index), 0)

    @property
    def flagged_period(self) -> Period | None:
        """The active period of the flagged accounts' posts (see plots.active_period)."""
        return active_period(self.data.flagged_days)

    @property
    def no_links_note(self) -> str:
        """Why posts and accounts have no platform links, when some do not."""
        platforms = sorted({str(f["platform"]) for f in self.data.footprint} - self.data.linkable)
        if not platforms:
            return ""
        return (
            "No links to the platform for "
            + ", ".join(platforms)
            + ": the ids of this case are not the platform's own (an anonymised or "
            "re-keyed data set, or a generic format)."
        )


def signal_line(row: Row) -> str:
    """``tied to 44 accounts, up to 14 shared items with one (score 0.99, q < 0.001)``."""
    parts = [f"tied to {fmt.plural(row['n_partners'], 'account')}"]
    if row.get("n_shared"):
        parts.append(f"up to {fmt.plural(row['n_shared'], 'shared item')} with one")
    return ", ".join(parts)
