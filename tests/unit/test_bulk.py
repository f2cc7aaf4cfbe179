"""Bulk actions: one action on many conversations, one audit event each, one undo step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakes import mention
from support import NOW
from tuidesk.config import Settings
from tuidesk.errors import ActionError
from tuidesk.services import Services, open_services
from tuidesk.services.clock import FixedClock


@pytest.fixture
def desk(tmp_path: Path, clock: FixedClock) -> Services:
    svc = open_services(tmp_path / "bulk.db", Settings(agent="ana"), clock)
    svc.ingest.ingest([mention(i, at=NOW - 3600 - i) for i in range(60)])
    yield svc
    svc.close()


def ids(svc: Services) -> list[int]:
    return sorted(r.id for r in svc.inbox.page("all", limit=100))


def test_bulk_resolve_of_fifty_is_one_undo_step(desk: Services) -> None:
    all_ids = ids(desk)
    desk.inbox.claim(all_ids[-1])  # an earlier single action: undo must stop before it
    fifty = all_ids[:50]
    before = {r.id: r.status for r in desk.inbox.rows(fifty)}
    result = desk.bulk.run("resolve", fifty)
    assert result.done == fifty and not result.skipped
    assert {r.status for r in desk.inbox.rows(fifty)} == {"resolved"}
    events = [e for e in desk.inbox.events(limit=500) if e.action == "resolve"]
    assert sorted(e.conversation_id for e in events) == fifty  # one audit event each
    assert len({json.loads(e.after)["batch"] for e in events}) == 1
    cid, what = desk.inbox.undo()
    assert what == "Undid resolve on 50 conversations"
    assert {r.id: r.status for r in desk.inbox.rows(fifty)} == before
    # The next undo is the claim before the batch, not what is left of it.
    assert desk.inbox.undo()[1] == f"Undid claim on #{all_ids[-1]}"
    with pytest.raises(ActionError, match="Nothing to undo"):
        desk.inbox.undo()


def test_bulk_skips_what_it_cannot_do_and_says_why(desk: Services) -> None:
    some = ids(desk)[:5]
    desk.for_agent("kim").claim(some[2])
    result = desk.bulk.run("claim", some)
    assert result.done == [some[0], some[1], some[3], some[4]]
    assert result.skipped == {some[2]: "Already claimed by kim. Only a supervisor can take "
                                       "it over."}
    assert "Claimed 4 conversations; 1 skipped (#" in result.summary("Claimed")
    assert desk.inbox.row(some[2]).assignee == "kim"
    desk.inbox.undo()
    assert [desk.inbox.row(c).assignee for c in some] == [None, None, "kim", None, None]


def test_bulk_tags_add_and_remove_and_keep_the_others(desk: Services) -> None:
    a, b = ids(desk)[:2]
    desk.inbox.set_tags(a, ["vip"])
    desk.bulk.run("tag", [a, b], "billing", "#Outage")
    assert desk.inbox.conversation(a).tags == ("billing", "outage", "vip")
    assert desk.inbox.conversation(b).tags == ("billing", "outage")
    desk.bulk.run("untag", [a, b], "outage")
    assert desk.inbox.conversation(a).tags == ("billing", "vip")
    desk.inbox.undo()
    assert desk.inbox.conversation(b).tags == ("billing", "outage")


def test_bulk_snooze_assign_escalate_reopen(desk: Services, clock: FixedClock) -> None:
    some = ids(desk)[:3]
    desk.bulk.run("snooze", some, NOW + 7200)
    assert {r.status for r in desk.inbox.rows(some)} == {"snoozed"}
    desk.bulk.run("assign", some, "kim")
    assert {r.assignee for r in desk.inbox.rows(some)} == {"kim"}
    desk.bulk.run("escalate", some, "tier 3", "line fault in the area")
    assert {r.status for r in desk.inbox.rows(some)} == {"escalated"}
    desk.bulk.run("resolve", some)
    desk.bulk.run("reopen", some)
    assert "resolved" not in {r.status for r in desk.inbox.rows(some)}
    with pytest.raises(ActionError, match="no arguments"):
        desk.bulk.run("resolve", some, "now")
    with pytest.raises(ActionError, match="cannot be done on marked"):
        desk.bulk.run("reply", some)


def test_known_agents_come_from_the_log_holders_and_presence(desk: Services) -> None:
    a, b = ids(desk)[:2]
    desk.for_agent("kim").note(a, "called the customer")
    desk.inbox.assign(b, "sam")
    desk.for_agent("lee").heartbeat(a)
    assert desk.inbox.known_agents() == ["ana", "kim", "lee", "sam"]


def test_cli_bulk_by_ids_view_and_search_is_one_undo(desk: Services,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    from tuidesk.cli import main

    some = ids(desk)[:4]
    desk.for_agent("kim").claim(some[3])
    db = desk.db_path
    code = main(["--db", db, "--agent", "ana", "bulk", "claim", "--ids",
                 *[f"#{c}" for c in some]])
    out = capsys.readouterr().out
    assert code == 1  # one was skipped: said, with its reason
    assert "Claim: 3 conversations; 1 skipped" in out and "Already claimed by kim" in out
    assert main(["--db", db, "--agent", "ana", "bulk", "tag", "vip", "urgent",
                 "--view", "mine", "--json"]) == 0
    tagged = json.loads(capsys.readouterr().out)["done"]
    assert sorted(tagged) == sorted(some[:3])
    assert main(["--db", db, "--agent", "ana", "bulk", "escalate", "tier", "3", "--ids",
                 str(some[0])]) == 3  # "tier" is no target: one line, nothing changed
    assert "No escalation target" in capsys.readouterr().err
    assert main(["--db", db, "--agent", "ana", "undo"]) == 0
    assert "Undid tag on 3 conversations" in capsys.readouterr().out
    assert all("vip" not in desk.inbox.conversation(c).tags for c in some)
