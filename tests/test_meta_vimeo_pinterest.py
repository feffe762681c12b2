"""Meta Content Library, Vimeo API v3 and Pinterest API v5 on hand-built fixtures (issue 19).

The fixtures follow the platforms' documented field names (tests/fixtures/formats/README.md);
their values are invented, and the counts below are explained record by record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cibscan.ingest.base import sniff_format
from cibscan.ingest.merge import BAD_TIME
from cibscan.ingest.readers import Source, read_head
from cibscan.store import Case
from tests.conftest import FIXTURES, load, rows

MCL = FIXTURES / "12_meta_content_library"
VP = FIXTURES / "13_vimeo_pinterest"
T0 = datetime(2024, 5, 29, 16, 26, 40, tzinfo=UTC)


def one(case: Case, sql: str, *params: object) -> dict[str, Any]:
    (row,) = rows(case, sql, *params)
    return row


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (MCL / "mcl_posts_api_page.json", "mcl_posts_json"),
        (MCL / "mcl_posts_export.csv", "mcl_posts_csv"),
        (VP / "vimeo_videos_page.json", "vimeo_videos"),
        (VP / "vimeo_comments_page.json", "vimeo_comments"),
        (VP / "pinterest_v5_pins_page.json", "pinterest_pins"),
    ],
)
def test_sniffed(path: Any, name: str) -> None:
    adapter, confidence = sniff_format(read_head(Source(path)))
    assert adapter is not None and adapter.name == name and confidence >= 0.5


def test_mcl_json_platform_per_post_shares_and_owners(case: Case) -> None:
    (f,) = load(case, MCL / "mcl_posts_api_page.json").files
    # an API page of 4: a Facebook page post, a Facebook share without text, an Instagram
    # post, and a post without creation_time
    assert (f.read, f.stored, f.quarantined) == (4, 3, 1)
    assert one(case, "SELECT reason FROM quarantine") == {"reason": BAD_TIME}
    fb = one(case, "SELECT * FROM posts WHERE post_id = '1100000000000001'")
    assert (fb["platform"], fb["account_id"], fb["created_at"], fb["venue"]) == (
        "facebook",
        "2200001",
        T0,
        "2200001",
    )
    # the link attachment (fbclid removed) and the link typed in the text are one URL
    assert fb["urls"] == ["https://example.org/peace"] and fb["hashtags"] == ["peace"]
    assert (fb["like_count"], fb["repost_count"], fb["reply_count"]) == (10, 4, 3)
    share = one(case, "SELECT * FROM posts WHERE post_id = '1100000000000002'")
    assert (share["kind"], share["repost_of_post"]) == ("repost", "1100000000000001")
    # no Facebook-only field: Instagram
    ig = one(case, "SELECT * FROM posts WHERE post_id = '1100000000000003'")
    assert (ig["platform"], ig["mentions"], ig["view_count"]) == ("instagram", ["rosa.lee"], 50)
    flags = rows(case, "SELECT account_id, flags FROM accounts ORDER BY account_id")
    assert flags == [
        {"account_id": "2200001", "flags": ["facebook_page"]},
        {"account_id": "2200002", "flags": ["facebook_group"]},
        {"account_id": "5550009", "flags": []},
    ]


def test_mcl_csv_and_json_of_one_post_merge(case: Case) -> None:
    _, csv = load(case, MCL / "mcl_posts_api_page.json", MCL / "mcl_posts_export.csv").files
    # the CSV: the JSON's Facebook post again (a duplicate), an Instagram post with its
    # multimedia as JSON text, a row with 3 fields (a reader reject), a row without owner
    assert (csv.read, csv.stored, csv.duplicates, csv.quarantined) == (4, 1, 1, 2)
    reasons = rows(case, "SELECT reason FROM quarantine WHERE format = 'mcl_posts_csv'")
    assert sorted(r["reason"] for r in reasons) == [
        "missing account id",
        "wrong number of CSV fields",
    ]
    ig = one(case, "SELECT * FROM posts WHERE post_id = '1100000000000005'")
    assert (ig["platform"], ig["text"], ig["view_count"]) == (
        "instagram",
        "Unity\nfor all #unity",
        70,
    )
    assert ig["media"] == [
        {"url": "https://scontent.cdninstagram.com/v/m.jpg", "type": "photo", "hash": None}
    ]


def test_vimeo_videos_and_comments_link_up(case: Case) -> None:
    videos, comments = load(
        case, VP / "vimeo_videos_page.json", VP / "vimeo_comments_page.json"
    ).files
    # a video without a user is refused; a comment dated "yesterday" too
    assert (videos.read, videos.stored, videos.quarantined) == (3, 2, 1)
    assert (comments.read, comments.stored, comments.quarantined) == (3, 2, 1)
    v = one(case, "SELECT * FROM posts WHERE post_id = '900000001'")
    # release_time (when the public could see it) wins over created_time (16:00)
    assert (v["account_id"], v["created_at"], v["platform"]) == ("700001", T0, "vimeo")
    assert v["hashtags"] == ["peace", "unity"]  # the #tag in the text, then the tags
    assert v["text"] == "Peace now\n\nWatch https://example.org/peace #peace"
    c = one(case, "SELECT * FROM posts WHERE post_id = '31000001'")
    assert (c["kind"], c["reply_to_post"], c["account_id"]) == ("comment", "900000001", "700002")
    handles = rows(case, "SELECT account_id, handle FROM accounts ORDER BY account_id")
    # user700002's link is Vimeo's default "user<digits>": no handle
    assert handles == [
        {"account_id": "700001", "handle": "rosalee"},
        {"account_id": "700002", "handle": None},
        {"account_id": "700003", "handle": "annak"},
    ]


def test_pinterest_v5_pins(case: Case) -> None:
    (f,) = load(case, VP / "pinterest_v5_pins_page.json").files
    assert (f.read, f.stored, f.quarantined) == (3, 2, 1)  # one pin has created_at null
    a = one(case, "SELECT * FROM posts WHERE post_id = '1000000000000000011'")
    assert (a["account_id"], a["created_at"], a["urls"]) == (
        "rosalee",
        T0,
        ["https://example.org/peace"],
    )
    b = one(case, "SELECT * FROM posts WHERE post_id = '1000000000000000012'")
    assert (b["kind"], b["repost_of_post"]) == ("repost", "1000000000000000011")
    # the 1200x image's file name is the image hash, the same for both pins
    assert {p["media"][0]["hash"] for p in (a, b)} == {"0a1b2c3d4e5f60718293a4b5c6d7e8f9"}


def test_zeeschuimer_and_api_pinterest_accounts_merge(case: Case) -> None:
    load(
        case,
        FIXTURES / "11_zeeschuimer" / "zeeschuimer_pinterest.ndjson",
        VP / "pinterest_v5_pins_page.json",
    )
    # both name accounts by username: rosalee and mikew are one account each
    accounts = rows(case, "SELECT account_id, n_posts FROM accounts ORDER BY account_id")
    assert accounts == [
        {"account_id": "mikew", "n_posts": 2},
        {"account_id": "rosalee", "n_posts": 2},
    ]
