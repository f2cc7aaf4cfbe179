"""Provides HelpModal: every key of the queue screen, generated from its bindings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

from tuidesk.ui.guard import Guarded
from tuidesk.ui.text import join


class HelpModal(Guarded, ModalScreen[None]):
    DEFAULT_CSS = """
    HelpModal { align: center middle; }
    HelpModal > VerticalScroll {
        width: 76; max-width: 95%; height: auto; max-height: 90%; border: round $accent;
        background: $panel; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    @classmethod
    def of(cls, *widgets: DOMNode) -> HelpModal:
        """The keys of `widgets` (a screen and its focused list), in binding order."""
        rows = []
        for widget in widgets:
            for binding in widget.BINDINGS:
                b = binding if isinstance(binding, Binding) else Binding(*binding)
                rows.append((b.key.replace("question_mark", "?").replace("slash", "/"),
                             b.tooltip or b.description, b.id or ""))
        return cls(rows)

    def compose(self) -> ComposeResult:
        parts: list[object] = [("Keys", "bold $accent"), "  (remap in config.toml [keys])\n"]
        for keys, description, binding_id in self.rows:
            parts.append((f"{keys:>14}  ", "bold"))
            parts.append(f"{description:<34}")
            parts.append((f"{binding_id}\n", "$text-muted"))
        parts.append(("\nEsc or ? to close", "$text-muted"))
        with VerticalScroll():
            yield Static(join(*parts), id="help-body")  # type: ignore[arg-type]

    def action_close(self) -> None:
        self.dismiss(None)
