"""Provides Settings: the optional TOML config file, validated into frozen dataclasses."""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuidesk.errors import ConfigError
from tuidesk.paths import config_file

PRIORITY_KEYS = {"urgent": 1, "high": 2, "normal": 3, "low": 4}


def default_agent() -> str:
    """The login user, which is who an agent is unless `--agent` or config says otherwise."""
    for var in ("TUIDESK_AGENT", "USER", "LOGNAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "agent"


@dataclass(frozen=True)
class Settings:
    agent: str = field(default_factory=default_agent)
    """Who is working: shown on claims, notes and audit events."""
    first_response: dict[int, int] = field(default_factory=dict)
    """SLA overrides: priority (1-4) -> seconds to first response."""
    next_response: dict[int, int] = field(default_factory=dict)
    """SLA overrides: priority (1-4) -> seconds to answer a follow-up."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, e.g. {"queue.claim": "c"}; see the README's key table."""
    brand_name: str = ""
    """Name used for {brand} in saved replies when a conversation's brand has none."""
    sync_interval: float = 60.0
    """Seconds between background syncs in the app."""
    sending_stale_after: int = 120
    """Seconds after which a reply left in 'sending' by a dead process is tried again."""


def _minutes(section: Any, name: str) -> dict[int, int]:
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigError(f"[sla.{name}] must be a table of priority = minutes")
    out = {}
    for key, value in section.items():
        if key not in PRIORITY_KEYS or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"[sla.{name}] {key} = {value!r}: use urgent/high/normal/low "
                              "= positive minutes")
        out[PRIORITY_KEYS[key]] = value * 60
    return out


def load_settings(path: Path | None = None, agent: str | None = None) -> Settings:
    """Read the config file if it exists (it is optional).

    Raises:
        ConfigError: the file exists but is not valid.
    """
    path = path or config_file()
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    sla = data.get("sla", {})
    keymap = data.get("keys", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise ConfigError(f"{path}: [keys] must map binding ids to key names")
    return Settings(
        agent=agent or str(data.get("agent") or default_agent()),
        first_response=_minutes(sla.get("first_response"), "first_response"),
        next_response=_minutes(sla.get("next_response"), "next_response"),
        keymap=dict(keymap),
        brand_name=str(data.get("brand_name", "")),
        sync_interval=float(data.get("sync", {}).get("interval", 60.0)),
        sending_stale_after=int(data.get("sync", {}).get("stale_after", 120)),
    )
