"""Provides ConversationActions: the queue's keys for one conversation, each a prompt (if it
needs one) and a service call; the reply keys open the composer on the ReplyService.

Mixed into QueueScreen, which provides the selection, `_do` (call, toast, reload) and the
refresh of the detail pane. No workflow rule lives here: the services own them.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from textual.app import SuspendNotSupported

from tuidesk.errors import TuideskError
from tuidesk.models import ConversationRow, Visibility
from tuidesk.services.display import openable_url
from tuidesk.services.replies import AnsweredMeanwhile, ReplyDraft
from tuidesk.ui.screens.composer import ComposerResult, ReplyComposerModal
from tuidesk.ui.screens.confirm import ConfirmModal
from tuidesk.ui.screens.escalate import EscalateModal
from tuidesk.ui.screens.prompt import TextPromptModal
from tuidesk.ui.screens.snooze import SnoozeModal
from tuidesk.ui.widgets.conversation_detail import ConversationDetail

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from tuidesk.services import Services
    from tuidesk.services.escalation import EscalationService
    from tuidesk.services.inbox import InboxService
    from tuidesk.services.replies import ReplyService


class ConversationActions:
    if TYPE_CHECKING:
        app: App[None]
        services: Services
        inbox: InboxService
        replies: ReplyService
        escalations: EscalationService
        selected: ConversationRow | None
        marks: dict[int, None]
        activity: str
        _selected_at: int

        def _do(self, fn: object, done: str, *args: object) -> bool: ...
        def notify(self, message: str, *, title: str = "",
                   severity: SeverityLevel = "information", timeout: float | None = None,
                   markup: bool = True) -> None: ...
        def reload(self, keep_cursor: bool = True) -> None: ...
        def select_conversation(self, conversation_id: int) -> bool: ...
        def _show_detail(self) -> None: ...
        def bulk_key(self, action: str) -> None: ...

    # -- presence: who else is on this conversation ------------------------------------------

    def _heartbeat(self) -> None:
        """Tell the other agents what I am on (they see it in their detail pane)."""
        row = self.selected
        # PRAGMA data_version only moves for other connections' commits, so this write of
        # ours does not make the other apps' changes look seen.
        try:
            self.inbox.heartbeat(row.id if row else None, self.activity)
        except TuideskError:
            pass  # presence is best effort: the next heartbeat will try again

    def _refresh_presence(self) -> None:
        """Others' presence expires (their app quit or died) without anyone moving."""
        row = self.selected
        if row is None:
            return
        shown = cast("Screen[None]", self).query_one(ConversationDetail).viewers
        if self.inbox.presence(row.id) != shown:
            self._show_detail()

    # -- per-conversation keys -------------------------------------------------------------

    def action_claim(self) -> None:
        if self.marks:
            self.bulk_key("claim")
            return
        row = self.selected
        if row is not None:
            self._do(self.inbox.claim, f"Claimed #{row.id}", row.id)

    def action_assign(self) -> None:
        if self.marks:
            self.bulk_key("assign")
            return
        row = self.selected
        if row is None:
            return

        def done(name: str | None) -> None:
            if name is not None:
                who = name.strip() or None
                self._do(self.inbox.assign, f"#{row.id} assigned to {who or 'nobody'}",
                         row.id, who)

        self.assign_prompt(f"Assign #{row.id} to (empty = unassign):", row.assignee or "",
                           done)

    def assign_prompt(self, title: str, current: str,
                      then: Callable[[str | None], None]) -> None:
        """Ask for an agent, completing from the agents known here; a name nobody has used
        is confirmed first (a typo used to hand the conversation to nobody real)."""
        try:
            known = self.inbox.known_agents()
        except TuideskError:
            known = [self.inbox.agent]

        def chosen(name: str | None) -> None:
            if name is None or not name.strip():
                then(name)
            else:
                self.confirm_agent(name.strip(), then, known)

        self.app.push_screen(TextPromptModal(title, current, "Tab completes a name",
                                             suggestions=known), chosen)

    def confirm_agent(self, name: str, then: Callable[[str | None], None],
                      known: list[str] | None = None) -> None:
        """`then(name)` for an agent known here; a name nobody has used is confirmed first
        (a typo used to hand the conversation to nobody real); `then(None)` if refused."""
        if known is None:
            try:
                known = self.inbox.known_agents()
            except TuideskError:
                known = [self.inbox.agent]
        if name in known:
            then(name)
            return

        def confirmed(yes: bool | None) -> None:
            then(name if yes else None)

        self.app.push_screen(ConfirmModal(
            f"Nobody called {name!r} has worked here yet (known: "
            f"{', '.join(known[:8])}{' …' if len(known) > 8 else ''}). Assign anyway?"),
            confirmed)

    def action_tag(self) -> None:
        if self.marks:
            self.bulk_key("tag")
            return
        row = self.selected
        if row is None:
            return
        current = ", ".join(self.inbox.conversation(row.id).tags)  # type: ignore[union-attr]

        def done(text: str | None) -> None:
            if text is not None:
                tags = [t for t in text.replace(",", " ").split() if t]
                self._do(self.inbox.set_tags, f"Tags of #{row.id}: {', '.join(tags) or '-'}",
                         row.id, tags)

        self.app.push_screen(TextPromptModal(f"Tags for #{row.id} (comma or space separated):",
                                             current, "billing, outage"), done)

    def action_note(self) -> None:
        row = self.selected
        if row is None:
            return

        def done(text: str | None) -> None:
            if text:
                self._do(self.inbox.note, f"Note added to #{row.id}", row.id, text)

        self.app.push_screen(TextPromptModal(
            f"Internal note on #{row.id} (agents only, never sent):",
            placeholder="what you did, what you promised"), done)

    def action_snooze(self) -> None:
        if self.marks:
            self.bulk_key("snooze")
            return
        row = self.selected
        if row is None:
            return

        def done(until: int | None) -> None:
            if until is not None:
                self._do(self.inbox.snooze, f"Snoozed #{row.id}", row.id, until)

        self.app.push_screen(SnoozeModal(self.inbox.clock), done)

    def action_escalate(self) -> None:
        if self.marks:
            self.bulk_key("escalate")
            return
        row = self.selected
        if row is None:
            return

        def done(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            holding: list[str] = []
            if self._do(lambda *a: holding.append(self.escalations.escalate(*a)),
                        f"#{row.id} escalated to {result[0]}", row.id, *result) and holding[0]:
                # Say what will happen next, then do it: offer the holding reply at once.
                self.action_reply(None, prefill=holding[0], row=row)

        self.app.push_screen(EscalateModal(list(self.escalations.targets)), done)

    def action_resolve(self) -> None:
        if self.marks:
            self.bulk_key("resolve")
            return
        row = self.selected
        if row is not None:
            self._do(self.inbox.resolve, f"Resolved #{row.id}", row.id)

    def action_reopen(self) -> None:
        if self.marks:
            self.bulk_key("reopen")
            return
        row = self.selected
        if row is not None:
            self._do(self.inbox.reopen, f"Reopened #{row.id}", row.id)

    def action_undo(self) -> None:
        try:
            cid, what = self.inbox.undo()
        except TuideskError as exc:
            self.notify(exc.msg, title=exc.title, severity="warning", markup=False)
            return
        self.notify(what, markup=False)
        self.reload()
        self.select_conversation(cid)

    def action_reply(self, visibility: str | None = None, prefill: str = "",
                     row: ConversationRow | None = None, editor: bool = False) -> None:
        row = row or self.selected
        if row is None:
            return
        draft = self.replies.open(row, Visibility(visibility) if visibility else None,
                                  prefill, self._selected_at or None)
        self._open_composer(draft, can_send=self.inbox.can_send(row), editor=editor)

    def action_compose_editor(self) -> None:
        """`:edit`: the composer, straight into $EDITOR."""
        self.action_reply(editor=True)

    def _open_composer(self, draft: ReplyDraft, can_send: bool, error: str = "",
                       editor: bool = False) -> None:
        values = self.inbox.template_values(draft.conversation_id,
                                            self.services.settings.brand_name)
        self.activity = "drafting"
        self._heartbeat()

        def done(result: ComposerResult | None) -> None:
            self.activity = "viewing"
            self._heartbeat()
            if result is None:
                return
            if not result.send:
                if self.replies.save(result.draft):
                    self.notify("Draft kept.")
                self._show_detail()
                return
            self._send(result.draft, can_send)

        conv = self.inbox.conversation(draft.conversation_id)
        answered = [m for m in (conv.messages if conv else ()) if m.direction == "in"]
        quote = f"{answered[-1].author}: {answered[-1].text}" if answered else ""
        self.app.push_screen(ReplyComposerModal(draft, self.inbox.saved_replies(), values,
                                                self.replies.save, self.replies.length,
                                                can_send, error, quote, editor), done)

    def _send(self, draft: ReplyDraft, can_send: bool, confirmed: bool = False) -> None:
        try:
            self.replies.send(draft, confirmed)
        except AnsweredMeanwhile as exc:
            # Never two answers to one customer by accident (the text is kept as a draft).
            def confirmed_cb(yes: bool | None) -> None:
                if yes:
                    self._send(draft, can_send, confirmed=True)
                else:
                    self.notify("Not sent; your text is kept as a draft.")

            self.app.push_screen(ConfirmModal(exc.msg), confirmed_cb)
            return
        except TuideskError as exc:
            # Nothing was queued (a full disk, a busy database): the text comes back.
            self.notify(exc.msg, title=exc.title, severity="error")
            self._open_composer(draft, can_send, error=exc.msg)
            return
        kind = "DM" if draft.visibility == Visibility.DIRECT else "Reply"
        self.notify(f"{kind} to #{draft.conversation_id} queued in the outbox")
        self.reload()

    def action_retry(self) -> None:
        row = self.selected
        if row is not None and self._do(self.replies.retry, f"Reply to #{row.id} queued again",
                                        row.id):
            self.app.call_later(self.app.run_action, "sync")

    def action_drop_reply(self) -> None:
        row = self.selected
        if row is not None:
            self._do(self.replies.drop, f"Refused reply on #{row.id} dropped", row.id)

    def action_escalation_back(self) -> None:
        row = self.selected
        if row is not None:
            self._do(self.escalations.close_escalation, f"#{row.id} is back from escalation",
                     row.id)

    def action_promise(self) -> None:
        row = self.selected
        if row is None:
            return

        def got_text(text: str | None) -> None:
            if not text:
                return

            def got_time(due: int | None) -> None:
                if due is not None:
                    self._do(self.escalations.promise, f"Promise recorded on #{row.id}", row.id,
                             text, due)

            self.app.push_screen(SnoozeModal(self.inbox.clock, "Promised for when? (it comes "
                                             "back to the queue if not kept):"), got_time)

        self.app.push_screen(TextPromptModal(
            f"What did you promise on #{row.id}?", placeholder="technician visit Tue 9-12"),
            got_text)

    def action_dm(self) -> None:
        self.action_reply(Visibility.DIRECT)

    # -- links -----------------------------------------------------------------------------

    def _link(self) -> str | None:
        """The newest message's link in the highlighted conversation (http(s) only)."""
        row = self.selected
        conv = self.inbox.conversation(row.id) if row is not None else None
        for m in reversed(conv.messages if conv is not None else []):
            url = openable_url(m.url)
            if url is not None:
                return url
        self.notify("No web link on this conversation's messages (DMs and imported "
                    "archives have none).", severity="warning")
        return None

    def action_open_link(self) -> None:
        url = self._link()
        if url is None:
            return
        try:
            # A text-mode browser (lynx, w3m under $BROWSER) needs the terminal: give it.
            with self.app.suspend():
                opened = webbrowser.open(url)
        except SuspendNotSupported:
            opened = webbrowser.open(url)
        if opened:
            self.notify(f"Opened {url}")
        else:
            self.notify(f"No browser found (set $BROWSER); y copies the link: {url}",
                        severity="warning")

    def action_copy_link(self) -> None:
        url = self._link()
        if url is not None:
            # OSC 52, base64: only this checked link goes to the terminal's clipboard.
            self.app.copy_to_clipboard(url)
            self.notify(f"Copied {url}")
