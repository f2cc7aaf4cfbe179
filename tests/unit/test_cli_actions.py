"""Every agent action on the command line, on a real database file, with --json round trips
and the same audit events as the app (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import NOW
from tuidesk.cli import main
from tuidesk.services.clock import FixedClock

CLOCK = FixedClock(NOW)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "desk.db")
    assert main(["demo", "--generate", "300", "--db", path], clock=CLOCK) == 0
    return path


def run(db: str, capsys: pytest.CaptureFixture[str], *argv: str, agent: str = "tester"
        ) -> tuple[int, dict | list | str]:
    capsys.readouterr()
    code = main(["--db", db, "--agent", agent, *argv], clock=CLOCK)
    captured = capsys.readouterr()
    if code != 0:
        return code, captured.err
    return code, json.loads(captured.out) if "--json" in argv else captured.out


def inbox_ids(db: str, capsys: pytest.CaptureFixture[str]) -> list[int]:
    _, rows = run(db, capsys, "list", "--view", "inbox", "--json")
    return [r["id"] for r in rows]  # type: ignore[union-attr, index]


def test_every_action_round_trips_through_json(db: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    a, b, c, d = inbox_ids(db, capsys)[:4]
    code, r = run(db, capsys, "claim", str(a), "--json")
    assert code == 0 and r["action"] == "claim" and r["state"]["assignee"] == "tester"
    code, r = run(db, capsys, "assign", f"#{b}", "tester", "--json")
    assert r["state"]["assignee"] == "tester"
    code, r = run(db, capsys, "assign", str(b), "-", "--json")
    assert code == 0, r
    assert r["state"]["assignee"] is None
    code, r = run(db, capsys, "assign", str(b), "kim", "--json")
    assert r["state"]["assignee"] == "kim"
    code, err = run(db, capsys, "assign", str(b), "-")
    assert code == 3 and "kim holds" in err  # only a supervisor reassigns
    code, r = run(db, capsys, "tag", str(a), "Billing", "#outage", "--json")
    assert {"billing", "outage"} <= set(r["tags"])
    code, r = run(db, capsys, "tag", str(a), "outage", "--remove", "--json")
    assert "outage" not in r["tags"] and "billing" in r["tags"]
    code, r = run(db, capsys, "note", str(a), "called, no answer", "--json")
    assert code == 0 and r["action"] == "note"
    code, r = run(db, capsys, "reply", str(a), "We are on it.", "--json")
    assert r["state"]["status"] == "pending" and r["outbox_id"] > 0
    code, r = run(db, capsys, "dm", str(c), "Please DM your account number.", "--json")
    assert r["action"] == "dm" and r["outbox_id"] > 0
    code, r = run(db, capsys, "snooze", str(d), "3h", "--json")
    assert r["state"]["status"] == "snoozed" and r["until"] == NOW + 3 * 3600
    code, r = run(db, capsys, "escalate", str(a), "tier 3", "line test fails", "--json")
    assert r["state"]["status"] == "escalated" and "specialist team" in r["holding_reply"]
    code, r = run(db, capsys, "promise", str(a), "call back", "--due", "2h", "--json")
    pid = r["commitment_id"]
    code, r = run(db, capsys, "promise", str(a), "--kept", "--json")
    assert r["action"] == "promise_kept" and r["commitment_id"] == pid
    code, r = run(db, capsys, "resolve", str(a), "--json")
    assert r["state"]["status"] == "resolved"
    code, r = run(db, capsys, "reopen", str(a), "--json")
    assert r["state"]["status"] in ("open", "pending")
    code, r = run(db, capsys, "undo", "--json")
    assert r["conversation"] == a and "reopen" in r["undone"]
    # The same audit events the app writes, by the same agent.
    _, events = run(db, capsys, "log", "--json")
    mine = [e["action"] for e in events if e["agent"] == "tester"]  # type: ignore[union-attr]
    for action in ("claim", "assign", "tag", "note", "reply", "snooze", "escalate", "promise",
                   "promise_kept", "resolve", "reopen", "undo"):
        assert action in mine, action


def test_undo_of_a_reply_brings_its_text_back(db: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    cid = inbox_ids(db, capsys)[0]
    run(db, capsys, "reply", str(cid), "Sorry for the wait!")
    code, r = run(db, capsys, "undo", "--json")
    assert "back as your draft" in r["undone"]
    from tuidesk.config import Settings
    from tuidesk.services import open_services

    svc = open_services(db, Settings(agent="tester"), CLOCK)
    assert svc.replies.stored(cid).text == "Sorry for the wait!"
    assert [o.state for o in svc.inbox.conversation(cid).outbox] == ["cancelled"]
    svc.close()


@pytest.mark.parametrize(("argv", "problem"), [
    (["claim", "999999"], "no conversation #999999"),
    (["snooze", "{cid}", "someday"], "use +90m"),
    (["escalate", "{cid}", "tier 9", "why"], "No escalation target"),
    (["escalate", "{cid}", "tier 3", " "], "Say why"),
    (["note", "{cid}", " "], "needs some text"),
    (["reply", "{cid}", "x" * 501], "Too long for"),
    (["promise", "{cid}", "--kept"], "No open promise"),
    (["promise", "{cid}", "call"], "--due"),
])
def test_refused_actions_are_one_line_and_exit_3(db: str, capsys: pytest.CaptureFixture[str],
                                                 argv: list[str], problem: str) -> None:
    cid = inbox_ids(db, capsys)[0]
    code, err = run(db, capsys, *[a.replace("{cid}", str(cid)) for a in argv])
    assert code == 3 and problem in err and len(str(err).strip().splitlines()) == 1


def test_a_claim_held_by_another_agent_is_refused(db: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    cid = inbox_ids(db, capsys)[0]
    assert run(db, capsys, "claim", str(cid), agent="ana")[0] == 0
    code, err = run(db, capsys, "claim", str(cid), agent="ben")
    assert code == 3 and "Already claimed by ana" in err


def test_answered_meanwhile_needs_yes(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    cid = inbox_ids(db, capsys)[0]
    assert run(db, capsys, "reply", str(cid), "first", agent="ana")[0] == 0
    code, err = run(db, capsys, "reply", str(cid), "second", agent="ben")
    assert code == 3 and "ana answered" in err
    assert run(db, capsys, "reply", str(cid), "second", "--yes", agent="ben")[0] == 0


def test_saved_replies_without_the_demo(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "empty.db")
    assert run(db, capsys, "saved-reply", "add", "sorry", "Hi {customer}, sorry! {agent}")[0] \
        == 0
    assert run(db, capsys, "saved-reply", "add", "sorry", "Hi {customer}, so sorry!")[0] == 0
    code, replies = run(db, capsys, "saved-reply", "list", "--json")
    assert replies == [{"name": "sorry", "body": "Hi {customer}, so sorry!"}]
    assert run(db, capsys, "saved-reply", "remove", "sorry")[0] == 0
    assert run(db, capsys, "saved-reply", "list", "--json")[1] == []
    code, err = run(db, capsys, "saved-reply", "remove", "sorry")
    assert code == 3 and "No saved reply" in err
