"""The command line: thin over the library, documented, and honest about failures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.detect.base import DetectOptions
from tests.conftest import FORMATS, ROOT

COMMANDS = sorted(main.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"'cibscan {name} --help' shows no example"
    command = main.commands[name]  # type: ignore[attr-defined]
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"option {param.opts} of {name} has no help text"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_cli_reference(name: str) -> None:
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert re.search(rf"^## `cibscan {name}`", reference, re.M), f"docs/cli.md lacks {name}"


def test_ingest_then_info_as_json(tmp_path: Path) -> None:
    case = str(tmp_path / "c.duckdb")
    runner = CliRunner()
    io = FORMATS / "03_twitter_io_archive"
    result = runner.invoke(main, ["ingest", str(io), "--case", case, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["totals"] == {
        "read": 4, "stored": 4, "stored_posts": 2, "stored_accounts": 2, "duplicates": 0,
        "quarantined": 0,
    }  # fmt: skip
    result = runner.invoke(main, ["info", "--case", case, "--json"])
    info = json.loads(result.output)
    assert (info["posts"], info["accounts"]) == (2, 4)


def test_unreadable_file_exits_non_zero_with_one_clear_line(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01\x02" * 100)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cibscan.cli",
            "ingest",
            str(garbage),
            "--case",
            str(tmp_path / "c.duckdb"),
        ],
        capture_output=True,
        text=True,
    )
    # refused before any work: no case is made
    assert proc.returncode == 1
    assert "cannot read the input, nothing was done" in proc.stderr
    assert "garbage.bin: format not recognised" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "c.duckdb").exists()


def test_info_on_missing_case_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["info", "--case", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "no such case" in result.output


def test_formats_lists_every_adapter_with_fields() -> None:
    result = CliRunner().invoke(main, ["formats", "--json"])
    listed = {f["name"]: f for f in json.loads(result.output)}
    assert "twitter_io_tweets" in listed
    assert all(f["fills"] for f in listed.values())


def test_hostile_file_names_are_not_rich_markup(tmp_path: Path) -> None:
    src = FORMATS / "03_twitter_io_archive" / "twitter-frequenter_ira_users_sample.csv"
    hostile = tmp_path / "[bold]x[red].csv"
    hostile.write_bytes(src.read_bytes())
    result = CliRunner().invoke(main, ["ingest", str(hostile), "--case", str(tmp_path / "c.db")])
    assert result.exit_code == 0
    assert "[bold]x" in result.output.replace("\n", "").replace("│", "").replace(" ", "")


def test_every_format_is_documented() -> None:
    from cibscan.ingest.base import adapters

    reference = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    for name in adapters():
        assert f"`{name}`" in reference, f"docs/formats.md does not describe {name}"


def test_demo_path_ingest_all_samples_then_info(tmp_path: Path) -> None:
    """What `make demo` runs: every sample folder, then the summary, in text and JSON."""
    case = str(tmp_path / "demo.duckdb")
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(FORMATS), "--case", case])
    assert result.exit_code == 0, result.output
    assert "read" in result.output and "quarantined" in result.output
    text = runner.invoke(main, ["info", "--case", case])
    assert text.exit_code == 0, text.output
    info = json.loads(runner.invoke(main, ["info", "--case", case, "--json"]).output)
    assert {p["platform"] for p in info["by_platform"]} >= {
        "twitter",
        "reddit",
        "telegram",
        "bluesky",
        "mastodon",
        "youtube",
        "tiktok",
        "facebook",
    }
    assert info["first_post"] >= "2014" and info["last_post"] < "2100"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["detect", "--alpha", "nan"], "alpha must be a finite number"),
        (["detect", "--alpha", "0"], "alpha must be in (0, 1)"),
        (["detect", "--alpha", "-1"], "alpha must be in (0, 1)"),
        (["detect", "--alpha", "1.5"], "alpha must be in (0, 1)"),
        (["detect", "--corroborated", "nan"], "corroborated must be a finite number"),
        (["detect", "--resolution", "0"], "resolution must be in (0, inf)"),
        (["detect", "--param", "near_duplicate.threshold=nan"], "threshold: expected a finite"),
        (["detect", "--param", "co_post.min_chars=inf"], "min_chars: expected int"),
        (["detect", "--memory-limit", "50MB"], "memory_limit 50MB is below the floor of 128MB"),
        (["detect", "--memory-limit", "lots"], "memory limit must look like 512MB or 2GB"),
        (["ingest", "X", "--memory-limit", "1KB"], "below the floor of 128MB"),
        (["match", "--library", "l.duckdb", "--threshold", "nan"], "threshold"),
    ],
)
def test_bad_parameters_are_refused_in_one_line(
    tmp_path: Path, args: list[str], named: str
) -> None:
    """A NaN, a zero or out-of-range alpha, a memory limit under the floor: refused before
    any work with one line naming the parameter and its range, never a traceback."""
    (tmp_path / "x.jsonl").write_text("{}\n")
    args = [str(tmp_path / "x.jsonl") if a == "X" else a for a in args]  # an existing input
    result = CliRunner().invoke(main, [*args, "--case", str(tmp_path / "c.duckdb")])
    assert result.exit_code in (1, 2), result.output
    assert named in result.output, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an error raised
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "c.duckdb").exists()  # refused before any work


def test_a_file_whose_every_record_is_quarantined_makes_a_partial_ingest(tmp_path: Path) -> None:
    """Two IO-archive files: one good, one whose three rows all have times that are not
    times. The good one is stored, the other is quarantined whole: the command exits 3
    (partial), naming that file in one line."""
    from tests.test_ingest_core import _csv, _row

    good = _csv(tmp_path, _row("1"), _row("2"), name="good.csv")
    bad = _csv(tmp_path, *(_row(str(i), when="soon") for i in range(3, 6)), name="bad.csv")
    case = str(tmp_path / "c.duckdb")
    result = CliRunner().invoke(main, ["ingest", str(good), str(bad), "--case", case])
    assert result.exit_code == 3
    partial = [line for line in result.output.splitlines() if line.startswith("partial:")]
    assert partial == [f"partial: {bad}: all 3 records quarantined"]


def test_spark_options_without_the_spark_engine_are_refused() -> None:
    """``--spark-conf`` on a DuckDB run would be ignored silently: refused instead."""
    result = CliRunner().invoke(
        main,
        ["detect", "--case", "unused.duckdb", "--spark-conf", "spark.driver.memory=2g"],
    )
    assert result.exit_code == 2
    assert "need --engine spark" in result.output
    with pytest.raises(ValueError, match="need engine='spark'"):
        DetectOptions(posts_parquet="posts/")
