"""Provides the brand accounts file: networks, handles and their secrets, mode 0600.

Secrets (Mastodon tokens, Bluesky app passwords and sessions) live only here, under the
platform config dir, never in the database. `Secret` keeps them out of reprs, logs and
tracebacks: only `reveal()` returns the value.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import tomlkit
import tomlkit.items
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from tuidesk.config import Url, read_toml, validation_message
from tuidesk.errors import ConfigError
from tuidesk.models import SEVERITY, SEVERITY_NAMES, KeywordRule
from tuidesk.paths import config_file


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


#: Account names appear in file names (sessions/NAME.json) and on the command line.
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _account_name(value: str) -> str:
    if not ACCOUNT_NAME.fullmatch(value):
        raise ValueError("must be letters, digits, '.', '_' or '-' (at most 64), like "
                         "acme-mastodon")
    return value


def clean_secret(value: str) -> str:
    """A token or app password as pasted: surrounding whitespace (a CRLF file's trailing
    \\r, a newline) is dropped; one with spaces or controls inside is refused.

    Raises:
        ConfigError: empty, or not one run of visible characters.
    """
    value = value.strip()
    if not value:
        raise ConfigError("The secret is empty.")
    if not _NAME_OR_SECRET.fullmatch(value):
        raise ConfigError("The secret has spaces or control characters inside: paste only "
                          "the token (or app password) itself.")
    return value


_NAME_OR_SECRET = re.compile(r"[\x21-\x7e]{1,4096}")


class _Keyword(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    term: Annotated[str, Field(min_length=1, max_length=200)]
    severity: Literal["low", "medium", "high"] = "low"


class _AccountEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    network: Literal["mastodon", "bluesky"]
    base_url: Url
    handle: Annotated[str, Field(max_length=256)] = ""
    secret: Annotated[str, Field(max_length=4096)] = ""
    keywords: list[_Keyword] = []


class _AccountsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    account: dict[Annotated[str, AfterValidator(_account_name)], _AccountEntry] = {}


def load_accounts(path: Path | None = None) -> dict[str, Account]:
    """Read accounts; environment variables TUIDESK_SECRET_<NAME> override stored secrets.

    Raises:
        ConfigError: the file is unreadable or malformed (one line: file, key, problem).
    """
    path = path or accounts_file()
    if not path.exists():
        return {}
    data = read_toml(path)
    try:
        parsed = _AccountsFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(path, exc)) from None
    out: dict[str, Account] = {}
    for name, entry in parsed.account.items():
        rules = tuple(KeywordRule(brand=name, term=k.term, severity=SEVERITY[k.severity])
                      for k in entry.keywords)
        env = os.environ.get("TUIDESK_SECRET_" + name.upper().replace("-", "_")
                             .replace(".", "_"))
        out[name] = Account(name=name, network=entry.network, base_url=entry.base_url,
                            handle=entry.handle, secret=Secret((env or entry.secret).strip()),
                            keywords=rules)
    return out


def _entry(a: Account) -> tomlkit.items.Table:
    names = SEVERITY_NAMES
    table = tomlkit.table()
    table.update({"network": a.network, "base_url": a.base_url, "handle": a.handle,
                  "secret": a.secret.reveal()})
    if a.keywords:
        rules = tomlkit.array()
        for r in a.keywords:
            rule = tomlkit.inline_table()
            rule.update({"term": r.term, "severity": names.get(r.severity, "low")})
            rules.append(rule)
        table["keywords"] = rules
    return table


def _document(path: Path) -> tomlkit.TOMLDocument:
    """The file as an editable document (comments kept); a new one if there is none."""
    if not path.exists():
        doc = tomlkit.document()
        doc.add(tomlkit.comment("tuidesk accounts: holds secrets. Keep this file private "
                                "(mode 0600)."))
        return doc
    read_toml(path)  # one clear line if it is not TOML at all
    return tomlkit.parse(path.read_text(encoding="utf-8"))


def add_account(account: Account, path: Path | None = None) -> Path:
    """Add or replace one account, checked first; written atomically, mode 0600.

    Raises:
        ConfigError: a value that would not read back (the file is left as it was).
    """
    path = path or accounts_file()
    doc = _document(path)
    accounts = doc.setdefault("account", tomlkit.table(is_super_table=True))
    accounts[account.name] = _entry(account)
    text = tomlkit.dumps(doc)
    try:
        _AccountsFile.model_validate(tomllib.loads(text))
    except ValidationError as exc:
        raise ConfigError(validation_message(path, exc)) from None
    write_private(path, text)
    return path


def remove_account(name: str, path: Path | None = None) -> bool:
    """Remove one account without judging the others (a bad entry never blocks this)."""
    path = path or accounts_file()
    if not path.exists():
        return False
    doc = _document(path)
    accounts = doc.get("account")
    if not isinstance(accounts, dict) or name not in accounts:
        return False
    del accounts[name]
    write_private(path, tomlkit.dumps(doc))
    return True


def session_file(account: str) -> Path:
    """Where a Bluesky session (access/refresh tokens) is kept between runs (mode 0600)."""
    return config_file().parent / "sessions" / f"{account}.json"


def private_dir(path: Path) -> None:
    """Create a directory that holds secrets as 0700 (and tighten one an older tuidesk made
    0755)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        os.chmod(path, 0o700)


def write_private(path: Path, text: str) -> None:
    """Write a secret-holding file atomically: a 0600 temp file, fsync, rename, fsync dir.

    A crash at any point leaves either the old file or the new one, never a torn one.
    """
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def describe(accounts: dict[str, Account]) -> list[dict[str, Any]]:
    """What `tuidesk account list` prints: never the secret."""
    return [{"name": a.name, "network": a.network, "base_url": a.base_url, "handle": a.handle,
             "secret": "set" if a.secret else "missing",
             "keywords": [r.term for r in a.keywords]} for a in accounts.values()]
