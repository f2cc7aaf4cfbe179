"""Provides tuidesk's error tree; every error carries a user-facing title.

    TuideskError
    ├── ConfigError       bad config file or option
    ├── StoreError        the database cannot be opened or used
    │   └── SchemaError   not a tuidesk database, or a newer schema than this code knows
    ├── QueryError        a search the index cannot parse
    ├── ImportFailed      an import file cannot be read at all (bad rows are reported)
    └── ActionError       an action is not allowed (e.g. claimed by someone else)
"""

from __future__ import annotations


class TuideskError(Exception):
    """Base class: `msg` says what happened and what to do, `title` is a short heading."""

    title = "Error"

    def __init__(self, msg: str, title: str | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        if title is not None:
            self.title = title


class ConfigError(TuideskError):
    title = "Configuration error"


class StoreError(TuideskError):
    title = "Database error"


class SchemaError(StoreError):
    title = "Incompatible database"


class QueryError(TuideskError):
    title = "Invalid query"


class ImportFailed(TuideskError):
    title = "Import failed"


class ActionError(TuideskError):
    title = "Not allowed"
