"""Writers of the image and video platforms' files (see :mod:`cibscan.simulate.visual`).

- ``instagram_mcl.json``: a Meta Content Library API page ``{"data": [...]}`` of Instagram
  posts (``id``, ``creation_time``, ``text``, ``post_owner``, ``statistics``,
  ``multimedia``), with no Facebook-only field, so ``mcl_posts_json`` reads them as
  Instagram. MCL gives images by URL only: the image hash is in the URL's file name, which
  ingest does not read as a hash (Instagram's own CDN names are not content hashes either).
- ``pinterest_zeeschuimer.ndjson``: Zeeschuimer envelopes around Pinterest pin objects; the
  image's ``i.pinimg.com`` file name and ``image_signature`` carry its hash, as real pins do.
- ``tiktok_zeeschuimer.ndjson``: Zeeschuimer envelopes around TikTok web items; the sound is
  ``music.id``.

Each file is written only when its platform has posts, so a default case is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cibscan.simulate.base import Post

_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _envelope(platform: str, item_id: str, data: dict[str, Any], seen: int) -> dict[str, Any]:
    """One Zeeschuimer item; ``seen`` (epoch seconds) is when the browser loaded it."""
    return {
        "nav_index": f"{seen * 1000}:1:0",
        "item_id": item_id,
        "timestamp_collected": seen * 1000,
        "last_updated": seen * 1000,
        "source_platform": platform,
        "source_platform_url": f"https://www.{platform}/",
        "source_url": f"https://www.{platform}/",
        "user_agent": _UA,
        "data": data,
    }


def _lines(path: Path, records: Iterable[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n


def _tags(p: Post) -> str:
    return "".join(f" #{t}" for t in p.hashtags if f"#{t}" not in p.text)


def write_instagram_mcl(posts: list[Post], path: Path) -> int:
    data = []
    for p in posts:
        a, when = p.account, datetime.fromtimestamp(p.t, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
        data.append(
            {
                "id": int(p.post_id),
                "creation_time": when,
                "modified_time": when,
                "text": p.text + _tags(p),
                "lang": p.lang,
                "is_branded_content": False,
                "post_owner": {"id": a.account_id, "name": a.name, "username": a.handle},
                "statistics": {"like_count": 0, "comment_count": 0, "views_count": None},
                "multimedia": [
                    {"type": "photo", "url": f"https://scontent.cdninstagram.com/v/{m}_n.jpg"}
                    for m in p.media
                ],
            }
        )
    doc = {"data": data, "paging": {"cursors": {"after": ""}}}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return len(posts)


def write_pinterest_zs(posts: list[Post], path: Path) -> int:
    def pin(p: Post) -> dict[str, Any]:
        a, image = p.account, p.media[0] if p.media else ""
        url = f"https://i.pinimg.com/originals/{image[:2]}/{image[2:4]}/{image[4:6]}/{image}.jpg"
        return {
            "id": p.post_id,
            "entityId": p.post_id,
            "type": "pin",
            "created_at": datetime.fromtimestamp(p.t, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000"),
            "title": p.text[:100],
            "description": p.text + _tags(p),
            "link": p.urls[0] if p.urls else None,
            "image_signature": image or None,
            "images": {"orig": {"url": url}} if image else {},
            "pinner": {"id": a.account_id, "username": a.handle, "fullName": a.name},
            "board": {"name": "Saved", "url": f"/{a.handle}/saved/"},
        }

    return _lines(path, (_envelope("pinterest.com", p.post_id, pin(p), p.t + 600) for p in posts))


def write_tiktok_zs(posts: list[Post], path: Path) -> int:
    def item(p: Post) -> dict[str, Any]:
        a = p.account
        sound = p.media[0] if p.media else ""
        return {
            "id": p.post_id,
            "desc": p.text + _tags(p),
            "createTime": p.t,
            "author": {"id": a.account_id, "uniqueId": a.handle, "nickname": a.name},
            "textExtra": [{"hashtagName": t, "type": 1} for t in p.hashtags],
            "stats": {"diggCount": 0, "shareCount": 0, "commentCount": 0, "playCount": 0},
            "music": {"id": sound, "title": f"original sound - {a.handle}"},
            "video": {"id": p.post_id},
        }

    return _lines(path, (_envelope("tiktok.com", p.post_id, item(p), p.t + 600) for p in posts))


#: file name and writer of each image/video sink
VISUAL_FILES = {
    "instagram_mcl": ("instagram_mcl.json", write_instagram_mcl),
    "pinterest_zs": ("pinterest_zeeschuimer.ndjson", write_pinterest_zs),
    "tiktok_zs": ("tiktok_zeeschuimer.ndjson", write_tiktok_zs),
}
