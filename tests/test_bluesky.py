"""Bluesky adapters on the real Jetstream and AppView samples, and on damaged records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cibscan.ingest.base import sniff_format
from cibscan.ingest.merge import BAD_TIME
from cibscan.store import Case
from tests.conftest import FORMATS, load, rows

BSKY = FORMATS / "06_bluesky"
EXPECTED = BSKY / "jetstream_expected_v1.jsonl"
GOLDEN = BSKY / "jetstream_golden_v1.jsonl"
VIEWS = BSKY / "twitwi_bluesky-posts.json"


def one(case: Case, sql: str, *params: object) -> dict[str, Any]:
    (row,) = rows(case, sql, *params)
    return row


def post(case: Case, post_id: str) -> dict[str, Any]:
    return one(case, "SELECT * FROM posts WHERE post_id = ?", post_id)


def test_jetstream_counts_and_unsupported_reasons(case: Case) -> None:
    (f,) = load(case, EXPECTED).files
    # README: 152 events; 17 post creates + 15 repost creates are posts, the other 120 (likes,
    # follows, a block, a post delete, statuses, identity, account) are not
    assert (f.format, f.read, f.stored, f.quarantined, f.unsupported) == (
        "bluesky_jetstream",
        152,
        32,
        120,
        120,
    )
    reasons = {
        r["reason"]: r["n"]
        for r in rows(case, "SELECT reason, count(*) AS n FROM quarantine GROUP BY ALL")
    }
    assert reasons["not a post: app.bsky.feed.like create"] == 105
    assert reasons["not a post: app.bsky.feed.post delete"] == 1
    assert reasons["not a post: identity"] == 1  # no handle in it: nothing to keep
    # fm.teal.alpha.actor.status: one shared reason for lexicons outside app.bsky
    teal = one(case, "SELECT * FROM quarantine WHERE detail LIKE 'fm.teal%'")
    assert teal["reason"] == "not a post: non-Bluesky lexicon"
    assert teal["detail"] == "fm.teal.alpha.actor.status update"
    assert teal["severity"] == "unsupported"


def test_jetstream_post_fields_use_server_time_and_facets(case: Case) -> None:
    load(case, EXPECTED)
    # image post: createdAt (client) 14:37:36.557 but time_us 1783175888373482 (server) wins,
    # to the microsecond; the image blob CID is the media hash
    p = post(case, "at://did:plc:6aw7u7xjbaiznddugigmdhvc/app.bsky.feed.post/3mptbxs3hq22j")
    assert p["created_at"] == datetime(2026, 7, 4, 14, 38, 8, 373482, tzinfo=UTC)
    assert p["time_precision"] == "microsecond"
    assert (p["kind"], p["language"], p["platform"]) == ("post", "ru", "bluesky")
    cid = "bafkreicwsq23gkygrgpijv7ocssxdyjokfv3quss3f2dg4csds3jpeqkwe"
    assert p["media"] == [
        {
            "url": "https://cdn.bsky.app/img/feed_fullsize/plain/"
            f"did:plc:6aw7u7xjbaiznddugigmdhvc/{cid}@jpeg",
            "type": "image",
            "hash": cid,
        }
    ]
    # link facet (the text only shows "www.tumblr.com/tempo-tales/...") and two tag facets;
    # langs ["es", "en"]: the first is the language
    p = post(case, "at://did:plc:ynfp6wddjqpl44gordpsqkuw/app.bsky.feed.post/3mptbyo7tas2u")
    assert p["urls"] == [
        "https://www.tumblr.com/tempo-tales/765681292369166336/"
        "behind-them-timmi-and-wankyu-follow-silently-but?source=share"
    ]
    assert p["hashtags"] == ["talesatwonderworld", "balanwonderworldoc"]
    assert p["language"] == "es"
    # the link facet and the link card (embed.external) name the same URL: kept once
    p = post(case, "at://did:plc:dclwtltrt2ggsryagfzk7dp4/app.bsky.feed.post/3mptbyoeyc22k")
    assert p["urls"] == ["https://www.youtube.com/watch?v=V5lDo-jw8mA"]
    assert p["domains"] == ["youtube.com"]
    assert p["text"] == "www.youtube.com/watch?v=V5lD..."


def test_jetstream_replies_threads_reposts_and_profiles(case: Case) -> None:
    load(case, EXPECTED, GOLDEN)
    # a self-thread: the third post replies to the second, both under the first (the root)
    root = "at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.post/3mptbyospqk2i"
    p = post(case, "at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.post/3mptbyoumc22i")
    assert p["kind"] == "reply"
    assert p["reply_to_post"] == (
        "at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.post/3mptbyou7ls2i"
    )
    assert p["reply_to_account"] == "did:plc:u4lmvw4wwzaql3z5kcf3r7h4"
    assert p["conversation_id"] == root
    assert post(case, root)["conversation_id"] == root  # a root is its own conversation
    # golden line 3: a repost record has its own at:// URI; the subject is what it reposts
    r = post(case, "at://did:plc:eizxoqcsvvvarxeb3pjkblrp/app.bsky.feed.repost/3mmoojpbade2i")
    assert r["kind"] == "repost"
    assert r["repost_of_post"] == (
        "at://did:plc:hjloomm2tkve3pmfgbxegl3v/app.bsky.feed.post/3mmood3a6hc25"
    )
    assert r["repost_of_account"] == "did:plc:hjloomm2tkve3pmfgbxegl3v"
    assert r["created_at"] == datetime(2026, 5, 25, 14, 23, 29, 134740, tzinfo=UTC)
    # golden line 5: a profile update is an account snapshot, avatar CID as image hash
    a = one(case, "SELECT * FROM accounts WHERE account_id = 'did:plc:o6t5vwyr7ae73foww7bgye4r'")
    assert a["display_name"] == "Multiversal Lokis Unit🔞"
    assert a["description"].startswith("Damian Lokison, 32, Loki stan")
    avatar = "bafkreieajxclqzwk2mczx7hxmoboqpuiveqlbm35gsda5xlaqfmlryu4ri"
    assert a["profile_image_hash"] == avatar
    assert a["profile_image_url"] == (
        f"https://cdn.bsky.app/img/avatar/plain/did:plc:o6t5vwyr7ae73foww7bgye4r/{avatar}@jpeg"
    )
    assert a["created_at"] == datetime(2026, 2, 14, 23, 48, 34, 991000, tzinfo=UTC)
    assert a["snapshot_at"] == datetime(2026, 5, 25, 14, 23, 30, 689411, tzinfo=UTC)


def test_postviews_counts_server_time_quotes_and_media(case: Case) -> None:
    (f,) = load(case, VIEWS).files
    # 123 items + 2 repost actions (the two #reasonRepost wrappers) = 125 rows; 4 items
    # repeat a post already in the file (items 49/50, 78/79, 84/103, 85/105); item 122 is
    # dated year 0 by both createdAt and indexedAt: an implausible time, so quarantined
    assert (f.format, f.read, f.stored, f.duplicates, f.quarantined) == (
        "bluesky_postviews",
        125,
        120,
        4,
        1,
    )
    bad = one(case, "SELECT reason, locator FROM quarantine")
    assert bad == {"reason": BAD_TIME, "locator": "item 122"}
    # item 25: recordWithMedia = a quote of 3ljfbxhh7ok2b plus a video; a mention, a tag and
    # a link facet; indexedAt 15:06:46.775 (server) rather than createdAt 15:06:45.694
    p = post(case, "at://did:plc:hbbrkyeqnurr25zqve3a5udb/app.bsky.feed.post/3llon4g5lks2h")
    assert p["kind"] == "quote"
    assert p["quote_of_post"] == (
        "at://did:plc:hbbrkyeqnurr25zqve3a5udb/app.bsky.feed.post/3ljfbxhh7ok2b"
    )
    assert p["quote_of_account"] == "did:plc:hbbrkyeqnurr25zqve3a5udb"
    assert p["created_at"] == datetime(2025, 3, 31, 15, 6, 46, 775000, tzinfo=UTC)
    assert p["time_precision"] == "millisecond"
    assert p["mentions"] == ["did:plc:5klvtukw5fucxsrkjldhrjxs"]
    assert p["hashtags"] == ["nonsenseapiexploration"]
    assert p["urls"] == ["https://geocities.restorativland.org/Yosemite/1140/"]
    video = "bafkreifwzliwddqhvmtlioteatw7rlqh744zdj4rkaufbx4rcepwba37ca"
    assert p["media"] == [
        {
            "url": "https://video.bsky.app/watch/did%3Aplc%3Ahbbrkyeqnurr25zqve3a5udb/"
            f"{video}/playlist.m3u8",
            "type": "video",
            "hash": video,
        }
    ]
    assert (p["like_count"], p["repost_count"], p["reply_count"], p["quote_count"]) == (
        0,
        0,
        0,
        1,
    )
    # item 31 (Korben) types "#CSV #Tech #Productivité" without tag facets: read from the text
    k = post(case, "at://did:plc:aru6i7k6wo43msubk6km5td3/app.bsky.feed.post/3lloj4ipqqh27")
    assert k["hashtags"] == ["csv", "tech", "productivité"]
    # item 114: record $type "app.bsky.feed.post#main" with hidden record-level tags
    m = post(case, "at://did:plc:k6acu4chiwkixvdedcmdgmal/app.bsky.feed.post/3lagdncjsu22y")
    assert m["hashtags"] == ["tag1", "tag2"] and m["text"] == "this post should have extra metadata"


def test_postviews_repost_reason_and_author_profiles(case: Case) -> None:
    load(case, VIEWS)
    # item 31 is {post, reason: #reasonRepost by yomguithereal, indexedAt 2025-04-02T17:00:19.684Z}
    uri = "at://did:plc:aru6i7k6wo43msubk6km5td3/app.bsky.feed.post/3lloj4ipqqh27"
    r = one(case, "SELECT * FROM posts WHERE kind = 'repost' AND repost_of_post = ?", uri)
    assert r["post_id"] == f"repost:did:plc:5klvtukw5fucxsrkjldhrjxs:{uri}@2025-04-02T17:00:19.684Z"
    assert r["account_id"] == "did:plc:5klvtukw5fucxsrkjldhrjxs"
    assert r["repost_of_account"] == "did:plc:aru6i7k6wo43msubk6km5td3"
    assert r["created_at"] == datetime(2025, 4, 2, 17, 0, 19, 684000, tzinfo=UTC)
    assert r["source_locator"] == "item 31 reason"
    by = one(case, "SELECT * FROM accounts WHERE account_id = 'did:plc:5klvtukw5fucxsrkjldhrjxs'")
    assert by["handle"] == "yomguithereal.bsky.social"
    assert by["display_name"] == "Guillaume Plique"
    # author: handle, createdAt, avatar URL and its CID, labels as flags
    a = one(case, "SELECT * FROM accounts WHERE account_id = 'did:plc:bg5udl25mvzg3rt7l5n2hzet'")
    assert a["handle"] == "fedi.test.snarfed.org"
    assert a["flags"] == ["bridged-from-bridgy-fed-activitypub"]
    assert a["profile_image_hash"] == "bafkreibs7fzsi2ejadqnptikhkv5klrprdnjpikp5rropgeoj2kgssavea"
    assert a["profile_image_url"].endswith(f"{a['profile_image_hash']}@jpeg")
    assert a["created_at"] == datetime(2024, 4, 14, 22, 2, 4, 453000, tzinfo=UTC)


def _event(did: str, rkey: str, record: Any, **extra: Any) -> str:
    event = {
        "did": did,
        "time_us": 1783175888000001,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
            "record": record,
        },
    }
    event.update(extra)
    return json.dumps(event)


def test_jetstream_damaged_and_unusual_records(case: Case, tmp_path: Path) -> None:
    created = "2026-07-04T14:38:06.240Z"
    no_time = json.loads(
        _event("did:plc:b", "r7", {"text": "no server time", "createdAt": created})
    )
    del no_time["time_us"]
    feed = "at://did:plc:f/app.bsky.feed.generator/whats-hot"
    lines = [
        _event("did:plc:a", "r1", {"text": "fine", "createdAt": created}),
        '{"did":"did:plc:a","time_us":17831758',  # truncated
        _event(None, "r3", {"text": "no did", "createdAt": created}),  # type: ignore[arg-type]
        _event("did:plc:a", "r4", "a string, not a record"),
        _event("did:plc:a", "r5", {"text": "bad times", "createdAt": "soon"}, time_us="later"),
        _event("did:plc:a", "r6", {"text": "nul\u0000inside", "createdAt": created}),
        json.dumps(no_time),
        _event(
            "did:plc:a",
            "r8",
            {
                "text": "feed",
                "embed": {"$type": "app.bsky.embed.record", "record": {"uri": feed, "cid": "x"}},
            },
        ),
        _event(
            "did:plc:a",
            "r9",
            {
                "text": "old blob",
                "embed": {
                    "$type": "app.bsky.embed.images",
                    "images": [
                        {"alt": "", "image": {"cid": "bafkreilegacy", "mimeType": "image/png"}}
                    ],
                },
            },
        ),
        '{"did":"did:plc:h","time_us":1783175888000002,"kind":"identity",'
        '"identity":{"did":"did:plc:h","handle":"new.example.com","seq":1}}',
        "[1, 2]",
        '{"did":"did:plc:a","time_us":1783175888000003,"kind":"commit","commit":"oops"}',
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    adapter, _ = sniff_format(path.read_bytes())
    assert adapter is not None and adapter.name == "bluesky_jetstream"
    (f,) = load(case, path).files
    # stored: r1, r6, r7, r8, r9 and the account of the identity event with a handle
    assert (f.read, f.stored, f.quarantined) == (12, 6, 6)
    reasons = {
        r["locator"]: r["reason"]
        for r in rows(case, "SELECT locator, reason FROM quarantine WHERE severity = 'error'")
    }
    assert reasons == {
        "line 2": "invalid JSON",
        "line 3": "missing post id",
        "line 4": "malformed Jetstream event",
        "line 5": BAD_TIME,
        "line 11": "not a Jetstream event",
        "line 12": "malformed Jetstream event",
    }
    assert post(case, "at://did:plc:a/app.bsky.feed.post/r6")["text"] == "nul\x00inside"
    fallback = post(case, "at://did:plc:b/app.bsky.feed.post/r7")
    assert fallback["created_at"] == datetime(2026, 7, 4, 14, 38, 6, 240000, tzinfo=UTC)
    assert fallback["time_precision"] == "millisecond"
    quoted_feed = post(case, "at://did:plc:a/app.bsky.feed.post/r8")
    assert (quoted_feed["kind"], quoted_feed["quote_of_post"]) == ("post", None)
    legacy = post(case, "at://did:plc:a/app.bsky.feed.post/r9")
    assert [m["hash"] for m in legacy["media"]] == ["bafkreilegacy"]
    handle = one(case, "SELECT handle FROM accounts WHERE account_id = 'did:plc:h'")
    assert handle["handle"] == "new.example.com"


def test_postviews_wrapped_pages_and_damaged_items(case: Case, tmp_path: Path) -> None:
    author = {"did": "did:plc:p", "handle": "p.example.com"}
    good = {
        "uri": "at://did:plc:p/app.bsky.feed.post/ok",
        "author": author,
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "ok",
            "createdAt": "2025-01-01T00:00:00Z",
        },
        "indexedAt": "2025-01-01T00:00:01.000Z",
    }
    fallback = {**good, "uri": "at://did:plc:p/app.bsky.feed.post/fb", "indexedAt": "garbage"}
    no_time = {
        **good,
        "uri": "at://did:plc:p/app.bsky.feed.post/nt",
        "indexedAt": None,
        "record": {"text": "x", "createdAt": "not a date"},
    }
    items = [
        good,
        "just a string",
        {**good, "uri": None},
        {
            "$type": "app.bsky.feed.defs#notFoundPost",
            "uri": "at://did:plc:q/app.bsky.feed.post/gone",
        },
        fallback,
        no_time,
        {"post": good, "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": {}}},
    ]
    path = tmp_path / "search.json"  # a searchPosts response: {"cursor": ..., "posts": [...]}
    path.write_text(json.dumps({"cursor": "10", "hitsTotal": 7, "posts": items}, indent=1))
    adapter, _ = sniff_format(path.read_bytes())
    assert adapter is not None and adapter.name == "bluesky_postviews"
    (f,) = load(case, path).files
    # 7 items + 1 repost row; "ok" stored, its copy in the wrapper a duplicate, "fb" stored
    assert (f.read, f.stored, f.duplicates, f.quarantined, f.unsupported) == (8, 2, 1, 5, 1)
    got = {
        r["locator"]: (r["reason"], r["severity"])
        for r in rows(case, "SELECT locator, reason, severity FROM quarantine")
    }
    assert got == {
        "item 1": ("record is not an object", "error"),
        "item 2": ("missing post id", "error"),
        "item 3": ("post not found or blocked", "unsupported"),
        "item 5": (BAD_TIME, "error"),
        "item 6 reason": ("missing post id", "error"),  # the reposter has no DID
    }
    fb = post(case, "at://did:plc:p/app.bsky.feed.post/fb")
    assert fb["created_at"] == datetime(2025, 1, 1, tzinfo=UTC)  # record.createdAt fallback

    # a document cut short keeps the items before the break and quarantines the rest
    cut = tmp_path / "cut.json"
    text = json.dumps([good, {**good, "uri": "at://did:plc:p/app.bsky.feed.post/two"}])
    cut.write_text(text[: len(text) - 40])
    (f,) = load(case, cut, format="bluesky_postviews").files
    assert (f.read, f.duplicates, f.quarantined) == (2, 1, 1)
    assert one(case, "SELECT reason FROM quarantine WHERE source_file LIKE '%cut.json'") == {
        "reason": "malformed JSON document"
    }
