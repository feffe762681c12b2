"""Build the real labelled mixes: IRA accounts inside real organic crowds of the same days.

Each mix is written in the X Information Operations archive tweets format (31 columns, read
by cibscan's ``twitter_io_tweets`` adapter) with a ``truth.csv``. Both sides go through ONE
SQL statement (:data:`_WRITE_SQL`) after being staged in the same columns, so nothing that is
written can tell a campaign row from an organic one except what the accounts did:

- time: UTC, truncated to the minute on both sides (the IRA side has minutes only);
- ids: ``userid`` = sha256 of a source-prefixed account key (64 hex, which is how the
  archive writes the accounts it hashes), repeated in ``user_display_name`` and
  ``user_screen_name``; ``tweetid`` = a truncated sha256 of a source-prefixed row key. No
  handle, name, creation date, language, location, client or description on either side;
- retweets: a mix keeps retweets only when its organic collection kept them (Coachella,
  the 2016 debate panel); then ``is_retweet`` is true on both sides (IRA ``post_type`` R;
  organic text starting ``RT @user:``), the ``RT @user:`` prefix is stripped on both sides
  (the IRA texts have none), and the retweeted ids stay empty on both sides (the IRA side
  has none). A retweet's text is then cut to its first :data:`RETWEET_CHARS` characters
  on both sides, a trailing ``…`` removed first: the API's ``RT @user: `` text is cut at
  140 characters with ``…`` (at least 118 characters of the original survive), the IRA
  side gives the original whole, so without the cut the ellipsis would mark the organic
  side and the same retweet would read differently on the two sides;
- HTML entities: the API escapes ``&``, ``<`` and ``>`` in tweet texts, the IRA texts are
  unescaped; the writer unescapes ``&amp;``, ``&lt;`` and ``&gt;`` in every row;
- replies, quotes, counts: empty on both sides (the IRA side has none);
- hashtags, urls, user_mentions: extracted from the written text by the same regular
  expressions for every row;
- follower and following counts: written only in the mixes whose organic side has them (gun
  control, the debate panel); blank on both sides elsewhere;
- selection: the same time window (the organic collection's first to last minute, less the
  days reserved for the independent evaluation) and, where the organic collection is
  topical, the same topic filter on the IRA text. IRA accounts that also appear in the
  organic collection under the same handle are removed from the organic side.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
from real_sources import SOURCES, SourceStore, small_files

from cibscan.ingest.twitter_io import IO_TWEET_COLUMNS

log = logging.getLogger("bench.mixes")

#: bump when the construction changes, so that cached mixes are rebuilt
BUILD_VERSION = 5

#: a retweet's text keeps this many characters on both sides: the API's ``RT @user: `` text
#: (at most 4 + 15 + 2 characters of prefix) is cut at 140 characters including its ``…``,
#: so at least 118 characters of the original survive; one less leaves a margin
RETWEET_CHARS = 117

#: days kept for the independent evaluation, as [first, last] UTC dates; never used here
RESERVED_DAYS: tuple[tuple[str, str], ...] = (
    ("2015-08-06", "2015-08-07"),
    ("2016-10-01", "2016-11-30"),
    ("2017-09-23", "2017-09-24"),
)

_IRA_COLUMNS = {
    "author_id": "VARCHAR",
    "content": "VARCHAR",
    "region": "VARCHAR",
    "language": "VARCHAR",
    "publish_date": "TIMESTAMP",
    "harvested_date": "TIMESTAMP",
    "following": "BIGINT",
    "followers": "BIGINT",
    "updates": "BIGINT",
    "post_type": "VARCHAR",
    "retweet": "INTEGER",
}

#: one staging table for both sides; each loader fills it, the writer reads only it
_STAGED_DDL = """CREATE OR REPLACE TABLE staged (
    label VARCHAR, source VARCHAR, account_key VARCHAR, handle VARCHAR, post_key VARCHAR,
    created_at TIMESTAMP, text VARCHAR, is_retweet BOOLEAN, followers BIGINT,
    following BIGINT, role VARCHAR, subkind VARCHAR)"""

_RT_PREFIX = r"^RT @\w+: ?"
_HASHTAG = r"#(\w+)"
_MENTION = r"@(\w+)"
#: written inside SQL string literals, hence the doubled quote
_URL = r"https?://[^\s''\"<>]+"


@dataclass(frozen=True)
class Mix:
    """One benchmark mix: an organic collection and how the IRA side is selected for it."""

    name: str
    title: str
    organic: str  # a key of SOURCES and of ORGANIC_LOADERS
    #: a regular expression over lower-cased IRA text: the organic collection's topic
    #: (None: the collection's topic has no IRA tweets, so the IRA side is every English
    #: tweet of the window, and the mix is matched on days only)
    topic: str | None
    keep_retweets: bool
    follower_counts: bool
    note: str


MIXES: dict[str, Mix] = {
    m.name: m
    for m in (
        Mix(
            "airline2015",
            "US airline complaints, 2015-02-16..24",
            "airline",
            None,
            keep_retweets=False,
            follower_counts=False,
            note="The organic collection is tweets addressed to six US airlines, without"
            " retweets (3 of 14,640 texts start 'RT @'). No IRA tweet of those days mentions"
            " an airline, so the IRA side is every English IRA tweet of the window, without"
            " retweets: matched on days, not on topic.",
        ),
        Mix(
            "guncontrol2018",
            "Gun control, geotagged US tweets, 2017-11-06..2018-04-30",
            "gun",
            r"gun|nra\b|shooting|parkland|second amendment|2nd amendment|#2a\b",
            keep_retweets=False,
            follower_counts=True,
            note="The organic collection is geotagged US tweets matching a gun-control search"
            " (no retweets; quotes whose quoted tweet matched are included). The IRA side is"
            " the English IRA tweets of the window whose own text matches the same topic,"
            " without retweets. Follower and following counts are on both sides.",
        ),
        Mix(
            "debate2016",
            "First 2016 presidential debate, a panel of US voters, 2016-09-27 01:00..02:30 UTC",
            "debate",
            None,
            keep_retweets=True,
            follower_counts=True,
            note="The organic collection is everything a panel of US voters posted during the"
            " 90 minutes of the first presidential debate (their whole timelines, retweets"
            " included: 6,221 of 12,178 distinct tweets start 'RT @'), not a keyword search, so"
            " the IRA side is likewise every English IRA tweet of the same minutes, retweets"
            " included (839 of 1,337). Follower and following counts are on both sides.",
        ),
        Mix(
            "coachella2015",
            "Coachella 2015 line-up, 2015-01-05..07",
            "coachella",
            None,
            keep_retweets=True,
            follower_counts=False,
            note="The organic collection is tweets about the Coachella 2015 line-up, retweets"
            " included (467 of 3,846 start 'RT @'). No IRA tweet of those days mentions"
            " Coachella, so the IRA side is every English IRA tweet of the window, retweets"
            " included: matched on days, not on topic.",
        ),
    )
}


@dataclass
class MixBuild:
    """Where a built mix is and what it holds (also its cached manifest)."""

    name: str
    directory: Path
    window: tuple[str, str]
    counts: dict[str, Any]
    audit: dict[str, dict[str, float]]
    sources: dict[str, str]

    @property
    def data(self) -> Path:
        """The folder to give cibscan: tweets.csv and truth.csv, nothing else."""
        return self.directory / "data"

    @property
    def tweets(self) -> Path:
        return self.data / "tweets.csv"

    @property
    def truth(self) -> Path:
        return self.data / "truth.csv"

    @property
    def accounts_meta(self) -> Path:
        return self.directory / "accounts_meta.csv"


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def ira_database(store: SourceStore, cache: Path) -> Path:
    """The IRA tweets and authors in a DuckDB file (built once: ~2.5M rows from 2,839
    author files read through one ``git cat-file --batch``)."""
    db = cache / "ira.duckdb"
    if db.exists():
        return db
    source = SOURCES["ira"]
    entries = [e for e in store.tree(source) if "/" in e.path and e.path.endswith(".csv")]
    files = small_files(entries, ".csv")
    log.info("IRA: reading %d author files (%d in the tree)", len(files), len(entries))
    cache.mkdir(parents=True, exist_ok=True)
    csv_path = cache / "ira_tweets.csv"
    with csv_path.open("wb") as out:
        out.write(b",".join(c.encode() for c in _IRA_COLUMNS) + b"\n")
        for data in store.stream_blobs(source, [e.blob for e in files]):
            body = data.split(b"\n", 1)[1] if b"\n" in data else b""
            out.write(body if body.endswith(b"\n") or not body else body + b"\n")
    (cache / "authors.csv").write_bytes(store.read(source, "authors.csv"))
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute("SET enable_progress_bar = false")
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in _IRA_COLUMNS.items()) + "}"
    con.execute(
        f"""CREATE TABLE ira_tweets AS
        SELECT row_number() OVER () AS row_no, *
        FROM read_csv({_sql_path(csv_path)}, header = true, columns = {columns},
                      quote = '"', escape = '"')"""
    )
    con.execute(
        f"""CREATE TABLE ira_authors AS
        SELECT * FROM read_csv({_sql_path(cache / "authors.csv")}, all_varchar = true)"""
    )
    con.close()
    tmp.rename(db)
    csv_path.unlink()
    return db


def _blob_to_file(store: SourceStore, key: str, path: str, target: Path) -> Path:
    """Write one source file as UTF-8 (undecodable bytes replaced the same way everywhere)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    data = store.read(SOURCES[key], path)
    target.write_text(data.decode("utf-8", errors="replace"), encoding="utf-8")
    return target


