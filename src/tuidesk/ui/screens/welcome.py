"""Provides WelcomeModal: the first-run screen of a database with no conversations yet."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label

from tuidesk.ui.guard import Guarded
from tuidesk.ui.text import join, safe_line

#: What a new desk can do first: (command, what it does).
FIRST_STEPS = [
    ("tuidesk import FILE", "a Customer Support on Twitter CSV or a tuidesk JSONL file"),
    ("tuidesk account add mastodon", "watch a brand account (also: bluesky); then S syncs"),
    ("tuidesk demo", "the desk on generated sample data, in its own database"),
]


class WelcomeModal(Guarded, ModalScreen[None]):
    """Shown over the empty queue of a new database; it closes itself as soon as
    conversations arrive (an import in another terminal, a sync).

    | Key | Action |
    | :- | :- |
    | escape | look at the empty queue |
    | q | quit |
    """

    DEFAULT_CSS = """
    WelcomeModal { align: center middle; }
    WelcomeModal > Vertical {
        width: 76; max-width: 100%; height: auto; border: round $accent; background: $panel;
        padding: 0 1;
    }
    WelcomeModal .title { text-style: bold; color: $accent; }
    WelcomeModal .hint { color: $text-muted; }
    WelcomeModal .step { padding-left: 2; }
    """
    BINDINGS = [Binding("escape", "dismiss", "Queue", id="welcome.close"),
                Binding("q", "app.quit", "Quit", id="welcome.quit")]

    def __init__(self, db_path: str) -> None:
        super().__init__()
        self.db_path = db_path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Welcome to tuidesk", classes="title", markup=False)
            yield Label("This database has no conversations yet:", markup=False)
            # The path is shown as given: a mistyped --db is seen at once.
            yield Label(safe_line("  " + self.db_path, "bold"))
            yield Label("\nBring some in, from another terminal (they appear here):",
                        markup=False)
            for command, what in FIRST_STEPS:
                yield Label(join((command, "bold"), "\n   ", what), classes="step")
            yield Label("\nEsc: the empty queue · S: sync now · q: quit",
                        classes="hint", markup=False)
        yield Footer()  # this screen's keys, not the queue's underneath
