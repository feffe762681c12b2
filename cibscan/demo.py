"""``cibscan demo``: simulate, run, evaluate, then the whack-a-mole loop on the regrowth.

The README's main job. The simulated case has two periods (``simulate(..., regrowth=True)``):
period 1 goes through the whole pipeline and is scored against its truth; then
:func:`cibscan.whackamole.regrowth_loop` confirms the campaign, fingerprints it, and matches
period 2 (the network back after a takedown) against the library.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from cibscan.evaluate import Evaluation, evaluate
from cibscan.simulate import simulate
from cibscan.store import open_case
from cibscan.whackamole import RegrowthResult, regrowth_loop
from cibscan.workflow import RunResult, run_pipeline


@dataclass
class DemoResult:
    """What ``cibscan demo`` simulated, found and measured."""

    run: RunResult
    truth_path: Path
    evaluation: Evaluation
    regrowth: RegrowthResult
    seconds: float


def _platform_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name != "truth.csv")


def run_demo(
    out_dir: str | Path, *, scenario: str = "spamouflage", seed: int = 1, accounts: int = 4000
) -> DemoResult:
    """Simulate a scenario with its regrowth, run the whole pipeline on period 1, evaluate it
    against its truth, and play the whack-a-mole loop on period 2.

    Writes ``out_dir/data/period1`` and ``data/period2`` (the simulated platform files and
    their ``truth.csv``), the case and every output of :func:`run_pipeline` for period 1 in
    ``out_dir``, ``out_dir/evaluation.json``, and what :func:`regrowth_loop` writes
    (``library.duckdb``, the network as STIX, ``period2/`` with ``matches.csv`` and
    ``matching.json``).
    """
    clock = time.perf_counter()
    out = Path(out_dir)
    data = out / "data"
    simulate(scenario, data, seed, regrowth=True, accounts=accounts)
    period1, period2 = data / "period1", data / "period2"
    truth = period1 / "truth.csv"
    result = run_pipeline(_platform_files(period1), out, overwrite=True)  # the demo's own
    with open_case(result.case_path, create=False, read_only=True) as case:
        evaluation = evaluate(truth, engine=case.engine)
    (out / "evaluation.json").write_text(
        json.dumps(evaluation.as_dict(), indent=2) + "\n", encoding="utf-8"
    )
    result.outputs["evaluation"] = out / "evaluation.json"
    regrowth = regrowth_loop(
        result.case_path, truth, _platform_files(period2), period2 / "truth.csv", out
    )
    return DemoResult(result, truth, evaluation, regrowth, time.perf_counter() - clock)
