"""Provides ReplyComposerModal: write a public reply or DM over the queue.

It receives a `ReplyDraft` from the ReplyService and returns a `ComposerResult` (send it, or
keep it). Drafts are saved as you type through `on_draft`, so a crash or quit loses nothing;
the counter counts the text the network will receive (with the @mention tuidesk adds).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace

from textual import events
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from tuidesk.models import SavedReply, Visibility
from tuidesk.services.display import fill_template
from tuidesk.services.replies import ReplyDraft
from tuidesk.ui.guard import Guarded
from tuidesk.ui.screens.saved_replies import SavedReplyModal
from tuidesk.ui.text import join, safe_line


@dataclass(frozen=True, slots=True)
class ComposerResult:
    draft: ReplyDraft
    send: bool
    """True: Ctrl+S (queue it); False: Esc (keep it as a draft)."""


#: Invisible characters that are part of what a person types: the zero-width joiner and
#: non-joiner (👩‍💻, 🙋🏽‍♀️), and the tag characters of subdivision flags (🏴󠁧󠁢󠁳󠁣󠁴󠁿). Textual's
#: TextArea inserts only `isprintable()` keys and dropped them; bidi controls stay out.
JOINERS = frozenset({"\u200c", "\u200d"} | {chr(c) for c in range(0xE0020, 0xE0080)})


class ComposerText(Guarded, TextArea):
    async def _on_key(self, event: events.Key) -> None:
        if event.character in JOINERS and not self.read_only:
            event.stop()
            event.prevent_default()
            start, end = self.selection
            self._replace_via_keyboard(event.character, start, end)
            return
        await super()._on_key(event)


class ReplyComposerModal(Guarded, ModalScreen[ComposerResult]):
    DEFAULT_CSS = """
    ReplyComposerModal { align: center middle; }
    ReplyComposerModal > Vertical {
        width: 100; max-width: 98%; height: auto; max-height: 95%; border: round $accent;
        background: $panel; padding: 0 1;
    }
    ReplyComposerModal TextArea { height: 8; }
    ReplyComposerModal #composer-quote { max-height: 4; color: $text-muted; }
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
        Binding("ctrl+o", "editor", "Edit in $EDITOR", id="composer.editor",
                tooltip="Write the reply in $VISUAL or $EDITOR, then come back to send it"),
        Binding("escape", "close", "Close (keep draft)", id="composer.close"),
    ]

    def __init__(self, draft: ReplyDraft, saved: list[SavedReply], values: dict[str, str],
                 on_draft: Callable[[ReplyDraft], object],
                 length: Callable[[ReplyDraft], tuple[int, int]], can_send: bool = True,
                 error: str = "", quote: str = "", editor: bool = False) -> None:
        super().__init__()
        self.start_in_editor = editor
        """Open $EDITOR at once (`:edit`)."""
        self.quote = quote
        """The customer's message this answers, shown above the text."""
        self.draft = draft
        self.saved = saved
        self.values = values
        self.on_draft = on_draft
        self.length = length
        self.can_send = can_send
        """False when no account of this conversation's own brand is configured here."""
        self.error = error
        self._last_saved = (draft.text, draft.visibility)

    def compose(self) -> ComposeResult:
        d = self.draft
        with Vertical():
            yield Label(join("Reply to ", safe_line("@" + d.customer, "bold"),
                             f" on {d.network} (#{d.conversation_id})"), id="composer-title")
            if self.quote:
                yield Static(join(("› ", "$text-muted"), (self.quote, "italic")),
                             id="composer-quote")
            yield ComposerText(d.text, id="composer-text", soft_wrap=True,
                               show_line_numbers=False)
            with Horizontal(id="composer-bar"):
                yield Label("", id="composer-mode", markup=False)
                yield Label("", id="composer-count", markup=False)
            if not self.can_send:
                yield Label(join(("No account for ", "$warning"),
                                 safe_line("@" + d.brand, "$warning"),
                                 (" here: it waits in the outbox.", "$warning")),
                            id="composer-notice")
            yield Label(join((self.error, "")), classes="error", id="composer-error")
            yield Label("Ctrl+S send · Ctrl+T public/DM · Ctrl+R saved reply · Ctrl+O $EDITOR · "
                        "Esc keep draft", classes="hint", markup=False)

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        self._update_status()
        self.set_interval(0.5, self._autosave)
        if self.start_in_editor:
            self.call_after_refresh(self.action_editor)

    @property
    def current(self) -> ReplyDraft:
        return replace(self.draft, text=self.query_one(TextArea).text)

    def _update_status(self) -> None:
        d = self.current
        mode = "DM (private)" if d.visibility == Visibility.DIRECT else "Public reply"
        self.query_one("#composer-mode", Label).update(mode)
        n, limit = self.length(d)
        unit = "graphemes" if d.network == "bluesky" else "chars"
        count = self.query_one("#composer-count", Label)
        count.update(f"{n}/{limit} {unit}")
        count.set_class(n > limit, "over")

    def on_text_area_changed(self) -> None:
        self._update_status()

    def _autosave(self) -> None:
        d = self.current
        if (d.text, d.visibility) != self._last_saved:
            self.on_draft(d)
            self._last_saved = (d.text, d.visibility)

    def action_toggle_visibility(self) -> None:
        vis = Visibility.PUBLIC if self.draft.visibility == Visibility.DIRECT \
            else Visibility.DIRECT
        self.draft = replace(self.draft, visibility=vis)
        self._update_status()
        self._autosave()

    def action_saved_reply(self) -> None:
        def insert(reply: SavedReply | None) -> None:
            if reply is not None:
                area = self.query_one(TextArea)
                area.insert(fill_template(reply.body, self.values))
                area.focus()

        self.app.push_screen(SavedReplyModal(self.saved), insert)

    def action_editor(self) -> None:
        """Suspend, edit the text in $VISUAL/$EDITOR, come back with it and the counter.

        The draft is saved before (the editor may kill the session) and after. The text
        goes through a private temporary file (mode 0600), removed afterwards.
        """
        self._autosave()
        error = self.query_one("#composer-error", Label)
        try:
            text = edit_in_editor(self.app, self.current.text)
        except EditorFailed as exc:
            error.update(str(exc))
            return
        if text is not None:
            area = self.query_one(TextArea)
            area.text = text
            area.move_cursor(area.document.end)
            self._update_status()
            self._autosave()
            error.update("")
        area = self.query_one(TextArea)
        area.focus()

    def action_send(self) -> None:
        d = self.current
        error = self.query_one("#composer-error", Label)
        if not d.text.strip():
            error.update("The reply is empty.")
            return
        n, limit = self.length(d)
        if n > limit:
            error.update(f"Too long for {d.network}: {n}/{limit} as posted (with the "
                         "@mention). Shorten it.")
            return
        self.dismiss(ComposerResult(d, send=True))

    def action_close(self) -> None:
        self.dismiss(ComposerResult(self.current, send=False))


