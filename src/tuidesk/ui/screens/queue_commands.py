"""Provides CommandActions: the `:` command line of the queue screen (aerc, k9s, vim).

Every action by name, with its arguments: `:assign kim`, `:tag billing outage`, `:snooze 3h`,
`:escalate tier 3 line fault`, `:view overdue`, `:301` or `:#301` (open a conversation). Tab
completes the command, then its argument (agents, views, escalation targets, times); Up and
Down walk the history, which is kept in the user state dir between runs. While rows are
marked, the actions apply to all of them (one bulk action, one undo).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from textual.widgets import Label

from tuidesk.paths import state_dir
from tuidesk.services.when import parse_when
from tuidesk.ui.widgets.completing_input import CompletingInput
from tuidesk.ui.widgets.queue_list import QueueList

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.screen import Screen

    from tuidesk.models import ConversationRow
    from tuidesk.services import Services
    from tuidesk.services.inbox import InboxService


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    """How the arguments are written ('' for none)."""
    help: str
    action: str
    """The screen action it runs when given no arguments."""


COMMANDS: dict[str, Command] = {c.name: c for c in [
    Command("claim", "", "assign to me", "claim"),
    Command("assign", "AGENT", "assign to an agent (no name: ask)", "assign"),
    Command("unassign", "", "nobody holds it", "unassign"),
    Command("tag", "TAG…", "add tags (no tag: edit them)", "tag"),
    Command("untag", "TAG…", "remove tags", "untag"),
    Command("note", "TEXT", "internal note (no text: ask)", "note"),
    Command("snooze", "WHEN", "snooze: 90m, 3h, 2d, 1w, 2026-12-24 09:00", "snooze"),
    Command("escalate", "TARGET REASON", "escalate (no target: ask)", "escalate"),
    Command("resolve", "", "mark resolved", "resolve"),
    Command("reopen", "", "reopen", "reopen"),
    Command("undo", "", "undo my last action (a bulk action: all of it)", "undo"),
    Command("reply", "", "reply in public", "reply"),
    Command("dm", "", "reply by direct message", "dm"),
    Command("edit", "", "reply in $EDITOR", "compose_editor"),
    Command("promise", "", "record a promise", "promise"),
    Command("retry", "", "send a refused reply again", "retry"),
    Command("drop", "", "give up on a refused reply", "drop_reply"),
    Command("back", "", "the escalation was answered", "escalation_back"),
    Command("mark", "[all]", "mark the row (all: every row listed)", "mark"),
    Command("unmark", "", "clear the marks", "unmark"),
    Command("view", "NAME", "show a view (saved ones too)", "view_prompt"),
    Command("search", "TEXT", "full-text search", "search"),
    Command("open", "", "open the latest message's link", "open_link"),
    Command("copy", "", "copy the latest message's link", "copy_link"),
    Command("sync", "", "fetch and deliver now", "app.sync"),
    Command("dashboard", "", "figures", "dashboard"),
    Command("help", "", "every key", "help"),
    Command("quit", "", "leave tuidesk", "app.quit"),
]}

_JUMP = re.compile(r"#?(\d{1,12})")
SNOOZE_HINTS = ["1h", "3h", "1d", "2d", "1w"]
HISTORY_LINES = 500


def jump_target(text: str) -> int | None:
    """301 for '301' or '#301' (a conversation to open), else None."""
    m = _JUMP.fullmatch(text.strip())
    return int(m.group(1)) if m else None


def history_path() -> str:
    return str(state_dir() / "command_history")


def load_history() -> list[str]:
    try:
        with open(history_path(), encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f][-HISTORY_LINES:]
    except (OSError, UnicodeDecodeError):
        return []


def save_history(lines: list[str]) -> None:
    """Best effort: a read-only home loses the history, never the command."""
    try:
        state_dir().mkdir(parents=True, exist_ok=True)
        with open(history_path(), "w", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines[-HISTORY_LINES:])
    except OSError:
        pass


def completions(typed: str, services: Services, inbox: InboxService) -> list[str]:
    """Whole lines that complete `typed` (without the leading ':')."""
    head, sep, rest = typed.partition(" ")
    if not sep:
        return [name for name in COMMANDS if name.startswith(head) and name != head]
    if head == "assign":
        names = inbox.known_agents()
    elif head == "view":
        names = inbox.view_names()
    elif head == "escalate":
        names = list(services.escalations.targets)
    elif head == "snooze":
        names = SNOOZE_HINTS
    elif head in ("tag", "untag"):
        done, _, word = rest.rpartition(" ")
        lead = f"{head} {done} " if done else f"{head} "
        return [lead + t for t in inbox.known_tags(word) if t != word]
    else:
        return []
    return [f"{head} {n}" for n in names
            if n.lower().startswith(rest.lower()) and n != rest]


def parse_escalation(rest: str, targets: list[str]) -> tuple[str, str] | None:
    """('tier 3', 'line fault') from 'tier 3 line fault' (the longest target it starts
    with), or None."""
    for target in sorted(targets, key=len, reverse=True):
        if rest.lower().startswith(target.lower()) and (
                len(rest) == len(target) or rest[len(target)] == " "):
            return target, rest[len(target):].strip()
    return None


class CommandActions:
    """Mixed into QueueScreen: runs a command line; the screen provides the actions."""

    if TYPE_CHECKING:
        services: Services
        inbox: InboxService
        marks: dict[int, None]
        selected: ConversationRow | None

        def _do(self, fn: object, done: str, *args: object) -> bool: ...
        def bulk(self, action: str, *args: object) -> bool: ...
        def confirm_agent(self, name: str, then: Callable[[str | None], None]) -> None: ...
        def open_conversation(self, conversation_id: int) -> str | None: ...
        def action_view(self, view: str) -> None: ...
        def action_mark(self) -> None: ...
        def action_mark_all(self) -> None: ...
        def clear_marks(self) -> bool: ...
        def _run_search(self, text: str) -> bool: ...
        async def run_action(self, action: str,
                             namespaces: Mapping[str, DOMNode] | None = None) -> None: ...
        def call_later(self, callback: Callable[..., Any], *args: Any) -> bool: ...
        @property
        def app(self) -> App[None]: ...

    def run_command(self, line: str) -> str | None:
        """Run one command line; returns what is wrong with it (None: it ran)."""
        line = line.strip().lstrip(":").strip()
        if not line:
            return None
        target = jump_target(line)
        if target is not None:
            return self.open_conversation(target)
        head, _, rest = line.partition(" ")
        rest = rest.strip()
        cmd = COMMANDS.get(head.lower())
        if cmd is None:
            found = [c for c in COMMANDS if c.startswith(head.lower())]
            if len(found) != 1:
                return (f"No command {head!r}" + (f" (did you mean {', '.join(found)}?)"
                                                  if found else "; Tab lists them"))
            cmd = COMMANDS[found[0]]
        return self._dispatch(cmd, rest)

    def _dispatch(self, cmd: Command, rest: str) -> str | None:  # noqa: C901 - one table
        name, row, marked = cmd.name, self.selected, bool(self.marks)
        inbox = self.inbox
        if name == "view":
            view = inbox.view_named(rest) if rest else None
            if view is None:
                names = ", ".join(inbox.view_names())
                return f"No view {rest!r}: {names}" if rest else f"Which view? {names}"
            self.action_view(view)
            return None
        if name == "search":
            if not rest:
                self.call_later(self.run_action, "search")
            else:
                self._run_search(rest)
            return None
        if name == "mark":
            if rest not in ("", "all"):
                return "mark takes nothing or 'all'"
            self.action_mark_all() if rest == "all" else self.action_mark()
            return None
        if name == "unmark":
            self.clear_marks()
            return None
        needs_args = {"assign", "tag", "untag", "note", "snooze", "escalate"}
        if name not in needs_args or not rest:
            if name in ("untag",):
                return "untag which tags?"
            if name == "unassign":
                if marked:
                    self.bulk("unassign")
                elif row is not None:
                    self._do(inbox.assign, f"#{row.id} assigned to nobody", row.id, None)
                return None
            self.call_later(self.run_action, cmd.action)
            return None
        if row is None and not marked:
            return "No conversation selected"
        cid = row.id if row is not None else 0
        if name == "assign":
            def assign(who: str | None) -> None:
                if who is None:
                    return
                if marked:
                    self.bulk("assign", who)
                else:
                    self._do(inbox.assign, f"#{cid} assigned to {who}", cid, who)

            self.confirm_agent(rest, assign)
        elif name in ("tag", "untag"):
            words = rest.replace(",", " ").split()
            if marked:
                self.bulk(name, *words)
            else:
                add, remove = (words, []) if name == "tag" else ([], words)
                self._do(inbox.change_tags, f"Tags of #{cid} changed", cid, add, remove)
        elif name == "note":
            if marked:
                return "A note goes on one conversation: Esc clears the marks"
            self._do(inbox.note, f"Note added to #{cid}", cid, rest)
        elif name == "snooze":
            until = parse_when(rest, inbox.clock())
            if until is None or until <= inbox.clock():
                return f"snooze {rest!r}: use 90m, 3h, 2d, 1w or YYYY-MM-DD HH:MM (UTC)"
            if marked:
                self.bulk("snooze", until)
            else:
                self._do(inbox.snooze, f"Snoozed #{cid}", cid, until)
        elif name == "escalate":
            targets = list(self.services.escalations.targets)
            parsed = parse_escalation(rest, targets)
            if parsed is None:
                return f"escalate to one of: {', '.join(targets)}, then the reason"
            if not parsed[1]:
                return f"escalate {parsed[0]} needs a reason after it"
            if marked:
                self.bulk("escalate", *parsed)
            else:
                self._do(self.services.escalations.escalate,
                         f"#{cid} escalated to {parsed[0]}", cid, *parsed)
        return None

    # -- saved views and the command line ----------------------------------------------

    def _screen(self) -> Screen[None]:
        return cast("Screen[None]", self)

    def action_saved_view(self, index: int) -> None:
        views = list(self.inbox.saved_views)
        if index >= len(views):
            self._screen().notify("No saved view there: add [views.NAME] to config.toml (see "
                                  "the README's Views).", severity="warning", markup=False)
            return
        self.action_view(views[index])

    def action_command_line(self, text: str = "") -> None:
        screen = self._screen()
        screen.query_one("#command-box").display = True
        error = screen.query_one("#command-error", Label)
        error.update("")
        error.display = False
        line = screen.query_one("#command", CompletingInput)
        line.value = text
        line.cursor_position = len(text)
        # At once, not after the queued keys: `:tag` typed fast went `t` to the Tag key.
        screen.set_focus(line)

    def action_view_prompt(self) -> None:
        self.action_command_line("view ")

    def action_unmark(self) -> None:
        self.clear_marks()

    def _close_command_line(self) -> None:
        screen = self._screen()
        screen.query_one("#command-box").display = False
        # At once: a deferred focus() landed after the line reopened to show an error.
        screen.set_focus(screen.query_one(QueueList))
