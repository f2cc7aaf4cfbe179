"""Provides HelpModal: every key, as bound now (after `[keys]` in config.toml), by where it
works: the queue, the list, the detail pane, the app, the composer; and the `:` commands."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tuidesk.ui.guard import Guarded
from tuidesk.ui.keys import catalogue, shown_keys
from tuidesk.ui.screens.queue_commands import COMMANDS
from tuidesk.ui.text import fit, join

#: What help lists, in this order, under these headings.
SECTIONS = (("queue", "Queue"), ("list", "Moving in the list"),
            ("detail", "Detail pane (Enter opens it, Esc leaves)"), ("app", "Anywhere"),
            ("composer", "Composer"))


class HelpModal(Guarded, ModalScreen[None]):
    DEFAULT_CSS = """
    HelpModal { align: center middle; }
    HelpModal > VerticalScroll {
        width: 80; max-width: 95%; height: auto; max-height: 90%; border: round $accent;
        background: $panel; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close"),
                Binding("j,down", "scroll(1)", "Down", show=False, id="help.down"),
                Binding("k,up", "scroll(-1)", "Up", show=False, id="help.up"),
                Binding("g,home", "top", "Top", show=False, id="help.top"),
                Binding("G,end", "bottom", "Bottom", show=False, id="help.bottom"),
                Binding("space,pagedown", "page(1)", "Page down", show=False,
                        id="help.page_down"),
                Binding("pageup", "page(-1)", "Page up", show=False, id="help.page_up")]

    def __init__(self, keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = keymap or {}

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(section, keys, what it does, binding id) of every key, as bound now."""
        order = {scope: i for i, (scope, _) in enumerate(SECTIONS)}
        found = [(k.scope, shown_keys(k.keys), k.description, k.id)
                 for k in catalogue(self.keymap) if k.scope in order]
        return sorted(found, key=lambda r: order[r[0]])

    def compose(self) -> ComposeResult:
        titles = dict(SECTIONS)
        parts: list[object] = [("Keys", "bold $accent"),
                               ("  as bound now; remap by id in config.toml [keys]\n",
                                "$text-muted")]
        section = ""
        # The modal is 80 cells or 95% of the screen, less its border and padding.
        inner = min(80, self.app.size.width * 95 // 100) - 4 - 2  # and the scrollbar
        desc_w = max(16, inner - 10 - 2 - 1 - 22)
        for scope, keys, description, binding_id in self.rows():
            if scope != section:
                section = scope
                parts.append((f"\n{titles[scope]}\n", "bold $accent"))
            # Fixed columns: a long description is cut, never run into the id.
            parts.append((fit(keys, 10).rstrip().rjust(10) + "  ", "bold"))
            parts.append(fit(description, desc_w) + " ")
            parts.append((fit(binding_id, 22) + "\n", "$text-muted"))
        parts.append(("\nCommands", "bold $accent"))
        parts.append(("  after : (Tab completes; with rows marked they act on all)\n",
                      "$text-muted"))
        for cmd in COMMANDS.values():
            parts.append((fit(f":{cmd.name} {cmd.args}".rstrip(), 22) + "  ", "bold"))
            parts.append(fit(cmd.help, inner - 24) + "\n")
        parts.append((fit(":301 or :#301", 22) + "  ", "bold"))
        parts.append("open conversation #301 (also / #301)\n")
        parts.append(("\nj k g G scroll · Esc or ? closes", "$text-muted"))
        with VerticalScroll():
            yield Static(join(*parts), id="help-body")  # type: ignore[arg-type]

    def _body(self) -> VerticalScroll:
        return self.query_one(VerticalScroll)

    def action_scroll(self, step: int) -> None:
        self._body().scroll_relative(y=step, animate=False)

    def action_page(self, step: int) -> None:
        body = self._body()
        body.scroll_relative(y=step * max(1, body.size.height - 1), animate=False)

    def action_top(self) -> None:
        self._body().scroll_home(animate=False)

    def action_bottom(self) -> None:
        self._body().scroll_end(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
