"""A failing and a silent channel: flagged in the top bar at 80x24 (with a worker holding the
desk, so the app does not sync itself), and by `tuidesk status --json` with a non-zero exit."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from fakes import FakeConnector
from tuidesk.config import Settings
from tuidesk.errors import TransientError
from tuidesk.services import Services, open_services
from tuidesk.services.clock import FixedClock
from tuidesk.services.demo import seed_demo


def desk(tmp_path: Path, clock: FixedClock, synced: bool = True) -> Services:
    quiet = FakeConnector("acme-mastodon", "acme_support")
    broken = FakeConnector("nimbus-bluesky", "nimbusair")
    broken.network = "bluesky"
    broken.fail_fetch = TransientError("GET /xrpc/app.bsky.notification.listNotifications: "
                                       "502 UpstreamFailure")
    svc = open_services(tmp_path / "h.db", replace(Settings(agent="tester"),
                                                    silent_after=3600), clock,
                        connectors=[quiet, broken])
    seed_demo(svc.ingest, svc.for_agent, 300, 7)
    if synced:
        asyncio.run(svc.sync.run_once())
        settle(svc, clock)
    return svc


def settle(svc: Services, clock: FixedClock) -> None:
    clock.advance(2 * 3600)  # the quiet channel has heard nothing for two hours
    with svc._store.write():  # a worker holds the desk: the app leaves syncing to it
        svc._store.leases.acquire("desk", "worker test:1", float(clock()), 10**9)


@pytest.mark.parametrize("size", [(80, 24)])
def test_snapshot_failing_and_silent_channels_at_80x24(snap_compare, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                       clock: FixedClock,
                                                       size: tuple[int, int]) -> None:
    from tuidesk.cli import make_app

    svc = desk(tmp_path, clock)
    assert {h.account: h.state for h in svc.channel_health()} == {
        "acme-mastodon": "silent", "nimbus-bluesky": "failing"}
    assert snap_compare(make_app(svc), terminal_size=size)


async def test_one_unhealthy_channel_is_named_in_the_top_bar(tmp_path: Path,
                                                            clock: FixedClock) -> None:
    from tuidesk.cli import make_app
    from tuidesk.ui.widgets.view_bar import ViewBar

    svc = desk(tmp_path, clock, synced=False)
    await svc.sync.run_once()
    settle(svc, clock)
    with svc._store.write():  # the failing one recovers: only the silent one is left
        svc._store.channels.record_sync("nimbus-bluesky", clock(), None, 3)
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        bar = str(app.screen.query_one(ViewBar).render())
        assert "◌ acme-mastodon: silent" in bar


def test_status_json_names_them_and_exits_non_zero(tmp_path: Path, clock: FixedClock,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from tuidesk.cli import main

    svc = desk(tmp_path, clock)
    svc.close()
    (tmp_path / "config.toml").write_text("[sync]\nsilent_after = 60\n")
    assert main(["--db", str(tmp_path / "h.db"), "status", "--json"], clock=clock) == 1
    data = json.loads(capsys.readouterr().out)
    states = {c["account"]: c["state"] for c in data["channels"]}
    assert states == {"acme-mastodon": "silent", "nimbus-bluesky": "failing"}
    assert data["worker"] == "worker test:1" and data["healthy"] is False
    failing = next(c for c in data["channels"] if c["state"] == "failing")
    assert failing["failures"] == 1 and "502" in failing["detail"]
