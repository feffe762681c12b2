"""Zeeschuimer/4CAT captures and the JSON-array shape of line formats (issue 19).

The Zeeschuimer fixtures are hand-built (tests/fixtures/formats/README.md): every expected
value below is written in tests/fixtures/formats/11_zeeschuimer and explained here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cibscan.ingest.base import ArrayOfLines, get_adapter, sniff_format
from cibscan.ingest.merge import BAD_TIME
from cibscan.ingest.readers import Source, read_head
from cibscan.ingest.shapes import array_head_as_lines
from cibscan.store import Case
from tests.conftest import FIXTURES, FORMATS, load, rows

ZS = FIXTURES / "11_zeeschuimer"
T0 = datetime(2024, 5, 29, 16, 26, 40, tzinfo=UTC)  # 1717000000, the fixtures' first post


def one(case: Case, sql: str, *params: object) -> dict[str, Any]:
    (row,) = rows(case, sql, *params)
    return row


def reasons(case: Case) -> list[tuple[str, str]]:
    found = rows(case, "SELECT reason, severity FROM quarantine ORDER BY locator")
    return [(r["reason"], r["severity"]) for r in found]


@pytest.mark.parametrize(
    ("name", "adapter"),
    [
        ("tiktok", "zeeschuimer_tiktok"),
        ("instagram", "zeeschuimer_instagram"),
        ("pinterest", "zeeschuimer_pinterest"),
        ("x", "zeeschuimer_x"),
        ("douyin", "zeeschuimer_douyin"),
        ("rednote", "zeeschuimer_rednote"),
    ],
)
def test_each_platform_is_sniffed_by_its_source_platform(name: str, adapter: str) -> None:
    found, confidence = sniff_format(read_head(Source(ZS / f"zeeschuimer_{name}.ndjson")))
    assert found is not None and found.name == adapter and confidence >= 0.9


def test_tiktok_capture(case: Case) -> None:
    (f,) = load(case, ZS / "zeeschuimer_tiktok.ndjson").files
    # 7 lines: 2 videos; line 3 is video 1 captured again (a duplicate); line 4 came from
    # instagram.com; line 5 has no createTime; line 6 is cut mid-JSON; line 7 has no data
    assert (f.read, f.stored, f.duplicates, f.quarantined, f.unsupported) == (7, 2, 1, 4, 1)
    assert reasons(case) == [
        ("captured from another platform", "unsupported"),
        (BAD_TIME, "error"),
        ("invalid JSON", "error"),
        ("not a Zeeschuimer item", "error"),
    ]
    v = one(case, "SELECT * FROM posts WHERE post_id = '7300000000000000001'")
    # the username is the account id (as the Research API adapter's): both sources merge
    assert (v["platform"], v["account_id"], v["created_at"]) == ("tiktok", "rosa.lee", T0)
    assert v["hashtags"] == ["peace", "unity"] and v["mentions"] == ["mike_w"]
    assert (v["like_count"], v["repost_count"], v["reply_count"], v["view_count"]) == (
        5,
        1,
        2,
        100,
    )
    # the page-embedded shape: author is the bare username, nickname beside it; a duet
    # quotes the video it answers; both videos use the same sound (an audio media item)
    duet = one(case, "SELECT * FROM posts WHERE post_id = '7300000000000000002'")
    assert (duet["account_id"], duet["kind"]) == ("mike_w", "quote")
    assert duet["quote_of_post"] == "7300000000000000001"
    sounds = {m["hash"] for p in (v, duet) for m in p["media"] if m["type"] == "audio"}
    assert sounds == {"tiktok-music:7000000000000000001"}
    a = one(case, "SELECT * FROM accounts WHERE account_id = 'rosa.lee'")
    assert (a["display_name"], a["followers"], a["posts_count"]) == ("Rosa", 120, 14)


def test_instagram_three_layouts_ads_and_partial_items(case: Case) -> None:
    (f,) = load(case, ZS / "zeeschuimer_instagram.ndjson").files
    # item list (a carousel), a GraphImage node, an ad, a partial Polaris grid item without
    # taken_at, and 4CAT's folded form (__import_meta inside the item)
    assert (f.read, f.stored, f.quarantined, f.unsupported) == (5, 3, 2, 2)
    assert sorted(r["reason"] for r in rows(case, "SELECT reason FROM quarantine")) == [
        "advertisement",
        "partial item without a time",
    ]
    c = one(case, "SELECT * FROM posts WHERE post_id = 'C1AAAAAAAAA'")
    assert (c["account_id"], c["created_at"], c["hashtags"]) == ("5550001", T0, ["peace"])
    # the typed @mention, then the tagged user
    assert c["mentions"] == ["mike.w", "anna.k"]
    assert [m["type"] for m in c["media"]] == ["image", "video"]
    g = one(case, "SELECT * FROM posts WHERE post_id = 'B2BBBBBBBBB'")
    assert (g["account_id"], g["text"], g["like_count"]) == ("5550002", "Hello #unity", 3)
    folded = one(case, "SELECT account_id, text FROM posts WHERE post_id = 'C4DDDDDDDDD'")
    assert folded == {"account_id": "5550001", "text": "Again #peace"}
    assert one(case, "SELECT handle FROM accounts WHERE account_id = '5550001'") == {
        "handle": "rosa.lee.ig"
    }


def test_pinterest_saves_links_and_image_hashes(case: Case) -> None:
    (f,) = load(case, ZS / "zeeschuimer_pinterest.ndjson").files
    # two pins; a pin without created_at and one read from HTML are not usable
    assert (f.read, f.stored, f.quarantined, f.unsupported) == (4, 2, 2, 2)
    p1 = one(case, "SELECT * FROM posts WHERE post_id = '1000000000000000001'")
    assert (p1["account_id"], p1["created_at"], p1["kind"]) == ("rosalee", T0, "post")
    assert p1["urls"] == ["https://example.org/peace"]  # utm_source removed
    assert p1["text"] == "Peace\n\nUnity for all #peace"
    p2 = one(case, "SELECT * FROM posts WHERE post_id = '1000000000000000002'")
    # mikew saved rosalee's pin: a repost of her account; same image, same hash (from
    # image_signature on one, from the image file name on the other)
    assert (p2["kind"], p2["repost_of_account"]) == ("repost", "rosalee")
    assert p1["media"][0]["hash"] == p2["media"][0]["hash"] == "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def test_x_graphql_tweets_retweets_replies_and_tombstones(case: Case) -> None:
    (f,) = load(case, ZS / "zeeschuimer_x.ndjson").files
    assert (f.read, f.stored, f.quarantined, f.unsupported) == (4, 3, 1, 1)
    t = one(case, "SELECT * FROM posts WHERE post_id = '1795000000000000001'")
    assert (t["platform"], t["account_id"], t["created_at"]) == ("twitter", "44001", T0)
    assert t["urls"] == ["https://example.org/peace"] and t["client"] == "Twitter Web App"
    assert t["media"][0]["hash"] == "3_1795000000000000009"  # the media key, as v2's
    # a TweetWithVisibilityResults wrapper around a retweet
    rt = one(case, "SELECT * FROM posts WHERE post_id = '1795000000000000002'")
    assert (rt["kind"], rt["repost_of_post"], rt["repost_of_account"]) == (
        "repost",
        "1795000000000000001",
        "44001",
    )
    assert rt["text"].startswith("RT @rosa_lee: Peace now")
    reply = one(case, "SELECT * FROM posts WHERE post_id = '1795000000000000003'")
    assert (reply["kind"], reply["reply_to_post"], reply["reply_to_account"]) == (
        "reply",
        "1795000000000000001",
        "44001",
    )
    a = one(case, "SELECT * FROM accounts WHERE account_id = '44001'")
    assert (a["handle"], a["following"], a["posts_count"]) == ("rosa_lee", 20, 30)


def test_douyin_and_rednote(case: Case) -> None:
    dy, rn = load(case, ZS / "zeeschuimer_douyin.ndjson", ZS / "zeeschuimer_rednote.ndjson").files
    # Douyin: an API item, a page-embedded (camelCase) item, a live stream (not a post)
    assert (dy.read, dy.stored, dy.quarantined, dy.unsupported) == (3, 2, 1, 1)
    embedded = one(case, "SELECT * FROM posts WHERE post_id = '7370000000000000002'")
    assert (embedded["account_id"], embedded["hashtags"]) == ("88002", ["和平"])
    # the mention is the mentioned account's sec_uid (Douyin names no handle)
    assert embedded["mentions"] == ["ms4wljabaaaa_a"]
    # RedNote: a note card, a feed tile without a note, a card without a time, a page note
    assert (rn.read, rn.stored, rn.quarantined, rn.unsupported) == (4, 2, 2, 2)
    note = one(case, "SELECT * FROM posts WHERE post_id = '6650000000000000000000a1'")
    assert (note["created_at"], note["like_count"], note["hashtags"]) == (T0, 12000, ["和平"])
    page = one(case, "SELECT account_id FROM posts WHERE post_id = '6650000000000000000000a4'")
    assert page == {"account_id": "5f0000000000000000000002"}


def test_round_trip_reingest_stores_nothing_twice(case: Case) -> None:
    first = load(case, ZS).files
    again = load(case, ZS).files
    assert sum(f.stored for f in first) == 2 + 3 + 2 + 3 + 2 + 2  # douyin..x, by file name
    assert [f.stored for f in again] == [0] * 6
    assert [f.duplicates for f in again] == [f.stored + f.duplicates for f in first]
    # the quarantine of a file is replaced, not doubled
    assert one(case, "SELECT count(*) AS n FROM quarantine")["n"] == sum(
        f.quarantined for f in again
    )


# --------------------------------------------------------------------- JSON arrays of lines
GOLDEN = FORMATS / "06_bluesky" / "jetstream_golden_v1.jsonl"
ARRAY = FIXTURES / "06_bluesky_array" / "jetstream_golden_v1_array.json"
_SAME = "SELECT * EXCLUDE (source_file, source_locator, ingest_run_id) FROM posts ORDER BY post_id"
_ACCOUNTS = "SELECT * EXCLUDE (first_seen, last_seen) FROM accounts ORDER BY account_id"


def test_jetstream_array_and_lines_give_identical_posts(case: Case, tmp_path: Path) -> None:
    from cibscan.store import open_case

    (lines,) = load(case, GOLDEN).files
    with open_case(tmp_path / "array.duckdb") as other:
        (array,) = load(other, ARRAY).files
        from_array = rows(other, _SAME)
        accounts = rows(other, _ACCOUNTS)
    assert array.format == lines.format == "bluesky_jetstream"
    assert (array.read, array.stored, array.quarantined) == (lines.read, lines.stored, 7)
    # stored 3: the post with a reply, the repost and the profile update's account
    assert from_array == rows(case, _SAME) and len(from_array) == 2
    assert accounts == rows(case, _ACCOUNTS)


def test_array_shape_is_decided_once_for_every_lines_format(tmp_path: Path) -> None:
    # a Reddit Pushshift file (a lines format) saved as an array is recognised too, with no
    # code in the Reddit adapter
    src = FORMATS / "04_reddit_pushshift" / "pmaw_cassette_comments_r-science.ndjson"
    items = [json.loads(x) for x in src.read_text().splitlines()[:5] if x.strip()]
    path = tmp_path / "reddit.json"
    path.write_text(json.dumps(items, indent=1))
    adapter, confidence = sniff_format(path.read_bytes())
    assert adapter is not None and adapter.name == "reddit_pushshift" and confidence >= 0.5
    # a head cut inside the second record keeps the whole first one
    assert array_head_as_lines(b' [{"a": 1}, {"b": 2') == b'{"a":1}\n'
    assert array_head_as_lines(b'{"a": 1}') is None
    wrapped = ArrayOfLines(get_adapter("reddit_pushshift"))
    assert (wrapped.name, wrapped.reader, wrapped.platform) == (
        "reddit_pushshift",
        "json",
        "reddit",
    )


def test_forced_lines_format_reads_an_array(case: Case) -> None:
    (f,) = load(case, ARRAY, format="bluesky_jetstream").files
    assert (f.format, f.read, f.stored) == ("bluesky_jetstream", 10, 3)
    locators = {r["source_locator"] for r in rows(case, "SELECT source_locator FROM posts")}
    assert all(loc.startswith("item ") for loc in locators)  # array items, not lines
