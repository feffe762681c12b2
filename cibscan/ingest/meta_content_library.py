"""Meta Content Library (MCL): Facebook and Instagram posts, the successor of CrowdTangle.

The Content Library API (and the Researcher Platform's Python/R clients) returns post objects
with ``id``, ``creation_time``, ``modified_time``, ``text``, ``lang``, ``post_owner`` (``id``,
``name``, ``username``, ``type``), ``statistics`` (``like_count``, ``comment_count``,
``share_count``, ``views_count`` and, on Facebook, the reaction counts), ``multimedia``,
``mcl_url``, ``is_branded_content`` and, on Facebook, ``surface`` (the page, group or event
posted in), ``link_attachment`` and ``shared_post_id``. Saved as a JSON array or an API page
(``{"data": [...]}``): ``mcl_posts_json``; flattened to a table with dotted column names
(``post_owner.id``, ``statistics.like_count``: what ``pandas.json_normalize`` and the
clients' data frames write): ``mcl_posts_csv``.

Oddities:

- ``id`` is the *Content Library* id, not the platform's post id (an Instagram shortcode, a
  Facebook ``pageid_postid``): the same post collected with Zeeschuimer or CrowdTangle is
  another post here. Accounts are keyed by ``post_owner.id``.
- Nothing in a post names its platform. A ``platform`` field (added by many collection
  scripts) decides when present; otherwise a post is Facebook when it has a Facebook-only
  field (``surface``, ``link_attachment``, ``shared_post_id``, a reaction count other than
  likes, ``post_owner.type``) and Instagram when it has none, or when its ``mcl_url`` or
  owner link names instagram.com.
- ``text`` excludes tags (Meta's dictionary says so): mentions are only the ``@names`` typed.
- A Facebook share (``shared_post_id``) with text of its own is a quote of the shared post;
  without text, a repost of it.
- ``multimedia`` is a list of ``{type, url}`` objects, or that list as JSON text in a CSV.
"""

from __future__ import annotations

from collections.abc import Callable

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import csv_score, text_head

_URL_RE = r"""'https?://[^\s<>"]+[^\s<>".,;:!?)\]]'"""
_TAG_RE = r"'(?:^|\s)[#＃]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)'"
_MENTION_RE = r"'(?:^|[^\w.])@([A-Za-z0-9_.]+)'"
_FACEBOOK_ONLY = (
    "surface.id",
    "link_attachment.link",
    "shared_post_id",
    "statistics.love_count",
    "statistics.haha_count",
    "statistics.wow_count",
    "statistics.angry_count",
    "statistics.sad_count",
    "statistics.care_count",
    "post_owner.type",
)
#: every field read (the CSV adapter's columns)
FIELDS = (
    "id",
    "platform",
    "creation_time",
    "text",
    "lang",
    "mcl_url",
    "multimedia",
    "post_owner.id",
    "post_owner.name",
    "post_owner.username",
    "statistics.like_count",
    "statistics.comment_count",
    "statistics.share_count",
    "statistics.views_count",
    *(f for f in _FACEBOOK_ONLY if f != "shared_post_id"),
    "shared_post_id",
)


