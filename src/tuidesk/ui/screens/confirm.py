"""Provides ConfirmModal: a yes/no question; returns True or False."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from tuidesk.ui.guard import Guarded
from tuidesk.ui.text import safe


class ConfirmModal(Guarded, ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical {
        width: 64; max-width: 95%; height: auto; border: round $warning; background: $panel;
        padding: 0 1;
    }
    ConfirmModal .hint { color: $text-muted; }
    """
    BINDINGS = [Binding("y", "answer(True)", "Yes", id="confirm.yes"),
                Binding("n,escape", "answer(False)", "No", id="confirm.no")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(self.question))
            yield Label("y: yes · n or Esc: no", classes="hint", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
