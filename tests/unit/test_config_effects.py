"""Configuration that changes priority (VIP, SLA) re-derives open conversations at start;
commands that only read refuse a database that does not exist; previews take the later
of two messages in one second."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import NOW
from tuidesk.cli import main
from tuidesk.config import Settings
from tuidesk.models import MessageIn
from tuidesk.services import open_services
from tuidesk.services.clock import FixedClock


def _msg(rid: str, author: str, at: int, text: str, parent: str | None = None) -> MessageIn:
    return MessageIn(network="mastodon", remote_id=rid, direction="in", author=author,
                     text=text, created_at=at, brand="acme@social.example", customer=author,
                     in_reply_to=parent)


def _open(db: Path, **settings: object):  # type: ignore[no-untyped-def]
    return open_services(db, Settings(agent="t", **settings), FixedClock(NOW))  # type: ignore[arg-type]


def test_adding_a_vip_reprioritises_their_open_conversations_at_start(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    svc = _open(db)
    svc.ingest.ingest([_msg("1", "ana@x.example", NOW - 600, "my router is broken"),
                       _msg("2", "bo@x.example", NOW - 600, "my router is broken")])
    before = {r.customer: r for r in svc.inbox.page("all", None, 10)}
    svc.close()
    svc = _open(db, vip=("ana@x.example",))  # the config now names ana; she wrote nothing
    after = {r.customer: r for r in svc.inbox.page("all", None, 10)}
    detail = svc.inbox.conversation(after["ana@x.example"].id)
    svc.close()
    assert after["ana@x.example"].priority < before["ana@x.example"].priority
    assert "VIP customer" in detail.priority_reasons
    assert after["bo@x.example"].priority == before["bo@x.example"].priority
    svc = _open(db)  # and taken off the list again
    again = {r.customer: r for r in svc.inbox.page("all", None, 10)}
    svc.close()
    assert again["ana@x.example"].priority == before["ana@x.example"].priority


def test_a_changed_sla_target_moves_open_due_times_at_start(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    svc = _open(db)
    svc.ingest.ingest([_msg("1", "ana@x.example", NOW - 600, "hello")])
    row = svc.inbox.page("all", None, 1)[0]
    svc.close()
    svc = _open(db, first_response={p: 60 for p in (1, 2, 3, 4)})  # 1 minute for all
    moved = svc.inbox.page("all", None, 1)[0]
    svc.close()
    assert row.due_at is not None and moved.due_at is not None
    assert moved.due_at == NOW - 600 + 60 < row.due_at


@pytest.mark.parametrize("argv", [["list"], ["log"], ["report"], ["status"],
                                  ["claim", "1"], ["saved-reply", "list"]])
def test_read_commands_refuse_a_database_that_does_not_exist(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "tema" / "desk.db"
    assert main(["--db", str(typo), *argv]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0] and str(typo) in err[0]
    assert not typo.parent.exists()  # nothing created at the mistyped path


def test_preview_is_the_later_of_two_messages_in_one_second(tmp_path: Path) -> None:
    svc = _open(tmp_path / "p.db")
    # The later message (higher id) comes first in the file; both at the same second.
    svc.ingest.ingest([_msg("1000000000000000002", "ana@x.example", NOW - 60, "second",
                            parent="1000000000000000001"),
                       _msg("1000000000000000001", "ana@x.example", NOW - 60, "first")])
    assert svc.inbox.page("all", None, 1)[0].preview == "second"
    # A stored conversation gets the same answer when a message joins it.
    svc.ingest.ingest([_msg("1000000000000000009", "ana@x.example", NOW - 30, "third",
                            parent="1000000000000000002"),
                       _msg("1000000000000000008", "ana@x.example", NOW - 30, "earlier",
                            parent="1000000000000000002")])
    assert svc.inbox.page("all", None, 1)[0].preview == "third"
    svc.close()


def test_an_unchanged_config_takes_no_write_lock_at_start(tmp_path: Path) -> None:
    """Every command opens the services: with the VIP list and SLA unchanged that is two
    reads. While another agent holds the write lock, a command still starts (before, a
    configured VIP list took the lock at every start and waited for it)."""
    import sqlite3

    db = tmp_path / "l.db"
    svc = _open(db, vip=("ana@x.example",))
    svc.ingest.ingest([_msg("1", "ana@x.example", NOW - 600, "hello")])
    svc.close()
    _open(db, vip=("ana@x.example",)).close()  # the flags are set now
    holder = sqlite3.connect(db, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        svc = _open(db, vip=("ana@x.example",))
        assert svc.inbox.page("all", None, 1)[0].priority is not None
        svc.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
