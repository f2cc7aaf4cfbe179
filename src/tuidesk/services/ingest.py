"""Provides IngestService: the one path by which messages enter the store (import, demo, sync)."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO

from tuidesk.errors import ImportFailed
from tuidesk.models import ImportReport, MessageIn
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.parsers import MENTION, parse_jsonl, parse_twcs, sniff_format
from tuidesk.services.priority import SlaPolicy, derive_after_messages
from tuidesk.services.sentiment import sentiment
from tuidesk.store import Store

Progress = Callable[[int, int], None]
BATCH = 20_000


def open_text(path: str) -> IO[str]:
    """Open a file (or '-' for stdin) as UTF-8 text that splits lines on LF only."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace",
                                newline="\n")
    try:
        return open(path, encoding="utf-8-sig", errors="replace", newline="\n")  # noqa: SIM115
    except OSError as exc:
        raise ImportFailed(f"Cannot read {path}: {exc.strerror}") from exc


def resolve_threads(messages: Sequence[MessageIn], lookup: Callable[[str, str], str | None]
                    ) -> list[MessageIn]:
    """Give each message a thread key: the root of its reply chain.

    A chain is followed through the batch; where it leaves the batch, the stored message's
    conversation is used, else the missing parent's id names the thread (so replies to the same
    absent tweet stay together). Conversations are the connected components of the reply graph.
    """
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


class IngestService:
    """Stores normalised messages idempotently and keeps conversations' state derived."""

    def __init__(self, store: Store, sla: SlaPolicy | None = None,
                 clock: Clock = system_clock, vip: frozenset[str] = frozenset()) -> None:
        self.vip = vip
        self.store = store
        self.sla = sla or SlaPolicy()
        self.clock = clock

    def import_file(self, path: str, agent: str = "import",
                    progress: Progress | None = None) -> ImportReport:
        """Import a TWCS CSV or tuidesk JSONL file ('-' reads stdin); the format is sniffed.

        Raises:
            ImportFailed: the file cannot be read at all.
        """
        started = time.perf_counter()
        with open_text(path) as stream:
            first = stream.readline()
            rest = [first] if first else []
            fmt = sniff_format(first)
            lines = _chain(rest, stream)
            notes: list[tuple[int, str]] = []
            parsed = parse_jsonl(lines) if fmt == "jsonl" else parse_twcs(lines, notes)
            good: list[MessageIn] = []
            errors: list[tuple[int, str]] = []
            for line, item in parsed:
                if isinstance(item, str):
                    errors.append((line, item))
                else:
                    good.append(item)
        if fmt == "twcs" and not good and errors and errors[0][0] == 1:
            raise ImportFailed(f"{path}: {errors[0][1]}")
        report = self.ingest(good, progress=progress, twcs=fmt == "twcs")
        self._log_import(agent, path, report, len(errors))
        return replace(report, failed=len(errors), errors=errors + [
            (n, f"repaired: {msg}") for n, msg in notes],
            seconds=time.perf_counter() - started)

    def _log_import(self, agent: str, path: str, report: ImportReport, failed: int) -> None:
        with self.store.write():
            self.store.add_event(agent, "import", None, None, {
                "file": path, "imported": report.imported, "skipped": report.skipped,
                "failed": failed}, self.clock())

    def ingest(self, messages: Sequence[MessageIn], progress: Progress | None = None,
               twcs: bool = False) -> ImportReport:
        """Store messages in one write transaction; re-ingesting adds nothing."""
        started = time.perf_counter()
        store = self.store
        imported = 0
        with store.write():
            before_id = store.max_message_id()
            msgs = resolve_threads(messages, store.thread_key_of)
            if twcs:
                brands = {m.author for m in msgs if m.direction == "out"}
                msgs = assign_parties(msgs, brands)
            conv_cache: dict[tuple[str, str], int] = {}
            seen_people: dict[tuple[str, str], tuple[str | None, int | None]] = {}
            total = len(msgs)
            for start in range(0, total, BATCH):
                rows = []
                for m in msgs[start:start + BATCH]:
                    rows.append(self._prepare(m, conv_cache, seen_people))
                imported += store.insert_messages(rows)
                if progress:
                    progress(min(start + BATCH, total), total)
            store.index_messages_after(before_id)
            touched = store.conversations_with_messages_after(before_id)
            self._rederive(touched)
        return ImportReport(imported=imported, skipped=len(messages) - imported,
                            conversations=len(conv_cache),
                            seconds=time.perf_counter() - started)

    def _prepare(self, m: MessageIn, conv_cache: dict[tuple[str, str], int],
                 seen: dict[tuple[str, str], tuple[str | None, int | None]]
                 ) -> tuple[MessageIn, int, int | None, int]:
        store = self.store
        if m.direction == "in" and m.sentiment is None:
            m = replace(m, sentiment=sentiment(m.text))
        brand_id = store.brand_id(m.network, m.brand or "unknown")
        customer_id = None
        if m.customer:
            pkey = (m.network, m.customer)
            info = (m.author_name, m.followers) if m.direction == "in" else (None, None)
            if pkey not in seen or (info != (None, None) and seen[pkey] != info):
                seen[pkey] = info
                customer_id = store.customer_id(m.network, m.customer, info[0], info[1],
                                                m.created_at, vip=m.customer in self.vip)
            else:
                customer_id = store.customer_id(m.network, m.customer)
        ckey = (m.network, m.thread_key or m.remote_id)
        conv = conv_cache.get(ckey)
        if conv is None:
            conv = store.conversation_for(
                m.network, ckey[1], brand_id, customer_id,
                "direct" if m.visibility == "direct" else "public", m.created_at,
                m.keyword, m.keyword_severity)
            conv_cache[ckey] = conv
            if m.keyword:
                store.add_tags(conv, [f"keyword:{m.keyword.lstrip('#').lower()}"])
        return (m, conv, customer_id, brand_id)

    def _rederive(self, conversation_ids: Iterable[int]) -> None:
        inputs = self.store.refresh_aggregates(conversation_ids)
        self.store.apply_states(derive_after_messages(i, self.sla) for i in inputs)


def _chain(first: list[str], rest: Iterable[str]) -> Iterable[str]:
    yield from first
    yield from rest


def import_path_exists(path: str) -> bool:
    return path == "-" or Path(path).exists()
