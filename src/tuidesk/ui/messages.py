"""Provides app-wide messages (past-tense domain events)."""

from __future__ import annotations

from textual.message import Message

from tuidesk.services.sync import SyncReport


class SyncFinished(Message):
    """A background sync round ended (fetched, delivered, or failed per account)."""

    def __init__(self, report: SyncReport) -> None:
        super().__init__()
        self.report = report
