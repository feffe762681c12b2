"""Build the workbench's FastAPI app over a case, and serve it with uvicorn."""

from __future__ import annotations

import copy
import logging
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from cibscan import __version__, browse
from cibscan.browse.index import BrowseIndex, close_index, open_index
from cibscan.export.base import require_findings
from cibscan.serve.auth import LOOPBACK_NAMES, RedactTokens, guard
from cibscan.serve.base import FastJSON, ServeOptions, is_loopback
from cibscan.serve.pagestore import PageStore, build_store
from cibscan.store import Case, CaseError, open_case
from cibscan.store.labels import current_verdicts

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
#: answers the workbench remembers (a large cluster's is a few hundred kilobytes)
CACHE_ENTRIES = 128

T = TypeVar("T")


class Workbench:
    """The open case the requests read, and whether writes are allowed.

    A DuckDB connection serves one thread at a time, so each server thread reads through
    its own cursor of the case's connection (created on its first request): requests run
    side by side instead of queueing behind one connection. Labels are written one at a
    time (a lock), since a label's id is the next free one.

    While the workbench holds the case nothing else can write it (read-only, no writer can
    take the file's lock; with ``--write``, the workbench holds it), so a page's data can
    only change when the workbench itself writes a label. :meth:`read` keeps the latest
    :data:`CACHE_ENTRIES` answers and forgets them all at each write: going back to a
    cluster, or a script asking for the same page again, costs no query.

    With ``browse_index`` it builds the browse index (:mod:`cibscan.browse.index`) in a
    temporary folder on a thread of its own: requests are answered from the case meanwhile,
    and from the index once it is ready (:attr:`index`). With ``prepare_pages`` too, that
    thread then renders every account's and cluster's page into the page store
    (:mod:`cibscan.serve.pagestore`, :attr:`pages`), which the pages are served from once
    it is ready.

    Verdicts are shown from :meth:`verdicts`, read from the case's labels once and again
    after each label the workbench writes (nothing else can write the case meanwhile); the
    case's summary (:meth:`overview`) likewise, kept apart from the memory of answers."""

    def __init__(
        self,
        path: Path,
        *,
        write: bool,
        cache_entries: int = CACHE_ENTRIES,
        browse_index: bool = True,
        prepare_pages: bool = True,
    ) -> None:
        self.path = path
        self.write = write
        self.cache_entries = cache_entries
        #: the browse index once built (None before, or when it is off or failed)
        self.index: BrowseIndex | None = None
        self.index_state = "off"
        #: the prepared pages once rendered (None before, or when off or failed)
        self.pages: PageStore | None = None
        self.pages_state = "off"
        self._prepare_pages = browse_index and prepare_pages
        self._verdicts: dict[tuple[str, str], str] | None = None
        self._overview: tuple[dict[str, Any], bytes] | None = None
        self._overview_lock = threading.Lock()
        self._labels_written = 0
        self._index_folder: Path | None = None
        self._case = open_case(path, create=False, read_only=not write)
        self._local = threading.local()
        self._cursors: list[Case] = []
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._pending: dict[Hashable, threading.Lock] = {}
        self._index_thread: threading.Thread | None = None
        if browse_index:
            self.index_state = "building"
            self.pages_state = "building" if self._prepare_pages else "off"
            self._index_folder = Path(tempfile.mkdtemp(prefix="cibscan-browse-"))
            self._index_thread = threading.Thread(
                target=self._build_index, name="browse-index", daemon=True
            )
            self._index_thread.start()

    def _build_index(self) -> None:
        """Build the browse index through a cursor of its own; a failure leaves the
        workbench answering from the case."""
        assert self._index_folder is not None
        try:  # first: the overview page and /api/case ask for it at once
            self.overview()
        except Exception:  # asked again (and the error shown) at the first request
            log.exception("the case's summary could not be read")
        engine = self._case.engine.cursor()
        try:
            try:
                index = open_index(engine, self._index_folder / "browse.duckdb")
            except Exception:  # the workbench works without it, only slower
                log.exception("the browse index could not be built; reading the case directly")
                self.index_state = "failed"
                self.pages_state = "failed" if self._prepare_pages else "off"
                return
            self.index, self.index_state = index, "ready"
            if self._prepare_pages:
                try:
                    self.pages = build_store(engine, index, self._index_folder / "pages")
                    self.pages_state = "ready"
                except Exception:  # pages are then rendered at each request
                    log.exception("the pages could not be prepared; rendering them at requests")
                    self.pages_state = "failed"
        finally:
            engine.close()

    def wait_for_index(self, timeout: float | None = None) -> bool:
        """Wait until the browse index is built and the pages prepared (or either failed);
        whether the index is ready."""
        if self._index_thread is not None:
            self._index_thread.join(timeout)
        return self.index is not None

    def verdicts(self) -> dict[tuple[str, str], str]:
        """Each labelled account's current verdict, by ``(platform, account_id)``: read
        from the case once, and again after each label written (:meth:`writing`)."""
        book = self._verdicts
        if book is None:
            written = self._labels_written
            with self.case(findings=False) as case:
                book = current_verdicts(case.engine)
            with self._cache_lock:
                if written == self._labels_written:  # no label was written meanwhile
                    self._verdicts = book
        return book

    def overview(self) -> tuple[dict[str, Any], bytes]:
        """The case's summary (:func:`cibscan.browse.case_overview`) and the API's JSON of
        it (with ``writable``). It scans every post (50 ms alone, tens of seconds under
        fifty clients when each request computed it), and only a label written here can
        change it while the workbench holds the case, so it is computed once, by one
        request at a time, and again after each label (:meth:`writing`); it is not in the
        memory of answers, which forgets (``--cache-entries``)."""
        found = self._overview
        if found is not None:
            return found
        with self._overview_lock:
            found = self._overview
            if found is not None:
                return found
            written = self._labels_written
            with self.case(findings=False) as case:
                summary = browse.case_overview(case)
            found = summary, FastJSON(None).render({**summary, "writable": self.write})
            with self._cache_lock:
                if written == self._labels_written:  # no label was written meanwhile
                    self._overview = found
        return found

    def _thread_case(self) -> Case:
        case: Case | None = getattr(self._local, "case", None)
        if case is None:
            with self._open_lock:
                # no install_macros: the normalisation macros are for ingest, and the
                # Python function they use is already registered on the database
                case = Case(self._case.engine.cursor(), self.path)
                self._cursors.append(case)
            self._local.case = case
        return case

    @contextmanager
    def case(self, *, findings: bool = True) -> Iterator[Case]:
        """This thread's view of the case; with ``findings`` a CaseError unless it has a
        detect run."""
        case = self._thread_case()
        if findings:
            require_findings(case)
        yield case

    def read(self, key: Hashable, compute: Callable[[Case], T], *, findings: bool = True) -> T:
        """``compute(case)``, or its answer for the same ``key`` since the last write. The
        answer is shared between requests: callers must not change it. Requests that ask
        the same question at once wait for the first one's answer instead of all computing
        it (a script's burst of identical requests costs one query)."""
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                hit: T = self._cache[key]
                return hit
            pending = self._pending.setdefault(key, threading.Lock())
        with pending:
            with self._cache_lock:
                if key in self._cache:
                    found: T = self._cache[key]
                    return found
            try:
                with self.case(findings=findings) as case:
                    value = compute(case)
                with self._cache_lock:
                    self._cache[key] = value
                    while len(self._cache) > self.cache_entries:
                        self._cache.popitem(last=False)
            finally:
                with self._cache_lock:
                    self._pending.pop(key, None)
        return value

    @contextmanager
    def writing(self) -> Iterator[Case]:
        """The case, for one write at a time; every remembered answer is forgotten."""
        with self._write_lock:
            try:
                yield self._thread_case()
            finally:
                with self._cache_lock:
                    self._cache.clear()
                    self._verdicts = None
                    self._overview = None
                    self._labels_written += 1

    def close(self) -> None:
        if self._index_thread is not None:
            self._index_thread.join()
        with self._open_lock:
            if self.pages is not None:
                self.pages.close()
                self.pages = None
            if self.index is not None:
                close_index(self._case.engine, self.index)
                self.index = None
            for case in self._cursors:
                case.close()
            self._cursors.clear()
            self._case.close()
        if self._index_folder is not None:
            shutil.rmtree(self._index_folder, ignore_errors=True)


