"""The ingest pipeline: files -> raw batches -> staged canonical rows -> merged case tables.

For each logical source (a file, or a member of a zip archive):

1. sniff the format from its first decompressed bytes (or take ``--format``);
2. stream the raw records (bounded memory: batches are pulled by the engine); records the
   reader cannot decode become rejects;
3. run the adapter's SQL over the valid raw records into ``_stage``, with the generic
   normalisation (hashtags, mentions, text, pseudonyms) and reject rules applied: for CSV
   and Parquet in the statement that reads the stream (one pass: the records are written
   once before ``posts``), for JSON from ``_raw``, where the reader put them with a flag for
   invalid JSON (cibscan/ingest/loading.py);
4. in one transaction: quarantine rejects, insert new posts (an anti-join counts duplicates;
   each distinct URL list is normalised once and joined on), merge account snapshots and
   name history, and record the run with reconciled counts.

A crash before step 4 leaves only scratch tables (dropped on the next run); a crash during
step 4 rolls back. Re-ingesting a file stores nothing twice: its posts count as duplicates
and its earlier quarantine rows are replaced.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from cibscan.engine.base import Engine, scratch
from cibscan.engine.limits import check_memory_limit, check_number
from cibscan.ingest import loading, merge
from cibscan.ingest.base import Adapter, for_shape, get_adapter, sniff_format
from cibscan.ingest.csv_records import (
    DEFAULT_MAX_RECORD_BYTES,
    MAX_MAX_RECORD_BYTES,
    MIN_MAX_RECORD_BYTES,
)
from cibscan.ingest.normalize import install_pseudonymizer, key_fingerprint
from cibscan.ingest.readers import (
    OpenSource,
    ProgressHook,
    Source,
    UnreadableFileError,
    expand_sources,
    read_head,
)
from cibscan.ingest.tabular import csv_blocks
from cibscan.match import text_index
from cibscan.progress import phase
from cibscan.store.case import Case, CaseError

log = logging.getLogger(__name__)

MIN_SNIFF_CONFIDENCE = 0.5


@dataclass
class FileReport:
    """What happened to one source; ``read == stored + duplicates + quarantined``, and
    ``stored == stored_posts + stored_accounts`` (an account-only record, a profile row of
    a users file, stores an account, not a post)."""

    source: str
    format: str
    platform: str
    run_id: int
    sha256: str = ""
    read: int = 0
    stored: int = 0
    #: posts stored, and accounts stored from account-only records (profiles)
    stored_posts: int = 0
    stored_accounts: int = 0
    duplicates: int = 0
    quarantined: int = 0
    unsupported: int = 0
    accounts: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.read == self.stored + self.duplicates + self.quarantined


@dataclass
class IngestReport:
    """The outcome of one ``ingest`` call over many paths."""

    files: list[FileReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: distinct own texts added to the case's text index, and the seconds that took
    #: (cibscan/match/text_index.py: matching reads the index instead of digesting them)
    indexed_texts: int = 0
    index_seconds: float = 0.0

    def total(self, attribute: str) -> int:
        return sum(int(getattr(f, attribute)) for f in self.files)

    @property
    def incomplete(self) -> list[str]:
        """What did not get in: files that failed while being read, and files every record
        of which was quarantined, some as damaged (a corrupt archive, times that are not
        times). A file of records that are not posts by design (a TikTok comments response
        without authors, likes, deletions) is not among them. A run with any is partial
        (exit status 3 of ``ingest`` and ``run``)."""
        whole = [
            f"{f.source}: all {f.read:,} records quarantined"
            for f in self.files
            if f.read and f.quarantined == f.read and f.unsupported < f.quarantined
        ]
        return [*self.errors, *whole]


@dataclass
class IngestOptions:
    """User choices for one ingest call."""

    format: str | None = None
    format_options: Mapping[str, str] = field(default_factory=dict)
    pseudonymize_key: str | None = None
    #: the engine's memory ceiling while ingesting; past it, scratch tables spill to disk
    memory_limit: str = "1GB"
    #: a record (a CSV row with its quoted newlines, a JSON line or item) longer than this
    #: is quarantined and the rest of its file ingests (docs/formats.md)
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    #: digest the new posts' texts into the case's text index, so that a first match
    #: does not (12 to 19 CPU s per million distinct texts measured; docs/matching.md)
    text_index: bool = True

    def __post_init__(self) -> None:
        check_memory_limit(self.memory_limit)
        check_number(
            "max_record_bytes",
            self.max_record_bytes,
            low=MIN_MAX_RECORD_BYTES,
            high=MAX_MAX_RECORD_BYTES,
        )


#: the ``meta`` key holding how a case's ids were stored: ``plain`` or ``key:<fingerprint>``
ID_MODE = "id_mode"


def check_id_mode(case: Case, key: str | None) -> None:
    """Refuse to mix real and pseudonymous ids (or two keys) in one case.

    A case ingested with real ids and then with a key (or the other way round) holds the
    same account twice, under two ids, and every re-read post counts as a duplicate of the
    other; two keys do the same. The first ingest records the mode in ``meta``; a case
    written before this check takes its mode from its ingest runs.
    """
    engine = case.engine
    wanted = "plain" if key is None else f"key:{key_fingerprint(key)}"
    stored = engine.fetchall("SELECT value FROM meta WHERE key = ?", [ID_MODE])
    mode = str(stored[0][0]) if stored else None
    if mode is None:
        runs, keyed = engine.fetchall(
            "SELECT count(*), count(*) FILTER (WHERE pseudonymized) FROM ingest_runs"
        )[0]
        if runs and not keyed:
            mode = "plain"
        elif keyed:
            mode = wanted if key is not None else "key:unknown"
    if mode is not None and mode != wanted:
        raise CaseError(_id_mode_clash(case, mode, wanted))
    if not stored:
        engine.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [ID_MODE, wanted])


def _id_mode_clash(case: Case, mode: str, wanted: str) -> str:
    if mode == "plain":
        return (
            f"{case.path}: this case holds real ids; --pseudonymize-key would put pseudonyms "
            "beside them (the same account twice). Use a new case for pseudonymised data."
        )
    if wanted == "plain":
        return (
            f"{case.path}: this case is pseudonymised (key fingerprint {mode[4:]}); without "
            "the same --pseudonymize-key the real ids would be stored beside the pseudonyms."
        )
    return (
        f"{case.path}: this case was pseudonymised with another key (fingerprint {mode[4:]}, "
        f"this key's {wanted[4:]}): one account would have two pseudonyms. Give the same key."
    )


def check_inputs(paths: Sequence[str | Path], options: IngestOptions | None = None) -> None:
    """Refuse, before any work, inputs that cannot be read: a path that does not exist,
    an archive that does not open, a file whose format is not recognised from its first
    bytes (without ``--format``). A ValueError lists every one. Reads the head of each file,
    nothing more; a damage further in is found while ingesting
    (``IngestReport.incomplete``)."""
    problems = unreadable_inputs(paths, options)
    if problems:
        raise ValueError("cannot read the input, nothing was done:\n  " + "\n  ".join(problems))


def unreadable_inputs(
    paths: Sequence[str | Path], options: IngestOptions | None = None
) -> list[str]:
    """One line for each input :func:`check_inputs` refuses."""
    options = options or IngestOptions()
    problems: list[str] = []
    for raw_path in paths:
        if not Path(raw_path).exists():
            problems.append(f"{raw_path}: no such file or folder")
            continue
        try:
            sources = expand_sources(Path(raw_path))
        except UnreadableFileError as exc:
            problems.append(str(exc))
            continue
        for source in sources:
            try:
                head = read_head(source)
                if head.strip():
                    _choose_adapter(source, head, options)
            except (UnreadableFileError, OSError, EOFError, ValueError) as exc:
                problems.append(str(exc))
    return problems


def ingest(
    case: Case,
    paths: Sequence[str | Path],
    options: IngestOptions | None = None,
    progress: ProgressHook | None = None,
) -> IngestReport:
    """Ingest every file under ``paths`` into ``case``; unreadable files are listed as errors.

    One bad file does not stop the others: its error is recorded and the rest go on.
    """
    options = options or IngestOptions()
    report = IngestReport()
    engine = case.engine
    check_id_mode(case, options.pseudonymize_key)
    install_pseudonymizer(engine, options.pseudonymize_key)
    # order is carried by explicit sequence numbers, so the engine need not preserve it
    engine.configure(memory_limit=options.memory_limit, preserve_order=False)
    for raw_path in paths:
        try:
            sources = expand_sources(Path(raw_path))
        except UnreadableFileError as exc:
            report.errors.append(str(exc))
            continue
        for source in sources:
            try:
                with scratch(engine, *_SCRATCH):
                    report.files.append(_ingest_source(engine, source, options, progress))
            except UnreadableFileError as exc:
                report.errors.append(str(exc))
    runs = [f.run_id for f in report.files if f.stored_posts]
    if options.text_index and runs:
        # once for all the files, after their merges: a text repeated across files is
        # digested once; the posts are in the case whatever happens here
        t0 = time.perf_counter()
        with phase("text index") as indexing:
            report.indexed_texts = text_index.index_posts(engine, runs)
            indexing.say(f"{report.indexed_texts:,} texts")
        report.index_seconds = time.perf_counter() - t0
    return report


def _choose_adapter(source: Source, head: bytes, options: IngestOptions) -> Adapter:
    if options.format:
        return get_adapter(options.format).configure(options.format_options)
    adapter, confidence = sniff_format(head)
    if adapter is None or confidence < MIN_SNIFF_CONFIDENCE:
        raise UnreadableFileError(
            f"{source.name}: format not recognised from its content; pass --format "
            "(see 'cibscan formats')"
        )
    return adapter.configure(options.format_options) if options.format_options else adapter


def _ingest_source(
    engine: Engine, source: Source, options: IngestOptions, progress: ProgressHook | None
) -> FileReport:
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    head = read_head(source)
    run_id = merge.next_run_id(engine)
    if not head.strip():
        adapter_name = options.format or "unknown"
        rep = FileReport(source.name, adapter_name, "", run_id, warnings=["empty file"])
        opened = OpenSource(source)
        rep.sha256 = opened.finish()
        opened.close()
        merge.record_run(engine, rep, source, started, options.pseudonymize_key is not None)
        return rep
    adapter = for_shape(_choose_adapter(source, head, options), head).for_file(head)
    rep = FileReport(source.name, adapter.name, adapter.platform, run_id)
    # a CSV record longer than Arrow's block fails the read ("straddling object"): the
    # file is read again, whole, in blocks that hold the longest record kept (docs/formats.md)
    limit = options.max_record_bytes
    blocks = csv_blocks(limit) if adapter.reader == "csv" else csv_blocks(limit)[:1]
    retried: list[str] = []
    short = source.member or source.path.name
    size = None if source.member else source.path.stat().st_size
    pseudonymous = options.pseudonymize_key is not None
    plan = _plan(engine, adapter, run_id, source.name, pseudonymous)
    with phase(f"read {short}", total=size) as reading:
        hook = _both(progress, reading.advance)
        for block in blocks:
            try:
                loaded = loading.load_source(
                    engine, adapter, source, head, (block, limit), plan, hook
                )
                break
            except UnreadableFileError as exc:
                if "straddling object" not in str(exc) or block == blocks[-1]:
                    raise
                engine.execute("DROP TABLE IF EXISTS _raw")
                retried.append(
                    f"a record longer than {block >> 20} MB: read again in larger blocks"
                )
        rep.sha256, state, opened = loaded.sha256, loaded.state, loaded.opened
        rep.warnings = [*retried, *loaded.warnings]
        reading.say(f"{state.rows:,} records, {adapter.name}")
    if not loading.single_pass(adapter):
        with phase(f"stage {short}"):
            merge.stage(engine, adapter, run_id, source.name, pseudonymous)
    if opened.corrupt:
        # a checksum failed or the data was invalid: the rows decoded before the damage was
        # noticed may be garbage (ids that are not in the file), so none is stored
        merge.distrust(engine, opened.fault or "")
        rep.warnings.append("corrupt compressed file: no row stored, all quarantined")
    if loading.single_pass(adapter):
        with phase(f"rejects {short}"):
            loading.load_rejected_rows(engine, adapter, source, head, (block, limit), rep.sha256)
    with phase(f"merge {short}") as merging, engine.transaction():
        merge.quarantine(engine, run_id, source.name, adapter, rep.sha256, state.rejects)
        merge.merge_posts(engine, rep)
        rep.accounts = merge.merge_accounts(engine, run_id)
        rep.seconds = time.perf_counter() - t0
        merge.record_run(engine, rep, source, started, options.pseudonymize_key is not None)
        merging.say(f"{rep.stored:,} stored, {rep.quarantined:,} quarantined")
    if not rep.reconciles:  # a bug, never expected: say so loudly rather than hide it
        log.error("counts do not reconcile for %s: %s", source.name, rep)
    return rep


def _plan(
    engine: Engine, adapter: Adapter, run_id: int, source_name: str, pseudonymous: bool
) -> loading.Plan:
    """Where a source's records go as they are read: normalised into ``_stage`` in the
    same statement (single pass), or raw into ``_raw`` (see cibscan/ingest/loading.py)."""
    if not loading.single_pass(adapter):
        return loading.raw_plan(engine, adapter)

    def plan(schema: pa.Schema) -> tuple[str, str]:
        engine.execute("DROP TABLE IF EXISTS _raw")
        loading.create_raw(engine, schema)  # empty: its columns describe the adapter's
        merge.create_stage(engine)
        select = merge.stage_select(engine, adapter, "_stream", run_id, source_name, pseudonymous)
        return "_stage", select

    return plan


def _both(first: ProgressHook | None, second: ProgressHook) -> ProgressHook:
    """One hook calling two: the caller's byte counter and the read phase's."""
    if first is None:
        return second

    def hook(n: int) -> None:
        first(n)
        second(n)

    return hook


#: the scratch tables of one source's ingest
_SCRATCH = ("_raw", "_stage", "_new", "_acct", "_names", "_rejects", "_urls")
