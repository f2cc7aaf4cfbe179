"""The Reader (reads off the app's main thread, on a connection of its own) and the pages a
QueueWindow hands to it: what they read equals what the main connection reads, and a page
read before a change is never taken after it."""

from __future__ import annotations

import threading

from tuidesk.config import Settings
from tuidesk.services import Services, open_services
from tuidesk.services.clock import FixedClock
from tuidesk.services.queue_window import PAGE, PageAhead, QueueWindow


def ids(rows: object) -> list[int]:
    return [r.id for r in rows]  # type: ignore[attr-defined]


def test_the_reader_has_its_own_connection_and_sees_other_agents_commits(
        demo_services: Services) -> None:
    reader = demo_services.reader()
    assert reader is not None and demo_services.reader() is reader  # one per desk
    first = demo_services.inbox.page("inbox", None, 5)[0]
    read = reader.detail(first.id)
    assert read is not None and read.conversation is not None
    assert read.conversation == demo_services.inbox.conversation(first.id)
    assert reader._store is not None
    assert reader._store.db.conn is not demo_services._store.db.conn

    # Another agent notes the conversation: the reader sees it on its next read, as the
    # main connection does.
    kim = demo_services.for_agent("kim")
    kim.note(first.id, "called them back")
    read = reader.detail(first.id)
    assert read is not None and read.conversation is not None
    assert [n.text for n in read.conversation.notes][-1] == "called them back"


def test_presence_comes_with_the_detail(demo_services: Services) -> None:
    row = demo_services.inbox.page("inbox", None, 1)[0]
    demo_services.for_agent("sam").heartbeat(row.id, "drafting")
    reader = demo_services.reader()
    assert reader is not None
    read = reader.detail(row.id)
    assert read is not None and read.viewers == "sam (drafting)"


def test_an_in_memory_desk_has_no_reader(clock: FixedClock) -> None:
    svc = open_services(":memory:", Settings(agent="tester"), clock)
    try:
        assert svc.reader() is None
    finally:
        svc.close()


def test_a_closed_reader_reads_nothing_and_close_waits_for_a_read(
        demo_services: Services) -> None:
    reader = demo_services.reader()
    assert reader is not None
    row = demo_services.inbox.page("inbox", None, 1)[0]
    entered, release = threading.Event(), threading.Event()

    def slow(inbox: object) -> int:
        entered.set()
        release.wait(5)
        return 1

    t = threading.Thread(target=reader.run, args=(slow,))
    t.start()
    assert entered.wait(5)
    closer = threading.Thread(target=reader.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # waits for the read under way
    release.set()
    t.join(5)
    closer.join(5)
    assert not closer.is_alive()
    assert reader.detail(row.id) is None and reader.page("inbox", None, 5) is None


def test_pages_read_apart_equal_the_pages_read_at_once(demo_services: Services) -> None:
    inbox = demo_services.inbox
    reader = demo_services.reader()
    assert reader is not None
    whole = ids(inbox.page("all", None, 2000))
    asked: list[PageAhead] = []
    window = QueueWindow(inbox, "all", screenful=30)
    window.apart = asked.append
    window.get(0)
    assert window.total == len(whole) > 3 * PAGE

    # Rows ahead of the loaded ones are asked for apart, once, not read here.
    fetches = window.fetches
    window.prefetch(0, 60)
    window.prefetch(0, 60)
    assert window.fetches == fetches and len(asked) == 1
    page = asked.pop()
    assert page.index == 29 and not page.before
    assert window.merge(page, reader.page("all", page.anchor, PAGE))
    assert [window.get(i).id for i in range(130)] == whole[:130]  # type: ignore[union-attr]
    assert window.fetches == fetches

    # Backwards from a jump to the end: the page before the loaded rows.
    window.end()
    last = window.total - 1
    window.get(last)
    window.prefetch(last - 60, last)
    page = asked.pop()
    assert page.before
    assert window.merge(page, reader.page("all", page.anchor, PAGE, before=True))
    got = [window.get(i).id for i in range(last - 100, last + 1)]  # type: ignore[union-attr]
    assert got == whole[-101:]


def test_a_page_asked_for_before_a_change_is_not_taken_after_it(
        demo_services: Services) -> None:
    inbox = demo_services.inbox
    reader = demo_services.reader()
    assert reader is not None
    asked: list[PageAhead] = []
    window = QueueWindow(inbox, "all", screenful=30)
    window.apart = asked.append
    window.get(0)
    window.prefetch(0, 60)
    page = asked.pop()
    rows = reader.page("all", page.anchor, PAGE)
    window.refresh()  # a change: the page may hold rows that moved since
    assert not window.merge(page, rows)
    assert 40 not in window._rows
    # A read that failed is asked for again next time.
    window.get(0)
    window.prefetch(0, 60)
    page = asked.pop()
    assert not window.merge(page, None)
    window.prefetch(0, 60)
    assert len(asked) == 1
