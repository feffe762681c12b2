"""Parameter contracts shared by the library and the CLI (scikit-learn's spirit: a bad value
is refused at once, with one line naming the parameter and what it may be).

A NaN compares false with every bound, so ``alpha < 0`` lets it through and it reaches SQL
as a binder error; an ``alpha`` of 0 or 1.5 passes a naive check and gives a meaningless
run. These helpers check finiteness first, then the range; ``DetectOptions``,
``IngestOptions``, ``MatchOptions`` and every signal's ``Param`` use them.
"""

from __future__ import annotations

import math
import re

#: the smallest memory ceiling accepted for the engine (docs/cli.md): below it DuckDB
#: cannot hold the buffers of one scan of a case, and the run fails deep inside with an
#: out-of-memory error instead of here
MIN_MEMORY_LIMIT = "128MB"

_UNITS = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?I?B)", re.IGNORECASE)


def memory_bytes(text: str) -> int:
    """The bytes of a memory size written as DuckDB takes it (``512MB``, ``2GB``, ``1GiB``)."""
    match = _SIZE.fullmatch(text.strip())
    if not match or match.group(2).upper() not in _UNITS:
        raise ValueError(f"memory limit must look like 512MB or 2GB, not {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def check_memory_limit(text: str | None, name: str = "memory_limit") -> None:
    """Refuse a malformed memory limit, or one below :data:`MIN_MEMORY_LIMIT`."""
    if text is None:
        return
    if memory_bytes(text) < memory_bytes(MIN_MEMORY_LIMIT):
        raise ValueError(
            f"{name} {text.strip()} is below the floor of {MIN_MEMORY_LIMIT} "
            "(give more memory; past the limit the engine spills to disk)"
        )


def check_number(
    name: str,
    value: float,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Refuse a value that is not a finite number within ``[low, high]`` (an end is left
    out of the range with ``low_open`` / ``high_open``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(
            f"{name} must be in {_interval(low, high, low_open, high_open)}, got {value:g}"
        )


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    left = "(" if low is None or low_open else "["
    right = ")" if high is None or high_open else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"
