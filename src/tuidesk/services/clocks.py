"""Provides ClockService: the desk's clocks, run by the worker (or by an app when no worker
is running). Every automatic action is the desk's own: logged as `system` with the rule that
fired, and never taken back by an agent's undo.

Rules: a snooze ended; a satisfaction follow-up is due; a promise to a customer is overdue;
a conversation is overdue by more than `[sla] breach_after` minutes (flagged once and, with
`breach_escalate`, escalated once).
"""

from __future__ import annotations

from typing import Any

from tuidesk.errors import ActionError
from tuidesk.models import Status, View
from tuidesk.services.audit import SYSTEM, act
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.escalation import EscalationService
from tuidesk.services.priority import SlaPolicy
from tuidesk.store import Store


class ClockService:
    def __init__(self, store: Store, sla: SlaPolicy, clock: Clock = system_clock,
                 escalations: EscalationService | None = None,
                 breach_after: int | None = None, breach_escalate: str | None = None) -> None:
        self.store = store
        self.sla = sla
        self.clock = clock
        self.escalations = escalations
        self.breach_after = breach_after
        self.breach_escalate = breach_escalate

    def _act(self, cid: int, action: str, rule: str, change: dict[str, Any],
             tag: str, extra: dict[str, Any] | None = None) -> None:
        tags = sorted(set(self.store.conversations.tags_of(cid)) | {tag})
        act(self.store, SYSTEM, self.sla, self.clock(), cid, action, change,
            {"rule": rule} | (extra or {}), tags=tags)

    _wait: float | None = None

    def run(self, wait: float | None = None) -> list[int]:
        """Run every clock once; returns the conversations that changed.

        Args:
            wait: seconds each write waits for another connection's write lock (default:
                the store's 10 s). The app's tick passes a short one: it runs the clocks
                again at its next tick, and must not freeze behind a colleague's long write.
        """
        self._wait = wait
        try:
            return (self.wake_snoozed() + self.follow_ups() + self.overdue_promises()
                    + self.breaches())
        finally:
            self._wait = None

    def wake_snoozed(self) -> list[int]:
        """Snoozes that ended: back to the inbox, tagged 'snooze-ended'."""
        now = self.clock()
        woken = []
        for row in self.store.conversations.page(View.SNOOZED, SYSTEM, None, 200):
            if row.sort_key > now:
                break
            with self.store.write(self._wait):
                self._act(row.id, "wake", "snooze ended",
                          {"status": Status.OPEN, "snoozed_until": None}, "snooze-ended")
            woken.append(row.id)
        return woken

    def follow_ups(self) -> list[int]:
        now = self.clock()
        done = []
        for cid in self.store.escalations.due_followups(now):
            with self.store.write(self._wait):
                self._act(cid, "follow_up", "satisfaction follow-up due",
                          {"status": Status.OPEN, "resolved_at": None, "followup_at": None},
                          "follow-up")
                self.store.messages.add_note(
                    cid, SYSTEM, "Satisfaction follow-up: ask the customer whether the fix "
                                 "held and how we did.", now)
            done.append(cid)
        return done

    def overdue_promises(self) -> list[int]:
        done = []
        for c in self.store.escalations.overdue_commitments(self.clock()):
            with self.store.write(self._wait):
                self.store.escalations.mark_surfaced(c.id)
                self._act(c.conversation_id, "promise_overdue", "promise overdue",
                          {"status": Status.OPEN, "resolved_at": None, "snoozed_until": None},
                          "promise-overdue", {"commitment_id": c.id, "text": c.text})
            done.append(c.conversation_id)
        return done

    def breaches(self) -> list[int]:
        """Conversations overdue by more than `breach_after` seconds: flagged once."""
        if self.breach_after is None:
            return []
        now = self.clock()
        flagged = []
        for cid in self.store.conversations.breached(now - self.breach_after):
            with self.store.write(self._wait):
                self.store.conversations.flag_breach(cid, now)
                self._act(cid, "sla_breach", f"overdue by more than "
                          f"{self.breach_after // 60} min", {}, "sla-breach")
            flagged.append(cid)
            if self.breach_escalate and self.escalations is not None:
                try:
                    self.escalations.escalate(
                        cid, self.breach_escalate,
                        f"SLA breach: overdue by more than {self.breach_after // 60} min")
                except ActionError:
                    pass  # already escalated, or the target went away: the flag stays
        return flagged
