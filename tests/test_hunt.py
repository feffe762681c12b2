"""Hunting indicators in a case: tiny hand-built cases with known answers, the Spamouflage X
handles among 1,000 organic accounts, platform agreement, handle history, formulas, the STIX
round trip through cibscan's own exporter, and the CLI."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.detect.pipeline import detect
from cibscan.export import export
from cibscan.match.hunt import HUNT_COLUMNS, formulas, hunt
from cibscan.match.indicators import read_indicators
from cibscan.store import Case
from tests import scenes
from tests.conftest import load, rows
from tests.test_indicators import SPAMOUFLAGE, needs_meta


def ingest_posts(case: Case, folder: Path, posts: list[scenes.Post]) -> None:
    load(case, scenes.write(folder / "posts.jsonl", posts), format="generic_jsonl")


def indicators_file(folder: Path, text: str, name: str = "list.txt") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def hits_of(report_hits: list[dict], match: str = "exact") -> set[tuple[str, str, str]]:
    return {(h["account_id"], h["indicator_type"], h["indicator"]) for h in report_hits
            if h["match"] == match}  # fmt: skip


def test_every_match_type_on_a_tiny_case(case: Case, tmp_path: Path) -> None:
    """Six accounts, each hit (or not) for one reason:
    a1 has a listed handle (listed in other case, with '@'); a2 links a listed URL with a
    tracking parameter (normalised away); a3 links a subdomain of a listed domain; a4 posts
    a listed text with other spacing and case; a5 is named by id; a6 only shares a name
    part, links the listed domain's look-alike (notevil.com) and is hit by nothing."""
    p = scenes.post
    posts = [
        p("1", "a1", 0, "hi", handle="BadActor"),
        p("2", "a2", 60, "read", urls=["https://News.example.com/story?utm_source=tw"]),
        p("3", "a3", 120, "see", urls=["https://cdn.evil.com/x.js"]),
        p("4", "a4", 180, "  The Biggest   DATA thief of the world "),
        p("5", "a5", 240, "ordinary"),
        p("6", "a6", 300, "BadActor2 here", handle="BadActor2",
          urls=["https://notevil.com/a"]),
        p("7", "a2", 360, "again", urls=["https://news.example.com/story"]),
    ]  # fmt: skip
    ingest_posts(case, tmp_path, posts)
    listed = indicators_file(
        tmp_path,
        "@badactor\nhxxps://news[.]example[.]com/story\nevil[.]com\ntwitter:a5\n"
        '"The biggest data thief of the world"\n',
    )
    report = hunt(case, read_indicators([listed]))
    assert hits_of(report.hits) == {
        ("a1", "handle", "badactor"),
        ("a2", "url", "https://news.example.com/story"),
        ("a3", "domain", "evil.com"),
        ("a4", "text", "the biggest data thief of the world"),
        ("a5", "account_id", "a5"),
    }
    by_account = {h["account_id"]: h for h in report.hits}
    assert by_account["a2"]["n_posts"] == 2 and by_account["a2"]["post_id"] == "2"
    assert by_account["a3"]["matched"] == "cdn.evil.com"
    assert by_account["a1"]["post_id"] is None and by_account["a1"]["handle"] == "BadActor"
    # the table has exactly the documented columns, and is replaced on each run
    table = rows(case, "SELECT * FROM hunt_hits")
    assert tuple(table[0]) == HUNT_COLUMNS and len(table) == 5
    hunt(case, read_indicators([indicators_file(tmp_path, "@nobody\n", "b.txt")]))
    assert rows(case, "SELECT count(*) AS n FROM hunt_hits")[0]["n"] == 0


def test_platform_must_agree(case: Case, tmp_path: Path) -> None:
    """The same name on X and on Reddit: a Reddit indicator hits only the Reddit account, an
    X one only the X account (stored as platform 'twitter', or 'x' by a generic export), an
    indicator without platform both."""
    p = scenes.post
    ingest_posts(case, tmp_path, [
        p("1", "tw1", 0, "a", handle="SameName"),
        p("2", "rd1", 0, "b", handle="samename", platform="reddit"),
        p("3", "xx1", 0, "c", handle="OtherName", platform="x"),
    ])  # fmt: skip
    reddit = indicators_file(tmp_path, "https://www[.]reddit[.]com/user/SameName/\n", "r.txt")
    assert hits_of(hunt(case, read_indicators([reddit])).hits) == {("rd1", "handle", "samename")}
    x = indicators_file(tmp_path, "https://x[.]com/samename\ntwitter[.]com/OtherName\n", "x.txt")
    assert hits_of(hunt(case, read_indicators([x])).hits) == {
        ("tw1", "handle", "samename"),
        ("xx1", "handle", "othername"),
    }
    anywhere = indicators_file(tmp_path, "@SAMENAME\n", "any.txt")
    assert {h["account_id"] for h in hunt(case, read_indicators([anywhere])).hits} == {
        "tw1",
        "rd1",
    }


