"""X/Twitter Information Operations archive: the hashed tweets and users CSV files.

Twitter's transparency releases (2018-2021) ship ``*_tweets_csv_hashed.csv`` (31 columns)
and ``*_users_csv_hashed.csv``. Columns are mapped by header name, so both the 2018 order
(``in_reply_to_tweetid`` before ``in_reply_to_userid``) and the newer one work. List
columns hold Python-style strings (``['a', 'b']``) or bare brackets (``[a, b]``).
``tweet_time`` has minute precision; accounts under 5,000 followers are hashed (the same
64-hex value in userid, user_display_name and user_screen_name).
"""

from __future__ import annotations

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import csv_score

#: a hashed identity is 64 lower-case hex digits (tested without a regex: cheaper, the same)
_ACCOUNT_SELECT = """
    cib_str(userid) AS account_id,
    cib_str(user_screen_name) AS acct_handle,
    cib_str(user_display_name) AS acct_display_name,
    cib_ts(account_creation_date) AS acct_created_at,
    cib_str(user_profile_description) AS acct_description,
    cib_str(user_reported_location) AS acct_location,
    cib_str(user_profile_url) AS acct_url,
    cib_int(follower_count) AS acct_followers,
    cib_int(following_count) AS acct_following,
    cib_str(account_language) AS acct_language,
    CASE WHEN length(userid) = 64 AND ltrim(userid, '0123456789abcdef') = ''
         THEN ['hashed_identity'] END AS acct_flags"""

_ACCOUNT_COLUMNS = (
    "userid",
    "user_display_name",
    "user_screen_name",
    "user_reported_location",
    "user_profile_description",
    "user_profile_url",
    "follower_count",
    "following_count",
    "account_creation_date",
    "account_language",
)

#: the tweets file's 31 columns in the official order of newer releases (the adapter maps by
#: header name, so the 2018 order reads too); writers of the format use this list
IO_TWEET_COLUMNS: tuple[str, ...] = (
    "tweetid",
    *_ACCOUNT_COLUMNS,
    "tweet_language",
    "tweet_text",
    "tweet_time",
    "tweet_client_name",
    "in_reply_to_userid",
    "in_reply_to_tweetid",
    "quoted_tweet_tweetid",
    "is_retweet",
    "retweet_userid",
    "retweet_tweetid",
    "latitude",
    "longitude",
    "quote_count",
    "reply_count",
    "like_count",
    "retweet_count",
    "hashtags",
    "urls",
    "user_mentions",
    "poll_choices",
)


class TwitterIOTweets(Adapter):
    name = "twitter_io_tweets"
    platform = "twitter"
    title = "X/Twitter Information Operations archive, tweets CSV (hashed or unhashed)"
    reader = "csv"
    source_hint = "transparency.twitter.com IO archive *_tweets_csv_hashed.csv"
    #: every column but the geotag and the poll, which cibscan does not read
    columns: tuple[str, ...] = tuple(
        c for c in IO_TWEET_COLUMNS if c not in ("latitude", "longitude", "poll_choices")
    )
    required_columns: tuple[str, ...] = ("tweetid", "userid", "tweet_time")

    def sniff(self, head: bytes) -> float:
        return csv_score(
            head,
            {"tweetid", "userid", "tweet_time"},
            {"tweet_text", "is_retweet", "retweet_tweetid"},
        )

    def stage_sql(self, stream: str) -> str:
        return f"""
        SELECT seq, 'post' AS rec,
            cib_str(tweetid) AS post_id,
            cib_ts(tweet_time) AS created_at,
            CASE WHEN regexp_full_match(trim(tweet_time), '\\d{{4}}-\\d\\d-\\d\\d \\d\\d:\\d\\d')
                 THEN 'minute' ELSE 'second' END AS time_precision,
            CASE WHEN cib_bool(is_retweet) THEN 'repost'
                 WHEN cib_str(quoted_tweet_tweetid) IS NOT NULL THEN 'quote'
                 WHEN cib_str(in_reply_to_tweetid) IS NOT NULL THEN 'reply'
                 ELSE 'post' END AS kind,
            tweet_text AS text,
            cib_str(tweet_language) AS language,
            cib_str(retweet_tweetid) AS repost_of_post,
            cib_str(retweet_userid) AS repost_of_account,
            cib_str(in_reply_to_tweetid) AS reply_to_post,
            cib_str(in_reply_to_userid) AS reply_to_account,
            cib_str(quoted_tweet_tweetid) AS quote_of_post,
            cib_pylist(urls) AS urls,
            cib_pylist(hashtags) AS hashtags,
            cib_pylist(user_mentions) AS mentions,
            cib_str(tweet_client_name) AS client,
            cib_int(like_count) AS like_count,
            cib_int(retweet_count) AS repost_count,
            cib_int(reply_count) AS reply_count,
            cib_int(quote_count) AS quote_count,
            {_ACCOUNT_SELECT}
        FROM {stream}"""


class TwitterIOUsers(Adapter):
    name = "twitter_io_users"
    platform = "twitter"
    title = "X/Twitter Information Operations archive, users CSV (account profiles)"
    reader = "csv"
    source_hint = "transparency.twitter.com IO archive *_users_csv_hashed.csv"
    columns: tuple[str, ...] = _ACCOUNT_COLUMNS
    required_columns: tuple[str, ...] = ("userid",)

    def sniff(self, head: bytes) -> float:
        score = csv_score(
            head, {"userid", "user_screen_name"}, {"account_creation_date", "follower_count"}
        )
        return 0.0 if csv_score(head, {"tweetid"}) else score

    def stage_sql(self, stream: str) -> str:
        return f"SELECT seq, 'account' AS rec, {_ACCOUNT_SELECT} FROM {stream}"


register(TwitterIOTweets())
register(TwitterIOUsers())
