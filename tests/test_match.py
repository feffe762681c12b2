"""Known networks: labels, the library, matching and the known_network tell.

The hand-built world (known answers):
- *Period 1*: six operator accounts ``n1..n6`` with formula handles (first name, surname,
  eight digits), posting one talking point about Xinjiang with small edits, linking their
  site ``truth-xj.com``, tagging #xinjiang and replying to the dissident ``d1``, among 80
  organic people (tests/scenes.py).
- *Period 2*, after a takedown, among 80 other organic people:
  ``r1..r4`` are new accounts of the same operator (same formula with other names, the
  talking point paraphrased, new URLs on the same site, the same tag and target): matched;
  ``o1`` links one article of truth-xj.com and nothing else of the network: one family,
  not matched; ``o2`` pastes the talking point once: one family, not matched; ``n1`` comes
  back under the same id: matched by identity.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.pipeline import detect
from cibscan.evaluate.labels import evaluate_labels
from cibscan.match import text_index
from cibscan.match.indicators import read_indicators
from cibscan.match.library import (
    LibraryError,
    add_network,
    list_networks,
    network_members,
    remove_network,
    show_network,
)
from cibscan.match.scoring import MatchOptions, match, write_matches_csv
from cibscan.match.stix import export_network, import_network
from cibscan.report.html import write_report
from cibscan.store import Case, open_case
from cibscan.store.labels import label, list_labels
from tests import scenes
from tests.conftest import load, rows
from tests.stix_check import validator_findings

HOUR = 3600
_TALKING_POINT = (
    "Western media lie about Xinjiang cotton, the people there live happy lives, see the "
    "truth for yourself"
)
_PARAPHRASES = (
    "Western media keep lying about Xinjiang cotton, people there live happy lives, see the "
    "truth yourself",
    "The western media lie about Xinjiang cotton; the people there have happy lives, see the "
    "truth for yourselves",
    "Western media lies about Xinjiang cotton, the people there live very happy lives, go see "
    "the truth for yourself",
    "Western media lie about Xinjiang cotton! people there live happy lives. see the truth "
    "for yourself now",
)
_OLD = [
    ("n1", "ZoeRich28859010"),
    ("n2", "HeidiCreel28814402"),
    ("n3", "MayaStone28830071"),
    ("n4", "LilaFord28867123"),
    ("n5", "RubyLane28899034"),
    ("n6", "IvyMoss28812345"),
]
_NEW = [("r1", "AnnaWest38812204"), ("r2", "JuneHale38890117"), ("r3", "NoraPike38851130"),
        ("r4", "EvaCole38879912")]  # fmt: skip


def _operator_post(pid: str, acct: str, handle: str, t: float, text: str, url: str) -> Any:
    return scenes.post(
        pid, acct, t, f"{text} #xinjiang", handle=handle, urls=[url], hashtags=["xinjiang"],
        reply_to_account="d1",
    )  # fmt: skip


def period1() -> list[scenes.Post]:
    posts = scenes.organic_background(seed=7)
    for i, (acct, handle) in enumerate(_OLD):
        for k in range(3):
            text = _TALKING_POINT if k == 0 else _PARAPHRASES[(i + k) % 4]
            url = f"https://truth-xj.com/a/{i}{k}"
            posts.append(
                _operator_post(f"p1-{acct}-{k}", acct, handle, 2 * HOUR * k + i, text, url)
            )
    return posts


def period2() -> list[scenes.Post]:
    posts = [
        dict(p, post_id="b" + p["post_id"], account_id="b" + p["account_id"],
             acct_handle="b" + p["acct_handle"])
        for p in scenes.organic_background(seed=11)
    ]  # fmt: skip
    for i, (acct, handle) in enumerate(_NEW):
        for k in range(2):  # each posts twice: too little to coordinate
            url = f"https://truth-xj.com/new/{i}{k}"
            text = _PARAPHRASES[(i + k) % 4]
            posts.append(
                _operator_post(
                    f"p2-{acct}-{k}",
                    acct,
                    handle,
                    5 * DAYS + 3 * HOUR * i + k * 9 * HOUR,
                    text,
                    url,
                )
            )
    posts.append(
        scenes.post(
            "p2-o1",
            "o1",
            6 * DAYS,
            "interesting read",
            handle="o1",
            urls=["https://truth-xj.com/a/00"],
        )
    )
    posts.append(scenes.post("p2-o2", "o2", 6 * DAYS + 60, _TALKING_POINT, handle="o2"))
    posts.append(scenes.post("p2-n1", "n1", 6 * DAYS + 90, "hello again", handle="ZoeRich28859010"))
    return posts  # fmt: skip


DAYS = scenes.DAY


def build_library(folder: Path) -> Path:
    """A library holding the period-1 network, built from a case of period 1 in ``folder``
    (also the input of the known_network tell in tests/test_engines_tells.py)."""
    lib = folder / "known.duckdb"
    with open_case(folder / "p1.duckdb") as case:
        load(case, scenes.write(folder / "p1.jsonl", period1()), format="generic_jsonl")
        members = network_members(case.engine, accounts=[f"twitter:{a}" for a, _ in _OLD])
        add_network(case.engine, lib, "xj-op", members, description="test network")
    return lib


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A library holding the period-1 network, built from a case of period 1."""
    return build_library(tmp_path)


