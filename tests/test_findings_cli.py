"""The findings commands (run, detect, export, signals) end to end, and run-level invariants."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.detect.pipeline import detect
from cibscan.signals.base import signals
from cibscan.store import open_case
from tests import scenes
from tests.conftest import load, rows


def small_scene() -> list[scenes.Post]:
    """The organic background with the retweet ring and the copypasta personas."""
    return scenes.organic_background() + scenes.retweet_ring() + scenes.copypasta_personas()


def test_run_writes_the_case_and_the_four_tables(tmp_path: Path) -> None:
    data = scenes.write(tmp_path / "posts.jsonl", small_scene())
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", str(data), "--format", "generic_jsonl", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "top clusters" in result.output and "ring_" in result.output
    for name in ("case.duckdb", "accounts.csv", "edges.csv", "clusters.csv", "evidence.csv"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "accounts.csv", newline="", encoding="utf-8") as f:
        flagged = {r["account_id"] for r in csv.DictReader(f) if r["flagged"] == "true"}
    # the ring, the personas, and the account the ring exists to amplify (linked to it)
    ring = {f"ring_{i}" for i in range(6)} | {"ring_seed"}
    assert flagged == ring | {f"persona_{i}" for i in range(5)}
    # a second run into the same folder with --overwrite starts afresh: the same answer
    again = CliRunner().invoke(
        main,
        ["run", str(data), "--format", "generic_jsonl", "--out", str(out), "--json", "--overwrite"],
    )
    report = json.loads(again.output)
    assert report["detect"]["flagged"] == 12
    assert report["ingest"]["totals"]["duplicates"] == 0


def test_detect_and_export_from_the_command_line(tmp_path: Path) -> None:
    data = scenes.write(tmp_path / "posts.jsonl", small_scene())
    case = str(tmp_path / "case.duckdb")
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(data), "--case", case, "--format", "generic_jsonl"])
    result = runner.invoke(
        main,
        ["detect", "--case", case, "--signal", "co_repost", "--window", "30s", "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [s["name"] for s in report["signals"]] == ["co_repost"]
    assert report["signals"][0]["params"]["window"] == "30s"
    assert report["flagged"] == 7  # the ring and its seed
    target = tmp_path / "evidence.json"
    result = runner.invoke(
        main, ["export", "evidence", "--case", case, "--format", "json", "--out", str(target)]
    )
    assert result.exit_code == 0, result.output
    evidence = json.loads(target.read_text(encoding="utf-8"))
    assert evidence and all(e["signal"] == "co_repost" for e in evidence)
    assert {"post_a", "time_a", "text_a", "post_b", "gap_seconds"} <= set(evidence[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["detect", "--case", "missing.duckdb"], "no such case"),
        (["detect", "--case", "{case}", "--param", "window=5m"], "SIGNAL.NAME=VALUE"),
        (["detect", "--case", "{case}", "--param", "co_url.window=soon"], "not a duration"),
        (["detect", "--case", "{case}", "--signal", "telepathy"], "unknown signal"),
        (["detect", "--case", "{case}", "--tell", "telepathy"], "unknown tell(s): telepathy"),
        (["detect", "--case", "{case}", "--tell", "none", "--tell", "camouflage"], "'none'"),
        (["export", "accounts", "--case", "{case}"], "run 'cibscan detect' first"),
    ],
)
def test_command_errors_are_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    case = tmp_path / "case.duckdb"
    open_case(case).close()
    argv = [
        a.replace("{case}", str(case)).replace("missing", str(tmp_path / "missing")) for a in args
    ]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


def test_signals_lists_every_signal_with_parameters() -> None:
    result = CliRunner().invoke(main, ["signals", "--json"])
    listed = json.loads(result.output)
    assert [s["name"] for s in listed] == list(signals())
    assert all(s["params"] for s in listed)


def test_spreadsheet_formulas_in_post_text_are_neutralised_in_csv(tmp_path: Path) -> None:
    """Post text is attacker-written: a text starting with '=' must not run as a formula in
    the analyst's spreadsheet. CSV prefixes it with a quote; Parquet keeps it exact."""
    evil = '=HYPERLINK("http://evil.example/x","click") and the rest of a long enough text'
    posts = scenes.organic_background()
    for k in range(4):
        for m in range(3):
            posts.append(scenes.post(f"e{m}_{k}", f"evil_{m}", scenes.DAY + k * 9000 + m, evil))
    data = scenes.write(tmp_path / "posts.jsonl", posts)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", str(data), "--format", "generic_jsonl", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with open(out / "evidence.csv", newline="", encoding="utf-8") as f:
        texts = [r["text_a"] for r in csv.DictReader(f) if r["account_id_a"].startswith("evil")]
    assert texts and all(t.startswith("'=HYPERLINK") for t in texts)


