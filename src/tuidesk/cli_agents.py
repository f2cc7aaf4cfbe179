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
