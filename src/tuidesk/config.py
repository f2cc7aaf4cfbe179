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
class EscalationTarget:
    name: str
    """Shown in the escalation modal, e.g. 'tier 3', 'field technician'."""
    holding_reply: str = ""
    """Offered to the customer after escalating; {customer}, {agent}, {brand} are filled in."""
    webhook: str = ""
    """If set, the escalation is POSTed here (durable outbox, retried)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Webhook headers; a value 'env:NAME' is read from the environment when sending."""
    body: str = ""
    """JSON template; {conversation_id}, {customer}, {reason}, {agent}, {target}, {text},
    {url} are replaced by JSON-escaped values. Default: all of them as one object."""


DEFAULT_TARGETS = (
    EscalationTarget("tier 2", "Hi {customer}, I've passed this to our second-line team; "
                     "they will get back to you here within a day. {agent}, {brand}"),
    EscalationTarget("tier 3", "Hi {customer}, our specialist team is now looking into this; "
                     "we'll update you here as soon as they report back. {agent}, {brand}"),
    EscalationTarget("phone callback", "Hi {customer}, we'll call you back on the number on "
                     "your account within 24 hours. {agent}, {brand}"),
    EscalationTarget("field technician", "Hi {customer}, I've asked for a technician visit; "
                     "you'll get the appointment by e-mail. {agent}, {brand}"),
)


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
    supervisors: tuple[str, ...] = ()
    """Agents who may take over or reassign conversations other agents hold."""
    vip: tuple[str, ...] = ()
    """Customer handles treated as VIP (raises priority)."""
    followup_days: int = 0
    """Days after resolving to bring a conversation back for a satisfaction check (0: off)."""
    business_hours: tuple[int, int] | None = None
    """SLA clock runs only between these minutes of the day (e.g. (540, 1020) = 09:00-17:00)."""
    business_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Weekdays the SLA clock runs (0 = Monday)."""
    timezone: str = "UTC"
    """Time zone for business hours."""
    escalation_targets: tuple[EscalationTarget, ...] = DEFAULT_TARGETS


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
    sla_hours = None
    if sla.get("business_hours"):
        try:
            start, end = str(sla["business_hours"]).split("-")
            to_min = [int(x.split(":")[0]) * 60 + int(x.split(":")[1]) for x in (start, end)]
            sla_hours = (to_min[0], to_min[1])
        except (ValueError, IndexError):
            raise ConfigError(f"{path}: [sla] business_hours must look like 09:00-17:00") \
                from None
    days_map = {d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
    days = tuple(days_map[d] for d in sla.get("business_days", ["mon", "tue", "wed", "thu",
                                                                 "fri"]) if d in days_map)
    targets = DEFAULT_TARGETS
    if data.get("escalation"):
        try:
            targets = tuple(EscalationTarget(
                name=str(t["name"]), holding_reply=str(t.get("holding_reply", "")),
                webhook=str(t.get("webhook", "")), headers=dict(t.get("headers", {})),
                body=str(t.get("body", ""))) for t in data["escalation"])
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"{path}: [[escalation]] needs a name ({exc})") from exc
    tz = str(sla.get("timezone", "UTC"))
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - any lookup failure means a bad name
        raise ConfigError(f"{path}: [sla] timezone {tz!r} is not a known time zone") from None
    return Settings(
        supervisors=tuple(str(s) for s in data.get("supervisors", [])),
        vip=tuple(str(s) for s in data.get("vip", [])),
        followup_days=int(data.get("followup_days", 0)),
        business_hours=sla_hours, business_days=days, timezone=tz,
        escalation_targets=targets,
        agent=agent or str(data.get("agent") or default_agent()),
        first_response=_minutes(sla.get("first_response"), "first_response"),
        next_response=_minutes(sla.get("next_response"), "next_response"),
        keymap=dict(keymap),
        brand_name=str(data.get("brand_name", "")),
        sync_interval=float(data.get("sync", {}).get("interval", 60.0)),
        sending_stale_after=int(data.get("sync", {}).get("stale_after", 120)),
    )
