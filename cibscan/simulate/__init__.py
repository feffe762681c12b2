"""Seeded simulators of CIB cases with ground truth, written in real platform formats.

``simulate("spamouflage", out_dir, seed=1, accounts=4000)`` generates a case and writes
its files plus ``truth.csv``; ``cibscan simulate`` is a thin wrapper over it. The contract a
scenario follows is in :mod:`cibscan.simulate.base`; docs/simulator.md documents the scenario.
With ``regrowth=True`` it writes two periods of one case, before and after a takedown
(:mod:`cibscan.simulate.regrowth`), to measure matching against known networks.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cibscan.simulate import regrowth as _regrowth
from cibscan.simulate.base import Scenario, Simulation
from cibscan.simulate.params import RegrowthParams
from cibscan.simulate.spamouflage import (
    HardSpamouflageParams,
    Spamouflage,
    SpamouflageHard,
    SpamouflageParams,
)
from cibscan.simulate.writers import write

log = logging.getLogger(__name__)

#: scenarios by name
SCENARIOS: dict[str, Scenario] = {s.name: s for s in (Spamouflage(), SpamouflageHard())}


@dataclass
class SimulateReport:
    """What ``simulate`` wrote: records per file and accounts per truth label."""

    out_dir: Path
    files: dict[str, int] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    roles: dict[str, int] = field(default_factory=dict)
    #: with ``regrowth``: one report per period (``period1``, ``period2``); ``files`` then
    #: names each file under its period folder and ``labels``/``roles`` are period 2's
    periods: dict[str, SimulateReport] = field(default_factory=dict)


def generate(scenario: str, seed: int = 1, **overrides: Any) -> Simulation:
    """Generate ``scenario`` in memory with its default parameters but ``overrides``."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    s = SCENARIOS[scenario]
    params = dataclasses.replace(s.params_type(), **overrides)
    return s.generate(params, seed)


def simulate(
    scenario: str,
    out_dir: str | Path,
    seed: int = 1,
    regrowth: bool = False,
    regrowth_params: RegrowthParams | None = None,
    **overrides: Any,
) -> SimulateReport:
    """Generate ``scenario`` and write its files and truth.csv into ``out_dir``.

    With ``regrowth`` write ``out_dir/period1`` (the scenario, ``overrides`` applied) and
    ``out_dir/period2`` (the network regrown after a takedown, shaped by ``regrowth_params``),
    each a whole case with its own truth.csv carrying ``regrew_from`` and ``reappeared``.
    """
    sim = generate(scenario, seed, **overrides)
    if not regrowth:
        return _report(Path(out_dir), write(sim, out_dir), sim)
    world = _regrowth.build(sim, seed, regrowth_params or RegrowthParams())
    written = _regrowth.write_periods(world, out_dir)
    periods = {
        name: _report(Path(out_dir) / name, written[name], s)
        for name, s in (("period1", world.period1), ("period2", world.period2))
    }
    last = periods["period2"]
    return SimulateReport(
        out_dir=Path(out_dir),
        files={f"{name}/{f}": n for name, r in periods.items() for f, n in r.files.items()},
        labels=last.labels,
        roles=last.roles,
        periods=periods,
    )


def _report(out_dir: Path, files: dict[str, int], sim: Simulation) -> SimulateReport:
    return SimulateReport(
        out_dir=out_dir,
        files=files,
        labels=dict(sorted(Counter(a.label for a in sim.accounts).items())),
        roles=dict(sorted(Counter(a.role for a in sim.accounts).items())),
    )


__all__ = [
    "SCENARIOS",
    "HardSpamouflageParams",
    "RegrowthParams",
    "SimulateReport",
    "Simulation",
    "SpamouflageParams",
    "generate",
    "simulate",
    "write",
]
