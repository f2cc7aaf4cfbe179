"""The queue screen's keys: one table, read by the footer, the help modal and `[keys]`
remapping (each binding's id is what config.toml names)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from tuidesk.models import VIEW_TITLES
from tuidesk.ui.widgets.view_bar import VIEW_ORDER

#: Actions that need a highlighted conversation (disabled in the footer otherwise).
NEEDS_ROW = {"reply", "dm", "claim", "assign", "tag", "note", "snooze", "escalate", "resolve",
             "reopen", "retry", "escalation_back", "promise", "drop_reply", "mark",
             "open_link", "copy_link", "compose_editor"}

#: The app's own keys (live on every screen).
APP_BINDINGS: list[BindingType] = [
    Binding("ctrl+c", "quit", "Quit", show=False, id="app.ctrl_c"),
    Binding("S", "sync", "Sync now", show=False, id="app.sync",
            tooltip="Fetch mentions and deliver the outbox now"),
    Binding("ctrl+p", "command_palette", "Palette", show=False, id="app.palette",
            tooltip="Command palette: every action by name"),
]

QUEUE_BINDINGS: list[BindingType] = [
    *[Binding(str(i + 1), f"view('{v.value}')", VIEW_TITLES[v], show=False,
              id=f"queue.view_{v.value}") for i, v in enumerate(VIEW_ORDER)],
    *[Binding(key, f"saved_view({i})", f"Saved view {i + 1}", show=False,
              tooltip=f"Saved view {i + 1} (config.toml [views.NAME], in order)",
              id=f"queue.saved_view_{i + 1}") for i, key in enumerate("890")],
    Binding("r", "reply", "Reply", tooltip="Reply (public; Ctrl+T for DM)",
            id="queue.reply"),
    Binding("d", "dm", "DM", show=False, tooltip="Reply by direct message", id="queue.dm"),
    Binding("c", "claim", "Claim", tooltip="Assign to me", id="queue.claim"),
    Binding("a", "assign", "Assign", show=False, tooltip="Assign to an agent",
            id="queue.assign"),
    Binding("t", "tag", "Tag", show=False, tooltip="Edit tags", id="queue.tag"),
    Binding("n", "note", "Note", tooltip="Add an internal note", id="queue.note"),
    Binding("s", "snooze", "Snooze", tooltip="Snooze until a time", id="queue.snooze"),
    Binding("e", "escalate", "Escalate", tooltip="Escalate to another team",
            id="queue.escalate"),
    Binding("x", "resolve", "Resolve", tooltip="Mark resolved", id="queue.resolve"),
    Binding("o", "reopen", "Reopen", show=False, tooltip="Reopen", id="queue.reopen"),
    Binding("u", "undo", "Undo", tooltip="Undo my last action", id="queue.undo"),
    Binding("b", "escalation_back", "Escalation back", show=False,
            tooltip="The escalation was answered: back to the inbox",
            id="queue.escalation_back"),
    Binding("p", "promise", "Promise", show=False,
            tooltip="Record a promise made to the customer, with a due time",
            id="queue.promise"),
    Binding("R", "retry", "Retry reply", show=False,
            tooltip="Send a refused reply again (r edits it)", id="queue.retry"),
    Binding("ctrl+d", "drop_reply", "Drop refused reply", show=False,
            tooltip="Give up on a refused reply (its text stays in the audit log)",
            id="queue.drop_reply"),
    Binding("v", "mark", "Mark", show=False,
            tooltip="Mark or unmark, then down (keys act on all marked)", id="queue.mark"),
    Binding("V", "mark_all", "Mark all", show=False, tooltip="Mark every conversation listed",
            id="queue.mark_all"),
    Binding("O", "open_link", "Open link", show=False,
            tooltip="Open the latest message's link in the browser", id="queue.open_link"),
    Binding("y", "copy_link", "Copy link", show=False,
            tooltip="Copy the latest message's link (to your terminal's clipboard)",
            id="queue.copy_link"),
    Binding("colon", "command_line", "Command", show=False,
            tooltip="Command line: :assign kim, :tag billing, :view NAME, :301",
            id="queue.command"),
    Binding("slash", "search", "Search", tooltip="Full-text search (#301 opens #301)",
            id="queue.search"),
    Binding("D", "dashboard", "Dashboard", show=False,
            tooltip="Backlog, response times, SLA, volume, sentiment, agents",
            id="queue.dashboard"),
    Binding("escape", "back", "Back", show=False, tooltip="Clear marks, leave search or pane",
            id="queue.back"),
    Binding("question_mark", "help", "Help", id="app.help"),
    Binding("q", "app.quit", "Quit", id="app.quit"),
]