def _load_airline(con: duckdb.DuckDBPyConnection, store: SourceStore, cache: Path) -> None:
    """Crowdflower airline tweets: local time UTC-8 at minute precision, screen name."""
    path = _blob_to_file(store, "airline", "Tweets.csv", cache / "airline" / "Tweets.csv")
    con.execute(
        f"""INSERT INTO staged
        SELECT 'organic', 'airline', lower(name), lower(name), CAST(row_no AS VARCHAR),
               strptime(tweet_created, '%d-%m-%Y %H.%M') + INTERVAL 8 HOUR, text,
               starts_with(text, 'RT @'), NULL, NULL, 'organic', airline
        FROM (SELECT row_number() OVER () AS row_no, *
              FROM read_csv({_sql_path(path)}, header = true, all_varchar = true))"""
    )


def _load_coachella(con: duckdb.DuckDBPyConnection, store: SourceStore, cache: Path) -> None:
    """Crowdflower Coachella tweets: local time UTC-8 (checked against the tweet ids' own
    timestamps) at minute precision, screen name."""
    path = _blob_to_file(
        store, "coachella", "Coachella-2015-2-DFE.csv", cache / "coachella" / "coachella.csv"
    )
    con.execute(
        f"""INSERT INTO staged
        SELECT 'organic', 'coachella', lower(name), lower(name), CAST(row_no AS VARCHAR),
               strptime(tweet_created, '%m/%d/%y %H:%M') + INTERVAL 8 HOUR, text,
               regexp_matches(text, '{_RT_PREFIX}'), NULL, NULL, 'organic',
               coalesce(coachella_sentiment, 'unknown')
        FROM (SELECT row_number() OVER () AS row_no, *
              FROM read_csv({_sql_path(path)}, header = true, all_varchar = true))"""
    )


