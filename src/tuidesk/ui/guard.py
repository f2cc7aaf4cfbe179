"""Provides Guarded: a fault in one action is a message on screen, never the end of the app.

Textual stops a widget's message loop at the first exception a handler raises and then exits
the app. A `TuideskError` (a full disk, a damaged or busy database, a refused action) is a
state the user can act on, not a crash: every screen and widget of ours mixes this in, so
such an error from a key, a callback, a timer or a message becomes one toast and the screen
keeps running. Any other exception is a bug and still ends the app (see TuideskApp).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump
from textual.timer import Timer

from tuidesk.errors import TuideskError


class Guarded(MessagePump):
    def _guard(self, callback: Callable[[], Any] | None) -> Callable[[], Awaitable[None]] | None:
        if callback is None:
            return None

        async def run() -> None:
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except TuideskError as exc:
                self.app.notify(exc.msg, title=exc.title, severity="error")

        return run

    def set_timer(self, delay: float, callback: Any = None, *args: Any, **kwargs: Any
                  ) -> Timer:
        # Timers call back outside the message loop (an autosave on a full disk).
        return super().set_timer(delay, self._guard(callback), *args, **kwargs)

    def set_interval(self, interval: float, callback: Any = None, *args: Any,
                     **kwargs: Any) -> Timer:
        return super().set_interval(interval, self._guard(callback), *args, **kwargs)

    async def _dispatch_message(self, message: Message) -> None:
        try:
            await super()._dispatch_message(message)
        except TuideskError as exc:
            self.app.notify(exc.msg, title=exc.title, severity="error")

    async def _flush_next_callbacks(self) -> None:
        # Callbacks of dismissed modals run here (e.g. queue a reply on a full disk).
        try:
            await super()._flush_next_callbacks()
        except TuideskError as exc:
            self.app.notify(exc.msg, title=exc.title, severity="error")
