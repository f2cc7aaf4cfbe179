"""Provides AgentService: the agents who sign in to `tuidesk web`, and checking a sign-in.

Passwords are hashed with scrypt (the standard library's, n=2^14, r=8, p=1, a 16-byte salt
per password) and compared in constant time; the clear text is never stored, logged or
returned. Failed sign-ins are throttled per agent: after 3 in a row each further attempt
waits twice as long as the last (2 s, 4 s … up to 15 minutes), and an attempt during the wait
is refused without checking the password, so guessing costs time whatever the attacker's
speed. A sign-in for an unknown name costs the same hashing as a known one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from tuidesk.errors import ActionError
from tuidesk.services.clock import Clock, system_clock
from tuidesk.store import Store

N, R, P, DKLEN = 2**14, 8, 1, 32
FREE_FAILURES = 3
MAX_WAIT = 15 * 60
MIN_PASSWORD = 10
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
#: Hashed for unknown names, so their refusal takes as long as a wrong password.
_DUMMY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "="


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=DKLEN)
    return "$".join(["scrypt", str(N), str(R), str(P), base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()])


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


class SignInRefused(ActionError):
    """Wrong name or password, or too many failures (the message says which, never whether
    the name exists)."""


class AgentService:
    def __init__(self, store: Store, clock: Clock = system_clock) -> None:
        self.store = store
        self.clock = clock

    @staticmethod
    def check_name(name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ActionError(f"Agent name {name!r}: 1-32 lower-case letters, digits, '.', "
                              "'_' or '-', starting with a letter or digit.")
        return name

    @staticmethod
    def check_new_password(password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise ActionError(f"A password needs at least {MIN_PASSWORD} characters.")

    def add(self, name: str, password: str, supervisor: bool = False) -> None:
        self.check_name(name)
        self.check_new_password(password)
        digest = hash_password(password)
        with self.store.write():
            if not self.store.agents.add(name, digest, supervisor, self.clock()):
                raise ActionError(f"There is already an agent {name!r} (agent passwd "
                                  "changes a password).")

    def passwd(self, name: str, password: str) -> None:
        self.check_new_password(password)
        digest = hash_password(password)
        with self.store.write():
            if not self.store.agents.set_hash(name, digest):
                raise ActionError(f"No agent {name!r}.")

    def remove(self, name: str) -> None:
        with self.store.write():
            if not self.store.agents.remove(name):
                raise ActionError(f"No agent {name!r}.")

    def listed(self) -> list[tuple[str, bool, int]]:
        return self.store.agents.listed()

    def sign_in(self, name: str, password: str) -> bool:
        """The agent's supervisor flag if `password` is theirs.

        Raises:
            SignInRefused: a wrong name or password, or an attempt while throttled.
        """
        now = self.clock()
        found = self.store.agents.credentials(name)
        if found is None:
            check_password(password, _DUMMY)  # as slow as a real check
            raise SignInRefused("Wrong name or password.", "Sign-in")
        digest, supervisor, failures, locked_until = found
        if locked_until > now:
            raise SignInRefused(f"Too many failed sign-ins: try again in "
                                f"{locked_until - now} s.", "Sign-in")
        if not check_password(password, digest):
            wait = 0 if failures + 1 < FREE_FAILURES else min(
                MAX_WAIT, 2 ** (failures + 2 - FREE_FAILURES))
            with self.store.write():
                self.store.agents.failed(name, now + wait)
            raise SignInRefused("Wrong name or password.", "Sign-in")
        if failures:
            with self.store.write():
                self.store.agents.succeeded(name)
        return supervisor
