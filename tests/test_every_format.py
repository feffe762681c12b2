"""Every format: sniffed from content, and robust to damaged input (no crash, counts reconcile).

Format-specific field checks live in each adapter's own test module; this one holds what every
format must do alike.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cibscan.ingest.base import adapters, sniff_format
from cibscan.ingest.merge import BAD_TIME
from cibscan.ingest.readers import Source, read_head
from cibscan.store import Case
from tests.conftest import FIXTURES, FORMATS, load, rows

TIKTOK = "10_tiktok_research/tiktok-research-api-helper_api_"
EXPECTED = {
    "01_twitter_v2/twarc-csv_brexit.jsonl": "twitter_v2",
    "01_twitter_v2/twarc-csv_flat.jsonl": "twitter_v2",
    "01_twitter_v2/twarc-csv_media_tweet.jsonl": "twitter_v2",
    "01_twitter_v2/twitwi_payload-v2.json": "twitter_v2_response",
    "02_twitter_v1_1/tweet_parser_original_format_examples.jsonl": "twitter_v1",
    "02_twitter_v1_1/tweet_parser_public_api_sample.jsonl": "twitter_v1",
    "03_twitter_io_archive/twitter-frequenter_ira_tweets_sample.csv": "twitter_io_tweets",
    "03_twitter_io_archive/twitter-frequenter_ira_users_sample.csv": "twitter_io_users",
    "04_reddit_pushshift/pmaw_cassette_comments_r-science.ndjson": "reddit_pushshift",
    "04_reddit_pushshift/pmaw_cassette_submissions_r-science_q-quantum.ndjson": "reddit_pushshift",
    "05_telegram_desktop/tgif_software-testing_exported.json": "telegram_desktop",
    "05_telegram_desktop/tgif_tdd-and-clean-architecture_exported.json": "telegram_desktop",
    "06_bluesky/jetstream_expected_v1.jsonl": "bluesky_jetstream",
    "06_bluesky/jetstream_golden_v1.jsonl": "bluesky_jetstream",
    "06_bluesky/twitwi_bluesky-posts.json": "bluesky_postviews",
    "07_mastodon/rtoot_fosstodon.org_account_statuses.json": "mastodon",
    "07_mastodon/rtoot_fosstodon.org_timelines_public.json": "mastodon",
    "07_mastodon/rtoot_mastodon.social_timelines_public.json": "mastodon",
    "08_youtube_v3/python-youtube_comment_threads_all_to_me.json": "youtube_comment_threads",
    "08_youtube_v3/python-youtube_comment_threads_by_video_paged_1.json": "youtube_comment_threads",
    "08_youtube_v3/python-youtube_videos_chart_paged_1.json": "youtube_videos",
    "08_youtube_v3/python-youtube_videos_chart_paged_2.json": "youtube_videos",
    "09_crowdtangle_meta/pycoornet_ct_shares.csv": "crowdtangle_shares",
    "09_crowdtangle_meta/pycoornet_ct_shares.json": "crowdtangle_posts_json",
    TIKTOK + "comments_response.json": "tiktok_comments",
    TIKTOK + "videos_response_page_1_of_2.json": "tiktok_videos",
    TIKTOK + "videos_response_unicode_with_null_bytes.json": "tiktok_videos",
}
#: the project's own fixtures (tests/fixtures/formats, see its README): hand-built from
#: documentation where no real capture could be shared, or a real sample in another shape
OWN = {
    "06_bluesky_array/jetstream_golden_v1_array.json": "bluesky_jetstream",
    "11_zeeschuimer/zeeschuimer_douyin.ndjson": "zeeschuimer_douyin",
    "11_zeeschuimer/zeeschuimer_instagram.ndjson": "zeeschuimer_instagram",
    "11_zeeschuimer/zeeschuimer_pinterest.ndjson": "zeeschuimer_pinterest",
    "11_zeeschuimer/zeeschuimer_rednote.ndjson": "zeeschuimer_rednote",
    "11_zeeschuimer/zeeschuimer_tiktok.ndjson": "zeeschuimer_tiktok",
    "11_zeeschuimer/zeeschuimer_x.ndjson": "zeeschuimer_x",
    "12_meta_content_library/mcl_posts_api_page.json": "mcl_posts_json",
    "12_meta_content_library/mcl_posts_export.csv": "mcl_posts_csv",
    "13_vimeo_pinterest/pinterest_v5_pins_page.json": "pinterest_pins",
    "13_vimeo_pinterest/vimeo_comments_page.json": "vimeo_comments",
    "13_vimeo_pinterest/vimeo_videos_page.json": "vimeo_videos",
    "14_fourcat_csv/4cat_douyin.csv": "fourcat_douyin_csv",
    "14_fourcat_csv/4cat_instagram.csv": "fourcat_instagram_csv",
    "14_fourcat_csv/4cat_pinterest.csv": "fourcat_pinterest_csv",
    "14_fourcat_csv/4cat_tiktok.csv": "fourcat_tiktok_csv",
    "14_fourcat_csv/4cat_x.csv": "fourcat_x_csv",
}
SHARED_SAMPLES = dict(EXPECTED)
EXPECTED.update({f"own:{k}": v for k, v in OWN.items()})
SAMPLES = sorted(EXPECTED)


def path_of(sample: str) -> Path:
    """Where a sample of :data:`EXPECTED` is: ../shared, or the project's own fixtures."""
    return FIXTURES / sample[4:] if sample.startswith("own:") else FORMATS / sample


