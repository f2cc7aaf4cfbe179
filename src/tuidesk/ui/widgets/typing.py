"""Provides TypeAhead: keys typed fast after `:` or `/` reach the line they were typed for.

The app runs a key's binding as the key arrives while a TypeAhead widget has focus
(TuideskApp._key_for_list), so `:` has opened the command line before the next key is
read. A key nothing bound still travels to the widget; if focus has moved to a text field
by the time it gets there (something moved focus later, not from a binding), the widget
marks it and the app hands it to that field, in order (TuideskApp._on_key).
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget

from tuidesk.ui.guard import Guarded


class TypeAhead(Guarded, Widget):
    def on_key(self, event: events.Key) -> None:
        if self.app.screen.focused is not self:
            event.type_ahead = True  # type: ignore[attr-defined]
