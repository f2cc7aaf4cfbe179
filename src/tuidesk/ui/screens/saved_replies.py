"""Provides SavedReplyModal: pick a saved reply by fuzzy search; returns it or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tuidesk.models import SavedReply
from tuidesk.ui.guard import Guarded
from tuidesk.ui.text import join, safe_line


class SavedReplyModal(Guarded, ModalScreen[SavedReply | None]):
    DEFAULT_CSS = """
    SavedReplyModal { align: center middle; }
    SavedReplyModal > Vertical {
        width: 90; max-width: 95%; height: auto; max-height: 80%; border: round $accent;
        background: $panel; padding: 0 1;
    }
    SavedReplyModal OptionList { height: auto; max-height: 12; }
    SavedReplyModal .hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="saved.cancel"),
                Binding("down", "focus_list", "List", show=False, id="saved.list")]

    def __init__(self, replies: list[SavedReply]) -> None:
        super().__init__()
        self.replies = replies
        self.shown: list[SavedReply] = list(replies)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Saved replies: type to filter", markup=False)
            yield Input(placeholder="fuzzy search by name or text", id="saved-filter")
            yield OptionList(id="saved-list")
            yield Label("↓ to the list · Enter to insert · Esc cancel", classes="hint",
                        markup=False)

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, query: str) -> None:
        if query:
            matcher = Matcher(query)
            scored = [(max(matcher.match(r.name), matcher.match(r.body) * 0.8), r)
                      for r in self.replies]
            self.shown = [r for s, r in sorted(scored, key=lambda t: -t[0]) if s > 0]
        else:
            self.shown = list(self.replies)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(join(safe_line(r.name, "bold"), "  ",
                                         safe_line(r.body[:70], "$text-muted")))
                             for r in self.shown])
        if self.shown:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self) -> None:
        if self.shown:
            self.dismiss(self.shown[self.query_one(OptionList).highlighted or 0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.shown[event.option_index])

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
