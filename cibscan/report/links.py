"""Permalinks to posts and accounts on their platforms, where the case's ids allow.

An id makes a link only when it is the platform's own: the ingest run that stored the platform
must come from a platform-native format (a Twitter API page, a Pushshift dump, a YouTube API
response...) and not be pseudonymised, and the id must have the platform's shape (digits for
an X id, ``UC`` + 22 characters for a YouTube channel, ``at://`` for Bluesky). Anonymised
research sets such as CooRTweet's (``tw_52785``, post ids counted from 1) get no links: a link
built from them would lead to someone else's post. Ids are written by the platforms, but the
case may be hostile, so every link is built from a checked pattern and an https prefix, and
the template escapes it like any other value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

#: ingest formats whose ids are the platform's own (prefixes of ``ingest_runs.format``)
NATIVE_FORMATS = (
    "twitter_v1",
    "twitter_v2",
    "twitter_io",
    "reddit_pushshift",
    "youtube_",
    "bluesky_",
    "mastodon",
    "tiktok_",
    "crowdtangle_",
)

_DIGITS = re.compile(r"[0-9]{1,20}")
_TW_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
_REDDIT_NAME = re.compile(r"[A-Za-z0-9_-]{3,20}")
_REDDIT_ID = re.compile(r"t([13])_([a-z0-9]{1,12})")
_YT_CHANNEL = re.compile(r"UC[A-Za-z0-9_-]{22}")
_YT_VIDEO = re.compile(r"[A-Za-z0-9_-]{11}")
_YT_COMMENT = re.compile(r"[A-Za-z0-9_.-]{10,80}")
_BSKY_DID = re.compile(r"did:(plc:[a-z2-7]{24}|web:[A-Za-z0-9.-]{1,200})")
_BSKY_POST = re.compile(
    r"at://(did:[a-z]+:[A-Za-z0-9.:-]{1,200})/app\.bsky\.feed\.post/([a-z2-7]{13})"
)
_HTTPS_URL = re.compile(r"https://[A-Za-z0-9.-]{1,200}/[A-Za-z0-9_@./%-]{1,300}")
_FB_POST = re.compile(r"[0-9]{1,20}(_[0-9]{1,20})?")
_TIKTOK_HANDLE = re.compile(r"[A-Za-z0-9_.]{2,24}")


def linkable_platforms(formats: Iterable[tuple[str, str, bool]]) -> set[str]:
    """The platforms whose every ingest run is native and not pseudonymised, from
    ``(platform, format, pseudonymized)`` rows of ``ingest_runs``."""
    ok: dict[str, bool] = {}
    for platform, fmt, pseudonymized in formats:
        native = bool(fmt) and fmt.startswith(NATIVE_FORMATS) and not pseudonymized
        ok[platform] = ok.get(platform, True) and native
    return {p for p, good in ok.items() if good}


def account_url(platform: str, account_id: str | None, handle: str | None) -> str | None:
    """The account's page, or None when its ids do not allow one."""
    aid, name = account_id or "", handle or ""
    if platform == "twitter":
        if _DIGITS.fullmatch(aid):
            return f"https://x.com/i/user/{aid}"
        return f"https://x.com/{name}" if _TW_HANDLE.fullmatch(name) else None
    if platform == "reddit":
        user = name or aid
        return f"https://www.reddit.com/user/{user}" if _REDDIT_NAME.fullmatch(user) else None
    if platform == "youtube":
        return f"https://www.youtube.com/channel/{aid}" if _YT_CHANNEL.fullmatch(aid) else None
    if platform == "bluesky":
        return f"https://bsky.app/profile/{aid}" if _BSKY_DID.fullmatch(aid) else None
    if platform == "tiktok":
        return f"https://www.tiktok.com/@{name}" if _TIKTOK_HANDLE.fullmatch(name) else None
    if platform == "facebook":
        return f"https://www.facebook.com/{aid}" if _DIGITS.fullmatch(aid) else None
    return None


def post_url(
    platform: str,
    post_id: str | None,
    *,
    venue: str | None = None,
    conversation: str | None = None,
    handle: str | None = None,
) -> str | None:
    """The post's page, or None. ``venue`` is the video of a YouTube comment and
    ``conversation`` the submission (``t3_``) of a Reddit comment."""
    pid = post_id or ""
    if platform == "twitter":
        return f"https://x.com/i/status/{pid}" if _DIGITS.fullmatch(pid) else None
    if platform == "reddit":
        found = _REDDIT_ID.fullmatch(pid)
        if found is None:
            return None
        if found.group(1) == "3":
            return f"https://www.reddit.com/comments/{found.group(2)}"
        thread = _REDDIT_ID.fullmatch(conversation or "")
        if thread is None or thread.group(1) != "3":
            return None
        return f"https://www.reddit.com/comments/{thread.group(2)}/_/{found.group(2)}"
    if platform == "youtube":
        if _YT_VIDEO.fullmatch(pid):
            return f"https://www.youtube.com/watch?v={pid}"
        video = venue or ""
        if _YT_VIDEO.fullmatch(video) and _YT_COMMENT.fullmatch(pid):
            return f"https://www.youtube.com/watch?v={video}&lc={quote(pid)}"
        return None
    if platform == "bluesky":
        post = _BSKY_POST.fullmatch(pid)
        if post is None:
            return None
        return f"https://bsky.app/profile/{post.group(1)}/post/{post.group(2)}"
    if platform == "mastodon":
        return pid if _HTTPS_URL.fullmatch(pid) else None
    if platform == "tiktok":
        name = handle or ""
        if _DIGITS.fullmatch(pid) and _TIKTOK_HANDLE.fullmatch(name):
            return f"https://www.tiktok.com/@{name}/video/{pid}"
        return None
    if platform == "facebook":
        return f"https://www.facebook.com/{pid}" if _FB_POST.fullmatch(pid) else None
    return None


def anchor(prefix: str, *parts: object) -> str:
    """An element id for the page: ``a-twitter-123``. Characters outside ``[A-Za-z0-9_.-]``
    become ``~hex`` so that any account id (spaces, quotes, markup) gives a valid, unique id
    that the link's fragment matches byte for byte; a very long one becomes a digest."""
    import hashlib

    raw = "-".join(str(p) for p in parts)
    slug = "".join(
        c if c.isascii() and (c.isalnum() or c in "_.-") else f"~{ord(c):x}" for c in raw
    )
    if len(slug) > 96:
        slug = "h" + hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{prefix}-{slug}"