def _load_gun(con: duckdb.DuckDBPyConnection, store: SourceStore, cache: Path) -> None:
    """Geotagged gun-control tweets: one JSON array per state; the state is the sub-kind."""
    source = SOURCES["gun"]
    prefix = "Twitter/tweet_sample_data/gun/"
    files = small_files(store.tree(source, prefix), ".json")
    folder = cache / "gun"
    folder.mkdir(parents=True, exist_ok=True)
    for entry in files:
        (folder / Path(entry.path).name).write_bytes(store.read(source, entry.path))
    log.info("gun control: %d state files under 4 MiB", len(files))
    con.execute(
        f"""INSERT INTO staged
        SELECT 'organic', 'gun', "user".id_str, lower("user".screen_name), id_str,
               strptime(created_at, '%a %b %d %H:%M:%S +0000 %Y'),
               coalesce(extended_tweet.full_text, "text"), starts_with("text", 'RT @'),
               "user".followers_count, "user".friends_count, 'organic',
               split_part(parse_filename(filename, true), '_', 1)
        FROM read_json({_sql_path(folder)} || '/*.json', format = 'array', filename = true,
                       union_by_name = true, sample_size = -1,
                       maximum_object_size = 1000000000)"""
    )


def _load_debate(con: duckdb.DuckDBPyConnection, store: SourceStore, cache: Path) -> None:
    """The debate panel: Eastern daylight time (UTC-4) to the second, anonymised integer user
    ids, each tweet crawled about twice (a second crawl with later counts): one row per user,
    text and second is kept, the first crawl's. The registered party is the sub-kind."""
    folder = cache / "debate"
    tweets = _blob_to_file(store, "debate", "tweets_debate1.csv", folder / "tweets_debate1.csv")
    users = _blob_to_file(store, "debate", "users.csv", folder / "users.csv")
    con.execute(
        f"""INSERT INTO staged
        SELECT 'organic', 'debate', t.userID, NULL, CAST(t.row_no AS VARCHAR),
               strptime(t.created_at, '%m/%d/%Y %H:%M:%S EDT') + INTERVAL 4 HOUR, t.text,
               starts_with(t.text, 'RT @'), TRY_CAST(t.followers_account AS BIGINT),
               TRY_CAST(t.friends_count AS BIGINT), 'organic',
               coalesce(nullif(u.party, 'NA'), 'unknown')
        FROM (SELECT row_number() OVER () AS row_no, *
              FROM read_csv({_sql_path(tweets)}, header = true, all_varchar = true)) AS t
        LEFT JOIN read_csv({_sql_path(users)}, header = true, all_varchar = true) AS u
               USING (userID)
        QUALIFY row_number() OVER (PARTITION BY t.userID, t.text, t.created_at
                                   ORDER BY t.row_no) = 1"""
    )


