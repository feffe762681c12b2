"""Render attacker-written text inert in HTML and SVG.

Post texts, handles, display names and URLs are written by the accounts under investigation,
so every such string is made inert before it reaches the page. The report's templates apply
:func:`clean` (the ``t`` filter) and let Jinja's autoescaping do the entities; the plots apply
:func:`clean` and let matplotlib's SVG writer escape; :func:`text` does both, for HTML built
in Python:
- ``& < > " '`` become entities (safe inside elements and quoted attributes);
- characters that change how text *looks* without being seen (bidirectional overrides such
  as U+202E, zero-width joiners and spaces, the BOM) and control characters are replaced by a
  visible marker ``⟦U+202E⟧``, so that an RTL override cannot disguise ``evil.exe`` and a
  zero-width space cannot hide a difference between two handles;
- very long strings are cut, with the number of characters left out, so that a megabyte
  post cannot make the report unreadable or huge (:func:`clean` cuts at a word boundary).
The report also sets a Content-Security-Policy that forbids every script, as a second wall.
"""

from __future__ import annotations

import html
import re

#: bidi controls, zero-width characters, BOM, C0/C1 controls (tab and newline are kept)
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff]"
)
#: default longest string shown in full
MAX_CHARS = 600


def _marker(match: re.Match[str]) -> str:
    return f"⟦U+{ord(match.group(0)):04X}⟧"


def clean(value: object, limit: int | None = MAX_CHARS) -> str:
    """``value`` with invisible characters made visible, cut at ``limit`` characters (None:
    never cut) at the last space before it if there is one, with how much was left out.
    Not HTML-escaped: for the templates, whose autoescaping does that, and for matplotlib,
    whose SVG writer does. None becomes an empty string."""
    if value is None:
        return ""
    raw = str(value)
    cut = ""
    if limit is not None and len(raw) > limit:
        keep = raw[:limit]
        space = keep.rfind(" ")
        if space > limit * 0.7:
            keep = keep[:space]
        cut = f" … (+{len(raw) - len(keep):,} characters)"
        raw = keep
    return _INVISIBLE.sub(_marker, raw) + cut


def text(value: object, limit: int | None = MAX_CHARS) -> str:
    """``value`` as HTML-escaped text with invisible characters made visible, cut at
    ``limit`` characters (None: never cut). None becomes an empty string."""
    if value is None:
        return ""
    raw = str(value)
    cut = ""
    if limit is not None and len(raw) > limit:
        cut = f" … ({len(raw) - limit:,} more characters)"
        raw = raw[:limit]
    return html.escape(_INVISIBLE.sub(_marker, raw), quote=True) + html.escape(cut)
