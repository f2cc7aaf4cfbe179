"""Provides DeskServer: the app in a browser (textual-serve), one process per signed-in agent.

textual-serve runs a command per websocket and has no notion of who is on the other end:
everyone who reached the port was the serve command's single agent. Here:

- `/login` checks the name and password (AgentService: scrypt, throttled) and sets a session
  cookie: a random id and its HMAC, HttpOnly, SameSite=Strict, Secure behind https, expiring
  after `idle` seconds without use; `/logout` ends it. Sessions live in this process only.
- `/` and `/ws` need a live session; `/ws` also needs the page's own Origin (a page on
  another site cannot drive a signed-in agent's app: cross-site WebSocket hijacking).
- Each websocket runs `tuidesk --agent NAME` on the desk's database, at most `max_apps` at
  once (past that the page says so).
- Nothing secret or customer-written reaches the log: no tracebacks with local variables.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
import secrets
import shlex
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from tuidesk.errors import TuideskError
from tuidesk.services.agents import AgentService

COOKIE = "tuidesk_session"
log = logging.getLogger("tuidesk.web")

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tuidesk: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:monospace;background:#1e1e1e;color:#ddd;display:flex;
justify-content:center;margin-top:15vh}}form{{display:grid;gap:.6em;width:22em}}
input,button{{font:inherit;padding:.4em}}.error{{color:#f66}}</style></head>
<body><form method="post" action="login"><h1>tuidesk</h1>
<p class="error">{error}</p>
<label>Agent <input name="name" autocomplete="username" autofocus required></label>
<label>Password <input name="password" type="password" autocomplete="current-password"
required></label><button type="submit">Sign in</button></form></body></html>
"""


@dataclass
class Session:
    agent: str
    seen: float
    supervisor: bool = False


class DeskServer(Server):
    def __init__(self, db_path: str, agents: AgentService, host: str = "127.0.0.1",
                 port: int = 8000, public_url: str | None = None, idle: int = 8 * 3600,
                 max_apps: int = 20) -> None:
        super().__init__(command="tuidesk", host=host, port=port, title="tuidesk",
                         public_url=public_url)
        self.db_path = db_path
        self.agents = agents
        self.idle = idle
        self.max_apps = max_apps
        self.apps = 0
        self.sessions: dict[str, Session] = {}
        self._key = secrets.token_bytes(32)
        parts = urlsplit(self.public_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.secure = parts.scheme == "https"

    def initialize_logging(self) -> None:
        # textual-serve's handler prints tracebacks with local variables: a password or a
        # customer's message could be one of them.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    # -- sessions ------------------------------------------------------------------------

    def _sign(self, sid: str) -> str:
        return hmac.new(self._key, sid.encode(), hashlib.sha256).hexdigest()

    def cookie_for(self, agent: str, supervisor: bool = False) -> str:
        sid = secrets.token_urlsafe(32)
        self.sessions[sid] = Session(agent, time.monotonic(), supervisor)
        return f"{sid}.{self._sign(sid)}"

    def session(self, request: web.Request) -> Session | None:
        """The request's live session (its idle time restarts), or None."""
        value = request.cookies.get(COOKIE, "")
        sid, _, mac = value.partition(".")
        if not sid or not hmac.compare_digest(mac, self._sign(sid)):
            return None
        found = self.sessions.get(sid)
        now = time.monotonic()
        if found is None or now - found.seen > self.idle:
            self.sessions.pop(sid, None)
            return None
        found.seen = now
        return found

    def _set_cookie(self, response: web.StreamResponse, value: str) -> None:
        response.set_cookie(COOKIE, value, httponly=True, samesite="Strict",
                            secure=self.secure, path="/", max_age=self.idle)

    # -- routes ------------------------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/login", self.handle_login_page)
        app.router.add_post("/login", self.handle_login)
        app.router.add_post("/logout", self.handle_logout)
        return app

    async def handle_login_page(self, request: web.Request) -> web.Response:
        return web.Response(text=LOGIN_PAGE.format(error=""), content_type="text/html")

    async def handle_login(self, request: web.Request) -> web.Response:
        form = await request.post()
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        try:
            supervisor = self.agents.sign_in(name, password)
        except TuideskError as exc:
            log.info("sign-in refused")  # never the name typed or the password
            return web.Response(text=LOGIN_PAGE.format(error=html.escape(exc.msg)),
                                content_type="text/html", status=401)
        log.info("sign-in: %s", name)  # a known agent's name (checked above)
        response = web.HTTPSeeOther(location="/")
        self._set_cookie(response, self.cookie_for(name, supervisor))
        raise response

    async def handle_logout(self, request: web.Request) -> web.Response:
        sid = request.cookies.get(COOKIE, "").partition(".")[0]
        self.sessions.pop(sid, None)
        response = web.HTTPSeeOther(location="/login")
        response.del_cookie(COOKIE, path="/")
        raise response

    async def handle_index(self, request: web.Request) -> Any:
        if self.session(request) is None:
            raise web.HTTPSeeOther(location="/login")
        if self.apps >= self.max_apps:  # said on the page: the app's socket would just fail
            raise web.HTTPServiceUnavailable(
                text=f"{self.max_apps} agents are working here already; try again later.")
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        found = self.session(request)
        if found is None:
            raise web.HTTPUnauthorized(text="Sign in first.")
        if request.headers.get("Origin") != self.origin:
            log.warning("websocket refused: foreign origin")
            raise web.HTTPForbidden(text="This page's own origin only.")
        if self.apps >= self.max_apps:
            raise web.HTTPServiceUnavailable(
                text=f"{self.max_apps} agents are working here already; try again later.")
        command = " ".join(shlex.quote(a) for a in [
            sys.executable, "-m", "tuidesk", "--db", self.db_path, "--agent", found.agent,
            *(["--as-supervisor"] if found.supervisor else [])])
        self.apps += 1
        websocket = web.WebSocketResponse(heartbeat=15)
        service: AppService | None = None
        try:
            await websocket.prepare(request)
            service = AppService(
                command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                close=websocket.close,  # type: ignore[arg-type]
                download_manager=self.download_manager)
            await service.start(to_int(request.query.get("width", "80"), 80),
                                to_int(request.query.get("height", "24"), 24))
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as exc:  # noqa: BLE001 - one line, no locals (they may hold text)
            log.error("app session ended: %s", type(exc).__name__)
        finally:
            if service is not None:
                await service.stop()
                # textual-serve leaves the app's stdin pipe to the garbage collector, which
                # may run after the loop has closed ("Event loop is closed").
                process = getattr(service, "_process", None)
                transport = getattr(process, "_transport", None)
                if transport is not None:
                    transport.close()
            self.apps -= 1
        return websocket
