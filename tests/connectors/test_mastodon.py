"""MastodonConnector against MockTransport, with the real payloads in ../shared/data/mastodon."""

from __future__ import annotations

import json

import httpx
import pytest

from support import shared_file
from tuidesk.accounts import Account, Secret
from tuidesk.connectors import make_client
from tuidesk.connectors.base import html_to_text
from tuidesk.connectors.mastodon import MastodonConnector
from tuidesk.errors import AuthError, RateLimited, RemoteError, TransientError
from tuidesk.models import Delivery, KeywordRule

TOKEN = "s3cr3t-token-never-printed"
ACCOUNT = Account(name="acme", network="mastodon", base_url="http://localhost:3000",
                  handle="mastodonpy_test", secret=Secret(TOKEN))


def payload(name: str) -> object:
    return json.loads(shared_file(f"mastodon/{name}").read_text())


def connector(handler) -> MastodonConnector:  # type: ignore[no-untyped-def]
    client = make_client(httpx.MockTransport(handler))
    return MastodonConnector(ACCOUNT, client, clock=lambda: 1000.0)


def delivery(**kw: object) -> Delivery:
    base = dict(outbox_id=7, conversation_id=1, network="mastodon", text="We're on it",
                visibility="public", idempotency_key="key-7", created_at=1000, attempts=1,
                in_reply_to="localhost:117020576916218297", parent_raw=None,
                customer="admin", brand="mastodonpy_test")
    base.update(kw)
    return Delivery(**base)  # type: ignore[arg-type]


def empty_lists(request: httpx.Request) -> httpx.Response | None:
    if request.url.path in ("/api/v1/conversations", "/api/v1/notifications/requests"):
        return httpx.Response(200, json=[])
    return None


async def test_fetch_maps_a_real_mention_notification() -> None:
    notes = payload("notifications_list_mention.json")
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        return empty_lists(request) or httpx.Response(200, json=notes)

    result = await connector(handler).fetch(None)
    assert len(result.messages) == 1
    m = result.messages[0]
    assert m.remote_id == "localhost:" + notes[0]["status"]["id"]
    assert m.text == "@mastodonpy_test hello!"
    assert m.author == "admin" and m.direction == "in" and m.visibility == "public"
    assert m.followers == 1 and m.brand == "mastodonpy_test"
    assert result.cursor == notes[0]["id"]
    params = seen[0].url.params
    assert params.get_list("types[]") == ["mention"] and params["include_filtered"] == "true"


async def test_fetch_with_cursor_walks_newer_pages_by_link() -> None:
    page1 = [{"id": str(i), "type": "mention",
              "status": payload("notifications_list_mention.json")[0]["status"] | {
                  "id": f"9{i}"}} for i in range(40, 0, -1)]
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        if (r := empty_lists(request)) is not None:
            return r
        calls.append(str(request.url))
        if "min_id=5" in str(request.url):
            return httpx.Response(200, json=page1, headers={
                "Link": '<http://localhost:3000/api/v1/notifications?min_id=40>; rel="prev"'})
        return httpx.Response(200, json=[])

    result = await connector(handler).fetch("5")
    assert len(calls) == 2 and "min_id=40" in calls[1]
    assert result.cursor == "40" and len(result.messages) == 40


async def test_direct_conversations_and_filtered_requests_are_ingested() -> None:
    convs = payload("conversations_list.json")
    requests_ = payload("notification_requests_list.json")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/conversations":
            return httpx.Response(200, json=convs)
        if request.url.path == "/api/v1/notifications/requests":
            return httpx.Response(200, json=requests_)
        return httpx.Response(200, json=[])

    result = await connector(handler).fetch(None)
    dms = [m for m in result.messages if m.visibility == "direct"]
    assert dms, "DMs from /api/v1/conversations must be ingested"
    expected = sum(1 for r in requests_ if r.get("last_status")) + sum(
        1 for c in convs if c.get("last_status"))
    assert len(result.messages) == expected


def test_html_to_text_drops_scripts_keeps_text() -> None:
    html = ('<p>Hello <b>there</b> &amp; &lt;b&gt;</p><script>alert("x")</script>'
            '<style>p{}</style><p>line<br>two</p>')
    assert html_to_text(html) == 'Hello there & <b>\n\nline\ntwo'


async def test_post_sends_idempotency_key_reply_id_and_mention() -> None:
    reply = payload("status_post_reply.json")
    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=reply)

    ref = await connector(handler).post(delivery(visibility="direct"))
    body = json.loads(sent[0].content)
    assert sent[0].headers["Idempotency-Key"] == "key-7"
    assert body == {"status": "@admin We're on it", "visibility": "direct",
                    "in_reply_to_id": "117020576916218297"}
    assert ref.remote_id == f"localhost:{reply['id']}"


