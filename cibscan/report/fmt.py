"""How the report writes values: one time format (UTC, said once on the page), durations in
words, counts with their noun in the right number, scores on one 0-1 scale.

These are the Jinja filters of the report's templates. Each takes what the case holds (which
may be None: a source without creation dates, a post without a time) and returns plain text;
the template's autoescaping makes it safe. None becomes an empty string so that a missing
value leaves a gap the template can test for, never the word "None".
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

#: plural forms that do not just add "s"
_IRREGULAR = {"activity": "activities", "family": "families", "reply": "replies"}


def when(value: datetime | date | None, seconds: bool = False) -> str:
    """``2024-03-17 19:24`` (UTC; the page says so once), or the date alone for a date or a
    midnight timestamp (sources that only know the day, such as account creation dates)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        if value.hour == value.minute == value.second == 0 and not seconds:
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return value.isoformat()


def day(value: datetime | date | None) -> str:
    """The date alone: ``2024-03-17``."""
    if value is None:
        return ""
    return when(value).split(" ")[0]


def duration(seconds: float | None) -> str:
    """A gap in words: ``42 s``, ``11 min``, ``2 h 14 min``, ``8 days 4 h``."""
    if seconds is None or math.isnan(seconds):
        return ""
    s = max(round(float(seconds)), 0)
    if s < 60:
        return f"{s} s"
    minutes = round(s / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    unit = "day" if days == 1 else "days"
    return f"{days:,} {unit} {hours} h" if hours else f"{days:,} {unit}"


def plural(n: int | None, noun: str, nouns: str | None = None) -> str:
    """``1 cluster``, ``2 clusters``, ``1,204 accounts``. A negative or missing count is a
    bug upstream; it is shown as 0 rather than as "-4"."""
    count = max(int(n or 0), 0)
    if count == 1:
        return f"1 {noun}"
    if nouns is None:
        nouns = _IRREGULAR.get(noun, noun + "s")
    return f"{count:,} {nouns}"


def count(n: int | None) -> str:
    """A count with thousands separators; never negative (see :func:`plural`)."""
    return f"{max(int(n or 0), 0):,}"


def score(value: float | None) -> str:
    """A score on the report's one scale, 0 to 1 with two decimals (a tell's or signal's
    raw strength is never printed: it is on another scale)."""
    if value is None or math.isnan(value):
        return ""
    return f"{min(max(float(value), 0.0), 1.0):.2f}"


def share(value: float | None) -> str:
    """A proportion as a whole percentage."""
    if value is None or math.isnan(value):
        return ""
    return f"{float(value):.0%}"


def significance(q: float | None) -> str:
    """A q-value as an analyst reads it: ``q < 0.001`` rather than ``q=0.0e+00``."""
    if q is None or math.isnan(q):
        return ""
    if q < 0.001:
        return "q < 0.001"
    return f"q = {q:.3f}"


def offset(value: tuple[int, float] | None) -> str:
    """The likely operator time zone with the share of posts in its office hours."""
    if value is None:
        return "unknown (no timed posts)"
    hours, part = value
    return f"UTC{hours:+d} ({part:.0%} of posts fall in weekday office hours there)"


def signal_name(name: str | None) -> str:
    """``near_duplicate`` as ``near duplicate``: the names of signals and tells as words."""
    return (name or "").replace("_", " ")


def finalize(value: Any) -> Any:
    """Applied by Jinja to every printed expression: None prints as nothing, a negative
    integer (a count gone wrong upstream, "-4 more clusters") as 0."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return 0
    return value


FILTERS = {
    "when": when,
    "day": day,
    "duration": duration,
    "plural": plural,
    "count": count,
    "score": score,
    "share": share,
    "significance": significance,
    "offset": offset,
    "words": signal_name,
}
