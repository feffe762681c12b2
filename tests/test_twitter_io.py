"""The Information Operations archive adapters on the real 2018 IRA rows."""

from __future__ import annotations

from datetime import UTC, datetime

from cibscan.store import Case
from tests.conftest import FORMATS, load, rows

IO = FORMATS / "03_twitter_io_archive"
TWEETS = IO / "twitter-frequenter_ira_tweets_sample.csv"
USERS = IO / "twitter-frequenter_ira_users_sample.csv"


def test_tweets_file_is_sniffed_and_mapped_by_header_name(case: Case) -> None:
    report = load(case, TWEETS)
    (f,) = report.files
    assert (f.format, f.read, f.stored, f.quarantined) == ("twitter_io_tweets", 2, 2, 0)
    (rt,) = rows(case, "SELECT * FROM posts WHERE post_id = '877919995476496385'")
    # 2018 column order: in_reply_to_tweetid comes before in_reply_to_userid; is_retweet is
    # lowercase 'true'; the retweet points at tweet 877917212119416832 by user 2572896396.
    assert rt["kind"] == "repost"
    assert rt["repost_of_post"] == "877917212119416832"
    assert rt["repost_of_account"] == "2572896396"
    assert rt["account_id"].startswith("249064136b1c5cb0")
    # tweet_time '2017-06-22 16:03' has minute precision, read as UTC
    assert rt["created_at"] == datetime(2017, 6, 22, 16, 3, tzinfo=UTC)
    assert rt["time_precision"] == "minute"
    # bare-bracket list columns: [http://...] and [2572896396]
    assert rt["urls"] == ["http://ru-open.livejournal.com/374284.html"]
    assert rt["domains"] == ["ru-open.livejournal.com"]
    assert rt["mentions"] == ["2572896396"]
    assert rt["text"].startswith("RT @ruopentwit: ⚡️У НАС НОВОЕ ВИДЕО!")
    assert rt["source_locator"] == "row 1"


def test_users_file_fills_profiles_and_name_history(case: Case) -> None:
    load(case, TWEETS, USERS)
    (acct,) = rows(
        case,
        "SELECT * FROM accounts WHERE account_id LIKE '94c383089f0dd999%'",
    )
    assert acct["location"] == "USA"
    assert acct["followers"] == 1541 and acct["following"] == 1676
    assert acct["created_at"] == datetime(2014, 6, 13, tzinfo=UTC)
    assert acct["flags"] == ["hashed_identity"]
    assert rows(case, "SELECT count(*) AS n FROM account_names")[0]["n"] == 4


def test_reingest_is_idempotent(case: Case) -> None:
    load(case, TWEETS, USERS)
    again = load(case, TWEETS, USERS)
    assert [f.stored for f in again.files] == [0, 0]
    assert [f.duplicates for f in again.files] == [2, 2]
    assert rows(case, "SELECT count(*) AS n FROM posts")[0]["n"] == 2
    assert rows(case, "SELECT count(*) AS n FROM accounts")[0]["n"] == 4
