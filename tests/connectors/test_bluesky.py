"""BlueskyConnector against MockTransport, with reference-server responses and lexicons."""

from __future__ import annotations

import json
import re

import httpx
import pytest

import lexicon as lexicons
from support import shared_file
from tuidesk.accounts import Account, Secret, session_file
from tuidesk.connectors import make_client
from tuidesk.connectors.base import iso_to_epoch
from tuidesk.connectors.bluesky import BlueskyConnector, FetchState, tid_for
from tuidesk.errors import RemoteError
from tuidesk.models import Delivery, KeywordRule

PASSWORD = "app-pass-word-never-printed"
ACCOUNT = Account(name="brand-bluesky", network="bluesky", base_url="http://pds.test",
                  handle="brand.test", secret=Secret(PASSWORD))


def response(name: str, folder: str = "with_appview") -> dict:
    return json.loads(shared_file(f"bluesky/responses/{folder}/{name}").read_text())


def lexicon(path: str) -> dict:
    return json.loads(shared_file(f"bluesky/lexicons/{path}").read_text())


class FakePDS:
    """Routes XRPC calls to recorded responses and remembers what was sent."""

    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []
        self.records: dict[str, dict] = {}
        self.expire_next = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        nsid = request.url.path.rsplit(".", 1)[-1]
        if nsid == "createSession":
            body = json.loads(request.content)
            if body["password"] != PASSWORD:
                return httpx.Response(401, json=response("error_login_wrong_password.json",
                                                         "pds_only"))
            return httpx.Response(200, json=response("createSession.json", "pds_only") | {
                "accessJwt": "access-1", "refreshJwt": "refresh-1"})
        if nsid == "refreshSession":
            return httpx.Response(200, json=response("createSession.json", "pds_only") | {
                "accessJwt": "access-2", "refreshJwt": "refresh-2"})
        if self.expire_next:
            self.expire_next = False
            return httpx.Response(400, json={"error": "ExpiredToken",
                                             "message": "Token has expired"})
        if nsid == "listNotifications":
            return httpx.Response(
                200, json=response("listNotifications_reasons_mention_reply.json"))
        if nsid == "searchPosts":
            return httpx.Response(200, json=response("searchPosts.json"))
        if nsid == "getRecord":
            rkey = request.url.params["rkey"]
            if rkey in self.records:
                return httpx.Response(200, json=self.records[rkey])
            return httpx.Response(400, json={"error": "RecordNotFound",
                                             "message": "Could not locate record"})
        if nsid == "createRecord":
            body = json.loads(request.content)
            out = response("createRecord_post_reply.json", "pds_only")
            self.records[body["rkey"]] = {"uri": out["uri"], "cid": out["cid"],
                                          "value": body["record"]}
            return httpx.Response(200, json=out)
        return httpx.Response(501, json={"error": "MethodNotImplemented"})


def connector(pds: FakePDS) -> BlueskyConnector:
    return BlueskyConnector(ACCOUNT, make_client(httpx.MockTransport(pds)), clock=lambda: 1e9)


async def test_fetch_maps_notifications_and_keeps_the_session() -> None:
    pds = FakePDS()
    c = connector(pds)
    result = await c.fetch(None)
    m = result.messages[0]
    assert m.text == "@brand.test my order never arrived, can you help?"
    assert m.author == "customer.test" and m.direction == "in" and m.network == "bluesky"
    assert m.remote_id.startswith("at://") and m.thread_key == m.remote_id
    assert json.loads(m.raw)["cid"].startswith("bafy")
    assert FetchState.parse(result.cursor).newest == iso_to_epoch("2026-11-22T13:17:01.440Z")
    assert c.logins == 1
    # A new process reuses the stored session: logins are limited to about 100 a day.
    assert oct(session_file(ACCOUNT.name).stat().st_mode & 0o777) == "0o600"
    again = connector(pds)
    await again.fetch(result.cursor)
    assert again.logins == 0


async def test_expired_access_token_is_refreshed_not_relogged() -> None:
    pds = FakePDS()
    c = connector(pds)
    await c.fetch(None)
    pds.expire_next = True
    await c.fetch(None)
    names = [r.url.path.rsplit(".", 1)[-1] for r in pds.calls]
    assert names.count("createSession") == 1 and names.count("refreshSession") == 1
    assert pds.calls[-1].headers["Authorization"] == "Bearer access-2"