ORGANIC_LOADERS: dict[str, Callable[[duckdb.DuckDBPyConnection, SourceStore, Path], None]] = {
    "airline": _load_airline,
    "gun": _load_gun,
    "coachella": _load_coachella,
    "debate": _load_debate,
}


def _reserved_sql(column: str) -> str:
    days = " OR ".join(
        f"CAST({column} AS DATE) BETWEEN DATE '{a}' AND DATE '{b}'" for a, b in RESERVED_DAYS
    )
    return f"({days})"


def _window(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    lo, hi = con.execute(
        f"""SELECT min(date_trunc('minute', created_at)), max(date_trunc('minute', created_at))
        FROM staged WHERE label = 'organic' AND NOT {_reserved_sql("created_at")}"""
    ).fetchone() or (None, None)
    if lo is None or hi is None:
        raise ValueError("the organic collection has no post outside the reserved days")
    return str(lo), str(hi)


def _stage_ira(con: duckdb.DuckDBPyConnection, mix: Mix, window: tuple[str, str]) -> None:
    """IRA tweets of the window (English, the mix's topic, its retweet policy)."""
    topic = "TRUE" if mix.topic is None else f"regexp_matches(lower(t.content), '{mix.topic}')"
    keep_rt = "TRUE" if mix.keep_retweets else "coalesce(t.post_type, '') <> 'R'"
    con.execute(
        f"""INSERT INTO staged
        SELECT 'campaign', 'ira', t.author_id, lower(a.author), CAST(t.row_no AS VARCHAR),
               t.publish_date, t.content, coalesce(t.post_type, '') = 'R',
               t.followers, t.following, coalesce(a.account_category, 'Unknown'), NULL
        FROM ira.ira_tweets AS t LEFT JOIN ira.ira_authors AS a USING (author_id)
        WHERE t.language = 'English'
          AND date_trunc('minute', t.publish_date)
              BETWEEN TIMESTAMP '{window[0]}' AND TIMESTAMP '{window[1]}'
          AND {topic} AND {keep_rt}"""
    )


def _clean(con: duckdb.DuckDBPyConnection, mix: Mix, window: tuple[str, str]) -> int:
    """The rules shared by both sides; returns how many organic accounts were IRA accounts."""
    overlap = con.execute(
        """SELECT count(DISTINCT account_key) FROM staged
        WHERE label = 'organic' AND handle IN (
            SELECT lower(author) FROM ira.ira_authors WHERE author IS NOT NULL)"""
    ).fetchone()
    con.execute(
        """DELETE FROM staged WHERE label = 'organic' AND handle IN (
            SELECT lower(author) FROM ira.ira_authors WHERE author IS NOT NULL)"""
    )
    con.execute(
        f"""DELETE FROM staged
        WHERE {_reserved_sql("created_at")} OR text IS NULL OR trim(text) = ''
           OR date_trunc('minute', created_at)
              NOT BETWEEN TIMESTAMP '{window[0]}' AND TIMESTAMP '{window[1]}'
           OR (NOT {str(mix.keep_retweets).upper()} AND is_retweet)"""
    )
    if not mix.follower_counts:
        con.execute("UPDATE staged SET followers = NULL, following = NULL")
    return int(overlap[0]) if overlap else 0


def _pylist(expr: str) -> str:
    return (
        f"'[' || array_to_string(list_transform({expr}, lambda x: '''' || x || ''''), ', ') || ']'"
    )


def _text_sql() -> str:
    """The written text of a staged row, the same expression for both sides: the ``RT @user:``
    prefix stripped, the API's three HTML entities unescaped, a retweet cut to
    :data:`RETWEET_CHARS` characters after its trailing ``…`` is removed."""
    bare = f"regexp_replace(text, '{_RT_PREFIX}', '')"
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")):
        bare = f"replace({bare}, '{entity}', '{char}')"
    cut = f"left(regexp_replace({bare}, '…$', ''), {RETWEET_CHARS})"
    return f"(CASE WHEN is_retweet THEN {cut} ELSE {bare} END)"


def _write_sql() -> str:
    """The one statement that writes both sides (the columns in the archive's order)."""
    text = _text_sql()
    values = {
        "tweetid": "substr(sha256(source || ':post:' || post_key), 1, 18)",
        "userid": "sha256(source || ':account:' || account_key)",
        "user_display_name": "sha256(source || ':account:' || account_key)",
        "user_screen_name": "sha256(source || ':account:' || account_key)",
        "follower_count": "CAST(followers AS VARCHAR)",
        "following_count": "CAST(following AS VARCHAR)",
        "tweet_text": text,
        "tweet_time": "strftime(date_trunc('minute', created_at), '%Y-%m-%d %H:%M')",
        "is_retweet": "CASE WHEN is_retweet THEN 'true' ELSE 'false' END",
        "hashtags": _pylist(f"regexp_extract_all({text}, '{_HASHTAG}', 1)"),
        "urls": _pylist(f"regexp_extract_all({text}, '{_URL}')"),
        "user_mentions": _pylist(f"regexp_extract_all({text}, '{_MENTION}', 1)"),
    }
    select = ",\n    ".join(f"{values.get(c, 'NULL')} AS {c}" for c in IO_TWEET_COLUMNS)
    return f"SELECT {select} FROM staged ORDER BY tweet_time, tweetid"


def _audit(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, float]]:
    """Per side, the features a detector could separate the sides by without any
    coordination: written to the manifest so that remaining asymmetries are visible."""
    rows = con.execute(
        f"""WITH p AS (SELECT label, account_key, is_retweet, {_text_sql()} AS t FROM staged),
        a AS (SELECT label, account_key, count(*) AS n FROM p GROUP BY ALL)
        SELECT p.label, count(*) AS posts, count(DISTINCT p.account_key) AS accounts,
               (SELECT median(n) FROM a WHERE a.label = p.label) AS median_posts_per_account,
               (SELECT max(n) FROM a WHERE a.label = p.label) AS max_posts_per_account,
               avg(CAST(is_retweet AS INT)) AS retweet_share,
               avg(CAST(regexp_matches(t, '{_URL}') AS INT)) AS url_share,
               avg(CAST(regexp_matches(t, '{_HASHTAG}') AS INT)) AS hashtag_share,
               avg(CAST(regexp_matches(t, '{_MENTION}') AS INT)) AS mention_share,
               avg(length(t)) AS mean_text_chars
        FROM p GROUP BY p.label ORDER BY p.label"""
    ).fetchall()
    names = [
        "posts", "accounts", "median_posts_per_account", "max_posts_per_account",
        "retweet_share", "url_share", "hashtag_share", "mention_share", "mean_text_chars",
    ]  # fmt: skip
    return {r[0]: {k: round(float(v), 3) for k, v in zip(names, r[1:], strict=True)} for r in rows}


