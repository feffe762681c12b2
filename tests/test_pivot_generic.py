"""The peers' pivot tables and the user-mapped generic formats."""

from __future__ import annotations

import csv
import gzip
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cibscan.store import Case, open_case
from tests.conftest import SHARED, load, rows


def _head_of_gz(src: Path, dst: Path, lines: int) -> Path:
    with gzip.open(src, "rt", encoding="utf-8") as f:
        dst.write_text("".join(next(f) for _ in range(lines)), encoding="utf-8")
    return dst


def test_coortweet_retweets(case: Case, tmp_path: Path) -> None:
    path = _head_of_gz(
        SHARED / "coortweet" / "russian_coord_tweets.csv.gz", tmp_path / "ru.csv", 201
    )
    (f,) = load(case, path).files
    assert (f.format, f.read) == ("coortweet", 200)
    # first data row: object 85d2... retweeted by account 0fb4... at 1623881091
    (p,) = rows(case, "SELECT * FROM posts WHERE post_id = '114e22f1b2b648528277b76f0b0224e7'")
    assert p["kind"] == "repost" and p["repost_of_post"] == "85d2d12251a735ce05255061f7f231e2"
    assert p["account_id"] == "0fb4232d1b7b37069c13ee17579bd10e"
    assert p["created_at"] == datetime.fromtimestamp(1623881091, UTC)


def test_coortweet_object_option(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(
        "object_id,account_id,content_id,timestamp_share\n"
        "https://x.org/a?utm_source=t,acc1,c1,1600000000\n"
    )
    load(case, path, format="coortweet", format_options={"object": "url"})
    assert rows(case, "SELECT urls, kind FROM posts") == [
        {"urls": ["https://x.org/a"], "kind": "post"}
    ]
    with pytest.raises(ValueError, match="object must be one of"):
        load(case, path, format="coortweet", format_options={"object": "video"})


def test_coortweet_prepared_lists_survive_one_row_per_value(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "de.csv"
    path.write_text(
        "account_id,post_id,url_id,hashtag_id,domain_id,phash_id,timestamp\n"
        "tw_1,77,10,,5,,1629589836.0\n"  # post 77 shares url 10 (domain 5) ...
        "tw_1,77,,3,,,1629589836.0\n"  # ... and hashtag 3: one post, two rows
        "fb_2,77,10,,5,9,1629589900.0\n"  # a Facebook post with the same number is another
        "fb_3,,,,,,1629589900.0\n"  # no post id: quarantined
    )
    (f,) = load(case, path).files
    assert (f.read, f.stored, f.duplicates, f.quarantined) == (4, 2, 1, 1)
    tw = rows(case, "SELECT * FROM posts WHERE platform = 'twitter'")[0]
    assert tw["urls"] == ["https://d5.invalid/u10"] and tw["hashtags"] == ["h3"]
    assert tw["domains"] == ["d5.invalid"]
    fb = rows(case, "SELECT * FROM posts WHERE platform = 'facebook'")[0]
    assert fb["media"] == [{"url": None, "type": "image", "hash": "p9"}]


def test_cnt_csv(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "cnt.csv"
    path.write_text(
        "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
        "1,u1,alice,,,hello,1600000000,https://a.com https://b.com\n"
        "2,u2,bob,1,,RT hello,1600000005,\n"
    )
    (f,) = load(case, path).files
    assert f.format == "cnt_csv" and f.stored == 2
    # an empty urls field is no URL at all (the peer turns it into one shared by every post)
    assert rows(case, "SELECT post_id, kind, urls FROM posts ORDER BY post_id") == [
        {"post_id": "1", "kind": "post", "urls": ["https://a.com/", "https://b.com/"]},
        {"post_id": "2", "kind": "repost", "urls": []},
    ]


def test_generic_mapping_is_validated_and_quoted(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text('id,"we""ird",t\n1,u1,2024-01-01 00:00:00\n')
    with pytest.raises(ValueError, match="unknown field"):
        load(case, path, format="generic_csv", format_options={"postid": "id"})
    # a hostile column name is a quoted identifier, never SQL
    load(
        case,
        path,
        format="generic_csv",
        format_options={
            "post_id": "id",
            "account_id": 'we"ird',
            "created_at": "t",
            "text": "id); DROP TABLE posts; --",
        },
    )
    assert rows(case, "SELECT post_id, account_id, text FROM posts") == [
        {"post_id": "1", "account_id": "u1", "text": None}
    ]


POST = st.fixed_dictionaries(
    {
        "text": st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=60
        ),
        "account": st.text("abcdefghij_0123456789", min_size=1, max_size=12),
        "seconds": st.integers(0, 10**8),
        "tags": st.lists(st.text("abcdefXYZ", min_size=1, max_size=8), max_size=3),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    posts=st.lists(POST, min_size=1, max_size=8), kind=st.sampled_from(["csv", "jsonl", "parquet"])
)
def test_generic_round_trip(posts: list[dict[str, object]], kind: str) -> None:
    base = datetime(2020, 1, 1, tzinfo=UTC)
    records = [
        {
            "id": str(i),
            "user": p["account"],
            "when": (base + timedelta(seconds=p["seconds"])).isoformat(),
            "body": p["text"],
            "tags": json.dumps(p["tags"]),
        }
        for i, p in enumerate(posts)  # type: ignore[operator]
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"posts.{kind}"
        if kind == "csv":
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=list(records[0]))
                writer.writeheader()
                writer.writerows(records)
        elif kind == "jsonl":
            path.write_text(
                "".join(json.dumps(r | {"tags": json.loads(r["tags"])}) + "\n" for r in records),
                encoding="utf-8",
            )
        else:
            pq.write_table(pa.Table.from_pylist(records), path)
        case = open_case(Path(tmp) / "c.duckdb")
        options = {
            "post_id": "id",
            "account_id": "user",
            "created_at": "when",
            "text": "body",
            "hashtags": "tags",
        }
        (f,) = load(case, path, format=f"generic_{kind}", format_options=options).files
        assert (f.read, f.stored) == (len(posts), len(posts))
        got = {r["post_id"]: r for r in rows(case, "SELECT * FROM posts")}
        for i, p in enumerate(posts):
            r = got[str(i)]
            assert r["account_id"] == p["account"]
            assert (r["text"] or "") == p["text"]
            assert r["created_at"] == base + timedelta(seconds=p["seconds"])  # type: ignore[operator]
            assert r["hashtags"] == [t.lower() for t in p["tags"]]  # type: ignore[attr-defined]
        case.close()
