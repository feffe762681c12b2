"""Coverage-guided fuzzing of the ingest readers with atheris (longer runs, outside CI).

One target per reader (``lines``, ``json``, ``csv``): the fuzzer's input is a whole file,
ingested into an in-memory case with one of the reader's formats forced (the first input
byte picks which). The seed corpus is the real samples of ``../shared/data/formats`` for
that reader; libFuzzer mutates them, guided by the coverage of cibscan's code. A finding is
any exception out of ``ingest``, a file whose counts do not reconcile, or a native crash
(libFuzzer then writes the input to ``crash-*`` in the work folder).

``--compressed`` wraps each input in gzip or zstd (the second byte picks) and cuts it at a
point the input chooses: the decompressors' fault handling is fuzzed too.

    .venv/bin/pip install -e ".[fuzz]"
    .venv/bin/python benchmarks/fuzz.py --reader csv --seconds 300 --workdir /tmp/fuzz-csv

The tests' bounded version of the same properties is ``tests/test_fuzz_ingest.py``.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["cibscan"]):
    from cibscan.ingest.base import adapters
    from cibscan.ingest.pipeline import IngestOptions, ingest
    from cibscan.store import open_case

import zstandard

FORMATS = Path(__file__).resolve().parents[2] / "shared" / "data" / "formats"
#: sample file -> format (the tests' table, without importing the test suite)
SAMPLE_FORMATS = {
    "01_twitter_v2/twarc-csv_brexit.jsonl": "twitter_v2",
    "02_twitter_v1_1/tweet_parser_public_api_sample.jsonl": "twitter_v1",
    "03_twitter_io_archive/twitter-frequenter_ira_tweets_sample.csv": "twitter_io_tweets",
    "03_twitter_io_archive/twitter-frequenter_ira_users_sample.csv": "twitter_io_users",
    "04_reddit_pushshift/pmaw_cassette_comments_r-science.ndjson": "reddit_pushshift",
    "05_telegram_desktop/tgif_software-testing_exported.json": "telegram_desktop",
    "06_bluesky/jetstream_golden_v1.jsonl": "bluesky_jetstream",
    "06_bluesky/twitwi_bluesky-posts.json": "bluesky_postviews",
    "07_mastodon/rtoot_fosstodon.org_timelines_public.json": "mastodon",
    "08_youtube_v3/python-youtube_comment_threads_all_to_me.json": "youtube_comment_threads",
    "09_crowdtangle_meta/pycoornet_ct_shares.csv": "crowdtangle_shares",
    "10_tiktok_research/tiktok-research-api-helper_api_videos_response_page_1_of_2.json": (
        "tiktok_videos"
    ),
}

log = logging.getLogger("fuzz")


class Target:
    """The fuzz target of one reader: counts what it ran and what it found."""

    def __init__(self, reader: str, compressed: bool, work: Path) -> None:
        self.formats = sorted(
            {f for f in SAMPLE_FORMATS.values() if adapters()[f].reader == reader}
        )
        self.compressed = compressed
        self.work = work
        self.inputs = 0
        self.unreadable = 0

    def __call__(self, data: bytes) -> None:
        if len(data) < 3:
            return
        self.inputs += 1
        fmt = self.formats[data[0] % len(self.formats)]
        body = data[2:]
        suffix = ""
        if self.compressed:
            kind = data[1] % 3
            if kind == 1:
                body, suffix = gzip.compress(body), ".gz"
            elif kind == 2:
                body, suffix = zstandard.ZstdCompressor().compress(body), ".zst"
            if kind and data[1] >= 128:  # cut the compressed file where the input says
                body = body[: len(body) * (data[1] - 128) // 128]
        path = self.work / f"input{suffix}"
        path.write_bytes(body)
        with open_case(None) as case:
            report = ingest(case, [str(path)], IngestOptions(format=fmt))
        self.unreadable += len(report.errors)
        (self.work / "counts.txt").write_text(f"{self.inputs} {self.unreadable}\n")
        for f in report.files:
            if f.read != f.stored + f.duplicates + f.quarantined:
                raise AssertionError(f"counts do not reconcile: {f}")


def seed_corpus(reader: str, folder: Path) -> int:
    """Copy the reader's samples into ``folder`` as the fuzzer's starting inputs (two
    leading bytes: format choice and compression choice)."""
    folder.mkdir(parents=True, exist_ok=True)
    formats = sorted({f for f in SAMPLE_FORMATS.values() if adapters()[f].reader == reader})
    n = 0
    for sample, fmt in SAMPLE_FORMATS.items():
        if fmt in formats:
            head = bytes([formats.index(fmt), 0])
            (folder / Path(sample).name).write_bytes(head + (FORMATS / sample).read_bytes())
            n += 1
    return n


def fuzz(args: argparse.Namespace) -> None:
    """The fuzzing process (libFuzzer ends it itself when the time is up)."""
    logging.getLogger("cibscan").setLevel(logging.CRITICAL)
    target = Target(args.reader, args.compressed, args.workdir)
    atheris.Setup(
        [sys.argv[0], str(args.workdir / "corpus"), f"-max_total_time={args.seconds}",
         "-rss_limit_mb=8192", "-max_len=2000000", f"-artifact_prefix={args.workdir}/"],
        target,
    )  # fmt: skip
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reader", choices=("lines", "json", "csv"), required=True)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--compressed", action="store_true")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "fuzz")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        fuzz(args)
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    shutil.rmtree(args.workdir, ignore_errors=True)
    seeds = seed_corpus(args.reader, args.workdir / "corpus")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *sys.argv, "--child"], check=False,
                          capture_output=True, text=True)  # fmt: skip
    took = time.perf_counter() - started
    (args.workdir / "libfuzzer.log").write_text(done.stdout + done.stderr)
    counts = args.workdir / "counts.txt"
    inputs, unreadable = (int(x) for x in counts.read_text().split()) if counts.exists() else (0, 0)
    crashes = sorted(p.name for p in args.workdir.glob("crash-*"))
    print(
        f"reader {args.reader}{' (compressed)' if args.compressed else ''}: {seeds} seed files, "
        f"{inputs:,} inputs in {took:.0f} s ({unreadable:,} refused as unreadable, an error "
        f"line as designed), fuzzer exit status {done.returncode}, crashes: "
        f"{', '.join(crashes) or 'none'} (log: {args.workdir / 'libfuzzer.log'})"
    )


if __name__ == "__main__":
    main()