def test_a_former_handle_hits(case: Case, tmp_path: Path) -> None:
    """An account renamed after the takedown report is still found by its old handle."""
    p = scenes.post
    ingest_posts(case, tmp_path, [
        p("1", "r1", 0, "before", handle="OldName99"),
        p("2", "r1", 86400, "after", handle="NewName"),
    ])  # fmt: skip
    report = hunt(case, read_indicators([indicators_file(tmp_path, "twitter.com/oldname99\n")]))
    assert [(h["account_id"], h["matched"]) for h in report.hits] == [("r1", "oldname99")]


# first and last names, some shared with the Spamouflage personas (Zoe Rich, Jasmyn Garcia,
# Karen, John, Heidi Creel, ...): organic handles built from them must not hit exactly
FIRST = [
    "Zoe",
    "Jasmyn",
    "Karen",
    "John",
    "Heidi",
    "Angelica",
    "Will",
    "Carol",
    "Camila",
    "Mavis",
    "Etta",
    "Alison",
    "Fred",
    "Toby",
    "Sarah",
    "Clara",
    "Maria",
    "James",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Ava",
    "Lucas",
    "Mia",
    "Ethan",
    "Sofia",
    "Amir",
]
LAST = ["Rich", "Garcia", "Creel", "Salazar", "Davis", "Russell", "Dickinson", "Melville",
        "Green", "Brook", "Mauer", "Smith", "Jones", "Brown", "Taylor", "Nguyen", "Khan",
        "Muller", "Rossi", "Silva", "Kowalski", "Dubois", "Tanaka", "Okafor"]  # fmt: skip


def organic_handles(n: int, taken: set[str], seed: int = 3) -> list[str]:
    """Handles as people choose them: names, initials, birth years, underscores, and a few
    near-misses of the listed handles (a digit short, an underscore more). A handle names
    one account per platform, so the ``taken`` ones (the listed accounts', lower-cased,
    e.g. fred_dickinson, which the name generator can produce) are not drawn."""
    rng = random.Random(seed)
    forms = [
        lambda f, last: f + last,
        lambda f, last: f"{f.lower()}_{last.lower()}",
        lambda f, last: f"{f[0].lower()}{last.lower()}{rng.randint(60, 99)}",
        lambda f, last: f"{f}{last}{rng.randint(1, 999)}",
        lambda f, last: f"real{f}{last}",
        lambda f, last: f"{last.lower()}.{f.lower()}"[:15].replace(".", ""),
        lambda f, last: f"{f}_{last}_{rng.randint(1990, 2005)}",
    ]
    near = [
        "ZoeRich2885901",
        "zoe_rich28859010",
        "GarciaJasmyn",
        "GarciaJasmyn12",
        "HeidiCreel",
        "angelicasalazar",
        "KarenMa8596292",
        "JohnRea",
        "greensarah_",
    ]
    out = list(near)
    while len(out) < n:
        handle = rng.choice(forms)(rng.choice(FIRST), rng.choice(LAST))
        if handle not in out and handle.lower() not in taken:
            out.append(handle)
    return out


@needs_meta
def test_spamouflage_x_handles_all_hit_and_no_organic_account(case: Case, tmp_path: Path) -> None:
    """The 35-odd X accounts of Meta's Q2 2023 Spamouflage report, present in a case with
    1,000 organic accounts posting ordinary news links: every listed X handle hits its
    account exactly, and no organic account is hit exactly (their handles share name parts
    and shapes with the listed ones, so some may be formula hits, which are weaker)."""
    listed = read_indicators([SPAMOUFLAGE])
    x_handles = [(i.value, i.raw) for i in listed.indicators
                 if i.type == "handle" and i.platform == "twitter"]  # fmt: skip
    assert len(x_handles) >= 30
    posts = []
    for n, (value, raw) in enumerate(x_handles):
        written = raw[raw.lower().rfind(value) :][: len(value)]  # the handle as published
        posts.append(scenes.post(f"op{n}", f"op{n}", n * 60.0, "Guo Wengui lies", handle=written))
    rng = random.Random(5)
    news = [f"https://www.{d}/news/{k}" for d in ("bbc.co.uk", "reuters.com", "nytimes.com",
            "medium.com", "reddit.com") for k in range(30)]  # fmt: skip
    organic = organic_handles(1000, {v for v, _ in x_handles})
    for n, handle in enumerate(organic):
        for k in range(2):
            posts.append(scenes.post(f"org{n}_{k}", f"org{n}", rng.uniform(0, 9 * 86400),
                                     f"my day {n} {k}", handle=handle,
                                     urls=[rng.choice(news)]))  # fmt: skip
    ingest_posts(case, tmp_path, posts)
    report = hunt(case, listed)
    exact = {h["account_id"] for h in report.hits if h["match"] == "exact"}
    assert exact == {f"op{n}" for n in range(len(x_handles))}
    pattern = {h["account_id"] for h in report.hits if h["match"] == "pattern"}
    assert not pattern & exact
    assert all(a.startswith("org") for a in pattern)
    # the formula FirstLast + 8 digits is among the source's formulas on X
    assert "Aa+Aa+9{8}" in formulas(listed)[(listed.indicators[0].source, "twitter")]


