"""Normalisation done once, at ingest, as SQL macros run inside the engine.

URLs: refanged (``hxxp``, ``[.]``), scheme and host lower-cased, default ports and fragments
dropped, tracking parameters (utm_*, fbclid, gclid, igshid, ...) removed; the original is kept
in ``urls_raw``. A URL of a non-web scheme (``javascript:``, ``mailto:``) is kept as written,
with no domain. Hashtags: leading ``#`` dropped, NFKC-normalised and case-folded (so that
``#ＣＨＩＮＡ`` and ``#china`` match). Mentions: ``@`` dropped, lower-cased. Timestamps: UTC.

Only NFKC needs Python (DuckDB has NFC only); it is an Arrow-vectorised function called for
non-ASCII hashtags alone, since NFKC of ASCII is the identity.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

import pyarrow as pa

from cibscan.engine.base import Engine

TRACKING_PARAMS = (
    "utm_[a-z0-9_]*",
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "igshid",
    "igsh",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "yclid",
    "msclkid",
    "twclid",
    "ref_src",
    "ref_url",
    "si",
    "_ga",
    "_gl",
    "oly_enc_id",
    "oly_anon_id",
    "vero_id",
    "wickedid",
    "s_cid",
    "ncid",
    "cmpid",
)

_MACROS: tuple[str, ...] = (
    # --- URLs
    r"""cib_refang(u) AS CASE WHEN NOT regexp_matches(u, 'hxxp|\[|\(\.\)|\{\.\}', 'i')
        THEN trim(u) ELSE regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        trim(u), '^hxxp', 'http', 'i'), '\[\.\]|\(\.\)|\{\.\}|\[dot\]', '.', 'gi'),
        '\[:\]|\[://\]', ':', 'g'), '^(https?)\[?:\]?//', '\1://', 'i') END""",
    r"""cib_url_parts(u) AS regexp_extract(u,
        '^([A-Za-z][A-Za-z0-9+.\-]*://)?([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$',
        ['scheme', 'host', 'path', 'query', 'frag'])""",
    rf"""cib_clean_query(q) AS CASE WHEN q IS NULL OR q = '' OR q = '?' THEN '' ELSE
        coalesce('?' || nullif(array_to_string(list_filter(string_split(substr(q, 2), '&'),
        lambda x: x <> '' AND NOT regexp_matches(lower(x),
        '^({"|".join(TRACKING_PARAMS)})(=|$)')), '&'), ''), '') END""",
    # A URL of another scheme than the web's, with no "//" (javascript:, mailto:, tel:, data:,
    # urn:), is kept as written: read as a host it became http://javascript:alert(1)/. A host
    # with a port (example.com:8080/x) is a web address without its scheme.
    r"""cib_opaque_url(u) AS regexp_matches(u, '^[A-Za-z][A-Za-z0-9+.\-]*:')
        AND NOT regexp_matches(u, '^[A-Za-z][A-Za-z0-9+.\-]*://')
        AND NOT regexp_matches(u, '^[^:/?#]+:[0-9]+([/?#]|$)')""",
    # The parsed URL is bound once through a one-element list and a lambda: macros expand
    # textually, so referring to cib_url_parts(...) several times would re-run its regexes.
    r"""cib_norm_url(u) AS CASE WHEN u IS NULL OR trim(u) = '' THEN NULL
        WHEN cib_opaque_url(cib_refang(u)) THEN cib_refang(u) ELSE
        list_transform([cib_url_parts(cib_refang(u))], lambda p: CASE WHEN p.host = ''
            THEN NULL ELSE
            lower(coalesce(nullif(p.scheme, ''), 'http://'))
            || regexp_replace(lower(p.host), '^[^@]*@|:(80|443)$', '', 'g')
            || CASE WHEN p.path = '' THEN '/' ELSE p.path END
            || cib_clean_query(p.query) END)[1] END""",
    r"""cib_url_domain(u) AS CASE WHEN NOT cib_opaque_url(u) THEN nullif(regexp_replace(
        lower(cib_url_parts(u).host), '^www\.|:\d+$|^[^@]*@', '', 'g'), '') END""",
    # list_distinct does not keep order; cib_unique keeps each value's first occurrence
    r"""cib_unique(l) AS list_transform([l], lambda ll: list_filter(ll,
        lambda x, i: list_position(ll, x) = i))[1]""",
    r"""cib_norm_urls(l) AS cib_unique(list_filter(
        list_transform(l, lambda x: cib_norm_url(x)), lambda x: x IS NOT NULL))""",
    # --- hashtags and mentions
    r"""cib_norm_tag(h) AS nullif(CASE WHEN strlen(h) = length(h)
        THEN lower(ltrim(trim(h), '#')) ELSE cib_nfkc_casefold(h) END, '')""",
    r"""cib_norm_tags(l) AS list_filter(list_transform(l, lambda x: cib_norm_tag(x)),
        lambda x: x IS NOT NULL)""",
    r"""cib_norm_mentions(l) AS list_filter(list_transform(l,
        lambda x: nullif(lower(ltrim(trim(x), '@')), '')), lambda x: x IS NOT NULL)""",
    # --- text: what copy-paste detection compares
    # Each regex runs only on the texts it can change (a cheap test first: most texts have
    # no URL, no run of blanks, no retweet prefix); the result is what the three regexes
    # give on every text.
    r"""cib_unrt(l) AS CASE WHEN starts_with(l, 'rt @')
        THEN regexp_replace(l, '^rt @[^:\s]+:\s*', '') ELSE l END""",
    r"""cib_unlink(l) AS CASE WHEN contains(l, 'http') OR contains(l, 'www.')
        THEN regexp_replace(l, 'https?://\S+|www\.\S+', ' ', 'g') ELSE l END""",
    # RE2's \s is [\t\n\f\r ]: a run of two, or one that is not a space, holds one of these
    r"""cib_blanks(l) AS CASE WHEN contains(l, '  ') OR contains(l, chr(9))
        OR contains(l, chr(10)) OR contains(l, chr(12)) OR contains(l, chr(13))
        THEN regexp_replace(l, '\s\s+|[^\S ]', ' ', 'g') ELSE l END""",
    r"""cib_text_norm(t) AS nullif(trim(cib_blanks(cib_unlink(cib_unrt(lower(t))))), '')""",
    # --- HTML (Mastodon content, YouTube textDisplay) to plain text
    r"""cib_html_text(h) AS replace(replace(replace(replace(replace(replace(
        regexp_replace(regexp_replace(regexp_replace(h, '<br\s*/?>', chr(10), 'gi'),
        '</p>\s*<p[^>]*>', chr(10) || chr(10), 'gi'), '<[^>]*>', '', 'g'),
        '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', chr(39)), '&nbsp;', ' '),
        '&amp;', '&')""",
    # --- timestamps (session time zone is UTC, so naive strings are read as UTC)
    r"""cib_ts_epoch(x) AS CASE WHEN try_cast(x AS DOUBLE) BETWEEN -1e10 AND 1e11
        THEN to_timestamp(try_cast(x AS DOUBLE)) END""",
    r"""cib_ts_epoch_ms(x) AS cib_ts_epoch(try_cast(x AS DOUBLE) / 1000)""",
    r"""cib_ts_epoch_us(x) AS cib_ts_epoch(try_cast(x AS DOUBLE) / 1000000)""",
    r"""cib_ts_text(s) AS coalesce(
        try_cast(try_cast(s AS TIMESTAMPTZ) AS TIMESTAMPTZ),
        try_cast(try_strptime(s, ['%a %b %d %H:%M:%S %z %Y', '%Y-%m-%dT%H:%M:%S%z',
            '%Y-%m-%d %H:%M:%S %Z', '%d/%m/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%Y-%m-%d %H:%M'])
            AS TIMESTAMPTZ))""",
    # A text of other characters than digits, '-' and '.' (a date: the usual case) goes
    # straight to cib_ts_text: one test instead of the four epoch patterns that fail on it
    r"""cib_ts_any(x) AS CASE
        WHEN x IS NULL OR trim(CAST(x AS VARCHAR)) IN ('', 'NA', 'null', 'None') THEN NULL
        WHEN NOT regexp_full_match(trim(CAST(x AS VARCHAR)), '[\d.\-]+')
            THEN cib_ts_text(trim(CAST(x AS VARCHAR)))
        WHEN regexp_full_match(trim(CAST(x AS VARCHAR)), '-?\d{1,11}(\.\d+)?')
            THEN cib_ts_epoch(trim(CAST(x AS VARCHAR)))
        WHEN regexp_full_match(trim(CAST(x AS VARCHAR)), '\d{12,14}')
            THEN cib_ts_epoch_ms(trim(CAST(x AS VARCHAR)))
        WHEN regexp_full_match(trim(CAST(x AS VARCHAR)), '\d{15,17}')
            THEN cib_ts_epoch_us(trim(CAST(x AS VARCHAR)))
        WHEN regexp_full_match(trim(CAST(x AS VARCHAR)), '\d{18,20}')
            THEN cib_ts_epoch(try_cast(trim(CAST(x AS VARCHAR)) AS DOUBLE) / 1e9)
        ELSE cib_ts_text(trim(CAST(x AS VARCHAR))) END""",
    # Times before 1990 or after tomorrow are not social-media times (seen: a Bluesky post
    # dated year 0 by its client; a seconds field of 13 digits, year 99999, that the digits
    # rule reads as milliseconds, 2068): they are quarantined rather than poisoning every
    # time span. Epochs are told apart by their digits: up to 11 seconds, 12-14 milliseconds,
    # 15-17 microseconds, 18-20 nanoseconds (docs/formats.md).
    r"""cib_ts(x) AS list_transform([cib_ts_any(x)], lambda t: CASE
        WHEN t >= TIMESTAMPTZ '1990-01-01 00:00:00+00'
         AND t < now() + INTERVAL 1 DAY THEN t END)[1]""",
    # --- list-valued text columns: "['a', 'b']" (IO archive), "[a, b]", "a,b", JSON arrays
    r"""cib_pylist(s) AS CASE WHEN s IS NULL OR trim(s) IN ('', '[]', 'NA') THEN []::VARCHAR[]
        ELSE list_filter(list_transform(regexp_extract_all(trim(s, '[] '),
        '''(?:[^''\\]|\\.)*''|"(?:[^"\\]|\\.)*"|[^,\s''"][^,]*'),
        lambda x: trim(trim(x), '''"')), lambda x: x <> '') END""",
    r"""cib_int(x) AS try_cast(try_cast(nullif(nullif(trim(CAST(x AS VARCHAR)), ''), 'NA')
        AS DOUBLE) AS BIGINT)""",
    r"""cib_bool(x) AS CASE lower(trim(CAST(x AS VARCHAR)))
        WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' THEN true WHEN 'yes' THEN true
        WHEN 'false' THEN false WHEN 'f' THEN false WHEN '0' THEN false WHEN 'no' THEN false
        END""",
    # Reddit ids are base-36; some Pushshift records give parent ids as base-10 integers
    r"""cib_base36(n) AS ltrim(array_to_string(list_reverse(list_transform(range(0, 13),
        lambda i: substr('0123456789abcdefghijklmnopqrstuvwxyz',
        CAST((CAST(n AS HUGEINT) // CAST(pow(36, i) AS HUGEINT)) % 36 AS INTEGER) + 1, 1))),
        ''), '0')""",
    r"""cib_str(x) AS nullif(nullif(trim(CAST(x AS VARCHAR)), ''), 'NA')""",
)


def nfkc_casefold(values: pa.Array) -> pa.Array:
    """NFKC + casefold + drop a leading '#' (Arrow-vectorised scalar function)."""
    out = [
        None if v is None else unicodedata.normalize("NFKC", v).casefold().lstrip("#").strip()
        for v in values.to_pylist()
    ]
    return pa.array(out, pa.string())


def install_macros(engine: Engine) -> None:
    """Create the normalisation functions on this connection (temporary: not in the file)."""
    engine.create_function("cib_nfkc_casefold", nfkc_casefold, ["VARCHAR"], "VARCHAR")
    for body in _MACROS:
        engine.execute(f"CREATE OR REPLACE TEMP MACRO {body}")


def install_pseudonymizer(engine: Engine, key: str | None) -> None:
    """``cib_pseudo(x)``: keyed HMAC-SHA256 of x (identity when no key), computed in SQL.

    HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)), results equal to Python's ``hmac``.
    The macro is TEMP, so neither the key nor its pads are ever written to the case file.
    """
    if key is None:
        engine.execute("CREATE OR REPLACE TEMP MACRO cib_pseudo(x) AS x")
        return
    raw = key.encode("utf-8")
    if len(raw) > 64:
        raw = hashlib.sha256(raw).digest()
    block = raw.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    engine.execute(
        "CREATE OR REPLACE TEMP MACRO cib_pseudo(x) AS CASE WHEN x IS NULL THEN NULL ELSE "
        f"'h_' || left(sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || "
        "encode(CAST(x AS VARCHAR))))), 32) END"
    )


def key_fingerprint(key: str) -> str:
    """A short public fingerprint of a pseudonymisation key, kept with the case so that a
    later ingest with another key (or none) is caught; it does not reveal the key."""
    return hmac.new(key.encode("utf-8"), b"cibscan key fingerprint", hashlib.sha256).hexdigest()[
        :12
    ]


def pseudonym(key: str, value: str) -> str:
    """The pseudonym cib_pseudo gives ``value`` (Python reference, for tests and lookups)."""
    raw = key.encode("utf-8")
    if len(raw) > 64:
        raw = hashlib.sha256(raw).digest()
    return "h_" + hmac.new(raw, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