def _mcl_sql(stream: str, get: Callable[[str], str], media: str) -> str:
    """One SELECT over ``stream``; ``get(field)`` is the text of a dotted field in a record,
    ``media`` the multimedia entries as a JSON list."""
    facebook_only = " OR ".join(f"cib_str({get(f)}) IS NOT NULL" for f in _FACEBOOK_ONLY)
    text = f"cib_str({get('text')})"
    shared = f"cib_str({get('shared_post_id')})"
    owner_type = f"lower({get('post_owner.type')})"
    named = f"lower({get('platform')})"
    return f"""
    SELECT seq, 'post' AS rec,
        CASE WHEN {named} IN ('facebook', 'instagram') THEN {named}
             WHEN {get("mcl_url")} LIKE '%instagram.com%' THEN 'instagram'
             WHEN {facebook_only} THEN 'facebook' ELSE 'instagram' END AS platform,
        cib_str({get("id")}) AS post_id,
        cib_str({get("post_owner.id")}) AS account_id,
        cib_ts({get("creation_time")}) AS created_at,
        'second' AS time_precision,
        CASE WHEN {shared} IS NOT NULL AND {text} IS NOT NULL THEN 'quote'
             WHEN {shared} IS NOT NULL THEN 'repost' ELSE 'post' END AS kind,
        {text} AS text,
        cib_str({get("lang")}) AS language,
        CASE WHEN {text} IS NULL THEN {shared} END AS repost_of_post,
        CASE WHEN {text} IS NOT NULL THEN {shared} END AS quote_of_post,
        cib_str({get("surface.id")}) AS venue,
        cib_unique(list_filter(list_concat([cib_str({get("link_attachment.link")})],
            regexp_extract_all(coalesce({text}, ''), {_URL_RE})), lambda u: u IS NOT NULL))
            AS urls,
        regexp_extract_all(coalesce({text}, ''), {_TAG_RE}, 1) AS hashtags,
        regexp_extract_all(coalesce({text}, ''), {_MENTION_RE}, 1) AS mentions,
        list_filter(list_transform(coalesce({media}, []), lambda m: {{
            'url': m ->> '$.url', 'type': lower(m ->> '$.type'), 'hash': NULL}}),
            lambda m: m.url IS NOT NULL) AS media,
        cib_int({get("statistics.like_count")}) AS like_count,
        cib_int({get("statistics.share_count")}) AS repost_count,
        cib_int({get("statistics.comment_count")}) AS reply_count,
        cib_int({get("statistics.views_count")}) AS view_count,
        cib_str({get("post_owner.username")}) AS acct_handle,
        cib_str({get("post_owner.name")}) AS acct_display_name,
        list_filter([CASE {owner_type} WHEN 'page' THEN 'facebook_page'
            WHEN 'group' THEN 'facebook_group' WHEN 'event' THEN 'facebook_event'
            WHEN 'user' THEN 'facebook_profile' WHEN 'profile' THEN 'facebook_profile' END],
            lambda f: f IS NOT NULL) AS acct_flags
    FROM {stream}"""


def _json_field(field: str) -> str:
    return "raw ->> '$." + field + "'"


class MetaContentLibraryJson(Adapter):
    name = "mcl_posts_json"
    platform = "facebook"  # or instagram, per record (see the module docstring)
    title = "Meta Content Library API posts (Facebook, Instagram), JSON array or API page"
    reader = "json"
    source_hint = "Content Library API search results (Researcher Platform clients)"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if not text.startswith(("[", "{")):
            return 0.0
        markers = ('"creation_time"', '"post_owner"')
        extra = ('"mcl_url"', '"statistics"', '"is_branded_content"', '"multimedia"')
        if all(m in text for m in markers) and any(m in text for m in extra):
            return 0.9
        return 0.0

    def json_prefix(self, head: bytes) -> str:
        return "item" if text_head(head).startswith("[") else "data.item"

    def stage_sql(self, stream: str) -> str:
        media = (
            "CASE json_type(raw, '$.multimedia') WHEN 'ARRAY' "
            "THEN json_extract(raw, '$.multimedia[*]') END"
        )
        return _mcl_sql(stream, _json_field, media)


class MetaContentLibraryCsv(Adapter):
    name = "mcl_posts_csv"
    platform = "facebook"  # or instagram, per row (see the module docstring)
    title = "Meta Content Library posts flattened to a table (dotted columns), CSV"
    reader = "csv"
    source_hint = "Content Library API results via json_normalize / the R client, to CSV"
    columns: tuple[str, ...] = FIELDS
    required_columns: tuple[str, ...] = ("id", "creation_time", "post_owner.id")

    def sniff(self, head: bytes) -> float:
        return csv_score(
            head,
            {"id", "creation_time", "post_owner.id"},
            {"mcl_url", "statistics.like_count", "post_owner.name", "text"},
        )

    def stage_sql(self, stream: str) -> str:
        media = (
            "CASE WHEN json_valid(multimedia) AND json_type(multimedia::JSON) = 'ARRAY' "
            "THEN json_extract(multimedia::JSON, '$[*]') END"
        )
        return _mcl_sql(stream, lambda f: f'"{f}"', media)


register(MetaContentLibraryJson())
register(MetaContentLibraryCsv())
