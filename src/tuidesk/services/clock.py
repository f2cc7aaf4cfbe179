"""Provides injectable time, so SLA, snooze and follow-up logic is testable without sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]


def system_clock() -> int:
    """Now, in Unix seconds."""
    return int(time.time())


class FixedClock:
    """A clock tests can set and advance."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds
