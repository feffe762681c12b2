"""The self-contained HTML report: one file, no scripts, nothing fetched from the network.

Layout follows a platform takedown report: a summary (footprint per platform, time span, the
signals behind the ties, the likely operator time zone), then the clusters ranked by score,
each with its network map, weekly activity heat map, activity and account-creation plots,
the political vs mundane posts per week (the camouflage tell's classes),
members and the shared items behind its ties, then one section per flagged account with its
sub-scores and evidence. Every data string passes :func:`cibscan.report.escape.text`; the
page's Content-Security-Policy forbids scripts and remote loads even if one slipped through.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cibscan import __version__
from cibscan.export.base import require_findings
from cibscan.report.data import (
    ClusterView,
    KnownNetworkView,
    PersonaFootprint,
    ReportData,
    gather,
)
from cibscan.report.escape import text
from cibscan.report.plots import MapNode, bar_chart, class_share_chart, heat_map, network_map
from cibscan.store import Case

log = logging.getLogger(__name__)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:0 16px;color:#222}
h1{font-size:24px}h2{border-bottom:2px solid #b22222;padding-bottom:4px;margin-top:36px}
h3{margin-top:28px}table{border-collapse:collapse;margin:8px 0;width:100%}
td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.post{white-space:pre-wrap;overflow-wrap:anywhere;max-width:420px;unicode-bidi:isolate}
.plots{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.plots svg{max-width:100%;height:auto;border:1px solid #eee}
svg .t{font:bold 12px sans-serif}svg .l{font:10px sans-serif;fill:#555}
svg .n{font:9px sans-serif;fill:#333}.flag{color:#b22222;font-weight:bold}
.muted{color:#777}.box{background:#fafafa;border:1px solid #e3e3e3;padding:8px 12px}
"""


@dataclass
class ReportResult:
    """Where the report went and what it holds."""

    path: Path
    clusters: int
    accounts: int
    bytes: int


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _offset(value: tuple[int, float] | None) -> str:
    if value is None:
        return "unknown (no timed posts)"
    hours, share = value
    return f"UTC{hours:+d} ({share:.0%} of posts fall in weekday office hours there)"


def _when(value: Any) -> str:
    return text(value.isoformat(sep=" ", timespec="seconds")) if value is not None else ""


def _account(row: dict[str, Any], suffix: str = "") -> str:
    name = row.get(f"handle{suffix}") or row.get(f"account_id{suffix}")
    return f"{text(row.get(f'platform{suffix}'))}: <bdi>{text(name, 80)}</bdi>"


def _unflagged_note(data: ReportData) -> str:
    """Coordinated clusters the combination rule left unflagged are listed, not hidden."""
    quiet = sum(1 for c in data.clusters if not c.row["n_flagged"])
    if not quiet:
        return ""
    return (
        f"<p>{quiet:,} more cluster{'s' if quiet > 1 else ''} of coordinated accounts "
        "below: their ties are significant, but nothing corroborates them as inauthentic, "
        "so they are not flagged (docs/signals.md, combination rule).</p>"
    )


#: how a takedown report names an account of each platform (singular, plural)
PLATFORM_NOUNS = {
    "twitter": ("X account", "X accounts"),
    "youtube": ("YouTube channel", "YouTube channels"),
    "reddit": ("Reddit account", "Reddit accounts"),
    "tiktok": ("TikTok account", "TikTok accounts"),
    "telegram": ("Telegram account", "Telegram accounts"),
    "bluesky": ("Bluesky account", "Bluesky accounts"),
    "mastodon": ("Mastodon account", "Mastodon accounts"),
    "facebook": ("Facebook account", "Facebook accounts"),
    "instagram": ("Instagram account", "Instagram accounts"),
    "pinterest": ("Pinterest account", "Pinterest accounts"),
    "vimeo": ("Vimeo account", "Vimeo accounts"),
    "douyin": ("Douyin account", "Douyin accounts"),
    "rednote": ("RedNote (Xiaohongshu) account", "RedNote (Xiaohongshu) accounts"),
}


def persona_line(footprint: PersonaFootprint | None) -> str:
    """ "4 X accounts, 2 YouTube channels, 1 Reddit account (3 personas across platforms)":
    the accounts with their cross-platform twins, as a takedown report counts them."""
    if footprint is None or not footprint.platforms:
        return ""
    parts = []
    for platform, n in footprint.platforms:
        one, many = PLATFORM_NOUNS.get(platform, (f"{platform} account", f"{platform} accounts"))
        parts.append(f"{n:,} {text(one if n == 1 else many)}")
    personas = footprint.personas
    word = "persona" if personas == 1 else "personas"
    across = f" ({personas:,} {word} across platforms)" if personas else ""
    return ", ".join(parts) + across