@pytest.mark.parametrize(("response", "error"), [
    (httpx.Response(401, json={"error": "The access token is invalid"}), AuthError),
    (httpx.Response(422, json={"error": "Validation failed: Text too long"}), RemoteError),
    (httpx.Response(500, text="oops"), TransientError),
    (httpx.Response(502, text="<html>bad gateway</html>"), TransientError),
    (httpx.Response(200, text="{not json"), TransientError),
    (httpx.Response(200, content=b"x" * (10 * 1024 * 1024)), TransientError),
])
async def test_http_failures_map_to_errors(response: httpx.Response, error: type) -> None:
    with pytest.raises(error) as exc:
        await connector(lambda request: response).post(delivery())
    assert TOKEN not in str(exc.value)


async def test_429_carries_retry_after_and_blocks_further_calls() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, json={"error": "Too many requests"},
                              headers={"Retry-After": "42"})

    c = connector(handler)
    with pytest.raises(RateLimited) as exc:
        await c.post(delivery())
    assert exc.value.retry_after == 42
    with pytest.raises(RateLimited):
        await c.fetch(None)
    assert len(calls) == 1  # the second call never left: we respect the limit


async def test_rate_limit_remaining_zero_waits_for_reset() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[], headers={
            "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1970-01-01T00:20:00.000Z"})

    c = connector(handler)
    # The first call spends the budget: the fetch's next call is not sent.
    with pytest.raises(RateLimited) as exc:
        await c.fetch(None)
    assert exc.value.retry_after == pytest.approx(200.0)


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("slow"), httpx.ConnectError("reset"),
                                 httpx.RemoteProtocolError("peer closed")])
async def test_transport_failures_are_transient(exc: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(TransientError):
        await connector(handler).fetch(None)


async def test_keyword_search_tags_matches() -> None:
    status = payload("notifications_list_mention.json")[0]["status"]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/search":
            assert request.url.params["q"] == "outage"
            return httpx.Response(200, json={"statuses": [status], "accounts": []})
        assert request.url.path == "/api/v1/timelines/tag/acmefail"
        return httpx.Response(200, json=[status])

    c = connector(handler)
    found = await c.search(KeywordRule("acme", "outage", 3))
    assert found.messages[0].keyword == "outage" and found.messages[0].keyword_severity == 3
    assert (await c.search(KeywordRule("acme", "#acmefail", 1))).messages


def test_request_shapes_match_the_openapi_spec() -> None:
    """Our requests use only parameters and fields the Mastodon OpenAPI spec defines."""
    spec = json.loads(shared_file("mastodon/mastodon-openapi-schema.json").read_text())
    notif = {p["name"] for p in spec["paths"]["/api/v1/notifications"]["get"]["parameters"]}
    assert {"types", "limit", "min_id", "include_filtered"} <= notif
    post = spec["paths"]["/api/v1/statuses"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in post["parameters"]}
    schemas = spec["components"]["schemas"]
    props: dict = {}
    for part in schemas["TextStatus"]["allOf"]:
        target = schemas[part["$ref"].rsplit("/", 1)[-1]] if "$ref" in part else part
        props |= target.get("properties", {})
    assert {"status", "visibility", "in_reply_to_id"} <= set(props)
    allowed = set(props["visibility"].get("enum", [])) or {"public", "direct"}
    assert {"public", "direct"} <= allowed


async def test_retry_finds_a_reply_the_server_already_has() -> None:
    """After a crash, a retry older than the 1 h Idempotency-Key window must not repost."""
    reply = payload("status_post_reply.json")
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.path))
        if request.url.path == "/api/v1/accounts/verify_credentials":
            return httpx.Response(200, json={"id": "55", "acct": "mastodonpy_test"})
        if request.url.path == "/api/v1/accounts/55/statuses":
            mine = reply | {"in_reply_to_id": "117020576916218297",
                            "content": "<p>@admin We&#39;re on it</p>"}
            return httpx.Response(200, json=[mine])
        return httpx.Response(200, json=reply)

    ref = await connector(handler).post(delivery(attempts=2))
    assert ref.remote_id == f"localhost:{reply['id']}"
    assert ("POST", "/api/v1/statuses") not in calls
    first = await connector(handler).post(delivery(attempts=1))
    assert first.remote_id and ("POST", "/api/v1/statuses") in calls
