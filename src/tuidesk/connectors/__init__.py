"""Connectors: the only code that speaks HTTP. Each turns a network's API into models."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tuidesk.accounts import Account
from tuidesk.connectors.base import Connector
from tuidesk.connectors.bluesky import BlueskyConnector
from tuidesk.connectors.mastodon import MastodonConnector

REGISTRY: dict[str, type[MastodonConnector] | type[BlueskyConnector]] = {
    "mastodon": MastodonConnector,
    "bluesky": BlueskyConnector,
}


def make_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """One shared client: bounded timeouts, connect retries, a UA that names us."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(20.0, connect=10.0),
        transport=transport or httpx.AsyncHTTPTransport(retries=2),
        headers={"User-Agent": "tuidesk (+https://example.invalid/tuidesk)"},
        follow_redirects=False,
    )


def build_connector(account: Account, client: httpx.AsyncClient,
                    clock: Callable[[], float] = time.time) -> Connector:
    try:
        cls = REGISTRY[account.network]
    except KeyError:
        from tuidesk.errors import ConfigError

        raise ConfigError(f"Account {account.name}: unknown network {account.network!r}") \
            from None
    return cls(account, client, clock)


__all__ = ["Connector", "build_connector", "make_client", "REGISTRY"]
