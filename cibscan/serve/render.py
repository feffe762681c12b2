"""The templates' environment, and the slots that keep a prepared page current.

Templates autoescape, and every attacker-written string also goes through the ``t`` filter
(:func:`cibscan.report.escape.text`: invisible and direction-changing characters made
visible, very long strings cut).

An account's or a cluster's page is mostly what the detect run found, which cannot change
while the workbench runs; only the verdicts and the label form can (a label written a
second ago must show at once, and the form depends on ``--write``). The page templates
(``account_main.html``, ``cluster_main.html``) therefore take those from ``slots``: at a
request, :class:`LiveSlots` fills them in; when the pages are prepared ahead
(:mod:`cibscan.serve.pagestore`), :class:`RecordingSlots` leaves a marker and notes the
call, and :func:`fill` makes the same calls on live slots when the page is served. So a
prepared page and a page rendered at the request come from one template and are the same
HTML.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from cibscan import __version__
from cibscan.report.escape import text
from cibscan.store.labels import VERDICTS

#: what a slot leaves in a page prepared ahead. Attacker-written text cannot forge it: it
#: is escaped, so it holds no ``<``
MARK = "<!--cibscan-slot-->"
#: rows per page of the clusters table, a search, an account's posts
PAGE_ROWS = 50
#: the scripts of a cluster page (its network)
CLUSTER_SCRIPTS = ("/static/vendor/cytoscape.min.js", "/static/graph.js")


def img(path: str, alt: str) -> Markup:
    """The ``<img>`` of a plot route (``path`` already quoted)."""
    return Markup(f'<img class="plot" src="/plots/{path}" alt="{escape(alt)}">')


def account_path(platform: str, account_id: str) -> str:
    """The plot route's tail for one account (an id may hold ``/``, ``?`` or ``#``)."""
    return f"{quote(platform, safe='')}/{quote(account_id, safe='')}"


def _t(value: object, limit: int | None = 600) -> Markup:
    return Markup(text(value, limit))


def _num(value: object, digits: int = 3) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _when(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def account_url(platform: object, account_id: object) -> str:
    """The account page of ``platform:account_id`` (both quoted: ids are free text)."""
    return f"/accounts/{quote(str(platform), safe='')}/{quote(str(account_id), safe='')}"


def _node_url(node_id: str) -> str:
    platform, _, account_id = node_id.partition(":")
    return account_url(platform, account_id)


ENV = Environment(
    loader=PackageLoader("cibscan.serve", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(t=_t, num=_num, when=_when, node_url=_node_url)
ENV.globals.update(account_url=account_url, version=__version__, verdicts=VERDICTS)


class Slots(Protocol):
    """What a page template asks at the moment it is shown."""

    def verdict(self, platform: str, account_id: str) -> Markup: ...

    def label_form(
        self, back: str, cluster_id: int | None = None, account: str | None = None
    ) -> Markup: ...


@functools.cache
def _macros(writable: bool) -> Any:
    """macros.html as a module, with ``writable`` in its context (the label form)."""
    return ENV.get_template("macros.html").make_module({"writable": writable})


class LiveSlots:
    """Slots answered now: ``verdicts`` (each labelled account's current verdict, keyed
    ``(platform, account_id)``) and whether labels can be set."""

    def __init__(self, verdicts: Mapping[tuple[str, str], str], writable: bool) -> None:
        self._verdicts = verdicts
        self._macros = _macros(writable)

    def verdict(self, platform: str, account_id: str) -> Markup:
        found = self._verdicts.get((platform, account_id))
        return Markup(self._macros.verdict(found)) if found else Markup("")

    def label_form(
        self, back: str, cluster_id: int | None = None, account: str | None = None
    ) -> Markup:
        return Markup(self._macros.label_form(back, cluster_id=cluster_id, account=account))


class RecordingSlots:
    """Slots answered later: each call leaves :data:`MARK` and is noted in :attr:`calls`."""

    def __init__(self) -> None:
        self.calls: list[list[Any]] = []

    def verdict(self, platform: str, account_id: str) -> Markup:
        self.calls.append(["verdict", platform, account_id])
        return Markup(MARK)

    def label_form(
        self, back: str, cluster_id: int | None = None, account: str | None = None
    ) -> Markup:
        self.calls.append(["label_form", back, cluster_id, account])
        return Markup(MARK)


def fill(parts: Sequence[str], calls: Sequence[Sequence[Any]], slots: Slots) -> Markup:
    """A prepared page (``parts`` between the slots, the slot ``calls``) with its slots
    answered by ``slots``."""
    if len(parts) != len(calls) + 1:
        raise ValueError("a prepared page whose slots do not match its parts")
    out = [parts[0]]
    for call, part in zip(calls, parts[1:], strict=True):
        if call[0] == "verdict":
            out.append(slots.verdict(call[1], call[2]))
        elif call[0] == "label_form":
            out.append(slots.label_form(call[1], cluster_id=call[2], account=call[3]))
        else:
            raise ValueError(f"an unknown slot {call[0]!r} in a prepared page")
        out.append(part)
    return Markup("".join(out))


def prepare(markup: str, slots: RecordingSlots) -> tuple[list[str], list[list[Any]]]:
    """(parts, calls) of a page rendered with ``slots``, for :func:`fill`."""
    parts = markup.split(MARK)
    if len(parts) != len(slots.calls) + 1:
        raise ValueError("a page holds a slot marker that no slot left")
    return parts, slots.calls


def account_main(detail: Mapping[str, Any], slots: Slots) -> Markup:
    """The content of an account's page (:func:`cibscan.browse.account_detail`'s answer)."""
    profile = detail["profile"]
    platform, account_id = str(profile["platform"]), str(profile["account_id"])
    return Markup(
        ENV.get_template("account_main.html").render(
            d=detail,
            p=profile,
            here=account_url(platform, account_id),
            plot=img(f"accounts/{account_path(platform, account_id)}", "posts per day"),
            slots=slots,
        )
    )


def cluster_main(detail: Mapping[str, Any], slots: Slots) -> Markup:
    """The content of a cluster's page (:func:`cibscan.browse.cluster_detail`'s answer)."""
    cluster_id = detail["cluster"]["cluster_id"]
    plots = [
        img(f"clusters/{cluster_id}/weekly.svg", "posts by weekday and hour (UTC)"),
        img(f"clusters/{cluster_id}/daily.svg", "posts per day"),
    ]
    return Markup(
        ENV.get_template("cluster_main.html").render(
            d=detail, c=detail["cluster"], plots=plots, slots=slots
        )
    )
