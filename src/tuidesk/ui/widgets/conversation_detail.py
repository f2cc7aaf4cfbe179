"""Provides ConversationDetail: the message, its thread, and the customer's whole history."""

from __future__ import annotations

import json
from collections.abc import Callable

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tuidesk.models import PRIORITY_NAMES, Conversation, Message, Visibility
from tuidesk.services.display import due_label, openable_url, rel, utc_time
from tuidesk.services.priority import human_count
from tuidesk.ui.text import drawn, join, safe, safe_line
from tuidesk.ui.widgets.quiet_focus import QuietFocus
from tuidesk.ui.widgets.typing import TypeAhead


def _ago(ts: int, now: int) -> str:
    return f"{rel(now - ts)} ago" if ts <= now else f"in {rel(ts - now)}"


def _date(ts: int) -> str:
    return utc_time(ts, "%Y-%m-%d %H:%M")


def _rule(title: str) -> Content:
    return join(("\n── " + title + " ", "bold $accent"), ("─" * 20, "$accent"), "\n")


def _message(m: Message, now: int, customer_id_net: str, show_conv: bool = False) -> Content:
    arrow = ("◀ ", "bold $warning") if m.direction == "in" else ("▶ ", "bold $success")
    kind = " DM" if m.visibility == Visibility.DIRECT else ""
    who = safe_line(m.author, "bold")
    meta = f"  {_ago(m.created_at, now)}{kind}"
    if m.sentiment is not None and m.direction == "in":
        meta += f"  sentiment {m.sentiment:+.2f}"
    if show_conv:
        meta += f"  #{m.conversation_id}"
    link: list[Content | str | tuple[str, str]] = []
    if m.url:
        shown = openable_url(m.url)
        link = [("   ↗ ", "$text-muted"),
                safe_line(shown or f"{m.url[:80]} (not an http link: O and y ignore it)",
                          "underline $text-muted" if shown else "$text-muted"), "\n"]
    return join(arrow, who, (meta, "$text-muted"), "\n", safe(_indent(m.text)), "\n", *link)


def _indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines() or [""])


def render_conversation(conv: Conversation, now: int, viewers: str = "",
                        can_send: bool = False) -> Content:
    """Everything an agent must know before answering, as one block of literal text."""
    row, cust = conv.row, conv.customer
    parts: list[Content | str | tuple[str, str]] = []
    parts.append(safe_line("@" + row.customer, "bold"))
    facts = []
    if cust is not None:
        if cust.display_name:
            facts.append(cust.display_name)
        if cust.followers is not None:
            facts.append(f"{human_count(cust.followers)} followers")
        if cust.first_seen:
            facts.append(f"customer since {_date(cust.first_seen)[:10]}")
    if facts:
        parts.append(("  ", ""))
        parts.append(safe_line(" · ".join(facts), "$text-muted"))
    if cust is not None and cust.vip:
        parts.append(("  VIP", "bold $warning"))
    parts.append("\n")
    due, overdue = due_label(row.due_at, now)
    line = (f"{row.network} · {'DM' if row.channel == 'direct' else 'public'} · #{row.id} · "
            f"{row.status} · {PRIORITY_NAMES.get(row.priority, '?')} priority · ")
    parts.append((line, ""))
    parts.append(safe_line(f"assigned {row.assignee}" if row.assignee else "unassigned"))
    if due:
        parts.append((f" · due {due}", "bold $error" if overdue else ""))
    if conv.snoozed_until:
        parts.append((f" · snoozed until {_date(conv.snoozed_until)} UTC", "$warning"))
    parts.append("\n")
    waiting = f"; waiting {rel(now - row.last_at)}" if row.last_at and row.status in (
        "new", "open") else ""
    parts.append(join(("Why: ", "bold"), safe_line(conv.priority_reasons + waiting), "\n"))
    if conv.tags:
        parts.append(join(("Tags: ", "bold"), safe_line(", ".join(conv.tags)), "\n"))
    if viewers:
        parts.append(join(("Also here: ", "bold $warning"), safe_line(viewers), "\n"))
    parts.append(_rule(f"Thread ({len(conv.messages)})"))
    for m in conv.messages:
        parts.append(_message(m, now, row.network))
    if conv.outbox:
        parts.append(_rule("Outbox"))
        for o in conv.outbox:
            mark = {"queued": "⧗ queued", "sending": "⇢ sending", "sent": "✓ sent",
                    "failed": "✗ failed", "cancelled": "⊘ cancelled"}.get(o.state, o.state)
            kind = "DM" if o.visibility == Visibility.DIRECT else "public reply"
            parts.append(join((f"{mark} {kind} by ", "bold"), safe_line(o.agent),
                              (f" {_ago(o.created_at, now)}", "$text-muted"), "\n",
                              safe(_indent(o.text)), "\n"))
            if o.state == "queued" and not can_send:
                parts.append((f"   cannot be delivered here: no {row.network} account for "
                              f"@{row.brand} is configured (tuidesk account add); it waits "
                              "in the outbox, and no other brand's account will post it\n",
                              "$warning"))
            if o.last_error:
                parts.append(join(("   error: ", "$error"), safe_line(o.last_error), "\n"))
    if conv.commitments:
        parts.append(_rule("Promises"))
        for c in conv.commitments:
            late = c.done_at is None and c.due_at < now
            mark = ("✓ kept" if c.done_at else "✗ overdue" if late else "⧗ open")
            parts.append(join((f"{mark} ", "bold $error" if late else "bold"),
                              safe(c.text), (f"  due {_date(c.due_at)} UTC by ", "$text-muted"),
                              safe_line(c.agent), "\n"))
    if conv.webhooks:
        parts.append(_rule("Escalation deliveries"))
        for w in conv.webhooks:
            mark = {"queued": "⧗ queued", "sending": "⇢ sending", "sent": "✓ delivered",
                    "failed": "✗ failed"}.get(w.state, w.state)
            status = f" (HTTP {w.response_status})" if w.response_status else ""
            parts.append(join((f"{mark}{status} ", "bold"), safe_line(w.target),
                              (f"  attempts {w.attempts}", "$text-muted"), "\n"))
            if w.last_error:
                parts.append(join(("   error: ", "$error"), safe_line(w.last_error), "\n"))
    if conv.notes:
        parts.append(_rule(f"Notes ({len(conv.notes)}, all of this customer's conversations)"))
        for n in conv.notes:
            here = "" if n.conversation_id == row.id else f" on #{n.conversation_id}"
            parts.append(join(("✎ ", "$accent"), safe_line(n.agent, "bold"),
                              (f" {_ago(n.created_at, now)}{here}: ", "$text-muted"),
                              safe(n.text), "\n"))
    if conv.escalations:
        parts.append(_rule("Escalations"))
        for e in conv.escalations:
            here = "" if e.conversation_id == row.id else f" on #{e.conversation_id}"
            parts.append(join(("⇪ ", "$warning"), safe_line(e.target, "bold"),
                              (f" ({e.status}) by ", ""), safe_line(e.agent),
                              (f" {_ago(e.created_at, now)}{here}: ", "$text-muted"),
                              safe(e.reason), "\n"))
    convs = len({m.conversation_id for m in conv.history})
    dms = sum(1 for m in conv.history if m.visibility == Visibility.DIRECT)
    parts.append(_rule(f"Customer history: {len(conv.history)} messages in {convs} other "
                       f"conversations, {dms} in DMs"))
    if not conv.history:
        parts.append(("   no earlier contact\n", "$text-muted"))
    for m in conv.history[-30:]:
        parts.append(_message(m, now, row.network, show_conv=True))
    if conv.events:
        parts.append(_rule("Timeline"))
        for ev in conv.events[-15:]:
            detail = ""
            if ev.after:
                after = json.loads(ev.after)
                detail = str(after.get("target") or after.get("text") or after.get("assignee")
                             or "")
            parts.append(join((f"{_date(ev.at)} ", "$text-muted"), safe_line(ev.agent, "bold"),
                              (f" {ev.action} ", ""), safe_line(detail[:60]), "\n"))
    return join(*parts)


