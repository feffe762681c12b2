"""What one published indicator value is: defanged forms undone, accounts told from URLs.

Platforms publish indicators defanged (``hxxps://twitter[.]com/Name``) and mixed with prose,
counts and hashes. :func:`classify` turns one cell into draft indicators or a rejection
reason; :func:`normalise` brings drafts to the case's own normal forms (the ingest macros,
one in-memory DuckDB query a batch). The readers of :mod:`cibscan.match.indicators` call
these for every row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TYPES = ("handle", "account_id", "url", "domain", "text")
#: spellings of platforms in STIX account types, plain lists and procedures -> cibscan names
PLATFORM_ALIASES = {
    "x": "twitter",
    "twitter": "twitter",
    "x/twitter": "twitter",
    "facebook": "facebook",
    "fb": "facebook",
    "instagram": "instagram",
    "youtube": "youtube",
    "tiktok": "tiktok",
    "telegram": "telegram",
    "reddit": "reddit",
    "bluesky": "bluesky",
    "bsky": "bluesky",
    "mastodon": "mastodon",
    "medium": "medium",
    "tumblr": "tumblr",
    "vk": "vk",
}
COUNT_REASON = "a count, not an indicator"


# --- defanging ---------------------------------------------------------------------------

_REFANG = (
    (re.compile(r"\bhxxp(s?)", re.I), r"http\1"),
    (re.compile(r"\bhtps?(?=\[?:)", re.I), lambda m: "http" + m.group(0)[3:]),
    (re.compile(r"\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}", re.I), "."),
    (re.compile(r"\[:\]|\[://\]|\{:\}|\(:\)"), lambda m: m.group(0)[1:-1]),
    (re.compile(r"\[/\]"), "/"),
    (re.compile(r"\[\s*(?:@|at)\s*\]|\(\s*at\s*\)", re.I), "@"),
)


def refang(text: str) -> str:
    """Undo the usual defanging: hxxp(s), [.], (.), {.}, [dot], [:], {:}, [://], [/], [at]."""
    out = text.strip()
    for pattern, repl in _REFANG:
        out = pattern.sub(repl, out)
    return out


# --- handle shapes -----------------------------------------------------------------------

_SHAPE_TOKENS = re.compile(r"[A-Z]+|[a-z]+|[0-9]+|[^A-Za-z0-9]")
#: the same shape in SQL, applied to a handle column (see handle_shape)
SHAPE_SQL = (
    "array_to_string(list_transform(regexp_extract_all({h}, '[A-Z]+|[a-z]+|[0-9]+|[^A-Za-z0-9]'),"
    " lambda t: CASE WHEN regexp_full_match(t, '[A-Z]+') THEN CASE WHEN length(t) = 1 "
    "THEN 'A' ELSE 'A+' END WHEN regexp_full_match(t, '[a-z]+') THEN 'a+' "
    "WHEN regexp_full_match(t, '[0-9]+') THEN '9{{' || length(t) || '}}' ELSE t END), '')"
)


def handle_shape(handle: str) -> str:
    """The formula a handle follows: ``ZoeRich28859010`` -> ``Aa+Aa+9{8}``.

    Letter runs lose their length (names vary), digit runs keep it (operators' generators
    append a fixed number of digits), other characters stay as they are. SHAPE_SQL computes
    the same in the engine, so that the accounts of a case are shaped without Python.
    """
    parts = []
    for token in _SHAPE_TOKENS.findall(handle.lstrip("@")):
        if token.isascii() and token.isupper():
            parts.append("A" if len(token) == 1 else "A+")
        elif token.isascii() and token.islower():
            parts.append("a+")
        elif token.isascii() and token.isdigit():
            parts.append(f"9{{{len(token)}}}")
        else:
            parts.append(token)
    return "".join(parts)


# --- classification of one value ---------------------------------------------------------

_COUNT = re.compile(
    r"^(?:about|approximately|approx\.?|around|over|nearly|almost|more than|fewer than|"
    r"less than|under|~|>|<)?\s*\d[\d,. ]*\+?\s+[A-Za-z]",
    re.I,
)
_HASH = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$", re.I)
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$")
_EMAIL = re.compile(r"^[^\s@/]+@[^\s@/]+\.[a-z]{2,}$", re.I)
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]\.?$", re.I)
_URLISH = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)|^[^\s/]+\.[a-z]{2,}/\S*$", re.I)
_HANDLE = re.compile(r"^@?[\w.-]{1,64}$")
_PLATFORM_WORDS = (
    ("twitter", "twitter"),
    ("x /", "twitter"),
    ("x/", "twitter"),
    ("facebook", "facebook"),
    ("instagram", "instagram"),
    ("youtube", "youtube"),
    ("tiktok", "tiktok"),
    ("telegram", "telegram"),
    ("reddit", "reddit"),
)
#: first path segments of twitter.com / facebook.com that are not accounts
_NOT_ACCOUNTS = {
    "twitter": {"i", "home", "search", "hashtag", "intent", "share", "explore", "settings"},
    "facebook": {
        "groups", "events", "watch", "share", "sharer", "sharer.php", "photo.php", "photo",
        "story.php", "permalink.php", "hashtag", "marketplace", "pages", "help", "ads",
    },
}  # fmt: skip


