"""4CAT's CSV exports of Zeeschuimer datasets (issue 19), on hand-built rows that repeat some
posts of the NDJSON fixtures (tests/fixtures/formats/11_zeeschuimer), so that both exports
of one dataset can be checked to merge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cibscan.ingest.base import sniff_format
from cibscan.ingest.merge import BAD_TIME
from cibscan.ingest.readers import Source, read_head
from cibscan.store import Case
from tests.conftest import FIXTURES, load, rows

CSV = FIXTURES / "14_fourcat_csv"
ZS = FIXTURES / "11_zeeschuimer"
T0 = datetime(2024, 5, 29, 16, 26, 40, tzinfo=UTC)


def one(case: Case, sql: str, *params: object) -> dict[str, Any]:
    (row,) = rows(case, sql, *params)
    return row


@pytest.mark.parametrize("name", ["tiktok", "instagram", "pinterest", "x", "douyin"])
def test_sniffed_by_the_columns_only_that_data_source_writes(name: str) -> None:
    adapter, confidence = sniff_format(read_head(Source(CSV / f"4cat_{name}.csv")))
    assert adapter is not None and adapter.name == f"fourcat_{name}_csv" and confidence >= 0.6


def test_rows_alone(case: Case) -> None:
    report = load(case, *sorted(CSV.glob("*.csv")))
    counts = {f.format: (f.read, f.stored, f.quarantined) for f in report.files}
    assert counts == {
        "fourcat_douyin_csv": (2, 1, 1),  # the second row has no author_user_id
        "fourcat_instagram_csv": (2, 2, 0),
        "fourcat_pinterest_csv": (2, 1, 1),  # the second pin has no unix_timestamp
        "fourcat_tiktok_csv": (3, 2, 1),  # the third video has no unix_timestamp
        "fourcat_x_csv": (3, 3, 0),
    }
    reasons = rows(case, "SELECT format, reason FROM quarantine ORDER BY format")
    assert reasons == [
        {"format": "fourcat_douyin_csv", "reason": "missing account id"},
        {"format": "fourcat_pinterest_csv", "reason": BAD_TIME},
        {"format": "fourcat_tiktok_csv", "reason": BAD_TIME},
    ]
    # unix_timestamp, not 'timestamp' (the 4CAT server's local time: 18:26:40 in the rows)
    tt = one(case, "SELECT * FROM posts WHERE post_id = '7300000000000000001'")
    assert (tt["account_id"], tt["created_at"], tt["hashtags"]) == (
        "rosa.lee",
        T0,
        ["peace", "unity"],
    )
    assert (tt["like_count"], tt["reply_count"], tt["repost_count"], tt["view_count"]) == (
        5,
        2,
        1,
        100,
    )
    # X: the kind comes from 4CAT's yes/no flags; a retweet keeps no original id
    kinds = rows(case, "SELECT post_id, kind, quote_of_post FROM posts WHERE platform = 'twitter'")
    assert sorted((r["post_id"][-1], r["kind"], r["quote_of_post"]) for r in kinds) == [
        ("1", "post", None),
        ("2", "repost", None),
        ("4", "quote", "1795000000000000001"),
    ]
    ig = one(case, "SELECT * FROM posts WHERE post_id = 'C1AAAAAAAAA'")
    assert (ig["account_id"], ig["mentions"], ig["like_count"]) == ("5550001", ["anna.k"], 10)
    assert one(case, "SELECT count(*) AS n FROM posts WHERE post_id = 'C5EEEEEEEEE'")["n"] == 1


def test_csv_and_ndjson_of_one_dataset_merge(case: Case) -> None:
    # the NDJSON first, then the CSV: rows of posts already stored are duplicates, and
    # their accounts are the same accounts (keyed alike by both adapters)
    load(case, ZS)
    report = load(case, *sorted(CSV.glob("*.csv")))
    dups = {f.format: f.duplicates for f in report.files}
    assert dups == {
        "fourcat_douyin_csv": 1,
        "fourcat_instagram_csv": 1,
        "fourcat_pinterest_csv": 1,
        "fourcat_tiktok_csv": 1,
        "fourcat_x_csv": 2,
    }
    accounts = one(
        case,
        "SELECT count(*) AS n FROM accounts WHERE account_id IN "
        "('rosa.lee', '5550001', 'rosalee', '44001', '88001')",
    )
    assert accounts["n"] == 5  # one account each, not two