def _summary(data: ReportData) -> str:
    flagged = [f for f in data.footprint if f["flagged"]]
    footprint = ", ".join(f"{f['flagged']:,} {text(f['platform'])} accounts" for f in flagged)
    lines = [
        f"<p><b>{data.n_flagged:,}</b> accounts flagged in <b>{data.n_clusters:,}</b> "
        f"clusters{': ' + footprint if footprint else ''}.</p>",
        _unflagged_note(data),
        f"<p>Flagged activity: {_when(data.span['first'])} to {_when(data.span['last'])} "
        f"({data.span['posts']:,} posts).</p>",
        f"<p>Likely operator time zone of the flagged accounts: {_offset(data.flagged_offset)}; "
        f"the whole case: {_offset(data.population_offset)}.</p>",
    ]
    if persona_line(data.personas):
        lines.append(f"<p>With their cross-platform personas: {persona_line(data.personas)}.</p>")
    platforms = _table(
        ["platform", "accounts in case", "flagged", "clusters", "venues used (pages, groups…)"],
        (
            [
                text(f["platform"]),
                f"{f['accounts']:,}",
                f"{f['flagged']:,}",
                str(f["clusters"]),
                f"{f['venues']:,}",
            ]
            for f in data.footprint
        ),
        {1, 2, 3, 4},
    )
    layers = _table(
        ["signal", "significant ties"],
        ([text(r["layer"]), f"{r['edges']:,}"] for r in data.layers),
        {1},
    )
    return f'<h2 id="summary">Summary</h2><div class="box">{"".join(lines)}</div>' + (
        f"<h3>Footprint per platform</h3>{platforms}<h3>What ties the accounts</h3>{layers}"
    )


def _cluster_plots(view: ClusterView) -> str:
    index = {m["acct"]: i for i, m in enumerate(view.members[:150])}
    nodes = [
        MapNode(str(m["acct"]), str(m["handle"] or m["account_id"]), m["platform"], m["flagged"])
        for m in view.members[:150]
    ]
    ties = [
        (index[t["a"]], index[t["b"]], float(t["strength"]))
        for t in view.ties
        if t["a"] in index and t["b"] in index
    ]
    cid = view.row["cluster_id"]
    return (
        '<div class="plots">'
        + "".join(
            (
                network_map(nodes, ties, f"cluster {cid}: accounts and ties"),
                heat_map(view.weekly, "posts by weekday and hour (UTC)"),
                bar_chart(view.activity, "posts per day"),
                bar_chart(view.created, "accounts created per day", "#6a8f3a"),
                class_share_chart(
                    view.classes, "political (red) vs mundane (green) posts per week"
                ),
            )
        )
        + "</div>"
    )


def _evidence_table(rows: list[dict[str, Any]]) -> str:
    return _table(
        ["signal", "account a", "post a", "account b", "post b", "gap (s)", "object"],
        (
            [
                text(e["signal"]),
                _account(e, "_a"),
                f'{_when(e["time_a"])}<div class="post">{text(e["text_a"])}</div>',
                _account(e, "_b"),
                f'{_when(e["time_b"])}<div class="post">{text(e["text_b"])}</div>',
                f"{e['gap_seconds']:.0f}" if e["gap_seconds"] is not None else "",
                f'<div class="post">{text(e["object"], 200)}</div>'
                f"<span class='muted'>shared by {e['object_accounts']} accounts</span>",
            ]
            for e in rows
        ),
        {5},
    )


def _cluster(view: ClusterView) -> str:
    r = view.row
    cid = r["cluster_id"]
    facts = (
        f"<p>score <b>{r['score']:.2f}</b> · {r['size']} accounts ({r['n_flagged']} flagged) · "
        f"{text(r['footprint'])} · ties: {text(r['layers'])} · density {r['density']:.2f} · "
        f"synchrony {r['synchrony']:.2f} · {_when(r['first_time'])} to {_when(r['last_time'])}"
        f"<br>likely operator time zone: {_offset(view.offset)}"
        + (f"<br>with personas: {persona_line(view.personas)}" if view.personas else "")
        + "</p>"
    )
    members = _table(
        ["account", "display name", "created", "score", "flagged"],
        (
            [
                f'<a href="#a-{text(m["platform"])}-{text(m["account_id"], None)}">'
                f"{_account(m)}</a>",
                text(m["display_name"], 80),
                _when(m["created_at"]),
                f"{m['score']:.2f}",
                '<span class="flag">yes</span>' if m["flagged"] else "no",
            ]
            for m in view.members[:200]
        ),
        {3},
    )
    more = len(view.members) - 200
    return (
        f'<h3 id="c-{cid}">Cluster {cid}</h3>{facts}{_cluster_plots(view)}'
        f"<h4>Members</h4>{members}"
        + (f"<p class='muted'>{more:,} more members in accounts.csv</p>" if more > 0 else "")
        + f"<h4>Evidence (rarest shared items first)</h4>{_evidence_table(view.evidence)}"
    )


