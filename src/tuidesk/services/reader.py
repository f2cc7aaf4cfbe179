"""Provides Reader: reads made in a thread on a connection of their own.

The app's main thread answers keys and draws. A read that finds its pages on disk rather
than in the OS cache takes 46-120 ms on a 10M-message desk, and a key that arrives during it
waits for it: that is how a page down at 10M took 281 ms. The reads a key does not need
(the detail pane once the cursor rests, the rows a screen or two ahead of it) go through a
Reader, in a thread, while the main thread stays free for the next key.

One connection, used by one thread at a time (the lock): a read never waits for the main
connection, and SQLite releases the interpreter lock while it reads pages, so the main thread
keeps running meanwhile. The Reader only reads: a write here would move the main
connection's `PRAGMA data_version` and look like another agent's change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tuidesk.models import Conversation, ConversationRow
from tuidesk.services.inbox import InboxService
from tuidesk.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class DetailRead:
    """What the detail pane shows for one conversation, as read apart."""

    conversation_id: int
    conversation: Conversation | None
    viewers: str
    """Other agents on it now ('sam (drafting)'), as `InboxService.presence` says."""


class Reader:
    """A connection of its own for reads made off the app's main thread.

    Opened on first use; `close` may come from any thread and waits for a read under way.
    Raises StoreError from a read as any read does (the caller falls back to its own
    connection).
    """

    def __init__(self, db_path: str, inbox: InboxService) -> None:
        self.db_path = db_path
        self._inbox = inbox
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._reader_inbox: InboxService | None = None
        self._closed = False
        self.reads = 0
        """How many reads this Reader ran (tests check what went through it)."""

    def _open(self) -> InboxService:
        if self._reader_inbox is None:
            self._store = Store.open(self.db_path, migrate=False)
            main = self._inbox
            self._reader_inbox = InboxService(self._store, main.agent, main.sla, main.clock)
        self._reader_inbox.saved_views = self._inbox.saved_views
        return self._reader_inbox

    def run(self, read: Callable[[InboxService], T]) -> T | None:
        """`read` on this Reader's connection (None once closed)."""
        with self._lock:
            if self._closed:
                return None
            self.reads += 1
            return read(self._open())

    def detail(self, conversation_id: int) -> DetailRead | None:
        """The conversation and who else is on it (None once closed)."""
        return self.run(lambda inbox: DetailRead(
            conversation_id, inbox.conversation(conversation_id),
            inbox.presence(conversation_id)))

    def page(self, view: str, after: ConversationRow | None, n: int,
             before: bool = False) -> list[ConversationRow] | None:
        """A keyset page of `view` after (or before) the row `after`, as QueueWindow reads
        it on the main connection (None once closed)."""
        def read(inbox: InboxService) -> list[ConversationRow]:
            key = inbox.key_of(view, after) if after is not None else None
            return inbox.page_before(view, key, n) if before else inbox.page(view, key, n)
        return self.run(read)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._store is not None:
                self._store.close(checkpoint=False)
                self._store = None
                self._reader_inbox = None
