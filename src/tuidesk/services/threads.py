"""Provides threading and parties: which conversation a message belongs to, and who the
brand and the customer of a thread are where a source leaves them implicit (TWCS)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from tuidesk.models import UNKNOWN_BRAND, MessageIn
from tuidesk.services.parsers import MENTION


def resolve_threads(messages: Sequence[MessageIn], lookup: Callable[[str, str], str | None]
                    ) -> list[MessageIn]:
    """Give each message a thread key: conversations are the connected components of the
    reply graph, joined through both links a source gives (`in_reply_to` and, in TWCS,
    `responses`).

    A chain is followed through the batch; where it leaves the batch, the stored message's
    conversation is used, else the missing parent's id names the thread (so replies to the same
    absent tweet stay together). Chains that a `responses` link joins (a reply chain whose
    middle tweet is missing from the excerpt) become one thread: a stored conversation's key
    if one is among them, else the key of the chain with the earliest message.
    """
    if all(m.thread_key for m in messages):
        return list(messages)  # the source named every conversation (demo, Bluesky roots)
    by_id = {(m.network, m.remote_id): m for m in messages}
    memo: dict[tuple[str, str], str] = {}
    stored: set[tuple[str, str]] = set()  # keys of conversations already in the store

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
            found = _outside(cur.network, parent)
            break
        for k in path:
            memo[k] = found
        return found

    def _outside(network: str, remote_id: str) -> str:
        """The key a message outside the batch names: its stored thread, else its own id."""
        known = lookup(network, remote_id)
        if known is not None:
            stored.add((network, known))
            return known
        return remote_id

    keys = [m.thread_key or root(m) for m in messages]

    def keyed() -> list[MessageIn]:
        return [m if m.thread_key else replace(m, thread_key=k)
                for m, k in zip(messages, keys, strict=True)]

    if not any(m.responses for m in messages):
        return keyed()
    # Join chains through `responses`: union-find over (network, chain key).
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for m, k in zip(messages, keys, strict=True):
        for r in m.responses:
            rkey = (m.network, r)
            other = (root(by_id[rkey]) if rkey in by_id else _outside(m.network, r))
            a, b = find((m.network, k)), find((m.network, other))
            if a != b:
                parent[a] = b
    if not parent:
        return keyed()
    # One key per component: a stored conversation's, else the earliest message's chain.
    first: dict[tuple[str, str], tuple[int, int, str]] = {}
    for m, k in zip(messages, keys, strict=True):
        node = (m.network, k)
        rank = (0 if node in stored else 1, m.created_at, k)
        comp = find(node)
        if comp not in first or rank < first[comp]:
            first[comp] = (rank[0], rank[1], k)
    for node in list(parent):
        if node in stored:
            comp = find(node)
            rank = (0, -1, node[1])
            if comp not in first or rank < first[comp]:
                first[comp] = rank
    out = []
    for m, k in zip(messages, keys, strict=True):
        chosen = first.get(find((m.network, k)))
        key = chosen[2] if chosen is not None else k
        out.append(m if m.thread_key == key else replace(m, thread_key=key))
    return out


def assign_parties(messages: Sequence[MessageIn], brands: set[str]) -> list[MessageIn]:
    """Fill in brand and customer where a source leaves them implicit (TWCS).

    A brand is an account that answers: an outbound message's brand is its author, so a
    thread answered by several brands credits each with its own replies. The thread's brand
    (its inbound messages', the conversation's) is the author of its first outbound message,
    else the first @mention of a known brand (`brands`: the accounts that answer, here or
    before), else 'unknown'; a mention alone never makes a customer a brand. The customer is
    the first inbound author, else the first @mention that is not a brand.
    """
    threads: dict[tuple[str, str | None], list[MessageIn]] = {}
    for m in messages:
        threads.setdefault((m.network, m.thread_key), []).append(m)
    out: dict[int, MessageIn] = {}
    for msgs in threads.values():
        msgs_sorted = sorted(msgs, key=lambda m: (m.created_at, m.remote_id))
        brand = next((m.author for m in msgs_sorted if m.direction == "out"), "")
        if not brand:
            brand = next((h for m in msgs_sorted for h in MENTION.findall(m.text)
                          if h in brands), UNKNOWN_BRAND)
        customer = next((m.author for m in msgs_sorted if m.direction == "in"), "")
        if not customer:
            customer = next((h for m in msgs_sorted for h in MENTION.findall(m.text)
                             if h not in brands), "unknown")
        for m in msgs:
            own = m.author if m.direction == "out" else brand
            out[id(m)] = replace(m, brand=m.brand or own, customer=m.customer or customer)
    return [out[id(m)] for m in messages]
