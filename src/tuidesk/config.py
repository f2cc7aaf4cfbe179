"""Provides Settings: the optional config file, validated (pydantic) into a frozen dataclass."""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from tuidesk.errors import ConfigError
from tuidesk.models.views import BUILTIN_NAMES, ViewFilter
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
    silent_after: int | None = None
    """Seconds without a new message after which a channel is flagged silent."""
    alert_webhook: str | None = None
    """URL told (through the webhook outbox) when a channel goes unhealthy or recovers."""
    breach_after: int | None = None
    """Seconds overdue after which a conversation is flagged as an SLA breach."""
    breach_escalate: str | None = None
    """Escalation target for a breached conversation (None: only flag it)."""
    views: tuple[ViewFilter, ...] = ()
    """Saved views ([views.NAME] tables), shown after the built-in ones."""
    agents: tuple[str, ...] = ()
    """The team's agents, offered when assigning (with everyone who has worked here)."""
    config_path: Path | None = None
    """The file these settings came from (errors about it name its lines)."""


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; every failure is one ConfigError line naming the file.

    Raises:
        ConfigError: unreadable, not UTF-8, or not TOML.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None


#: Pydantic's words for the common mistakes, in the file's own terms.
_PLAIN = {
    "model_type": "must be a table ([section] or { key = value })",
    "dict_type": "must be a table ([section] or { key = value })",
    "extra_forbidden": "is not a setting tuidesk knows (see the README's Configuration)",
    "list_type": 'must be a list, e.g. ["a", "b"]',
    "missing": "is required",
}


