"""The self-contained HTML report: one file, no scripts, nothing fetched from the network.

Layout follows a platform takedown report: a summary (footprint per platform, time span, the
signals behind the ties, the likely operator time zone), an index of the clusters and flagged
accounts (sortable by CSS alone), then the clusters ranked by score, each in a collapsible
section with its network map, weekly activity heat map, activity and account-creation plots,
the political vs mundane posts per week (the camouflage tell's classes), members and the
shared items behind its ties, then one collapsible section per flagged account with why it
was flagged and its evidence.

The page is rendered from Jinja templates (``templates/``) with autoescaping on, so every
value is HTML-escaped unless it is one of our own SVG plots; the ``t`` filter also makes
invisible characters visible and cuts long strings (:mod:`cibscan.report.escape`). The page's
Content-Security-Policy forbids scripts and remote loads even if a string slipped through,
and the environment's ``finalize`` prints None as nothing and a negative count as 0.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup

from cibscan import __version__
from cibscan.export.base import require_findings
from cibscan.report import fmt
from cibscan.report.data import PersonaFootprint, ReportData, gather
from cibscan.report.escape import clean
from cibscan.report.page import MEMBERS_SHOWN, Page, signal_line
from cibscan.report.plots import plot_style
from cibscan.store import Case

log = logging.getLogger(__name__)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
#: cluster sections open when the page loads (the rest open on a click or a link)
OPEN_CLUSTERS = 3


@dataclass
class ReportResult:
    """Where the report went and what it holds."""

    path: Path
    clusters: int
    accounts: int
    bytes: int


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
    the accounts with their cross-platform twins, as a takedown report counts them. Plain
    text: the template escapes it."""
    if footprint is None or not footprint.platforms:
        return ""
    parts = []
    for platform, n in footprint.platforms:
        one, many = PLATFORM_NOUNS.get(platform, (f"{platform} account", f"{platform} accounts"))
        parts.append(fmt.plural(n, one, many))
    across = (
        f" ({fmt.plural(footprint.personas, 'persona')} across platforms)"
        if footprint.personas
        else ""
    )
    return ", ".join(parts) + across


@cache
def environment() -> Environment:
    """The report's Jinja environment: autoescaping everywhere, undefined names an error
    (a misspelt field must fail a test, not print nothing), None printed as nothing."""
    env = Environment(
        loader=PackageLoader("cibscan.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=fmt.finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt.FILTERS)
    env.filters["t"] = clean
    return env


def _template() -> Template:
    return environment().get_template("report.html.j2")


def _style() -> Markup:
    """The page's CSS (our own file, shipped in the package)."""
    css = files("cibscan.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    return Markup(css)


def render(data: ReportData, title: str) -> str:
    """The report page for gathered data."""
    with plot_style():
        return _template().render(
            page=Page(data),
            title=title,
            csp=CSP,
            style=_style(),
            version=__version__,
            open_clusters=OPEN_CLUSTERS,
            members_shown=MEMBERS_SHOWN,
            persona_summary=persona_line(data.personas),
            persona_line=persona_line,
            signal_line=signal_line,
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
