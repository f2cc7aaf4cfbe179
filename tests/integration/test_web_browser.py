"""`tuidesk web` in a real headless browser (Debian's chromium, driven by Playwright): sign
in, work the queue by keyboard, be seen by a terminal agent; two browsers racing to claim.

Skipped when chromium or Playwright is missing, unless TUIDESK_REQUIRE_BROWSER=1 (.ci/run
installs both and sets it). The screenshot is kept in test-artifacts/ at the repository root.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("textual_serve")

from aiohttp.test_utils import TestServer  # noqa: E402

from support import queue_screen, settle  # noqa: E402
from tuidesk.config import Settings  # noqa: E402
from tuidesk.services import Services, open_services  # noqa: E402
from tuidesk.services.demo import seed_demo  # noqa: E402
from tuidesk.ui.app import TuideskApp  # noqa: E402
from tuidesk.ui.widgets.conversation_detail import ConversationDetail  # noqa: E402
from tuidesk.web.server import DeskServer  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("TUIDESK_REQUIRE_BROWSER") == "1"
if not REQUIRED:
    pytest.importorskip("playwright")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (.ci/run installs it)", allow_module_level=True)

from playwright.async_api import Page, async_playwright  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = {"alice": "alice-password-1", "bob": "bob-password-22"}


@pytest.fixture
def desk(tmp_path: Path) -> Services:
    svc = open_services(tmp_path / "web.db", Settings(agent="admin"))
    seed_demo(svc.ingest, svc.for_agent, 300, 7)
    for name, password in PASSWORD.items():
        svc.agents.add(name, password)
    yield svc
    svc.close()


async def started(desk: Services) -> tuple[TestServer, str]:
    server = DeskServer(desk.db_path, desk.agents, host="127.0.0.1", port=0)
    test_server = TestServer(await server._make_app(), host="127.0.0.1")
    await test_server.start_server()
    base = f"http://127.0.0.1:{test_server.port}"
    server.origin = server.public_url = base
    return test_server, base


def present(desk: Services) -> dict[str, int]:
    return {a: c for a, c in desk._store.db.conn.execute(
        "SELECT agent, conversation_id FROM presence")}


#: Where a click gives the terminal the keyboard without choosing anything: the top bar (a
#: click in the queue selects the row under it, and `c` then claimed another conversation).
TOP_BAR = (600, 5)


async def until(condition: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


async def sign_in(page: Page, base: str, name: str) -> None:
    await page.goto(f"{base}/")
    assert page.url.endswith("/login")  # no session: no app
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", PASSWORD[name])
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/")


async def test_alice_claims_in_the_browser_and_bob_sees_it_in_his_terminal(
        desk: Services) -> None:
    server, base = await started(desk)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM)
            page = await browser.new_page(viewport={"width": 1200, "height": 800})
            await sign_in(page, base, "alice")
            await until(lambda: "alice" in present(desk), "alice's app is running")
            target = present(desk)["alice"]  # the conversation her queue opens on
            await page.mouse.click(*TOP_BAR)  # the terminal takes the keys
            await page.keyboard.press("c")
            await until(lambda: desk.inbox.row(target).assignee == "alice",  # type: ignore
                        "the claim by keyboard")
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "web-alice-claimed.png"))
            await browser.close()
    finally:
        await server.close()
    bob = TuideskApp(open_services(desk.db_path, Settings(agent="bob")))
    async with bob.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")  # All: the claimed conversation is there
        screen = queue_screen(bob)
        assert screen.select_conversation(target)
        await settle(pilot)
        shown = str(screen.query_one(ConversationDetail).body.render())
        assert "assigned alice" in shown
        await pilot.press("c")
        await pilot.pause()
        assert any("Already claimed by alice" in n.message for n in bob._notifications)
    bob.services.close()
    assert (ARTIFACTS / "web-alice-claimed.png").stat().st_size > 10_000


async def test_two_browsers_race_to_claim_and_exactly_one_wins(desk: Services) -> None:
    server, base = await started(desk)
    try:
        async with async_playwright() as pw:
            # A browser each, as two agents on two laptops: in one browser only the page in
            # front has the keyboard's focus.
            browsers, pages = [], {}
            for name in PASSWORD:
                browsers.append(browser := await pw.chromium.launch(executable_path=CHROMIUM))
                pages[name] = await browser.new_page(viewport={"width": 1200, "height": 800})
                await sign_in(pages[name], base, name)
            await until(lambda: set(PASSWORD) <= set(present(desk)), "both apps running")
            target = present(desk)["alice"]
            assert present(desk)["bob"] == target  # both queues open on the same one
            for page in pages.values():
                await page.mouse.click(*TOP_BAR)
            await asyncio.sleep(1)  # both apps have drawn their queue and take keys
            await asyncio.gather(*(page.keyboard.press("c") for page in pages.values()))
            try:
                await until(lambda: desk.inbox.row(target).assignee is not None,  # type: ignore
                            "a claim")
            finally:
                ARTIFACTS.mkdir(exist_ok=True)
                for name, page in pages.items():
                    await page.screenshot(path=str(ARTIFACTS / f"web-race-{name}.png"))
            await asyncio.sleep(2)  # the loser's attempt has landed too
            claims = [e for e in desk.inbox.events(conversation_id=target)
                      if e.action == "claim"]
            assert len(claims) == 1
            assert desk.inbox.row(target).assignee == claims[0].agent  # type: ignore
            for browser in browsers:
                await browser.close()
    finally:
        await server.close()
