"""Provides SearchField: the `/` line, drawn as focused all the time it is open.

The field has the keys from `/` to Enter; Enter hands them to the results and the field
closes a few frames later. Textual restyled it for losing focus in the very frame that
carries the results (its `:focus` rules, ~2 ms), for a look that shows for 50 ms. It looks
focused by its own rule (`#search` in app.tcss) instead, and focus moving costs nothing.
"""

from __future__ import annotations

from textual.widgets import Input

from tuidesk.ui.guard import Guarded


class SearchField(Guarded, Input):
    def watch_has_focus(self, has_focus: bool) -> None:
        # Replaces Widget's stylesheet pass; Input's own focus handling (the cursor, its
        # blinking) still runs.
        pass
