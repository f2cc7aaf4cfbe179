"""App benchmarks: start to first painted queue, and per-keystroke cost, at a given DB.

Run: python benchmarks/app_bench.py DB [DB ...]   (prints one JSON line per DB)

"Keystroke cost" is the work a key triggers in tuidesk: the action, the store queries it
makes, and rendering every visible line of the queue and the detail pane. Textual's own
compositing cost is the same at any database size, so it is measured separately with Pilot
(press + wait for the screen to be idle), which includes Textual's per-key test overhead.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

from tuidesk.cli import make_app
from tuidesk.config import Settings
from tuidesk.services import open_services
from tuidesk.ui.screens.queue import QueueScreen
from tuidesk.ui.widgets.conversation_detail import ConversationDetail
from tuidesk.ui.widgets.queue_list import QueueList

SIZE = (120, 40)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


async def measure(db: str, repeats: int = 200, view: str = "inbox", rounds: int = 3
                  ) -> dict[str, object]:
    """First paint, then `rounds` rounds of `repeats` presses of each key (0: no keys)."""
    t0 = time.perf_counter()
    services = open_services(db, Settings(agent="bench"))
    app = make_app(services)
    result: dict[str, object] = {"db": db}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        if view != "inbox":
            screen.action_view(view)
        queue = screen.query_one(QueueList)
        for y in range(queue.size.height):
            queue.render_line(y)
        result["first_paint_s"] = time.perf_counter() - t0
        result["rows_in_view"] = screen.window.total
        detail = screen.query_one(ConversationDetail)

        def paint() -> None:
            for y in range(queue.size.height):
                queue.render_line(y)
            detail.body.render()

        def timed(fn) -> float:  # type: ignore[no-untyped-def]
            s = time.perf_counter()
            fn()
            paint()
            return (time.perf_counter() - s) * 1000

        # Between two keys the app gets 20 ms, as it does between a person's keystrokes (key
        # repeat is ~30/s); it uses them to draw and to load the rows ahead. Not counted.

        async def idle() -> None:
            await asyncio.sleep(0.02)

        async def one_round() -> dict[str, list[float]]:
            keys: dict[str, list[float]] = {"down": [], "page_down": [], "end": [],
                                           "open": [], "search": [], "view": []}
            screen.action_view("inbox")
            for _ in range(10):  # warm up caches, as a user's first seconds would
                timed(queue.action_cursor_down)
                timed(queue.action_page_down)
            queue.action_first()
            for _ in range(repeats):
                keys["down"].append(timed(queue.action_cursor_down))
                await idle()
                keys["page_down"].append(timed(queue.action_page_down))
                await idle()
                keys["open"].append(timed(lambda: screen._show_detail()))
                await idle()
            # A number key switches views; End right after it finds nothing cached (worst
            # case).
            for i in range(repeats):
                view = "all" if i % 2 else "inbox"
                keys["view"].append(timed(lambda: screen.action_view(view)))  # noqa: B023
                keys["end"].append(timed(queue.action_last))
                await idle()
            for _ in range(repeats):
                keys["search"].append(timed(lambda: screen._run_search("outage")))
                await idle()
                screen.action_view("inbox")
                await idle()
            return keys

        # p99 of 200 samples is the second slowest: one scheduler hiccup on this shared
        # 2-core machine moves it. Each round gives a p99; the result is their median.
        runs = [await one_round() for _ in range(rounds)]
        for name in runs[0] if runs else ():
            pooled = [v for r in runs for v in r[name]]
            p99s = [pct(r[name], 99) for r in runs]
            result[f"{name}_p50_ms"] = statistics.median(pooled)
            result[f"{name}_p99_ms"] = statistics.median(p99s)
            result[f"{name}_p99_rounds_ms"] = p99s
        # Wall time through Textual's input path (includes Pilot's fixed per-key overhead).
        walls = []
        for _ in range(20 if rounds else 0):
            s = time.perf_counter()
            await pilot.press("j")
            await pilot.pause()
            walls.append((time.perf_counter() - s) * 1000)
        if walls:
            result["pilot_down_p50_ms"] = statistics.median(walls)
    services.close()
    return result


def main() -> None:
    for db in sys.argv[1:]:
        print(json.dumps(asyncio.run(measure(db))), flush=True)


if __name__ == "__main__":
    main()
