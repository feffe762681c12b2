"""YouTube Data API v3 adapters on the real python-youtube responses, and on damaged items."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cibscan.ingest.base import sniff_format
from cibscan.ingest.merge import BAD_TIME
from cibscan.store import Case
from tests.conftest import FORMATS, load, rows

YT = FORMATS / "08_youtube_v3"
TO_ME = YT / "python-youtube_comment_threads_all_to_me.json"
BY_VIDEO = YT / "python-youtube_comment_threads_by_video_paged_1.json"
CHART_1 = YT / "python-youtube_videos_chart_paged_1.json"
CHART_2 = YT / "python-youtube_videos_chart_paged_2.json"


def one(case: Case, sql: str, *params: object) -> dict[str, Any]:
    (row,) = rows(case, sql, *params)
    return row


def post(case: Case, post_id: str) -> dict[str, Any]:
    return one(case, "SELECT * FROM posts WHERE post_id = ?", post_id)


def test_every_response_is_sniffed_and_counted(case: Case) -> None:
    report = load(case, TO_ME, BY_VIDEO, CHART_1, CHART_2)
    got = [(f.format, f.read, f.stored, f.quarantined) for f in report.files]
    assert got == [
        ("youtube_comment_threads", 4, 4, 0),  # 4 threads, no embedded replies
        ("youtube_comment_threads", 5, 5, 0),
        ("youtube_videos", 5, 5, 0),
        ("youtube_videos", 3, 3, 0),
    ]


def test_comments_reply_to_their_video_and_its_channel(case: Case) -> None:
    load(case, TO_ME, BY_VIDEO)
    # by_video item 0: textOriginal "Google.com"; textDisplay links it to http://google.com/
    c = post(case, "UgyZ1jqkHKYvi1-ruOZ4AaABAg")
    assert (c["kind"], c["text"], c["account_id"]) == (
        "comment",
        "Google.com",
        "UCzj-CjKYmGlZ7vTL-vOe57A",
    )
    assert c["urls"] == ["http://google.com/"]
    assert (c["reply_to_post"], c["venue"]) == ("F1UP7wRCPH8", "F1UP7wRCPH8")
    assert c["reply_to_account"] is None  # the by-video response names no channel
    assert c["conversation_id"] == "UgyZ1jqkHKYvi1-ruOZ4AaABAg"  # the thread id
    assert c["created_at"] == datetime(2019, 11, 26, 15, 51, 44, tzinfo=UTC)
    assert c["time_precision"] == "second"
    # all_to_me item 0: a comment on video JE8xdDp5B8Q of channel UCa-vrCLQHviTOVnEKDOdetQ
    v = post(case, "UgyWeTdgc4sc1xgmbld4AaABAg")
    assert (v["reply_to_post"], v["reply_to_account"]) == (
        "JE8xdDp5B8Q",
        "UCa-vrCLQHviTOVnEKDOdetQ",
    )
    # all_to_me item 3: a channel-level thread (no videoId) with totalReplyCount 1
    ch = post(case, "UgwSRpgkjCe6OHHe3IJ4AaABAg")
    assert ch["reply_to_post"] is None and ch["text"] == "中午吃啥"
    assert ch["venue"] == ch["reply_to_account"] == "UCa-vrCLQHviTOVnEKDOdetQ"
    assert ch["reply_count"] == 1
    # by_video item 4: "#ChromeDevSummit" and "#chromedevsummit": one hashtag
    assert post(case, "UgwI_ylXVnzPS8Q-oAV4AaABAg")["hashtags"] == ["chromedevsummit"]
    a = one(case, "SELECT * FROM accounts WHERE account_id = 'UCupGECpPBlTnanhGHLe6GpA'")
    assert (a["display_name"], a["handle"]) == ("杨佳名", None)  # 2019: a name, no @handle
    assert a["url"] == "http://www.youtube.com/channel/UCupGECpPBlTnanhGHLe6GpA"
    assert a["n_posts"] == 2


def test_videos_without_statistics(case: Case) -> None:
    load(case, CHART_1, CHART_2)
    v = post(case, "hDeuSfo_Ys0")
    assert v["account_id"] == "UCWwWOFsW68TqXE-HZLC3WIA" and v["kind"] == "post"
    assert v["text"].startswith('GIDDY UP ( OFFICIAL MUSIC VIDEO )\n\nDownload "Giddy Up"')
    assert v["created_at"] == datetime(2019, 11, 29, 20, 0, 11, tzinfo=UTC)
    assert v["venue"] == "hDeuSfo_Ys0"
    assert v["language"] is None  # no defaultLanguage / defaultAudioLanguage in this item
    # part=snippet,player: no statistics part, so no counts (not zeros)
    assert (v["like_count"], v["reply_count"], v["view_count"]) == (None, None, None)
    assert v["media"] == [
        {
            "url": "https://i.ytimg.com/vi/hDeuSfo_Ys0/hqdefault.jpg",
            "type": "thumbnail",
            "hash": None,
        }
    ]
    assert v["hashtags"][:3] == [
        "the ace family giddy up",
        "ace family giddy up",
        "ace family music",
    ]
    assert v["urls"][:2] == [
        "https://music.apple.com/us/album/giddy-up-single/1488449563?ls=1",
        "http://open.spotify.com/album/3IlcCcQUnB7Stzcgohm9qV",
    ]
    assert "bit.ly" in v["domains"]
    # defaultAudioLanguage en-US; "#ThePrinceFamily" in the description comes before the tags
    p = post(case, "Ukd8dJNBvOA")
    assert p["language"] == "en-US"
    assert p["hashtags"][:2] == ["theprincefamily", "the prince family"]
    a = one(case, "SELECT * FROM accounts WHERE account_id = 'UCWwWOFsW68TqXE-HZLC3WIA'")
    assert a["display_name"] == "The ACE Family"


def _comment(cid: str, author: str | None, **snippet: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "authorDisplayName": "@newstyle",
        "authorChannelUrl": "http://www.youtube.com/@newstyle",
        "videoId": "VID",
        "textDisplay": "hi",
        "textOriginal": "hi",
        "likeCount": 2,
        "publishedAt": "2024-05-01T10:00:00Z",
    }
    if author is not None:
        s["authorChannelId"] = {"value": author}
    s.update(snippet)
    return {"kind": "youtube#comment", "id": cid, "snippet": s}


def test_threads_with_replies_html_only_text_and_damage(case: Case, tmp_path: Path) -> None:
    html = 'see <a href="https://ex.com/a?x=1&amp;y=2">ex.com/a</a><br>#Tag &amp; more'
    thread = {
        "kind": "youtube#commentThread",
        "id": "T1",
        "snippet": {
            "channelId": "CHAN",
            "videoId": "VID",
            "topLevelComment": _comment("T1", "UCtop", textOriginal=None, textDisplay=html),
            "totalReplyCount": 2,
        },
        "replies": {
            "comments": [
                _comment("T1.r1", "UCr1", parentId="T1"),
                _comment("T1.r2", None, parentId="T1"),  # author deleted: no channel id
            ]
        },
    }
    items = [
        thread,
        {"kind": "youtube#commentThread", "id": "T2", "snippet": {"topLevelComment": "oops"}},
        {"kind": "youtube#commentThread", "snippet": {"topLevelComment": _comment("", "UCx")}},
        {
            "kind": "youtube#commentThread",
            "id": "T4",
            "snippet": {"topLevelComment": _comment("T4", "UCy", publishedAt="yesterday")},
        },
    ]
    doc = {"kind": "youtube#commentThreadListResponse", "items": items}
    path = tmp_path / "threads.json"
    path.write_text(json.dumps(doc))
    adapter, _ = sniff_format(path.read_bytes())
    assert adapter is not None and adapter.name == "youtube_comment_threads"
    (f,) = load(case, path).files
    assert (f.read, f.stored, f.quarantined) == (6, 2, 4)
    got = {r["locator"]: r["reason"] for r in rows(case, "SELECT * FROM quarantine")}
    assert got == {
        "item 0 reply T1.r2": "missing account id",
        "item 1": "thread without a top-level comment",
        "item 2": "missing post id",
        "item 3": BAD_TIME,
    }
    top = post(case, "T1")
    # no textOriginal: textDisplay without its HTML; the href target (with &amp; decoded)
    assert top["text"] == "see ex.com/a\n#Tag & more"
    assert top["urls"] == ["https://ex.com/a?x=1&y=2"]
    assert top["hashtags"] == ["tag"]
    assert (top["reply_to_post"], top["reply_to_account"], top["reply_count"]) == (
        "VID",
        "CHAN",
        2,
    )
    reply = post(case, "T1.r1")
    assert (reply["reply_to_post"], reply["reply_to_account"]) == ("T1", "UCtop")
    assert (reply["conversation_id"], reply["venue"]) == ("T1", "VID")
    assert reply["source_locator"] == "item 0 reply T1.r1"
    a = one(case, "SELECT handle, display_name FROM accounts WHERE account_id = 'UCr1'")
    assert a == {"handle": "newstyle", "display_name": None}  # "@newstyle" is a handle


def test_single_items_and_bare_arrays(case: Case, tmp_path: Path) -> None:
    # comments.list gives youtube#comment items (replies with a parentId); one bare video item
    comments = {
        "kind": "youtube#commentListResponse",
        "items": [_comment("C1", "UCa", parentId="P")],
    }
    (tmp_path / "comments.json").write_text(json.dumps(comments))
    video = {
        "kind": "youtube#video",
        "id": "V1",
        "snippet": {
            "publishedAt": "2024-01-01T00:00:00Z",
            "channelId": "UCb",
            "title": "t",
            "description": "",
        },
        "statistics": {"viewCount": "12", "likeCount": "3", "commentCount": "1"},
    }
    (tmp_path / "video.json").write_text(json.dumps(video, indent=2))
    (tmp_path / "videos.json").write_text(json.dumps([{**video, "id": "V2"}]))
    report = load(case, tmp_path)
    assert [(f.format, f.stored) for f in report.files] == [
        ("youtube_comment_threads", 1),
        ("youtube_videos", 1),
        ("youtube_videos", 1),
    ]
    c = post(case, "C1")
    assert (c["reply_to_post"], c["conversation_id"]) == ("P", "P")
    v = post(case, "V1")
    assert v["text"] == "t"  # empty description: no trailing blank lines
    assert (v["view_count"], v["like_count"], v["reply_count"]) == (12, 3, 1)  # string counts
