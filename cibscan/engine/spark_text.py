"""Spark SQL text: string literals, and RE2 patterns rewritten so that Java reads them as
RE2 does (the Spark engine's regexp helpers; see docs/scale.md). No pyspark here."""

from __future__ import annotations

import re

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
