"""``run``: ingest, detect, export and report in one call (``cibscan run``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cibscan.detect.base import DetectOptions
from cibscan.detect.pipeline import DetectReport, detect
from cibscan.export import TABLES, export, exporters, get_exporter
from cibscan.export.stix_objects import DEFAULT_TLP
from cibscan.ingest.pipeline import IngestOptions, IngestReport, check_inputs, ingest
from cibscan.ingest.readers import ProgressHook
from cibscan.progress import phase
from cibscan.report.html import write_report
from cibscan.store import Case, CaseError, open_case

if TYPE_CHECKING:
    from cibscan.findings import Findings

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """Where a run wrote its case and outputs, and what each stage reported."""

    out_dir: Path
    case_path: Path
    ingest: IngestReport
    detect: DetectReport
    outputs: dict[str, Path] = field(default_factory=dict)

    def findings(self) -> Findings:
        """The run's findings, read from its case (opened read-only; close the Findings,
        or use it in a ``with`` block)."""
        from cibscan.findings import Findings

        return Findings.open(self.case_path)


def run_pipeline(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    case_path: str | Path | None = None,
    ingest_options: IngestOptions | None = None,
    detect_options: DetectOptions | None = None,
    export_format: str = "csv",
    progress: ProgressHook | None = None,
    overwrite: bool = False,
    append: bool = False,
    tlp: str = DEFAULT_TLP,
    formula_guard: bool = True,
) -> RunResult:
    """Ingest ``paths`` into a case, detect, and write the findings (:func:`write_outputs`).

    Without ``case_path`` the case is ``out_dir/case.duckdb``. One already there holds an
    analyst's labels and earlier runs, so it is not replaced silently: ``overwrite`` starts
    afresh (a rerun then gives the same results rather than counting every post as a
    duplicate), ``append`` adds the files to it; neither raises :class:`CaseError`.
    ``tlp`` is the TLP 2.0 marking of the STIX bundle (clear, green, amber, red);
    ``formula_guard`` False writes CSV cells exactly as stored.
    """
    if overwrite and append:
        raise ValueError("overwrite and append exclude each other")
    _guard_option(export_format, formula_guard)  # a refusal before any work
    check_inputs(paths, ingest_options)
    out = Path(out_dir)
    target = Path(case_path) if case_path else out / "case.duckdb"
    if case_path is None and target.exists() and not append:
        if not overwrite:
            raise CaseError(
                f"{target} already holds a case: --overwrite replaces it (its labels and "
                "earlier runs are lost), --append adds the files to it"
            )
        for stale in (target, target.with_suffix(".duckdb.wal")):
            stale.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    with open_case(target) as case:
        ingested = ingest(case, list(paths), ingest_options, progress)
        detected = detect(case, detect_options)
        outputs = write_outputs(case, out, export_format, tlp, formula_guard)
    detected.case = None  # closed here: RunResult.findings() opens it again
    return RunResult(out, target, ingested, detected, outputs)


def _guard_option(table_format: str, formula_guard: bool) -> dict[str, bool]:
    """The export option turning the CSV formula guard off, refused for other formats."""
    if formula_guard:
        return {}
    if "formula_guard" not in get_exporter(table_format).options:
        raise ValueError(f"{table_format} has no formula guard to turn off (only csv has)")
    return {"formula_guard": False}


def write_outputs(
    case: Case,
    out_dir: Path,
    table_format: str = "csv",
    tlp: str = DEFAULT_TLP,
    formula_guard: bool = True,
) -> dict[str, Path]:
    """Write the four findings tables, the network in every whole-network format (the
    STIX bundle marked ``tlp``) and the HTML report; CSV cells exact when not
    ``formula_guard``."""
    outputs: dict[str, Path] = {}
    guard = _guard_option(table_format, formula_guard)
    for table in TABLES:
        outputs[table] = out_dir / f"{table}.{table_format}"
        with phase(f"export {outputs[table].name}") as exporting:
            written = export(case, table_format, outputs[table], table, **guard)
            exporting.say(f"{written:,} rows")
    for name, exporter in exporters().items():
        if not exporter.tabular:
            outputs[name] = out_dir / f"network{exporter.suffix}"
            options = {"tlp": tlp} if "tlp" in exporter.options else {}
            with phase(f"export {outputs[name].name}") as exporting:
                exporting.say(f"{export(case, name, outputs[name], **options):,} items")
    with phase("report"):
        outputs["report"] = write_report(case, out_dir / "report.html").path
    return outputs
