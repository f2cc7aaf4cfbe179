"""Provides ReplyComposerModal: write a public reply or DM; returns (text, visibility) or None.

Drafts are saved as you type (through the `on_draft` callback the screen passes), so a crash or
quit loses nothing; Esc closes and keeps the draft.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from tuidesk.models import LENGTH_LIMITS, ConversationRow, SavedReply
from tuidesk.services.display import fill_template, grapheme_len
from tuidesk.ui.guard import Guarded
from tuidesk.ui.screens.saved_replies import SavedReplyModal
from tuidesk.ui.text import join, safe_line

ReplyResult = tuple[str, str]


def reply_length(network: str, text: str) -> int:
    """Length as the network counts it (Bluesky: graphemes)."""
    return grapheme_len(text) if network == "bluesky" else len(text)


class ReplyComposerModal(Guarded, ModalScreen[ReplyResult | None]):
    DEFAULT_CSS = """
    ReplyComposerModal { align: center middle; }
    ReplyComposerModal > Vertical {
        width: 100; max-width: 98%; height: auto; max-height: 95%; border: round $accent;
        background: $panel; padding: 0 1;
    }
    ReplyComposerModal TextArea { height: 8; }
    ReplyComposerModal #composer-bar { height: 1; }
    ReplyComposerModal #composer-count { width: 1fr; content-align: right middle; }
    ReplyComposerModal .over { color: $error; text-style: bold; }
    ReplyComposerModal .hint { color: $text-muted; }
    ReplyComposerModal .error { color: $error; }
    """
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="composer.send"),
        Binding("ctrl+t", "toggle_visibility", "Public/DM", id="composer.visibility"),
        Binding("ctrl+r", "saved_reply", "Saved reply", id="composer.saved"),
        Binding("escape", "close", "Close (keep draft)", id="composer.close"),
    ]

    def __init__(self, row: ConversationRow, text: str, visibility: str,
                 saved: list[SavedReply], values: dict[str, str],
                 on_draft: Callable[[str, str], None], can_send: bool = True) -> None:
        super().__init__()
        self.row = row
        self.initial = text
        self.visibility = visibility
        self.saved = saved
        self.values = values
        self.on_draft = on_draft
        self.can_send = can_send
        """False when no account of this conversation's own brand is configured here."""
        self.limit = LENGTH_LIMITS.get(row.network, LENGTH_LIMITS["other"])
        self._last_saved = (text, visibility)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(join("Reply to ", safe_line("@" + self.row.customer, "bold"),
                             f" on {self.row.network} (#{self.row.id})"), id="composer-title")
            yield TextArea(self.initial, id="composer-text", soft_wrap=True,
                           show_line_numbers=False)
            with Horizontal(id="composer-bar"):
                yield Label("", id="composer-mode", markup=False)
                yield Label("", id="composer-count", markup=False)
            if not self.can_send:
                yield Label(join(("No account for ", "$warning"),
                                 safe_line("@" + self.row.brand, "$warning"),
                                 (" here: it waits in the outbox.", "$warning")),
                            id="composer-notice")
            yield Label("", classes="error", id="composer-error", markup=False)
            yield Label("Ctrl+S send · Ctrl+T public/DM · Ctrl+R saved reply · Esc keep draft",
                        classes="hint", markup=False)

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        self._update_status()
        self.set_interval(0.5, self._autosave)

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def _update_status(self) -> None:
        mode = "DM (private)" if self.visibility == "direct" else "Public reply"
        if self.visibility == "direct" and self.row.network == "bluesky":
            mode += " - Bluesky DMs are not supported yet: this would fail"

        self.query_one("#composer-mode", Label).update(mode)
        n = reply_length(self.row.network, self.text)
        unit = "graphemes" if self.row.network == "bluesky" else "chars"
        count = self.query_one("#composer-count", Label)
        count.update(f"{n}/{self.limit} {unit}")
        count.set_class(n > self.limit, "over")

    def on_text_area_changed(self) -> None:
        self._update_status()

    def _autosave(self) -> None:
        current = (self.text, self.visibility)
        if current != self._last_saved:
            self._last_saved = current
            self.on_draft(*current)

    def action_toggle_visibility(self) -> None:
        self.visibility = "public" if self.visibility == "direct" else "direct"
        self._update_status()
        self._autosave()

    def action_saved_reply(self) -> None:
        def insert(reply: SavedReply | None) -> None:
            if reply is not None:
                area = self.query_one(TextArea)
                area.insert(fill_template(reply.body, self.values))
                area.focus()

        self.app.push_screen(SavedReplyModal(self.saved), insert)

    def action_send(self) -> None:
        text = self.text.strip()
        error = self.query_one("#composer-error", Label)
        if not text:
            error.update("The reply is empty.")
            return
        n = reply_length(self.row.network, text)
        if n > self.limit:
            error.update(f"Too long for {self.row.network}: {n}/{self.limit}. Shorten it.")
            return
        self.dismiss((text, self.visibility))

    def action_close(self) -> None:
        self._autosave()
        self.dismiss(None)
