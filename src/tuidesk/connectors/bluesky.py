"""Provides BlueskyConnector: mentions, replies and quotes in; threaded replies out, once.

XRPC: com.atproto.server.createSession / refreshSession (logins are rate limited to about
100 a day, so the session is kept on disk, mode 0600), app.bsky.notification.listNotifications
(cursor pages backwards in time), com.atproto.repo.createRecord of an app.bsky.feed.post with
reply.root / reply.parent strong refs and mention facets, app.bsky.feed.searchPosts.
Direct messages (chat.bsky.convo.*) are not supported yet: such replies fail visibly.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tuidesk.accounts import Account, session_file, write_private
from tuidesk.connectors.base import iso_to_epoch, request_json
from tuidesk.errors import AuthError, ConnectorError, RemoteError
from tuidesk.models import Delivery, FetchResult, KeywordRule, MessageIn, RemoteRef, Visibility

REASONS = {"mention", "reply", "quote"}
PAGE = 50
MAX_PAGES = 5
_B32 = "234567abcdefghijklmnopqrstuvwxyz"


def tid_for(created_at: int, outbox_id: int) -> str:
    """A deterministic TID record key for an outbox row.

    The same row always gets the same key, so a retry after a crash cannot create a second
    post: the PDS refuses a record key that exists, and we look it up first anyway.
    """
    micros = created_at * 1_000_000 + (outbox_id % 1_000_000)
    value = (micros << 10) | (outbox_id % 1024)
    return "".join(_B32[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


def _utf8_span(text: str, needle: str) -> tuple[int, int] | None:
    index = text.find(needle)
    if index < 0:
        return None
    start = len(text[:index].encode("utf-8"))
    return start, start + len(needle.encode("utf-8"))


class BlueskyConnector:
    network = "bluesky"

    def __init__(self, account: Account, client: httpx.AsyncClient,
                 clock: Any = time.time) -> None:
        self.account = account
        self.account_name = account.name
        self.handle = account.handle
        self.client = client
        self.base = (account.base_url or "https://bsky.social").rstrip("/")
        self.clock = clock
        self.session: dict[str, str] | None = None
        self.logins = 0
        """createSession calls made by this process (tests check the session is reused)."""

    # -- session ---------------------------------------------------------------------------

    def _load_session(self) -> dict[str, str] | None:
        path = session_file(self.account_name)
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and data.get("accessJwt"):
                    return data
            except (OSError, ValueError):
                return None
        return None

    def _save_session(self, data: dict[str, Any]) -> None:
        self.session = {k: str(data[k]) for k in ("did", "handle", "accessJwt", "refreshJwt")
                        if k in data}
        write_private(session_file(self.account_name), json.dumps(self.session))

    async def _login(self) -> None:
        self.logins += 1
        data, _ = await request_json(
            self.client, "POST", f"{self.base}/xrpc/com.atproto.server.createSession",
            self.clock, json={"identifier": self.account.handle,
                              "password": self.account.secret.reveal()})
        self._save_session(data)

    async def _refresh(self) -> bool:
        if not self.session or not self.session.get("refreshJwt"):
            return False
        try:
            data, _ = await request_json(
                self.client, "POST", f"{self.base}/xrpc/com.atproto.server.refreshSession",
                self.clock, headers={"Authorization": f"Bearer {self.session['refreshJwt']}"})
        except AuthError:
            return False
        self._save_session(data)
        return True

    async def _ensure_session(self) -> dict[str, str]:
        if self.session is None:
            self.session = self._load_session()
            if self.session is None:
                await self._login()
        assert self.session is not None
        return self.session

    async def _xrpc(self, method: str, nsid: str, **kwargs: Any) -> Any:
        await self._ensure_session()
        for attempt in range(2):
            assert self.session is not None
            headers = {"Authorization": f"Bearer {self.session['accessJwt']}"}
            try:
                data, _ = await request_json(self.client, method, f"{self.base}/xrpc/{nsid}",
                                             self.clock, headers=headers, **kwargs)
                return data
            except AuthError:
                if attempt:
                    raise
                if not await self._refresh():
                    await self._login()
        raise AssertionError("unreachable")

    # -- mapping ---------------------------------------------------------------------------

    def _message(self, uri: str, cid: str, author: dict[str, Any], record: dict[str, Any],
                 indexed_at: str, keyword: KeywordRule | None = None) -> MessageIn:
        handle = str(author.get("handle") or author.get("did") or "?")
        reply = record.get("reply") or {}
        parent = (reply.get("parent") or {}).get("uri")
        root = (reply.get("root") or {}).get("uri")
        rkey = uri.rsplit("/", 1)[-1]
        own = handle == self.handle or author.get("did") == (self.session or {}).get("did")
        raw = {"uri": uri, "cid": cid, "did": author.get("did"), "reply": reply or None}
        created = record.get("createdAt") or indexed_at
        return MessageIn(
            network="bluesky", remote_id=uri, direction="out" if own else "in", author=handle,
            text=str(record.get("text") or ""), created_at=iso_to_epoch(str(created)),
            brand=self.handle, customer="" if own else handle, in_reply_to=parent,
            thread_key=root or (None if parent else uri),
            author_name=author.get("displayName") or None,
            followers=author.get("followersCount"), visibility="public",
            url=f"https://bsky.app/profile/{handle}/post/{rkey}", raw=json.dumps(raw),
            keyword=keyword.term if keyword else None,
            keyword_severity=keyword.severity if keyword else 0)

    # -- Connector -------------------------------------------------------------------------

    async def verify(self) -> str:
        await self._login()
        return str((self.session or {}).get("handle", self.handle))

    async def fetch(self, cursor: str | None) -> FetchResult:
        """Notifications newer than `cursor` (the last indexedAt we stored)."""
        messages: list[MessageIn] = []
        newest = cursor
        page_cursor: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"limit": PAGE}
            if page_cursor:
                params["cursor"] = page_cursor
            data = await self._xrpc("GET", "app.bsky.notification.listNotifications",
                                    params=params) or {}
            notes = data.get("notifications") or []
            reached_old = False
            for n in notes:
                indexed = str(n.get("indexedAt") or "")
                if cursor and indexed <= cursor:
                    reached_old = True
                    continue
                if newest is None or indexed > newest:
                    newest = indexed
                if n.get("reason") in REASONS and isinstance(n.get("record"), dict):
                    messages.append(self._message(str(n["uri"]), str(n.get("cid", "")),
                                                  n.get("author") or {}, n["record"], indexed))
            page_cursor = data.get("cursor")
            if reached_old or not page_cursor or not notes or cursor is None:
                break
        return FetchResult(messages=messages, cursor=newest)

    async def search(self, rule: KeywordRule) -> FetchResult:
        data = await self._xrpc("GET", "app.bsky.feed.searchPosts",
                                params={"q": rule.term, "limit": 25}) or {}
        out = []
        for post in data.get("posts") or []:
            msg = self._message(str(post["uri"]), str(post.get("cid", "")),
                                post.get("author") or {}, post.get("record") or {},
                                str(post.get("indexedAt") or ""), keyword=rule)
            if msg.direction == "in":
                out.append(msg)
        return FetchResult(messages=out, cursor=None)

    async def post(self, delivery: Delivery) -> RemoteRef:
        if delivery.visibility == Visibility.DIRECT:
            raise RemoteError("Bluesky DMs are not supported by tuidesk yet: reply publicly, "
                              "or use the Bluesky app for this DM.", "Not supported")
        parent = json.loads(delivery.parent_raw or "{}")
        if not parent.get("uri") or not parent.get("cid"):
            raise RemoteError("The message to answer has no Bluesky reference (uri/cid).")
        did = (await self._ensure_session())["did"]
        rkey = tid_for(delivery.created_at, delivery.outbox_id)
        if delivery.attempts > 1:
            # An earlier attempt may have reached the PDS before we crashed: look first.
            try:
                found = await self._xrpc("GET", "com.atproto.repo.getRecord", params={
                    "repo": did, "collection": "app.bsky.feed.post", "rkey": rkey})
                if found and found.get("uri"):
                    return RemoteRef(remote_id=str(found["uri"]),
                                     raw=json.dumps({"uri": found["uri"],
                                                     "cid": found.get("cid")}))
            except RemoteError:
                pass  # not there: post it now
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        root_ref = ((parent.get("reply") or {}).get("root")) or parent_ref
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post", "text": delivery.text,
            "createdAt": datetime.fromtimestamp(delivery.created_at, UTC).isoformat()
            .replace("+00:00", "Z"),
            "reply": {"root": {"uri": root_ref["uri"], "cid": root_ref["cid"]},
                      "parent": parent_ref},
        }
        span = _utf8_span(delivery.text, "@" + delivery.customer) if delivery.customer else None
        if span and parent.get("did"):
            record["facets"] = [{"index": {"byteStart": span[0], "byteEnd": span[1]},
                                 "features": [{"$type": "app.bsky.richtext.facet#mention",
                                               "did": parent["did"]}]}]
        try:
            data = await self._xrpc("POST", "com.atproto.repo.createRecord", json={
                "repo": did, "collection": "app.bsky.feed.post", "rkey": rkey,
                "record": record})
        except ConnectorError:
            raise
        return RemoteRef(remote_id=str(data["uri"]),
                         url=f"https://bsky.app/profile/{self.handle}/post/{rkey}",
                         raw=json.dumps({"uri": data["uri"], "cid": data.get("cid")}))