@pytest.fixture
def case2(tmp_path: Path) -> Any:
    with open_case(tmp_path / "p2.duckdb") as case:
        load(case, scenes.write(tmp_path / "p2.jsonl", period2()), format="generic_jsonl")
        yield case


def _matched(case: Case) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r for r in rows(case, "SELECT * FROM matches WHERE matched")}


def test_the_returning_operator_is_matched_and_look_alikes_are_not(
    library: Path, case2: Case
) -> None:
    report = match(case2.engine, library)
    matched = _matched(case2)
    assert set(matched) == {"r1", "r2", "r3", "r4", "n1"}, matched.keys()
    assert report.matched == 5 and report.by_identity == 1
    assert matched["n1"]["identity"] and matched["n1"]["similarity"] == 1.0
    for acct in ("r1", "r2", "r3", "r4"):
        r = matched[acct]
        assert r["families"] >= 2 and 0.5 <= r["similarity"] < 1
        # the evidence names what matched
        assert "truth-xj.com" in r["facets"] and "handle_formula" in r["facets"]
    # the look-alikes share one family each: listed as near misses at most, never matched
    near = {r["account_id"]: r for r in rows(case2, "SELECT * FROM matches")}
    for acct in ("o1", "o2"):
        assert acct not in matched
        assert near.get(acct, {"families": 0})["families"] <= 1


def test_the_threshold_and_network_filter_are_options(library: Path, case2: Case) -> None:
    match(case2.engine, library, MatchOptions(threshold=50.0))
    assert set(_matched(case2)) == {"n1"}  # only identity survives an absurd threshold
    with pytest.raises(ValueError, match="no network"):
        match(case2.engine, library, MatchOptions(networks=("other",)))
    with pytest.raises(ValueError, match="threshold"):
        MatchOptions(threshold=float("nan"))


def test_matches_csv_is_guarded_and_complete(library: Path, case2: Case, tmp_path: Path) -> None:
    match(case2.engine, library)
    out = tmp_path / "matches.csv"
    n = write_matches_csv(case2.engine, out)
    header = out.read_text().splitlines()[0].split(",")
    assert header[:7] == ["platform", "account_id", "handle", "network", "similarity",
                          "matched", "score"]  # fmt: skip
    assert "facets" in header
    assert n == rows(case2, "SELECT count(*) AS n FROM matches")[0]["n"]


