"""Zeeschuimer / 4CAT captures: what a platform's own web app received, one item a line.

Zeeschuimer (the 4CAT browser extension) stores every post the platform's web app loads and
exports a platform's items as NDJSON, one envelope a line::

    {"nav_index": "...", "item_id": "...", "timestamp_collected": 1733400000000,
     "source_platform": "tiktok.com", "source_platform_url": "...", "source_url": "...",
     "user_agent": "...", "data": { <the platform's own JSON for one post> }}

4CAT keeps the item with the envelope folded into it as ``__import_meta`` (its NDJSON
download): both shapes are read. One envelope reader serves every platform; each platform
family is one adapter (a subclass naming its Zeeschuimer module ids and mapping ``data`` to
the canonical columns, in :mod:`cibscan.ingest.zeeschuimer_platforms`), registered like any
other format, so ``cibscan formats`` lists them and sniffing picks one by the first line's
``source_platform``.

What the envelope itself means:

- ``timestamp_collected`` is when the browser saw the item, not when it was posted: it is
  never used as the post's time. An item without its own time (a Pinterest pin read from
  HTML, a RedNote feed tile) is quarantined as ``unsupported``.
- Zeeschuimer stores an item again when it is seen again (another scroll, another tab): the
  copies have one post id and count as duplicates.
- An item whose ``source_platform`` is not the adapter's (two exports concatenated) is
  quarantined as ``unsupported`` ("captured from another platform"), never mis-mapped.
"""

from __future__ import annotations

import json
import re
from typing import ClassVar

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import first_line, text_head
from cibscan.ingest.zeeschuimer_platforms import MAPPINGS, Mapping

_ENVELOPE_KEYS = ("source_platform", "timestamp_collected")
_PLATFORM_KEY = re.compile(r'"source_platform"\s*:\s*"([^"]+)"')


def _first_item(head: bytes) -> dict[str, object] | None:
    try:
        obj = json.loads(first_line(head))
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def capture_platform(head: bytes) -> str | None:
    """The ``source_platform`` of the first captured item (envelope or 4CAT's folded form).

    A first line longer than the head cannot be parsed: its module id is then read off the
    text (Zeeschuimer writes the envelope's keys before ``data``, so they are in the head).
    """
    item = _first_item(head)
    if item is None:
        text = text_head(head)
        found = _PLATFORM_KEY.search(text[:4096])
        ok = text.startswith("{") and '"timestamp_collected"' in text[:4096]
        return found.group(1) if found and ok else None
    envelope = item.get("__import_meta") if "data" not in item else item
    if not isinstance(envelope, dict) or not all(k in envelope for k in _ENVELOPE_KEYS):
        return None
    platform = envelope.get("source_platform")
    return platform if isinstance(platform, str) else None


class ZeeschuimerCapture(Adapter):
    """A Zeeschuimer NDJSON export of one platform family (see the module docstring)."""

    reader = "lines"
    #: the Zeeschuimer module ids (``source_platform``) this adapter reads
    modules: ClassVar[tuple[str, ...]]
    #: how ``data`` maps to canonical columns
    mapping: ClassVar[Mapping]

    def sniff(self, head: bytes) -> float:
        return 0.95 if capture_platform(head) in self.modules else 0.0

    def stage_sql(self, stream: str) -> str:
        m = self.mapping
        modules = ", ".join(f"'{x}'" for x in self.modules)
        # the envelope: 'data' beside 'source_platform', or 4CAT's item with __import_meta
        return f"""
        WITH z AS (
            SELECT seq, raw,
                CASE WHEN json_type(raw, '$.data') = 'OBJECT'
                          AND json_exists(raw, '$.source_platform') THEN raw -> '$.data'
                     WHEN json_type(raw, '$.__import_meta') = 'OBJECT' THEN raw END AS d,
                coalesce(raw ->> '$.source_platform',
                         raw ->> '$.__import_meta.source_platform') AS zs_platform
            FROM {stream}
        ), e AS (
            SELECT *, CASE
                WHEN json_type(raw) IS DISTINCT FROM 'OBJECT' OR d IS NULL
                    THEN 'not a Zeeschuimer item'
                WHEN zs_platform NOT IN ({modules}) OR zs_platform IS NULL
                    THEN 'captured from another platform' END AS zs_reject
            FROM z
        ), p AS (SELECT *, {m.parse} FROM e),
        x AS (SELECT *, {m.prepare} FROM p)
        SELECT seq, 'post' AS rec, {m.columns},
            coalesce(zs_reject, {m.reject}) AS reject,
            CASE WHEN zs_reject = 'not a Zeeschuimer item' THEN 'error'
                 WHEN zs_reject IS NOT NULL THEN 'unsupported'
                 ELSE {m.severity} END AS severity,
            CASE WHEN zs_reject IS NOT NULL THEN zs_platform END AS detail
        FROM x"""


def _adapter(
    adapter_name: str, family: str, modules: tuple[str, ...], label: str
) -> ZeeschuimerCapture:
    mapping = MAPPINGS[family]
    cls = type(
        f"Zeeschuimer_{family}",
        (ZeeschuimerCapture,),
        {
            "name": adapter_name,
            "platform": mapping.platform,
            "title": f"Zeeschuimer/4CAT NDJSON captures of {label}",
            "source_hint": f"Zeeschuimer export ({', '.join(modules)}), 4CAT NDJSON download",
            "modules": modules,
            "mapping": mapping,
        },
    )
    adapter: ZeeschuimerCapture = cls()
    return adapter


ZEESCHUIMER_ADAPTERS: tuple[ZeeschuimerCapture, ...] = (
    _adapter("zeeschuimer_tiktok", "tiktok", ("tiktok.com",), "TikTok videos"),
    _adapter("zeeschuimer_instagram", "instagram", ("instagram.com",), "Instagram posts"),
    _adapter("zeeschuimer_pinterest", "pinterest", ("pinterest.com",), "Pinterest pins"),
    _adapter("zeeschuimer_x", "x", ("twitter.com", "x.com"), "X/Twitter web timelines"),
    _adapter("zeeschuimer_douyin", "douyin", ("douyin.com",), "Douyin videos"),
    _adapter("zeeschuimer_rednote", "rednote", ("xiaohongshu.com",), "RedNote notes"),
)

for _a in ZEESCHUIMER_ADAPTERS:
    register(_a)
