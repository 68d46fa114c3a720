"""The database: URL handling, engines for SQLite and PostgreSQL, shared metadata, StoreError."""

from __future__ import annotations

import importlib
import queue
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable

DEFAULT_DATABASE_URL = "sqlite:///bunce_bot.sqlite3"

# Modules whose tables live on `metadata`; init_db imports them so no table is forgotten just
# because nothing imported its module yet. Add each new table module here.
TABLE_MODULES = (
    "bot.store.keys",
    "bot.store.audit",
    "bot.store.workspaces",
    "bot.store.installations",
    "bot.store.cards",
    "bot.store.people",
    "bot.store.submissions",
    "bot.store.ratelimit",
)

T = TypeVar("T")
R = TypeVar("R")
# Inside Slack's 3 s: a submit whose record waits longer is told to try again (a later retry of
# the same view attaches to the row if it was written after all).
GROUP_WAIT_SECONDS = 2.5

# Any constant works; it only has to be the same in every process that runs init_db.
_INIT_LOCK_ID = 0x62756E6365


def _db_errors() -> tuple[type[BaseException], ...]:
    """SQLAlchemy's and the drivers' errors. psycopg's only once something loaded it (a
    PostgreSQL engine does): importing it on SQLite costs every process ~9 MB and 60 ms."""
    psycopg = sys.modules.get("psycopg")
    return (SQLAlchemyError, sqlite3.Error) + ((psycopg.Error,) if psycopg else ())


metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)


class StoreError(Exception):
    """The database is unavailable or failed; the message is safe to show operators."""


@contextmanager
def database_errors(action: str) -> Iterator[None]:
    """Turn driver and SQLAlchemy errors raised inside the block into StoreError."""
    try:
        yield
    except _db_errors() as exc:
        # Only the error class: str(exc) can carry SQL, parameters or connection details.
        kind = type(getattr(exc, "orig", None) or exc).__name__
        raise StoreError(f"database unavailable or failed while {action} ({kind})") from exc


def normalise_database_url(url: str | None) -> str:
    """DATABASE_URL as SQLAlchemy wants it: a default SQLite file, psycopg 3 for PostgreSQL."""
    if not url:
        return DEFAULT_DATABASE_URL
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def is_sqlite(url: str | None) -> bool:
    """True when the (normalised) URL names a SQLite database."""
    return normalise_database_url(url).startswith("sqlite")


def create_engine_for(url: str) -> Engine:
    """An engine tuned for a multi-threaded web process on SQLite or PostgreSQL."""
    url = normalise_database_url(url)
    if is_sqlite(url):
        return _sqlite_engine(url)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in make_url(url).query:
        # A database that does not answer must fail a request within Slack's 3 s window, so
        # the person reads "try again" instead of Slack's timeout banner.
        connect_args["connect_timeout"] = 2
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        # Listener and background threads share the pool; waiting long for a connection
        # would blow the ack budget, so the wait is short and the pool generous.
        pool_size=10,
        max_overflow=20,
        pool_timeout=2,
        hide_parameters=True,
        connect_args=connect_args,
    )


def _sqlite_engine(url: str) -> Engine:
    """A SQLite engine shared by threads, waiting on locks rather than failing at once."""
    database = make_url(url).database
    in_memory = not database or database == ":memory:"
    # timeout: wait for another writer's lock instead of failing at once, but within the ack
    # budget (Slack allows 3 s). Writes here are single-row and take milliseconds.
    engine = sa.create_engine(
        url,
        hide_parameters=True,
        pool_size=10,
        max_overflow=20,
        pool_timeout=2,
        connect_args={"check_same_thread": False, "timeout": 2.5},
    )

    _serialise_transactions(engine)

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not in_memory:
            # WAL lets readers proceed while one writer commits (gunicorn threads and workers).
            # On a new file another connection may be switching right now, and the switch fails
            # without waiting; the mode is stored in the file, so this connection follows anyway.
            with suppress(sqlite3.OperationalError):
                cursor.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL is still safe against corruption and survives a killed process;
            # it skips an fsync per commit, which under many concurrent writers is what made
            # writers wait past Slack's 3 s window.
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    return engine


# SQLite has one writer at a time, and its busy handler retries by sleeping, first come not
# first served: under many threads a writer could wait past Slack's 3 s window. Within a process
# transactions take turns on a lock instead (measured by `make bench`: submission ack p99
# 1.1 s → 0.2 s). Across processes SQLite's own lock still applies: run one process on SQLite.
_SQLITE_TURN_SECONDS = 2.5


def _serialise_transactions(engine: Engine) -> None:
    turn = threading.RLock()

    @sa.event.listens_for(engine, "begin")
    def _take(conn: Any) -> None:
        if not turn.acquire(timeout=_SQLITE_TURN_SECONDS):
            raise sqlite3.OperationalError("database is locked (waited for this process's turn)")
        conn.info["bunce_turn"] = conn.info.get("bunce_turn", 0) + 1

    def _give(conn: Any) -> None:
        if conn.info.get("bunce_turn"):
            conn.info["bunce_turn"] -= 1
            turn.release()

    sa.event.listen(engine, "commit", _give)
    sa.event.listen(engine, "rollback", _give)


class GroupCommit(Generic[T, R]):
    """Runs `write` for items handed in by many threads, a batch per transaction, on one writer
    thread: whatever arrived while the previous batch was being written goes into the next.

    Under load the acks of concurrent submits then share one transaction (and SQLite's lock, and
    PostgreSQL's commit) instead of queueing for it one by one: measured by `make bench`, each
    waiting writer otherwise held the lock across GIL handoffs (issue 15). Alone, an item is
    written at once, as before. A failed batch fails each of its items with the same error.
    """

    def __init__(self, write: Callable[[list[T]], list[R]], *, name: str, most: int = 64) -> None:
        self._write = write
        self._name = name
        self._most = most
        self._queue: queue.SimpleQueue[tuple[T, Future[R]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def run(self, item: T, timeout: float = GROUP_WAIT_SECONDS) -> R:
        """Write item (with whatever else is waiting); its result, or the batch's error."""
        future: Future[R] = Future()
        self._queue.put((item, future))
        self._ensure_thread()
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            raise StoreError(f"database did not answer within {timeout:g} s") from None

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._most:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            futures = [future for _, future in batch]
            try:
                results = self._write([item for item, _ in batch])
            except Exception as error:  # each waiting caller gets the batch's error
                for future in futures:
                    future.set_exception(error)
                continue
            for future, result in zip(futures, results, strict=True):
                future.set_result(result)


def init_db(engine: Engine) -> None:
    """Create every table that does not exist yet; safe to run from several processes at once."""
    for module in TABLE_MODULES:
        importlib.import_module(module)
    with database_errors("creating tables"), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Concurrent CREATE TABLEs collide even with IF NOT EXISTS; one creator at a time.
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_INIT_LOCK_ID)))
            metadata.create_all(conn, checkfirst=True)
            return
        # SQLite has no advisory locks, and create_all's check-then-create loses races with other
        # processes; CREATE ... IF NOT EXISTS is one atomic statement.
        for table in metadata.sorted_tables:
            conn.execute(CreateTable(table, if_not_exists=True))
            for index in table.indexes:
                conn.execute(CreateIndex(index, if_not_exists=True))


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query (used by /healthz)."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except _db_errors():
        return False
    return True


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware timestamp stored as UTC; SQLite, which drops offsets, reads back UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Refuse naive datetimes and store everything else in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Return an aware UTC datetime whatever the backend gave back."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
