"""Provides the network commands: `tuidesk account ...` and `tuidesk sync`, and wiring.

Secrets are read from an environment variable or a hidden prompt, never from argv.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import re
import sys
from dataclasses import replace
from typing import TypeAlias

from tuidesk.accounts import (
    ACCOUNT_NAME,
    Account,
    Secret,
    add_account,
    clean_secret,
    describe,
    load_accounts,
    remove_account,
    session_file,
)
from tuidesk.cli_output import err, out, out_json
from tuidesk.config import check_url
from tuidesk.errors import ConfigError, ConnectorError
from tuidesk.models import SEVERITY, KeywordRule

SECRET_ENV = {"mastodon": "TUIDESK_MASTODON_TOKEN", "bluesky": "TUIDESK_BLUESKY_PASSWORD"}
#: A Mastodon acct or Bluesky handle: visible characters only.
ACCOUNT_HANDLE = re.compile(r"@?[A-Za-z0-9][A-Za-z0-9_.@-]{0,252}")

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    acc = sub.add_parser("account", parents=[common], help="manage brand accounts",
                         description="Brand accounts and their secrets (kept in accounts.toml "
                         "under the config dir, mode 0600; never in the database).")
    asub = acc.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    add = asub.add_parser("add", help="add a Mastodon or Bluesky account",
                          description="Add an account. The secret comes from "
                          "$TUIDESK_MASTODON_TOKEN / $TUIDESK_BLUESKY_PASSWORD, or a hidden "
                          "prompt.")
    add.add_argument("network", choices=["mastodon", "bluesky"])
    add.add_argument("--instance", metavar="URL", help="Mastodon instance, e.g. https://mastodon.social")
    add.add_argument("--handle", help="Bluesky handle, e.g. acme.bsky.social")
    add.add_argument("--service", metavar="URL", default="https://bsky.social",
                     help="Bluesky PDS or entryway (default https://bsky.social)")
    add.add_argument("--name", help="short name (default: derived from the handle)")
    add.add_argument("--keyword", action="append", default=[], metavar="TERM[:SEVERITY]",
                     help="keyword rule, e.g. outage:high or '#acmefail' (repeatable)")
    add.add_argument("--no-verify", action="store_true", help="do not check the credentials")
    asub.add_parser("list", help="list accounts (never shows secrets)").add_argument(
        "--json", action="store_true")
    asub.add_parser("remove", help="remove an account").add_argument("name")
    asub.add_parser("test", help="check an account's credentials").add_argument("name")

    sync = sub.add_parser("sync", parents=[common], help="fetch mentions and deliver replies",
                          description="Sync every account once (or forever with --watch): "
                          "fetch mentions, DMs and keyword matches, then deliver the outbox.")
    sync.add_argument("--watch", action="store_true", help="keep syncing")
    sync.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")


def _rules(values: list[str], name: str) -> tuple[KeywordRule, ...]:
    out = []
    for value in values:
        term, _, sev = value.rpartition(":") if value.rsplit(":", 1)[-1] in SEVERITY \
            else (value, "", "low")
        out.append(KeywordRule(brand=name, term=term, severity=SEVERITY.get(sev, 1)))
    return tuple(out)


def _secret(network: str) -> Secret:
    env = os.environ.get(SECRET_ENV[network])
    if env:
        return Secret(clean_secret(env))
    if not sys.stdin.isatty():
        raise ConfigError(f"Set ${SECRET_ENV[network]} (stdin is not a terminal to ask on).")
    what = "Access token" if network == "mastodon" else "App password"
    return Secret(clean_secret(getpass.getpass(f"{what} (input hidden): ")))


async def _verify(account: Account) -> str:
    from tuidesk.connectors import build_connector, make_client

    async with make_client() as client:
        return await build_connector(account, client).verify()


def cmd_account(args: argparse.Namespace) -> int:
    if args.account_command == "remove":
        # Works even when another entry of the file is bad: only this one is touched.
        if not remove_account(args.name):
            err(f"tuidesk: no account named {args.name!r}")
            return 2
        # Its session goes too: another handle added under this name must log in afresh.
        session_file(args.name).unlink(missing_ok=True)
        out(f"removed {args.name}")
        return 0
    accounts = load_accounts() if args.account_command != "add" else {}
    if args.account_command == "list":
        rows = describe(accounts)
        if args.json:
            out_json(rows)
        else:
            for r in rows or [{"name": "(no accounts: tuidesk account add ...)"}]:
                out("  ".join(str(r.get(k, "")) for k in
                                ("name", "network", "handle", "base_url", "secret")))
        return 0
    if args.account_command == "test":
        if args.name not in accounts:
            err(f"tuidesk: no account named {args.name!r}")
            return 2
        handle = asyncio.run(_verify(accounts[args.name]))
        out(f"{args.name}: ok, signed in as {handle}")
        return 0
    # add: every value is checked before anything is written or sent
    if args.name and not ACCOUNT_NAME.fullmatch(args.name):
        err(f"tuidesk: --name {args.name!r}: use letters, digits, '.', '_' or '-' "
            "(at most 64), like acme-mastodon")
        return 2
    if args.network == "mastodon":
        if not args.instance:
            err("tuidesk: mastodon needs --instance URL")
            return 2
        base, handle = args.instance, ""
    else:
        if not args.handle:
            err("tuidesk: bluesky needs --handle")
            return 2
        base, handle = args.service, args.handle
    try:
        check_url(base)
    except ValueError as exc:
        err(f"tuidesk: {'--instance' if args.network == 'mastodon' else '--service'} "
            f"{base!r} {exc}")
        return 2
    if handle and not ACCOUNT_HANDLE.fullmatch(handle):
        err(f"tuidesk: --handle {handle!r} is not a handle (like acme.bsky.social)")
        return 2
    name = args.name or "pending"
    account = Account(name=name, network=args.network, base_url=base, handle=handle,
                      secret=_secret(args.network))
    # A new secret: any session kept under this name (an earlier account's) is not ours.
    session_file(name).unlink(missing_ok=True)
    if not args.no_verify:
        try:
            account = replace(account, handle=asyncio.run(_verify(account)))
        except ConnectorError as exc:
            session_file(name).unlink(missing_ok=True)
            err(f"tuidesk: {exc.title}: {exc.msg}")
            return 3
    if not args.name:
        host = base.split("//")[-1].split("/")[0].split(":")[0]
        stem = re.sub(r"[^A-Za-z0-9_-]", "", (account.handle or host).split("@")[0]
                      .split(".")[0])[:50] or "account"
        name = stem + "-" + args.network
    account = replace(account, name=name, keywords=_rules(args.keyword, name))
    path = add_account(account)
    if account.name != "pending" and session_file("pending").exists():
        # The login that verified it is this account's session now (logins are scarce).
        session_file(name).unlink(missing_ok=True)
        session_file("pending").rename(session_file(name))
    out(f"added {name} ({account.network} {account.handle or base}); secrets in {path}")
    return 0


def network_parts(clock: object) -> dict[str, object]:
    """Connectors for every configured account, for `open_services(**parts)`."""
    from tuidesk.config import load_settings

    accounts = load_accounts()
    settings = load_settings()
    targets = tuple(t for t in settings.escalation_targets if t.webhook)
    if not accounts and not targets and not settings.alert_webhook:
        return {}  # no HTTP: httpx is not even loaded (~90 ms of every start)
    from tuidesk.connectors import build_connector, make_client
    from tuidesk.connectors.webhook import WebhookSender

    client = make_client()
    now = lambda: float(clock())  # type: ignore[operator]  # noqa: E731
    connectors = [build_connector(a, client, now) for a in accounts.values()]
    return {"connectors": connectors, "closers": [client.aclose],
            "rules": {a.name: list(a.keywords) for a in accounts.values()},
            "webhooks": WebhookSender(targets, client, now)
            if targets or settings.alert_webhook else None}


def cmd_sync(args: argparse.Namespace, services: object) -> int:
    sync = services.sync  # type: ignore[attr-defined]
    if sync is None:
        err("tuidesk: no accounts or webhook escalations configured "
              "(tuidesk account add ...)")
        return 3

    async def loop() -> int:
        failures = 0
        try:
            while True:
                report = await sync.run_once()
                for name, n in report.fetched.items():
                    out(f"{name}: {n} new")
                for name, problem in report.errors.items():
                    err(f"{name}: {problem}")
                for name, warning in report.warnings.items():
                    err(f"{name}: {warning}")
                if report.sent or report.failed or report.retrying:
                    out(f"outbox: sent {len(report.sent)}, failed {len(report.failed)}, "
                          f"retrying {len(report.retrying)}")
                hooks = (report.webhooks_sent, report.webhooks_failed, report.webhooks_retrying)
                if any(hooks):
                    out(f"escalation webhooks: sent {len(hooks[0])}, failed {len(hooks[1])}, "
                          f"retrying {len(hooks[2])}")
                failures = len(report.errors) + len(report.failed)
                if not args.watch:
                    return 1 if failures else 0
                await asyncio.sleep(args.interval)
        finally:
            await services.aclose()  # type: ignore[attr-defined]

    return asyncio.run(loop())
