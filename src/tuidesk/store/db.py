"""Provides Store: opening the database safely, transactions, and the ingest path."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from tuidesk.errors import SchemaError, StoreError
from tuidesk.store.agents import Agents
from tuidesk.store.audit import Audit
from tuidesk.store.base import store_error, translate_errors
from tuidesk.store.channels import Channels
from tuidesk.store.conversations import Conversations
from tuidesk.store.escalations import Escalations
from tuidesk.store.imports import Imports
from tuidesk.store.leases import Leases
from tuidesk.store.messages import Messages
from tuidesk.store.meta import Meta
from tuidesk.store.migrations import APPLICATION_ID, MIGRATIONS, known_names
from tuidesk.store.outbox import Outbox
from tuidesk.store.reports import Reports
from tuidesk.store.saved_views import SavedViews
from tuidesk.store.scripts import char_tokens
from tuidesk.store.tallies import Tallies
from tuidesk.store.team import Team

BUSY_TIMEOUT_MS = 10_000


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


@translate_errors
class Store:
    """One open database: its connection, its transactions, and one typed repository per
    area. Callers write `store.outbox.claim_delivery(...)` inside `with store.write():`.

    Repositories take and return models and plain values; every public method of each
    raises StoreError (never sqlite3's errors). They share this Store's connection, so a
    `write()` spans any of them.
    """

    def __init__(self, db: Database, path: str) -> None:
        self.db = db
        self.path = path
        self.busy_wait = BUSY_TIMEOUT_MS / 1000
        """Seconds a write waits for another connection's write lock before it fails busy
        (unless it asks for less: see `write`)."""
        self.conversations = Conversations(self)
        self.messages = Messages(self)
        self.outbox = Outbox(self)
        self.channels = Channels(self)
        self.team = Team(self)
        self.escalations = Escalations(self)
        self.audit = Audit(self)
        self.reports = Reports(self)
        self.tallies = Tallies(self)
        self.imports = Imports(self)
        self.leases = Leases(self)
        self.saved_views = SavedViews(self)
        self.agents = Agents(self)
        self.meta = Meta(self)

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
            # Messages in scripts without spaces are indexed character by character.
            conn.create_function("tuidesk_chars", 1, char_tokens, deterministic=True)
            db = Database(conn, execute_plugins=False)
            store = cls(db, str(path))
            if migrate:
                store.migrate()
        except sqlite3.Error as exc:
            raise store_error(str(path), exc) from exc
        return store

    def migrate(self, stop_before: str | None = None) -> None:
        """Apply pending migrations in one IMMEDIATE transaction (safe if two processes race).

        An up-to-date database is recognised with two reads first: every command, app and
        worker opens the store, and took the write lock for it (waiting behind any agent's
        transaction, up to the busy timeout) even when there was nothing to apply.
        """
        if stop_before is None and self._up_to_date():
            return
        if self.path != ":memory:" and self._has_conversations():
            # An upgrade of a desk in use: the first open after it can build tallies and
            # indexes over every row (m020: 86 s at 10M messages); say so instead of a pause.
            logging.getLogger("tuidesk").warning(
                "tuidesk: upgrading the database %s for this version (once; a large desk "
                "can take a minute or two)", self.path)
        with self.write():
            self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            MIGRATIONS.apply(self.db, stop_before=stop_before)

    def _up_to_date(self) -> bool:
        try:
            if self.db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                return False
            applied = {r[0] for r in self.db.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = 'tuidesk'")}
        except sqlite3.Error:
            return False  # a new file: no migrations table yet
        return set(known_names()) <= applied

    def _has_conversations(self) -> bool:
        try:
            return self.db.execute("SELECT 1 FROM conversations LIMIT 1").fetchone() is not None
        except sqlite3.Error:
            return False

    def applied_migrations(self) -> list[str]:
        return [m.name for m in MIGRATIONS.applied(self.db)]

    def checkpoint(self) -> None:
        """Fold the WAL into the database and truncate it (best effort: readers may block)."""
        if not self.path == ":memory:":
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def close(self, checkpoint: bool = True) -> None:
        if checkpoint:
            try:
                # Best effort, never a wait: with another agent writing, a TRUNCATE
                # checkpoint sat out the whole busy timeout (10 s) before giving up.
                self.db.execute("PRAGMA busy_timeout = 0")
                self.checkpoint()
            except (sqlite3.Error, StoreError):
                pass  # another agent is reading (or closed already); the last one does it
        self.db.close()

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def write(self, wait: float | None = None) -> Iterator[None]:
        """A write transaction taken with BEGIN IMMEDIATE; nested calls join the outer one.

        Args:
            wait: seconds to wait for another connection's write lock (default
                `busy_wait`, 10 s): a best-effort write (a presence heartbeat) asks for
                less, so that the app does not freeze behind a colleague's long write for
                something the next heartbeat does again.
        """
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        self._begin_immediate(conn, self.busy_wait if wait is None else wait)
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

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside write(): what the block wrote is undone if it raises; the transaction goes on
        (one conversation of a bulk action that fails leaves the others done)."""
        conn = self.db.conn
        conn.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO part")
            conn.execute("RELEASE part")
            raise
        conn.execute("RELEASE part")

    def _begin_immediate(self, conn: sqlite3.Connection, wait: float) -> None:
        """Take the write lock, waiting our turn for up to `wait` seconds.

        SQLite's own busy handler sleeps 1, 2, 5 ... then 100 ms between tries: a writer
        that commits and begins again (an import, in chunks) almost always finds the lock
        free before a sleeper wakes, and agents waited 4 s behind a 400k-line import. Here
        every waiter tries again within ~2 ms, so the smallest gap between two of the
        importer's transactions lets them in.
        """
        deadline = time.monotonic() + wait
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
