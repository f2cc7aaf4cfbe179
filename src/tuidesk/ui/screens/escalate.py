"""Provides EscalateModal: pick a target and give a reason; returns (target, reason) or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

from tuidesk.ui.guard import Guarded


class EscalateModal(Guarded, ModalScreen[tuple[str, str] | None]):
    DEFAULT_CSS = """
    EscalateModal { align: center middle; }
    EscalateModal > Vertical {
        width: 70; max-width: 95%; height: auto; border: round $warning; background: $panel;
        padding: 0 1;
    }
    EscalateModal OptionList { height: auto; max-height: 8; }
    EscalateModal .hint { color: $text-muted; }
    EscalateModal .error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="escalate.cancel"),
                Binding("ctrl+s", "submit", "Escalate", id="escalate.submit")]

    def __init__(self, targets: list[str]) -> None:
        super().__init__()
        self.targets = targets

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Escalate to:", markup=False)
            yield OptionList(*self.targets, id="escalate-target")
            yield Label("Reason (what was tried, what is needed):", markup=False)
            yield Input(placeholder="e.g. line test shows packet loss; needs on-site visit",
                        id="escalate-reason")
            yield Label("", classes="error", id="escalate-error", markup=False)
            yield Label("↑↓ target · Tab to reason · Enter/Ctrl+S escalate · Esc cancel",
                        classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 1

    def on_option_list_option_selected(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        target_list = self.query_one(OptionList)
        reason = self.query_one(Input).value.strip()
        if not reason:
            self.query_one("#escalate-error", Label).update("A reason is required.")
            self.query_one(Input).focus()
            return
        index = target_list.highlighted if target_list.highlighted is not None else 0
        self.dismiss((self.targets[index], reason))

    def action_cancel(self) -> None:
        self.dismiss(None)