def test_every_sample_file_is_listed() -> None:
    on_disk = {
        str(p.relative_to(FORMATS)) for p in FORMATS.rglob("*") if p.is_file() and p.suffix != ".md"
    }
    assert on_disk == set(SHARED_SAMPLES)
    own = {
        str(p.relative_to(FIXTURES))
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.suffix != ".md"
    }
    assert own == set(OWN)


@pytest.mark.parametrize("sample", SAMPLES)
def test_sniffed_from_content(sample: str) -> None:
    adapter, confidence = sniff_format(read_head(Source(path_of(sample))))
    assert adapter is not None and adapter.name == EXPECTED[sample], (adapter, confidence)
    assert confidence >= 0.5


def test_all_samples_in_one_case(case: Case) -> None:
    report = load(case, FORMATS)
    assert report.errors == []
    assert {f.format for f in report.files} == set(SHARED_SAMPLES.values())
    # every quarantined record is either a kind of record that is not a post (a like, a
    # follow...) or an error the samples really hold; list the error reasons to review them
    errors = rows(
        case,
        "SELECT format, reason, count(*) AS n FROM quarantine "
        "WHERE severity = 'error' GROUP BY ALL",
    )
    # the only damaged record in the samples: a Bluesky post its client dated year 0
    assert errors == [{"format": "bluesky_postviews", "reason": BAD_TIME, "n": 1}], errors
    # regression guard: the per-format tests explain each file's counts
    assert report.total("read") == report.total("stored") + report.total("duplicates") + (
        report.total("quarantined")
    )
    # (+2: the repost actions of twitwi's two #reasonRepost wrappers, see bluesky.py)
    assert report.total("stored") == 2809  # less the year-0 Bluesky post


def _damaged(tmp_path: Path, sample: str, how: str) -> Path:
    data = path_of(sample).read_bytes()
    rng = random.Random(sample + how)
    if how == "truncated":
        data = data[: len(data) * 3 // 5]
    elif how == "nul_and_bad_utf8":
        for _ in range(3):
            at = rng.randrange(len(data) // 4, len(data))
            data = data[:at] + rng.choice([b"\x00", b"\xff\xfe", b"\xc3"]) + data[at:]
    elif how == "garbage":
        data = bytes(rng.randrange(256) for _ in range(5000))
    elif how == "giant_line":
        data = data + b"\n" + b"x" * (10 << 20) + b"\n"
    path = tmp_path / Path(sample).name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("how", ["truncated", "nul_and_bad_utf8", "garbage", "giant_line"])
@pytest.mark.parametrize("sample", SAMPLES)
def test_damaged_input_never_crashes_and_reconciles(
    case: Case, tmp_path: Path, sample: str, how: str
) -> None:
    path = _damaged(tmp_path, sample, how)
    report = load(case, path, format=EXPECTED[sample])  # load() checks every file reconciles
    for f in report.files:
        if f.quarantined:
            reasons = rows(case, "SELECT reason FROM quarantine WHERE ingest_run_id = ?", f.run_id)
            assert all(r["reason"] for r in reasons)
    assert all("Traceback" not in e for e in report.errors)


def test_every_adapter_declares_its_contract() -> None:
    from cibscan.ingest.catalog import filled_fields

    for adapter in adapters().values():
        assert adapter.name and adapter.title, adapter
        fills = filled_fields(adapter)  # read off the adapter's SQL unless declared
        assert "post_id" in fills or "account_id" in fills, (adapter.name, fills)
        assert adapter.reader in ("lines", "json", "csv", "parquet")
        assert adapter.sniff(b"") < 0.5
        assert adapter.sniff(b"\x00\x01\x02garbage") < 0.5