def _delivery(**kw: object) -> Delivery:
    parent = response("listNotifications_reasons_mention_reply.json")["notifications"][0]
    raw = json.dumps({"uri": parent["uri"], "cid": parent["cid"], "did": parent["author"]["did"],
                      "reply": None})
    base = dict(outbox_id=42, conversation_id=1, network="bluesky",
                text="@customer.test sorry! We're checking your order now.",
                visibility="public", idempotency_key="k", created_at=1_795_176_000,
                attempts=1, in_reply_to=parent["uri"], parent_raw=raw,
                customer="customer.test", brand="brand.test")
    base.update(kw)
    return Delivery(**base)  # type: ignore[arg-type]


async def test_reply_record_matches_the_lexicon() -> None:
    pds = FakePDS()
    d = _delivery()
    await connector(pds).post(d)
    create = [r for r in pds.calls if r.url.path.endswith("createRecord")][0]
    body = json.loads(create.content)
    input_schema = lexicon("com/atproto/repo/createRecord.json")["defs"]["main"]["input"]
    assert set(input_schema["schema"]["required"]) <= set(body)
    record = body["record"]
    post = lexicon("app/bsky/feed/post.json")["defs"]["main"]["record"]
    assert set(post["required"]) <= set(record)
    assert body["collection"] == "app.bsky.feed.post" and body["rkey"] == tid_for(
        d.created_at, d.outbox_id)
    assert record["reply"]["root"] == record["reply"]["parent"]  # answering a thread root
    facet = record["facets"][0]
    text = record["text"].encode()
    assert text[facet["index"]["byteStart"]:facet["index"]["byteEnd"]] == b"@customer.test"
    assert facet["features"][0]["$type"] == "app.bsky.richtext.facet#mention"


async def test_retry_after_crash_does_not_post_twice() -> None:
    pds = FakePDS()
    c = connector(pds)
    first = await c.post(_delivery())
    again = await c.post(_delivery(attempts=2))  # the row was left in 'sending'
    assert again.remote_id == first.remote_id
    creates = [r for r in pds.calls if r.url.path.endswith("createRecord")]
    assert len(creates) == 1


class FakeChat(FakePDS):
    """The PDS plus the chat service behind it (the reference network has none: 501).

    Every chat call must carry the atproto-proxy header; its parameters or input, and the
    answer given, are checked against the chat.bsky.convo lexicons (a mismatch fails the
    test). `scope=False` answers like a PDS for an app password without DM access."""

    ME = "did:plc:brand"  # createSession.json's DID is replaced below

    def __init__(self, scope: bool = True) -> None:
        super().__init__()
        self.scope = scope
        self.problems: list[str] = []
        self.convos: dict[str, list[dict]] = {}
        self.messages: dict[str, list[dict]] = {}
        self.log: list[dict] = []
        self.rev = 0

    def me(self) -> str:
        return response("createSession.json", "pds_only")["did"]

    def member(self, did: str, handle: str) -> dict:
        return {"did": did, "handle": handle}

    def add_message(self, convo: str, sender: str, text: str) -> dict:
        self.rev += 1
        m = {"$type": "chat.bsky.convo.defs#messageView", "id": f"m{self.rev}",
             "rev": f"r{self.rev:04d}", "text": text, "sender": {"did": sender},
             "sentAt": "2026-11-22T13:20:00.000Z"}
        self.messages.setdefault(convo, []).insert(0, m)
        self.log.append({"$type": "chat.bsky.convo.defs#logCreateMessage",
                         "rev": m["rev"], "convoId": convo, "message": m})
        return m

    def convo(self, convo: str) -> dict:
        return {"id": convo, "rev": "r0", "members": self.convos[convo], "muted": False,
                "unreadCount": 0}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        nsid = request.url.path.removeprefix("/xrpc/")
        if not nsid.startswith("chat."):
            return super().__call__(request)
        self.calls.append(request)
        if request.headers.get("atproto-proxy") != "did:web:api.bsky.chat#bsky_chat":
            self.problems.append(f"{nsid}: no atproto-proxy header")
        if not self.scope:
            return httpx.Response(400, json={"error": "InvalidToken",
                                             "message": "Bad token scope"})
        params: dict = {}
        for key, value in request.url.params.multi_items():
            params.setdefault(key, []).append(value)
        params = {k: v if k == "members" else v[0] for k, v in params.items()}
        if "limit" in params:
            params["limit"] = int(params["limit"])
        body = json.loads(request.content) if request.content else None
        name = nsid.rsplit(".", 1)[-1]
        if name == "getLog":
            after = params.get("cursor", "")
            logs = [x for x in self.log if x["rev"] > after]
            out = {"logs": logs} | ({"cursor": logs[-1]["rev"]} if logs else {})
        elif name == "getConvo":
            out = {"convo": self.convo(params["convoId"])}
        elif name == "getConvoForMembers":
            other = params["members"][0]
            convo = next((c for c, ms in self.convos.items()
                          if other in {m["did"] for m in ms}), None)
            if convo is None:
                convo = f"c{len(self.convos) + 1}"
                self.convos[convo] = [self.member(self.me(), "brand.test"),
                                      self.member(other, "customer.test")]
            out = {"convo": self.convo(convo)}
        elif name == "sendMessage":
            out = self.add_message(body["convoId"], self.me(), body["message"]["text"])
        elif name == "getMessages":
            out = {"messages": self.messages.get(params["convoId"], [])}
        else:
            return httpx.Response(501, json={"error": "MethodNotImplemented"})
        self.problems += [f"{nsid}: {p}" for p in lexicons.check_call(nsid, params, body, out)]
        return httpx.Response(200, json=out)