def platform_of_host(host: str) -> str | None:
    """The platform of a URL host, or None for an ordinary website."""
    h = host.lower().removeprefix("www.").removeprefix("m.").removeprefix("mobile.")
    table = {
        "twitter.com": "twitter",
        "x.com": "twitter",
        "facebook.com": "facebook",
        "fb.com": "facebook",
        "instagram.com": "instagram",
        "youtube.com": "youtube",
        "tiktok.com": "tiktok",
        "t.me": "telegram",
        "telegram.me": "telegram",
        "reddit.com": "reddit",
        "old.reddit.com": "reddit",
        "medium.com": "medium",
        "tumblr.com": "tumblr",
        "bsky.app": "bluesky",
        "vk.com": "vk",
    }
    if h in table:
        return table[h]
    if h.endswith(".medium.com"):
        return "medium"
    if h.endswith(".tumblr.com"):
        return "tumblr"
    return None


def account_of_url(url: str) -> tuple[str, str, str] | None:
    """(type, value, platform) when a URL names an account (not a post), else None."""
    m = re.match(r"^(?:[a-z][a-z0-9+.-]*://)?([^/?#]+)([^?#]*)(\?[^#]*)?", url.strip(), re.I)
    if not m:
        return None
    host = m.group(1).lower().rsplit("@", 1)[-1].split(":")[0]
    platform = platform_of_host(host)
    if platform is None:
        return None
    segs = [s for s in m.group(2).split("/") if s]
    query = m.group(3) or ""
    first = segs[0] if segs else ""
    bare = host.removeprefix("www.")
    if platform in ("medium", "tumblr") and bare.count(".") == 2 and bare not in (
        "medium.com", "tumblr.com"):  # fmt: skip
        sub = bare.split(".")[0]
        return None if segs else ("handle", sub.lower(), platform)
    if platform == "facebook":
        ident = re.search(r"(?:^|[?&])id=(\d+)", query)
        if first == "profile.php" and ident:
            return ("account_id", ident.group(1), platform)
        if first == "people" and len(segs) >= 3 and segs[2].isdigit():
            return ("account_id", segs[2], platform)
    if platform == "youtube":
        if first in ("channel",) and len(segs) == 2:
            return ("account_id", segs[1], platform)
        if first in ("c", "user") and len(segs) == 2:
            return ("handle", segs[1].lower(), platform)
    if platform == "reddit" and first in ("user", "u") and len(segs) == 2:
        return ("handle", segs[1].lower(), platform)
    if platform == "bluesky" and first == "profile" and len(segs) == 2:
        return ("handle", segs[1].lower(), platform)
    if platform == "telegram" and first == "s" and len(segs) == 2:
        return ("handle", segs[1].lower(), platform)
    if platform == "tumblr" and first == "blog" and segs[1:2] == ["view"] and len(segs) == 3:
        return ("handle", segs[2].lower(), platform)
    if len(segs) != 1:
        return None
    name = first
    if platform in ("youtube", "tiktok", "medium"):
        if not name.startswith("@"):
            return None
    elif platform == "facebook" and query:
        return None
    if name.lower() in _NOT_ACCOUNTS.get(platform, set()) or name.startswith("+"):
        return None
    if platform in ("reddit", "bluesky"):
        return None  # reddit.com/r/x, bsky.app/x: not accounts
    if platform == "telegram" and name.lower() == "joinchat":
        return None
    if platform == "vk" and re.fullmatch(r"id\d+", name):
        return ("account_id", name[2:], platform)
    handle = name.lstrip("@").lower()
    return ("handle", handle, platform) if handle else None


def _procedure_platform(procedure: str) -> str | None:
    p = procedure.lower()
    for word, platform in _PLATFORM_WORDS:
        if word in p:
            return platform
    return None


@dataclass(frozen=True)
class Draft:
    """An indicator before URL/text normalisation (which runs in DuckDB, in one batch)."""

    type: str
    value: str
    platform: str | None


