"""Store: migrations, refusing foreign files, keyset paging."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tuidesk.errors import SchemaError
from tuidesk.models import View
from tuidesk.services import Services
from tuidesk.services.clock import FixedClock
from tuidesk.store import Store
from tuidesk.store.migrations import known_names


def test_store_fresh_db_reaches_current_schema(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    assert store.applied_migrations() == known_names()
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.close()


def test_store_old_db_is_migrated_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Store.open(path, migrate=False)
    old.migrate(stop_before="m002_drafts_and_saved_replies")
    assert old.applied_migrations() == ["m001_initial"]
    with old.write():
        bid = old.imports.brand_id("mastodon", "acme")
    old.close()
    store = Store.open(path)
    assert store.applied_migrations() == known_names()
    assert store.imports.brand_id("mastodon", "acme") == bid
    assert store.team.saved_replies() == []  # the table m002 adds exists
    store.close()


def test_view_counts_migration_counts_existing_conversations(tmp_path: Path,
                                                           clock: FixedClock) -> None:
    """A database filled before m007 gets its view_counts from the rows already there."""
    from tuidesk.config import Settings
    from tuidesk.services import open_services
    from tuidesk.services.demo import seed_demo

    path = tmp_path / "old.db"
    svc = open_services(path, Settings(agent="tester"), clock)
    seed_demo(svc.ingest, svc.for_agent, 500, 3)
    svc.close()
    # Turn it back into what the release before m007 left: no view_counts, m003's index.
    conn = sqlite3.connect(path)
    conn.executescript("""
        DROP TRIGGER view_counts_u; DROP TRIGGER view_counts_d; DROP TABLE view_counts;
        CREATE INDEX conv_bucket_assignee ON conversations (bucket, assignee);
        DELETE FROM _sqlite_migrations WHERE name = 'm007_view_counts';
    """)
    conn.close()
    svc = open_services(path, Settings(agent="tester"), clock)
    for view in View:
        assert svc.inbox.count(view.value) == len(svc.inbox.page(view.value, None, 100_000))
    assert svc.inbox.count(View.ALL.value) > 0
    svc.close()


def test_search_matches_stems_and_m009_reindexes_an_old_database(tmp_path: Path,
                                                                  clock: FixedClock) -> None:
    from fakes import mention
    from tuidesk.config import Settings
    from tuidesk.services import open_services
    from tuidesk.store.views import fts_query

    path = tmp_path / "s.db"
    svc = open_services(path, Settings(agent="tester"), clock)
    svc.ingest.ingest([mention(1, "two outages this week"), mention(2, "I was refunded"),
                       mention(3, "the router is fine")])
    svc.close()
    # As the release before m009 left it: words indexed as typed, no stems.
    conn = sqlite3.connect(path)
    conn.executescript("""
        DROP TABLE messages_fts;
        CREATE VIRTUAL TABLE messages_fts USING fts5 (
            text, author, content='messages', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2');
        INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
        DELETE FROM _sqlite_migrations WHERE name = 'm009_search_stems_words';
    """)
    conn.close()
    svc = open_services(path, Settings(agent="tester"), clock)
    customers = lambda q: {r.customer for r in svc.inbox.search(q)}  # noqa: E731
    assert customers("outage") == {"cust1"}
    assert customers("refund") == {"cust2"}
    assert customers("Outages refunded") == set()  # words are ANDed
    assert customers("rout*") == {"cust3"}  # an explicit prefix still works
    assert customers("cust2") == {"cust2"}  # author handles are searched too
    assert fts_query("can't log") == '"can\'t" "log"'  # plain words: no implicit prefix
    svc.close()


def test_store_refuses_foreign_sqlite_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaError, match="not a tuidesk database"):
        Store.open(path)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_store_refuses_non_sqlite_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a database\n" * 100)
    before = path.read_bytes()
    with pytest.raises(SchemaError, match="not an SQLite database"):
        Store.open(path)
    assert path.read_bytes() == before


def test_store_refuses_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('tuidesk', 'm999_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaError, match="newer tuidesk"):
        Store.open(path)
    assert path.read_bytes() == before


def _walk_forward(svc: Services, view: str, size: int) -> list[int]:
    ids: list[int] = []
    after = None
    while True:
        page = svc.inbox.page(view, after, size)
        ids.extend(r.id for r in page)
        if len(page) < size:
            return ids
        after = svc.inbox.key_of(view, page[-1])


@pytest.mark.parametrize("view", [v.value for v in View])
def test_keyset_pages_cover_view_in_order_without_gaps(demo_services: Services, view: str
                                                       ) -> None:
    svc = demo_services
    everything = [r.id for r in svc.inbox.page(view, None, 100_000)]
    assert len(everything) == svc.inbox.count(view)
    assert _walk_forward(svc, view, 7) == everything
    # Walking backwards from the end yields the same sequence.
    back: list[int] = []
    before = None
    while True:
        page = svc.inbox.page_before(view, before, 7)
        back[:0] = [r.id for r in page]
        if len(page) < 7:
            break
        before = svc.inbox.key_of(view, page[0])
    assert back == everything
    if everything:
        assert [r.id for r in svc.inbox.page_at(view, 3, 5)] == everything[3:8]


def test_view_counts_stay_exact_through_actions_and_ingest(demo_services: Services,
                                                         clock: FixedClock) -> None:
    """Counts come from view_counts (kept by triggers): after claims, assignments, snoozes,
    escalations, resolves, reopen, undo, a wake-up and new messages, each still equals the
    number of rows its view pages through, for every agent."""
    from tuidesk.config import Settings
    from tuidesk.models import MessageIn
    from tuidesk.services import open_services

    svc = demo_services
    inbox = svc.inbox
    ids = [r.id for r in inbox.page("inbox", None, 12)]
    inbox.claim(ids[0])
    inbox.claim(ids[1])
    inbox.assign(ids[2], "tester")
    inbox.resolve(ids[1])
    inbox.reopen(ids[1])
    inbox.snooze(ids[3], clock() + 3600)
    svc.escalations.escalate(ids[4], "tier 3", "router firmware")
    inbox.resolve(ids[5])
    inbox.claim(ids[6])
    inbox.undo()
    clock.advance(7200)
    svc.clocks.run()
    # The customer writes again in the resolved conversation (it reopens) and in a new one.
    resolved = inbox.conversation(ids[5])
    assert resolved is not None and resolved.row.status == "resolved"
    first = resolved.messages[0]
    svc.ingest.ingest([
        MessageIn(first.network, "count-1", "in", resolved.row.customer, "still broken",
                  clock(), resolved.row.brand, in_reply_to=first.remote_id),
        MessageIn(first.network, "count-2", "in", "newcomer", "hello?", clock(),
                  resolved.row.brand),
    ])
    assert inbox.row(ids[5]).status != "resolved"  # type: ignore[union-attr]
    other = open_services(svc.db_path, Settings(agent="ana"), clock)
    other.inbox.claim(other.inbox.page("inbox", None, 1)[0].id)
    other.close()
    for agent_inbox in (inbox, svc.for_agent("ana")):
        for view in View:
            rows = agent_inbox.page(view.value, None, 1_000_000)
            assert agent_inbox.count(view.value) == len(rows), (agent_inbox.agent, view)


@pytest.mark.parametrize("view", [v.value for v in View])
def test_keyset_page_uses_an_index_not_a_sort(demo_services: Services, view: str) -> None:
    """Paging cost must not grow with the table: the plan walks an index, never sorts."""
    from tuidesk.store.views import ROW_SELECT, VIEWS

    where, col, desc = VIEWS[view]
    order = "DESC" if desc else "ASC"
    sql = (f"EXPLAIN QUERY PLAN {ROW_SELECT} WHERE {where} AND ({col}, c.id) > (0, 0) "
           f"ORDER BY {col} {order}, c.id {order} LIMIT 50")
    plan = " | ".join(r[3] for r in demo_services._store.db.execute(sql, {"agent": "x"}))
    assert "TEMP B-TREE" not in plan, plan
    assert "USING INDEX conv_" in plan or "USING COVERING INDEX conv_" in plan, plan


def test_queue_window_scrolls_and_prefetches_by_keyset(demo_services: Services) -> None:
    """Walking a whole view a screen at a time, with the idle-time prefetch the list does,
    reads every row in order by keyset pages only (never OFFSET), keeps memory bounded, and
    finds the rows ahead already loaded when the next screen needs them."""
    from tuidesk.services.queue_window import QueueWindow

    inbox = demo_services.inbox
    expected = [r.id for r in inbox.page("all", None, 100_000)]
    window = QueueWindow(inbox, "all", max_rows=300)
    seen: list[int] = []
    height = 23
    misses = 0
    for top in range(0, window.total, height):
        fetches = window.fetches
        for i in range(top, min(top + height, window.total)):
            row = window.get(i)
            assert row is not None
            seen.append(row.id)
        misses += window.fetches > fetches
        window.prefetch(top - height, top + 2 * height)
        assert len(window._rows) <= 300 + 100
    assert seen == expected
    assert window.offset_fetches == 0
    assert misses == 1  # only the very first screen waited for the store
    assert window.get(window.end()).id == expected[-1]  # type: ignore[union-attr]


def test_search_batches_page_the_index_and_match_one_shot_search(demo_services: Services
                                                                  ) -> None:
    """Search results come in keyset batches over the FTS index: together they are exactly
    the one-shot result, each conversation once, most recent match first."""
    from tuidesk.services.queue_window import SearchWindow

    inbox = demo_services.inbox
    everything = inbox.search_ids("a", limit=100_000)  # prefix query: most messages match
    assert len(everything) > 3 * 20
    hits = inbox.search_hits("a", batch=20)
    batches = []
    while not hits.done:
        batches.append(hits.next_batch())
    assert len(batches) > 3 and all(len(b) <= 40 for b in batches)
    assert [cid for b in batches for cid in b] == everything

    window = SearchWindow.search(inbox, "a")
    assert window.more and window.total < len(everything)  # only the first batch so far
    first_total = window.total
    window.get(first_total - 1)
    assert window.total == first_total  # drawing rows never fetches ids
    window.prefetch(0, first_total - 1)  # nearing the end of what is known fetches more
    assert window.total > first_total
    assert window.end() == len(everything) - 1 and not window.more and window.complete
    capped = SearchWindow(inbox, [], "search", inbox.search_hits("a", 20), cap=50)
    assert capped.end() == 49 and not capped.more and not capped.complete  # "50+"
    assert [r.id for r in window.rows] == everything

    small = SearchWindow.search(inbox, "router")
    assert not small.more and 0 < small.total == len(inbox.search_ids("router"))
    # Not FTS5 syntax after all: the words as written, never SQLite's own message.
    assert inbox.search_ids('AND "') == inbox.search_ids('"AND"') != []


@pytest.mark.parametrize("typed", ["ETA: tomorrow", "*", "NOT", "(", '"', "router AND",
                                   "eta:", "(again", "^"])
def test_a_query_that_is_not_search_syntax_searches_its_words(
        services: Services, typed: str) -> None:
    """`ETA: tomorrow` failed with "no such column: ETA" (a colon is FTS5's column filter),
    a lone operator or quote with FTS5's syntax error, in the app and in `list --search`."""
    from tuidesk.models import MessageIn

    services.ingest.ingest([MessageIn(
        network="mastodon", remote_id="1", direction="in", author="kim@x.example",
        text="Engineer ETA: tomorrow, router AND modem NOT working (again) ^^ *sigh*",
        created_at=1_700_000_000, brand="acme", customer="kim@x.example")])
    hits = services.inbox.search_ids(typed)
    words = [w for w in typed.replace('"', " ").split() if any(c.isalnum() for c in w)]
    assert hits == ([] if not words else hits)
    if words:
        assert len(hits) == 1, typed


def test_events_are_append_only(services: Services) -> None:
    store = services._store
    with store.write():
        store.audit.add_event("a", "note", None, None, None, 1)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE events SET agent = 'b'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM events")


def test_upgrade_to_m021_makes_stored_cjk_and_emoji_findable(tmp_path: Path,
                                                              clock: FixedClock) -> None:
    """A desk from before m021 holds messages in Chinese and with emoji that word search
    never found inside; after the upgrade they are found, and new ones too."""
    import sqlite3
    from dataclasses import replace

    from fakes import mention
    from tuidesk.config import Settings
    from tuidesk.services import open_services

    path = tmp_path / "old.db"
    svc = open_services(path, Settings(agent="t"), clock)
    svc.ingest.ingest([replace(mention(1), text="我的路由器坏了，请帮忙 🙏"),
                       replace(mention(2), text="plain english, no outage")])
    svc.close()
    conn = sqlite3.connect(path)
    conn.executescript("DROP TABLE messages_chars; DROP INDEX tags_by_tag; DELETE FROM "
                       "_sqlite_migrations WHERE name = 'm021_unspaced_search_and_tags';")
    conn.close()
    store = Store.open(path)
    assert store.db.execute("SELECT count(*) FROM messages_chars").fetchone()[0] == 1
    assert store.conversations.search_ids("路由器") == [1]
    assert store.conversations.search_ids("🙏") == [1]
    assert store.conversations.search_ids("outage") == [2]
    store.close()


@pytest.mark.parametrize("url,ok", [
    ("https://mastodon.example/@ana/1", True), ("http://x.example/a?b=c#d", True),
    ("javascript:alert(1)", False), ("file:///etc/passwd", False), ("https://", False),
    ("https://x.example/\x1b]52;c;ZXZpbA==\x07", False), ("https://x.example/a b", False),
    ("https://x.example/\u202eevil", False), ("https://x.example/'$(reboot)'", False),
    ("data:text/html,<script>", False), ("", False), (None, False)])
def test_only_plain_web_links_are_opened_or_copied(url: str | None, ok: bool) -> None:
    from tuidesk.services.display import openable_url

    assert (openable_url(url) is not None) is ok
    assert openable_url(url) in (None, url)


def test_prepare_search_opens_both_full_text_tables(demo_services: Services) -> None:
    """The app opens the word index and the character index before the first search (the
    first MATCH on a connection cost 13 ms in a pty); both must be touched."""
    conn = demo_services._store.db.conn
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        demo_services.inbox.prepare_search()
    finally:
        conn.set_trace_callback(None)
    sql = " ".join(statements)
    assert "messages_chars MATCH" in sql and "messages_fts MATCH" in sql


class _Ticking:
    """time.monotonic that moves 10 ms per call, and a sleep that does not: how many times a
    write tries for the lock then says how long it would have waited, with no timing."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 0.01
        return self.now

    def sleep(self, seconds: float) -> None:
        pass


def _attempts_while_locked(svc: Services, monkeypatch: pytest.MonkeyPatch,
                           write: Callable[[], object]) -> int:
    """BEGIN IMMEDIATE attempts `write` makes while another process holds the write lock;
    it must fail busy, as a StoreError."""
    from tuidesk.errors import StoreError
    from tuidesk.store import db as store_db

    ticking = _Ticking()
    monkeypatch.setattr(store_db, "time", ticking)
    begins: list[str] = []
    conn = svc._store.db.conn
    conn.set_trace_callback(lambda sql: begins.append(sql) if sql == "BEGIN IMMEDIATE" else None)
    other = sqlite3.connect(svc.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError):
            write()
    finally:
        other.execute("ROLLBACK")
        other.close()
        conn.set_trace_callback(None)
    return len(begins)


def test_best_effort_writes_give_up_at_once_behind_another_writer(
        demo_services: Services, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A presence heartbeat and the app's tick of the clocks waited the whole busy timeout
    (10 s, on the app's main thread) behind another agent's long write; an action waits its
    turn for that long, as before."""
    from tuidesk.services.inbox import BEST_EFFORT_WAIT

    inbox = demo_services.inbox
    row = inbox.page("inbox", None, 1)[0]
    heartbeat = _attempts_while_locked(demo_services, monkeypatch,
                                       lambda: inbox.heartbeat(row.id))
    assert 1 <= heartbeat <= BEST_EFFORT_WAIT / 0.01 + 1
    claim = _attempts_while_locked(demo_services, monkeypatch, lambda: inbox.claim(row.id))
    assert claim >= 9 / 0.01 / 2  # ~10 s of tries (two clock reads per try)

    inbox.snooze(row.id, clock() + 60)
    clock.advance(61)  # the snooze is due: the clocks write
    clocks = demo_services.clocks
    tick = _attempts_while_locked(demo_services, monkeypatch,
                                  lambda: clocks.run(wait=BEST_EFFORT_WAIT))
    assert 1 <= tick <= BEST_EFFORT_WAIT / 0.01 + 1
    assert clocks.run() == [row.id]  # the lock free: the next tick wakes it
