"""Provides the platform paths tuidesk uses (platformdirs), overridable by environment."""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

APP = "tuidesk"


def data_dir() -> Path:
    """The user data directory (holds the default database)."""
    return Path(platformdirs.user_data_dir(APP))


def state_dir() -> Path:
    """The user state directory (holds crash.log)."""
    return Path(platformdirs.user_state_dir(APP))


def config_file() -> Path:
    """The config file: `TUIDESK_CONFIG_FILE` or `<user config dir>/config.toml`."""
    env = os.environ.get("TUIDESK_CONFIG_FILE")
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def default_db_path() -> Path:
    """The database: `TUIDESK_DB` or `<user data dir>/tuidesk.db`."""
    env = os.environ.get("TUIDESK_DB")
    if env:
        return Path(env)
    return data_dir() / "tuidesk.db"


#: `scheme://…`: a server's address, not a file (a Windows path is `C:\…`, one letter).
_URL = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]+)://")


def server_scheme(location: str) -> str | None:
    """The scheme of `location` if it is a server's URL (`postgresql://kim@db/desk`), else
    None. Only the scheme: the rest may hold a password, which must not be echoed."""
    m = _URL.match(location.strip())
    return m[1] if m else None


def demo_db_path() -> Path:
    """Where `tuidesk demo` keeps its generated database (kept so demo work survives restarts)."""
    return data_dir() / "demo.db"
