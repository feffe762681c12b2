"""Each platform adapter on its real samples: counts, and exact values of hand-picked records.

Expected values were read off the raw records in ../shared/data/formats/ (see the comments).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cibscan.store import Case
from tests import scenes
from tests.conftest import FORMATS, load, rows

V2 = FORMATS / "01_twitter_v2"
V1 = FORMATS / "02_twitter_v1_1"


def one(case: Case, sql: str, *params: object) -> dict[str, object]:
    (row,) = rows(case, sql, *params)
    return row


def test_twitter_v2_page_with_includes(case: Case) -> None:
    (f,) = load(case, V2 / "twarc-csv_brexit.jsonl").files
    assert (f.format, f.read, f.stored) == ("twitter_v2", 100, 100)  # 1 page of 100 tweets
    # data[1] retweets 1440713161355583489; its author 711945679 comes from includes.tweets
    rt = one(case, "SELECT * FROM posts WHERE post_id = '1440716856763977732'")
    assert rt["kind"] == "repost" and rt["repost_of_post"] == "1440713161355583489"
    assert rt["repost_of_account"] == "711945679"
    assert rt["source_locator"] == "line 1 data[1]"
    assert rt["created_at"] == datetime(2021, 9, 22, 16, 37, 20, tzinfo=UTC)
    # the author profile comes from includes.users
    acct = one(case, "SELECT * FROM accounts WHERE account_id = '4100727022'")
    assert acct["handle"] == "jacquip537" and acct["followers"] == 2485


def test_twitter_v2_flattened_and_response_shapes(case: Case) -> None:
    report = load(
        case,
        V2 / "twarc-csv_flat.jsonl",
        V2 / "twitwi_payload-v2.json",
        V2 / "twarc-csv_media_tweet.jsonl",
    )
    assert [(f.format, f.stored) for f in report.files] == [
        ("twitter_v2", 100),
        ("twitter_v2_response", 10),
        ("twitter_v2", 1),
    ]
    # flattened retweets carry the original's author inline
    assert (
        one(
            case,
            "SELECT count(*) AS n FROM posts WHERE kind = 'repost' AND repost_of_account IS NULL",
        )["n"]
        == 0
    )
    # the media tweet's video is joined from includes.media by media_key
    media = one(
        case, "SELECT media FROM posts WHERE len(media) > 0 AND source_file LIKE '%media_tweet%'"
    )["media"]
    assert media[0]["hash"] == "7_1558552952549277696" and media[0]["type"] == "video"


def test_twitter_v1_extended_text_retweets_and_ids(case: Case) -> None:
    report = load(
        case,
        V1 / "tweet_parser_original_format_examples.jsonl",
        V1 / "tweet_parser_public_api_sample.jsonl",
    )
    # the public sample holds the same 20 test tweets as the Gnip file: all duplicates
    assert [(f.stored, f.duplicates) for f in report.files] == [(25, 0), (0, 20)]
    rt = one(case, "SELECT * FROM posts WHERE post_id = '867478524235366400'")
    # ids beyond 2^53 are exact (id_str); the retweet text is the original's, prefixed
    assert rt["repost_of_post"] == "861651727614746624"
    assert rt["repost_of_account"] == "2382763597"
    assert rt["text"].startswith("RT @notFromShrek: Since I feel like I shouldn't be someone")
    quote = one(case, "SELECT * FROM posts WHERE post_id = '872836479608733696'")
    assert quote["kind"] == "quote" and quote["hashtags"] == ["quotetweet", "hashtags"]
    assert quote["client"] == "Twitter Web Client"  # HTML anchor reduced to its text
    ext = one(case, "SELECT text FROM posts WHERE post_id = '867479301360205824'")
    assert ext["text"].endswith("Magic! https://t.co/5PU0FLFRYz")  # from extended_tweet


def test_reddit_comments_and_submissions(case: Case) -> None:
    report = load(case, *sorted((FORMATS / "04_reddit_pushshift").glob("*.ndjson")))
    # 347 comments and 18 submissions have author "[deleted]": quarantined, not merged
    assert [(f.stored, f.quarantined, f.unsupported) for f in report.files] == [
        (453, 347, 347),
        (406, 18, 18),
    ]
    c = one(case, "SELECT * FROM posts WHERE post_id = 't1_haflpmt'")
    assert (c["account_id"], c["kind"], c["venue"]) == ("SparkySailor", "comment", "science")
    assert c["reply_to_post"] == "t3_pbkq8f" and c["conversation_id"] == "t3_pbkq8f"
    assert c["created_at"] == datetime.fromtimestamp(1629990761, UTC)
    # a base-10 integer parent_id is turned back into a base-36 fullname
    assert one(case, "SELECT reply_to_post FROM posts WHERE post_id = 't1_haflcxj'") == {
        "reply_to_post": "t1_haf49zu"
    }
    s = one(case, "SELECT * FROM posts WHERE post_id = 't3_pbfqe9'")
    assert s["text"].startswith("Researchers reporting in the journal Nature Communications")
    assert s["domains"] == ["iflscience.com"]
    reasons = rows(case, "SELECT DISTINCT reason FROM quarantine")
    assert reasons == [{"reason": "deleted author"}]


def test_telegram_exports_both_generations(case: Case) -> None:
    report = load(case, *sorted((FORMATS / "05_telegram_desktop").glob("*.json")))
    assert [(f.format, f.stored) for f in report.files] == [
        ("telegram_desktop", 197),
        ("telegram_desktop", 191),
    ]
    # message ids are qualified by the chat id read from the file head
    m = one(case, "SELECT * FROM posts WHERE post_id = '1712691810/242640'")
    assert m["account_id"] == "user1462097294" and m["venue"] == "Teknologi Umum v2.0"
    # date_unixtime 1674216309 is UTC; the local 'date' said 19:05 (the exporter's UTC+7)
    assert m["created_at"] == datetime(2023, 1, 20, 12, 5, 9, tzinfo=UTC)
    # text given as an entity array: flattened, and the link entity becomes a URL
    link = one(case, "SELECT * FROM posts WHERE post_id = '1712691810/54759'")
    assert link["text"] == "https://github.com/teknologi-umum/graphene/tree/master/backend/tests"
    assert link["domains"] == ["github.com"]


def test_mastodon_global_identities_and_html(case: Case) -> None:
    report = load(case, FORMATS / "07_mastodon" / "rtoot_mastodon.social_timelines_public.json")
    assert report.files[0].stored == 20
    local = one(
        case,
        "SELECT * FROM posts WHERE post_id = "
        "'https://mastodon.social/users/GreenConnect/statuses/114870361898081928'",
    )
    assert local["account_id"] == "GreenConnect@mastodon.social"  # host added to local acct
    remote = one(case, "SELECT * FROM posts WHERE account_id = 'Michael@weatherby2378.social'")
    assert remote["text"].startswith('Natüürlich.\n\n"The UK and Germany')
    assert remote["urls"] == ["https://www.bbc.com/news/articles/cq6m10g7e35o"]


def test_youtube_comments_link_to_videos(case: Case) -> None:
    load(case, *sorted((FORMATS / "08_youtube_v3").glob("*.json")))
    c = one(case, "SELECT * FROM posts WHERE post_id = 'UgyZ1jqkHKYvi1-ruOZ4AaABAg'")
    assert c["account_id"] == "UCzj-CjKYmGlZ7vTL-vOe57A" and c["text"] == "Google.com"
    assert c["reply_to_post"] == "F1UP7wRCPH8" and c["kind"] == "comment"
    channel_level = one(case, "SELECT * FROM posts WHERE post_id = 'Ugy0FhSzKMNMT9qs6zt4AaABAg'")
    assert channel_level["reply_to_post"] is None and channel_level["text"] == "大满贯"
    v = one(case, "SELECT * FROM posts WHERE post_id = 'hDeuSfo_Ys0'")
    assert v["account_id"] == "UCWwWOFsW68TqXE-HZLC3WIA"
    assert v["text"].startswith("GIDDY UP ( OFFICIAL MUSIC VIDEO )\n\nDownload")
    assert "music.apple.com" in v["domains"]


def test_tiktok_exact_ids_nul_usernames_and_authorless_comments(case: Case) -> None:
    report = load(case, *sorted((FORMATS / "10_tiktok_research").glob("*.json")))
    comments = next(f for f in report.files if f.format == "tiktok_comments")
    assert (comments.read, comments.quarantined, comments.unsupported) == (6, 6, 6)
    v = one(case, "SELECT * FROM posts WHERE post_id = '7320768196569599275'")  # 19 digits
    assert v["account_id"] == "s.clovis" and v["hashtags"] == ["cats", "duet"]
    assert v["mentions"] == ["marvelkitties2022"]
    nul = one(case, "SELECT account_id FROM posts WHERE post_id = '7435406205763226897'")
    assert nul["account_id"] == "حموديالباشا" + "\x00" * 6 + "4"


def test_crowdtangle_shares_merge_links_of_one_post(case: Case) -> None:
    (f,) = load(case, FORMATS / "09_crowdtangle_meta" / "pycoornet_ct_shares.csv").files
    assert (f.read, f.stored, f.duplicates) == (1684, 1058, 626)
    p = one(case, "SELECT * FROM posts WHERE post_id = '82580949333'")
    assert p["account_id"] == "300176403665207" and p["platform"] == "facebook"
    acct = one(case, "SELECT flags FROM accounts WHERE account_id = '300176403665207'")
    assert acct["flags"] == ["facebook_group"]
    # no link lost: every distinct (post, normalised link) pair of the file is in a post
    src = str(FORMATS / "09_crowdtangle_meta" / "pycoornet_ct_shares.csv")
    pairs = one(
        case,
        "SELECT count(DISTINCT (id, cib_norm_url(expanded))) AS n "
        "FROM read_csv(?, all_varchar = true)",
        src,
    )
    assert one(case, "SELECT sum(len(urls)) AS n FROM posts")["n"] == pairs["n"]


def test_of_two_snapshots_at_the_same_time_the_later_record_wins(
    case: Case, tmp_path: Path
) -> None:
    # the same account's three posts: two in the same second with different follower
    # counts, then an older one last in the file. The profile is the latest snapshot's, and
    # between the two of the same second the one later in the file (the IO archives carry
    # a count per tweet, and arg_max over the time alone picked either, so that two ingests
    # of one file could disagree); the older post, last in the file, does not win.
    posts = [
        scenes.post("p1", "acc", 100, "one", acct_followers=10),
        scenes.post("p2", "acc", 100, "two", acct_followers=20),
        scenes.post("p0", "acc", 50, "zero", acct_followers=99),
    ]
    for run in range(2):
        path = scenes.write(tmp_path / f"same_second_{run}.jsonl", posts)
        load(case, path, format="generic_jsonl")
        assert one(case, "SELECT followers FROM accounts WHERE account_id = 'acc'") == {
            "followers": 20
        }
