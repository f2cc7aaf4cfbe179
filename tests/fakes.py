"""FakeConnector: a structural stand-in for a network (scripted pages, errors, idempotency)."""

from __future__ import annotations

from tuidesk.errors import ConnectorError
from tuidesk.models import Delivery, FetchResult, KeywordRule, MessageIn, RemoteRef


class FakeConnector:
    network = "mastodon"

    def __init__(self, name: str = "acme", handle: str = "acme") -> None:
        self.account_name = name
        self.handle = handle
        self.pages: list[FetchResult] = []
        self.cursors: list[str | None] = []
        self.fail_fetch: ConnectorError | None = None
        self.fail_post: list[ConnectorError] = []
        self.posted: dict[str, Delivery] = {}
        """Server side: idempotency key -> delivery (a replayed key posts nothing new)."""
        self.post_calls = 0
        self.search_rules: list[KeywordRule] = []

    async def verify(self) -> str:
        return self.handle

    async def fetch(self, cursor: str | None) -> FetchResult:
        self.cursors.append(cursor)
        if self.fail_fetch:
            raise self.fail_fetch
        return self.pages.pop(0) if self.pages else FetchResult([], None)

    async def search(self, rule: KeywordRule, since: str | None = None) -> FetchResult:
        self.search_rules.append(rule)
        return FetchResult([], None)

    async def post(self, delivery: Delivery) -> RemoteRef:
        self.post_calls += 1
        if self.fail_post:
            raise self.fail_post.pop(0)
        self.posted.setdefault(delivery.idempotency_key, delivery)
        return RemoteRef(remote_id=f"out-{delivery.outbox_id}")


def mention(i: int, text: str = "my router is broken", at: int = 1_795_170_000,
            visibility: str = "public") -> MessageIn:
    return MessageIn(network="mastodon", remote_id=f"m{i}", direction="in", author=f"cust{i}",
                     text=text, created_at=at + i, brand="acme", customer=f"cust{i}",
                     visibility=visibility)