def test_formula_hits_are_weaker_and_exclude_exact_hits(case: Case, tmp_path: Path) -> None:
    """Three listed handles FirstLast + 8 digits make a formula; a fourth account with that
    shape is a pattern hit, a listed one is only an exact hit, a Reddit account of the shape
    is not hit (other platform), and a 2-digit variant is not the shape."""
    p = scenes.post
    ingest_posts(case, tmp_path, [
        p("1", "a", 0, "x", handle="ZoeRich28859010"),
        p("2", "b", 0, "x", handle="MaryJane12345678"),
        p("3", "c", 0, "x", handle="MaryJane12345678", platform="reddit"),
        p("4", "d", 0, "x", handle="MaryJane12"),
    ])  # fmt: skip
    listed = indicators_file(tmp_path, "".join(
        f"twitter.com/{h}\n" for h in ("ZoeRich28859010", "JohnRea51505034", "KarenMa85962925")
    ))  # fmt: skip
    report = hunt(case, read_indicators([listed]))
    assert hits_of(report.hits) == {("a", "handle", "zoerich28859010")}
    assert hits_of(report.hits, "pattern") == {("b", "handle", "Aa+Aa+9{8}")}
    assert not hits_of(hunt(case, read_indicators([listed]), patterns=False).hits, "pattern")


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small detected case: a retweet ring on X and one on Reddit (a platform outside STIX's
    account-type vocabulary) among organic people."""
    from cibscan.store import open_case

    folder = tmp_path_factory.mktemp("hunt_stix")
    reddit = [{**p, "platform": "reddit"} for p in scenes.retweet_ring("rd", start=3 * scenes.DAY)]
    posts = scenes.organic_background(people=30, days=10) + scenes.retweet_ring() + reddit
    with open_case(folder / "case.duckdb") as case:
        load(case, scenes.write(folder / "p.jsonl", posts), format="generic_jsonl")
        detect(case)
    return folder / "case.duckdb"


def test_cibscans_own_stix_reads_back(detected: Path, tmp_path: Path) -> None:
    """Every user-account of a bundle cibscan exported reads back as an indicator of its
    platform (X by account_type, Reddit by cibscan's extension), attributed to its intrusion
    set, and the hunt finds every flagged account."""
    from cibscan.export.stix_objects import EXTENSION_ID
    from cibscan.store import open_case

    bundle_path = tmp_path / "findings.stix.json"
    with open_case(detected, create=False) as case:
        export(case, "stix", bundle_path)
        bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
        accounts = [o for o in bundle["objects"] if o["type"] == "user-account"]
        sets = {o["name"] for o in bundle["objects"] if o["type"] == "intrusion-set"}
        assert accounts and sets
        got = read_indicators([bundle_path])
        assert not got.rejected
        found = {(i.type, i.value, i.platform) for i in got.indicators}
        platforms = set()
        for acc in accounts:
            platform = acc["extensions"][EXTENSION_ID]["platform"]
            assert acc.get("account_type") == ("twitter" if platform == "twitter" else None)
            platforms.add(platform)
            assert ("account_id", acc["user_id"], platform) in found
            assert ("handle", acc["account_login"].lower(), platform) in found
        assert platforms == {"twitter", "reddit"}
        assert {s for i in got.indicators for s in i.sources} <= sets
        report = hunt(case, got)
        flagged = rows(case, "SELECT i.account_id FROM account_scores AS s "
                             "JOIN account_index AS i USING (acct) WHERE s.flagged")  # fmt: skip
        assert {r["account_id"] for r in flagged} <= {h["account_id"] for h in report.hits}


def test_cli_summary_json_and_guarded_csv(case: Case, tmp_path: Path) -> None:
    """The command prints counts, writes CSV with formula cells quoted, and fails cleanly."""
    ingest_posts(case, tmp_path, [scenes.post("1", "=cmd", 0, "x", handle="=HYPERLINK")])
    case_path = str(case.path)
    case.close()
    listed = indicators_file(tmp_path, "@=hyperlink\n12 accounts\n")
    out = tmp_path / "hits.csv"
    args = ["hunt", "--case", case_path, "--indicators", str(listed)]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 hits on 1 accounts" in result.output and "1 rows rejected" in result.output
    with out.open(newline="", encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert written[0]["handle"] == "'=HYPERLINK" and written[0]["account_id"] == "'=cmd"
    result = CliRunner().invoke(main, [*args, "--json", "--no-patterns"])
    summary = json.loads(result.output)
    assert summary["hits"] == 1 and summary["rejected"] == 1
    missing = CliRunner().invoke(main, ["hunt", "--case", str(tmp_path / "no.duckdb"),
                                        "--indicators", str(listed)])  # fmt: skip
    assert missing.exit_code == 1 and "no such case" in missing.output