def test_library_list_show_replace_remove(library: Path, tmp_path: Path) -> None:
    with open_case(None) as scratch:
        e = scratch.engine
        (net,) = list_networks(e, library)
        assert (net.network, net.version, net.n_members, net.platforms) == (
            "xj-op", 1, 6, ["twitter"])  # fmt: skip
        shown = show_network(e, library, "xj-op")
        facets = {f["facet"]: f for f in shown["facets"]}
        assert facets["domain"]["top"][0] == {"feature": "truth-xj.com", "n": 6,
                                              "example": "truth-xj.com"}  # fmt: skip
        assert facets["handle_formula"]["top"][0]["feature"] == "AaAa99999999"
        # the talking point and its edits are one family held by all six
        assert facets["text"]["top"][0]["n"] == 6
        assert len(shown["members"]) == 6
        # its posts cover one afternoon: an hour-of-day schedule cannot be learnt from that
        assert "schedule" not in facets and "hashtag" in facets
        remove_network(e, library, "xj-op")
        assert list_networks(e, library) == []
        with pytest.raises(LibraryError, match="no network"):
            remove_network(e, library, "xj-op")
    not_a_library = tmp_path / "x.duckdb"
    with open_case(not_a_library):
        pass  # a case file, not a library
    with open_case(None) as scratch, pytest.raises(LibraryError, match="not a cibscan library"):
        list_networks(scratch.engine, not_a_library)


def test_adding_a_name_twice_needs_replace_and_bumps_the_version(
    library: Path, tmp_path: Path
) -> None:
    with open_case(tmp_path / "p1.duckdb", create=False) as case:
        members = network_members(case.engine, accounts=["twitter:n1", "twitter:ZoeRich28859010"])
        assert members == [("twitter", "n1")]  # an id and a handle of one account
        with pytest.raises(LibraryError, match="--replace"):
            add_network(case.engine, library, "xj-op", members)
        summary = add_network(case.engine, library, "xj-op", members, replace=True)
    assert (summary.version, summary.n_members) == (2, 1)


def test_stix_round_trip_keeps_every_indicator(library: Path, case2: Case, tmp_path: Path) -> None:
    bundle = tmp_path / "xj.stix.json"
    export_network(library, "xj-op", bundle, tlp="green")
    assert validator_findings(bundle) == []  # no error, no warning
    assert '"name": "TLP:GREEN"' in bundle.read_text(encoding="utf-8")
    found = read_indicators([bundle])
    handles = {i.value for i in found.indicators if i.type == "handle"}
    assert handles == {h.lower() for _, h in _OLD}
    assert {i.value for i in found.indicators if i.type == "domain"} == {"truth-xj.com"}
    assert not found.rejected
    assert all("xj-op" in i.sources for i in found.indicators)  # named by the intrusion-set
    # imported on "another machine": members by identity, the site as a feature
    other = tmp_path / "other.duckdb"
    summary = import_network(bundle, other, "xj-op")
    assert summary.n_members == 6
    match(case2.engine, other)
    assert set(_matched(case2)) == {"n1"}  # STIX carries no habits: identity only


