"""`tuidesk agent add|list|remove|passwd`: who may sign in to `tuidesk web`.

A password is asked twice on the terminal (input hidden), or read as one line from standard
input with --password-stdin (for scripts); it is never an argument (it would stay in the
shell's history and in `ps`).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TypeAlias

from tuidesk.cli_output import out, out_json
from tuidesk.errors import ActionError, ConfigError
from tuidesk.services import Services
from tuidesk.services.agents import AgentService
from tuidesk.services.display import utc_time

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    ag = sub.add_parser("agent", parents=[common], help="agents who sign in to tuidesk web",
                        description="Manage the agents who sign in to `tuidesk web` "
                        "(terminal agents are their Unix user and need no entry here).")
    acts = ag.add_subparsers(dest="agent_command", metavar="ACTION", required=True)
    add = acts.add_parser("add", help="add an agent (asks for a password)")
    add.add_argument("name")
    add.add_argument("--supervisor", action="store_true",
                     help="may take over and reassign others' conversations")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password as one line from standard input")
    pw = acts.add_parser("passwd", help="set a new password")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true")
    acts.add_parser("remove", help="remove an agent").add_argument("name")
    acts.add_parser("list", help="list agents").add_argument("--json", action="store_true")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ConfigError("No terminal to ask the password on: use --password-stdin.")
    first = getpass.getpass("Password (input hidden): ")
    if getpass.getpass("Again: ") != first:
        raise ActionError("The two passwords differ; nothing was changed.")
    return first


def cmd_agent(args: argparse.Namespace, services: Services) -> int:
    agents = services.agents
    command = args.agent_command
    if command == "list":
        rows = agents.listed()
        if args.json:
            out_json([{"name": n, "supervisor": s, "created_at": utc_time(c)}
                      for n, s, c in rows])
        else:
            for name, supervisor, created in rows:
                out(f"{name:32} {'supervisor' if supervisor else 'agent':10} "
                    f"since {utc_time(created, '%Y-%m-%d')}")
        return 0
    if command == "remove":
        agents.remove(args.name)
        out(f"Removed agent {args.name}.")
        return 0
    AgentService.check_name(args.name)
    password = _password(args.password_stdin)
    if command == "add":
        agents.add(args.name, password, args.supervisor)
        out(f"Added agent {args.name}" + (" (supervisor)." if args.supervisor else "."))
    else:
        agents.passwd(args.name, password)
        out(f"New password set for {args.name}.")
    return 0


def add_web_parser(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    web = sub.add_parser(
        "web", parents=[common], help="serve the app to browsers (agents sign in)",
        description="Serve the app in the browser: each agent signs in (tuidesk agent add) "
        "and gets their own app on this database. Needs the web extra: "
        "pip install 'tuidesk[web]'.")
    web.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1: this machine only)")
    web.add_argument("--port", type=int, default=8000)
    web.add_argument("--public-url", metavar="URL",
                     help="the address browsers use, e.g. https://desk.example.com behind a "
                     "reverse proxy that terminates TLS")
    web.add_argument("--idle", type=int, default=480, metavar="MINUTES",
                     help="sign out after this long without use (default 480)")
    web.add_argument("--max-apps", type=int, default=20,
                     help="at most this many agents' apps at once (default 20)")


def cmd_web(args: argparse.Namespace, services: Services) -> int:
    try:
        from tuidesk.web.server import DeskServer
    except ImportError:
        raise ConfigError("tuidesk web needs its extra: pip install 'tuidesk[web]'") from None
    if not services.agents.listed():
        raise ConfigError("No agent can sign in yet: add one with `tuidesk agent add NAME`.")
    public = args.public_url or f"http://{args.host}:{args.port}"
    if args.host not in ("127.0.0.1", "localhost", "::1") and not public.startswith("https"):
        from tuidesk.cli_output import err

        err(f"tuidesk web: warning: listening on {args.host} without TLS: passwords and "
            "conversations cross the network in clear. Put it behind a proxy with https and "
            "pass --public-url https://…")
    server = DeskServer(services.db_path, services.agents, host=args.host, port=args.port,
                        public_url=public, idle=args.idle * 60, max_apps=args.max_apps)
    out(f"Serving tuidesk on {public} (Ctrl+C stops)")
    server.serve()
    return 0
