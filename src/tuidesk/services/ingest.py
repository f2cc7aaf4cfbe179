"""Provides IngestService: the one path by which messages enter the store (import, demo, sync)."""

from __future__ import annotations

import gc
import itertools
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import IO, Any

from tuidesk.errors import ImportFailed
from tuidesk.models import (
    UNKNOWN_BRAND,
    ImportReport,
    MessageIn,
    NewConversation,
    StateInputs,
    Visibility,
)
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.parsers import (
    decode_lines,
    normalise,
    parse_jsonl,
    parse_twcs,
    sniff_format,
)
from tuidesk.services.priority import SlaPolicy, derive_after_messages
from tuidesk.services.sentiment import sentiment
from tuidesk.services.threads import assign_parties, resolve_threads
from tuidesk.store import Store

Progress = Callable[[int, int], None]
BATCH = 20_000
#: An import commits after about this many messages (whole conversations per transaction),
#: so other agents' writes wait for one short transaction, not the whole file: one 400k-line
#: transaction made 8 agents wait past the 10 s busy timeout.
IMPORT_CHUNK = 2_000
def open_bytes(path: str) -> IO[bytes]:
    """Open a file (or '-' for stdin) for reading lines as bytes (decoded by the parser,
    which reports each line whose UTF-8 is invalid)."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ImportFailed(f"Cannot read {path}: {exc.strerror}") from exc


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = True


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch is ingested.

    Ingest makes hundreds of thousands of short-lived tuples and no reference cycles
    (reference counting frees them all), yet each full collection walks every live object:
    that was ~5% of a 100k-message import. Pauses from several threads are counted, and the
    collector's previous state comes back when the last one ends.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


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
        notes: list[tuple[int, str]] = []
        with open_bytes(path) as stream:
            lines = decode_lines(stream, notes)
            first = next(lines, "")
            fmt = sniff_format(first)
            lines = itertools.chain([first] if first else [], lines)
            parsed = parse_jsonl(lines) if fmt == "jsonl" else parse_twcs(lines, notes)
            good: list[MessageIn] = []
            good_lines: list[int] = []
            errors: list[tuple[int, str]] = []
            for line, item in parsed:
                if isinstance(item, str):
                    errors.append((line, item))
                else:
                    good.append(item)
                    good_lines.append(line)
        if fmt == "twcs" and not good and errors and errors[0][0] == 1:
            raise ImportFailed(f"{path}: {errors[0][1]}")
        report = self.ingest_in_chunks(good, good_lines, fmt == "twcs", progress)
        refused = [e for e in report.errors if e[1].startswith("refused")]
        self._log_import(agent, path, report, len(errors) + len(refused))
        problems = sorted(errors + report.errors + [(n, f"repaired: {msg}") for n, msg in notes])
        return replace(report, failed=len(errors) + len(refused), errors=problems,
                       seconds=time.perf_counter() - started)

    def ingest_in_chunks(self, messages: Sequence[MessageIn], lines: Sequence[int],
                         twcs: bool, progress: Progress | None = None,
                         chunk: int = IMPORT_CHUNK) -> ImportReport:
        """Store a whole file in short transactions of whole conversations.

        Threads and parties are worked out for the whole file first (reads only, no lock),
        so splitting changes nothing in what is stored; each chunk then commits on its own,
        and a re-run after an interruption adds only what is missing (inserts are keyed by
        network and remote id). Between chunks the lock is free for other agents.
        """
        started = time.perf_counter()
        resolved = resolve_threads(messages, self.store.imports.thread_key_of)
        if twcs:
            resolved = assign_parties(resolved, self._known_brands(resolved))
        groups: dict[tuple[str, str], list[int]] = {}
        for i, m in enumerate(resolved):
            groups.setdefault((m.network, m.thread_key or m.remote_id), []).append(i)
        total, done = len(resolved), 0
        imported = skipped = failed = 0
        errors: list[tuple[int, str]] = []
        conversations: set[tuple[str, str]] = set()
        batch: list[int] = []

        def flush() -> None:
            nonlocal imported, skipped, failed, done
            if not batch:
                return
            part = self.ingest([resolved[i] for i in batch], lines=[lines[i] for i in batch])
            imported, skipped, failed = (imported + part.imported, skipped + part.skipped,
                                         failed + part.failed)
            errors.extend(part.errors)
            done += len(batch)
            batch.clear()
            if progress:
                progress(done, total)

        for key, members in groups.items():
            conversations.add(key)
            batch.extend(members)
            if len(batch) >= chunk:
                flush()
        flush()
        if imported > 20_000:
            self.store.checkpoint()  # do not leave the next process a large WAL to replay
        return ImportReport(imported=imported, skipped=skipped, failed=failed, errors=errors,
                            conversations=len(conversations),
                            seconds=time.perf_counter() - started)

    def _known_brands(self, messages: Sequence[MessageIn]) -> set[str]:
        """The accounts that answer: authors of outbound messages here, and the brands
        already stored (configured accounts and earlier imports)."""
        brands = {m.author for m in messages if m.direction == "out"}
        brands.update(h for h in self.store.imports.brand_handles() if h != UNKNOWN_BRAND)
        return brands

    def _log_import(self, agent: str, path: str, report: ImportReport, failed: int) -> None:
        with self.store.write():
            self.store.audit.add_event(agent, "import", None, None, None, self.clock(), {
                "file": path, "imported": report.imported, "skipped": report.skipped,
                "failed": failed})

    def ingest(self, messages: Sequence[MessageIn], progress: Progress | None = None,
               twcs: bool = False, lines: Sequence[int] | None = None) -> ImportReport:
        """Store messages in one write transaction; re-ingesting adds nothing.

        People and conversations are upserted in batches (one executemany each, ids read
        back with one join), so the cost per message stays close to a plain insert.

        Args:
            lines: the source line of each message, to name it in the report's errors.
        """
        started = time.perf_counter()
        store = self.store
        imported = 0
        given = len(messages)
        messages, originals, problems = normalise(messages)
        where = (lambda i: lines[i]) if lines is not None else (lambda i: 0)  # noqa: E731
        errors = [(where(i), reason) for i, reason in problems]
        # Sentiment is CPU work (~40 µs a message): done before the write lock is taken, so
        # other agents never wait for it.
        messages = [replace(m, sentiment=sentiment(m.text))
                    if m.direction == "in" and m.sentiment is None else m for m in messages]
        with _gc_paused(), store.write():
            before_id = store.imports.max_message_id()
            msgs = resolve_threads(messages, store.imports.thread_key_of)
            if twcs:
                msgs = assign_parties(msgs, self._known_brands(msgs))
            brand_ids = {(m.network, m.brand or UNKNOWN_BRAND): 0 for m in msgs}
            for key in brand_ids:
                brand_ids[key] = store.imports.brand_id(*key)
            people: dict[tuple[str, str], list[Any]] = {}
            groups: dict[tuple[str, str], list[MessageIn]] = {}
            vip = self.vip
            for m in msgs:
                key = (m.network, m.thread_key or m.remote_id)
                group = groups.get(key)
                if group is None:
                    groups[key] = [m]
                else:
                    group.append(m)
                if not m.customer:
                    continue
                info = people.get((m.network, m.customer))
                if info is None:
                    info = people[(m.network, m.customer)] = [None, None, m.created_at,
                                                              m.customer in vip]
                elif m.created_at < info[2]:
                    info[2] = m.created_at
                if m.direction == "in":
                    if m.author_name is not None:
                        info[0] = m.author_name
                    if m.followers is not None:
                        info[1] = m.followers
            customer_ids = store.imports.upsert_customers(
                [(net, handle, *info) for (net, handle), info in people.items()])
            threads: dict[tuple[str, str], tuple[Any, ...]] = {}
            for key, group in groups.items():
                m = group[0]
                # The conversation's brand is its inbound messages' (the thread's brand); an
                # outbound message carries the brand that wrote it, which may be another.
                m = next((x for x in group if x.direction == "in"), m)
                threads[key] = (key[0], key[1], brand_ids[(m.network, m.brand or UNKNOWN_BRAND)],
                                customer_ids.get((m.network, m.customer)),
                                Visibility.DIRECT if m.visibility == Visibility.DIRECT
                                else Visibility.PUBLIC,
                                m.created_at, m.keyword, m.keyword_severity)
            existing = store.imports.existing_conversations(list(threads))
            conv_ids = dict(existing)
            fresh = [k for k in threads if k not in existing]
            if fresh:
                # New conversations are inserted once, with their final derived state: no
                # second pass of aggregate queries and indexed updates for them.
                conv_ids.update(self._insert_new(fresh, threads, groups, people, brand_ids))
            for key, group in groups.items():
                for m in group:
                    if m.keyword:
                        store.conversations.add_tags(conv_ids[key],
                                       [f"keyword:{m.keyword.lstrip('#').lower()}"])
            total = len(msgs)
            for start in range(0, total, BATCH):
                imported += store.imports.insert_messages(
                    (m, conv_ids[(m.network, m.thread_key or m.remote_id)],
                     customer_ids.get((m.network, m.customer)),
                     brand_ids[(m.network, m.brand or UNKNOWN_BRAND)])
                    for m in msgs[start:start + BATCH])
                if progress:
                    progress(min(start + BATCH, total), total)
            if originals:
                store.imports.keep_originals(originals)
            store.imports.index_messages_after(before_id)
            store.tallies.add_messages_after(before_id)
            touched = store.imports.conversations_with_messages_after(before_id)
            known = set(existing.values())
            self.rederive([cid for cid in touched if cid in known])
            store.imports.refresh_conversation_brands([c for c in touched if c in known])
        if imported > 20_000:
            store.checkpoint()  # do not leave the next process a large WAL to replay
        refused = given - len(messages)
        return ImportReport(imported=imported, skipped=len(messages) - imported,
                            failed=refused, errors=errors, conversations=len(conv_ids),
                            seconds=time.perf_counter() - started)

    def _insert_new(self, keys: list[tuple[str, str]],
                    threads: dict[tuple[str, str], tuple[Any, ...]],
                    groups: dict[tuple[str, str], list[MessageIn]],
                    people: dict[tuple[str, str], list[Any]],
                    brand_ids: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
        store = self.store
        first_id = store.imports.max_conversation_id() + 1
        customers = {threads[k][3] for k in keys if threads[k][3] is not None}
        known = store.imports.customer_facts(
            list(customers))  # id -> (followers, vip, conversations)
        new_per_customer: dict[int, int] = {}
        for k in keys:
            cust = threads[k][3]
            if cust is not None:
                new_per_customer[cust] = new_per_customer.get(cust, 0) + 1
        rows: list[NewConversation] = []
        brand_rows: list[tuple[int, int, int | None]] = []
        ids = {}
        for offset, k in enumerate(keys):
            cid = first_id + offset
            ids[k] = cid
            net, thread_key, brand, cust, channel, _, keyword, severity = threads[k]
            msgs = groups[k]
            if len(msgs) > 1:  # in time order; within a second, by id (ids grow with time)
                msgs = sorted({m.remote_id: m for m in msgs}.values(),
                              key=lambda m: (m.created_at, len(m.remote_id), m.remote_id))
            ins = [m for m in msgs if m.direction == "in"]
            outs = [m.created_at for m in msgs if m.direction == "out"]
            last_out = max(outs) if outs else None
            waiting = [m.created_at for m in ins if last_out is None or m.created_at > last_out]
            latest_in = ins[-1] if ins else None
            followers, vip, count = known.get(cust, (None, 0, 0)) if cust else (None, 0, 0)
            inputs = StateInputs(
                id=cid, status="new", assignee=None, created_at=msgs[0].created_at,
                last_at=msgs[-1].created_at,
                last_inbound_at=latest_in.created_at if latest_in else None,
                waiting_since=min(waiting) if waiting else None,
                first_response_at=min(outs) if outs else None, resolved_at=None,
                snoozed_until=None, sentiment=latest_in.sentiment if latest_in else None,
                followers=followers, vip=vip,
                repeat=count + new_per_customer.get(cust, 0) if cust else 0,
                last_out=last_out, keyword=keyword, keyword_severity=severity,
                first_inbound_at=ins[0].created_at if ins else None,
            )
            state = derive_after_messages(inputs, self.sla)
            preview = (latest_in or msgs[-1]).text
            # Each brand's first reply after the customer's first message (m017).
            firsts: dict[int, int | None] = {brand: None}
            start = ins[0].created_at if ins else None
            for m in msgs:
                if m.direction == "out":
                    bid = brand_ids[(m.network, m.brand or UNKNOWN_BRAND)]
                    if firsts.get(bid) is None and start is not None and m.created_at >= start:
                        firsts[bid] = m.created_at
                    else:
                        firsts.setdefault(bid, None)
            if len(firsts) > 1:  # answered by several brands: each counts its own (m017)
                brand_rows += [(cid, bid, at) for bid, at in firsts.items()]
            rows.append(NewConversation(
                id=cid, network=net, thread_key=thread_key, brand_id=brand, customer_id=cust,
                channel=Visibility.DIRECT if any(m.visibility == Visibility.DIRECT
                                                 for m in msgs) else channel,
                status=state.status, bucket=state.bucket, sort_key=state.sort_key,
                priority=state.priority, priority_reasons=state.reasons,
                due_at=state.due_at, created_at=inputs.created_at,
                last_at=msgs[-1].created_at, last_inbound_at=inputs.last_inbound_at,
                waiting_since=inputs.waiting_since,
                first_response_at=inputs.first_response_at, message_count=len(msgs),
                inbound_count=len(ins), sentiment=inputs.sentiment, preview=preview,
                updated_at=inputs.created_at, keyword=keyword, keyword_severity=severity,
                first_inbound_at=ins[0].created_at if ins else None,
                first_sentiment=ins[0].sentiment if ins else None,
                first_reply_at=min((t for t in outs if ins and t >= ins[0].created_at),
                                   default=None),
                first_due_at=state.first_due_at))
        store.imports.insert_conversations(rows)
        store.imports.insert_conversation_brands(brand_rows)
        return ids

    def rederive(self, conversation_ids: Iterable[int]) -> None:
        """Re-derive the state of stored conversations from their messages."""
        inputs = self.store.imports.refresh_aggregates(conversation_ids)
        self.store.imports.apply_states(derive_after_messages(i, self.sla) for i in inputs)


