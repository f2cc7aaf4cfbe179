"""Provides the brand accounts file: networks, handles and their secrets, mode 0600.

Secrets (Mastodon tokens, Bluesky app passwords and sessions) live only here, under the
platform config dir, never in the database. `Secret` keeps them out of reprs, logs and
tracebacks: only `reveal()` returns the value.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tuidesk.errors import ConfigError
from tuidesk.models import KeywordRule
from tuidesk.paths import config_file

SEVERITY = {"low": 1, "medium": 2, "high": 3}


class Secret:
    """A string that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Account:
    name: str
    """Short name used on the command line, e.g. 'acme-mastodon'."""
    network: str
    """'mastodon' or 'bluesky'."""
    base_url: str
    """Mastodon instance URL, or the Bluesky PDS / entryway (default https://bsky.social)."""
    handle: str
    """The brand's own handle (Mastodon acct, Bluesky handle)."""
    secret: Secret = field(default_factory=lambda: Secret(""))
    """Mastodon access token or Bluesky app password."""
    keywords: tuple[KeywordRule, ...] = ()


def accounts_file() -> Path:
    """`accounts.toml` beside the config file."""
    return config_file().parent / "accounts.toml"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_accounts(path: Path | None = None) -> dict[str, Account]:
    """Read accounts; environment variables TUIDESK_SECRET_<NAME> override stored secrets.

    Raises:
        ConfigError: the file is unreadable or malformed.
    """
    path = path or accounts_file()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    out: dict[str, Account] = {}
    for name, section in data.get("account", {}).items():
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [account.{name}] must be a table")
        try:
            rules = tuple(
                KeywordRule(brand=name, term=str(k["term"]),
                            severity=SEVERITY.get(str(k.get("severity", "low")), 1))
                for k in section.get("keywords", []))
            env = os.environ.get("TUIDESK_SECRET_" + name.upper().replace("-", "_"))
            out[name] = Account(
                name=name, network=str(section["network"]), base_url=str(section["base_url"]),
                handle=str(section.get("handle", "")),
                secret=Secret(env or str(section.get("secret", ""))), keywords=rules)
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"{path}: [account.{name}] is missing {exc}") from exc
    return out


def save_accounts(accounts: dict[str, Account], path: Path | None = None) -> Path:
    """Write the file with mode 0600 (created so, never world-readable even briefly)."""
    path = path or accounts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# tuidesk accounts: holds secrets. Keep this file private (mode 0600).", ""]
    for a in accounts.values():
        lines += [f"[account.{_quote(a.name)}]", f"network = {_quote(a.network)}",
                  f"base_url = {_quote(a.base_url)}", f"handle = {_quote(a.handle)}",
                  f"secret = {_quote(a.secret.reveal())}"]
        if a.keywords:
            names = {v: k for k, v in SEVERITY.items()}
            items = ", ".join(f"{{ term = {_quote(r.term)}, severity = "
                              f"{_quote(names.get(r.severity, 'low'))} }}" for r in a.keywords)
            lines.append(f"keywords = [{items}]")
        lines.append("")
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def with_handle(account: Account, handle: str) -> Account:
    return replace(account, handle=handle)


def session_file(account: str) -> Path:
    """Where a Bluesky session (access/refresh tokens) is kept between runs (mode 0600)."""
    return config_file().parent / "sessions" / f"{account}.json"


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def describe(accounts: dict[str, Account]) -> list[dict[str, Any]]:
    """What `tuidesk account list` prints: never the secret."""
    return [{"name": a.name, "network": a.network, "base_url": a.base_url, "handle": a.handle,
             "secret": "set" if a.secret else "missing",
             "keywords": [r.term for r in a.keywords]} for a in accounts.values()]
