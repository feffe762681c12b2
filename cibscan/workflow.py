"""``run``: ingest, detect and export in one call (the library function behind ``cibscan run``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cibscan.detect.base import DetectOptions
from cibscan.detect.pipeline import DetectReport, detect
from cibscan.ingest.pipeline import IngestOptions, IngestReport, ingest
from cibscan.ingest.readers import ProgressHook
from cibscan.report.export import EXPORTS, export
from cibscan.store import open_case

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """Where a run wrote its case and outputs, and what each stage reported."""

    out_dir: Path
    case_path: Path
    ingest: IngestReport
    detect: DetectReport
    outputs: dict[str, Path] = field(default_factory=dict)


def run_pipeline(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    case_path: str | Path | None = None,
    ingest_options: IngestOptions | None = None,
    detect_options: DetectOptions | None = None,
    export_format: str = "csv",
    progress: ProgressHook | None = None,
) -> RunResult:
    """Ingest ``paths`` into a case, detect, and write accounts/edges/clusters/evidence.

    Without ``case_path`` the case is ``out_dir/case.duckdb``, created afresh so that a rerun
    gives the same results rather than counting every post as a duplicate.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = Path(case_path) if case_path else out / "case.duckdb"
    if case_path is None:
        for stale in (target, target.with_suffix(".duckdb.wal")):
            stale.unlink(missing_ok=True)
    with open_case(target) as case:
        ingested = ingest(case, list(paths), ingest_options, progress)
        detected = detect(case, detect_options)
        outputs = {}
        for what in EXPORTS:
            path = out / f"{what}.{export_format}"
            export(case, what, export_format, path)
            outputs[what] = path
    return RunResult(out, target, ingested, detected, outputs)