#: account ids that run in a spreadsheet (ids are free text in Telegram and generic CSV)
HOSTILE_IDS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)"]


def _hostile_ids_copying(post_prefix: str) -> list[scenes.Post]:
    """The accounts of HOSTILE_IDS pasting one text four times, seconds apart (a tie)."""
    posts = scenes.organic_background()
    text = "the very same sentence pasted by three accounts at once"
    for k in range(4):
        for m, acct in enumerate(HOSTILE_IDS):
            pid = f"{post_prefix}{m}x{k}"
            posts.append(scenes.post(pid, acct, scenes.DAY + k * 9000 + m, text))
    return posts


def test_every_text_cell_of_every_csv_is_guarded_and_parquet_keeps_it(tmp_path: Path) -> None:
    """Three accounts with hostile ids copy one text: they are tied, so their ids reach
    accounts.csv, edges.csv and evidence.csv. Every one of them is guarded in every CSV,
    while their post ids (``-0x1``: a minus sign, no formula) stay exact; the Parquet
    export keeps the ids exact."""
    data = scenes.write(tmp_path / "posts.jsonl", _hostile_ids_copying("-"))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", str(data), "--format", "generic_jsonl", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    guarded = {"'" + i for i in HOSTILE_IDS}
    seen = set()
    for name in ("accounts.csv", "edges.csv", "evidence.csv", "clusters.csv"):
        with open(out / name, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for column, cell in row.items():
                    assert cell not in HOSTILE_IDS, (name, column, cell)
                    if cell in guarded:
                        seen.add((name, column))
                    if column == "post_a" and cell[:1] in "-'":  # "-0x1": no formula
                        assert cell.startswith("-"), cell
    assert {("accounts.csv", "account_id"), ("edges.csv", "account_id_a"),
            ("evidence.csv", "account_id_b")} <= seen  # fmt: skip
    parquet = tmp_path / "accounts.parquet"
    result = CliRunner().invoke(
        main,
        ["export", "accounts", "--case", str(out / "case.duckdb"), "--format", "parquet",
         "--out", str(parquet)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert set(HOSTILE_IDS) <= set(pq.read_table(parquet).column("account_id").to_pylist())


def test_findings_do_not_depend_on_input_order(tmp_path: Path) -> None:
    """The same posts in another order (and split across two files) give the same scores,
    flags and clusters."""
    posts = small_scene()
    shuffled = posts[:]
    random.Random(4).shuffle(shuffled)

    def findings(files: list[list[scenes.Post]], name: str) -> list[dict[str, object]]:
        folder = tmp_path / name
        folder.mkdir()
        paths = [scenes.write(folder / f"part{i}.jsonl", part) for i, part in enumerate(files)]
        with open_case(folder / "case.duckdb") as case:
            load(case, *paths, format="generic_jsonl")
            detect(case)
            return rows(
                case,
                "SELECT platform, account_id, round(score, 9) AS score, flagged, cluster_id, "
                "reasons FROM account_scores ORDER BY platform, account_id",
            )

    half = len(shuffled) // 2
    assert findings([posts], "a") == findings([shuffled[half:], shuffled[:half]], "b")


def test_findings_do_not_depend_on_account_labels(tmp_path: Path) -> None:
    """Renaming every account (so that their sort order changes) renames the findings and
    changes nothing else: the same accounts are flagged, grouped the same way, scored the
    same."""
    posts = small_scene()
    rename = {p["account_id"]: f"{len(p['account_id']):02d}_{p['account_id'][::-1]}" for p in posts}

    def findings(batch: list[scenes.Post], name: str) -> dict[str, tuple[float, bool, frozenset]]:
        folder = tmp_path / name
        folder.mkdir()
        path = scenes.write(folder / "posts.jsonl", batch)
        with open_case(folder / "case.duckdb") as case:
            load(case, path, format="generic_jsonl")
            detect(case)
            table = rows(case, "SELECT account_id, score, flagged, cluster_id FROM account_scores")
        members: dict[object, set[str]] = {}
        for r in table:
            members.setdefault(r["cluster_id"], set()).add(r["account_id"])
        return {
            r["account_id"]: (
                round(r["score"], 9),
                r["flagged"],
                frozenset(members[r["cluster_id"]]) if r["cluster_id"] else frozenset(),
            )
            for r in table
        }

    renamed = [dict(p, account_id=rename[p["account_id"]]) for p in posts]
    original = findings(posts, "a")
    back = {v: k for k, v in rename.items()}
    mapped = {
        back[a]: (score, flag, frozenset(back[m] for m in group))
        for a, (score, flag, group) in findings(renamed, "b").items()
    }
    assert mapped == original


def test_run_does_not_replace_a_case_without_being_told(tmp_path: Path) -> None:
    """A case in OUT holds labels and earlier runs: a second run into OUT is refused in one
    line; --overwrite starts afresh (same findings), --append adds the files (every post a
    duplicate), and the two flags exclude each other."""
    data = scenes.write(tmp_path / "posts.jsonl", small_scene())
    out = tmp_path / "out"
    base = ["run", str(data), "--format", "generic_jsonl", "--out", str(out), "--json"]
    first = CliRunner().invoke(main, base)
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(main, base)
    assert again.exit_code == 1 and "already holds a case: --overwrite" in again.output
    replaced = CliRunner().invoke(main, [*base, "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert (
        json.loads(replaced.output)["detect"]["flagged"]
        == json.loads(first.output)["detect"]["flagged"]
    )
    appended = CliRunner().invoke(main, [*base, "--append"])
    assert appended.exit_code == 0, appended.output
    with open_case(out / "case.duckdb", create=False) as case:
        runs = rows(case, "SELECT count(*) AS n, sum(n_duplicates) AS d FROM ingest_runs")[0]
    assert runs["n"] == 2 and runs["d"] > 0  # the fresh run and the appended one
    both = CliRunner().invoke(main, [*base, "--overwrite", "--append"])
    assert both.exit_code == 1 and "exclude each other" in both.output


def test_run_on_a_missing_or_unreadable_input_is_not_a_success(tmp_path: Path) -> None:
    """A missing input is refused before any work (usage error, status 2, no case made);
    so is one whose format is not recognised (user error, status 1): the findings would
    miss that file, and a run that finishes is read as a success."""
    out = tmp_path / "out"
    missing = CliRunner().invoke(main, ["run", str(tmp_path / "missing.csv"), "--out", str(out)])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    assert not (out / "case.duckdb").exists()
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01\x02" * 100)
    data = scenes.write(tmp_path / "posts.jsonl", small_scene())
    mixed = CliRunner().invoke(main, ["run", str(data), str(garbage), "--out", str(out)])
    assert mixed.exit_code == 1 and "garbage.bin: format not recognised" in mixed.output
    assert not out.exists()  # nothing was done


def test_no_formula_guard_writes_csv_cells_exactly(tmp_path: Path) -> None:
    """``--no-formula-guard`` (run and export) is for a CSV reader, not a spreadsheet: the
    hostile ids come out exactly as stored. Asked of a format without a guard it is refused
    before any work."""
    data = scenes.write(tmp_path / "posts.jsonl", _hostile_ids_copying("p"))
    out = tmp_path / "out"
    args = ["run", str(data), "--format", "generic_jsonl", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--no-formula-guard"])
    assert result.exit_code == 0, result.output
    with open(out / "accounts.csv", newline="", encoding="utf-8") as f:
        ids = {row["account_id"] for row in csv.DictReader(f)}
    assert set(HOSTILE_IDS) <= ids
    case = str(out / "case.duckdb")
    exported = tmp_path / "guarded.csv"
    result = CliRunner().invoke(
        main, ["export", "accounts", "--case", case, "--format", "csv", "--out", str(exported)]
    )
    assert result.exit_code == 0 and "'=HYPERLINK" in exported.read_text(encoding="utf-8")
    refused = CliRunner().invoke(
        main, [*args[:-2], "--out", str(tmp_path / "o2"), "--export-format", "parquet",
               "--no-formula-guard"],
    )  # fmt: skip
    assert refused.exit_code == 1 and "no formula guard" in refused.output
    assert not (tmp_path / "o2").exists()