def classify(value: str, *, context: str = "", plain: bool = False) -> list[Draft] | str:
    """The indicators one written value gives, or the reason it gives none.

    ``context`` is what the file says about the row (a Meta procedure such as "0.6.2
    Acquiring domains ..." or "0.9.4 Acquiring X / Twitter accounts"): a URL on a domain row
    is a domain, a bare name on an accounts row of a platform is a handle there, and prose
    on a posting row of "6. Indiscriminate engagement" is a verbatim post text.
    """
    written = value.strip()
    if not written:
        return "empty"
    v = _strip_note(refang(written))
    ctx = context.lower()
    domain_row = "domain" in ctx and "email" not in ctx
    if _COUNT.match(v) and len(v.split()) <= 12 and not _URLISH.match(v):
        return COUNT_REASON
    if " " not in v and _HASH.match(v):
        return "a file hash, not a supported indicator type"
    if _IP.match(v):
        return "an IP address, not a supported indicator type"
    if _EMAIL.match(v) or (not plain and re.search(r"\[at\]|\(at\)", written, re.I)):
        return "an email address, not a supported indicator type"
    if " " not in v and _URLISH.match(v) and not _DOMAIN.match(v.rstrip("/")):
        acct = account_of_url(v)
        if acct:
            return [Draft(*acct)]
        host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", v, flags=re.I).split("/")[0]
        host = host.split("?")[0].split("#")[0].rsplit("@", 1)[-1].split(":")[0].lower()
        path = v[v.find(host) + len(host) :] if host in v.lower() else ""
        trivial = path.strip("/") == ""
        out = []
        if domain_row and _DOMAIN.match(host):
            out.append(Draft("domain", host.removeprefix("www."), None))
        if not (domain_row and trivial):
            out.append(Draft("url", v, None))
        return out
    if " " not in v and _DOMAIN.match(v.rstrip("/")):
        d = v.rstrip("/").rstrip(".").lower()
        acct = account_of_url(d)
        if acct:
            return [Draft(*acct)]
        return [Draft("domain", d.removeprefix("www."), None)]
    if plain:
        m = re.fullmatch(r"([A-Za-z]+):(@?)(\S+)", v)
        if m and m.group(1).lower() in PLATFORM_ALIASES:
            platform = PLATFORM_ALIASES[m.group(1).lower()]
            kind = "handle" if m.group(2) else "account_id"
            val = m.group(3).lower() if kind == "handle" else m.group(3)
            return [Draft(kind, val, platform)]
        if re.fullmatch(r"@\S+", v):
            return [Draft("handle", v[1:].lower(), None)]
        if len(v) >= 2 and v[0] == v[-1] == '"':
            return [Draft("text", v[1:-1], None)]
        return 'not a recognisable indicator (URL, domain, @handle, platform:id or "text")'
    account_row = re.search(r"account|channel|page|profile", ctx) and "acquir" in ctx
    named = _procedure_platform(ctx)
    if account_row and named and _HANDLE.match(v) and (v.startswith("@") or " " not in v):
        return [Draft("handle", v.lstrip("@").lower(), named)]
    if v.startswith("#") and " " not in v:
        return "a hashtag, not a supported indicator type"
    if _posting_row(ctx) and not _DESCRIPTION.match(v):
        return [Draft("text", written, None)]
    return "a description, not an indicator"


#: prose that describes behaviour rather than quoting a post
_DESCRIPTION = re.compile(
    r"^(?:(?:the|this|these|its|their|some|many|most) (?:of )?(?:network|operation|campaign|"
    r"cluster|people|individuals|operators?|fake|website|fictitious|accounts?|groups?)\b|"
    r"(?:sharing|shared|share|posting|posted|posts|using|used|creating|created|reusing|"
    r"copying|copied|surrounding|fake accounts)\b)",
    re.I,
)
_NOTE = re.compile(r"^(\S+)\s+(?:\(.*\)|\[.*\])$|^(\S+)\s*\n", re.S)
_URL_START = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def _strip_note(v: str) -> str:
    """A URL or domain with an editor's note after it (``x.com (spoof of y)``, a URL then a
    line of prose), or a URL broken by one or two spaces (PDF line wraps), as the bare URL."""
    m = _NOTE.match(v)
    if m:
        first = m.group(1) or m.group(2)
        if _URLISH.match(first) or _DOMAIN.match(first.rstrip("/")):
            return first
    parts = v.split()
    if _URL_START.match(v) and 1 < len(parts) <= 3 and "/" in parts[0][8:]:
        return "".join(parts)
    return v


def _posting_row(ctx: str) -> bool:
    """A Meta row whose Indicator quotes what the network posted (tactic 6, posting)."""
    return bool(re.match(r"\s*6\b", ctx)) and "posting" in ctx and "hashtag" not in ctx


# --- normalisation (the case's own macros) -----------------------------------------------


def normalise(drafts: list[Draft]) -> list[str | None]:
    """Normalised values, URLs and texts by the ingest macros, in one in-memory query."""
    from cibscan.engine import DuckDBEngine
    from cibscan.ingest.normalize import install_macros

    if not any(d.type in ("url", "text") for d in drafts):
        return [_simple(d) for d in drafts]
    import pyarrow as pa

    engine = DuckDBEngine(None)
    try:
        install_macros(engine)
        table = pa.table(
            {
                "k": pa.array(range(len(drafts)), pa.int64()),
                "type": [d.type for d in drafts],
                "value": [d.value for d in drafts],
            }
        )
        engine.insert_arrow("_drafts", table, temp=True)
        rows = engine.fetchall(
            """SELECT CASE type WHEN 'url' THEN cib_norm_url(value)
                                WHEN 'text' THEN cib_text_norm(value) END
               FROM _drafts ORDER BY k"""
        )
    finally:
        engine.close()
    return [
        r[0] if d.type in ("url", "text") else _simple(d) for d, r in zip(drafts, rows, strict=True)
    ]


def _simple(d: Draft) -> str | None:
    if d.type == "handle":
        return d.value.lstrip("@").lower() or None
    if d.type == "domain":
        return d.value.lower().removeprefix("www.").rstrip(".") or None
    return d.value.strip() or None
