"""Spark SQL text: string literals, RE2 patterns rewritten so that Java reads them as RE2
does, and :class:`SparkDialect`, the dialect helpers of :class:`cibscan.engine.base.Engine`
that are SQL text alone (see docs/scale.md). No pyspark here."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cibscan.engine.base import split_order_item

#: a C printf conversion: flags, width, precision, kind
PRINTF_SPEC = re.compile(r"%[-+ #0]*\d*(?:\.\d+)?(?P<kind>[dsfgeE%])")
#: an RE2 script class (\p{Han}, \P{Latin}): three letters or more
_SCRIPT_CLASS = re.compile(r"\\([pP])\{([A-Z][a-z]{2,}(?:_[A-Z][a-z]+)*)\}")
#: RE2's ``\b`` (ASCII word characters only) in Java, whose own ``\b`` is Unicode-aware
_ASCII_BOUNDARY = "(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))"


def literal(text: str) -> str:
    """A Spark string literal (backslash escapes; two quotes in a row are two literals)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def java_regex(regexp: str) -> str:
    r"""An RE2 pattern as a raw Spark literal that Java reads as RE2 does: ``\b`` outside
    brackets is the ASCII word boundary, ``$`` the end of the text, and a script class
    ``\p{Han}`` is Java's ``\p{IsHan}`` (one- and two-letter classes such as ``\p{L}`` are
    categories in both). A raw literal keeps the backslashes (a plain one unescapes them)."""
    if "'" in regexp:
        raise ValueError(f"spark: a pattern with a quote needs a character class: {regexp!r}")
    out: list[str] = []
    k, bracket = 0, False
    while k < len(regexp):
        char = regexp[k]
        if char == "\\" and k + 1 < len(regexp):
            pair = regexp[k : k + 2]
            script = _SCRIPT_CLASS.match(regexp, k)
            if script:
                out.append(f"\\{script.group(1)}{{Is{script.group(2)}}}")
                k = script.end()
                continue
            out.append(_ASCII_BOUNDARY if pair == "\\b" and not bracket else pair)
            k += 2
            continue
        if char == "$" and not bracket:  # RE2's end of text; Java's $ also before a \n
            out.append("\\z")
            k += 1
            continue
        if char == "[":
            bracket = True
        elif char == "]":
            bracket = False
        out.append(char)
        k += 1
    return "r'" + "".join(out) + "'"


