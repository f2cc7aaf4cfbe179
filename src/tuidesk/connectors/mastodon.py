"""Provides MastodonConnector: mentions, DMs and filtered requests in; replies out, once.

API: https://docs.joinmastodon.org/methods/notifications/ (types[]=mention, min_id, Link),
https://docs.joinmastodon.org/methods/conversations/, .../methods/statuses/#create
(Idempotency-Key, kept by the server for 1 hour), rate limits: 300 requests / 5 min.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import httpx

from tuidesk.accounts import Account
from tuidesk.connectors.base import (
    html_to_text,
    iso_to_epoch,
    origin,
    request_json,
    same_origin_link,
)
from tuidesk.errors import RateLimited, RemoteError
from tuidesk.models import Delivery, FetchResult, KeywordRule, MessageIn, RemoteRef, Visibility

PAGE = 40
MAX_PAGES = 5
#: Pages of a keyword search read per sync once it has a position (40 statuses each).
SEARCH_PAGES = 25


def _newer(a: str | None, b: str | None) -> str | None:
    """The larger of two Mastodon ids (numeric strings; compared by length, then text)."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b, key=lambda x: (len(x), x))


class MastodonConnector:
    network = "mastodon"

    def __init__(self, account: Account, client: httpx.AsyncClient,
                 clock: Any = time.time) -> None:
        self.account = account
        self.account_name = account.name
        self.handle = account.handle
        self.client = client
        self.base = account.base_url.rstrip("/")
        self.host = httpx.URL(self.base).host
        self.clock = clock
        self._blocked_until = 0.0
        self._own_id: str | None = None

    # -- HTTP ------------------------------------------------------------------------------

    async def _call(self, method: str, path: str, **kwargs: Any) -> tuple[Any, httpx.Response]:
        if self.clock() < self._blocked_until:
            raise RateLimited(f"{self.account_name}: rate limit spent",
                              retry_after=self._blocked_until - self.clock())
        url = path if path.startswith("http") else self.base + path
        if origin(url) != origin(self.base):
            # The token belongs to our instance; it is never sent anywhere else.
            raise RemoteError(f"{self.account_name}: refused to send the token to another "
                              f"server ({origin(url)[1]})")
        headers = kwargs.pop("headers", {}) | {
            "Authorization": f"Bearer {self.account.secret.reveal()}"}
        try:
            data, response = await request_json(self.client, method, url, self.clock,
                                                headers=headers, **kwargs)
        except RateLimited as exc:
            self._blocked_until = self.clock() + (exc.retry_after or 60.0)
            raise
        remaining = response.headers.get("X-RateLimit-Remaining")
        if remaining is not None and remaining.strip() == "0":
            from tuidesk.connectors.base import _retry_after

            self._blocked_until = self.clock() + (_retry_after(response, self.clock) or 300.0)
        return data, response

    # -- mapping ---------------------------------------------------------------------------

    def _rid(self, status_id: str | None) -> str | None:
        """Ids are per instance: qualify them so two instances never collide."""
        return None if status_id is None else f"{self.host}:{status_id}"

    def _message(self, status: dict[str, Any], keyword: KeywordRule | None = None
                 ) -> MessageIn | None:
        if not isinstance(status, dict) or "id" not in status or "account" not in status:
            return None
        acct = str(status["account"].get("acct") or status["account"].get("username") or "?")
        own = acct == self.handle or acct == self.handle.split("@")[0]
        text = html_to_text(str(status.get("content") or ""))
        if status.get("spoiler_text"):
            text = f"CW: {status['spoiler_text']}\n{text}"
        compact = {k: status.get(k) for k in ("id", "uri", "url", "visibility",
                                              "in_reply_to_id", "created_at")}
        compact["account"] = {"id": status["account"].get("id"), "acct": acct}
        return MessageIn(
            network="mastodon", remote_id=str(self._rid(str(status["id"]))),
            direction="out" if own else "in", author=acct, text=text,
            created_at=iso_to_epoch(str(status["created_at"])), brand=self.handle,
            customer="" if own else acct,
            in_reply_to=self._rid(status.get("in_reply_to_id")),
            author_name=status["account"].get("display_name") or None,
            followers=status["account"].get("followers_count"),
            visibility=Visibility.DIRECT if status.get("visibility") == "direct"
            else Visibility.PUBLIC,
            url=status.get("url"), raw=json.dumps(compact),
            keyword=keyword.term if keyword else None,
            keyword_severity=keyword.severity if keyword else 0,
        )

    # -- Connector -------------------------------------------------------------------------

    async def verify(self) -> str:
        data, _ = await self._call("GET", "/api/v1/accounts/verify_credentials")
        return str(data.get("acct") or data.get("username"))

    async def fetch(self, cursor: str | None) -> FetchResult:
        messages: list[MessageIn] = []
        newest = cursor
        params: list[tuple[str, str | int]] = [("types[]", "mention"), ("limit", PAGE),
                                               ("include_filtered", "true")]
        url = "/api/v1/notifications"
        first = params + ([("min_id", cursor)] if cursor else [])
        page_params: Any = first
        for _ in range(MAX_PAGES):
            data, response = await self._call("GET", url, params=page_params)
            if not isinstance(data, list) or not data:
                break
            for n in data:
                if isinstance(n, dict) and n.get("type") == "mention" and n.get("status"):
                    msg = self._message(n["status"])
                    if msg is not None:
                        messages.append(msg)
                if isinstance(n, dict) and n.get("id"):
                    newest = _newer(newest, str(n["id"]))
            # With a cursor walk towards newer pages (rel=prev); a first sync backfills older.
            link = same_origin_link(response, "prev" if cursor else "next", self.base)
            if not link or len(data) < PAGE:
                break
            url, page_params = link, None
        messages += await self._direct_conversations()
        messages += await self._filtered_requests()
        return FetchResult(messages=messages, cursor=newest)

    def _last_statuses(self, items: Any) -> list[MessageIn]:
        """Messages from the `last_status` of conversations or notification requests."""
        out = []
        for item in items or []:
            status = item.get("last_status") if isinstance(item, dict) else None
            msg = self._message(status) if status else None
            if msg is not None:
                out.append(msg)
        return out

    async def _direct_conversations(self) -> list[MessageIn]:
        data, _ = await self._call("GET", "/api/v1/conversations", params={"limit": PAGE})
        return self._last_statuses(data)

    async def _filtered_requests(self) -> list[MessageIn]:
        """Mentions from strangers that Mastodon 4.3+ holds back as notification requests."""
        try:
            data, _ = await self._call("GET", "/api/v1/notifications/requests",
                                       params={"limit": PAGE})
        except RemoteError:
            return []  # older servers have no such endpoint
        return self._last_statuses(data)

    async def search(self, rule: KeywordRule, since: str | None = None) -> FetchResult:
        """Statuses matching the rule, newest first, paged back (`max_id`) until the id
        `since` (what the last search saw) or SEARCH_PAGES pages; the cursor is the newest
        id seen. A hashtag reads its timeline, a word the statuses search."""
        term = rule.term.strip()
        out: list[MessageIn] = []
        newest, seen = since, set()
        max_id: str | None = None
        for _ in range(SEARCH_PAGES):
            params: dict[str, Any] = {"limit": PAGE}
            if max_id:
                params["max_id"] = max_id
            if term.startswith("#"):
                data, _ = await self._call("GET", f"/api/v1/timelines/tag/{quote(term[1:])}",
                                           params=params)
                statuses = data if isinstance(data, list) else []
            else:
                data, _ = await self._call("GET", "/api/v2/search",
                                           params=params | {"q": term, "type": "statuses"})
                statuses = (data or {}).get("statuses", []) if isinstance(data, dict) else []
            ids = [str(s["id"]) for s in statuses if isinstance(s, dict) and s.get("id")]
            fresh = [s for s in statuses if isinstance(s, dict) and str(s.get("id")) not in seen
                     and (since is None or _newer(str(s.get("id")), since) != since)]
            seen.update(ids)
            for status in fresh:
                newest = _newer(newest, str(status["id"]))
                msg = self._message(status, keyword=rule)
                if msg is not None and msg.direction == "in":
                    out.append(msg)
            # Stop at what was seen before, at the end, or when the server repeats a page
            # (some ignore max_id for searches).
            if since is None or not ids or len(fresh) < len(ids) or not fresh:
                break
            max_id = min(ids, key=lambda x: (len(x), x))
        return FetchResult(messages=out, cursor=newest)

    async def _already_posted(self, in_reply_to_id: str | None, text: str) -> RemoteRef | None:
        """Our recent status answering the same message with the same text, if any.

        Mastodon forgets an Idempotency-Key after an hour; a retry of a reply that may have
        reached the server (it was left in 'sending') looks at our own timeline first.
        """
        if self._own_id is None:
            me, _ = await self._call("GET", "/api/v1/accounts/verify_credentials")
            self._own_id = str(me["id"])
        recent, _ = await self._call("GET", f"/api/v1/accounts/{self._own_id}/statuses",
                                     params={"limit": PAGE})
        for status in recent or []:
            if (str(status.get("in_reply_to_id")) == str(in_reply_to_id)
                    and html_to_text(str(status.get("content") or "")) == text):
                return RemoteRef(remote_id=str(self._rid(str(status["id"]))),
                                 url=status.get("url"),
                                 raw=json.dumps({"id": status.get("id"),
                                                 "uri": status.get("uri")}))
        return None

    async def post(self, delivery: Delivery) -> RemoteRef:
        text = delivery.text
        mention = "@" + delivery.customer
        if delivery.customer and mention not in text:
            text = f"{mention} {text}"  # addresses the DM / notifies the customer
        body: dict[str, Any] = {"status": text,
                                "visibility": "direct" if delivery.visibility == Visibility.DIRECT
                                else "public"}
        if delivery.in_reply_to and delivery.in_reply_to.startswith(self.host + ":"):
            body["in_reply_to_id"] = delivery.in_reply_to.split(":", 1)[1]
        if delivery.attempts > 1:
            found = await self._already_posted(body.get("in_reply_to_id"), text)
            if found is not None:
                return found
        data, _ = await self._call("POST", "/api/v1/statuses", json=body,
                                   headers={"Idempotency-Key": delivery.idempotency_key})
        return RemoteRef(remote_id=str(self._rid(str(data["id"]))), url=data.get("url"),
                         raw=json.dumps({"id": data.get("id"), "uri": data.get("uri")}))
