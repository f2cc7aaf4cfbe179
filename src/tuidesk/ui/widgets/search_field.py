"""Provides SearchField: the `/` line, drawn as focused all the time it is open.

The field has the keys from `/` to Enter; Enter hands them to the results and the field
closes a few frames later. Textual restyled it for losing focus in the very frame that
carries the results (its `:focus` rules, ~2 ms), for a look that shows for 50 ms. It looks
focused by its own rule (`#search` in app.tcss) instead, and focus moving costs nothing:
it keeps its cursor until it closes, rather than drawing itself again without it.

Enter submits from the field itself, to the callable it was given: Textual runs the field's
Enter binding only after the key has bubbled through four containers to the app, and its
Submitted message bubbled through the same four to the screen (~0.3 ms of the frame).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events
from textual.widgets import Input

from tuidesk.ui.guard import Guarded


class SearchField(Guarded, Input):
    def __init__(self, submit: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._submit = submit

    def watch_has_focus(self, has_focus: bool) -> None:
        # Replaces Widget's stylesheet pass; Input's own focus handling (the cursor, its
        # blinking) still runs.
        pass

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._submit(self.value)
        # Any other key: Input._on_key, next in the class order, handles it.

    def _on_blur(self, event: events.Blur) -> None:
        # Input's and Widget's repaint the field (the cursor hidden) in the results' frame.
        event.prevent_default()
        self._pause_blink(visible=True)
        self.has_focus = False
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))
        # No Input.Blurred: nothing listens, and it would travel up five containers.