def test_labels_survive_detect_and_score_the_run(tmp_path: Path) -> None:
    with open_case(tmp_path / "c.duckdb") as case:
        posts = scenes.organic_background(seed=3) + scenes.retweet_ring("ring", members=6)
        load(case, scenes.write(tmp_path / "c.jsonl", posts), format="generic_jsonl")
        detect(case)
        (cluster,) = {r["cluster_id"] for r in rows(
            case, "SELECT cluster_id FROM account_scores WHERE flagged")}  # fmt: skip
        first = label(case.engine, "confirmed", cluster_id=cluster, note="a ring")
        # the six ring accounts and the account they amplify (ring_seed) form the cluster
        assert first.accounts == 7 and first.detect_run_id == 1
        # a verdict changes: the latest counts, the history stays
        label(case.engine, "dismissed", accounts=["twitter:ring_1"], analyst="b")
        label(case.engine, "dismissed", accounts=["twitter:person_1"])
        detect(case)  # a later run keeps the labels
        current = {r["account_id"]: r for r in list_labels(case.engine)}
        assert current["ring_1"]["verdict"] == "dismissed" and current["ring_1"]["analyst"] == "b"
        assert current["ring_2"]["verdict"] == "confirmed" and current["ring_2"]["note"] == "a ring"
        assert rows(case, "SELECT count(*) AS n FROM labels")[0]["n"] == 9
        result = evaluate_labels(case.engine)
        # 6 confirmed and all flagged; ring_1 dismissed but flagged; person_1 dismissed, not
        assert (result.confirmed, result.dismissed) == (6, 2)
        assert (result.flagged_confirmed, result.flagged_dismissed) == (6, 1)
        assert result.precision == pytest.approx(6 / 7) and result.recall == 1.0
        with pytest.raises(ValueError, match="no such account"):
            label(case.engine, "confirmed", accounts=["twitter:nobody"])
        with pytest.raises(ValueError, match="verdict"):
            label(case.engine, "maybe", accounts=["twitter:p1"])
        with pytest.raises(ValueError, match="no cluster"):
            label(case.engine, "confirmed", cluster_id=999)


def test_known_network_tell_counts_matches_in_detect(library: Path, case2: Case) -> None:
    detect(case2, DetectOptions(library=str(library)))
    told_rows = rows(
        case2,
        """SELECT i.account_id, t.strength, t.score, t.detail FROM account_tells AS t
           JOIN account_index AS i USING (acct) WHERE t.tell = 'known_network'""",
    )
    told = {r["account_id"]: r for r in told_rows}
    assert set(told) == {"r1", "r2", "r3", "r4", "n1"}
    assert told["n1"]["strength"] == 10.0
    assert "matches known network xj-op" in told["r1"]["detail"]
    assert told["r1"]["score"] > 0.5  # the score_known_network column of accounts.csv


def test_report_shows_the_matches_with_their_facets(
    library: Path, case2: Case, tmp_path: Path
) -> None:
    detect(case2, DetectOptions(library=str(library)))
    page = write_report(case2, tmp_path / "report.html").path.read_text()
    assert '<a href="#networks">Known networks</a>' in page and '<h2 id="networks">' in page
    section = page[page.index('<h2 id="networks">') : page.index('<h2 id="accounts">')]
    # n1 is a known member, r1-r4 are new accounts with the network's fingerprint
    assert "5 accounts matched (1 known member by identity, 4 new" in section
    assert "identity (a known member)" in section and "truth-xj.com" in section
    # every link of the section leads to an anchor that exists
    for anchor in re.findall(r'href="#([^"]+)"', section):
        assert f'id="{anchor}"' in page


def test_detect_without_a_library_ignores_an_earlier_match(library: Path, case2: Case) -> None:
    """A matches table left by `cibscan match` is not evidence for a detect run that was not
    given the library: detect without --library stays detection from scratch."""
    match(case2.engine, library)
    assert _matched(case2)  # the table is there ...
    detect(case2)
    told = rows(case2, "SELECT count(*) AS n FROM account_tells WHERE tell = 'known_network'")
    assert told[0]["n"] == 0  # ... and not counted


