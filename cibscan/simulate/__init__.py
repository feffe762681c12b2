"""Seeded simulators of CIB cases with ground truth, written in real platform formats.

``simulate("spamouflage", out_dir, seed=1, accounts=4000)`` generates a case and writes
its files plus ``truth.csv``; ``cibscan simulate`` is a thin wrapper over it. The contract a
scenario follows is in :mod:`cibscan.simulate.base`; docs/simulator.md documents the scenario.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cibscan.simulate.base import Scenario, Simulation
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


def generate(scenario: str, seed: int = 1, **overrides: Any) -> Simulation:
    """Generate ``scenario`` in memory with its default parameters but ``overrides``."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    s = SCENARIOS[scenario]
    params = dataclasses.replace(s.params_type(), **overrides)
    return s.generate(params, seed)


def simulate(scenario: str, out_dir: str | Path, seed: int = 1, **overrides: Any) -> SimulateReport:
    """Generate ``scenario`` and write its files and truth.csv into ``out_dir``."""
    sim = generate(scenario, seed, **overrides)
    files = write(sim, out_dir)
    return SimulateReport(
        out_dir=Path(out_dir),
        files=files,
        labels=dict(sorted(Counter(a.label for a in sim.accounts).items())),
        roles=dict(sorted(Counter(a.role for a in sim.accounts).items())),
    )


__all__ = [
    "SCENARIOS",
    "HardSpamouflageParams",
    "SimulateReport",
    "Simulation",
    "SpamouflageParams",
    "generate",
    "simulate",
    "write",
]
