"""Generic CSV, JSON lines and Parquet, mapped to the canonical model by the user.

Never sniffed: choose one with ``--format generic_csv|generic_jsonl|generic_parquet`` and map
canonical fields to source columns (CSV, Parquet) or dotted JSON paths (JSONL) with
``--option FIELD=SOURCE``; a source starting with ``=`` is a constant (``--option
platform==telegram`` sets every record's platform to "telegram"). Fields left unmapped
are read from a source column of the same name when the file has one (CSV header, first JSON
line). Required: ``post_id``, ``account_id``, ``created_at``.

Mappable fields: the post columns ``platform, post_id, account_id, created_at, kind, text,
language, repost_of_post, repost_of_account, reply_to_post, reply_to_account, quote_of_post,
quote_of_account, conversation_id, venue, urls, hashtags, mentions, client, like_count,
repost_count, reply_count, quote_count, view_count`` and the account columns ``acct_handle,
acct_display_name, acct_created_at, acct_description, acct_location, acct_url,
acct_profile_image_url, acct_profile_image_hash, acct_followers, acct_following,
acct_posts_count, acct_language, acct_verified``. List fields (urls, hashtags, mentions) take a
JSON array, a bracketed list, or a string split on ``list_separator`` (default: a space).
``kind`` defaults to repost/quote/reply/post from the reference fields.

Source names reach SQL only as quoted identifiers or escaped JSON paths: option values cannot
inject SQL.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import ClassVar

from cibscan.ingest.base import Adapter, ReaderKind, register
from cibscan.ingest.sniffing import first_line
from cibscan.ingest.tabular import csv_header
from cibscan.store.base import ACCOUNT_FIELDS, POST_COLUMNS, staged_type

# Fields a user may map: every post column an adapter fills (not the derived ones) and every
# account field but flags; their kind follows from the canonical types.
_DERIVED = {
    "text_norm",
    "urls_raw",
    "domains",
    "media",
    "time_precision",
    "source_file",
    "source_locator",
    "source_format",
    "ingest_run_id",
}
FIELDS = tuple(c for c in POST_COLUMNS if c not in _DERIVED) + tuple(
    f"acct_{c}" for c in ACCOUNT_FIELDS if c != "flags"
)
TIME_FIELDS = tuple(f for f in FIELDS if staged_type(f) == "TIMESTAMPTZ")
INT_FIELDS = tuple(f for f in FIELDS if staged_type(f) == "BIGINT")
BOOL_FIELDS = tuple(f for f in FIELDS if staged_type(f) == "BOOLEAN")
LIST_FIELDS = tuple(f for f in FIELDS if staged_type(f) == "VARCHAR[]")
REQUIRED = ("post_id", "account_id", "created_at")
SETTINGS = ("list_separator",)


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def json_path(dotted: str) -> str:
    """``user.id`` -> the DuckDB JSON path ``$."user"."id"`` as a SQL literal."""
    parts = [p for p in dotted.split(".") if p]
    if not parts:
        raise ValueError(f"empty JSON path {dotted!r}")
    return sql_string("$" + "".join("." + json.dumps(p) for p in parts))


class GenericAdapter(Adapter):
    """Base of the three generic formats; the reader decides how a source is addressed."""

    platform = "unknown"
    fills = FIELDS
    mapping: dict[str, str]
    separator: str = " "

    def __init__(self) -> None:
        self.mapping = {}

    def sniff(self, head: bytes) -> float:
        return 0.0  # generic formats are chosen by the user, never guessed

    def configure(self, options: Mapping[str, str]) -> Adapter:
        unknown = set(options) - set(FIELDS) - set(SETTINGS)
        if unknown:
            raise ValueError(
                f"unknown field(s) {', '.join(sorted(unknown))} for {self.name}; "
                f"map any of: {', '.join(FIELDS)} (settings: {', '.join(SETTINGS)})"
            )
        configured = copy.copy(self)
        configured.mapping = {k: v for k, v in options.items() if k in FIELDS}
        configured.separator = options.get("list_separator", " ")
        configured._set_columns()
        return configured

    def _set_columns(self) -> None:
        sources = {f: self.mapping.get(f, f) for f in REQUIRED}
        sources.update(self.mapping)
        self.columns = tuple(dict.fromkeys(v for v in sources.values() if not v.startswith("=")))
        self.required_columns = tuple(
            sources[f] for f in REQUIRED if not sources[f].startswith("=")
        )

    def _present_names(self, head: bytes) -> set[str]:
        return set()

    def for_file(self, head: bytes) -> Adapter:
        configured = copy.copy(self)
        configured.mapping = dict(self.mapping)
        for name in self._present_names(head):
            if name in FIELDS and name not in configured.mapping:
                configured.mapping[name] = name
        configured._set_columns()
        return configured

    def _value(self, source: str) -> str:
        """SQL for the text value of ``source`` (column or path) in one record."""
        raise NotImplementedError

    def _list(self, source: str) -> str:
        text = self._value(source)
        sep = sql_string(self.separator)
        return (
            f"CASE WHEN {text} IS NULL OR trim({text}) = '' THEN []::VARCHAR[] "
            f"WHEN json_valid({text}) AND json_type({text}) = 'ARRAY' "
            f"THEN json_extract_string({text}, '$[*]') "
            f"WHEN starts_with(trim({text}), '[') THEN cib_pylist({text}) "
            f"ELSE list_filter(string_split({text}, {sep}), lambda x: x <> '') END"
        )

    def _expr(self, field: str, source: str) -> str:
        if source.startswith("="):
            value = sql_string(source[1:])
            return f"[{value}]" if field in LIST_FIELDS else value
        if field in LIST_FIELDS:
            return self._list(source)
        text = self._value(source)
        if field in TIME_FIELDS:
            return f"cib_ts({text})"
        if field in INT_FIELDS:
            return f"cib_int({text})"
        if field in BOOL_FIELDS:
            return f"cib_bool({text})"
        return f"cib_str({text})" if field != "text" else text

    def stage_sql(self, stream: str) -> str:
        sources = {f: self.mapping.get(f, f) for f in REQUIRED}
        sources.update(self.mapping)
        cols = [f"{self._expr(f, s)} AS {f}" for f, s in sources.items()]
        if "kind" not in sources:
            refs = {
                f: self._expr(f, sources[f]) if f in sources else "NULL"
                for f in ("repost_of_post", "quote_of_post", "reply_to_post")
            }
            cols.append(
                f"CASE WHEN {refs['repost_of_post']} IS NOT NULL THEN 'repost' "
                f"WHEN {refs['quote_of_post']} IS NOT NULL THEN 'quote' "
                f"WHEN {refs['reply_to_post']} IS NOT NULL THEN 'reply' ELSE 'post' END AS kind"
            )
        return f"SELECT seq, 'post' AS rec, {', '.join(cols)} FROM {stream}"


class GenericCsv(GenericAdapter):
    name = "generic_csv"
    title = "Any CSV with a header, mapped with --option FIELD=COLUMN"
    reader: ClassVar[ReaderKind] = "csv"
    source_hint = "exports of other tools, spreadsheets"

    def _present_names(self, head: bytes) -> set[str]:
        return set(csv_header(head, self.delimiter))

    def _value(self, source: str) -> str:
        return f"CAST({sql_identifier(source)} AS VARCHAR)"


class GenericJsonl(GenericAdapter):
    _slots: dict[str, int]

    name = "generic_jsonl"
    title = "Any JSON lines, mapped with --option FIELD=dotted.json.path"
    reader: ClassVar[ReaderKind] = "lines"
    source_hint = "exports of other tools, scrapers"

    def _present_names(self, head: bytes) -> set[str]:
        try:
            record = json.loads(first_line(head))
        except ValueError:
            return set()
        return set(record) if isinstance(record, dict) else set()

    def _set_columns(self) -> None:
        self.columns = ()
        self.required_columns = ()

    def stage_sql(self, stream: str) -> str:
        # Parse each record once: every mapped path is extracted in one json_extract call
        # into the list ``_j``, and fields read their (small) element of it. Extracting path
        # by path re-parsed the whole record for every use of every field, which ran out of
        # memory on records holding a megabyte-long post.
        sources = {f: self.mapping.get(f, f) for f in REQUIRED} | self.mapping
        paths = list(dict.fromkeys(v for v in sources.values() if not v.startswith("=")))
        self._slots = {source: i + 1 for i, source in enumerate(paths)}
        listed = ", ".join(json_path(source) for source in paths) or "'$.__none__'"
        parsed = f"(SELECT seq, json_extract(raw, [{listed}]) AS _j FROM {stream})"
        return super().stage_sql(parsed)

    def _value(self, source: str) -> str:
        value = f"_j[{self._slots[source]}]"
        return (
            f"CASE WHEN json_type({value}) IN ('ARRAY', 'OBJECT') "
            f"THEN {value}::VARCHAR ELSE json_extract_string({value}, '$') END"
        )


class GenericParquet(GenericAdapter):
    name = "generic_parquet"
    title = "Any Parquet file, mapped with --option FIELD=COLUMN"
    reader: ClassVar[ReaderKind] = "parquet"
    source_hint = "exports of other tools, data lakes"

    def _value(self, source: str) -> str:
        return f"CAST({sql_identifier(source)} AS VARCHAR)"

    def _list(self, source: str) -> str:
        # Parquet list columns cast to text read "[a, b]"; JSON text and delimited
        # strings are handled as for CSV.
        return super()._list(source)


register(GenericCsv())
register(GenericJsonl())
register(GenericParquet())
