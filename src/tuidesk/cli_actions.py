"""Provides the agent actions on the command line, on the same services as the app.

`tuidesk claim|assign|tag|note|reply|dm|snooze|escalate|resolve|reopen|promise|undo
CONVERSATION ...` and `tuidesk saved-reply add|list|remove`. Each writes the same audit event
as the key in the app, prints one line (or `--json`), and exits 0, or 3 with one line on
stderr when the action is not allowed (claimed by someone else, nothing to undo, ...).
"""

from __future__ import annotations

import argparse
from typing import Any, TypeAlias

from tuidesk.cli_output import out, out_json
from tuidesk.errors import ActionError
from tuidesk.models import Visibility
from tuidesk.services import Services
from tuidesk.services.bulk import BULK_ACTIONS
from tuidesk.services.when import parse_when

ACTIONS = ("claim", "assign", "tag", "note", "reply", "dm", "snooze", "escalate", "resolve",
           "reopen", "promise", "undo")

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _conversation(text: str) -> int:
    try:
        return int(text.lstrip("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a conversation number (like 301 "
                                         "or #301)") from None


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    def action(name: str, help_: str, conversation: bool = True) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, parents=[common], help=help_,
                                                    description=help_ + ".")
        if conversation:
            p.add_argument("conversation", type=_conversation, help="its number, e.g. 301")
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        return p

    action("claim", "assign a conversation to me")
    action("assign", "assign a conversation to an agent").add_argument(
        "assignee", metavar="AGENT", help="the agent; - unassigns")
    tag = action("tag", "add tags (or remove them with --remove)")
    tag.add_argument("tags", nargs="+")
    tag.add_argument("--remove", action="store_true")
    action("note", "add an internal note (agents only, never sent)").add_argument("text")
    for name, what in (("reply", "reply publicly"), ("dm", "reply by direct message")):
        p = action(name, what + " (queued in the outbox)")
        p.add_argument("text")
        p.add_argument("--yes", action="store_true",
                       help="send even if another agent already answered the customer's "
                       "latest message")
    action("snooze", "snooze until a time").add_argument(
        "until", help="+90m, 3h, 2d, 1w or 'YYYY-MM-DD HH:MM' (UTC)")
    esc = action("escalate", "escalate to another team (a reason is required)")
    esc.add_argument("target", help="e.g. 'tier 3' (see the README for configured targets)")
    esc.add_argument("reason")
    action("resolve", "mark resolved")
    action("reopen", "reopen")
    pr = action("promise", "record a promise made to the customer, or mark one kept")
    pr.add_argument("text", nargs="?", help="what was promised")
    pr.add_argument("--due", metavar="WHEN", help="when it is due: +2h, 1d, 'YYYY-MM-DD HH:MM'")
    pr.add_argument("--kept", nargs="?", const=0, type=int, metavar="ID",
                    help="mark a promise kept (default: the oldest open one)")
    action("undo", "undo my last action (a bulk action: all of it)", conversation=False)
    bk = sub.add_parser(
        "bulk", parents=[common], help="one action on many conversations (one undo step)",
        description="Apply one action to many conversations at once: each gets its own "
        "audit event, and one `tuidesk undo` takes all of them back. Conversations that "
        "cannot take it (held by another agent) are skipped and listed (exit 1).")
    bk.add_argument("bulk_action", metavar="ACTION", choices=BULK_ACTIONS,
                    help=", ".join(BULK_ACTIONS))
    bk.add_argument("args", nargs="*", metavar="ARG",
                    help="assign AGENT; tag/untag TAG...; snooze WHEN; escalate TARGET REASON")
    which = bk.add_mutually_exclusive_group(required=True)
    which.add_argument("--ids", nargs="+", type=_conversation, metavar="ID")
    which.add_argument("--view", metavar="NAME", help="every conversation of a view")
    which.add_argument("--search", metavar="QUERY", help="every conversation found")
    bk.add_argument("--limit", type=int, default=1000, help="at most N (default 1000)")
    bk.add_argument("--json", action="store_true")
    sr = sub.add_parser("saved-reply", parents=[common], help="manage saved replies",
                        description="Saved replies live in the database, so everyone on the "
                        "desk shares them. {customer}, {agent} and {brand} are filled in.")
    srs = sr.add_subparsers(dest="saved_command", metavar="ACTION", required=True)
    add = srs.add_parser("add", help="add or replace one")
    add.add_argument("name")
    add.add_argument("body")
    srs.add_parser("list", help="list them").add_argument("--json", action="store_true")
    srs.add_parser("remove", help="remove one").add_argument("name")


def _when(text: str, now: int, what: str) -> int:
    value = parse_when(text, now)
    if value is None:
        raise ActionError(f"{what} {text!r}: use +90m, 3h, 2d, 1w or 'YYYY-MM-DD HH:MM' (UTC)")
    return value


