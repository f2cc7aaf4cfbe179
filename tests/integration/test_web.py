"""`tuidesk web` over real HTTP and websockets on 127.0.0.1: no session, no app; sign-ins
checked and throttled; foreign origins, tampered and idle cookies refused; a signed-in
agent's app runs as that agent on the desk's database."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

pytest.importorskip("textual_serve")

from aiohttp import ClientSession, CookieJar, WSServerHandshakeError  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from tuidesk.config import Settings  # noqa: E402
from tuidesk.services import Services, open_services  # noqa: E402
from tuidesk.services.demo import seed_demo  # noqa: E402
from tuidesk.web.server import COOKIE, DeskServer  # noqa: E402

SECRET = "correct horse battery staple"


@pytest.fixture
def desk(tmp_path: Path) -> Services:
    svc = open_services(tmp_path / "web.db", Settings(agent="admin"))
    seed_demo(svc.ingest, svc.for_agent, 300, 7)
    svc.agents.add("alice", SECRET)
    yield svc
    svc.close()


async def serve(desk: Services, **kw: object) -> tuple[TestServer, DeskServer, str]:
    desk_server = DeskServer(desk.db_path, desk.agents, host="127.0.0.1", port=0, **kw)
    app = await desk_server._make_app()
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    base = f"http://127.0.0.1:{test_server.port}"
    desk_server.origin = base
    desk_server.public_url = base
    return test_server, desk_server, base


def browser(**kw: object) -> ClientSession:
    """A client that keeps cookies from 127.0.0.1 (aiohttp refuses IP hosts' by default)."""
    return ClientSession(cookie_jar=CookieJar(unsafe=True), **kw)  # type: ignore[arg-type]


async def sign_in(http: ClientSession, base: str, password: str = SECRET) -> int:
    async with http.post(f"{base}/login", data={"name": "alice", "password": password},
                         allow_redirects=False) as r:
        return r.status


async def test_no_session_no_app_and_sign_in_sets_a_strict_cookie(desk: Services) -> None:
    server, _, base = await serve(desk)
    try:
        async with browser() as http:
            async with http.get(f"{base}/", allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"] == "/login"
            with pytest.raises(WSServerHandshakeError) as refused:
                await http.ws_connect(f"{base}/ws", headers={"Origin": base})
            assert refused.value.status == 401
            assert await sign_in(http, base, "wrong password") == 401
            async with http.post(f"{base}/login", data={"name": "alice", "password": SECRET},
                                 allow_redirects=False) as r:
                assert r.status == 303
                cookie = r.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            assert SECRET not in cookie and "alice" not in cookie
            async with http.get(f"{base}/") as r:
                assert r.status == 200 and "/ws" in await r.text()
            async with http.post(f"{base}/logout", allow_redirects=False) as r:
                assert r.status == 303
            async with http.get(f"{base}/", allow_redirects=False) as r:
                assert r.status == 303
    finally:
        await server.close()


async def test_failed_sign_ins_are_throttled_over_http(desk: Services) -> None:
    server, _, base = await serve(desk)
    try:
        async with browser() as http:
            for _ in range(3):
                assert await sign_in(http, base, "guess-guess") == 401
            async with http.post(f"{base}/login", data={"name": "alice", "password": SECRET},
                                 allow_redirects=False) as r:
                assert r.status == 401 and "Too many failed sign-ins" in await r.text()
    finally:
        await server.close()


async def test_foreign_origin_tampered_and_idle_cookies_are_refused(desk: Services) -> None:
    server, desk_server, base = await serve(desk, idle=60)
    try:
        async with browser() as http:
            assert await sign_in(http, base) == 303
            with pytest.raises(WSServerHandshakeError) as foreign:
                await http.ws_connect(f"{base}/ws", headers={"Origin": "https://evil.example"})
            assert foreign.value.status == 403
            value = next(c.value for c in http.cookie_jar if c.key == COOKIE)
            sid, mac = value.split(".")
            forged = f"{sid[:-1]}{'A' if sid[-1] != 'A' else 'B'}.{mac}"
        async with browser(cookies={COOKIE: forged}) as other:
            async with other.get(f"{base}/", allow_redirects=False) as r:
                assert r.status == 303  # a changed id no longer matches its signature
        for session in desk_server.sessions.values():
            session.seen -= 61  # a minute past the idle limit
        async with browser(cookies={COOKIE: value}) as idle:
            async with idle.get(f"{base}/", allow_redirects=False) as r:
                assert r.status == 303
    finally:
        await server.close()


async def test_the_app_runs_as_the_signed_in_agent(desk: Services) -> None:
    server, desk_server, base = await serve(desk)
    try:
        async with browser() as http:
            assert await sign_in(http, base) == 303
            ws = await http.ws_connect(f"{base}/ws?width=100&height=30",
                                       headers={"Origin": base})
            await ws.send_json(["resize", {"width": 100, "height": 30}])
            received = 0
            deadline = time.monotonic() + 60
            present = ""
            while time.monotonic() < deadline and "alice" not in present:
                try:
                    msg = await asyncio.wait_for(ws.receive(), 1.0)
                    received += len(msg.data or b"") if msg.data else 0
                except TimeoutError:
                    pass
                present = ",".join(a for a, in desk._store.db.conn.execute(
                    "SELECT agent FROM presence"))
            assert received > 1000  # the app drew its screen into the websocket
            assert "alice" in present  # and it works as alice, on this desk
            assert desk_server.apps == 1
            await ws.close()
            for _ in range(200):  # the server stops the app's process
                if desk_server.apps == 0:
                    break
                await asyncio.sleep(0.05)
            assert desk_server.apps == 0
    finally:
        await server.close()


async def test_a_supervisor_signs_in_as_a_supervisor(desk: Services) -> None:
    desk.agents.add("kim", SECRET, supervisor=True)
    server, desk_server, base = await serve(desk)
    try:
        async with browser() as http:
            async with http.post(f"{base}/login", data={"name": "kim", "password": SECRET},
                                 allow_redirects=False) as r:
                assert r.status == 303
        assert [(s.agent, s.supervisor) for s in desk_server.sessions.values()] == [
            ("kim", True)]
    finally:
        await server.close()
    from tuidesk.cli import _parser, _settings

    args = _parser().parse_args(["--agent", "kim", "--as-supervisor"])
    assert "kim" in _settings(args).supervisors


async def test_past_the_cap_a_clear_refusal(desk: Services) -> None:
    server, _, base = await serve(desk, max_apps=0)
    try:
        async with browser() as http:
            assert await sign_in(http, base) == 303
            async with http.get(f"{base}/") as r:
                assert r.status == 503 and "try again later" in await r.text()
            with pytest.raises(WSServerHandshakeError) as full:
                await http.ws_connect(f"{base}/ws", headers={"Origin": base})
            assert full.value.status == 503
    finally:
        await server.close()
