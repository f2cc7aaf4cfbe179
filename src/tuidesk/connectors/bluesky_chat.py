"""Provides BlueskyChat: Bluesky DMs (chat.bsky.convo.*) read and sent through the user's PDS.

Every call goes to the account's own PDS with the header
`atproto-proxy: did:web:api.bsky.chat#bsky_chat`; the PDS forwards it to the chat service.
An app password reaches DMs only if it was created with "Allow access to your direct
messages"; without it the PDS answers "Bad token scope", which is said in those words.

In: `getLog` from the stored chat cursor (new messages of every conversation, paged),
with the conversation's members from `getConvo` (cached). Out: `getConvoForMembers` finds
or opens the conversation with the customer (so a public complaint can move to DM), then
`sendMessage`. The chat service has no idempotency key: a retry after a crash first looks
at the conversation's latest messages for ours with the same text.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tuidesk.connectors.base import iso_to_epoch
from tuidesk.errors import AuthError, ConnectorError, RemoteError, TransientError
from tuidesk.models import Delivery, MessageIn, RemoteRef, Visibility

if TYPE_CHECKING:
    from tuidesk.connectors.bluesky import BlueskyConnector

PROXY = {"atproto-proxy": "did:web:api.bsky.chat#bsky_chat"}
LOG_PAGES = 20
NO_DM_ACCESS = ("this app password has no access to direct messages: create one with "
                "'Allow access to your direct messages' ticked (Bluesky: Settings > Privacy "
                "and security > App passwords), then run tuidesk account add again")


def _explain(exc: ConnectorError) -> RemoteError:
    """The chat service's failures, said for a person (never retried as they are)."""
    text = exc.msg
    if "scope" in text.lower():
        return RemoteError(NO_DM_ACCESS, "No DM access")
    if "501" in text or "MethodNotImplemented" in text or "UpstreamFailure" in text:
        return RemoteError(f"this server offers no chat service ({text})", "No DMs here")
    return RemoteError(text, exc.title)


class BlueskyChat:
    def __init__(self, connector: BlueskyConnector) -> None:
        self.c = connector
        self._members: dict[str, list[dict[str, Any]]] = {}

    async def _call(self, method: str, nsid: str, **kwargs: Any) -> Any:
        try:
            return await self.c._xrpc(method, f"chat.bsky.convo.{nsid}", headers=PROXY,
                                      **kwargs)
        except (AuthError, RemoteError) as exc:
            if "scope" in exc.msg.lower():
                raise _explain(exc) from exc
            raise
        except TransientError as exc:
            if "501" in exc.msg or "UpstreamFailure" in exc.msg:
                raise _explain(exc) from exc
            raise

    async def members(self, convo_id: str) -> list[dict[str, Any]]:
        if convo_id not in self._members:
            data = await self._call("GET", "getConvo", params={"convoId": convo_id}) or {}
            self._members[convo_id] = [m for m in (data.get("convo") or {}).get("members")
                                       or [] if isinstance(m, dict)]
        return self._members[convo_id]

    async def fetch(self, cursor: str | None) -> tuple[list[MessageIn], str | None]:
        """New DMs since `cursor` and the cursor to resume from.

        Raises:
            RemoteError: DMs cannot be read here (said why); the caller keeps the cursor.
        """
        out: list[MessageIn] = []
        try:
            for _ in range(LOG_PAGES):
                params = {"cursor": cursor} if cursor else {}
                data = await self._call("GET", "getLog", params=params) or {}
                logs = [x for x in data.get("logs") or [] if isinstance(x, dict)]
                for log in logs:
                    message = log.get("message")
                    if (log.get("$type") == "chat.bsky.convo.defs#logCreateMessage"
                            and isinstance(message, dict)
                            and message.get("$type", "chat.bsky.convo.defs#messageView")
                            == "chat.bsky.convo.defs#messageView"):
                        msg = await self._message(str(log.get("convoId")), message)
                        if msg is not None:
                            out.append(msg)
                new = data.get("cursor") or cursor
                if not logs or new == cursor:
                    cursor = new
                    break
                cursor = new
        except ConnectorError as exc:
            if isinstance(exc, RemoteError):
                raise
            raise _explain(exc) from exc
        return out, cursor

    async def _message(self, convo_id: str, m: dict[str, Any]) -> MessageIn | None:
        sender = str((m.get("sender") or {}).get("did") or "")
        me = self.c.auth.did
        members = await self.members(convo_id)
        other = next((p for p in members if p.get("did") != me), {})
        author = next((p for p in members if p.get("did") == sender), {})
        own = sender == me
        customer = str(other.get("handle") or other.get("did") or "")
        handle = self.c.handle if own else str(author.get("handle") or sender or "?")
        try:
            created = iso_to_epoch(str(m.get("sentAt")))
        except (ValueError, TypeError):
            return None
        return MessageIn(
            network="bluesky", remote_id=f"chat:{convo_id}/{m.get('id')}",
            direction="out" if own else "in", author=handle, text=str(m.get("text") or ""),
            created_at=created, brand=self.c.handle, customer=customer, in_reply_to=None,
            thread_key=f"chat:{convo_id}",
            author_name=(author.get("displayName") or None) if not own else None,
            followers=None, visibility=Visibility.DIRECT, url=None,
            raw=json.dumps({"convoId": convo_id, "id": m.get("id"),
                            "did": None if own else sender}))

    async def send(self, delivery: Delivery) -> RemoteRef:
        """Send a reply by DM: in its conversation, or in one opened with the customer."""
        parent = json.loads(delivery.parent_raw or "{}")
        convo_id = parent.get("convoId")
        if not convo_id:
            if not parent.get("did"):
                raise RemoteError("The customer's Bluesky account is not known (no DID): "
                                  "reply publicly instead.")
            data = await self._call("GET", "getConvoForMembers",
                                    params=[("members", str(parent["did"]))]) or {}
            convo_id = (data.get("convo") or {}).get("id")
            if not convo_id:
                raise RemoteError("The chat service opened no conversation with the customer.")
        if delivery.attempts > 1:
            found = await self._already_sent(str(convo_id), delivery)
            if found is not None:
                return found
        data = await self._call("POST", "sendMessage", json={
            "convoId": convo_id, "message": {"text": delivery.text}}) or {}
        if not data.get("id"):
            raise RemoteError("The chat service did not confirm the message.")
        return self._ref(str(convo_id), data)

    async def _already_sent(self, convo_id: str, delivery: Delivery) -> RemoteRef | None:
        data = await self._call("GET", "getMessages", params={"convoId": convo_id,
                                                              "limit": 50}) or {}
        for m in data.get("messages") or []:
            if (isinstance(m, dict) and (m.get("sender") or {}).get("did") == self.c.auth.did
                    and m.get("text") == delivery.text and m.get("id")):
                try:
                    if iso_to_epoch(str(m.get("sentAt"))) >= delivery.created_at - 60:
                        return self._ref(convo_id, m)
                except (ValueError, TypeError):
                    continue
        return None

    @staticmethod
    def _ref(convo_id: str, m: dict[str, Any]) -> RemoteRef:
        return RemoteRef(remote_id=f"chat:{convo_id}/{m['id']}", url=None,
                         raw=json.dumps({"convoId": convo_id, "id": m["id"]}))
