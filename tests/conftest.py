"""Shared fixtures: isolated dirs and env, a fixed clock, stores and services on temp files."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import NOW
from tuidesk.config import Settings
from tuidesk.services import Services, open_services
from tuidesk.services.clock import FixedClock
from tuidesk.services.demo import seed_demo


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing a test does touches the real home, config or database."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    monkeypatch.setenv("TUIDESK_CONFIG_FILE", str(tmp_path / "config.toml"))
    monkeypatch.setenv("TUIDESK_DB", str(tmp_path / "default.db"))
    monkeypatch.setenv("USER", "tester")
    monkeypatch.delenv("TUIDESK_AGENT", raising=False)
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.delenv("NO_COLOR")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def services(tmp_path: Path, clock: FixedClock) -> Services:
    svc = open_services(tmp_path / "t.db", Settings(agent="tester"), clock)
    yield svc
    svc.close()


@pytest.fixture
def demo_services(tmp_path: Path, clock: FixedClock) -> Services:
    """Services over the deterministic demo data (2,000 messages)."""
    svc = open_services(tmp_path / "demo.db", Settings(agent="tester"), clock)
    seed_demo(svc.ingest, svc.for_agent, 2000, 7)
    yield svc
    svc.close()
