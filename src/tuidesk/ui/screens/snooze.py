"""Provides SnoozeModal: presets or a typed time; returns Unix seconds or None."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

from tuidesk.services.when import parse_when, presets
from tuidesk.ui.guard import Guarded


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
