"""Provides tuidesk's error tree; every error carries a user-facing title.

    TuideskError
    ├── ConfigError       bad config file or option
    ├── StoreError        the database cannot be opened or used
    │   └── SchemaError   not a tuidesk database, or a newer schema than this code knows
    ├── QueryError        a search the index cannot parse
    ├── ImportFailed      an import file cannot be read at all (bad rows are reported)
    ├── ActionError       an action is not allowed (e.g. claimed by someone else)
    └── ConnectorError    a network call failed (retryable unless said otherwise)
        ├── AuthError         bad or expired credentials
        ├── RateLimited       429 / quota spent; carries retry_after seconds
        ├── RemoteError       the server refused the request (4xx): do not retry as is
        └── TransientError    timeout, reset, 5xx, malformed or oversized body
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


class ConnectorError(TuideskError):
    """A network call failed. `retryable` says whether trying again later may succeed."""

    title = "Network error"
    retryable = True

    def __init__(self, msg: str, title: str | None = None, retry_after: float | None = None
                 ) -> None:
        super().__init__(msg, title)
        self.retry_after = retry_after


class AuthError(ConnectorError):
    title = "Not authorised"
    retryable = False


class RateLimited(ConnectorError):
    title = "Rate limited"


class RemoteError(ConnectorError):
    """The server refused the request (4xx other than auth/rate limit): do not retry as is."""

    title = "Refused by the server"
    retryable = False


class TransientError(ConnectorError):
    """Timeouts, resets, 5xx, malformed or oversized bodies: retry with backoff."""

    title = "Temporary network error"
