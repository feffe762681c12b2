"""Where the real accuracy benchmark's data come from, and how the script reads them.

Every source is a public GitHub repository pinned to one commit, read with plain ``git``
from a bare mirror: the search tool's fetch mirrors (``/work/.mirror/owner+name/repo``) when
they exist, otherwise a ``git clone --bare`` from GitHub into the work directory (which works
on a machine with internet). Nothing is copied into the project: several sources forbid
redistribution (see :data:`SOURCES`), so the script fetches and builds every time it needs to.

Fetch mirrors lack files of 4 MiB and more. The rules that pick files therefore never depend
on what a particular copy happens to hold: a source's file list is filtered by the blob size
git records in the tree (:data:`MAX_BLOB_BYTES`), so a full clone and a mirror pick the same
files, and a file the rule picks but the copy lacks is an error, not a silent change of mix.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("bench.sources")

#: files this size or larger are left out by every rule (the fetch mirrors lack them)
MAX_BLOB_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One public repository at a pinned commit, with what the benchmark takes from it."""

    key: str
    repo: str
    commit: str
    licence: str
    what: str


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "ira",
            "bet4a/russian-troll-tweets-by-author",
            "9733cadcc0300bb75e3ac3b2341c69b5dddd8f50",
            "CC BY 4.0 (FiveThirtyEight's republication of the tweets Twitter released in 2018;"
            " this per-author split adds no licence of its own)",
            "IRA tweets split per author (2,839 author files under 4 MiB; the 17 larger ones are"
            " left out) and authors.csv with each account's account_category",
        ),
        Source(
            "airline",
            "AyushDhatwalia/Twitter-Airline-Sentiment",
            "97f2cfe60c6d87fd2211c2975ea29817e972ceed",
            "CC BY-NC-SA 4.0 (Crowdflower 'Data for Everyone' / Kaggle 'Twitter US Airline"
            " Sentiment'); not redistributed",
            "Tweets.csv: 14,640 tweets to six US airlines, 2015-02-16..24 (screen name, text,"
            " minute-precision local time, UTC-8)",
        ),
        Source(
            "gun",
            "xbwei/Data-Mining-on-Social-Media",
            "7818f3003f4b80fe37b7b50e68e33db6b3082ee0",
            "MIT for the repository (teaching material); the tweets are Twitter content and are"
            " not redistributed",
            "Twitter/tweet_sample_data/gun/*.json: geotagged US tweets on gun control,"
            " 2017-11-06..2018-04-30, full API v1.1 objects (the files were deleted in a later"
            " commit, hence the pin)",
        ),
        Source(
            "debate",
            "carriegardner428/2016-Election-Project",
            "6ff29d0a6fa0c06c74cc06f0a2f03c3d06a7cc91",
            "no licence stated (collected by a University of Pittsburgh group, readme by Mengdi"
            " Wang); the tweets are Twitter content and are not redistributed",
            "tweets_debate1.csv: every tweet, retweets included, of a panel of 22,853 US voters"
            " (anonymised integer ids, users.csv gives state and registered party) during the"
            " first presidential debate, 2016-09-26 21:00..22:30 EDT; the file holds each tweet"
            " about twice (two crawls): 23,247 rows, 12,178 distinct tweets by 1,739 users. The"
            " three other debate files fall on reserved days and are not read",
        ),
        Source(
            "coachella",
            "tlmcdonald/Sentiment-Analysis",
            "db5909633820a59320a251d71f2cf292acbd368c",
            "Crowdflower 'Data for Everyone' (Coachella 2015 sentiment); not redistributed",
            "Coachella-2015-2-DFE.csv: 3,846 tweets about the Coachella 2015 line-up,"
            " 2015-01-05..07 (screen name, text, minute-precision local time, UTC-8)",
        ),
    )
}


@dataclass(frozen=True)
class TreeEntry:
    """A file in a source's pinned tree: its path, blob id and size (None when unknown)."""

    path: str
    blob: str
    size: int | None


