"""The detect input tables: integer account keys and a slim, typed copy of the posts."""

from __future__ import annotations

from collections.abc import Iterable

from cibscan.engine import Engine
from cibscan.engine.base import scratch

# Post columns signals may read from cib_posts besides acct and t (see docs/signals.md).
POST_INPUT_COLUMNS: tuple[str, ...] = (
    "platform",
    "post_id",
    "kind",
    "text_norm",
    "urls",
    "domains",
    "hashtags",
    "mentions",
    "media",
    "repost_of_post",
    "repost_of_account",
    "reply_to_post",
    "reply_to_account",
    "quote_of_post",
    "text_words",
)

#: columns of ``cib_posts`` computed from the post rather than copied (:func:`derived_sql`)
DERIVED_COLUMNS: tuple[str, ...] = ("text_words",)


def derived_sql(engine: Engine, column: str) -> str:
    """SQL of a derived column over ``posts AS p``, in the engine's dialect.

    ``text_words``: the author's own words, the normalised text without @mentions and
    #hashtags. Fans who each write "@idol @idol_official #VoteIdol" around a few words of
    their own wrote different texts; a copied talking point keeps its words whatever tags
    surround it. (The regex runs only on texts that hold a tag: most do not, and it is most
    of the cost.)
    """
    if column != "text_words":
        raise KeyError(column)
    stripped = engine.regexp_replace_all("p.text_norm", r"\s*[@#]\S+", "")
    return f"""CASE WHEN contains(p.text_norm, '@') OR contains(p.text_norm, '#')
        THEN nullif(trim({stripped}), '')
        ELSE p.text_norm END"""


def is_repost_sql(alias: str = "") -> str:
    """SQL true when a post is a repost, known from its kind alone or from the reposted id.

    Collections often keep a repost's kind and the original's text but not the original's
    id (the FiveThirtyEight IRA release, scraped data, withheld posts): such a post is
    still a repost, never its author's own words. Needs ``kind`` and ``repost_of_post``.
    """
    a = f"{alias}." if alias else ""
    return f"coalesce({a}kind = 'repost' OR {a}repost_of_post IS NOT NULL, false)"


def input_columns(readers: Iterable[tuple[str, ...] | None]) -> tuple[str, ...]:
    """The ``cib_posts`` columns that readers declaring ``reads`` need, in table order
    (all of them when one reader does not say)."""
    wanted: set[str] = set()
    for reads in readers:
        if reads is None:
            return POST_INPUT_COLUMNS
        unknown = set(reads) - set(POST_INPUT_COLUMNS)
        if unknown:
            raise ValueError(f"cib_posts has no column(s) {', '.join(sorted(unknown))}")
        wanted.update(reads)
    return tuple(c for c in POST_INPUT_COLUMNS if c in wanted)


def build_inputs(
    engine: Engine, columns: tuple[str, ...] = POST_INPUT_COLUMNS, *, index: bool = True
) -> tuple[int, int]:
    """Write ``account_index`` and the temp table ``cib_posts``; return (posts, accounts).

    Account keys follow (platform, account_id) order, so the same case gives the same keys
    whatever order its files were ingested in. Posts without a time or an author cannot
    take part in a co-action and are left out. Only ``columns`` are copied besides ``acct``
    and ``t``: a one-signal run does not pay for texts and lists it never reads (1M posts:
    0.46 s for every column, 0.20 s for co_repost's three).

    ``index`` False keeps the ``account_index`` there is (copied from the engine that found
    the network, so that the tells run on the keys of its pairs and clusters).
    """
    if index:
        _index_accounts(engine)
    selected = "".join(
        f", {derived_sql(engine, c)} AS {c}" if c in DERIVED_COLUMNS else f", p.{c}"
        for c in columns
    )
    engine.create_scratch(
        "cib_posts",
        f"""SELECT i.acct, {engine.epoch("p.created_at")} AS t{selected}
        FROM posts AS p JOIN account_index AS i USING (platform, account_id)
        WHERE p.created_at IS NOT NULL""",
    )
    n_posts, n_accounts = engine.fetchall("SELECT count(*), count(DISTINCT acct) FROM cib_posts")[0]
    return int(n_posts), int(n_accounts)


def _index_accounts(engine: Engine) -> None:
    engine.drop_table("account_index")
    with scratch(engine, "_account_ranks"):
        engine.create_numbered(
            "_account_ranks",
            """SELECT DISTINCT platform, account_id FROM posts
            WHERE platform IS NOT NULL AND account_id IS NOT NULL""",
            ["platform", "account_id"],
            "acct",
        )
        engine.execute(
            """CREATE TABLE account_index AS
            SELECT CAST(acct AS BIGINT) AS acct, platform, account_id FROM _account_ranks"""
        )