def _write_outputs(con: duckdb.DuckDBPyConnection, directory: Path) -> None:
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({_write_sql()}) TO {_sql_path(data / 'tweets.csv')} (HEADER)")
    account = "sha256(source || ':account:' || account_key)"
    con.execute(
        f"""COPY (SELECT 'twitter' AS platform, {account} AS account_id, label,
                         CASE WHEN label = 'campaign' THEN 'ira' ELSE '' END AS network,
                         any_value(role) AS role
                  FROM staged GROUP BY ALL ORDER BY account_id)
        TO {_sql_path(data / "truth.csv")} (HEADER)"""
    )
    con.execute(
        f"""COPY (SELECT {account} AS account_id, label, any_value(role) AS role,
                         coalesce(mode(subkind), '') AS subkind, count(*) AS posts
                  FROM staged GROUP BY ALL ORDER BY account_id)
        TO {_sql_path(directory / "accounts_meta.csv")} (HEADER)"""
    )


def _counts(con: duckdb.DuckDBPyConnection, overlap: int) -> dict[str, Any]:
    roles = con.execute(
        """SELECT role, count(DISTINCT account_key), count(*) FROM staged
        WHERE label = 'campaign' GROUP BY role ORDER BY role"""
    ).fetchall()
    totals = con.execute(
        "SELECT count(*), count(DISTINCT source || account_key) FROM staged"
    ).fetchone() or (0, 0)
    # organic accounts retweeting an IRA account (the prefix names it): real amplification
    # of the campaign by organic users, which stays organic; counted from the raw text
    amplified = con.execute(
        r"""SELECT count(*), count(DISTINCT account_key) FROM staged
        WHERE label = 'organic' AND is_retweet
          AND lower(regexp_extract(text, '^RT @(\w+):', 1)) IN (
              SELECT lower(author) FROM ira.ira_authors WHERE author IS NOT NULL)"""
    ).fetchone() or (0, 0)
    return {
        "posts": int(totals[0]),
        "accounts": int(totals[1]),
        "campaign_roles": {r: {"accounts": int(a), "posts": int(n)} for r, a, n in roles},
        "organic_accounts_dropped_as_ira_handles": overlap,
        "organic_retweets_of_ira_accounts": {
            "posts": int(amplified[0]),
            "accounts": int(amplified[1]),
        },
    }