def test_a_schedule_is_kept_from_a_week_of_posts_and_a_lone_formula_is_not(
    tmp_path: Path,
) -> None:
    """Three accounts posting at 02:00 UTC on eight days: the schedule facet is kept (the
    posts cover at least seven days); one member's unique handle formula is left out of the
    persona facet (a formula needs two members to be the factory's, not one account's)."""
    posts = [
        scenes.post(f"s{a}-{d}", f"s{a}", d * DAYS + 2 * HOUR + a * 60, f"day {d}", handle=handle)
        for a, handle in enumerate(["AnnaWest38812204", "JuneHale38890117", "x_solo"])
        for d in range(8)
    ]
    lib = tmp_path / "week.duckdb"
    with open_case(tmp_path / "w.duckdb") as case:
        load(case, scenes.write(tmp_path / "w.jsonl", posts), format="generic_jsonl")
        members = network_members(case.engine, accounts=["twitter:s0", "twitter:s1", "twitter:s2"])
        add_network(case.engine, lib, "week", members)
        shown = show_network(case.engine, lib, "week")
    facets = {f["facet"]: f for f in shown["facets"]}
    assert facets["schedule"]["top"][0]["feature"] == "hour 02"
    # a new account with the shared formula gets persona evidence; one with the lone
    # member's formula (x_solo -> a_a) gets none
    later = [
        *scenes.organic_background(seed=5),
        scenes.post("n1", "n1", 20 * DAYS + 2 * HOUR, "hi", handle="MaryFord38812299"),
        scenes.post("n2", "n2", 20 * DAYS + 2 * HOUR, "hi", handle="y_other"),
    ]
    with open_case(tmp_path / "later.duckdb") as case:
        load(case, scenes.write(tmp_path / "later.jsonl", later), format="generic_jsonl")
        match(case.engine, lib, MatchOptions(report_floor=0))
        got = {r["account_id"]: r["facets"] or "" for r in rows(case, "SELECT * FROM matches")}
    assert "handle_formula" in got["n1"]
    assert "handle_formula" not in got.get("n2", "")


def test_the_threshold_rises_with_the_networks_of_the_library(tmp_path: Path) -> None:
    """Ten copies of the network under ten names: each new account is compared ten times,
    so the threshold is raised by log10(10) = 1 (a Bonferroni correction). The returning
    operator's accounts score 7.0 against each copy: at a threshold of 6.5 they match
    without the correction and not with it (7.5); the known member matches either way."""
    lib = tmp_path / "ten.duckdb"
    with open_case(tmp_path / "p1.duckdb") as case:
        load(case, scenes.write(tmp_path / "p1.jsonl", period1()), format="generic_jsonl")
        members = network_members(case.engine, accounts=[f"twitter:{a}" for a, _ in _OLD])
        for k in range(10):
            add_network(case.engine, lib, f"xj-{k}", members)
    with open_case(tmp_path / "p2.duckdb") as case:
        load(case, scenes.write(tmp_path / "p2.jsonl", period2()), format="generic_jsonl")
        assert match(case.engine, lib).threshold == pytest.approx(5.0)
        corrected = match(case.engine, lib, MatchOptions(threshold=6.5))
        strict = {r["account_id"] for r in rows(case, "SELECT * FROM matches WHERE matched")}
        plain = match(case.engine, lib, MatchOptions(threshold=6.5, per_network=False))
        loose = rows(case, "SELECT * FROM matches WHERE matched")
    assert corrected.threshold == pytest.approx(7.5) and plain.threshold == 6.5
    assert strict == {"n1"}  # by identity
    assert {r["account_id"] for r in loose} == {"n1", "r1", "r2", "r3", "r4"}
    assert len(loose) == 50  # five accounts, each against the ten copies
    assert all(r["similarity"] == pytest.approx(r["score"] / (r["score"] + 6.5))
               for r in loose if not r["identity"])  # fmt: skip


def _all_matches(case: Case) -> list[dict[str, Any]]:
    """Every match, scores to 9 digits: DuckDB sums a score's parts in parallel, in an
    order that may differ between two runs by the last bit (measured: 0.6370829362091062
    against ...063); everything else must be equal exactly."""
    return [
        {k: round(v, 9) if isinstance(v, float) else v for k, v in r.items()}
        for r in rows(case, "SELECT * FROM matches ORDER BY account_id, network")
    ]


def _index_size(case: Case) -> int:
    return int(case.engine.fetchall(f"SELECT count(*) FROM {text_index.TABLE}")[0][0])


