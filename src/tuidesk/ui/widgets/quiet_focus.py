"""Provides QuietFocus: focus that moves without restyling and repainting the whole widget.

When a widget gains or loses focus, Textual applies the stylesheet again to it and to all
its descendants (for `:focus` rules) and repaints all of it. Enter on a row did both for
the queue and the detail pane: ~4 ms of styles and a 48x38 repaint (~12 ms and 12 KB at
120x40, over SSH) to change one row's highlight and the line between the panes. A
QuietFocus widget has no `:focus` rules (tests/ui/test_render_costs.py checks the
stylesheet for them); it shows focus itself in `focus_changed`, which redraws only what
shows it.
"""

from __future__ import annotations

from typing import Self

from textual import events
from textual.dom import NoScreen
from textual.widget import Widget

from tuidesk.ui.guard import Guarded


class QuietFocus(Guarded, Widget):
    def focus(self, scroll_visible: bool = True) -> Self:
        # As Widget.focus, without repainting the whole widget first; and at once when the
        # widget is on a screen (Textual defers it to a callback on the app: one more
        # message between Enter and its frame).
        def set_focus(widget: Widget) -> None:
            try:
                widget.screen.set_focus(self, scroll_visible=scroll_visible)
            except NoScreen:
                pass

        if self.is_mounted:
            set_focus(self)
        else:
            self.app.call_later(set_focus, self)
        return self

    def watch_has_focus(self, has_focus: bool) -> None:
        # Replaces Widget's, which applies the stylesheet to the widget and its children.
        self.focus_changed(has_focus)

    def focus_changed(self, has_focus: bool) -> None:
        """Redraw what shows focus (nothing by default)."""

    def _on_focus(self, event: events.Focus) -> None:
        event.prevent_default()  # Widget._on_focus repaints the whole widget
        self.has_focus = True
        if self.parent is not None:
            self.parent.post_message(events.DescendantFocus(self))

    def _on_blur(self, event: events.Blur) -> None:
        event.prevent_default()
        self.has_focus = False
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))
