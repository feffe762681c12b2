"""The ingest pipeline's guarantees, independent of any one platform format."""

from __future__ import annotations

import ast
import bz2
import gzip
import lzma
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import zstandard
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.ingest import merge
from cibscan.ingest.merge import BAD_TIME
from cibscan.ingest.normalize import pseudonym
from cibscan.store import Case, CaseError, open_case
from cibscan.store.schema import SCHEMA_VERSION
from tests.conftest import FORMATS, load, rows

TWEETS = FORMATS / "03_twitter_io_archive" / "twitter-frequenter_ira_tweets_sample.csv"
HEADER = TWEETS.read_bytes().split(b"\n", 1)[0]


def _csv(tmp_path: Path, *lines: bytes, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(b"\n".join([HEADER, *lines]) + b"\n")
    return path


def _row(
    tweetid: str, userid: str = "u1", when: str = "2020-01-01 10:00", text: str = "hi"
) -> bytes:
    fields = {"tweetid": tweetid, "userid": userid, "tweet_time": when, "tweet_text": text}
    names = [n.strip('"') for n in HEADER.decode().split(",")]
    return ",".join('"' + fields.get(n, "").replace('"', '""') + '"' for n in names).encode()


@pytest.mark.parametrize("kind", ["gzip", "zstd", "bz2", "xz", "zip"])
def test_compressed_inputs_are_sniffed_and_read(case: Case, tmp_path: Path, kind: str) -> None:
    data = TWEETS.read_bytes()
    path = tmp_path / f"tweets.{kind}"
    if kind == "gzip":
        path.write_bytes(gzip.compress(data))
    elif kind == "zstd":
        path.write_bytes(zstandard.ZstdCompressor().compress(data))
    elif kind == "bz2":
        path.write_bytes(bz2.compress(data))
    elif kind == "xz":
        path.write_bytes(lzma.compress(data))
    else:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("inner/tweets.csv", data)
    (f,) = load(case, path).files
    assert (f.format, f.stored) == ("twitter_io_tweets", 2)
    if kind == "zip":
        assert f.source.endswith("!inner/tweets.csv")


def test_bad_rows_are_quarantined_with_reasons_and_counts_reconcile(
    case: Case, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        _row("1"),
        _row("2", when="yesterday-ish"),  # unparseable timestamp
        _row("", userid="u3"),  # no tweet id
        _row("4", userid=""),  # no account
        b'"5","u5","too few fields"',  # wrong number of fields
        _row("6", text="bad BYTE").replace(b"BYTE", b"\xff\xfe"),  # invalid UTF-8
        _row("7", text="nul \x00 inside"),  # a NUL byte is data, kept as is
        _row("1"),  # same tweet id again: a duplicate
    )
    (f,) = load(case, path).files
    assert (f.read, f.stored, f.duplicates, f.quarantined) == (8, 2, 1, 5)
    reasons = {r["reason"] for r in rows(case, "SELECT reason FROM quarantine")}
    assert reasons == {
        BAD_TIME,
        "missing post id",
        "missing account id",
        "wrong number of CSV fields",
        "invalid UTF-8",
    }
    # the quarantine keeps the raw record so an analyst can see what was wrong
    (bad_time,) = rows(case, "SELECT raw, locator FROM quarantine WHERE reason LIKE '%timestamp%'")
    assert "yesterday-ish" in bad_time["raw"]
    (nul,) = rows(case, "SELECT text FROM posts WHERE post_id = '7'")
    assert nul["text"] == "nul \x00 inside"


def test_missing_required_column_quarantines_every_row(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "no_time.csv"
    path.write_text('"tweetid","userid","tweet_text"\n"1","u","a"\n"2","u","b"\n')
    (f,) = load(case, path, format="twitter_io_tweets").files
    assert (f.read, f.quarantined) == (2, 2)
    assert any("tweet_time" in w for w in f.warnings)


def test_extra_columns_are_ignored(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text('"tweetid","userid","tweet_time","surprise"\n"1","u","2020-01-01 00:00","x"\n')
    (f,) = load(case, path, format="twitter_io_tweets").files
    assert f.stored == 1


def test_empty_file_reads_nothing_without_error(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    report = load(case, path)
    assert report.errors == [] and report.files[0].read == 0
    assert "empty file" in report.files[0].warnings


def test_unreadable_and_unknown_files_are_errors_not_crashes(case: Case, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 50)
    report = load(case, tmp_path / "missing.csv", garbage, TWEETS)
    assert len(report.errors) == 2
    assert "no such file" in report.errors[0]
    assert "format not recognised" in report.errors[1]
    assert report.files[0].stored == 2  # the good file still went in


def test_corrupt_compressed_file_is_an_error(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(TWEETS.read_bytes())[:40])
    report = load(case, path, format="twitter_io_tweets")
    assert report.errors and "broken.gz" in report.errors[0]


def test_truncated_download_keeps_what_came_before(case: Case, tmp_path: Path) -> None:
    # 3,000 tweets gzipped, then the file cut at 60%: the first tweets are stored, the cut
    # line is quarantined as a bad row, and the broken rest is one quarantined record
    lines = [_row(str(i), text=f"tweet number {i} " + "x" * 50) for i in range(3000)]
    data = gzip.compress(b"\n".join([HEADER, *lines]) + b"\n")
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) * 3 // 5])
    (f,) = load(case, path, format="twitter_io_tweets").files
    assert 0 < f.stored < 3000
    reasons = {r["reason"] for r in rows(case, "SELECT reason FROM quarantine")}
    assert "truncated or corrupt file" in reasons
    assert any("broke off" in w for w in f.warnings)


def test_ten_megabyte_field_is_stored(case: Case, tmp_path: Path) -> None:
    huge = "x" * (10 << 20)
    (f,) = load(case, _csv(tmp_path, _row("1", text=huge))).files
    assert f.stored == 1
    assert rows(case, "SELECT length(text) AS n FROM posts")[0]["n"] == 10 << 20


def test_pseudonymize_replaces_ids_handles_consistently(case: Case) -> None:
    users = FORMATS / "03_twitter_io_archive" / "twitter-frequenter_ira_users_sample.csv"
    load(case, TWEETS, users, pseudonymize_key="s3cret")
    original = "249064136b1c5cb00a705316ab73dd9b53785748ab757f02df7e7a9876906139"
    ids = {r["account_id"] for r in rows(case, "SELECT account_id FROM posts")}
    assert pseudonym("s3cret", original) in ids
    assert all(i.startswith("h_") for i in ids)
    (acct,) = rows(
        case, "SELECT * FROM accounts WHERE account_id = ?", pseudonym("s3cret", original)
    )
    assert acct["handle"] == pseudonym("s3cret", original)  # handles are lower-cased first
    assert acct["description"] is None and acct["location"] is None
    (rt,) = rows(case, "SELECT repost_of_account FROM posts WHERE kind = 'repost'")
    assert rt["repost_of_account"] == pseudonym("s3cret", "2572896396")
    # nothing identifying is left anywhere in the case file
    assert not rows(case, "SELECT 1 FROM account_names WHERE handle = ?", original)


def test_failed_merge_rolls_back_and_can_be_run_again(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> int:
        raise RuntimeError("power cut")

    monkeypatch.setattr(merge, "merge_accounts", boom)
    with pytest.raises(RuntimeError):
        load(case, TWEETS)
    assert rows(case, "SELECT count(*) AS n FROM posts")[0]["n"] == 0
    assert rows(case, "SELECT count(*) AS n FROM ingest_runs")[0]["n"] == 0
    monkeypatch.undo()
    (f,) = load(case, TWEETS).files
    assert f.stored == 2


def test_case_from_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    c = open_case(path)
    c.engine.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)]
    )
    c.close()
    with pytest.raises(CaseError, match="Upgrade cibscan"):
        open_case(path)


def test_not_a_case_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("just text")
    with pytest.raises(CaseError, match="not a cibscan case"):
        open_case(path)


def test_ingest_run_records_file_hash_and_counts(case: Case) -> None:
    import hashlib

    load(case, TWEETS)
    (run,) = rows(case, "SELECT * FROM ingest_runs")
    assert run["sha256"] == hashlib.sha256(TWEETS.read_bytes()).hexdigest()
    assert (run["n_read"], run["n_stored"], run["status"]) == (2, 2, "complete")


def test_repeated_url_lists_are_normalised_as_each_alone(case: Case, tmp_path: Path) -> None:
    """URL lists are normalised once per distinct list and joined back to their posts: the
    posts sharing a list, a list in another order, a list repeating a URL, a defanged URL and
    a post without links must each get what normalising its own list gives."""
    lists = [
        "https://Example.com/a?utm_source=x http://b.org/",
        "https://Example.com/a?utm_source=x http://b.org/",
        "http://b.org/ https://Example.com/a?utm_source=x",
        "hxxp://evil[.]com/x hxxp://evil[.]com/x",
        "",
        "https://Example.com/a?utm_source=x http://b.org/",
    ]
    path = tmp_path / "links.csv"
    body = "".join(f"m{i},u{i},u{i},,,post {i},{1700000000 + i},{u}\n" for i, u in enumerate(lists))
    path.write_text(
        "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n" + body
    )
    load(case, path, format="cnt_csv")
    got = rows(
        case,
        """SELECT urls, domains,
                  cib_norm_urls(urls_raw) AS own_urls,
                  cib_unique(list_filter(list_transform(cib_norm_urls(urls_raw),
                      lambda x: cib_url_domain(x)), lambda x: x IS NOT NULL)) AS own_domains
           FROM posts ORDER BY post_id""",
    )
    assert [r["urls"] for r in got] == [r["own_urls"] for r in got]
    assert [r["domains"] for r in got] == [r["own_domains"] for r in got]
    assert got[0]["urls"] == ["https://example.com/a", "http://b.org/"]
    assert got[2]["urls"] == ["http://b.org/", "https://example.com/a"]
    assert got[3]["urls"] == ["http://evil.com/x"] and got[4]["urls"] == []


def test_a_zstd_file_cut_between_two_blocks_is_not_taken_for_a_shorter_one(
    case: Case, tmp_path: Path
) -> None:
    """The first half of 4,000 tweets is flushed as whole blocks, then the file is cut right
    there, at a block boundary inside the frame: zstandard's stream reader used to end
    quietly (read 2,000 = stored 2,000, no warning). The frame never ended: the fault is
    recorded, the rest quarantined as 'truncated or corrupt file'."""
    lines = [_row(str(i), text=f"tweet number {i} " + "x" * 50) for i in range(4000)]
    half = b"\n".join([HEADER, *lines[:2000]]) + b"\n"
    compressor = zstandard.ZstdCompressor(write_checksum=True).compressobj()
    cut = compressor.compress(half) + compressor.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    path = tmp_path / "cut.csv.zst"
    path.write_bytes(cut)
    (f,) = load(case, path, format="twitter_io_tweets").files
    assert f.stored == 2000  # what was there is kept ...
    reasons = {r["reason"] for r in rows(case, "SELECT reason FROM quarantine")}
    assert "truncated or corrupt file" in reasons  # ... and the cut is said
    assert any("last frame is incomplete" in w for w in f.warnings)


def test_zstd_frames_one_after_another_are_read_whole(case: Case, tmp_path: Path) -> None:
    """Three frames back to back (as zstd -c a b c > x.zst writes): every row is read."""
    lines = [_row(str(i), text=f"tweet number {i} " + "x" * 50) for i in range(3000)]
    parts = [b"\n".join([HEADER, *lines[:1000]]) + b"\n"]
    parts += [b"\n".join(lines[k : k + 1000]) + b"\n" for k in (1000, 2000)]
    path = tmp_path / "frames.csv.zst"
    path.write_bytes(b"".join(zstandard.ZstdCompressor().compress(p) for p in parts))
    (f,) = load(case, path, format="twitter_io_tweets").files
    assert (f.read, f.stored, f.quarantined, f.warnings) == (3000, 3000, 0, [])


def test_stored_counts_posts_and_accounts_apart(case: Case) -> None:
    """A users file stores accounts, not posts: the report says which. Loaded first, its
    profiles are new accounts; the tweets then store posts (their accounts are known)."""
    users = FORMATS / "03_twitter_io_archive" / "twitter-frequenter_ira_users_sample.csv"
    (profiles,) = load(case, users).files
    assert profiles.stored == profiles.stored_accounts > 0 and profiles.stored_posts == 0
    (tweets,) = load(case, TWEETS).files
    assert tweets.stored == tweets.stored_posts > 0 and tweets.stored_accounts == 0
    for f in (profiles, tweets):
        assert f.read == f.stored + f.duplicates + f.quarantined


def test_real_and_pseudonymous_ids_do_not_mix_in_one_case(tmp_path: Path) -> None:
    """Ingested with real ids, then with a key: the same accounts would be stored twice
    (500 empty h_ accounts, every post a duplicate). Refused, in each direction and for a
    second key; the same key again is fine."""
    users = FORMATS / "03_twitter_io_archive" / "twitter-frequenter_ira_users_sample.csv"
    with open_case(tmp_path / "plain.duckdb") as case:
        load(case, TWEETS)
        with pytest.raises(CaseError, match="holds real ids"):
            load(case, users, pseudonymize_key="s3cret")
        assert (
            rows(case, "SELECT count(*) AS n FROM accounts WHERE account_id LIKE 'h_%'")[0]["n"]
            == 0
        )
    with open_case(tmp_path / "keyed.duckdb") as case:
        load(case, TWEETS, pseudonymize_key="s3cret")
        load(case, users, pseudonymize_key="s3cret")  # the same key: fine
        with pytest.raises(CaseError, match=r"pseudonymised \(key fingerprint [0-9a-f]{12}\)"):
            load(case, users)
        with pytest.raises(CaseError, match="another key"):
            load(case, users, pseudonymize_key="other")
    result = CliRunner().invoke(
        main, ["ingest", str(users), "--case", str(tmp_path / "keyed.duckdb")]
    )
    assert result.exit_code == 1 and "pseudonymised" in result.output
    assert "s3cret" not in result.output  # the fingerprint does not reveal the key


def test_a_damaged_gzip_stores_nothing_it_cannot_trust(case: Case, tmp_path: Path) -> None:
    """50 bytes flipped in the middle of a .csv.gz: deflate decodes garbage until the CRC
    at the end says so, and ids that are not in the file used to be stored (1-27 in three
    of five seeds). Now no row of a damaged archive is stored; each is quarantined with
    the reason, and the counts reconcile."""
    lines = [_row(str(10**17 + i), text=f"tweet number {i} with text") for i in range(20000)]
    packed = bytearray(gzip.compress(b"\n".join([HEADER, *lines]) + b"\n"))
    rng = random.Random(2)
    middle = len(packed) // 2
    for _ in range(50):
        packed[rng.randrange(middle - 2000, middle + 2000)] ^= rng.randrange(1, 256)
    path = tmp_path / "damaged.csv.gz"
    path.write_bytes(bytes(packed))
    (f,) = load(case, path, format="twitter_io_tweets").files
    assert f.stored == 0 and f.quarantined > 0
    reasons = {r["reason"] for r in rows(case, "SELECT DISTINCT reason FROM quarantine")}
    assert merge.CORRUPT_STREAM in reasons and "truncated or corrupt file" in reasons
    assert any("corrupt compressed file" in w for w in f.warnings)


def test_a_zip_member_failing_its_crc_stores_nothing(case: Case, tmp_path: Path) -> None:
    """A stored (uncompressed) zip member with flipped bytes decodes without complaint
    until its CRC-32 is checked at the end: its rows were stored (7 invented accounts in
    the issue's trial). Now the member's rows are all quarantined. (40,000 rows: a member
    read whole by the format sniffing fails there, as an error line, storing nothing.)"""
    lines = [_row(str(10**17 + i), text=f"tweet number {i} with text") for i in range(40000)]
    body = bytearray(b"\n".join([HEADER, *lines]) + b"\n")
    for at in range(len(body) // 2, len(body) // 2 + 40, 4):
        body[at] = ord("7") if body[at] != ord("7") else ord("3")
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("tweets.csv", b"\n".join([HEADER, *lines]) + b"\n")
    raw = bytearray(path.read_bytes())
    start = raw.find(HEADER)
    raw[start : start + len(body)] = body  # the member's bytes damaged, its CRC kept
    path.write_bytes(bytes(raw))
    (f,) = load(case, path, format="twitter_io_tweets").files
    assert f.stored == 0 and f.read == f.quarantined
    assert rows(case, "SELECT count(*) AS n FROM quarantine WHERE reason = ?",
                merge.CORRUPT_STREAM)[0]["n"] > 0  # fmt: skip


def test_a_csv_header_then_zeros_ends_normally(tmp_path: Path) -> None:
    """A CSV header followed by 200 MB of zeros: no line end for longer than Arrow's
    block, so its reads failed ("straddling object"), and after such a failure the
    interpreter aborted at exit (Fatal Python error: PyGILState_Release, status 134)
    because Arrow still held the file object. Now the zeros are one record over the
    64 MiB --max-record-bytes, quarantined without reaching Arrow. Run in a child process,
    which must end normally with the one record read and quarantined."""
    path = tmp_path / "zeros.csv.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(HEADER + b"\n" + b"\0" * (200 << 20))
    child = (
        "from cibscan.store import open_case\n"
        "from cibscan.ingest.pipeline import IngestOptions, ingest\n"
        "with open_case(None) as case:\n"
        f"    report = ingest(case, [{str(path)!r}], IngestOptions(format='twitter_io_tweets'))\n"
        "print([(f.read, f.quarantined, f.stored) for f in report.files])\n"
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-500:]
    assert "Fatal Python error" not in done.stderr
    assert ast.literal_eval(done.stdout) == [(1, 1, 0)]


def test_a_field_longer_than_a_block_is_read_with_larger_blocks(case: Case, tmp_path: Path) -> None:
    """2,000 valid rows and one 40 MB tweet_text in a .gz: Arrow's 16 MB block cannot hold
    the record ("straddling object"), and the whole file was refused (read 0). It is now
    read again with 128 MB blocks: every row is stored, the long text whole."""
    lines = [_row(str(i), text=f"tweet number {i}") for i in range(2000)]
    lines.insert(1000, _row("long", text="y" * (40 << 20)))
    path = tmp_path / "long.csv.gz"
    path.write_bytes(gzip.compress(b"\n".join([HEADER, *lines]) + b"\n", compresslevel=1))
    (f,) = load(case, path, format="twitter_io_tweets").files
    assert (f.read, f.stored, f.quarantined) == (2001, 2001, 0)
    assert f.warnings == ["a record longer than 16 MB: read again in larger blocks"]
    long = rows(case, "SELECT length(text) AS n FROM posts WHERE post_id = 'long'")
    assert long == [{"n": 40 << 20}]
