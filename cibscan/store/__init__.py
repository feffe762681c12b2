"""The case file: one DuckDB database per investigation, with a versioned schema."""

from cibscan.store.case import Case, CaseError, open_case

__all__ = ["Case", "CaseError", "open_case"]
