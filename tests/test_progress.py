"""The phases of long work reach a listener, and the CLI shows them live.

A 2M-post ``cibscan run`` showed a bar that reached 100% after 2 s and then nothing for
59 s; ``detect`` alone was silent for 38 s. The library now says what it is doing
(:mod:`cibscan.progress`) and the CLI draws it (:mod:`cibscan.cli.display`).
"""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from cibscan.cli import main
from cibscan.cli.display import live_phases
from cibscan.detect.pipeline import detect
from cibscan.ingest.pipeline import IngestOptions, ingest
from cibscan.progress import listening, phase
from cibscan.store import open_case
from tests import scenes


class Recorder:
    """A listener that writes down what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.names: dict[int, str] = {}
        self.units: dict[str, int] = {}

    def started(self, key: int, name: str, total: int | None) -> None:
        self.names[key] = name
        self.events.append(("start", name))

    def advanced(self, key: int, units: int) -> None:
        name = self.names[key]
        self.units[name] = self.units.get(name, 0) + units

    def finished(self, key: int, name: str, seconds: float, note: str) -> None:
        assert seconds >= 0
        self.events.append(("end", f"{name}: {note}" if note else name))


def _scene(tmp_path: Path) -> Path:
    posts = scenes.organic_background(seed=3, people=30, days=6) + scenes.retweet_ring()
    return scenes.write(tmp_path / "posts.jsonl", posts)


def test_ingest_and_detect_tell_every_phase_in_order(tmp_path: Path) -> None:
    """Reading a file reports its bytes (all of them), then staging and merging, then the
    text index of the posts stored (once for all the files); detect
    reports its inputs, each signal with its pairs, the pair tests, the network, each tell
    and the combination rule, each phase started before it ends and none left open."""
    path = _scene(tmp_path)
    recorder = Recorder()
    with open_case(None) as case, listening(recorder):
        ingest(case, [path], IngestOptions(format="generic_jsonl"))
        report = detect(case)
    starts = [name for kind, name in recorder.events if kind == "start"]
    ends = [name for kind, name in recorder.events if kind == "end"]
    assert starts[:5] == ["read posts.jsonl", "stage posts.jsonl", "merge posts.jsonl",
                          "text index", "detect inputs"]  # fmt: skip
    assert recorder.units == {"read posts.jsonl": path.stat().st_size}
    signal_phases = [n for n in starts if n.startswith("signal ")]
    assert signal_phases == [f"signal {run.name}" for run in report.signals]
    co_repost = next(run for run in report.signals if run.name == "co_repost")
    assert f"signal co_repost: {co_repost.pairs:,} pairs" in ends
    assert starts.index("pair tests") > starts.index(signal_phases[-1])
    assert starts.index("network") < min(i for i, n in enumerate(starts) if n.startswith("tell "))
    assert f"combination rule: {report.flagged:,} flagged" in ends
    assert len(starts) == len(ends)


def test_a_phase_outside_any_listener_costs_nothing_visible() -> None:
    """Without a listener (a notebook, a library user) a phase only times its body."""
    with phase("quiet work") as quiet:
        quiet.advance(10)
        quiet.say("done")
    assert quiet.note == "done"


def test_the_live_display_draws_one_line_a_phase(tmp_path: Path) -> None:
    """The CLI's display, drawn on a plain console: one line a phase with a tick, its
    outcome and its time."""
    path = _scene(tmp_path)
    buffer = io.StringIO()
    with open_case(None) as case, live_phases(Console(file=buffer, width=100)):
        ingest(case, [path], IngestOptions(format="generic_jsonl"))
        detect(case)
    lines = buffer.getvalue().splitlines()
    co_repost = next(line for line in lines if "signal co_repost" in line)
    assert co_repost.startswith("✓") and "pairs" in co_repost and co_repost.endswith(" s")
    assert any(line.startswith("✓ merge posts.jsonl") and "stored" in line for line in lines)


def test_quiet_and_log_file(tmp_path: Path) -> None:
    """``--log-file`` keeps every phase with its time, at INFO even without ``-v``;
    ``-q`` leaves standard error to errors."""
    path = _scene(tmp_path)
    log = tmp_path / "run.log"
    case = str(tmp_path / "c.duckdb")
    args = ["-q", "--log-file", str(log), "ingest", str(path), "--case", case]
    result = CliRunner().invoke(main, [*args, "--format", "generic_jsonl"])
    assert result.exit_code == 0, result.output
    text = log.read_text(encoding="utf-8")
    assert "read posts.jsonl:" in text and "merge posts.jsonl:" in text
    assert "INFO" not in result.output