def _tells(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    return (
        "<p>Tells:</p><ul>"
        + "".join(
            f"<li>{text(t['tell'])} ({t['score']:.2f}): {text(t['detail'], 300)}</li>" for t in rows
        )
        + "</ul>"
    )


def _accounts(data: ReportData) -> str:
    parts = ['<h2 id="accounts">Flagged accounts</h2>']
    for a in data.accounts:
        key = (a["platform"], a["account_id"])
        subs = _table(
            ["signal", "sub-score", "partners", "most items shared", "best q"],
            (
                [
                    text(s["signal"]),
                    f"{s['score']:.2f}",
                    str(s["n_partners"]),
                    str(s["n_shared"]),
                    f"{s['best_q']:.2g}",
                ]
                for s in data.account_signals.get(key, [])
            ),
            {1, 2, 3, 4},
        )
        parts.append(
            f'<h3 id="a-{text(a["platform"])}-{text(a["account_id"], None)}">{_account(a)}</h3>'
            f"<p>display name: {text(a['display_name'], 120)} · created {_when(a['created_at'])}"
            f" · score <b>{a['score']:.2f}</b> · cluster "
            f'<a href="#c-{a["cluster_id"]}">{a["cluster_id"]}</a> · '
            f"{text(a['reasons'], 300)}</p>{subs}"
            + _tells(data.account_tells.get(key, []))
            + _evidence_table(data.account_evidence.get(key, []))
        )
    left_out = data.n_flagged - len(data.accounts)
    if left_out > 0:
        parts.append(f"<p class='muted'>{left_out:,} more flagged accounts in accounts.csv</p>")
    return "".join(parts)


def _known_network(view: KnownNetworkView, shown: set[tuple[str, str]]) -> str:
    def who(m: dict[str, Any]) -> str:
        name = _account(m)
        if (m["platform"], m["account_id"]) in shown:
            return f'<a href="#a-{text(m["platform"])}-{text(m["account_id"], None)}">{name}</a>'
        return name

    table = _table(
        ["account", "similarity", "by", "flagged by detect", "facets that matched"],
        (
            [
                who(m),
                f"{m['similarity']:.2f}",
                "identity (a known member)" if m["identity"] else f"{m['families']} families",
                "yes" if m["flagged"] else "no",
                text(m["facets"], 400),
            ]
            for m in view.accounts
        ),
        {1},
    )
    more = view.matched - len(view.accounts)
    return (
        f"<h3>{text(view.network, 120)}</h3><p>{view.matched:,} accounts matched "
        f"({view.by_identity:,} known members by identity, {view.matched - view.by_identity:,} "
        f"new by their fingerprint); {view.flagged:,} of them flagged by detection too.</p>"
        + table
        + (f"<p class='muted'>{more:,} more in matches.csv</p>" if more > 0 else "")
    )


def _known_networks(data: ReportData) -> str:
    if not data.known_networks:
        return ""
    shown = {(a["platform"], a["account_id"]) for a in data.accounts}
    return (
        '<h2 id="networks">Known networks</h2><p>Accounts whose fingerprint matches a network '
        "of the library (cibscan match; the threshold and facets are in docs/matching.md).</p>"
        + "".join(_known_network(v, shown) for v in data.known_networks)
    )


def render(data: ReportData, title: str) -> str:
    """The report page for gathered data."""
    run = data.run
    clusters = "".join(_cluster(v) for v in data.clusters)
    left_out = data.n_clusters - len(data.clusters)
    contents = (
        '<p><a href="#summary">Summary</a> · <a href="#clusters">Clusters</a> · '
        '<a href="#accounts">Flagged accounts</a>'
        + (' · <a href="#networks">Known networks</a>' if data.known_networks else "")
        + "</p>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{text(title, 120)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{text(title, 120)}</h1>"
        f"<p class='muted'>detect run {run['run_id']} of {_when(run['ended_at'])} · "
        f"{run['n_posts']:,} posts, {run['n_accounts']:,} accounts · cibscan {__version__} "
        f"(report written by cibscan {__version__})</p>{contents}{_summary(data)}"
        f'<h2 id="clusters">Clusters, by score</h2>{clusters}'
        + (f"<p class='muted'>{left_out:,} more clusters in clusters.csv</p>" if left_out else "")
        + _known_networks(data)
        + _accounts(data)
        + "</body></html>"
    )


def write_report(
    case: Case,
    path: str | Path,
    *,
    title: str | None = None,
    max_clusters: int = 30,
    max_accounts: int = 300,
) -> ReportResult:
    """Write the HTML report of the case's latest detect run to ``path``."""
    require_findings(case)
    data = gather(case.engine, max_clusters=max_clusters, max_accounts=max_accounts)
    name = title or f"cibscan report: {case.path.name if case.path else 'in-memory case'}"
    page = render(data, name)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    log.info("report of %d clusters written to %s", len(data.clusters), target)
    return ReportResult(target, len(data.clusters), len(data.accounts), len(page.encode()))
