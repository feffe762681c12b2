"""The CLI's live display of the library's phases (:mod:`cibscan.progress`).

One line a phase, kept when it ends: a spinner while it runs, then a tick, its name, its
outcome in a few words and its time; a bar with bytes for the files being read. It is on
when standard error is a terminal (not when piped or in CI) and off with ``-q``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
)
from rich.text import Text

from cibscan.progress import listening

#: set by the command group: ``-q`` turns the display off
QUIET = {"on": False}


class _WhileSized(ProgressColumn):
    """A column shown only for a running phase whose size is known (a file being read)."""

    def __init__(self, inner: ProgressColumn) -> None:
        super().__init__()
        self._inner = inner

    def render(self, task: Task) -> RenderableType:
        if task.total is None or task.finished:
            return Text("")
        return self._inner.render(task)


class _Elapsed(ProgressColumn):
    """The phase's time as people read it: ``0.4 s``, ``12.0 s``, ``3 min 05 s``."""

    def render(self, task: Task) -> RenderableType:
        seconds = task.fields.get("seconds", task.elapsed)
        if seconds is None:
            return Text("")
        if seconds < 60:
            return Text(f"{seconds:5.1f} s", style="progress.elapsed")
        minutes, rest = divmod(int(seconds), 60)
        return Text(f"{minutes} min {rest:02d} s", style="progress.elapsed")


class LiveDisplay:
    """A :class:`cibscan.progress.Listener` drawing the phases with rich."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description}"),
            _WhileSized(BarColumn(bar_width=24)),
            _WhileSized(DownloadColumn()),
            TextColumn("[dim]{task.fields[note]}"),
            _Elapsed(),
            console=console,
        )
        self._tasks: dict[int, TaskID] = {}

    def started(self, key: int, name: str, total: int | None) -> None:
        # one unit more than the bytes: a phase ends when the library says so, not when
        # its last byte is read (the decoding and loading go on after it)
        sized = None if total is None else total + 1
        self._tasks[key] = self.progress.add_task(name, total=sized, note="")

    def advanced(self, key: int, units: int) -> None:
        self.progress.advance(self._tasks[key], units)

    def finished(self, key: int, name: str, seconds: float, note: str) -> None:
        task = self._tasks.pop(key)
        total = self.progress.tasks[task].total or 1
        self.progress.update(task, total=total, completed=total, note=note, seconds=seconds)


def interactive() -> bool:
    """Live output only on a terminal, never when piped or in CI, and not with ``-q``."""
    return sys.stderr.isatty() and not os.environ.get("CI") and not QUIET["on"]


@contextmanager
def live_phases(console: Console | None = None) -> Iterator[None]:
    """Show the phases of the work run inside the block (nothing when not interactive,
    unless a console is given, as the tests do)."""
    if console is None and not interactive():
        yield
        return
    display = LiveDisplay(console or Console(stderr=True))
    with display.progress, listening(display):
        yield
