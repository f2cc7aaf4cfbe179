"""Provides BlueskySession: one account's XRPC session, kept on disk, bound to that account.

Logins are rate limited (about 100 a day per account), so the session from
`com.atproto.server.createSession` is kept in `sessions/<account>.json` (mode 0600) and
refreshed with `refreshSession` when the PDS says the access token expired or cannot be
verified (`ExpiredToken`, `InvalidToken`). Only when refreshing fails is there a new login.

A stored session names the account it belongs to (service URL, identifier, DID); one that
does not match this account (the account was removed and another handle added under the
same name, or its service changed) is discarded, never used to read or post. A login that
the server refuses (a revoked app password) is not retried at every sync: the next try
waits 1 min, 2 min, 4 min ... up to 6 h, and until then each call fails at once with the
same message, without a request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from tuidesk.accounts import Account, session_file, write_private
from tuidesk.connectors.base import request_json
from tuidesk.errors import AuthError, RemoteError

#: Seconds before the first new login after a refused one; doubles up to LOGIN_BACKOFF_MAX.
LOGIN_BACKOFF = 60
LOGIN_BACKOFF_MAX = 6 * 3600
_TOKEN_ERRORS = ("ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthRequired")


def is_token_error(exc: AuthError | RemoteError) -> bool:
    """Whether the PDS refused the access token itself (so a refresh may help)."""
    if "scope" in exc.msg.lower():
        return False  # the token is fine, it just may not do this (DMs): no refresh helps
    return isinstance(exc, AuthError) or any(t in exc.msg for t in _TOKEN_ERRORS)


class BlueskySession:
    def __init__(self, account: Account, client: httpx.AsyncClient, base: str,
                 clock: Callable[[], float]) -> None:
        self.account = account
        self.client = client
        self.base = base
        self.clock = clock
        self.data: dict[str, Any] | None = None
        self.logins = 0
        """createSession calls made by this process (tests check the session is reused)."""

    @property
    def did(self) -> str:
        return str((self.data or {}).get("did", ""))

    # -- disk ------------------------------------------------------------------------------

    def _path_data(self) -> dict[str, Any]:
        path = session_file(self.account.name)
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _belongs_here(self, data: dict[str, Any]) -> bool:
        ident = self.account.handle.lower()
        return (data.get("service") == self.base
                and str(data.get("identifier", "")).lower() == ident)

    def _write(self, data: dict[str, Any]) -> None:
        write_private(session_file(self.account.name), json.dumps(data))

    def load(self) -> dict[str, Any] | None:
        """The stored session if it belongs to this account, else None (and it is dropped)."""
        data = self._path_data()
        if not data:
            return None
        if not self._belongs_here(data):
            session_file(self.account.name).unlink(missing_ok=True)
            return None
        return data if data.get("accessJwt") else None

    def _save(self, reply: dict[str, Any]) -> None:
        data: dict[str, Any] = {k: str(reply[k]) for k in
                                ("did", "handle", "accessJwt", "refreshJwt") if k in reply}
        if self.data and self.data.get("did") and data.get("did") != self.data["did"]:
            raise AuthError(f"{self.account.name}: the server answered for another account "
                            f"({data.get('did')}); the session was not kept.")
        data |= {"service": self.base, "identifier": self.account.handle}
        self.data = data
        self._write(data)

    # -- network ---------------------------------------------------------------------------

    def _refused_until(self) -> tuple[float, int, str]:
        data = self._path_data()
        if not self._belongs_here(data):
            return 0.0, 0, ""
        return (float(data.get("login_blocked_until") or 0), int(data.get("login_failures")
                                                                  or 0),
                str(data.get("login_error") or ""))

    async def login(self) -> None:
        """A new session (createSession), unless a refused login is still backing off.

        Raises:
            AuthError: the server refused the app password (now or within the backoff).
        """
        until, failures, error = self._refused_until()
        now = self.clock()
        if until > now:
            raise AuthError(f"{error} Next login attempt in {int(until - now) // 60 + 1} min; "
                            "fix the app password with `tuidesk account add` (it resets this).")
        self.logins += 1
        try:
            reply, _ = await request_json(
                self.client, "POST", f"{self.base}/xrpc/com.atproto.server.createSession",
                self.clock, json={"identifier": self.account.handle,
                                  "password": self.account.secret.reveal()})
        except AuthError as exc:
            wait = min(LOGIN_BACKOFF_MAX, LOGIN_BACKOFF * (1 << min(failures, 12)))
            message = f"{self.account.name}: login refused ({exc.msg})."
            self.data = None
            self._write({"service": self.base, "identifier": self.account.handle,
                         "login_failures": failures + 1, "login_blocked_until": now + wait,
                         "login_error": message})
            raise AuthError(message) from exc
        self.data = None  # a login may answer for any DID; the check is for refreshes
        self._save(reply)

    async def refresh(self) -> bool:
        if not self.data or not self.data.get("refreshJwt"):
            return False
        try:
            reply, _ = await request_json(
                self.client, "POST", f"{self.base}/xrpc/com.atproto.server.refreshSession",
                self.clock, headers={"Authorization": f"Bearer {self.data['refreshJwt']}"})
        except (AuthError, RemoteError):
            return False  # revoked or unverifiable: log in again
        self._save(reply)
        return True

    async def ensure(self) -> dict[str, Any]:
        if self.data is None:
            self.data = self.load()
            if self.data is None:
                await self.login()
        assert self.data is not None
        return self.data

    async def renew(self) -> None:
        """The access token was refused: refresh, else log in."""
        if not await self.refresh():
            await self.login()
