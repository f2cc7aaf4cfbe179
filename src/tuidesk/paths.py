"""Provides the platform paths tuidesk uses (platformdirs), overridable by environment."""

from __future__ import annotations

import os
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


def demo_db_path() -> Path:
    """Where `tuidesk demo` keeps its generated database (kept so demo work survives restarts)."""
    return data_dir() / "demo.db"
