"""Provides the `tuidesk` command line and the composition root (make_app).

Exit codes: 0 done; 1 done, but some input rows failed; 2 usage error; 3 cannot proceed
(database, config or file error, message on stderr); 4 crashed (a bug: one line on stderr,
the traceback, without local variables, in crash.log in the user state dir).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuidesk import __version__
from tuidesk.cli_actions import ACTIONS
from tuidesk.cli_output import err, out, out_json
from tuidesk.config import Settings, load_settings
from tuidesk.errors import StoreError, TuideskError
from tuidesk.models import VIEW_TITLES, ImportReport, View
from tuidesk.paths import default_db_path, demo_db_path, server_scheme
from tuidesk.services import Services, open_services
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.demo import seed_demo
from tuidesk.services.display import utc_time

if TYPE_CHECKING:
    from tuidesk.ui.app import TuideskApp

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3
#: Commands that may start a new database; every other one refuses a path that does not
#: exist (exit 3) instead of creating an empty desk at a mistyped path.
CREATES_DATABASE = {None, "import", "sync", "worker"}


def make_app(services: Services) -> TuideskApp:
    """Build the Textual app around ready services (tests use the same factory)."""
    from tuidesk.ui.app import TuideskApp

    return TuideskApp(services)


def _common(default: object) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=default,
                        help="database file (default: $TUIDESK_DB or the user data dir)")
    common.add_argument("--agent", metavar="NAME", default=default,
                        help="who you are (default: $USER)")
    return common


def _parser() -> argparse.ArgumentParser:
    # --db and --agent work before or after the command. The subcommands' copies default to
    # SUPPRESS, or their None would overwrite a value given before the command.
    p = argparse.ArgumentParser(
        prog="tuidesk", parents=[_common(None)],
        description="A terminal help desk for social-media customer care. "
                    "Without a command, opens the app on the database.",
        epilog="Exit codes: 0 ok, 1 some input rows failed, 2 usage error, 3 error, "
               "4 crashed (see crash.log in the user state dir).")
    p.add_argument("--version", action="version", version=f"tuidesk {__version__}")
    p.add_argument("--demo", action="store_true", help="same as `tuidesk demo`")
    # Set by `tuidesk web` for an agent added with --supervisor (not a security boundary:
    # a terminal agent's own config.toml can name them a supervisor just as well).
    p.add_argument("--as-supervisor", action="store_true", help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    common = _common(argparse.SUPPRESS)

    d = sub.add_parser("demo", parents=[common], help="open the app on generated demo data",
                       description="Open the app on a generated, deterministic demo data set "
                       "(no network, no account). Its database is kept between runs.")
    d.add_argument("--generate", type=int, metavar="N",
                   help="generate N messages into --db and exit (for benchmarks)")
    d.add_argument("--fresh", action="store_true", help="throw away the demo database first")
    d.add_argument("--seed", type=int, default=7, help="random seed (default 7)")

    i = sub.add_parser("import", parents=[common], help="import a TWCS CSV or JSONL file",
                       description="Import messages. Formats: the Customer Support on Twitter "
                       "CSV, or tuidesk JSONL (see README). Re-importing adds nothing.")
    i.add_argument("file", help="path, or - for standard input")
    i.add_argument("--quiet", action="store_true", help="no progress bar")

    ls = sub.add_parser("list", parents=[common], help="print the queue",
                        description="Print a queue view as a table, or as JSON for scripts.")
    ls.add_argument("--view", metavar="NAME", default="inbox",
                    help="inbox (default, as the app opens), mine, waiting, escalated, snoozed, "
                    "resolved, all, or a saved view's name from config.toml [views.NAME]")
    ls.add_argument("--search", metavar="QUERY", help="full-text search instead of a view")
    ls.add_argument("--limit", type=int, default=None,
                    help="at most N conversations (table default 50; JSON default all)")
    ls.add_argument("--json", action="store_true", help="JSON array on stdout")

    lg = sub.add_parser("log", parents=[common], help="print the audit log",
                        description="Print audit events (append-only), oldest first.")
    lg.add_argument("--conversation", type=int, metavar="ID")
    lg.add_argument("--limit", type=int, default=1000)
    lg.add_argument("--json", action="store_true")
    from tuidesk.cli_net import add_parsers
    from tuidesk.cli_report import add_parser

    add_parsers(sub, common)
    add_parser(sub, common)
    from tuidesk.cli_worker import add_parsers as add_worker_parsers

    add_worker_parsers(sub, common)
    from tuidesk.cli_actions import add_parsers as add_action_parsers
    from tuidesk.cli_agents import add_parsers as add_agent_parsers
    from tuidesk.cli_agents import add_web_parser

    add_agent_parsers(sub, common)
    add_web_parser(sub, common)

    add_action_parsers(sub, common)
    return p


def _iso(ts: int | None) -> str | None:
    return None if ts is None else utc_time(ts)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(agent=args.agent)
    if getattr(args, "as_supervisor", False) and settings.agent not in settings.supervisors:
        from dataclasses import replace

        settings = replace(settings, supervisors=(*settings.supervisors, settings.agent))
    return settings


def _ensure_demo(path: Path, settings: Settings, fresh: bool, seed: int, size: int,
                 clock: Clock, progress: bool) -> Services:
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    existed = path.exists() and path.stat().st_size > 0
    services = open_services(path, settings, clock)
    if not existed or services.inbox.count(View.ALL) == 0:
        _with_progress(lambda cb: seed_demo(services.ingest, services.for_agent, size, seed,
                                            cb), f"Generating {size:,} demo messages",
                       progress)
    return services


def _with_progress(fn: Any, label: str, show: bool) -> Any:
    if not show:
        return fn(None)
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from tuidesk.services.display import clean_line

    label = escape(clean_line(label))  # a file name is shown as typed, never as markup

    with Progress("{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=None)

        def cb(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return fn(cb)


def cmd_import(args: argparse.Namespace, services: Services) -> int:
    show = not args.quiet and sys.stderr.isatty()
    report: ImportReport = _with_progress(
        lambda cb: services.ingest.import_file(args.file, services.settings.agent, cb),
        f"Importing {args.file}", show)
    for line, reason in report.errors:
        err(f"{args.file}:{line}: {reason}")
    out(f"imported {report.imported}, skipped {report.skipped} (already stored), "
          f"repaired {report.repaired}, failed {report.failed}; "
          f"{report.conversations} conversations; "
          f"{report.rows_per_s:,.0f} rows/s")
    return EXIT_PARTIAL if report.failed else EXIT_OK


def row_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "network": row.network, "channel": row.channel, "status": row.status,
        "priority": row.priority, "assignee": row.assignee, "due_at": _iso(row.due_at),
        "created_at": _iso(row.created_at), "last_at": _iso(row.last_at),
        "customer": row.customer, "followers": row.followers, "brand": row.brand,
        "messages": row.message_count, "preview": row.preview,
        "reply_refused": bool(row.reply_failed),
    }


def cmd_list(args: argparse.Namespace, services: Services) -> int:
    inbox = services.inbox
    limit = args.limit if args.limit is not None else (0 if args.json else 50)
    view = inbox.view_named(args.view)
    if view is None:
        names = ", ".join(inbox.view_names())
        err(f"tuidesk list: no view {args.view!r} (views: {names})")
        return EXIT_USAGE
    args.view = view
    if args.search:
        rows = inbox.search(args.search, limit or 10_000)
    else:
        rows, after = [], None
        while True:
            page = inbox.page(args.view, after, 1000)
            rows.extend(page)
            if len(page) < 1000 or (limit and len(rows) >= limit):
                break
            after = inbox.key_of(args.view, page[-1])
    if limit:
        rows = rows[:limit]
    if args.json:
        out_json([row_json(r) for r in rows])
        return EXIT_OK
    from tuidesk.services.display import clean_line

    saved = inbox.saved_views.get(view)
    title = f"search {args.search!r}" if args.search else (
        saved.shown if saved is not None else VIEW_TITLES[view])
    total = len(rows) if args.search else inbox.count(view)
    out(f"{title}: {len(rows)} shown of {total}")
    out(f"{'ID':>7} {'P':1} {'STATUS':9} {'NET':8} {'MSGS':>4} {'CUSTOMER':24} PREVIEW")
    for r in rows:
        out(f"{r.id:>7} {r.priority} {r.status:9} {r.network[:8]:8} {r.message_count:>4} "
              f"{clean_line(r.customer)[:24]:24} {clean_line(r.preview)[:60]}")
    return EXIT_OK


def cmd_log(args: argparse.Namespace, services: Services) -> int:
    events = services.inbox.events(conversation_id=args.conversation, limit=args.limit)
    if args.json:
        out_json([{"id": e.id, "at": _iso(e.at), "agent": e.agent, "action": e.action,
                    "conversation": e.conversation_id,
                    "before": json.loads(e.before) if e.before else None,
                    "after": json.loads(e.after) if e.after else None} for e in events])
    else:
        from tuidesk.services.display import clean_line

        for e in events:
            out(f"{_iso(e.at)} {clean_line(e.agent):10} {e.action:10} "
                  f"{e.conversation_id if e.conversation_id is not None else '-'}")
    return EXIT_OK


def _refuse_server_urls(given: str | None, env: bool) -> None:
    """`--db postgresql://…` (or TUIDESK_DB) named a file `postgresql:/…` and `import`
    created folders for it: a server is refused in one line, before anything is touched."""
    for source, location in (("--db", given), ("TUIDESK_DB", os.environ.get("TUIDESK_DB")
                                                 if env and not given else None)):
        scheme = location and server_scheme(location)
        if scheme:
            raise StoreError(f"{source} is a {scheme}:// address: tuidesk keeps a desk in one "
                             "SQLite file (database servers are not supported yet). Give "
                             f"{source} a file path.", title="Not a database file")


def main(argv: Sequence[str] | None = None, clock: Clock = system_clock) -> int:
    args = _parser().parse_args(argv)
    command = "demo" if args.demo and not args.command else args.command
    try:
        _refuse_server_urls(args.db, command != "demo")
        settings = _settings(args)
        if command == "demo":
            generate = getattr(args, "generate", None)
            path = Path(args.db) if args.db else demo_db_path()
            if generate is not None:
                if generate <= 0:
                    err("tuidesk: --generate needs a positive number")
                    return EXIT_USAGE
                services = _ensure_demo(path, settings, getattr(args, "fresh", False),
                                        getattr(args, "seed", 7), generate, clock,
                                        sys.stderr.isatty())
                out(f"{path}: {services.inbox.stats()}")
                services.close()
                return EXIT_OK
            services = _ensure_demo(path, settings, getattr(args, "fresh", False),
                                    getattr(args, "seed", 7), 2000, clock, sys.stderr.isatty())
        elif command == "account":
            from tuidesk.cli_net import cmd_account

            return cmd_account(args)
        else:
            parts: dict[str, Any] = {}
            if command in (None, "sync", "worker"):
                from tuidesk.cli_net import network_parts

                parts = network_parts(clock)
            db = Path(args.db) if args.db else default_db_path()
            creates = command in CREATES_DATABASE or (
                command == "saved-reply" and args.saved_command == "add")  # setting up a desk
            if not creates and not db.exists():
                # A mistyped team path must not open (and create) an empty desk.
                raise StoreError(f"{db} does not exist (check --db or TUIDESK_DB). The app, "
                                 "`tuidesk import` or `tuidesk sync` create a new one.",
                                 title="No database")
            services = open_services(db, settings, clock, **parts)
        try:
            if command == "sync":
                from tuidesk.cli_net import cmd_sync

                return cmd_sync(args, services)
            if command in ("worker", "status"):
                from tuidesk.cli_worker import cmd_status, cmd_worker

                return (cmd_worker if command == "worker" else cmd_status)(args, services)
            if command == "import":
                return cmd_import(args, services)
            if command == "list":
                return cmd_list(args, services)
            if command == "log":
                return cmd_log(args, services)
            if command in ACTIONS:
                from tuidesk.cli_actions import cmd_action

                return cmd_action(command, args, services)
            if command == "web":
                from tuidesk.cli_agents import cmd_web

                return cmd_web(args, services)
            if command == "agent":
                from tuidesk.cli_agents import cmd_agent

                return cmd_agent(args, services)
            if command == "bulk":
                from tuidesk.cli_actions import cmd_bulk

                return cmd_bulk(args, services)
            if command == "saved-reply":
                from tuidesk.cli_actions import cmd_saved_reply

                return cmd_saved_reply(args, services)
            if command == "report":
                from tuidesk.cli_report import cmd_report

                return cmd_report(args, services)
            app = make_app(services)
            app.run()
            return app.return_code or EXIT_OK
        finally:
            services.close()
    except TuideskError as exc:
        err(f"tuidesk: {exc.title}: {exc.msg}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `tuidesk report | head`: the reader left; that is not an error.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the stack in crash.log
        from tuidesk import crash

        err(crash.summary(exc, crash.record(exc)))
        return crash.EXIT_CRASH