def _result(services: Services, cid: int, action: str, done: str, json: bool,
            **extra: Any) -> int:
    from tuidesk.cli import row_json

    if json:
        row = services.inbox.row(cid)
        out_json({"action": action, "conversation": cid, **extra,
                  "state": row_json(row) if row is not None else None})
    else:
        out(done)
    return 0


def cmd_action(command: str, args: argparse.Namespace, services: Services) -> int:
    inbox, now = services.inbox, services.inbox.clock()
    if command == "undo":
        cid, what = inbox.undo()
        return _result(services, cid, "undo", what, args.json, undone=what)
    cid = args.conversation
    if inbox.row(cid) is None:
        raise ActionError(f"There is no conversation #{cid}.")
    if command == "claim":
        inbox.claim(cid)
        return _result(services, cid, command, f"Claimed #{cid}", args.json)
    if command == "assign":
        who = None if args.assignee in ("-", "") else args.assignee
        inbox.assign(cid, who)
        return _result(services, cid, command, f"#{cid} assigned to {who or 'nobody'}",
                       args.json)
    if command == "tag":
        current = set(inbox.conversation(cid).tags)  # type: ignore[union-attr]
        given = {t.strip().lstrip("#").lower() for t in args.tags}
        inbox.set_tags(cid, sorted(current - given if args.remove else current | given))
        tags = inbox.conversation(cid).tags  # type: ignore[union-attr]
        return _result(services, cid, command, f"Tags of #{cid}: {', '.join(tags) or '-'}",
                       args.json, tags=list(tags))
    if command == "note":
        inbox.note(cid, args.text)
        return _result(services, cid, command, f"Note added to #{cid}", args.json)
    if command in ("reply", "dm"):
        vis = Visibility.DIRECT if command == "dm" else Visibility.PUBLIC
        outbox_id = services.replies.reply(cid, args.text, vis, confirmed=args.yes)
        kind = "DM" if command == "dm" else "Reply"
        return _result(services, cid, command, f"{kind} to #{cid} queued in the outbox "
                       f"(outbox #{outbox_id})", args.json, outbox_id=outbox_id)
    if command == "snooze":
        until = _when(args.until, now, "snooze")
        inbox.snooze(cid, until)
        return _result(services, cid, command, f"Snoozed #{cid}", args.json, until=until)
    if command == "escalate":
        holding = services.escalations.escalate(cid, args.target, args.reason)
        return _result(services, cid, command, f"#{cid} escalated to {args.target}"
                       + (f"; holding reply to offer: {holding}" if holding else ""),
                       args.json, target=args.target, holding_reply=holding)
    if command == "resolve":
        inbox.resolve(cid)
        return _result(services, cid, command, f"Resolved #{cid}", args.json)
    if command == "reopen":
        inbox.reopen(cid)
        return _result(services, cid, command, f"Reopened #{cid}", args.json)
    # promise
    if args.kept is not None:
        kept = services.escalations.keep_promise(cid, args.kept or None)
        return _result(services, cid, "promise_kept", f"Promise {kept} on #{cid} kept",
                       args.json, commitment_id=kept)
    if not args.text or not args.due:
        raise ActionError("A promise needs its text and --due WHEN (or --kept).")
    pid = services.escalations.promise(cid, args.text, _when(args.due, now, "--due"))
    return _result(services, cid, command, f"Promise {pid} recorded on #{cid}", args.json,
                   commitment_id=pid)


def cmd_bulk(args: argparse.Namespace, services: Services) -> int:
    inbox = services.inbox
    if args.ids:
        ids = list(args.ids)
    elif args.search:
        ids = inbox.search_ids(args.search, args.limit)
    else:
        view = inbox.view_named(args.view)
        if view is None:
            raise ActionError(f"No view {args.view!r}.")
        ids = [r.id for r in inbox.page(view, None, args.limit)]
    params: list[object] = list(args.args)
    if args.bulk_action == "snooze" and len(params) == 1:
        params = [_when(str(params[0]), inbox.clock(), "snooze")]
    elif args.bulk_action == "escalate" and len(params) > 2:
        params = [params[0], " ".join(str(p) for p in params[1:])]
    result = services.bulk.run(args.bulk_action, ids[:args.limit], *params)
    if args.json:
        out_json({"action": args.bulk_action, "done": result.done,
                  "skipped": {str(k): v for k, v in result.skipped.items()}})
    else:
        out(result.summary(args.bulk_action.capitalize() + ":"))
        for cid, why in result.skipped.items():
            out(f"  #{cid}: {why}")
    return 1 if result.skipped else 0


def cmd_saved_reply(args: argparse.Namespace, services: Services) -> int:
    inbox = services.inbox
    if args.saved_command == "add":
        inbox.add_saved_reply(args.name, args.body)
        out(f"saved reply {args.name!r} stored")
    elif args.saved_command == "remove":
        inbox.remove_saved_reply(args.name)
        out(f"saved reply {args.name!r} removed")
    elif args.json:
        out_json([{"name": r.name, "body": r.body} for r in inbox.saved_replies()])
    else:
        for r in inbox.saved_replies() or []:
            out(f"{r.name}: {r.body}")
    return 0