def build_app(options: ServeOptions) -> FastAPI:
    """The workbench app over ``options.case``: the JSON API under ``/api``, the pages, the
    static files, the token guard. The case is opened now (a missing case fails here, not
    at the first request) and closed when the app shuts down."""
    options.check()
    workbench = Workbench(
        options.case,
        write=options.write,
        cache_entries=options.cache_entries,
        browse_index=options.browse_index,
        prepare_pages=options.prepare_pages,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        workbench.close()

    app = FastAPI(
        title="cibscan workbench",
        version=__version__,
        description="The findings of one cibscan case (docs/workbench.md).",
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: nothing remote here
        redoc_url=None,
        default_response_class=FastJSON,
        lifespan=lifespan,
    )
    app.state.workbench = workbench
    app.state.options = options
    # on loopback only loopback names; on another address, that address and loopback (a
    # wildcard address answers to any name: the token guards it)
    hosts: frozenset[str] | None = LOOPBACK_NAMES
    if not is_loopback(options.host):
        wildcard = options.host in ("0.0.0.0", "::", "")
        hosts = None if wildcard else LOOPBACK_NAMES | {options.host.strip("[]")}
    app.middleware("http")(guard(options.token, hosts))

    from cibscan.serve import api, pages, plots  # the routes import Workbench from here

    def failure(request: Request, status: int, detail: str) -> Response:
        """JSON for the API, a page for the pages."""
        if request.url.path.startswith("/api/"):
            return FastJSON({"detail": detail}, status_code=status)
        return pages.error_page(request, status, detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return failure(request, exc.status_code, str(exc.detail))

    @app.exception_handler(CaseError)
    async def no_findings(request: Request, exc: CaseError) -> Response:
        return failure(request, 409, str(exc))

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> Response:
        return failure(request, 400, str(exc))

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(plots.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def serve(options: ServeOptions, app: FastAPI | None = None) -> None:
    """Serve the workbench until interrupted (Ctrl-C): ``app``, or one built now (the CLI
    builds it first, so that a missing case fails before the link is printed)."""
    import uvicorn

    app = app or build_app(options)
    log.info("serving %s on %s:%d", options.case, options.host, options.port)
    uvicorn.run(app, host=options.host, port=options.port, log_config=log_config())


def log_config() -> dict[str, Any]:
    """uvicorn's logging set-up with every line passed through :class:`RedactTokens`, so the
    token of a ``/?token=`` request line never reaches the terminal or a log file."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": RedactTokens}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
    return config
