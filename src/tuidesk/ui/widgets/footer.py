"""Provides QueueFooter: the key hints, with search, help and quit visible at 80 columns."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tuidesk.ui.guard import Guarded

#: Below this width the footer drops these hints (the keys still work and `?` lists them)
#: and the command palette's, so that `/ Search  ? Help  q Quit` always show.
NARROW = 100
NARROW_HIDE = frozenset({"snooze", "escalate"})


class QueueFooter(Guarded, Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)
        self._narrow: bool | None = None

    def compose(self) -> ComposeResult:
        self._narrow = narrow = self.app.size.width < NARROW
        for widget in super().compose():
            if narrow and isinstance(widget, FooterKey) and (
                    widget.action in NARROW_HIDE or widget.has_class("-command-palette")):
                continue
            yield widget

    def on_resize(self) -> None:
        if self._narrow is not None and self._narrow != (self.app.size.width < NARROW):
            self.call_after_refresh(self.recompose)
