"""Detect: run the signals on a case and turn their pairs into scored findings."""
