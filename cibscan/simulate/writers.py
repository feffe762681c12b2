"""Writers: one per real format, so simulated cases take the same ingest path as real ones.

- ``x_io_tweets.csv``: the X Information Operations archive tweets file (31 columns, newer
  order, minute-precision ``tweet_time``, Python-style list strings). Like the real archive it
  holds only the network the platform took down (here unhashed ids: see docs/simulator.md).
- ``x_v2.jsonl``: twarc2 search output, one API response page of up to 100 tweets a line with
  ``includes.users`` and ``includes.tweets`` (the shape the ``twitter_v2`` adapter reads most
  fully: authors' profiles and the authors of retweeted tweets come from the includes). A
  repost whose original was lost (``Post.ref_missing``) keeps its ``referenced_tweets`` id, as
  the API does, but the original is left out of the page's includes (for every tweet of the
  page that points to it) and named in the page's ``errors`` (resource-not-found).
- Reposts in the IO archive are ``is_retweet`` rows whose text starts ``RT @user:``; a lost
  original leaves ``retweet_tweetid`` and ``retweet_userid`` empty.
- ``reddit.ndjson``: Pushshift objects (submissions and comments), one a line.
- ``youtube.json``: one ``youtube#commentThreadListResponse`` with replies inside threads.
- ``instagram_mcl.json``, ``pinterest_zeeschuimer.ndjson``, ``tiktok_zeeschuimer.ndjson``:
  the image and video platforms, written only when the case has accounts there
  (:mod:`cibscan.simulate.writers_visual`).
- ``truth.csv``: ``platform, account_id, label, network, role``.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cibscan.ingest.twitter_io import IO_TWEET_COLUMNS
from cibscan.simulate.base import Account, Post, Simulation
from cibscan.simulate.writers_visual import VISUAL_FILES

log = logging.getLogger(__name__)

IO_COLUMNS = list(IO_TWEET_COLUMNS)
TRUTH_COLUMNS = ("platform", "account_id", "label", "network", "role")
_PAGE = 100
#: v2 ``referenced_tweets.type`` of each post kind that refers to another post
_REFERENCE = {"repost": "retweeted", "quote": "quoted", "reply": "replied_to"}


def _ts(t: int, fmt: str) -> str:
    return datetime.fromtimestamp(t, UTC).strftime(fmt)


def _iso_ms(t: int) -> str:
    return _ts(t, "%Y-%m-%dT%H:%M:%S.000Z")


def _pylist(items: Iterable[str]) -> str:
    """``['a', 'b']``, as the archive writes list columns."""
    return "[" + ", ".join(f"'{i}'" for i in items) + "]"


def write_io(posts: list[Post], path: Path) -> int:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(IO_COLUMNS)
        for p in posts:
            a, ref = p.account, p.ref
            rt = p.kind == "repost" and ref is not None
            reply = p.kind == "reply" and ref is not None
            quote = p.kind == "quote" and ref is not None
            # a repost whose original was lost keeps is_retweet and its "RT @user:" text
            rt_known = rt and not p.ref_missing
            row = {
                "tweetid": p.post_id,
                "userid": a.account_id,
                "user_display_name": a.name,
                "user_screen_name": a.handle,
                "user_reported_location": a.location,
                "user_profile_description": a.description,
                "user_profile_url": "",
                "follower_count": a.followers,
                "following_count": a.following,
                "account_creation_date": _ts(a.created, "%Y-%m-%d"),
                "account_language": a.lang,
                "tweet_language": p.lang,
                "tweet_text": p.text,
                "tweet_time": _ts(p.t, "%Y-%m-%d %H:%M"),
                "tweet_client_name": p.client,
                "in_reply_to_userid": ref.account.account_id if reply and ref else "",
                "in_reply_to_tweetid": ref.post_id if reply and ref else "",
                "quoted_tweet_tweetid": ref.post_id if quote and ref else "",
                "is_retweet": "True" if rt else "False",
                "retweet_userid": ref.account.account_id if rt_known and ref else "",
                "retweet_tweetid": ref.post_id if rt_known and ref else "",
                "latitude": "",
                "longitude": "",
                "quote_count": 0,
                "reply_count": 0,
                "like_count": 0,
                "retweet_count": 0,
                "hashtags": _pylist(p.hashtags),
                "urls": _pylist(p.urls),
                "user_mentions": _pylist(m.account_id for m in p.mentions),
                "poll_choices": "",
            }
            w.writerow([row[c] for c in IO_COLUMNS])
    return len(posts)


def _v2_user(a: Account) -> dict[str, Any]:
    return {
        "id": a.account_id,
        "username": a.handle,
        "name": a.name,
        "created_at": _iso_ms(a.created),
        "description": a.description,
        "location": a.location,
        "url": "",
        "protected": False,
        "verified": False,
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{a.account_id}/p_normal.jpg",
        "public_metrics": {
            "followers_count": a.followers,
            "following_count": a.following,
            "tweet_count": 0,
            "listed_count": 0,
        },
    }


def _entities(p: Post) -> dict[str, Any]:
    ent: dict[str, Any] = {}
    if p.hashtags:
        ent["hashtags"] = [_span(p.text, f"#{h}", {"tag": h}) for h in p.hashtags]
    if p.urls:
        ent["urls"] = [
            _span(p.text, u, {"url": "https://t.co/" + u[-10:], "expanded_url": u}) for u in p.urls
        ]
    if p.mentions:
        ent["mentions"] = [
            _span(p.text, f"@{m.handle}", {"username": m.handle, "id": m.account_id})
            for m in p.mentions
        ]
    return ent


def _span(text: str, needle: str, extra: dict[str, Any]) -> dict[str, Any]:
    start = max(text.find(needle), 0)
    return {"start": start, "end": start + len(needle), **extra}


def _v2_tweet(p: Post) -> dict[str, Any]:
    tw: dict[str, Any] = {
        "id": p.post_id,
        "text": p.text,
        "author_id": p.account.account_id,
        "created_at": _iso_ms(p.t),
        "conversation_id": p.post_id,
        "edit_history_tweet_ids": [p.post_id],
        "lang": p.lang,
        "source": p.client,
        "possibly_sensitive": False,
        "reply_settings": "everyone",
        "public_metrics": {
            "retweet_count": 0,
            "reply_count": 0,
            "like_count": 0,
            "quote_count": 0,
        },
    }
    if p.ref is not None:
        tw["referenced_tweets"] = [{"type": _REFERENCE[p.kind], "id": p.ref.post_id}]
        if p.kind == "reply":
            tw["in_reply_to_user_id"] = p.ref.account.account_id
            tw["conversation_id"] = p.ref.post_id
    ent = _entities(p)
    if ent:
        tw["entities"] = ent
    return tw


def write_v2(posts: list[Post], path: Path, retrieved: int) -> int:
    with path.open("w", encoding="utf-8") as f:
        for i in range(0, len(posts), _PAGE):
            page = posts[i : i + _PAGE]
            users: dict[str, Account] = {}
            refs: dict[str, Post] = {}
            # an original lost to the collection is absent from the includes of its page,
            # whichever tweet (repost, quote, reply) points to it
            lost = list(dict.fromkeys(p.ref.post_id for p in page if p.ref and p.ref_missing))
            for p in page:
                users.setdefault(p.account.account_id, p.account)
                if p.ref is not None and p.ref.post_id not in lost:
                    refs.setdefault(p.ref.post_id, p.ref)
                    users.setdefault(p.ref.account.account_id, p.ref.account)
                for m in p.mentions:
                    users.setdefault(m.account_id, m)
            doc: dict[str, Any] = {
                "data": [_v2_tweet(p) for p in reversed(page)],  # newest first, as search
                "includes": {
                    "users": [_v2_user(u) for u in users.values()],
                    "tweets": [_v2_tweet(r) for r in refs.values()],
                },
                "meta": {
                    "newest_id": page[-1].post_id,
                    "oldest_id": page[0].post_id,
                    "result_count": len(page),
                },
                "__twarc": {
                    "url": "https://api.twitter.com/2/tweets/search/all?query=simulated",
                    "version": "2.14.0",
                    "retrieved_at": _ts(retrieved, "%Y-%m-%dT%H:%M:%S+00:00"),
                },
            }
            if lost:  # the API's partial error for each original it could not return
                doc["errors"] = [_not_found(i) for i in lost]
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return len(posts)


def _not_found(tweet_id: str) -> dict[str, str]:
    """The v2 ``errors`` entry for a referenced tweet that is deleted or withheld."""
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with referenced_tweets.id: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "referenced_tweets.id",
        "resource_id": tweet_id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def write_reddit(posts: list[Post], path: Path) -> int:
    with path.open("w", encoding="utf-8") as f:
        for p in posts:
            a = p.account
            rec: dict[str, Any] = {
                "author": a.handle,
                "author_created_utc": a.created,
                "author_fullname": "t2_" + a.account_id.lower()[:8],
                "created_utc": p.t,
                "id": p.post_id,
                "retrieved_on": p.t + 86400 * 30,
                "score": 1,
                "subreddit": p.venue,
                "subreddit_id": "t5_2qh1" + str(len(p.venue) % 10),
            }
            if p.kind == "comment" and p.ref is not None:
                link = p.ref if p.ref.kind == "submission" else p.ref.ref or p.ref
                prefix = "t3_" if p.ref.kind == "submission" else "t1_"
                rec |= {
                    "body": p.text,
                    "link_id": f"t3_{link.post_id}",
                    "parent_id": f"{prefix}{p.ref.post_id}",
                    "permalink": f"/r/{p.venue}/comments/{link.post_id}/_/{p.post_id}/",
                }
            else:
                url = p.urls[0] if p.urls else ""
                perm = f"/r/{p.venue}/comments/{p.post_id}/"
                rec |= {
                    "title": p.title,
                    "selftext": "" if url else p.text,
                    "is_self": not url,
                    "url": url or f"https://www.reddit.com{perm}",
                    "domain": url.split("/")[2] if url else f"self.{p.venue}",
                    "num_comments": 0,
                    "permalink": perm,
                    "full_link": f"https://www.reddit.com{perm}",
                }
            f.write(json.dumps(dict(sorted(rec.items())), ensure_ascii=False) + "\n")
    return len(posts)


def _yt_comment(p: Post, video: str, parent: str | None) -> dict[str, Any]:
    a = p.account
    s: dict[str, Any] = {
        "authorDisplayName": f"@{a.handle}",
        "authorProfileImageUrl": f"https://yt3.ggpht.com/ytc/{a.account_id[2:14]}=s48",
        "authorChannelUrl": f"http://www.youtube.com/@{a.handle}",
        "authorChannelId": {"value": a.account_id},
        "videoId": video,
        "textDisplay": p.text,
        "textOriginal": p.text,
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 0,
        "publishedAt": _ts(p.t, "%Y-%m-%dT%H:%M:%SZ"),
        "updatedAt": _ts(p.t, "%Y-%m-%dT%H:%M:%SZ"),
    }
    if parent:
        s["parentId"] = parent
    return {"kind": "youtube#comment", "etag": p.post_id[2:14], "id": p.post_id, "snippet": s}


def write_youtube(posts: list[Post], path: Path, owners: dict[str, str]) -> int:
    replies: dict[str, list[Post]] = {}
    tops = []
    for p in posts:
        if p.ref is not None:
            replies.setdefault(p.ref.post_id, []).append(p)
        else:
            tops.append(p)
    items = []
    for top in tops:
        kids = replies.get(top.post_id, [])
        item: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": top.post_id[2:14],
            "id": top.post_id,
            "snippet": {
                "channelId": owners.get(top.venue, ""),
                "videoId": top.venue,
                "topLevelComment": _yt_comment(top, top.venue, None),
                "canReply": True,
                "totalReplyCount": len(kids),
                "isPublic": True,
            },
        }
        if kids:
            item["replies"] = {"comments": [_yt_comment(k, top.venue, top.post_id) for k in kids]}
        items.append(item)
    doc = {
        "kind": "youtube#commentThreadListResponse",
        "etag": "simulated",
        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        "items": items,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return len(posts)


def write_truth(sim: Simulation, path: Path) -> int:
    rows = sim.truth_rows()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=TRUTH_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return len(rows)


def write(sim: Simulation, out_dir: str | Path) -> dict[str, int]:
    """Write every file of ``sim`` into ``out_dir``; returns records written per file."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    by_sink: dict[str, list[Post]] = {"x_io": [], "x_v2": [], "reddit": [], "youtube": []}
    for p in sim.posts:
        by_sink.setdefault(p.account.sink, []).append(p)
    written = {
        "x_io_tweets.csv": write_io(by_sink["x_io"], out / "x_io_tweets.csv"),
        "x_v2.jsonl": write_v2(by_sink["x_v2"], out / "x_v2.jsonl", sim.end),
        "reddit.ndjson": write_reddit(by_sink["reddit"], out / "reddit.ndjson"),
        "youtube.json": write_youtube(by_sink["youtube"], out / "youtube.json", sim.video_owners),
    }
    for sink, (name, writer) in VISUAL_FILES.items():
        if by_sink.get(sink):
            written[name] = writer(by_sink[sink], out / name)
    written["truth.csv"] = write_truth(sim, out / "truth.csv")
    log.info("wrote %s to %s", written, out)
    return written
