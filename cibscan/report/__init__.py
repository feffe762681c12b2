"""Report: the self-contained HTML report of a case's findings."""