async def test_direct_messages_in_and_out_follow_the_chat_lexicons() -> None:
    chat = FakeChat()
    chat.convos["c1"] = [chat.member(chat.me(), "brand.test"),
                         chat.member("did:plc:cust", "customer.test")]
    chat.add_message("c1", "did:plc:cust", "my account number is 1234")
    c = connector(chat)
    result = await c.fetch(None)
    dm = next(m for m in result.messages if m.visibility == "direct")
    assert (dm.text, dm.customer, dm.author, dm.direction) == (
        "my account number is 1234", "customer.test", "customer.test", "in")
    assert dm.thread_key == "chat:c1" and result.warnings == ()
    # Nothing new: the chat cursor moved on.
    again = await c.fetch(result.cursor)
    assert not [m for m in again.messages if m.visibility == "direct"]
    # d replies by DM in that conversation.
    ref = await c.post(_delivery(visibility="direct", text="Thanks, found it.",
                                 parent_raw=dm.raw))
    assert ref.remote_id.startswith("chat:c1/")
    # A public complaint moves to DM: the conversation with the customer is found or opened.
    moved = await c.post(_delivery(visibility="direct", text="Let's take this to DM."))
    assert moved.remote_id.startswith("chat:c2/")
    # After a crash the row is taken again: the sent message is found, not sent twice.
    await c.post(_delivery(visibility="direct", text="Let's take this to DM.", attempts=2))
    sends = [r for r in chat.calls if r.url.path.endswith("sendMessage")]
    assert len(sends) == 2
    assert chat.problems == []


async def test_an_app_password_without_dm_access_says_so() -> None:
    chat = FakeChat(scope=False)
    c = connector(chat)
    result = await c.fetch(None)
    assert result.messages  # mentions still come in
    assert result.warnings and "no access to direct messages" in result.warnings[0]
    with pytest.raises(RemoteError, match="Allow access to your direct messages"):
        await c.post(_delivery(visibility="direct"))
    assert [r.url.path for r in chat.calls].count("/xrpc/com.atproto.server.createSession") == 1


def test_tid_is_valid_deterministic_and_sortable() -> None:
    a, b = tid_for(1_795_176_000, 1), tid_for(1_795_176_001, 2)
    assert re.fullmatch(r"[2-7a-j][2-7a-z]{12}", a)
    assert a == tid_for(1_795_176_000, 1) and a < b


async def test_search_posts_tags_keyword(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = await connector(FakePDS()).search(KeywordRule("brand-bluesky", "order", 2))
    assert all(m.keyword == "order" for m in result.messages)


async def test_wrong_password_is_auth_error_without_the_secret() -> None:
    bad = Account(name="x", network="bluesky", base_url="http://pds.test", handle="brand.test",
                  secret=Secret("wrong-password-123"))
    c = BlueskyConnector(bad, make_client(httpx.MockTransport(FakePDS())))
    from tuidesk.errors import AuthError

    with pytest.raises(AuthError) as exc:
        await c.verify()
    assert "wrong-password-123" not in str(exc.value) and "wrong-password-123" not in repr(bad)
