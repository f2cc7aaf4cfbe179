"""Provides Store: opening the database safely, transactions, and the ingest path."""

from __future__ import annotations

import functools
import inspect
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from tuidesk.errors import SchemaError, StoreError
from tuidesk.models import MessageIn
from tuidesk.store.actions import ActionsMixin
from tuidesk.store.delivery import DeliveryMixin
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
class Store(QueriesMixin, ActionsMixin, DeliveryMixin, TeamMixin, ReportsMixin):
    """The only place that speaks SQL. Methods take and return plain values and models."""

    def __init__(self, db: Database, path: str) -> None:
        self.db = db
        self.path = path
        self._brands: dict[tuple[str, str], int] = {}
        self._customers: dict[tuple[str, str], int] = {}

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

    # -- ingest ----------------------------------------------------------------------------

    def max_message_id(self) -> int:
        return int(self._one("SELECT coalesce(max(id), 0) FROM messages"))

    def brand_id(self, network: str, handle: str) -> int:
        key = (network, handle)
        if key not in self._brands:
            self._brands[key] = int(
                self._one(
                    "INSERT INTO brands (network, handle) VALUES (?, ?) "
                    "ON CONFLICT (network, handle) DO UPDATE SET handle = excluded.handle "
                    "RETURNING id",
                    key,
                )
            )
        return self._brands[key]

    def customer_id(
        self,
        network: str,
        handle: str,
        display_name: str | None = None,
        followers: int | None = None,
        seen_at: int | None = None,
        vip: bool = False,
    ) -> int:
        key = (network, handle)
        cached = self._customers.get(key)
        if cached is not None and display_name is None and followers is None and not vip:
            return cached
        cid = int(
            self._one(
                """
                INSERT INTO customers (network, handle, display_name, followers, first_seen, vip)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (network, handle) DO UPDATE SET
                    vip = max(vip, excluded.vip),
                    display_name = coalesce(excluded.display_name, display_name),
                    followers = coalesce(excluded.followers, followers),
                    first_seen = min(coalesce(first_seen, excluded.first_seen),
                                     coalesce(excluded.first_seen, first_seen))
                RETURNING id
                """,
                (network, handle, display_name, followers, seen_at, int(vip)),
            )
        )
        self._customers[key] = cid
        return cid

    def _temp_keys(self, keys: Iterable[tuple[str, str]]) -> None:
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS keys (network TEXT, k TEXT, "
                        "PRIMARY KEY (network, k)) WITHOUT ROWID")
        self.db.execute("DELETE FROM temp.keys")
        self.db.conn.executemany("INSERT OR IGNORE INTO temp.keys VALUES (?, ?)", keys)

    def upsert_customers(self, rows: Sequence[tuple[Any, ...]]) -> dict[tuple[str, str], int]:
        """Insert or update customers in one statement; returns (network, handle) -> id.

        Args:
            rows: (network, handle, display_name, followers, first_seen, vip).
        """
        self.db.conn.executemany(
            """
            INSERT INTO customers (network, handle, display_name, followers, first_seen, vip)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (network, handle) DO UPDATE SET
                display_name = coalesce(excluded.display_name, display_name),
                followers = coalesce(excluded.followers, followers),
                first_seen = min(coalesce(first_seen, excluded.first_seen),
                                 coalesce(excluded.first_seen, first_seen)),
                vip = max(vip, excluded.vip)
            """, [(r[0], r[1], r[2], r[3], r[4], int(bool(r[5]))) for r in rows])
        self._temp_keys((r[0], r[1]) for r in rows)
        return {(n, h): i for i, n, h in self._q(
            "SELECT c.id, c.network, c.handle FROM customers c "
            "JOIN temp.keys k ON k.network = c.network AND k.k = c.handle")}

    def existing_conversations(self, keys: Sequence[tuple[str, str]]
                               ) -> dict[tuple[str, str], int]:
        self._temp_keys(keys)
        return {(n, k): i for i, n, k in self._q(
            "SELECT c.id, c.network, c.thread_key FROM conversations c "
            "JOIN temp.keys k ON k.network = c.network AND k.k = c.thread_key")}

    def max_conversation_id(self) -> int:
        return int(self._one("SELECT coalesce(max(id), 0) FROM conversations"))

    def customer_facts(self, ids: Sequence[int]) -> dict[int, tuple[Any, int, int]]:
        """customer id -> (followers, vip, conversations stored so far)."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS cids (id INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM temp.cids")
        self.db.conn.executemany("INSERT OR IGNORE INTO temp.cids VALUES (?)",
                                 [(i,) for i in ids])
        return {r[0]: (r[1], r[2], r[3]) for r in self._q(
            "SELECT cu.id, cu.followers, cu.vip, "
            "(SELECT count(*) FROM conversations c WHERE c.customer_id = cu.id) "
            "FROM customers cu JOIN temp.cids t ON t.id = cu.id")}

    def insert_conversations(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert new conversations with their derived state in one executemany.

        This is the only place conversations are created. view_counts learns of them here, in
        one statement, rather than from a row trigger: an AFTER INSERT trigger doubled the
        cost of this insert (SQLite then keeps a statement journal for it).
        """
        if not rows:
            return
        since = self.max_conversation_id()
        self.db.conn.executemany(
            """
            INSERT INTO conversations (id, network, thread_key, brand_id, customer_id, channel,
                status, bucket, sort_key, priority, priority_reasons, due_at, created_at,
                last_at, last_inbound_at, waiting_since, first_response_at, message_count,
                inbound_count, sentiment, preview, updated_at, keyword, keyword_severity,
                first_inbound_at, first_sentiment, first_reply_at, first_due_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                    ?, ?)
            """, rows)
        self.db.execute(
            """
            INSERT INTO view_counts
                SELECT bucket, coalesce(assignee, ''), count(*) FROM conversations
                WHERE id > ? GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT DO UPDATE SET n = n + excluded.n
            """, (since,))

    def thread_key_of(self, network: str, remote_id: str) -> str | None:
        """The thread key of the conversation holding message `remote_id`, if stored."""
        value = self._one(
            "SELECT c.thread_key FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE m.network = ? AND m.remote_id = ?",
            (network, remote_id),
        )
        return None if value is None else str(value)

    def insert_messages(self, rows: Iterable[tuple[MessageIn, int, int | None, int]]) -> int:
        """Insert messages, ignoring ones already stored; returns how many were new.

        Args:
            rows: (message, conversation_id, customer_id, brand_id) tuples.
        """
        conn = self.db.conn
        before = conn.total_changes
        conn.executemany(
            """
            INSERT OR IGNORE INTO messages (network, remote_id, conversation_id, direction,
                in_reply_to, customer_id, brand_id, author, text, created_at, visibility, url,
                raw, sentiment)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                (
                    m.network, m.remote_id, conv, m.direction, m.in_reply_to, cust, brand,
                    m.author, m.text, m.created_at, m.visibility, m.url, m.raw, m.sentiment,
                )
                for m, conv, cust, brand in rows
            ),
        )
        return conn.total_changes - before

    def keep_originals(self, originals: Sequence[tuple[str, str, str]]) -> None:
        """Keep the full text of messages whose stored text was cut.

        Args:
            originals: (network, remote_id, full text).
        """
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO message_originals (message_id, text) "
            "SELECT id, ? FROM messages WHERE network = ? AND remote_id = ?",
            [(text, net, rid) for net, rid, text in originals])

    def original_text(self, message_id: int) -> str | None:
        value = self._one("SELECT text FROM message_originals WHERE message_id = ?",
                          (message_id,))
        return None if value is None else str(value)

    def index_messages_after(self, message_id: int) -> None:
        """Add messages with id > message_id to the full-text index in one statement."""
        self.db.execute(
            "INSERT INTO messages_fts (rowid, text, author) "
            "SELECT id, text, author FROM messages WHERE id > ?",
            (message_id,),
        )

    def rebuild_search_index(self) -> None:
        self.db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")

    def refresh_aggregates(self, conversation_ids: Iterable[int]) -> list[dict[str, Any]]:
        """Recompute counts, times, preview and sentiment of conversations from their messages.

        Returns, per conversation, what the services need to derive status, priority and due time.
        """
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (id INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM temp.touched")
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO temp.touched (id) VALUES (?)", ((i,) for i in conversation_ids)
        )
        self.db.execute(
            """
            WITH agg AS (
                SELECT m.conversation_id AS cid,
                    count(*) AS n,
                    sum(m.direction = 'in') AS nin,
                    max(m.created_at) AS last_at,
                    max(CASE WHEN m.direction = 'in' THEN m.created_at END) AS last_in,
                    max(CASE WHEN m.direction = 'out' THEN m.created_at END) AS last_out,
                    min(CASE WHEN m.direction = 'out' THEN m.created_at END) AS first_out,
                    min(CASE WHEN m.direction = 'in' THEN m.created_at END) AS first_in,
                    max(m.visibility = 'direct') AS has_dm
                FROM messages m JOIN temp.touched t ON t.id = m.conversation_id
                GROUP BY m.conversation_id
            )
            UPDATE conversations SET
                message_count = agg.n,
                inbound_count = agg.nin,
                last_at = agg.last_at,
                last_inbound_at = agg.last_in,
                first_response_at = agg.first_out,
                first_inbound_at = agg.first_in,
                first_reply_at = (
                    SELECT min(m7.created_at) FROM messages m7
                    WHERE m7.conversation_id = agg.cid AND m7.direction = 'out'
                      AND m7.created_at >= agg.first_in
                ),
                first_sentiment = (
                    SELECT m6.sentiment FROM messages m6
                    WHERE m6.conversation_id = agg.cid AND m6.direction = 'in'
                    ORDER BY m6.created_at, m6.id LIMIT 1
                ),
                channel = CASE WHEN agg.has_dm THEN 'direct' ELSE conversations.channel END,
                waiting_since = (
                    SELECT min(m2.created_at) FROM messages m2
                    WHERE m2.conversation_id = agg.cid AND m2.direction = 'in'
                      AND m2.created_at > coalesce(agg.last_out, -1)
                ),
                preview = coalesce((
                    SELECT m3.text FROM messages m3
                    WHERE m3.conversation_id = agg.cid AND m3.direction = 'in'
                    ORDER BY m3.created_at DESC, m3.id DESC LIMIT 1
                ), (
                    SELECT m4.text FROM messages m4 WHERE m4.conversation_id = agg.cid
                    ORDER BY m4.created_at DESC, m4.id DESC LIMIT 1
                ), ''),
                sentiment = (
                    SELECT m5.sentiment FROM messages m5
                    WHERE m5.conversation_id = agg.cid AND m5.direction = 'in'
                    ORDER BY m5.created_at DESC, m5.id DESC LIMIT 1
                )
            FROM agg WHERE conversations.id = agg.cid
            """
        )
        cols = (
            "id status assignee created_at last_at last_inbound_at waiting_since "
            "first_response_at resolved_at snoozed_until sentiment followers vip repeat "
            "last_out inbound_count due_at keyword keyword_severity first_inbound_at"
        ).split()
        rows = self._q(
            """
            WITH repeat AS (
                SELECT customer_id, count(*) AS n FROM conversations
                WHERE customer_id IN (SELECT c.customer_id FROM conversations c
                                      JOIN temp.touched t ON t.id = c.id)
                GROUP BY customer_id
            )
            SELECT c.id, c.status, c.assignee, c.created_at, c.last_at, c.last_inbound_at,
                c.waiting_since, c.first_response_at, c.resolved_at, c.snoozed_until,
                c.sentiment, cu.followers, coalesce(cu.vip, 0), coalesce(r.n, 0),
                (SELECT max(m.created_at) FROM messages m
                 WHERE m.conversation_id = c.id AND m.direction = 'out'),
                c.inbound_count, c.due_at, c.keyword, c.keyword_severity, c.first_inbound_at
            FROM conversations c JOIN temp.touched t ON t.id = c.id
            LEFT JOIN customers cu ON cu.id = c.customer_id
            LEFT JOIN repeat r ON r.customer_id = c.customer_id
            """
        )
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def apply_states(self, states: Iterable[dict[str, Any]]) -> None:
        """Write derived state (status, bucket, sort key, priority, due) for conversations.

        Rows go to an unindexed temp table first, then one UPDATE ... FROM applies them:
        cheaper than one indexed UPDATE statement per conversation.
        """
        self.db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS states (id INTEGER PRIMARY KEY, status TEXT, "
            "bucket TEXT, sort_key INTEGER, priority INTEGER, reasons TEXT, due_at INTEGER, "
            "resolved_at INTEGER, first_due_at INTEGER)")
        self.db.execute("DELETE FROM temp.states")
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO temp.states VALUES (:id, :status, :bucket, :sort_key, "
            ":priority, :reasons, :due_at, :resolved_at, :first_due_at)", list(states))
        self.db.execute(
            """
            UPDATE conversations SET status = s.status, bucket = s.bucket,
                sort_key = s.sort_key, priority = s.priority, priority_reasons = s.reasons,
                due_at = s.due_at, resolved_at = s.resolved_at, first_due_at = s.first_due_at
            FROM temp.states s WHERE conversations.id = s.id
            """)

    def conversations_with_messages_after(self, message_id: int) -> list[int]:
        return [r[0] for r in self._q(
            "SELECT DISTINCT conversation_id FROM messages WHERE id > ?", (message_id,))]