class EditorFailed(Exception):
    """The editor could not run or exited with an error (the text is unchanged)."""


def edit_in_editor(app: App[object], text: str) -> str | None:
    """`text` after editing in $VISUAL or $EDITOR (vi if neither), in the terminal the app
    gives up while it runs. None if the editor left the file as it was.

    Raises:
        EditorFailed: no editor, it failed to start or exited non-zero.
    """
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise EditorFailed(f"$EDITOR is not a command line ({exc}).") from None
    fd, path = tempfile.mkstemp(prefix="tuidesk-reply-", suffix=".txt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            try:
                with app.suspend():
                    code = subprocess.call([*argv, path])
            except SuspendNotSupported:
                if not app.is_headless:
                    raise EditorFailed("This terminal cannot hand itself to an editor; "
                                       "write here instead.") from None
                code = subprocess.call([*argv, path], stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise EditorFailed(f"Cannot start {argv[0]!r}: {exc.strerror}. Set $EDITOR.") \
                from None
        if code != 0:
            raise EditorFailed(f"{argv[0]} exited with {code}; the text is as it was.")
        with open(path, encoding="utf-8", errors="replace") as f:
            edited = f.read()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    # Editors end the file with a newline the customer should not receive.
    edited = edited.removesuffix("\n") if not text.endswith("\n") else edited
    return None if edited == text else edited
