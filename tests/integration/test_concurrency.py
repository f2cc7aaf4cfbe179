"""Many agents on one SQLite file: 8 processes claim and write the same conversations at once."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from tuidesk.config import Settings
from tuidesk.services import open_services
from tuidesk.services.demo import seed_demo

PROCESSES = 8


def agent_worker(db: str, agent: str, ids: list[int], barrier: mp.synchronize.Barrier,
                 out: mp.Queue) -> None:
    import sqlite3

    from tuidesk.errors import ActionError, StoreError

    svc = open_services(db, Settings(agent=agent))
    won, notes, errors = [], 0, []
    barrier.wait()
    order = ids if int(agent[1:]) % 2 else list(reversed(ids))
    for cid in order:
        try:
            svc.inbox.claim(cid)
            won.append(cid)
        except ActionError:
            pass
        except (sqlite3.Error, StoreError) as exc:  # the store raises StoreError when busy
            errors.append(str(exc))
        try:
            svc.inbox.note(cid, f"{agent} checked")
            notes += 1
        except (sqlite3.Error, StoreError) as exc:  # the store raises StoreError when busy
            errors.append(str(exc))
    svc.close()
    out.put((agent, won, notes, errors))


def test_eight_processes_claim_each_conversation_exactly_once(tmp_path: Path) -> None:
    db = str(tmp_path / "team.db")
    svc = open_services(db, Settings(agent="setup"))
    seed_demo(svc.ingest, svc.for_agent, 600, 3)
    ids = [r.id for r in svc.inbox.page("inbox", None, 60) if r.assignee is None][:50]
    notes_before = svc.inbox.stats()["notes"]
    svc.close()
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    out = ctx.Queue()
    procs = [ctx.Process(target=agent_worker, args=(db, f"a{i}", ids, barrier, out))
             for i in range(PROCESSES)]
    for p in procs:
        p.start()
    results = [out.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    errors = [e for _, _, _, errs in results for e in errs]
    assert errors == []  # no 'database is locked' ever reached an agent
    winners = {}
    for agent, won, _, _ in results:
        for cid in won:
            assert cid not in winners, f"#{cid} claimed by {winners.get(cid)} and {agent}"
            winners[cid] = agent
    assert set(winners) == set(ids)  # every conversation claimed exactly once
    svc = open_services(db, Settings(agent="check"))
    for cid, agent in winners.items():
        assert svc.inbox.row(cid).assignee == agent
    # No lost updates: every note every process wrote is there, each with its audit event.
    assert svc.inbox.stats()["notes"] == notes_before + PROCESSES * len(ids)
    assert sum(n for _, _, n, _ in results) == PROCESSES * len(ids)
    agents = {f"a{i}" for i in range(PROCESSES)}
    note_events = [e for e in svc.inbox.events(limit=100_000)
                   if e.action == "note" and e.agent in agents]
    assert len(note_events) == PROCESSES * len(ids)
    claims = [e for e in svc.inbox.events(limit=100_000) if e.action == "claim"
              and e.agent in agents]
    assert len(claims) == len(ids)
    svc.close()
