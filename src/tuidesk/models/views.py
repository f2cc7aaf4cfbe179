"""Saved views: a named filter and sort over conversations, defined in config.toml."""

from __future__ import annotations

from dataclasses import dataclass

#: The views every desk has, by the names the app shows (`pending` is the old CLI name of
#: Waiting and still works).
BUILTIN_NAMES: dict[str, str] = {"inbox": "inbox", "mine": "mine", "waiting": "pending",
                                 "pending": "pending", "escalated": "escalated",
                                 "snoozed": "snoozed", "resolved": "resolved", "all": "all"}

#: sort name -> what it means, for help texts and errors.
SORTS: dict[str, str] = {"due": "soonest due first (as the queue)",
                         "newest": "latest message first", "oldest": "latest message last"}


@dataclass(frozen=True)
class ViewFilter:
    """What a saved view shows: every field that is set must hold (a list: any of it)."""

    name: str
    title: str = ""
    statuses: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    agent: str | None = None
    """'me', 'nobody', or an agent's name."""
    priorities: tuple[int, ...] = ()
    overdue: bool = False
    query: str = ""
    """Full-text search over the conversation's messages (as `/` searches)."""
    sort: str = "due"
    now: int = 0
    """The time `overdue` is judged at (set when the view is read)."""

    @property
    def shown(self) -> str:
        return self.title or self.name.capitalize()