class SourceStore:
    """Reads pinned files of the :data:`SOURCES` from local bare git repositories."""

    def __init__(self, mirrors: Path, clones: Path, *, allow_clone: bool = True) -> None:
        self.mirrors = mirrors
        self.clones = clones
        self.allow_clone = allow_clone
        self._dirs: dict[str, Path] = {}

    def git_dir(self, source: Source) -> Path:
        """The bare repository holding ``source``: a fetch mirror, else a fresh clone."""
        if source.key in self._dirs:
            return self._dirs[source.key]
        name = source.repo.replace("/", "+")
        candidates = [self.mirrors / name / "repo", self.clones / f"{name}.git"]
        found = next((d for d in candidates if self._has_commit(d, source.commit)), None)
        if found is None:
            found = self._clone(source, candidates[1])
        self._dirs[source.key] = found
        return found

    @staticmethod
    def _has_commit(git_dir: Path, commit: str) -> bool:
        if not git_dir.is_dir():
            return False
        probe = subprocess.run(
            ["git", "--git-dir", str(git_dir), "cat-file", "-e", f"{commit}^{{commit}}"],
            capture_output=True,
            check=False,
        )
        return probe.returncode == 0

    def _clone(self, source: Source, target: Path) -> Path:
        """Clone from GitHub (a machine with internet); the sandbox has fetch mirrors instead."""
        if not self.allow_clone:
            raise FileNotFoundError(f"no mirror of {source.repo} and cloning is disabled")
        log.warning("no mirror of %s; cloning it from GitHub into %s", source.repo, target)
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "clone", "--bare", "--quiet", f"https://github.com/{source.repo}.git", target],
            check=True,
        )
        if not self._has_commit(target, source.commit):
            raise RuntimeError(f"{source.repo} has no commit {source.commit}")
        return target

    def tree(self, source: Source, prefix: str = "") -> list[TreeEntry]:
        """The files under ``prefix`` at the pinned commit, with their recorded sizes."""
        out = subprocess.run(
            ["git", "--git-dir", str(self.git_dir(source)), "ls-tree", "-r", "-l", source.commit]
            + ([prefix] if prefix else []),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        entries = []
        for line in out.splitlines():
            meta, path = line.split("\t", 1)
            _mode, kind, blob, size = meta.split()
            if kind == "blob":
                entries.append(TreeEntry(path, blob, int(size) if size.isdigit() else None))
        return entries

    def read(self, source: Source, path: str) -> bytes:
        """One file's bytes at the pinned commit."""
        return subprocess.run(
            ["git", "--git-dir", str(self.git_dir(source)), "cat-file", "blob",
             f"{source.commit}:{path}"],
            capture_output=True,
            check=True,
        ).stdout  # fmt: skip

    def stream_blobs(self, source: Source, blobs: list[str]) -> Iterator[bytes]:
        """The contents of many blobs through one ``git cat-file --batch`` (thousands of
        small files: one process instead of one per file)."""
        proc = subprocess.Popen(
            ["git", "--git-dir", str(self.git_dir(source)), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stdout is not None
        stdin = proc.stdin

        def feed() -> None:
            with stdin:
                for blob in blobs:
                    stdin.write(f"{blob}\n".encode())

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        for blob in blobs:
            header = proc.stdout.readline().decode().split()
            if len(header) < 3 or header[1] != "blob":
                raise FileNotFoundError(f"{source.repo}: blob {blob} is missing from this copy")
            data = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)  # the newline after each object
            yield data
        writer.join()
        if proc.wait() != 0:
            raise RuntimeError(f"git cat-file failed on {source.repo}")


def small_files(entries: Iterable[TreeEntry], suffix: str) -> list[TreeEntry]:
    """Entries ending in ``suffix`` whose recorded size is under :data:`MAX_BLOB_BYTES`.

    A fetch mirror cannot report the size of a blob it lacks (``ls-tree -l`` shows it as
    unreadable); such an entry is taken to be a large file, which is why the mirror lacks it,
    and is left out, exactly as a full clone's size check leaves it out."""
    return [
        e
        for e in entries
        if e.path.endswith(suffix) and e.size is not None and e.size < MAX_BLOB_BYTES
    ]