class ConversationDetail(TypeAhead, QuietFocus, VerticalScroll, can_focus=True):
    """Scrollable detail of one conversation; `show(None)` shows a hint."""

    BINDINGS = [
        Binding("j", "scroll_lines(1)", "Scroll down", show=False, id="detail.down"),
        Binding("k", "scroll_lines(-1)", "Scroll up", show=False, id="detail.up"),
        Binding("g", "top", "Top", show=False, id="detail.top"),
        Binding("G", "bottom", "Bottom", show=False, id="detail.bottom"),
        Binding("space", "page_down", "Page down", show=False, id="detail.page_down"),
    ]
    DEFAULT_CSS = """
    ConversationDetail { padding: 0 1; }
    ConversationDetail > Static { width: 1fr; }
    """

    def __init__(self, now: Callable[[], int], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.now = now
        self.body = Static("Select a conversation.", markup=False)
        self.viewers = ""
        """Who else is on the shown conversation (as last rendered)."""
        self.shown_id: int | None = None
        self._drawn: tuple[object, ...] = ()

    def compose(self):  # type: ignore[no-untyped-def]
        yield self.body

    # force: in the narrow layout the pane hides its scrollbar (overflow hidden), and the
    # keys must scroll it all the same.
    def action_scroll_lines(self, step: int) -> None:
        self.scroll_relative(y=step, animate=False, force=True)

    def action_page_down(self) -> None:
        self.scroll_relative(y=max(1, self.size.height - 1), animate=False, force=True)

    def action_top(self) -> None:
        self.scroll_home(animate=False, force=True)

    def action_bottom(self) -> None:
        self.scroll_end(animate=False, force=True)

    def show(self, conv: Conversation | None, viewers: str = "",
             can_send: bool = False) -> None:
        self.viewers = viewers
        content = (Content("Nothing selected.") if conv is None
                   else render_conversation(conv, self.now(), viewers, can_send))
        now_drawn = drawn(content)
        if now_drawn != self._drawn:
            # Unchanged (Enter on the row whose detail is already shown, a colleague's
            # write elsewhere): not laid out and drawn again (a long history took 10-20 ms).
            self._drawn = now_drawn
            self.body.update(content)
        shown = conv.row.id if conv is not None else None
        if shown != self.shown_id:
            # Another conversation opens at its top (it used to open where the last one
            # was scrolled to); the same one redrawn after a change keeps its place.
            self.shown_id = shown
            self.scroll_home(animate=False, immediate=True, force=True)
