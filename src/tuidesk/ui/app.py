"""Provides TuideskApp: the Textual application around ready services."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Iterable
from typing import Any

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.driver import Driver
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input, TextArea
from textual.worker import Worker, WorkerState

from tuidesk import crash
from tuidesk.errors import TuideskError
from tuidesk.services import Services
from tuidesk.services.display import clean, clean_line
from tuidesk.ui.guard import Guarded
from tuidesk.ui.keys import catalogue, check_keymap, shown_keys
from tuidesk.ui.messages import SyncFinished
from tuidesk.ui.screens.queue import QueueScreen
from tuidesk.ui.screens.queue_keys import APP_BINDINGS
from tuidesk.ui.widgets.typing import TypeAhead
from tuidesk.ui.wire import SgrDiff, frame_driver

#: Full collections: never by allocation count (Python's default is every tenth middle-
#: generation pass), instead every few seconds once input has paused.
IDLE_ONLY = 1_000_000
IDLE_GC_EVERY = 5.0
#: Seconds a thread waiting for the interpreter lock waits at most (Python's default: 5 ms).
WRITER_SWITCH_INTERVAL = 0.0005


class TuideskApp(Guarded, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tuidesk"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = APP_BINDINGS
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, services: Services) -> None:
        """Raises ConfigError for a [keys] entry that names no binding or takes a key
        another binding has (Textual would drop one of them silently)."""
        check_keymap(services.settings.keymap, services.settings.config_path)
        super().__init__()
        self.services = services
        self._last_input = time.monotonic()

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver":  # not the web's or Windows' driver
            return frame_driver(driver)  # type: ignore[arg-type]
        return driver

    @property
    def _background_screens(self) -> list[Screen[Any]]:
        """Screens that show through the top one: none when the top one is opaque.

        Textual counts the screen under the top one as visible whatever the top one is. The
        blank default screen under the queue then laid itself out on every resize and made
        the queue repaint all of itself: a whole extra frame at start-up (~10 KB at
        120x40) and on each resize. (Making the queue the default screen instead drew two
        more frames before it was mounted.)
        """
        if self._screen_stack and self.screen.styles.background.a == 1:
            return []
        return super()._background_screens

    def on_mount(self) -> None:
        driver = self._driver
        if driver is not None and not isinstance(driver.write, SgrDiff):
            # Style changes go out as differences (about half the bytes over SSH).
            driver.write = SgrDiff(driver.write)  # type: ignore[method-assign]
        if not self.is_headless:
            # Frames go to the terminal from Textual's writer thread, which waited for the
            # interpreter lock behind whatever ran after the frame (the next rows' prefetch,
            # a timer): 5 ms by default, 8-9 ms of a 20 ms Enter in a pty at 120x40. A
            # shorter switch interval lets it write within a millisecond.
            sys.setswitchinterval(WRITER_SWITCH_INTERVAL)
        if self.services.settings.keymap:
            self.set_keymap(self.services.settings.keymap)
        self.push_screen(QueueScreen(self.services))
        self.call_after_refresh(self._pace_garbage_collection)
        if self.services.sync is not None:
            self.set_interval(self.services.settings.sync_interval, self._scheduled_sync)
            self.call_later(self._scheduled_sync)

    def _pace_garbage_collection(self) -> None:
        """Full garbage collections only while nobody types.

        Python's own full collections walked every object the app holds and landed in the
        middle of keystrokes: 57-103 ms pauses, the p99 of a view switch at 1M (147 ms).
        What start-up built lives as long as the app (frozen: never walked again); the
        young generations still collect as usual; the full collection runs after a second
        without input, where nobody waits for a frame.
        """
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, IDLE_ONLY)
        self.set_interval(IDLE_GC_EVERY, self._collect_when_idle)

    def _collect_when_idle(self) -> None:
        if time.monotonic() - self._last_input >= 1.0 and gc.get_count()[2]:
            gc.collect()

    async def _on_key(self, event: events.Key) -> None:
        """A key typed into the list before the `:` or `/` before it had opened a text
        field goes to that field (see TypeAhead), not to the list's bindings."""
        target = self.focused
        if getattr(event, "type_ahead", False) and isinstance(target, Input):
            # App._on_key (bindings) runs after this handler unless the default is off.
            event.prevent_default()
            if event.is_printable:
                target.post_message(events.Key(event.key, event.character))
            else:
                # Enter, Tab, Backspace, arrows: the field's bindings, once the characters
                # queued on it before this key are in (Enter at the end of a pasted
                # `/outage⏎` submitted an empty field, which went back to the view).
                target.call_later(self._check_bindings, event.key)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Text fields do not blink their cursor: each blink was a frame over SSH twice a
        second while an agent reads or thinks, and a key pressed while the cursor was off
        drew a frame of its own first, which held the answer back by one frame (16.7 ms)."""
        widget = event.widget
        if isinstance(widget, (Input, TextArea)) and widget.cursor_blink:
            widget.cursor_blink = False

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self._last_input = time.monotonic()
            if (isinstance(event, events.Key) and not event.is_forwarded
                    and isinstance(self.focused, TypeAhead)
                    and self.screen.maximized is None):
                await self._key_for_list(event, self.focused)
                return
        await super().on_event(event)

    async def _key_for_list(self, event: events.Key, focused: TypeAhead) -> None:
        """A key for the queue or the detail pane runs its binding here, as it arrives.

        Textual queues each key on the widget focused when the key arrives, and checks
        bindings once the key has bubbled back up to the app (five messages later). In a
        burst (a paste, tmux, a fast typist over SSH) the keys after `/` were therefore
        queued on the list before `/` had opened the field: they reached the field late,
        behind keys that arrived after them, and `/outage⏎` under load searched 'tageou'
        or nothing. Here the binding (same chain, from the focused widget up) runs before
        the next key is read, so a field it focuses receives every key typed after it, in
        order. A key that nothing binds goes to the widget as before.
        """
        if not self.app_focus:
            self.app_focus = True
        self.screen._clear_tooltip()
        if not (await self._check_bindings(event.key, priority=True)
                or await self._check_bindings(event.key)):
            focused._forward_event(event)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every toast is literal text with controls neutralised: messages quote servers,
        customers and files. Markup is off whatever the caller asks."""
        super().notify(clean(message), title=clean_line(title), severity=severity,
                       timeout=timeout, markup=False)

    def _handle_exception(self, error: Exception) -> None:
        """An error no screen handled ends the app with one line and a non-zero exit code.

        Textual's own handler prints a traceback with local variables, which showed an
        Authorization header on screen. Ours writes the stack without locals to crash.log.
        """
        if self._exception is None:  # lets Pilot tests re-raise it, as Textual does
            self._exception = error
            self._exception_event.set()
        if isinstance(error, TuideskError):
            self._return_code = 3
            line = clean_line(f"tuidesk: {error.title}: {error.msg}")
        else:
            self._return_code = crash.EXIT_CRASH
            line = crash.summary(error, crash.record(error))
        from rich.text import Text

        self._exit_renderables.append(Text(line))
        self._close_messages_no_wait()

    async def on_unmount(self) -> None:
        try:  # others stop seeing me on a conversation at once (a dead app expires instead)
            self.services.inbox.heartbeat(None)
        except TuideskError:
            pass
        await self.services.aclose()

    def _scheduled_sync(self) -> None:
        """The app syncs on its own only while no `tuidesk worker` holds the desk."""
        if self.services.worker() is None:
            self.action_sync()

    def action_sync(self) -> None:
        if self.services.sync is None:
            self.notify("No accounts configured: see `tuidesk account add`.",
                        severity="warning", markup=False)
            return
        self.run_sync()

    @work(exclusive=True, group="sync", exit_on_error=False)
    async def run_sync(self) -> None:
        """Fetch and deliver on the event loop; the store is only touched from this thread."""
        assert self.services.sync is not None
        report = await self.services.sync.run_once()
        self.screen.post_message(SyncFinished(report))
        for screen in self.screen_stack:
            if isinstance(screen, QueueScreen) and screen is not self.screen:
                screen.post_message(SyncFinished(report))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, TuideskError):
            self.notify(error.msg, title=error.title, severity="error")
        elif isinstance(error, Exception):
            self._handle_exception(error)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key's action is also in the command palette (Ctrl+P), with its key as
        bound now (after [keys] in config.toml)."""
        yield from super().get_system_commands(screen)
        if not isinstance(screen, QueueScreen):
            return
        for key in catalogue(self.services.settings.keymap):
            if key.scope not in ("queue", "app") or key.binding.action in (
                    "command_palette", "quit", "app.quit", "back"):
                continue
            action = key.binding.action
            target = self if key.scope == "app" else screen
            yield SystemCommand(
                f"{key.binding.description} ({shown_keys(key.keys)})", key.description,
                lambda a=action, t=target: self.call_later(t.run_action, a),
            )
