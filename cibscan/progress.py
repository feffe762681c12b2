"""Phases of long work, told to whoever displays them.

The library says what it is doing (``with phase("signal co_repost"):``); a front end listens
(:func:`listening`): the CLI's live display, a notebook, the workbench. A detect run of a
minute used to show nothing after the ingest bar reached 100%. With no listener a phase
costs a clock reading and a log line at INFO (``-v`` shows them, ``--log-file`` keeps
them).

Listeners are held in a context variable rather than passed down every call: the phases
sit deep inside ingest, detect, match and the exports, and a parameter threaded through
each would touch every signature on the way for a concern none of them has.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


class Listener(Protocol):
    """What a display implements; every call comes from the thread doing the work."""

    def started(self, key: int, name: str, total: int | None) -> None:
        """A phase began (``total``: its units of work, when known, for a bar)."""

    def advanced(self, key: int, units: int) -> None:
        """``units`` more of the phase's work are done."""

    def finished(self, key: int, name: str, seconds: float, note: str) -> None:
        """The phase ended after ``seconds`` (``note``: its outcome in a few words)."""


_LISTENER: ContextVar[Listener | None] = ContextVar("cibscan_progress", default=None)
_KEYS = itertools.count(1)


@dataclass
class Phase:
    """A running phase: the work inside reports its progress and its outcome here."""

    key: int
    name: str
    listener: Listener | None
    note: str = ""

    def advance(self, units: int) -> None:
        if self.listener is not None:
            self.listener.advanced(self.key, units)

    def say(self, note: str) -> None:
        """Set the few words shown beside the phase when it ends (``1,204 pairs``)."""
        self.note = note


@contextmanager
def phase(name: str, total: int | None = None) -> Iterator[Phase]:
    """Run the body as the phase ``name``, timed and told to the listener, if any."""
    listener = _LISTENER.get()
    current = Phase(next(_KEYS), name, listener)
    if listener is not None:
        listener.started(current.key, name, total)
    clock = time.perf_counter()
    try:
        yield current
    finally:
        seconds = time.perf_counter() - clock
        if listener is not None:
            listener.finished(current.key, name, seconds, current.note)
        log.info("%s: %.2fs%s", name, seconds, f" ({current.note})" if current.note else "")


@contextmanager
def listening(listener: Listener | None) -> Iterator[None]:
    """Tell the phases run inside the block to ``listener`` (None: to no one)."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)
