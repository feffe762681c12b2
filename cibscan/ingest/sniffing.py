"""Small helpers shared by adapters' ``sniff`` methods (content-based format detection)."""

from __future__ import annotations

from cibscan.ingest.tabular import csv_header


def text_head(head: bytes, n: int = 65_536) -> str:
    """The head as text, without a BOM (invalid bytes replaced: this is only for sniffing)."""
    return head[:n].decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()


def first_line(head: bytes) -> str:
    """The first non-blank line of the head."""
    for line in text_head(head).splitlines():
        if line.strip():
            return line
    return ""


def header_columns(head: bytes, delimiter: str = ",") -> set[str]:
    """CSV header names (lower-cased) if the head looks like a CSV file, else empty."""
    line = first_line(head)
    if not line or line.startswith(("{", "[")):
        return set()
    return {c.lower() for c in csv_header(line.encode("utf-8"), delimiter)}


def csv_score(
    head: bytes,
    required: set[str],
    distinctive: frozenset[str] | set[str] = frozenset(),
    delimiter: str = ",",
) -> float:
    """Confidence that the CSV header holds ``required`` columns (+ bonus for distinctive)."""
    cols = header_columns(head, delimiter)
    if not cols or not required <= cols:
        return 0.0
    bonus = len(distinctive & cols) / max(len(distinctive), 1) if distinctive else 1.0
    return 0.6 + 0.39 * bonus


def json_keys_score(head: bytes, keys: tuple[str, ...], starts: str = "{") -> float:
    """Share of ``keys`` (as quoted JSON keys) present in a head that starts with ``starts``."""
    text = text_head(head)
    if not text.startswith(starts):
        return 0.0
    found = sum(1 for k in keys if f'"{k}"' in text)
    return found / len(keys)
