"""Provides MarkActions: marked conversations, and the queue's actions on all of them at once.

`v` marks the highlighted row and moves down (neomutt's tag, aerc's mark), `V` marks every
conversation in the list shown, Esc clears the marks. While any are marked, the action keys
(claim, assign, tag, snooze, escalate, resolve, reopen) and their `:` commands apply to all
marked conversations as one bulk action (BulkService: one audit event each, one undo step).
The number marked is always on the top line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from tuidesk.errors import TuideskError
from tuidesk.services.bulk import BulkResult
from tuidesk.ui.screens.escalate import EscalateModal
from tuidesk.ui.screens.prompt import TextPromptModal
from tuidesk.ui.screens.snooze import SnoozeModal
from tuidesk.ui.widgets.queue_list import QueueList

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import App
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from tuidesk.models import ConversationRow
    from tuidesk.services import Services
    from tuidesk.services.inbox import InboxService
    from tuidesk.services.queue_window import QueueWindow, SearchWindow

#: How many conversations `V` marks at most (a view can hold a million).
MARK_ALL_CAP = 5000

#: Bulk action -> the past tense its toast starts with.
DONE = {"claim": "Claimed", "assign": "Assigned", "unassign": "Unassigned", "tag": "Tagged",
        "untag": "Untagged", "snooze": "Snoozed", "escalate": "Escalated",
        "resolve": "Resolved", "reopen": "Reopened"}


class MarkActions:
    if TYPE_CHECKING:
        app: App[None]
        services: Services
        inbox: InboxService
        window: QueueWindow | SearchWindow
        selected: ConversationRow | None

        def notify(self, message: str, *, title: str = "",
                   severity: SeverityLevel = "information", timeout: float | None = None,
                   markup: bool = True) -> None: ...
        def reload(self, keep_cursor: bool = True) -> None: ...
        def _update_bar(self) -> None: ...
        def assign_prompt(self, title: str, current: str,
                          then: Callable[[str | None], None]) -> None: ...

    marks: dict[int, None]
    """Marked conversation ids, in the order marked."""

    def _queue(self) -> QueueList:
        return cast("Screen[None]", self).query_one(QueueList)

    def action_mark(self) -> None:
        queue = self._queue()
        row = queue.current
        if row is None:
            return
        if row.id in self.marks:
            del self.marks[row.id]
        else:
            self.marks[row.id] = None
        queue.marks = set(self.marks)
        queue.refresh_line(queue.cursor)
        queue.action_cursor_down()
        self._update_bar()

    def action_mark_all(self) -> None:
        """Mark every conversation in the list shown (up to MARK_ALL_CAP)."""
        window = self.window
        last = min(window.end(), MARK_ALL_CAP - 1)
        added = 0
        for i in range(last + 1):
            row = window.get(i)
            if row is not None and row.id not in self.marks:
                self.marks[row.id] = None
                added += 1
        capped = window.total > MARK_ALL_CAP
        self._marks_changed()
        self.notify(f"Marked {added} more ({len(self.marks)} in all)"
                    + (f"; only the first {MARK_ALL_CAP:,} of this list" if capped else ""),
                    markup=False)

    def clear_marks(self) -> bool:
        """Clear the marks; False if there were none."""
        if not self.marks:
            return False
        self.marks.clear()
        self._marks_changed()
        return True

    def _marks_changed(self) -> None:
        queue = self._queue()
        queue.marks = set(self.marks)
        queue.refresh()
        self._update_bar()

    def bulk(self, action: str, *args: object) -> bool:
        """Run `action` on every marked conversation; the marks are cleared if it ran."""
        ids = list(self.marks)
        try:
            result: BulkResult = self.services.bulk.run(action, ids, *args)
        except TuideskError as exc:
            self.notify(exc.msg, title=exc.title, severity="error", markup=False)
            return False
        self.notify(result.summary(DONE.get(action, action.capitalize()))
                    + ("" if result.skipped else "  (u undoes all of them)"),
                    severity="warning" if result.skipped else "information", markup=False)
        self.marks.clear()
        self._marks_changed()
        self.reload()
        return True

    def bulk_key(self, action: str) -> None:
        """An action key pressed while conversations are marked: ask what it needs, then act."""
        n = len(self.marks)
        if action in ("claim", "resolve", "reopen"):
            self.bulk(action)
        elif action == "assign":
            def assigned(name: str | None) -> None:
                if name is not None:
                    self.bulk("assign", name) if name.strip() else self.bulk("unassign")

            self.assign_prompt(f"Assign {n} marked to (empty = unassign):", "", assigned)
        elif action == "tag":
            def tagged(text: str | None) -> None:
                tags = [t for t in (text or "").replace(",", " ").split() if t]
                if tags:
                    self.bulk("tag", *tags)

            self.app.push_screen(TextPromptModal(
                f"Add tags to {n} marked (their other tags stay):",
                placeholder="billing, outage"), tagged)
        elif action == "snooze":
            def snoozed(until: int | None) -> None:
                if until is not None:
                    self.bulk("snooze", until)

            self.app.push_screen(SnoozeModal(self.inbox.clock,
                                             f"Snooze {n} marked until:"), snoozed)
        elif action == "escalate":
            def escalated(result: tuple[str, str] | None) -> None:
                if result is not None:
                    self.bulk("escalate", *result)

            self.app.push_screen(EscalateModal(list(self.services.escalations.targets)),
                                 escalated)
        else:
            self.notify(f"{action} works on one conversation: Esc clears the {n} marks.",
                        severity="warning", markup=False)
