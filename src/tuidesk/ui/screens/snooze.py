"""Provides SnoozeModal: presets or a typed time; returns Unix seconds or None."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

from tuidesk.ui.guard import Guarded

_REL = re.compile(r"^\+?(\d+)\s*([mhdw])$")


def parse_when(text: str, now: int) -> int | None:
    """'+90m', '3h', '2d', '1w', or 'YYYY-MM-DD HH:MM' (UTC); None if not understood."""
    text = text.strip().lower()
    m = _REL.match(text)
    if m:
        unit = {"m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]
        return now + int(m.group(1)) * unit
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return int(datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp())
        except ValueError:
            continue
    return None


def presets(now: int) -> list[tuple[str, int]]:
    day = datetime.fromtimestamp(now, UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    tomorrow = day + timedelta(days=1)
    monday = day + timedelta(days=(7 - day.weekday()) or 7)
    if monday == tomorrow:
        monday += timedelta(days=7)
    return [("1 hour", now + 3600), ("4 hours", now + 4 * 3600),
            (f"tomorrow 09:00 UTC ({tomorrow:%a %d %b})", int(tomorrow.timestamp())),
            (f"next Monday 09:00 UTC ({monday:%a %d %b})", int(monday.timestamp()))]


class SnoozeModal(Guarded, ModalScreen[int | None]):
    DEFAULT_CSS = """
    SnoozeModal { align: center middle; }
    SnoozeModal > Vertical {
        width: 60; max-width: 95%; height: auto; border: round $accent; background: $panel;
        padding: 0 1;
    }
    SnoozeModal OptionList { height: auto; }
    SnoozeModal .hint { color: $text-muted; }
    SnoozeModal .error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="snooze.cancel")]

    def __init__(self, now: Callable[[], int],
                 title: str = "Snooze until (it comes back to the inbox, flagged):") -> None:
        super().__init__()
        self.now = now
        self.title_text = title
        self.choices = presets(now())

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, markup=False)
            yield OptionList(*(label for label, _ in self.choices), id="snooze-presets")
            yield Input(placeholder="or type +90m, 3h, 2d, 2026-12-01 14:00", id="snooze-custom")
            yield Label("", classes="error", id="snooze-error", markup=False)
            yield Label("Enter to choose · Tab to type a time · Esc cancel", classes="hint",
                        markup=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index][1])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        when = parse_when(event.value, self.now())
        if when is None or when <= self.now():
            self.query_one("#snooze-error", Label).update(
                "Not a future time: use +90m, 3h, 2d, 1w or YYYY-MM-DD HH:MM (UTC).")
            return
        self.dismiss(when)

    def action_cancel(self) -> None:
        self.dismiss(None)