def validation_message(path: Path, exc: ValidationError, prefix: str = "") -> str:
    """`file: key.path: problem` for the first error (and how many more there are)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    key = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                           for p in first["loc"] if p != "[key]").lstrip(".")
    msg = _PLAIN.get(str(first["type"]), str(first["msg"]).removeprefix("Value error, "))
    given = first.get("input")
    shown = "" if isinstance(given, dict | list) or first["type"] == "missing" \
        else f" (got {given!r:.60})"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}: {key or 'file'}: {msg}{shown}{more}"


#: Names, handles, agents: one line of visible text.
_NAME = re.compile(r"[^\x00-\x20\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]{1,128}")


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError("must be 1-128 visible characters with no spaces or controls")
    return value


def check_url(value: str) -> str:
    """An http(s) URL with a host (a typo like 'http://[::1' is refused here, not later)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ValueError(f"is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value


Name = Annotated[str, AfterValidator(_name)]
Url = Annotated[str, AfterValidator(check_url)]
Minutes = Annotated[int, Field(gt=0, le=60 * 24 * 365)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Sla(_Section):
    first_response: dict[Literal["urgent", "high", "normal", "low"], Minutes] = {}
    next_response: dict[Literal["urgent", "high", "normal", "low"], Minutes] = {}
    business_hours: str | None = None
    business_days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = \
        Field(default=["mon", "tue", "wed", "thu", "fri"], min_length=1)
    timezone: str = "UTC"
    breach_after: Minutes | None = None
    """Minutes overdue after which a conversation is flagged `sla-breach` (once)."""
    breach_escalate: str | None = None
    """Escalation target a breached conversation goes to (once), if any."""

    @field_validator("business_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is None:
            return None
        m = re.fullmatch(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", value)
        if not m:
            raise ValueError("must look like 09:00-17:00")
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or end > 24 * 60:
            raise ValueError("has a time that is not on the clock")
        if start >= end:
            raise ValueError("must end after it starts")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception:  # noqa: BLE001 - any lookup failure means a bad name
            raise ValueError(f"{value!r} is not a known time zone") from None
        return value


class _Sync(_Section):
    interval: float = Field(default=60.0, ge=1, le=86400)
    stale_after: int = Field(default=120, ge=1, le=86400)
    silent_after: Minutes | None = None
    """Minutes without a new message after which a channel counts as silent (unhealthy)."""
    alert_webhook: Url | None = None
    """POSTed once when a channel goes unhealthy and once when it recovers."""


class _Escalation(_Section):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    holding_reply: str = ""
    webhook: Url | None = None
    headers: dict[str, str] = {}
    body: str = ""


class _View(_Section):
    title: Annotated[str, Field(max_length=40)] = ""
    status: list[Literal["new", "open", "pending", "snoozed", "escalated", "resolved"]] = []
    tag: list[Annotated[str, Field(min_length=1, max_length=64)]] = []
    network: list[Literal["mastodon", "bluesky", "twitter"]] = []
    brand: list[Name] = []
    agent: Name | None = None
    """'me', 'nobody' or an agent's name."""
    priority: list[Literal["urgent", "high", "normal", "low"]] = []
    overdue: bool = False
    query: Annotated[str, Field(max_length=200)] = ""
    sort: Literal["due", "newest", "oldest"] = "due"


_VIEW_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,23}")


class ConfigFile(_Section):
    """The shape of config.toml: unknown keys, wrong types and out-of-range values are
    refused with the key named (they were tracebacks, or silently misread)."""

    agent: Name | None = None
    brand_name: str = ""
    supervisors: list[Name] = []
    vip: list[Name] = []
    followup_days: int = Field(default=0, ge=0, le=365)
    sla: _Sla = _Sla()
    sync: _Sync = _Sync()
    keys: dict[str, str] = {}
    escalation: list[_Escalation] = []
    views: dict[str, _View] = {}
    agents: list[Name] = []


def _minutes(table: Mapping[Any, int]) -> dict[int, int]:
    return {PRIORITY_KEYS[k]: v * 60 for k, v in table.items()}


def _clock_minutes(hours: str | None) -> tuple[int, int] | None:
    if hours is None:
        return None
    start, end = hours.split("-")
    return tuple(int(t[:2]) * 60 + int(t[3:]) for t in (start, end))  # type: ignore[return-value]


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def load_settings(path: Path | None = None, agent: str | None = None) -> Settings:
    """Read the config file if it exists (it is optional).

    Raises:
        ConfigError: the file exists but is not valid (one line: file, key, problem).
    """
    path = path or config_file()
    data: dict[str, Any] = read_toml(path) if path.exists() else {}
    try:
        cfg = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(path, exc)) from None
    targets: tuple[EscalationTarget, ...] = DEFAULT_TARGETS
    if cfg.escalation:
        targets = tuple(EscalationTarget(name=t.name, holding_reply=t.holding_reply,
                                         webhook=t.webhook or "", headers=dict(t.headers),
                                         body=t.body) for t in cfg.escalation)
    names = [t.name for t in targets]
    if cfg.sla.breach_escalate is not None and cfg.sla.breach_escalate not in names:
        raise ConfigError(f"{path}: sla.breach_escalate: no escalation target "
                          f"{cfg.sla.breach_escalate!r} (use one of {', '.join(names)})")
    return Settings(
        views=_views(path, cfg.views), agents=tuple(cfg.agents), config_path=path,
        supervisors=tuple(cfg.supervisors), vip=tuple(cfg.vip),
        followup_days=cfg.followup_days,
        business_hours=_clock_minutes(cfg.sla.business_hours),
        business_days=tuple(sorted({DAYS.index(d) for d in cfg.sla.business_days})),
        timezone=cfg.sla.timezone, escalation_targets=targets,
        agent=agent or cfg.agent or default_agent(),
        first_response=_minutes(cfg.sla.first_response),
        next_response=_minutes(cfg.sla.next_response),
        keymap=dict(cfg.keys), brand_name=cfg.brand_name,
        sync_interval=cfg.sync.interval, sending_stale_after=cfg.sync.stale_after,
        silent_after=None if cfg.sync.silent_after is None else cfg.sync.silent_after * 60,
        alert_webhook=cfg.sync.alert_webhook,
        breach_after=None if cfg.sla.breach_after is None else cfg.sla.breach_after * 60,
        breach_escalate=cfg.sla.breach_escalate,
    )


def _views(path: Path, views: dict[str, _View]) -> tuple[ViewFilter, ...]:
    """[views.NAME] tables as filters; a name must not hide a built-in view."""
    out = []
    for name, v in views.items():
        if not _VIEW_NAME.fullmatch(name):
            raise ConfigError(f"{path}: views.{name}: a view's name is 1-24 lower-case "
                              "letters, digits, - or _ (it is typed in :view NAME)")
        if name in BUILTIN_NAMES:
            raise ConfigError(f"{path}: views.{name}: {name!r} is a built-in view; "
                              "choose another name")
        out.append(ViewFilter(
            name=name, title=v.title, statuses=tuple(v.status),
            tags=tuple(t.strip().lstrip("#").lower() for t in v.tag),
            networks=tuple(v.network), brands=tuple(v.brand), agent=v.agent,
            priorities=tuple(PRIORITY_KEYS[p] for p in v.priority), overdue=v.overdue,
            query=v.query.strip(), sort=v.sort))
    return tuple(out)
