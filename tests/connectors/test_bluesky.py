"""BlueskyConnector against MockTransport, with reference-server responses and lexicons."""

from __future__ import annotations

import json
import re

import httpx
import pytest

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


async def test_direct_messages_fail_visibly() -> None:
    with pytest.raises(RemoteError, match="DMs are not supported"):
        await connector(FakePDS()).post(_delivery(visibility="direct"))


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
