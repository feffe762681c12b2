"""Account and cluster pages prepared ahead, so that serving one costs almost no Python.

With the browse index a page is one lookup, but the lookup (DuckDB reading a vector of
nested rows to return one) and the rendering (Jinja, escaping every attacker-written
string) still cost 7-10 ms of one core per page, most of it under the GIL: fifty
analysts' clients each opening another page queue behind one another (p95 0.5-0.8 s on a
1M-post case). Once the index is built, the workbench renders every account's page (its
first page of posts) and every cluster's page once, on a thread of its own, into a flat
file: each page compressed, found by its offset, kept in memory only as that offset. A
request then reads a few kilobytes, decompresses them and fills the page's slots (verdicts
and the label form, :mod:`cibscan.serve.render`), a fraction of a millisecond. The API's
answer for the same account or cluster is stored beside it as JSON (the library's dict as
:class:`~cibscan.serve.base.FastJSON` writes it), its verdicts set when it is read.

The file (``pages.bin``) lives in the index's temporary folder and is written once per run;
the offsets are only in memory, so a store cut short is never used. Any other page (a later
page of posts, the evidence of one tie) is rendered at the request from the index.
"""

from __future__ import annotations

import logging
import os
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from markupsafe import Markup

from cibscan.browse.index import BrowseIndex
from cibscan.browse.index_reads import all_account_pages, all_cluster_pages
from cibscan.engine import Engine
from cibscan.serve.base import FastJSON
from cibscan.serve.render import (
    PAGE_ROWS,
    RecordingSlots,
    Slots,
    account_main,
    cluster_main,
    fill,
    prepare,
)

log = logging.getLogger(__name__)

#: zlib level: 1 makes the build about as fast as not compressing, and pages a quarter
LEVEL = 1

Key = tuple[str, str, str]


def account_key(platform: str, account_id: str) -> Key:
    return ("account", platform, account_id)


def cluster_key(cluster_id: int) -> Key:
    return ("cluster", str(cluster_id), "")


@dataclass
class PageStore:
    """Prepared pages in ``folder``: :meth:`page` gives one with its slots filled."""

    folder: Path
    fingerprint: str
    offsets: dict[Key, tuple[int, int]] = field(repr=False)
    _fd: int = field(default=-1, repr=False)

    def __post_init__(self) -> None:
        self._fd = os.open(self.folder / "pages.bin", os.O_RDONLY)

    def __len__(self) -> int:
        """The number of pages (each also has its JSON)."""
        return sum(1 for kind, _, _ in self.offsets if not kind.endswith(".json"))

    def _read(self, key: Key) -> Any:
        found = self.offsets.get(key)
        if found is None:
            return None
        offset, length = found
        return orjson.loads(zlib.decompress(os.pread(self._fd, length, offset)))

    def page(self, key: Key, slots: Slots) -> Markup | None:
        """The page under ``key`` with ``slots`` answered now; None when none was prepared
        (no such account or cluster, or the store does not hold it)."""
        stored = self._read(key)
        return None if stored is None else fill(stored[0], stored[1], slots)

    def answer(self, key: Key, verdicts: Mapping[tuple[str, str], str]) -> bytes | None:
        """The API's JSON of the account or cluster ``key`` (the library's answer as
        :class:`~cibscan.serve.base.FastJSON` writes it) with the current ``verdicts``;
        None when none was prepared."""
        detail = self._read(_json_key(key))
        if detail is None:
            return None
        profile = detail.get("profile")
        if profile is not None and "verdict" in profile:
            profile["verdict"] = verdicts.get((profile["platform"], profile["account_id"]))
        for member in detail.get("members", ()):
            member["verdict"] = verdicts.get((member["platform"], member["account_id"]))
        return orjson.dumps(detail, option=orjson.OPT_NON_STR_KEYS)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _json_key(key: Key) -> Key:
    return (f"{key[0]}.json", key[1], key[2])


def _pages(engine: Engine, index: BrowseIndex) -> Iterator[tuple[Key, bytes]]:
    """Every record the store holds: each page rendered with recording slots (its parts
    and slot calls), and its library answer as JSON (verdicts filled in when read)."""

    def records(
        key: Key, detail: dict[str, Any], markup: Markup, slots: RecordingSlots
    ) -> Iterator[tuple[Key, bytes]]:
        yield key, orjson.dumps(prepare(str(markup), slots))
        yield _json_key(key), FastJSON(None).render(detail)

    for detail in all_cluster_pages(engine, index):
        slots = RecordingSlots()
        key = cluster_key(int(detail["cluster"]["cluster_id"]))
        yield from records(key, detail, cluster_main(detail, slots), slots)
    for detail in all_account_pages(engine, index, posts_limit=PAGE_ROWS):
        slots = RecordingSlots()
        profile = detail["profile"]
        key = account_key(str(profile["platform"]), str(profile["account_id"]))
        yield from records(key, detail, account_main(detail, slots), slots)


def build_store(engine: Engine, index: BrowseIndex, folder: Path) -> PageStore:
    """Render every cluster's and account's page of the case whose browse ``index`` is
    attached to ``engine`` into ``folder`` (replacing a store there)."""
    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    offsets: dict[Key, tuple[int, int]] = {}
    position = 0
    with open(folder / "pages.bin", "wb") as out:
        for key, record in _pages(engine, index):
            body = zlib.compress(record, LEVEL)
            out.write(body)
            offsets[key] = (position, len(body))
            position += len(body)
    log.info(
        "%d pages prepared in %.1f s (%.0f MB): %s",
        len(offsets),
        time.perf_counter() - start,
        position / 1e6,
        folder,
    )
    return PageStore(folder, index.fingerprint, offsets)
