"""cibscan: uncover coordinated inauthentic behaviour (CIB) on social media.

The package reads in pipeline order: ``ingest`` (one adapter a format) -> ``store`` (the DuckDB
case file) -> ``signals`` -> ``network`` -> ``detect``/``score`` -> ``export``/``report``.
Everything heavy runs inside the engine (``cibscan.engine``); Python only orchestrates.

The Python API is the library the command line calls (docs/python.md)::

    import cibscan

    with cibscan.open_case("case.duckdb") as case:
        cibscan.ingest(case, ["tweets.csv"])
        findings = cibscan.detect(case).findings
        findings.accounts(to="pandas", flagged=True)
        cibscan.export(case, "stix", "bundle.stix.json", tlp="green")

``cibscan.run(paths, out_dir)`` does it all at once (``cibscan run``). The names ``detect``,
``ingest`` and ``export`` are these functions, not the subpackages of the same names (import
those as ``from cibscan.detect import base``).
"""

__version__ = "0.2.0"

# After __version__: the modules below read it while they load.
from cibscan.detect.base import DetectOptions
from cibscan.detect.pipeline import DetectReport, detect
from cibscan.export.base import export
from cibscan.findings import Findings
from cibscan.ingest.pipeline import IngestOptions, IngestReport, ingest
from cibscan.store import Case, CaseError, open_case
from cibscan.workflow import RunResult
from cibscan.workflow import run_pipeline as run

__all__ = [
    "Case",
    "CaseError",
    "DetectOptions",
    "DetectReport",
    "Findings",
    "IngestOptions",
    "IngestReport",
    "RunResult",
    "__version__",
    "detect",
    "export",
    "ingest",
    "open_case",
    "run",
]
