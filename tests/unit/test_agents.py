"""Agents of the web app: passwords hashed, never stored in clear; sign-ins throttled."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from support import NOW
from tuidesk.cli import main
from tuidesk.config import Settings
from tuidesk.errors import ActionError
from tuidesk.services import Services, open_services
from tuidesk.services.agents import SignInRefused
from tuidesk.services.clock import FixedClock

SECRET = "correct horse battery staple"


@pytest.fixture
def desk(tmp_path: Path, clock: FixedClock) -> Services:
    svc = open_services(tmp_path / "agents.db", Settings(agent="admin"), clock)
    yield svc
    svc.close()


def test_passwords_are_hashed_and_checked(desk: Services) -> None:
    desk.agents.add("alice", SECRET)
    desk.agents.add("kim", SECRET + "!", supervisor=True)
    assert desk.agents.sign_in("alice", SECRET) is False
    assert desk.agents.sign_in("kim", SECRET + "!") is True
    with pytest.raises(SignInRefused, match="Wrong name or password"):
        desk.agents.sign_in("alice", SECRET + "x")
    with pytest.raises(SignInRefused, match="Wrong name or password"):
        desk.agents.sign_in("nobody", SECRET)  # the same words: no name is confirmed
    desk.close()
    raw = Path(desk.db_path).read_bytes() + (Path(desk.db_path + "-wal").read_bytes()
                                             if Path(desk.db_path + "-wal").exists() else b"")
    assert SECRET.encode() not in raw and b"horse" not in raw
    assert b"scrypt$16384$8$1$" in raw


def test_failed_sign_ins_are_throttled(desk: Services, clock: FixedClock) -> None:
    desk.agents.add("alice", SECRET)
    for _ in range(3):
        with pytest.raises(SignInRefused, match="Wrong"):
            desk.agents.sign_in("alice", "guess-guess")
    with pytest.raises(SignInRefused, match="Too many failed sign-ins: try again in 2 s"):
        desk.agents.sign_in("alice", SECRET)  # even the right password waits
    clock.advance(2)
    with pytest.raises(SignInRefused, match="Wrong"):
        desk.agents.sign_in("alice", "guess-again")
    with pytest.raises(SignInRefused, match="try again in 4 s"):
        desk.agents.sign_in("alice", "guess")
    clock.advance(4)
    assert desk.agents.sign_in("alice", SECRET) is False
    for _ in range(2):  # a success starts the count again
        with pytest.raises(SignInRefused, match="Wrong"):
            desk.agents.sign_in("alice", "guess-guess")


def test_names_and_passwords_are_checked(desk: Services) -> None:
    with pytest.raises(ActionError, match="at least 10 characters"):
        desk.agents.add("alice", "short")
    with pytest.raises(ActionError, match="lower-case letters"):
        desk.agents.add("Alice Smith", SECRET)
    desk.agents.add("alice", SECRET)
    with pytest.raises(ActionError, match="already an agent 'alice'"):
        desk.agents.add("alice", SECRET)
    desk.agents.passwd("alice", SECRET + "2")
    assert desk.agents.sign_in("alice", SECRET + "2") is False
    desk.agents.remove("alice")
    with pytest.raises(SignInRefused):
        desk.agents.sign_in("alice", SECRET + "2")


def test_agent_commands(desk: Services, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    db = desk.db_path
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert main(["--db", db, "agent", "add", "alice", "--supervisor", "--password-stdin"],
                clock=FixedClock(NOW)) == 0
    assert "Added agent alice (supervisor)." in capsys.readouterr().out
    assert main(["--db", db, "agent", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(a["name"], a["supervisor"]) for a in listed] == [("alice", True)]
    assert SECRET not in json.dumps(listed)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["--db", db, "agent", "passwd", "alice"]) == 3  # no terminal to ask on
    assert "--password-stdin" in capsys.readouterr().err
    assert main(["--db", db, "agent", "remove", "alice"]) == 0
    assert main(["--db", db, "agent", "remove", "alice"]) == 3