def test_the_text_index_is_kept_reused_and_grown(library: Path, tmp_path: Path) -> None:
    """The case keeps a digest of each own text (cibscan/match/text_index.py): a second
    match computes none, posts ingested later add theirs, and the matches equal those of a
    case matched once with every post."""
    operator = [p for p in period2() if p["post_id"].startswith("p2-r")]
    rest = [p for p in period2() if not p["post_id"].startswith("p2-r")]
    with open_case(tmp_path / "grown.duckdb") as case:
        load(case, scenes.write(tmp_path / "rest.jsonl", rest), format="generic_jsonl")
        match(case.engine, library)
        before = _index_size(case)
        assert before > 0
        assert not {r["account_id"] for r in _all_matches(case) if r["matched"]} & {"r1", "r2"}
        load(case, scenes.write(tmp_path / "operator.jsonl", operator), format="generic_jsonl")
        match(case.engine, library)
        # the operator's 8 posts hold 4 distinct paraphrases, the only new texts
        assert _index_size(case) == before + 4
        grown = _all_matches(case)
        # the index is read as it is: keys it holds cost nothing, a new key adds its text
        e = case.engine
        e.execute(f"CREATE TEMP TABLE _keys AS SELECT text_key FROM {text_index.TABLE}")
        new_text = "SELECT 7 AS text_key, 'a text nobody posted before, long enough' AS text_norm"
        assert text_index.ensure(e, "_keys", new_text) == 0
        e.execute("INSERT INTO _keys VALUES (7)")
        assert text_index.ensure(e, "_keys", new_text) == 1
        assert _index_size(case) == before + 5
    with open_case(tmp_path / "once.duckdb") as case:
        load(case, scenes.write(tmp_path / "all.jsonl", period2()), format="generic_jsonl")
        match(case.engine, library)
        assert _all_matches(case) == grown
        assert {r["account_id"] for r in grown if r["matched"]} == {"r1", "r2", "r3", "r4", "n1"}


def test_ingest_indexes_the_texts_a_match_compares(library: Path, tmp_path: Path) -> None:
    """Ingest digests the own texts of the posts it stores (text_index.index_posts), once
    for all its files: the first match of the freshly ingested case adds none, and finds
    what a match that builds the index itself finds."""
    path = scenes.write(tmp_path / "all.jsonl", period2())
    with open_case(tmp_path / "ingested.duckdb") as case:
        report = load(case, path, format="generic_jsonl")
        assert report.indexed_texts == _index_size(case) > 0
        assert load(case, path, format="generic_jsonl").indexed_texts == 0  # all duplicates
        match(case.engine, library)
        assert _index_size(case) == report.indexed_texts
        indexed = _all_matches(case)
    with open_case(tmp_path / "unindexed.duckdb") as case:
        assert load(case, path, format="generic_jsonl", text_index=False).indexed_texts == 0
        assert not case.engine.table_exists(text_index.TABLE)
        match(case.engine, library)
        assert _index_size(case) == report.indexed_texts
        assert _all_matches(case) == indexed


def test_an_index_of_another_layout_is_rebuilt(library: Path, case2: Case) -> None:
    """An index written with another layout (another shingle, another engine's hash) is
    dropped and rebuilt, not read: its band keys emptied here would hide every text."""
    match(case2.engine, library)
    expected = _all_matches(case2)
    e = case2.engine
    e.execute(f"UPDATE {text_index.TABLE} SET " + ", ".join(f"k{j} = NULL" for j in range(16)))
    e.execute("UPDATE meta SET value = 'shingle=5' WHERE key = ?", [text_index.META_KEY])
    match(e, library)
    assert _all_matches(case2) == expected
    assert e.fetchall("SELECT value FROM meta WHERE key = ?", [text_index.META_KEY])[0][0] == (
        text_index.layout(e)
    )
