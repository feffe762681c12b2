"""The shape of a JSON file told from its head: one array of records, or lines.

A ``lines`` format saved as one JSON array (a Jetstream capture pretty-printed with
``jq -s``, a scraper that writes arrays) is told apart here, once for every format: the
sniffers see the array's first records as lines (:func:`array_head_as_lines`), and the
pipeline reads the file with the ``json`` reader (:class:`cibscan.ingest.base.ArrayOfLines`).
"""

from __future__ import annotations

import io

import ijson
import orjson


def is_json_array(head: bytes) -> bool:
    """The head opens a JSON array (after a BOM and blanks): one document, not lines."""
    return head[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n").startswith("[")


def array_head_as_lines(head: bytes, limit: int = 64) -> bytes | None:
    """The first records of a JSON array head, one compact JSON value a line, for sniffing.

    The head is cut anywhere, so parsing stops at the first incomplete record; ``None`` when
    the head is not an array or not even one record fits in it.
    """
    if not is_json_array(head):
        return None
    found: list[bytes] = []
    try:
        body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
        for item in ijson.items(io.BytesIO(body), "item", use_float=True):
            found.append(orjson.dumps(item))
            if len(found) >= limit:
                break
    except (ijson.JSONError, UnicodeDecodeError, ValueError, orjson.JSONEncodeError):
        pass
    return b"\n".join(found) + b"\n" if found else None
