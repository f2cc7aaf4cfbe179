"""Provides the Connector protocol, HTTP error mapping, bounded body reads and HTML to text."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, Protocol

import httpx

from tuidesk.errors import AuthError, RateLimited, RemoteError, TransientError
from tuidesk.models import Delivery, FetchResult, KeywordRule, RemoteRef

#: Largest response body we read; a bigger one is refused, not buffered.
MAX_BODY = 5 * 1024 * 1024


class Connector(Protocol):
    """One brand account on one network."""

    network: str
    account_name: str
    handle: str

    async def verify(self) -> str:
        """Check the credentials.

        Returns:
            The account's own handle.

        Raises:
            AuthError: bad credentials. ConnectorError: anything else.
        """
        ...

    async def fetch(self, cursor: str | None) -> FetchResult:
        """Mentions, replies and DMs newer than `cursor` (an opaque string we stored).

        Raises:
            ConnectorError (AuthError, RateLimited, RemoteError, TransientError).
        """
        ...

    async def search(self, rule: KeywordRule, since: str | None = None) -> FetchResult:
        """Public posts matching a keyword rule (that need not mention the brand), paged
        back until `since` (the cursor an earlier search returned; None: one page)."""
        ...

    async def post(self, delivery: Delivery) -> RemoteRef:
        """Publish a reply exactly once, even if called again after a crash.

        Raises:
            ConnectorError; RemoteError means the server refused it (do not retry as is).
        """
        ...


def _retry_after(response: httpx.Response, now: Callable[[], float]) -> float | None:
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    reset = response.headers.get("X-RateLimit-Reset") or response.headers.get("RateLimit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - now()) if reset.isdigit() else max(
                0.0, datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp() - now())
        except ValueError:
            return None
    return None


def _error_text(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    if isinstance(data, dict):
        code, message = data.get("error"), data.get("error_description") or data.get("message")
        if code and message and str(code) not in str(message):
            return f"{code}: {message}"[:300]  # XRPC: "InvalidToken: Bad token scope"
        return str(message or code or data)[:300]
    return str(data)[:300]


def raise_for(response: httpx.Response, body: bytes, now: Callable[[], float]) -> None:
    """Turn an error status into our error tree (the message never includes credentials)."""
    status = response.status_code
    if status < 400:
        return
    what = f"{response.request.method} {response.request.url.path}: {status} "
    text = _error_text(body)
    if status == 401 or (status == 400 and ("ExpiredToken" in text or "InvalidToken" in text)
                         and "scope" not in text.lower()):
        raise AuthError(what + text)
    if status == 403:
        raise AuthError(what + text, "Forbidden")
    if status == 429:
        raise RateLimited(what + text, retry_after=_retry_after(response, now))
    if status >= 500:
        raise TransientError(what + text)
    raise RemoteError(what + text)


@asynccontextmanager
async def map_http_errors(label: str) -> AsyncIterator[None]:
    """Every httpx failure becomes one of ours (`from exc`), with a short label.

    httpx raises some errors outside its HTTPError tree (InvalidURL for a server's
    `Link: <http://[::1>`, CookieConflict); one escaping here once crashed the app with a
    traceback that showed the Authorization header. Nothing from httpx passes this point.
    """
    try:
        yield
    except httpx.TimeoutException as exc:
        raise TransientError(f"{label}: timed out") from exc
    except httpx.TransportError as exc:
        raise TransientError(f"{label}: {type(exc).__name__}: {exc}") from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise RemoteError(f"{label}: the server gave an unusable URL ({exc})") from exc
    except (httpx.HTTPError, httpx.StreamError, httpx.CookieConflict) as exc:
        raise TransientError(f"{label}: {type(exc).__name__}: {exc}") from exc


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the unit a credential belongs to.

    Raises:
        RemoteError: the URL cannot be parsed.
    """
    try:
        u = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise RemoteError(f"unusable URL from the server: {exc}") from exc
    return u.scheme, u.host, u.port


def same_origin_link(response: httpx.Response, rel: str, base: str) -> str | None:
    """The `Link` header's URL for `rel`, only if it stays on our server.

    A pagination link to another origin is never followed: the next request would carry
    the account's token there. A malformed header counts as no link.
    """
    try:
        url = response.links.get(rel, {}).get("url")
        if url and origin(url) == origin(base):
            return str(url)
    except (RemoteError, httpx.HTTPError, ValueError):
        pass
    return None


async def request_json(client: httpx.AsyncClient, method: str, url: str,
                       now: Callable[[], float], **kwargs: Any) -> tuple[Any, httpx.Response]:
    """Send a request, read at most MAX_BODY bytes, map errors, parse JSON.

    Raises:
        ConnectorError subclasses for every failure mode.
    """
    label = f"{method} {url.split('?', 1)[0][:120]}"
    async with map_http_errors(label):
        label = f"{method} {httpx.URL(url).path}"
        request = client.build_request(method, url, **kwargs)
        response = await client.send(request, stream=True)
        try:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    raise TransientError(f"{label}: response larger than {MAX_BODY} bytes")
                chunks.append(chunk)
            body = b"".join(chunks)
        finally:
            await response.aclose()
    raise_for(response, body, now)
    if not body:
        return None, response
    try:
        return json.loads(body), response
    except ValueError as exc:
        raise TransientError(f"{label}: malformed JSON from the server") from exc


class _TextExtractor(HTMLParser):
    """Mastodon content is HTML: keep text and line breaks, drop tags, scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(content: str) -> str:
    """Plain text from Mastodon's status HTML (entities decoded, tags never interpreted)."""
    parser = _TextExtractor()
    parser.feed(content or "")
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def iso_to_epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
