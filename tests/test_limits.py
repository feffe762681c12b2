"""Parameter contracts (cibscan.engine.limits): the library refuses what the CLI refuses."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cibscan.detect.base import DetectOptions
from cibscan.engine.limits import MIN_MEMORY_LIMIT, check_number, memory_bytes
from cibscan.ingest.pipeline import IngestOptions
from cibscan.match.scoring import MatchOptions
from cibscan.signals.base import get_signal


@pytest.mark.parametrize(
    "kwargs",
    [
        {"alpha": math.nan},
        {"alpha": 0.0},
        {"alpha": 1.0},
        {"alpha": -1.0},
        {"partner_p": math.inf},
        {"corroborated": math.nan},
        {"corroborated": -0.1},
        {"tell_alone": 0.0},
        {"resolution": -2.0},
        {"min_shared": 0},
        {"memory_limit": "50MB"},
        {"memory_limit": "6 potatoes"},
    ],
)
def test_detect_options_refuse_what_has_no_meaning(kwargs: dict[str, object]) -> None:
    name = next(iter(kwargs)).replace("_limit", " limit")
    with pytest.raises(ValueError, match=name.split()[0]):
        DetectOptions(**kwargs)  # type: ignore[arg-type]


def test_the_defaults_pass_and_the_floor_itself_is_allowed() -> None:
    DetectOptions()
    DetectOptions(alpha=0.5, memory_limit=MIN_MEMORY_LIMIT)
    IngestOptions(memory_limit="1GiB")
    MatchOptions(report_floor=0)
    with pytest.raises(ValueError, match="floor"):
        IngestOptions(memory_limit="1KB")
    with pytest.raises(ValueError, match="report_floor"):
        MatchOptions(report_floor=math.nan)


def test_a_signal_parameter_must_be_finite() -> None:
    threshold = get_signal("near_duplicate").param("threshold")
    for bad in ("nan", "inf", float("-inf")):
        with pytest.raises(ValueError, match="finite"):
            threshold.parse(bad)
    assert threshold.parse("0.7") == 0.7


def test_memory_sizes_read_as_the_engine_reads_them() -> None:
    assert memory_bytes("6GB") == 6 * 10**9
    assert memory_bytes("1.5 GiB") == int(1.5 * 2**30)
    assert memory_bytes("512mb") == 512 * 10**6
    for bad in ("", "GB", "-1GB", "1 PB", "1e9B", "6GB; DROP TABLE posts"):
        with pytest.raises(ValueError, match="512MB or 2GB"):
            memory_bytes(bad)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_number_admits_exactly_the_finite_values_in_range(value: float) -> None:
    """Property: (0, 1) open at both ends admits a value iff it is finite and 0 < v < 1."""
    admitted = math.isfinite(value) and 0 < value < 1
    try:
        check_number("alpha", value, low=0, high=1, low_open=True, high_open=True)
    except ValueError as exc:
        assert not admitted and "alpha" in str(exc)
    else:
        assert admitted
