"""Telegram Desktop "Export chat history" JSON (the single-chat ``result.json``).

The chat (``id``, ``name``, ``type``) precedes the messages, so the adapter reads it from the
file head and qualifies message ids with the chat id: message ids are only unique within a chat.
``text`` is a string or a list mixing strings and ``{type, text}`` entity objects; it is
flattened to plain text, and links, hashtags and mentions come from ``text_entities`` (newer
exports) or from the entity objects. Times: ``date_unixtime`` (UTC) when present; older
exports only have ``date`` in the exporting machine's local time without an offset, which is
read as UTC (a documented caveat: such times may be off by the exporter's UTC offset).
A forwarded message is a repost of ``forwarded_from`` (a display name: exports give no id).
Service messages (joins, pins...) are not posts and are quarantined as unsupported.
"""

from __future__ import annotations

import copy
import re

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head

_CHAT_FIELD = re.compile(r'^\s*"(id|name|type)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)', re.M)


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


class TelegramDesktop(Adapter):
    name = "telegram_desktop"
    platform = "telegram"
    title = "Telegram Desktop chat export (result.json)"
    reader = "json"
    source_hint = "Telegram Desktop > Export chat history > JSON"
    chat_id: str | None = None
    chat_name: str | None = None

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if not text.startswith("{") or '"messages"' not in text:
            return 0.0
        hits = sum(f'"{k}"' in text for k in ("from_id", "date", "type", "text"))
        return 0.9 if hits == 4 else 0.0

    def json_prefix(self, head: bytes) -> str:
        return "messages.item"

    def for_file(self, head: bytes) -> Adapter:
        text = text_head(head)
        before_messages = text.split('"messages"', 1)[0]
        fields = {m.group(1): m.group(2).strip('"') for m in _CHAT_FIELD.finditer(before_messages)}
        configured = copy.copy(self)
        configured.chat_id = fields.get("id")
        configured.chat_name = fields.get("name")
        return configured

    def stage_sql(self, stream: str) -> str:
        chat = _literal(self.chat_id)
        prefix = f"coalesce({chat} || '/', '')"
        return f"""
        WITH m AS (
            SELECT seq, raw,
                CASE WHEN json_exists(raw, '$.text_entities')
                     THEN json_extract(raw, '$.text_entities[*]')
                     WHEN json_type(raw, '$.text') = 'ARRAY'
                     THEN list_filter(json_extract(raw, '$.text[*]'),
                                      lambda e: json_type(e) = 'OBJECT')
                     ELSE [] END AS ents
            FROM {stream}
        )
        SELECT seq, 'post' AS rec,
            CASE WHEN raw ->> '$.type' <> 'message'
                 THEN 'not a post: ' || (raw ->> '$.type') || ' message' END AS reject,
            CASE WHEN raw ->> '$.type' <> 'message' THEN 'unsupported' END AS severity,
            {prefix} || (raw ->> '$.id') AS post_id,
            coalesce(raw ->> '$.from_id', raw ->> '$.actor_id') AS account_id,
            coalesce(cib_ts(raw ->> '$.date_unixtime'), cib_ts(raw ->> '$.date')) AS created_at,
            CASE WHEN raw ->> '$.forwarded_from' IS NOT NULL THEN 'repost'
                 WHEN raw ->> '$.reply_to_message_id' IS NOT NULL THEN 'reply'
                 ELSE 'post' END AS kind,
            CASE WHEN json_type(raw, '$.text') = 'ARRAY'
                 THEN array_to_string(list_transform(json_extract(raw, '$.text[*]'),
                      lambda e: CASE WHEN json_type(e) = 'VARCHAR' THEN e ->> '$'
                                     ELSE e ->> '$.text' END), '')
                 ELSE raw ->> '$.text' END AS text,
            raw ->> '$.forwarded_from' AS repost_of_account,
            CASE WHEN raw ->> '$.reply_to_message_id' IS NOT NULL
                 THEN {prefix} || (raw ->> '$.reply_to_message_id') END AS reply_to_post,
            {_literal(self.chat_name)} AS venue,
            list_transform(list_filter(ents, lambda e: e ->> '$.type' IN ('link', 'text_link')),
                lambda e: coalesce(e ->> '$.href', e ->> '$.text')) AS urls,
            list_transform(list_filter(ents, lambda e: e ->> '$.type' = 'hashtag'),
                lambda e: e ->> '$.text') AS hashtags,
            list_transform(list_filter(ents, lambda e: e ->> '$.type' IN
                ('mention', 'mention_name')), lambda e: coalesce(e ->> '$.user_id',
                e ->> '$.text')) AS mentions,
            list_filter([
                CASE WHEN raw ->> '$.photo' IS NOT NULL THEN
                    {{'url': raw ->> '$.photo', 'type': 'photo', 'hash': NULL}} END,
                CASE WHEN raw ->> '$.file' IS NOT NULL THEN
                    {{'url': raw ->> '$.file', 'type': coalesce(raw ->> '$.media_type', 'file'),
                     'hash': NULL}} END], lambda x: x IS NOT NULL) AS media,
            raw ->> '$.from' AS acct_display_name
        FROM m"""


register(TelegramDesktop())
