"""Provides BlueskyConnector: mentions, replies, quotes and DMs in; threaded replies and DMs
out, once each.

XRPC: com.atproto.server.createSession / refreshSession (bluesky_session: one session per
account, kept on disk), app.bsky.notification.listNotifications with
`reasons=mention,reply,quote` (a burst of likes never hides a mention), paged back to the
last position with an overlap (the AppView sorts by indexedAt = min(createdAt, indexed
time), so a post from a slow clock lands behind newer ones), app.bsky.feed.searchPosts
(paged until what was seen), app.bsky.actor.getProfiles (follower counts, so reach weighs
priority), com.atproto.repo.createRecord of an app.bsky.feed.post with reply.root /
reply.parent strong refs and mention facets, and chat.bsky.convo.* for DMs (bluesky_chat).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from tuidesk.accounts import Account
from tuidesk.connectors.base import iso_to_epoch, request_json
from tuidesk.connectors.bluesky_chat import BlueskyChat
from tuidesk.connectors.bluesky_session import BlueskySession, is_token_error
from tuidesk.errors import AuthError, ConnectorError, RemoteError
from tuidesk.models import Delivery, FetchResult, KeywordRule, MessageIn, RemoteRef, Visibility

REASONS = ("mention", "reply", "quote")
PAGE = 100
#: Pages read per sync and list; what is left is read by the next sync (see FetchState).
MAX_PAGES = 20
#: Seconds re-read below the newest position seen: backdated and out-of-order posts.
OVERLAP = 3600
#: Follower counts are asked again after this many seconds.
PROFILE_TTL = 24 * 3600
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


def _epoch(value: object) -> int:
    try:
        return iso_to_epoch(str(value))
    except (ValueError, TypeError):
        return 0


@dataclass
class FetchState:
    """Where reading notifications stands, kept as the channel's cursor (JSON).

    newest: the newest indexedAt read (epoch seconds). A sync that runs out of pages before
    it reaches what it read last time leaves a gap: `resume` is the page cursor to go on
    from and `floor` the position below which everything was read. The next sync reads the
    new items first, then the gap. Nothing is ever skipped because a sync stopped early.
    """

    newest: int | None = None
    floor: int | None = None
    resume: str | None = None
    chat: str | None = None

    @classmethod
    def parse(cls, cursor: str | None) -> FetchState:
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return cls(newest=_epoch(cursor) or None)  # an older tuidesk stored indexedAt
        return cls(newest=data.get("newest"), floor=data.get("floor"),
                   resume=data.get("resume"), chat=data.get("chat"))

    def dump(self) -> str:
        return json.dumps({"v": 2, "newest": self.newest, "floor": self.floor,
                           "resume": self.resume, "chat": self.chat}, sort_keys=True)


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
        self.auth = BlueskySession(account, client, self.base, clock)
        self.chat = BlueskyChat(self)
        self._profiles: dict[str, tuple[int | None, float]] = {}

    @property
    def logins(self) -> int:
        return self.auth.logins

    @property
    def session(self) -> dict[str, Any] | None:
        return self.auth.data

    async def _xrpc(self, method: str, nsid: str, headers: dict[str, str] | None = None,
                    **kwargs: Any) -> Any:
        await self.auth.ensure()
        for attempt in range(2):
            assert self.auth.data is not None
            sent = {"Authorization": f"Bearer {self.auth.data['accessJwt']}"} | (headers or {})
            try:
                data, _ = await request_json(self.client, method, f"{self.base}/xrpc/{nsid}",
                                             self.clock, headers=sent, **kwargs)
                return data
            except (AuthError, RemoteError) as exc:
                if attempt or not is_token_error(exc):
                    raise
                await self.auth.renew()
        raise AssertionError("unreachable")

    # -- mapping ---------------------------------------------------------------------------

    def _message(self, uri: str, cid: str, author: dict[str, Any], record: dict[str, Any],
                 indexed_at: str, keyword: KeywordRule | None = None) -> MessageIn:
        handle = str(author.get("handle") or author.get("did") or "?")
        reply = record.get("reply") or {}
        parent = (reply.get("parent") or {}).get("uri")
        root = (reply.get("root") or {}).get("uri")
        rkey = uri.rsplit("/", 1)[-1]
        own = handle == self.handle or author.get("did") == self.auth.did
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
        await self.auth.login()
        return str((self.auth.data or {}).get("handle", self.handle))

    async def _notification_pages(self, page_cursor: str | None, stop: int | None,
                                  budget: int, out: list[dict[str, Any]]
                                  ) -> tuple[str | None, int, bool]:
        """Read pages from `page_cursor` until an item at or below `stop` (epoch seconds).

        Returns:
            (the cursor of the next unread page, pages left, whether `stop` was reached).
        """
        while budget > 0:
            params: list[tuple[str, str | int]] = [("reasons", r) for r in REASONS]
            params.append(("limit", PAGE))
            if page_cursor:
                params.append(("cursor", page_cursor))
            data = await self._xrpc("GET", "app.bsky.notification.listNotifications",
                                    params=params) or {}
            budget -= 1
            notes = [n for n in data.get("notifications") or [] if isinstance(n, dict)]
            reached = False
            for n in notes:
                at = _epoch(n.get("indexedAt"))
                if stop is not None and at <= stop:
                    reached = True
                    continue
                out.append(n)
            page_cursor = data.get("cursor") or None
            if reached or not page_cursor or not notes:
                return page_cursor, budget, True
        return page_cursor, budget, False

    async def fetch(self, cursor: str | None) -> FetchResult:
        """Mentions, replies and quotes since the stored position, and new DMs.

        The first sync reads MAX_PAGES pages back; later ones read back to OVERLAP seconds
        below the newest item seen (the store skips what it has), then any gap an earlier
        sync left. DMs that cannot be read (an app password without DM access, a server
        without the chat service) are a warning, not a failed sync.
        """
        state = FetchState.parse(cursor)
        notes: list[dict[str, Any]] = []
        stop = None if state.newest is None else state.newest - OVERLAP
        resume, budget, reached = await self._notification_pages(None, stop, MAX_PAGES, notes)
        floor, gap = state.floor, state.resume
        if state.newest is None:
            floor, gap = None, None  # first sync: what MAX_PAGES holds is the backfill
        elif not reached:
            # Out of pages before the old position: the gap now starts here (re-reading the
            # older gap's top is harmless; the store skips what it has).
            floor = min(x for x in (state.floor, stop) if x is not None)
            gap = resume
        elif state.resume:
            gap, _, done = await self._notification_pages(state.resume, state.floor, budget,
                                                          notes)
            floor, gap = (None, None) if done else (state.floor, gap)
        messages = [self._message(str(n["uri"]), str(n.get("cid", "")), n.get("author") or {},
                                  n["record"], str(n.get("indexedAt") or ""))
                    for n in notes
                    if n.get("reason") in REASONS and isinstance(n.get("record"), dict)
                    and n.get("uri")]
        newest = max([state.newest or 0, *(_epoch(n.get("indexedAt")) for n in notes)]) or None
        chat_cursor, warnings = state.chat, []
        try:
            dms, chat_cursor = await self.chat.fetch(state.chat)
            messages += dms
        except RemoteError as exc:
            warnings.append(f"DMs not read: {exc.msg}")
        messages = await self._with_followers(messages)
        return FetchResult(messages=messages, cursor=FetchState(
            newest=newest, floor=floor, resume=gap, chat=chat_cursor).dump(),
            warnings=tuple(warnings))

    async def _with_followers(self, messages: list[MessageIn]) -> list[MessageIn]:
        """Fill in customers' follower counts (getProfiles, 25 at a time, cached a day)."""
        now = self.clock()
        wanted = sorted({d for m in messages if m.direction == "in" and m.followers is None
                         and (d := _did_of(m)) and (d not in self._profiles
                                                   or now - self._profiles[d][1] > PROFILE_TTL)})
        for i in range(0, len(wanted), 25):
            try:
                data = await self._xrpc("GET", "app.bsky.actor.getProfiles",
                                        params=[("actors", d) for d in wanted[i:i + 25]]) or {}
            except ConnectorError:
                break  # reach is a signal, not a reason to fail the sync
            for profile in data.get("profiles") or []:
                if isinstance(profile, dict) and profile.get("did"):
                    count = profile.get("followersCount")
                    self._profiles[str(profile["did"])] = (
                        count if isinstance(count, int) else None, now)
        out = []
        for m in messages:
            d = _did_of(m)
            if m.followers is None and d in self._profiles:
                m = replace(m, followers=self._profiles[d][0])
            out.append(m)
        return out

    async def search(self, rule: KeywordRule, since: str | None = None) -> FetchResult:
        """Posts matching the rule, newest first, paged back until `since` (an indexedAt,
        epoch seconds as text) less OVERLAP; the cursor returned is the newest seen."""
        stop = int(since) - OVERLAP if since and since.isdigit() else None
        out: list[MessageIn] = []
        newest = int(since) if since and since.isdigit() else 0
        page_cursor: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"q": rule.term, "limit": PAGE, "sort": "latest"}
            if page_cursor:
                params["cursor"] = page_cursor
            data = await self._xrpc("GET", "app.bsky.feed.searchPosts", params=params) or {}
            posts = [p for p in data.get("posts") or [] if isinstance(p, dict) and p.get("uri")]
            reached = False
            for post in posts:
                at = _epoch(post.get("indexedAt"))
                newest = max(newest, at)
                if stop is not None and at <= stop:
                    reached = True
                    continue
                msg = self._message(str(post["uri"]), str(post.get("cid", "")),
                                    post.get("author") or {}, post.get("record") or {},
                                    str(post.get("indexedAt") or ""), keyword=rule)
                if msg.direction == "in":
                    out.append(msg)
            page_cursor = data.get("cursor") or None
            if reached or not page_cursor or not posts:
                break
        out = await self._with_followers(out)
        return FetchResult(messages=out, cursor=str(newest) if newest else since)

    async def post(self, delivery: Delivery) -> RemoteRef:
        if delivery.visibility == Visibility.DIRECT:
            return await self.chat.send(delivery)
        parent = json.loads(delivery.parent_raw or "{}")
        if not parent.get("uri") or not parent.get("cid"):
            raise RemoteError("The message to answer has no Bluesky reference (uri/cid).")
        did = (await self.auth.ensure())["did"]
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
        data = await self._xrpc("POST", "com.atproto.repo.createRecord", json={
            "repo": did, "collection": "app.bsky.feed.post", "rkey": rkey, "record": record})
        return RemoteRef(remote_id=str(data["uri"]),
                         url=f"https://bsky.app/profile/{self.handle}/post/{rkey}",
                         raw=json.dumps({"uri": data["uri"], "cid": data.get("cid")}))


def _did_of(message: MessageIn) -> str:
    try:
        raw = json.loads(message.raw or "{}")
    except ValueError:
        return ""
    return str(raw.get("did") or "") if isinstance(raw, dict) else ""

