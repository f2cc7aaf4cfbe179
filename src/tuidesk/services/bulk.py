"""Provides BulkService: one action on many conversations, as one step of undo.

Marked rows in the app, `:` commands on them and the CLI's lists of ids all come here. Every
conversation gets its own audit event (the log says who changed what, one row each); the
events carry the batch's token, so `undo` takes the whole batch back in one step. One
conversation that cannot take the action (another agent holds it, it is gone) is skipped with
its reason; the others are done, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tuidesk.errors import ActionError
from tuidesk.services.escalation import EscalationService
from tuidesk.services.inbox import InboxService

#: The actions that apply to marked conversations, with what they need after the ids.
BULK_ACTIONS = ("claim", "assign", "unassign", "tag", "untag", "snooze", "escalate",
                "resolve", "reopen")


@dataclass
class BulkResult:
    action: str
    done: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    """Conversation id -> why it was left as it was."""

    def summary(self, what: str) -> str:
        """'Resolved 48 conversations; 2 skipped (#12: Already claimed by kim. …)'."""
        line = f"{what} {len(self.done)} conversation{'s' * (len(self.done) != 1)}"
        if self.skipped:
            first = next(iter(self.skipped.items()))
            line += f"; {len(self.skipped)} skipped (#{first[0]}: {first[1]}"
            line += " …)" if len(self.skipped) > 1 else ")"
        return line


class BulkService:
    def __init__(self, inbox: InboxService, escalations: EscalationService) -> None:
        self.inbox = inbox
        self.escalations = escalations

    def run(self, action: str, ids: Sequence[int], *args: object) -> BulkResult:
        """Apply `action` (one of BULK_ACTIONS) with `args` to each of `ids`.

        Raises:
            ActionError: an unknown action, or arguments it cannot take (before any change).
            StoreError: the database failed (nothing was changed).
        """
        step = self._step(action, args)
        result = BulkResult(action)
        store = self.inbox.store
        with store.write(), store.audit.batch():
            for cid in dict.fromkeys(ids):
                try:
                    with store.savepoint():
                        step(cid)
                    result.done.append(cid)
                except ActionError as exc:
                    result.skipped[cid] = exc.msg
        return result

    def _step(self, action: str, args: tuple[object, ...]) -> Callable[[int], object]:
        inbox, esc = self.inbox, self.escalations
        words = [str(a) for a in args]
        if action in ("claim", "resolve", "reopen", "unassign") and args:
            raise ActionError(f"{action} takes no arguments.")
        if action == "claim":
            return inbox.claim
        if action == "resolve":
            return inbox.resolve
        if action == "reopen":
            return inbox.reopen
        if action == "unassign":
            return lambda cid: inbox.assign(cid, None)
        if action == "assign":
            if len(words) != 1:
                raise ActionError("assign takes one agent's name.")
            return lambda cid: inbox.assign(cid, words[0])
        if action in ("tag", "untag"):
            if not words:
                raise ActionError(f"{action} takes one or more tags.")
            add, remove = (words, []) if action == "tag" else ([], words)
            return lambda cid: inbox.change_tags(cid, add, remove)
        if action == "snooze":
            if len(args) != 1 or not isinstance(args[0], int):
                raise ActionError("snooze takes one time.")
            until = args[0]
            return lambda cid: inbox.snooze(cid, until)
        if action == "escalate":
            if len(words) != 2:
                raise ActionError("escalate takes a target and a reason.")
            if words[0] not in esc.targets:
                raise ActionError(f"No escalation target {words[0]!r}: use one of "
                                  f"{', '.join(esc.targets)}.")
            return lambda cid: esc.escalate(cid, words[0], words[1])
        raise ActionError(f"{action!r} cannot be done on marked conversations (these can: "
                          f"{', '.join(BULK_ACTIONS)}).")

