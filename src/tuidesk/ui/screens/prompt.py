"""Provides TextPromptModal: one line of text (tag, note, assignee), or None on escape."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tuidesk.ui.guard import Guarded
from tuidesk.ui.widgets.completing_input import CompletingInput


class TextPromptModal(Guarded, ModalScreen[str | None]):
    DEFAULT_CSS = """
    TextPromptModal { align: center middle; }
    TextPromptModal > Vertical {
        width: 70; max-width: 95%; height: auto; border: round $accent; background: $panel;
        padding: 0 1;
    }
    TextPromptModal .hint { color: $text-muted; }
    TextPromptModal .error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "",
                 hint: str = "Enter to save · Esc to cancel",
                 suggestions: list[str] | None = None) -> None:
        super().__init__()
        self.suggestions = suggestions
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, markup=False)
            if self.suggestions is None:
                yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            else:
                names = self.suggestions
                yield CompletingInput(
                    lambda typed: [n for n in names if n.lower().startswith(
                        typed.strip().lower()) and n != typed.strip()],
                    value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label("", classes="error", id="prompt-error", markup=False)
            yield Label(self.hint, classes="hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
