"""Store: migrations, refusing foreign files, keyset paging."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tuidesk.errors import SchemaError
from tuidesk.models import View
from tuidesk.services import Services
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
        bid = old.brand_id("mastodon", "acme")
    old.close()
    store = Store.open(path)
    assert store.applied_migrations() == known_names()
    assert store.brand_id("mastodon", "acme") == bid
    assert store.saved_replies() == []  # the table m002 adds exists
    store.close()


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


@pytest.mark.parametrize("view", [v.value for v in View])
def test_keyset_page_uses_an_index_not_a_sort(demo_services: Services, view: str) -> None:
    """Paging cost must not grow with the table: the plan walks an index, never sorts."""
    from tuidesk.store.queries import ROW_SELECT, VIEWS

    where, col, desc = VIEWS[view]
    order = "DESC" if desc else "ASC"
    sql = (f"EXPLAIN QUERY PLAN {ROW_SELECT} WHERE {where} AND ({col}, c.id) > (0, 0) "
           f"ORDER BY {col} {order}, c.id {order} LIMIT 50")
    plan = " | ".join(r[3] for r in demo_services._store.db.execute(sql, {"agent": "x"}))
    assert "TEMP B-TREE" not in plan, plan
    assert "USING INDEX conv_" in plan or "USING COVERING INDEX conv_" in plan, plan


def test_events_are_append_only(services: Services) -> None:
    store = services._store
    with store.write():
        store.add_event("a", "note", None, None, None, 1)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE events SET agent = 'b'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM events")
