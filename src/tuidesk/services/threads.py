"""Provides threading and parties: which conversation a message belongs to, and who the
brand and the customer of a thread are where a source leaves them implicit (TWCS)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from tuidesk.models import MessageIn
from tuidesk.services.parsers import MENTION


def resolve_threads(messages: Sequence[MessageIn], lookup: Callable[[str, str], str | None]
                    ) -> list[MessageIn]:
    """Give each message a thread key: the root of its reply chain.

    A chain is followed through the batch; where it leaves the batch, the stored message's
    conversation is used, else the missing parent's id names the thread (so replies to the same
    absent tweet stay together). Conversations are the connected components of the reply graph.
    """
    if all(m.thread_key for m in messages):
        return list(messages)  # the source named every conversation (demo, Bluesky roots)
    by_id = {(m.network, m.remote_id): m for m in messages}
    memo: dict[tuple[str, str], str] = {}

    def root(m: MessageIn) -> str:
        path: list[tuple[str, str]] = []
        cur = m
        seen: set[tuple[str, str]] = set()
        while True:
            key = (cur.network, cur.remote_id)
            if key in memo:
                found = memo[key]
                break
            if cur.thread_key:
                found = cur.thread_key
                break
            path.append(key)
            seen.add(key)
            parent = cur.in_reply_to
            if parent is None:
                found = cur.remote_id
                break
            pkey = (cur.network, parent)
            if pkey in by_id and pkey not in seen:
                cur = by_id[pkey]
                continue
            found = lookup(cur.network, parent) or parent
            break
        for k in path:
            memo[k] = found
        return found

    return [m if m.thread_key else replace(m, thread_key=root(m)) for m in messages]


def assign_parties(messages: Sequence[MessageIn], brands: set[str]) -> list[MessageIn]:
    """Fill in brand and customer where a source leaves them implicit (TWCS).

    The brand of a thread is the author of its first outbound message, else the first
    @mention of a known brand; the customer is the first inbound author, else the first
    @mention that is not a brand.
    """
    threads: dict[tuple[str, str | None], list[MessageIn]] = {}
    for m in messages:
        threads.setdefault((m.network, m.thread_key), []).append(m)
    out: dict[int, MessageIn] = {}
    for msgs in threads.values():
        msgs_sorted = sorted(msgs, key=lambda m: (m.created_at, m.remote_id))
        brand = next((m.author for m in msgs_sorted if m.direction == "out"), "")
        if not brand:
            for m in msgs_sorted:
                found = [h for h in MENTION.findall(m.text) if h in brands]
                if found:
                    brand = found[0]
                    break
        brand = brand or next(
            (h for m in msgs_sorted for h in MENTION.findall(m.text)), "unknown")
        customer = next((m.author for m in msgs_sorted if m.direction == "in"), "")
        if not customer:
            customer = next((h for m in msgs_sorted for h in MENTION.findall(m.text)
                             if h not in brands), "unknown")
        for m in msgs:
            out[id(m)] = replace(m, brand=m.brand or brand, customer=m.customer or customer)
    return [out[id(m)] for m in messages]
