"""The ingest path: customers, conversations and messages in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tuidesk.models import DerivedState, MessageIn, NewConversation, StateInputs
from tuidesk.store.base import Repository

if TYPE_CHECKING:
    from tuidesk.store.db import Store


class Imports(Repository):
    """Bulk ingest: each method runs inside the caller's write transaction (a chunk)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._brands: dict[tuple[str, str], int] = {}

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

    def brand_handles(self) -> list[str]:
        """Every stored brand's handle (the brands table is small: one row per account)."""
        return [str(r[0]) for r in self._q("SELECT handle FROM brands")]

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

    def insert_conversations(self, rows: Sequence[NewConversation]) -> None:
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
        self.store.tallies.add_conversations_after(since)  # the reports' figures

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
        self.db.execute(
            "INSERT INTO messages_chars (rowid, tokens) "
            "SELECT id, t FROM (SELECT id, tuidesk_chars(text) AS t FROM messages "
            "WHERE id > ? AND text GLOB '*[^ -~]*') WHERE t IS NOT NULL",
            (message_id,),
        )

    def refresh_aggregates(self, conversation_ids: Iterable[int]) -> list[StateInputs]:
        """Recompute counts, times, preview and sentiment of conversations from their messages.

        Returns, per conversation, what the services need to derive status, priority and due time.
        """
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (id INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM temp.touched")
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO temp.touched (id) VALUES (?)", ((i,) for i in conversation_ids)
        )
        # Two messages in the same second: the later is the one with the later id (tweet,
        # Mastodon and Bluesky ids grow with time), not the one stored last.
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
                    ORDER BY m6.created_at, length(m6.remote_id), m6.remote_id LIMIT 1
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
                    ORDER BY m3.created_at DESC, length(m3.remote_id) DESC,
                        m3.remote_id DESC LIMIT 1
                ), (
                    SELECT m4.text FROM messages m4 WHERE m4.conversation_id = agg.cid
                    ORDER BY m4.created_at DESC, length(m4.remote_id) DESC,
                        m4.remote_id DESC LIMIT 1
                ), ''),
                sentiment = (
                    SELECT m5.sentiment FROM messages m5
                    WHERE m5.conversation_id = agg.cid AND m5.direction = 'in'
                    ORDER BY m5.created_at DESC, length(m5.remote_id) DESC,
                        m5.remote_id DESC LIMIT 1
                )
            FROM agg WHERE conversations.id = agg.cid
            """
        )
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
                c.sentiment, cu.followers, coalesce(cu.vip, 0), c.priority,
                c.priority_reasons, c.due_at, coalesce(r.n, 0),
                (SELECT max(m.created_at) FROM messages m
                 WHERE m.conversation_id = c.id AND m.direction = 'out'),
                c.inbound_count, c.keyword, c.keyword_severity, c.first_inbound_at
            FROM conversations c JOIN temp.touched t ON t.id = c.id
            LEFT JOIN customers cu ON cu.id = c.customer_id
            LEFT JOIN repeat r ON r.customer_id = c.customer_id
            """
        )
        return [StateInputs(*r) for r in rows]

    def apply_states(self, states: Iterable[DerivedState]) -> None:
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
            "INSERT OR REPLACE INTO temp.states VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            list(states))
        self.db.execute(
            """
            UPDATE conversations SET status = s.status, bucket = s.bucket,
                sort_key = s.sort_key, priority = s.priority, priority_reasons = s.reasons,
                due_at = s.due_at, resolved_at = s.resolved_at, first_due_at = s.first_due_at
            FROM temp.states s WHERE conversations.id = s.id
            """)

    def insert_conversation_brands(self, rows: Iterable[tuple[int, int, int | None]]) -> None:
        """(conversation id, brand id, first reply at) of new conversations that several
        brands answered (m017)."""
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO conversation_brands (conversation_id, brand_id, "
            "first_reply_at) VALUES (?, ?, ?)", rows)

    def refresh_conversation_brands(self, conversation_ids: Iterable[int]) -> None:
        """Re-derive, for these stored conversations, each brand's first reply after the
        customer's first message, where more than one brand wrote in the conversation
        (m017: a conversation one brand answers has no rows).

        CROSS JOIN and `+m.direction` keep SQLite on the conversations' own rows (msg_conv):
        left to itself it scanned every outbound message per batch (import ratio 0.36 ->
        0.02 at 100k)."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS cb_ids (id INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM temp.cb_ids")
        self.db.conn.executemany("INSERT OR IGNORE INTO temp.cb_ids (id) VALUES (?)",
                                 ((i,) for i in conversation_ids))
        self.db.execute("DELETE FROM conversation_brands WHERE conversation_id IN "
                        "(SELECT id FROM temp.cb_ids)")
        self.db.execute(
            """
            WITH p AS (
                SELECT c.id AS cid, c.brand_id AS bid
                FROM temp.cb_ids t CROSS JOIN conversations c ON c.id = t.id
                WHERE c.brand_id IS NOT NULL
                UNION
                SELECT m.conversation_id, m.brand_id
                FROM temp.cb_ids t CROSS JOIN messages m ON m.conversation_id = t.id
                WHERE +m.direction = 'out' AND m.brand_id IS NOT NULL
            )
            INSERT INTO conversation_brands (conversation_id, brand_id, first_reply_at)
            SELECT p.cid, p.bid, (
                SELECT min(m.created_at) FROM messages m
                WHERE m.conversation_id = p.cid AND +m.direction = 'out' AND m.brand_id = p.bid
                  AND m.created_at >= c.first_inbound_at)
            FROM p JOIN conversations c ON c.id = p.cid
            WHERE p.cid IN (SELECT cid FROM p GROUP BY cid HAVING count(*) > 1)
            """)

    def conversations_with_messages_after(self, message_id: int) -> list[int]:
        return [r[0] for r in self._q(
            "SELECT DISTINCT conversation_id FROM messages WHERE id > ?", (message_id,))]