class SparkDialect:
    """Spark's spelling of the dialect helpers that are SQL text alone (the Spark engine
    adds those that register an Arrow function), as :class:`DuckDBDialect` is DuckDB's."""

    def hash64(self, expr: str) -> str:
        # Spark's ``hash()`` is a 32-bit Murmur3: ``xxhash64`` is its 64-bit hash (signed)
        return f"xxhash64({expr})"

    def epoch(self, expr: str) -> str:
        # DuckDB's epoch() adds whole milliseconds / 1e3 and the remaining microseconds / 1e6,
        # which differs from micros / 1e6 in the last bit for a quarter of timestamps: the
        # same sum here gives the same doubles (checked on 200,000 random times after 1970;
        # a gap of one ulp moves a co-action across a window's edge)
        us = f"unix_micros({expr})"
        return f"(CAST({us} div 1000 AS DOUBLE) / 1000 + CAST({us} % 1000 AS DOUBLE) / 1000000)"

    def regexp_replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        # a raw literal r'...' keeps the pattern's backslashes (a plain one unescapes them)
        if "$" in replacement or "\\" in replacement:
            raise ValueError(f"not a literal replacement: {replacement!r}")
        repl = replacement.replace("'", "\\'")
        return f"regexp_replace({expr}, {java_regex(pattern)}, '{repl}')"

    def list_join(self, expr: str, separator: str) -> str:
        if "'" in separator or "\\" in separator:
            raise ValueError(f"spark: not a plain separator: {separator!r}")
        return f"array_join({expr}, '{separator}')"

    def list_length(self, expr: str) -> str:
        # size() of a NULL list is -1 under the legacy setting: NULL here, as in DuckDB
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE size({expr}) END"

    def explode(self, expr: str) -> str:
        return f"explode({expr})"

    def regexp_full_match(self, expr: str, pattern: str) -> str:
        # RLIKE finds a match anywhere: anchored at both ends of the input (\z, not $,
        # which also matches before a final line break in Java)
        anchored = "\\A(?:" + pattern + ")\\z"
        return f"({expr} RLIKE {java_regex(anchored)})"

    def hex_to_int64(self, expr: str) -> str:
        # conv() to a negative base reads the digits as a signed 64-bit number
        return f"CAST(conv({expr}, 16, -10) AS BIGINT)"

    def int_range(self, start: str, stop: str) -> str:
        return f"sequence({start}, ({stop}) - 1)"

    def format_epoch(self, expr: str) -> str:
        # the session's time zone is UTC (LOCAL_CONF)
        return f"date_format(timestamp_seconds({expr}), 'yyyy-MM-dd HH:mm:ss') || '+00'"

    def hamming_distance(self, x: str, y: str) -> str:
        return f"bit_count(({x}) ^ ({y}))"

    def format_epoch_date(self, expr: str) -> str:
        return f"date_format(timestamp_seconds({expr}), 'yyyy-MM-dd')"

    def regexp_contains(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {java_regex(pattern)})"

    def regexp_split(self, expr: str, pattern: str) -> str:
        return f"split({expr}, {java_regex(pattern)}, -1)"

    def round_to_int64(self, expr: str) -> str:
        # bround rounds the shortest decimal of the double half to even: a tie there is a
        # tie of the double itself, so this is DuckDB's cast
        return f"CAST(bround({expr}, 0) AS BIGINT)"

    def regexp_extract(self, expr: str, pattern: str, group: int) -> str:
        return f"regexp_extract({expr}, {java_regex(pattern)}, {int(group)})"

    def list_get(self, expr: str, index: int) -> str:
        if int(index) == 0:
            raise ValueError("list_get: indexes are 1-based")
        return f"try_element_at({expr}, {int(index)})"

    def string_split(self, expr: str, separator: str) -> str:
        return f"split({expr}, {java_regex(re.escape(separator))}, -1)"

    def list_contains(self, expr: str, value: str) -> str:
        return f"array_contains({expr}, {value})"

    def regexp_extract_all(self, expr: str, pattern: str, group: int) -> str:
        return f"regexp_extract_all({expr}, {java_regex(pattern)}, {int(group)})"

    def string_agg_sorted(self, expr: str, separator: str) -> str:
        # array_sort orders strings by their UTF-8 bytes, as DuckDB's ORDER BY does
        return f"array_join(array_sort(collect_set({expr})), {literal(separator)})"

    def ordered_list(self, expr: str, order_by: Sequence[str], *, distinct: bool = False) -> str:
        # collect_list keeps no order: collect (keys, value) structs and sort them with a
        # comparator (ascending or descending per key, any comparable type); the struct
        # also keeps NULL values, which collect_list would drop (DuckDB's list keeps them)
        items = [split_order_item(item) for item in order_by]
        fields = ", ".join(f"'k{i}', {key}" for i, (key, _) in enumerate(items))
        cases = " ".join(
            f"WHEN l.k{i} < r.k{i} THEN {1 if desc else -1} "
            f"WHEN l.k{i} > r.k{i} THEN {-1 if desc else 1}"
            for i, (_, desc) in enumerate(items)
        )
        collect = "collect_set" if distinct else "collect_list"
        pairs = f"{collect}(named_struct({fields}, 'v', {expr}))"
        ordered = f"array_sort({pairs}, (l, r) -> CASE {cases} ELSE 0 END)"
        return f"transform({ordered}, s -> s.v)"

    def ordered_string_agg(self, expr: str, separator: str, order_by: Sequence[str]) -> str:
        if "'" in separator or "\\" in separator:
            raise ValueError(f"spark: not a plain separator: {separator!r}")
        return f"string_agg({expr}, '{separator}') WITHIN GROUP (ORDER BY {', '.join(order_by)})"

    def list_head(self, expr: str, n: int) -> str:
        return f"slice({expr}, 1, {int(n)})"

    def list_type(self, element: str) -> str:
        return f"ARRAY<{element}>"

    def empty_list(self) -> str:
        return "array()"
