"""The STIX validator as a test helper: every bundle cibscan writes must pass stix2-validator
(a dev dependency) with no error and no warning, every best-practice check enabled."""

from __future__ import annotations

from pathlib import Path

from stix2validator import ValidationOptions, validate_file


def validator_findings(path: Path) -> list[str]:
    """Every error and warning stix2-validator reports on the bundle at ``path``."""
    result = validate_file(str(path), ValidationOptions(version="2.1"))
    found = [f"error: {e}" for o in result.object_results for e in o.errors]
    found += [f"warning: {w}" for o in result.object_results for w in o.warnings]
    if not result.is_valid and not found:
        found.append("invalid bundle")
    return found
