"""Pinterest API v5 pins (``GET /v5/pins``, ``/v5/boards/{id}/pins``, ``/v5/search/...``).

A page is ``{"items": [pin, ...], "bookmark": "..."}``; a pin has ``id``, ``created_at``
(ISO 8601, UTC, without an offset), ``title``, ``description``, ``link`` (the outbound URL a
network pushes), ``board_id``, ``board_owner.username``, ``media`` (``media_type`` and
``images`` by size, or video cover images), ``parent_pin_id`` (the pin it was saved from),
``alt_text`` and ``dominant_color``.

The API names no user id: ``board_owner.username`` is the account id (as in the Zeeschuimer
Pinterest captures, so both sources of one account merge). A pin with a ``parent_pin_id`` was
saved from another pin: a repost of it. The image's file name on ``i.pinimg.com`` is a hash
of the image (32 hex digits) that every pin of that image shares: it is the media hash, so
the co-media signal sees the same picture pinned by several accounts.
"""

from __future__ import annotations

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head

_TAG_RE = r"'(?:^|\s)[#＃]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)'"


def pin_image_hash(url: str) -> str:
    """The 32-hex image hash in a ``i.pinimg.com/<size>/aa/bb/cc/<hash>.jpg`` URL, or NULL."""
    return f"nullif(regexp_extract({url}, '/([0-9a-f]{{32}})\\.\\w+$', 1), '')"


class PinterestPins(Adapter):
    name = "pinterest_pins"
    platform = "pinterest"
    title = "Pinterest API v5 pins (list, board and search pages)"
    reader = "json"
    source_hint = "GET /v5/pins, /v5/boards/{board_id}/pins"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if not text.startswith(("[", "{")):
            return 0.0
        if '"board_id"' in text and '"created_at"' in text and '"board_owner"' in text:
            return 0.9
        return 0.0

    def json_prefix(self, head: bytes) -> str:
        return "item" if text_head(head).startswith("[") else "items.item"

    def stage_sql(self, stream: str) -> str:
        text = (
            "nullif(concat_ws(chr(10) || chr(10), nullif(trim(raw ->> '$.title'), ''), "
            "nullif(trim(raw ->> '$.description'), '')), '')"
        )
        image = """coalesce(raw ->> '$.media.images."1200x".url',
            raw ->> '$.media.images."600x".url', raw ->> '$.media.images."400x300".url',
            raw ->> '$.media.images."150x150".url', raw ->> '$.media.cover_image_url')"""
        return f"""
        SELECT seq, 'post' AS rec,
            raw ->> '$.id' AS post_id,
            raw ->> '$.board_owner.username' AS account_id,
            cib_ts(raw ->> '$.created_at') AS created_at,
            'second' AS time_precision,
            CASE WHEN cib_str(raw ->> '$.parent_pin_id') IS NOT NULL THEN 'repost'
                 ELSE 'post' END AS kind,
            {text} AS text,
            cib_str(raw ->> '$.parent_pin_id') AS repost_of_post,
            raw ->> '$.board_id' AS venue,
            list_filter([cib_str(raw ->> '$.link')], lambda u: u IS NOT NULL) AS urls,
            regexp_extract_all(coalesce({text}, ''), {_TAG_RE}, 1) AS hashtags,
            list_filter([{{'url': {image},
                'type': CASE WHEN raw ->> '$.media.media_type' LIKE 'video%' THEN 'video'
                             ELSE 'image' END,
                'hash': {pin_image_hash(image)}}}], lambda m: m.url IS NOT NULL) AS media,
            cib_int(raw ->> '$.pin_metrics.all_time.save') AS repost_count,
            cib_int(raw ->> '$.pin_metrics.all_time.comment') AS reply_count,
            cib_str(raw ->> '$.board_owner.username') AS acct_handle,
            CASE WHEN json_type(raw) IS DISTINCT FROM 'OBJECT' THEN 'record is not an object'
                 END AS reject
        FROM {stream}"""


register(PinterestPins())
