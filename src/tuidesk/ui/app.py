"""Provides TuideskApp: the Textual application around ready services."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tuidesk.services import Services
from tuidesk.ui.screens.queue import QueueScreen


class TuideskApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tuidesk"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [Binding("ctrl+c", "quit", "Quit", show=False, id="app.ctrl_c")]
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def on_mount(self) -> None:
        if self.services.settings.keymap:
            self.set_keymap(self.services.settings.keymap)
        self.push_screen(QueueScreen(self.services))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every queue action is also in the command palette (Ctrl+P)."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, QueueScreen):
            for binding in screen.BINDINGS:
                if not isinstance(binding, Binding) or binding.action.startswith("app."):
                    continue
                action = binding.action
                yield SystemCommand(
                    f"{binding.description} ({binding.key})",
                    binding.tooltip or binding.description,
                    lambda a=action: self.call_later(screen.run_action, a),
                )
