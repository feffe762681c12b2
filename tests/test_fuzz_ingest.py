"""Fuzzing every adapter with mutations of the real samples (hypothesis, bounded).

Each example takes one sample file, applies one to three mutations (a cut, flipped bytes,
an inserted quote, newline, brace, NUL, invalid UTF-8 or a 200 kB field, a repeated
slice), optionally compresses the result (gzip, or zstd with its checksum as zstd(1)
writes it), optionally flips bytes inside the archive and cuts it, then ingests it with
the sample's format forced. What must hold whatever the input:

- no exception escapes ``ingest`` (a file it cannot read is an error line in the report);
- every file's counts reconcile (``read = stored + duplicates + quarantined``);
- every quarantined record has a reason;
- nothing is invented: for the formats whose post ids appear verbatim in their source, each
  stored post id appears in the bytes that were ingested (before compression).

``derandomize`` keeps CI reproducible; ``benchmarks/fuzz.py`` is the place for longer runs.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cibscan.store import open_case
from tests.conftest import load, rows
from tests.test_every_format import EXPECTED, SAMPLES, path_of

INSERTS = [b'"', b"\n", b"{", b"}", b"\x00", b"\xff\xfe", b"\xc3", b",", b"x" * 200_000]

mutation = st.one_of(
    st.tuples(st.just("cut"), st.floats(0.0, 1.0)),
    st.tuples(st.just("flip"), st.floats(0.0, 1.0), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.floats(0.0, 1.0), st.sampled_from(INSERTS)),
    st.tuples(st.just("repeat"), st.floats(0.0, 1.0), st.integers(1, 2000)),
)


def mutate(data: bytes, ops: list[tuple[object, ...]]) -> bytes:
    for op in ops:
        at = int(float(op[1]) * len(data))  # type: ignore[arg-type]
        if op[0] == "cut":
            data = data[:at]
        elif op[0] == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([int(op[2])]) + data[at + 1 :]  # type: ignore[call-overload]
        elif op[0] == "insert":
            data = data[:at] + op[2] + data[at:]  # type: ignore[operator]
        elif op[0] == "repeat":
            data = data[:at] + data[at : at + int(op[2])] + data[at:]  # type: ignore[call-overload]
    return data


def _verbatim_ids() -> set[str]:
    """The samples whose stored post ids all appear verbatim in the sample's bytes."""
    verbatim = set()
    for sample in SAMPLES:
        with open_case(None) as case:
            load(case, path_of(sample), format=EXPECTED[sample])
            ids = [r["post_id"] for r in rows(case, "SELECT post_id FROM posts")]
        data = path_of(sample).read_bytes()
        if ids and all(i.encode() in data for i in ids):
            verbatim.add(sample)
    return verbatim


@pytest.fixture(scope="module")
def verbatim() -> set[str]:
    return _verbatim_ids()


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sample=st.sampled_from(SAMPLES),
    ops=st.lists(mutation, min_size=1, max_size=3),
    compression=st.sampled_from(["", "gzip", "zstd"]),
    cut_compressed=st.one_of(st.none(), st.floats(0.0, 1.0)),
    flip_compressed=st.lists(st.tuples(st.floats(0.2, 0.8), st.integers(1, 255)), max_size=8),
)
def test_mutated_samples_never_crash_reconcile_and_invent_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    verbatim: set[str],
    sample: str,
    ops: list[tuple[object, ...]],
    compression: str,
    cut_compressed: float | None,
    flip_compressed: list[tuple[float, int]],
) -> None:
    data = mutate(path_of(sample).read_bytes(), ops)
    packed = data
    if compression == "gzip":
        packed = gzip.compress(data)
    elif compression == "zstd":
        packed = zstandard.ZstdCompressor(write_checksum=True).compress(data)  # as zstd(1)
    if compression:
        damaged = bytearray(packed)
        for where, xor in flip_compressed:  # damage inside the archive: checksums fail
            damaged[int(where * (len(damaged) - 1))] ^= xor
        packed = bytes(damaged)
    if compression and cut_compressed is not None:
        packed = packed[: int(cut_compressed * len(packed))]
    path = tmp_path_factory.mktemp("fuzz") / (Path(sample).name + {"gzip": ".gz", "zstd": ".zst"}
                                               .get(compression, ""))  # fmt: skip
    path.write_bytes(packed)
    with open_case(None) as case:
        report = load(case, path, format=EXPECTED[sample])  # reconciles, or raises
        reasons = rows(case, "SELECT reason FROM quarantine")
        stored = [r["post_id"] for r in rows(case, "SELECT post_id FROM posts")]
    assert all(r["reason"] for r in reasons)
    assert all("Traceback" not in e for e in report.errors)
    if sample in verbatim:
        invented = [i for i in stored if i.encode() not in data]
        assert not invented, (sample, ops, compression, invented[:3])
