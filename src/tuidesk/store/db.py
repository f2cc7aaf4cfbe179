"""Provides Store: opening the database safely, transactions, and the ingest path."""

from __future__ import annotations

import functools
import inspect
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from tuidesk.errors import SchemaError, StoreError
from tuidesk.store.actions import ActionsMixin
from tuidesk.store.delivery import DeliveryMixin
from tuidesk.store.ingest import IngestMixin
from tuidesk.store.migrations import APPLICATION_ID, MIGRATIONS, known_names
from tuidesk.store.queries import QueriesMixin
from tuidesk.store.reports import ReportsMixin
from tuidesk.store.team import TeamMixin

BUSY_TIMEOUT_MS = 10_000
T = TypeVar("T")


def _check_existing(path: Path) -> None:
    """Refuse files that are not tuidesk databases or come from a newer tuidesk.

    Opens the file read-only, so a refused file is never modified (no WAL switch, no tables).
    """
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SchemaError(f"{path} cannot be opened: {exc}") from exc
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        applied: list[str] = []
        if "_sqlite_migrations" in tables:
            applied = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM _sqlite_migrations WHERE migration_set = 'tuidesk'"
                )
            ]
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "").startswith("SQLITE_NOTADB"):
            raise SchemaError(f"{path} is not an SQLite database ({exc}).") from exc
        raise store_error(str(path), exc) from exc
    finally:
        conn.close()
    if app_id != APPLICATION_ID and (app_id != 0 or tables):
        raise SchemaError(
            f"{path} is not a tuidesk database (it has other tables). "
            "Choose another file with --db or TUIDESK_DB."
        )
    unknown = [name for name in applied if name not in known_names()]
    if unknown:
        raise SchemaError(
            f"{path} was written by a newer tuidesk (schema step {unknown[-1]!r} is unknown "
            "to this version). Upgrade tuidesk to open it; nothing was changed."
        )


def _no_space(path: str) -> bool:
    """Whether the folder holding `path` has no free byte (SQLite reports a full disk as an
    I/O error when it cannot grow its shared-memory file)."""
    try:
        return shutil.disk_usage(Path(path).resolve().parent).free == 0
    except OSError:
        return False


def store_error(path: str, exc: sqlite3.Error) -> StoreError:
    """What a database fault means for the person at the keyboard, in one sentence."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith("SQLITE_FULL") or "disk is full" in text or (
            name.startswith("SQLITE_IOERR") and _no_space(path)):
        return StoreError(f"The disk holding {path} is full: nothing was saved. Free some "
                          "space and try again; what you typed is still here.", "Disk full")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text:
        return StoreError(f"{path} is damaged ({text}). Stop tuidesk everywhere, then restore "
                          f"a backup or run: sqlite3 {path} .recover | sqlite3 recovered.db",
                          "Database damaged")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StoreError(f"The database stayed busy: {text}. Nothing was changed; try "
                          "again.", "Database busy")
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN")):
        return StoreError(f"{path} cannot be written ({text}): check the file's and its "
                          "folder's permissions.", "Database read-only")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"The disk failed reading or writing {path} ({text}).", "Disk error")
    return StoreError(f"{path}: {text}")


def _translating(path_of: Callable[[Any], str], method: Callable[..., Any]
                 ) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise store_error(path_of(self), exc) from exc
    return call


def translate_errors(cls: type[T]) -> type[T]:
    """Every public method of the store (mixins included) raises StoreError, never
    sqlite3's errors: a full disk, a damaged page or a busy file is a message for the
    caller to show, and no layer above the store needs to know SQLite's exceptions."""
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if name.startswith("_") or name == "write" or not inspect.isfunction(value):
                continue
            if getattr(cls, name) is value:
                setattr(cls, name, _translating(lambda s: s.path, value))
    return cls


@translate_errors
class Store(QueriesMixin, ActionsMixin, DeliveryMixin, TeamMixin, ReportsMixin, IngestMixin):
    """The only place that speaks SQL. Methods take and return plain values and models."""

    def __init__(self, db: Database, path: str) -> None:
        self.db = db
        self.path = path
        self._brands: dict[tuple[str, str], int] = {}

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, migrate: bool = True) -> Store:
        """Open (creating if needed) a tuidesk database and bring its schema up to date.

        Args:
            path: a file path, or ":memory:".
            migrate: apply pending migrations (False is for tests of old schemas).

        Raises:
            SchemaError: the file is not a tuidesk database or is newer than this code.
            StoreError: the file cannot be opened or written.
        """
        memory = str(path) == ":memory:"
        if not memory:
            p = Path(path)
            _check_existing(p)
            p.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: no implicit BEGIN; we open write transactions ourselves with
            # BEGIN IMMEDIATE so concurrent agents queue on the busy timeout instead of failing.
            conn = sqlite3.connect(
                ":memory:" if memory else str(path),
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not memory:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                # After a checkpoint, shrink the WAL back: a 100 MB WAL left by a bulk import
                # makes the next process spend seconds rebuilding its index on open.
                conn.execute("PRAGMA journal_size_limit = 33554432")
            conn.execute("PRAGMA foreign_keys = ON")
            # 32 MB page cache (default 2 MB): bulk imports update several indexes whose
            # pages would otherwise be evicted and re-read. Filled only as pages are used.
            conn.execute("PRAGMA cache_size = -32000")
            db = Database(conn, execute_plugins=False)
            store = cls(db, str(path))
            if migrate:
                store.migrate()
        except sqlite3.Error as exc:
            raise store_error(str(path), exc) from exc
        return store

    def migrate(self, stop_before: str | None = None) -> None:
        """Apply pending migrations in one IMMEDIATE transaction (safe if two processes race)."""
        with self.write():
            self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            MIGRATIONS.apply(self.db, stop_before=stop_before)

    def applied_migrations(self) -> list[str]:
        return [m.name for m in MIGRATIONS.applied(self.db)]

    def checkpoint(self) -> None:
        """Fold the WAL into the database and truncate it (best effort: readers may block)."""
        if not self.path == ":memory:":
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def close(self) -> None:
        try:
            self.checkpoint()
        except (sqlite3.Error, StoreError):
            pass  # another agent is reading (or closed already); the last one does it
        self.db.close()

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction taken with BEGIN IMMEDIATE; nested calls join the outer one."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        self._begin_immediate(conn)
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite has rolled back already (e.g. after SQLITE_FULL)
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise store_error(self.path, exc) from exc

    def _begin_immediate(self, conn: sqlite3.Connection) -> None:
        """Take the write lock, waiting our turn for up to BUSY_TIMEOUT_MS.

        SQLite's own busy handler sleeps 1, 2, 5 ... then 100 ms between tries: a writer
        that commits and begins again (an import, in chunks) almost always finds the lock
        free before a sleeper wakes, and agents waited 4 s behind a 400k-line import. Here
        every waiter tries again within ~2 ms, so the smallest gap between two of the
        importer's transactions lets them in.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = 0.0005
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    busy = getattr(exc, "sqlite_errorname", "").startswith(
                        ("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc)
                    if not busy or time.monotonic() >= deadline:
                        raise store_error(self.path, exc) from exc
                time.sleep(pause)
                pause = min(pause * 2, 0.002)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def data_version(self) -> int:
        """Changes when another connection commits (cheap; used to refresh open apps)."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def _q(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.db.execute(sql, params).fetchall())

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self.db.execute(sql, params).fetchone()
        return None if row is None else row[0]
