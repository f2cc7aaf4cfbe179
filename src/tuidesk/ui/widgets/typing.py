"""Provides TypeAhead: keys typed fast after `:` or `/` reach the line they were typed for.

Textual queues each key on the widget focused when the key arrived, and runs key bindings
only once the key has bubbled up to the app. `:tag billing` typed at speed (or sent by tmux
in one write) left `t`, `a`, `g` … on the queue list while `:` was still on its way to its
binding: they ran as the Tag key and others, and the command line stayed empty. Keys that a
TypeAhead widget saw are marked; when one reaches the app and a text field has focus by then
(the `:` before it opened the field), the app hands it to that field, in order
(TuideskApp._on_key).

While the widget has focus, its keys run their bindings as soon as they reach it. Textual
checks bindings only once a key has bubbled through every container to the app (four
messages for the queue list, ~0.5 ms of every key); the binding chain searched is the same,
from the focused widget up.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget

from tuidesk.ui.guard import Guarded


class TypeAhead(Guarded, Widget):
    async def on_key(self, event: events.Key) -> None:
        app = self.app
        # `focused`, not `has_focus`: the key before this one may have moved focus (`/`
        # opening the field), and has_focus changes only once the Blur queued behind the
        # keys typed after it arrives.
        if app.screen.focused is self and await app._check_bindings(event.key):
            event.stop()
            event.prevent_default()  # handled: no key_ methods, no trip to the app
            return
        event.type_ahead = True  # type: ignore[attr-defined]