def build_mix(mix: Mix, store: SourceStore, workdir: Path, *, force: bool = False) -> MixBuild:
    """Build (or reuse the cached) mix directory ``workdir/mixes/<name>``."""
    directory = workdir / "mixes" / mix.name
    manifest = directory / "manifest.json"
    wanted = {"build_version": BUILD_VERSION, "mix": asdict(mix)}
    if manifest.exists() and not force:
        cached = json.loads(manifest.read_text(encoding="utf-8"))
        if {k: cached.get(k) for k in wanted} == wanted:
            log.info("%s: cached in %s", mix.name, directory)
            return _from_manifest(cached, directory)
    cache = workdir / "sources"
    ira_db = ira_database(store, cache)
    directory.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"ATTACH {_sql_path(ira_db)} AS ira (READ_ONLY)")
    con.execute(_STAGED_DDL)
    ORGANIC_LOADERS[mix.organic](con, store, cache)
    window = _window(con)
    _stage_ira(con, mix, window)
    overlap = _clean(con, mix, window)
    _write_outputs(con, directory)
    build = MixBuild(
        mix.name,
        directory,
        window,
        _counts(con, overlap),
        _audit(con),
        {k: f"{SOURCES[k].repo}@{SOURCES[k].commit[:7]}" for k in ("ira", mix.organic)},
    )
    con.close()
    record = {**wanted, "window": list(window), "counts": build.counts, "audit": build.audit}
    record["sources"] = build.sources
    manifest.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    log.info("%s: %d posts, %d accounts", mix.name, build.counts["posts"], build.counts["accounts"])
    return build


def _from_manifest(record: dict[str, Any], directory: Path) -> MixBuild:
    return MixBuild(
        record["mix"]["name"],
        directory,
        (record["window"][0], record["window"][1]),
        record["counts"],
        record["audit"],
        record["sources"],
    )
