"""Provides CompletingInput: one line with Tab completion and Up/Down history.

The suggestion shows greyed after the cursor (Textual's suggester); Tab takes it, a second
Tab (or Tab with nothing suggested) cycles through the candidates that fit what is typed.
Up and Down walk back through earlier lines, as a shell does.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

from tuidesk.ui.guard import Guarded

#: Candidates for the text typed so far (the whole line, as typed).
Completer = Callable[[str], list[str]]


class _Suggest(Suggester):
    def __init__(self, complete: Completer) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.complete = complete

    async def get_suggestion(self, value: str) -> str | None:
        found = self.complete(value) if value else []
        return found[0] if found else None


class CompletingInput(Guarded, Input):
    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False),
        Binding("up", "history(-1)", "Earlier", show=False),
        Binding("down", "history(1)", "Later", show=False),
    ]

    def __init__(self, complete: Completer, history: list[str] | None = None,
                 **kwargs: object) -> None:
        super().__init__(suggester=_Suggest(complete), **kwargs)  # type: ignore[arg-type]
        self.complete = complete
        self.history = history if history is not None else []
        self._at = len(self.history)
        self._cycle: tuple[str, list[str], int] | None = None
        """(what was typed, its candidates, which one is shown) while Tab cycles."""

    def action_complete(self) -> None:
        if self._cycle is not None and self.value == self._cycle[1][self._cycle[2]]:
            typed, found, i = self._cycle
            i = (i + 1) % len(found)
        else:
            typed, found, i = self.value, self.complete(self.value), 0
        if not found:
            return
        self._cycle = (typed, found, i)
        self.value = found[i]
        self.cursor_position = len(self.value)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._at = max(0, min(len(self.history), self._at + step))
        self.value = self.history[self._at] if self._at < len(self.history) else ""
        self.cursor_position = len(self.value)

    def remember(self, line: str) -> None:
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self._at = len(self.history)
