"""`tuidesk worker` (the always-on desk) and `tuidesk status` (is every channel watched?)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from datetime import UTC, datetime

from tuidesk.cli_net import Subparsers
from tuidesk.cli_output import err, out, out_json
from tuidesk.services import Services
from tuidesk.services.worker import Worker, desk_holder


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    w = sub.add_parser(
        "worker", parents=[common], help="run the desk headless: sync, deliver, clocks",
        description="Watch every channel with no app open: sync each account on its "
        "interval ([sync] interval), deliver a queued reply within about a second, run the "
        "clocks (snoozes, follow-ups, promises, SLA breaches) and escalation webhooks. One "
        "worker holds the desk at a time (a lease in the database); another started beside "
        "it waits and takes over within 5 s if the first dies. SIGTERM stops it cleanly.")
    w.add_argument("--once", action="store_true",
                   help="run every job once and exit (for cron); exit 1 if a channel failed")
    st = sub.add_parser("status", parents=[common], help="channel health and the worker",
                        description="Per account: last sync, last message received, failures "
                        "in a row; exit 1 when any channel is failing or silent longer than "
                        "[sync] silent_after minutes (for monitoring).")
    st.add_argument("--json", action="store_true")


def _stamp(line: str) -> None:
    err(f"{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {line}")


def _worker(services: Services) -> Worker:
    return Worker(services._store, services.sync, services.clocks,
                  services.settings.sync_interval, services.settings.silent_after, _stamp,
                  alert_webhook=services.settings.alert_webhook)


def cmd_worker(args: argparse.Namespace, services: Services) -> int:
    worker = _worker(services)

    async def main() -> int:
        try:
            if args.once:
                held = await worker.step(force=True)
                worker.release()
                if not held:
                    _stamp(f"another worker holds the desk: {desk_holder(services._store)}")
                    return 1
                return 0 if all(h.state != "failing" for h in
                                worker.health(int(time.time()))) else 1
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            _stamp(f"worker started on {services.db_path} "
                   f"({len(services.sync.connectors) if services.sync else 0} accounts)")
            await worker.run(stop)
            _stamp("worker stopped")
            return 0
        finally:
            await services.aclose()

    return asyncio.run(main())


def cmd_status(args: argparse.Namespace, services: Services) -> int:
    health = services.channel_health_of_store()
    holder = services.worker()
    unhealthy = [h for h in health if not h.healthy]
    if args.json:
        out_json({"worker": holder, "healthy": not unhealthy, "channels": [
            {"account": h.account, "state": h.state, "detail": h.detail,
             "last_sync_at": h.last_sync_at, "last_item_at": h.last_item_at,
             "failures": h.failures} for h in health]})
    else:
        out(f"worker: {holder or 'none running (the app syncs while it is open)'}")
        for h in health or []:
            out(f"{'✓' if h.healthy else '✗'} {h.account}: {h.state}: {h.detail}")
        if not health:
            out("no channel has synced yet (tuidesk account add, then tuidesk worker)")
    return 1 if unhealthy else 0
