"""Provides TypeAhead: keys typed fast after `:` or `/` reach the line they were typed for.

Textual queues each key on the widget focused when the key arrived, and runs key bindings
only once the key has bubbled up to the app. `:tag billing` typed at speed (or sent by tmux
in one write) left `t`, `a`, `g` … on the queue list while `:` was still on its way to its
binding: they ran as the Tag key and others, and the command line stayed empty. Keys that a
TypeAhead widget saw are marked; when one reaches the app and a text field has focus by then
(the `:` before it opened the field), the app hands it to that field, in order
(TuideskApp._on_key).
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget

from tuidesk.ui.guard import Guarded


class TypeAhead(Guarded, Widget):
    def on_key(self, event: events.Key) -> None:
        event.type_ahead = True  # type: ignore[attr-defined]
