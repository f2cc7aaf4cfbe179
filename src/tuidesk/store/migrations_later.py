"""Provides schema steps m011 onwards (the first ten are in migrations.py); never edit a
released step, add one."""

from __future__ import annotations

from sqlite_utils import Database

from tuidesk.store.migrations import MIGRATIONS


@MIGRATIONS()
def m011_message_originals(db: Database) -> None:
    """The full text of a message longer than the display cap (32,000 characters). A 10 MB
    message once froze the app (16.7 s to first paint, 745 MB); the stored text is cut, and
    the original stays here, outside every query the queue and search make."""
    db.executescript(
        """
        CREATE TABLE message_originals (
            message_id INTEGER PRIMARY KEY REFERENCES messages(id),
            text TEXT NOT NULL
        );
        """
    )


@MIGRATIONS()
def m012_webhook_idempotency(db: Database) -> None:
    """Each webhook delivery carries an Idempotency-Key made at enqueue: a POST that reached
    the receiver before we crashed (or timed out) is retried with the same key, so the
    receiver can tell it already opened that ticket. Older rows get a key now."""
    db.executescript(
        """
        ALTER TABLE webhooks ADD COLUMN idempotency_key TEXT;
        UPDATE webhooks SET idempotency_key = lower(hex(randomblob(16)));
        """
    )


@MIGRATIONS()
def m013_reply_failed(db: Database) -> None:
    """A refused reply is work, not a footnote: its conversation is flagged (and back in the
    Inbox) until the reply is resent, edited or dropped. Before, it sat in Waiting as
    `pending` with nothing in its row."""
    db.executescript(
        """
        ALTER TABLE conversations ADD COLUMN reply_failed INTEGER NOT NULL DEFAULT 0;
        UPDATE conversations SET reply_failed = 1 WHERE id IN
            (SELECT conversation_id FROM outbox WHERE state = 'failed');
        """
    )


@MIGRATIONS()
def m014_keyword_cursors(db: Database) -> None:
    """Where each keyword search stopped, per account and term: a search reads back only to
    what it saw (with an overlap), so a burst of matches between two syncs is read whole
    instead of one page of it."""
    db.executescript(
        """
        CREATE TABLE keyword_cursors (
            account TEXT NOT NULL,
            term TEXT NOT NULL,
            cursor TEXT,
            PRIMARY KEY (account, term)
        );
        """
    )


@MIGRATIONS()
def m015_worker_and_health(db: Database) -> None:
    """Leases (exactly one process runs the desk's jobs: sync, delivery, clocks) and channel
    health (last item received, consecutive failures)."""
    db.executescript(
        """
        CREATE TABLE leases (
            job TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at REAL NOT NULL,
            acquired_at REAL NOT NULL
        );
        ALTER TABLE sync_state ADD COLUMN last_item_at INTEGER;
        ALTER TABLE sync_state ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sync_state ADD COLUMN unhealthy_since INTEGER;
        ALTER TABLE conversations ADD COLUMN breach_flagged_at INTEGER;
        """
    )


@MIGRATIONS()
def m016_alert_webhooks(db: Database) -> None:
    """Channel alerts (a channel went unhealthy, or recovered) travel through the durable
    webhook outbox too: a webhook no longer needs an escalation."""
    db.table("webhooks").transform(not_null={"escalation_id": False})
    db.execute("CREATE INDEX IF NOT EXISTS webhooks_state ON webhooks (state, id)")


@MIGRATIONS()
def m017_conversation_brands(db: Database) -> None:
    """Each brand's own first response in a conversation several brands answered. A TWCS
    thread answered by AldiUK, marksandspencer, sainsburys and Tesco (head5000, 130
    messages) counted wholly for AldiUK, so three brands' medians were wrong (sainsburys
    2,039 s instead of 4,134 s). Only such conversations have rows (one per brand, its own
    included): a conversation one brand answers keeps using conversations.first_reply_at,
    so the bulk import pays nothing (a row for every conversation cost it ~12%)."""
    db.executescript(
        """
        CREATE TABLE conversation_brands (
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            brand_id INTEGER NOT NULL REFERENCES brands(id),
            first_reply_at INTEGER,
            PRIMARY KEY (conversation_id, brand_id)
        ) WITHOUT ROWID;
        """
    )


@MIGRATIONS()
def m018_desk_meta(db: Database) -> None:
    """Facts about the desk itself: the SLA policy its open conversations were derived
    with, so a changed [sla] re-derives them when the app or worker starts; and the VIP
    customers found without a scan (adding one to `vip = [...]` changed nothing for their
    open conversations until they wrote again)."""
    db.executescript(
        """
        CREATE TABLE desk_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        -- VIP customers are few: the start-up check reads them without a scan.
        CREATE INDEX customers_vip ON customers (id) WHERE vip = 1;
        """
    )


@MIGRATIONS()
def m019_insight_index(db: Database) -> None:
    """One covering index for the first-response figures: every window, brand and SLA
    count reads it alone (no table rows). At 1M messages the report took 26 s: sorted
    OFFSET queries per percentile and brand read the table. It replaces conv_first_in, whose
    column it leads with, so the bulk import keeps the same number of indexes."""
    db.executescript(
        """
        CREATE INDEX conv_insight ON conversations (first_inbound_at, first_reply_at,
            brand_id, first_due_at, priority, created_at);
        DROP INDEX IF EXISTS conv_first_in;
        -- The oldest waiting customer (1.5 s at 1M: every Inbox row sorted) and the
        -- conversions (1.0 s: every conversation read): small partial indexes answer them.
        CREATE INDEX conv_waiting ON conversations (waiting_since)
            WHERE bucket = 'inbox' AND waiting_since IS NOT NULL;
        CREATE INDEX conv_negative ON conversations (first_inbound_at, sentiment, inbound_count)
            WHERE first_sentiment < -0.05;
        """
    )


@MIGRATIONS()
def m020_tallies(db: Database) -> None:
    """Running tallies for the reports (see tallies.py): the figures were read from every
    conversation and inbound message on demand (report 9.7 s / 15.6 s at 10M)."""
    from tuidesk.store.tallies import schema

    db.executescript(schema())


@MIGRATIONS()
def m021_unspaced_search_and_tags(db: Database) -> None:
    """Search inside CJK, Thai and emoji text (messages_chars, see scripts.py), filled from
    every message that has such characters (a GLOB on non-ASCII bytes skips the others
    without calling Python); and the tag index saved views filter by."""
    db.executescript(
        """
        CREATE VIRTUAL TABLE messages_chars USING fts5 (tokens, tokenize='unicode61');
        INSERT INTO messages_chars (rowid, tokens)
            SELECT id, t FROM (SELECT id, tuidesk_chars(text) AS t FROM messages
                               WHERE text GLOB '*[^ -~]*')
            WHERE t IS NOT NULL;
        CREATE INDEX tags_by_tag ON conversation_tags (tag, conversation_id);
        """
    )


@MIGRATIONS()
def m022_agents(db: Database) -> None:
    """Agents who sign in to `tuidesk web`: a name, a scrypt hash of the password (never the
    password), whether they supervise, and failed sign-ins for throttling."""
    db.executescript(
        """
        CREATE TABLE agents (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            supervisor INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            locked_until INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        """
    )
