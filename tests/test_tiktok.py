"""TikTok Research API adapters on the real tiktok-research-api-helper responses."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cibscan.ingest.base import sniff_format
from cibscan.ingest.merge import BAD_TIME
from cibscan.ingest.normalize import pseudonym
from cibscan.store import Case
from tests.conftest import FORMATS, load, rows

TT = FORMATS / "10_tiktok_research"
VIDEOS = TT / "tiktok-research-api-helper_api_videos_response_page_1_of_2.json"
NUL = TT / "tiktok-research-api-helper_api_videos_response_unicode_with_null_bytes.json"
COMMENTS = TT / "tiktok-research-api-helper_api_comments_response.json"
NUL_NAME = "حموديالباشا" + "\x00" * 6 + "4"


def one(case: Case, sql: str, *params: object) -> dict[str, Any]:
    (row,) = rows(case, sql, *params)
    return row


def test_video_ids_are_the_exact_json_digits(case: Case) -> None:
    (f,) = load(case, VIDEOS).files
    assert (f.format, f.read, f.stored, f.quarantined) == ("tiktok_videos", 27, 27, 0)
    # every "id": <19 digits> of the file, as written (a double would round the last digits)
    in_file = set(re.findall(r'"id":(\d+)', VIDEOS.read_text()))
    assert len(in_file) == 27 and all(len(i) == 19 for i in in_file)
    stored = {r["post_id"] for r in rows(case, "SELECT post_id FROM posts")}
    assert stored == in_file


def test_video_fields(case: Case) -> None:
    load(case, VIDEOS)
    # first video: create_time 1704499196, "#duet with @MarvelKitties2022 #cats ", region US
    v = one(case, "SELECT * FROM posts WHERE post_id = '7320768196569599275'")
    assert (v["platform"], v["kind"], v["account_id"]) == ("tiktok", "post", "s.clovis")
    assert v["created_at"] == datetime(2024, 1, 5, 23, 59, 56, tzinfo=UTC)
    assert v["time_precision"] == "second"
    assert v["text"] == "#duet with @MarvelKitties2022 #cats "
    assert v["hashtags"] == ["cats", "duet"]  # hashtag_names, in the API's order
    assert v["mentions"] == ["marvelkitties2022"]
    # like 6, share 0, comment 0, view 4
    assert (v["like_count"], v["repost_count"], v["reply_count"], v["view_count"]) == (6, 0, 0, 4)
    a = one(case, "SELECT * FROM accounts WHERE account_id = 's.clovis'")
    assert (a["handle"], a["location"], a["flags"]) == ("s.clovis", "US", [])
    # one video has no like_count key at all: the count is unknown, not zero
    missing = one(case, "SELECT like_count FROM posts WHERE post_id = '7320768149928955182'")
    assert missing["like_count"] is None


def test_nul_characters_in_a_username_are_kept_and_flagged(case: Case) -> None:
    (f,) = load(case, NUL).files
    assert (f.format, f.stored) == ("tiktok_videos", 1)
    v = one(case, "SELECT * FROM posts WHERE post_id = '7435406205763226897'")
    assert v["account_id"] == NUL_NAME  # six U+0000 round-trip through the case file
    assert v["hashtags"] == ["ابوجبل", "تيك_توك", "تيم_الرافدين", "الباشا👑"]
    a = one(case, "SELECT * FROM accounts")
    assert (a["account_id"], a["location"], a["flags"]) == (NUL_NAME, "IQ", ["nul_in_username"])
    assert one(case, "SELECT handle FROM account_names")["handle"] == NUL_NAME


def test_nul_username_under_pseudonyms(case: Case) -> None:
    load(case, NUL, pseudonymize_key="k")
    v = one(case, "SELECT account_id FROM posts")
    assert v["account_id"] == pseudonym("k", NUL_NAME)


def test_comments_without_author_are_quarantined_as_unsupported(case: Case) -> None:
    (f,) = load(case, COMMENTS).files
    # the comment list response has no username: nothing can be attributed, nothing stored
    assert (f.format, f.read, f.stored, f.quarantined, f.unsupported) == (
        "tiktok_comments",
        6,
        0,
        6,
        6,
    )
    q = rows(case, "SELECT * FROM quarantine ORDER BY locator")
    assert {r["reason"] for r in q} == {"comment without author"}
    assert {r["severity"] for r in q} == {"unsupported"}
    first = json.loads(q[0]["raw"])  # the record is kept whole, ids exact, empty text kept
    assert first["id"] == 7386111312293610270 and first["text"] == ""
    assert '"parent_comment_id":7385291383449439519' in q[0]["raw"]


def test_comments_naming_their_author_and_damaged_records(case: Case, tmp_path: Path) -> None:
    video = 7385291383449439519
    comments = [
        {
            "id": 1,
            "video_id": video,
            "parent_comment_id": video,
            "text": "",
            "username": "u1",
            "create_time": 1719713129,
            "like_count": 0,
            "reply_count": 1,
        },
        {
            "id": 2,
            "video_id": video,
            "parent_comment_id": 1,
            "text": "re",
            "username": "u2",
            "create_time": 1719713130,
        },
        {"video_id": video, "text": "no id", "username": "u3", "create_time": 1719713131},
        {"id": 4, "video_id": video, "text": "when?", "username": "u4", "create_time": "later"},
    ]
    path = tmp_path / "comments.json"
    path.write_text(json.dumps({"data": {"comments": comments, "cursor": 4, "has_more": False}}))
    adapter, _ = sniff_format(path.read_bytes())
    assert adapter is not None and adapter.name == "tiktok_comments"
    (f,) = load(case, path).files
    assert (f.read, f.stored, f.quarantined) == (4, 2, 2)
    top = one(case, "SELECT * FROM posts WHERE post_id = '1'")
    assert (top["kind"], top["text"], top["text_norm"]) == ("comment", "", None)
    assert (top["reply_to_post"], top["venue"]) == (str(video), str(video))
    assert top["reply_count"] == 1
    reply = one(case, "SELECT * FROM posts WHERE post_id = '2'")
    assert (reply["reply_to_post"], reply["conversation_id"]) == ("1", str(video))
    reasons = {r["locator"]: r["reason"] for r in rows(case, "SELECT * FROM quarantine")}
    assert reasons == {"item 2": "missing post id", "item 3": BAD_TIME}


def test_damaged_video_pages(case: Case, tmp_path: Path) -> None:
    videos = [
        {
            "id": 7320768196569599275,
            "username": "ok",
            "create_time": 1704499196,
            "video_description": "#a",
            "hashtag_names": "a string, not a list",
        },
        {"id": 7320768187275005226, "username": {"an": "object"}, "create_time": 1704499194},
        {"id": 7320768169063435566, "create_time": 1704499197, "video_description": "anon"},
        {
            "id": 7320768168811662634,
            "username": "late",
            "create_time": "tomorrow",
            "video_description": "x",
        },
    ]
    text = json.dumps({"data": {"videos": videos, "cursor": 4}, "error": {"code": "ok"}})
    path = tmp_path / "videos.json"
    path.write_text(text)
    (f,) = load(case, path).files
    assert f.format == "tiktok_videos"
    # item 1: an object where the username belongs; item 2 has no username; item 3 no time
    assert (f.read, f.stored, f.quarantined) == (4, 1, 3)
    ok = one(case, "SELECT * FROM posts WHERE account_id = 'ok'")
    assert ok["hashtags"] == []  # a string instead of the hashtag list: no hashtags, no crash
    reasons = {r["locator"]: r["reason"] for r in rows(case, "SELECT * FROM quarantine")}
    assert reasons == {
        "item 1": "username is not a string",
        "item 2": "missing account id",
        "item 3": BAD_TIME,
    }
    # a page cut short: the videos before the cut are kept, the rest quarantined
    cut = tmp_path / "cut.json"
    cut.write_text(text[: text.index('"username": "late"')])
    (f,) = load(case, cut, format="tiktok_videos").files
    assert (f.read, f.quarantined) == (4, 3)
    assert rows(
        case,
        "SELECT reason FROM quarantine WHERE source_file LIKE '%cut.json' AND locator = 'item 3'",
    ) == [{"reason": "malformed JSON document"}]
