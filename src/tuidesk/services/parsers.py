"""Provides parsers for import formats: Customer Support on Twitter CSV and tuidesk JSONL.

Parsers yield `(line_number, MessageIn)` for good records and `(line_number, reason)` for bad
ones, so one bad row is reported by line while the rest is imported. They read streams lazily.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tuidesk.models import MessageIn, Network, Visibility

#: Times outside this window are refused: nothing real was posted before 2000, and a value
#: past 2100 is a unit mistake (milliseconds, microseconds) that would break every date shown.
MIN_TIME = 946_684_800  # 2000-01-01 UTC
MAX_TIME = 4_102_444_800  # 2100-01-01 UTC
#: A number this large cannot be Unix seconds in the window: it is read as milliseconds.
MILLIS_FROM = 100_000_000_000
#: Follower counts above this are not real accounts (the largest have ~10^9).
MAX_FOLLOWERS = 10**11
#: A JSONL line longer than this is refused (the CSV reader refuses fields over 128 KiB).
MAX_LINE = 1024 * 1024
#: Identifiers and names: longer ones are not from any network.
MAX_ID, MAX_NAME, MAX_URL = 512, 512, 4096
NETWORK_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,31}")

TWCS_COLUMNS = ["tweet_id", "author_id", "inbound", "created_at", "text",
                "response_tweet_id", "in_response_to_tweet_id"]
TWCS_TIME = "%a %b %d %H:%M:%S %z %Y"
MENTION = re.compile(r"@(\w{1,50})")

Parsed = tuple[int, MessageIn | str]


def _int_id(value: str, column: str) -> str:
    """Tweet ids arrive as '3' or, after a pandas round trip, as '3.0': both mean 3."""
    v = value.strip()
    if v.endswith(".0"):
        v = v[:-2]
    if not v.isdigit():
        raise ValueError(f"{column} {value!r} is not a tweet id")
    return str(int(v))


def check_time(value: int, field: str = "created_at") -> int:
    """Refuse a time outside [MIN_TIME, MAX_TIME) (see the README's import section)."""
    if not MIN_TIME <= value < MAX_TIME:
        raise ValueError(f"{field} {value} is outside 2000-01-01..2100-01-01 (Unix seconds, "
                         "or milliseconds above 10^11)")
    return value


def decode_lines(stream: Iterable[bytes], notes: list[tuple[int, str]]) -> Iterator[str]:
    """UTF-8 text lines from bytes split on LF; invalid bytes become U+FFFD and are noted.

    Invalid UTF-8 used to be replaced silently; now each such line is named in the report.
    """
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            notes.append((number, "invalid UTF-8 replaced by \ufffd"))
            yield raw.decode("utf-8", "replace")


_CSV_SPECIAL = re.compile(r'["\r]')


def _lines(stream: Iterable[str], notes: list[tuple[int, str]]) -> Iterator[str]:
    """Physical lines split on LF only; a bare CR outside quotes becomes a space.

    A CR inside a quoted field is valid CSV and is kept as written (random5000 line 5202:
    two CRs between sentences of one tweet). Outside quotes, real exports contain records
    broken by a stray CR (head5000 line 2589); csv would end the record there, so that CR
    is neutralised and the repair noted by line. The quote state follows csv's own rules
    (a quote opens a field only at its start; "" inside a quoted field is a quote) and
    carries over lines, as a quoted field may span several.
    """
    quoted = False  # inside a quoted field at the end of the previous line
    for number, line in enumerate(stream, start=1):
        body = line[:-2] + "\n" if line.endswith("\r\n") else line
        if not quoted and '"' not in body and "\r" not in body:
            yield body  # the common line: nothing to track
            continue
        out: list[str] = []
        kept = 0
        repaired = False
        after_quote = False  # inside a quoted field, just after a quote
        for m in _CSV_SPECIAL.finditer(body):
            i, ch = m.start(), m.group()
            if quoted:
                if ch == '"':
                    if after_quote:
                        after_quote = False  # "" is a literal quote
                    elif i + 1 < len(body) and body[i + 1] == '"':
                        after_quote = True
                    else:
                        quoted = False  # the closing quote
                continue  # a comma or a CR inside quotes is content
            if ch == '"':
                if i == 0 or body[i - 1] == ",":  # a quote opens a field only at its start
                    quoted = True
            elif ch == "\r":  # outside quotes
                out.append(body[kept:i] + " ")
                kept = i + 1
                repaired = True
        if repaired:
            notes.append((number, "bare CR outside quotes replaced by a space"))
            out.append(body[kept:])
            body = "".join(out)
        yield body


#: A physical line that starts a TWCS record (id, author, inbound flag).
_RECORD_START = re.compile(r"\n(\d+(\.0)?,)?\d+(\.0)?,[^,\n]*,(True|False),")


def parse_twcs(stream: Iterable[str], notes: list[tuple[int, str]] | None = None
               ) -> Iterator[Parsed]:
    """Parse the TWCS CSV (also its pandas re-export with a leading index column).

    Args:
        stream: text opened with newline='\\n' (see `open_text`).
        notes: receives (line, message) for rows that were repaired, not rejected.
    """
    notes = notes if notes is not None else []
    numbered = enumerate(_lines(stream, notes), start=1)
    try:
        _, head = next(numbered)
        header = next(csv.reader([head]))
    except StopIteration:
        return
    except csv.Error as exc:
        yield (1, f"header: {exc}")
        return
    offset = 0
    if header and header[0].strip() == "" and header[1:8] == TWCS_COLUMNS:
        offset = 1  # pandas wrote its index as an unnamed first column
    elif header[: len(TWCS_COLUMNS)] != TWCS_COLUMNS:
        yield (1, f"header: expected columns {','.join(TWCS_COLUMNS)}; got {','.join(header)}")
        return
    yield from _twcs_records(numbered, len(TWCS_COLUMNS) + offset, offset)


def _twcs_records(numbered: Iterator[tuple[int, str]], width: int, offset: int
                  ) -> Iterator[Parsed]:
    """Records from numbered physical lines.

    A record that spans several lines and is broken (wrong field count, or a quoted field
    that swallowed what look like whole records) comes from an unterminated quote: its first
    line is reported, and the lines it swallowed are read again on their own, so no row is
    lost uncounted.
    """
    buffer: list[tuple[int, str]] = []

    def feed() -> Iterator[str]:
        for number, line in numbered:
            buffer.append((number, line))
            yield line

    reader = csv.reader(feed())
    while True:
        buffer_start = len(buffer)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            start = buffer[buffer_start][0] if len(buffer) > buffer_start else 0
            yield (start, f"unreadable CSV record: {exc}")
            del buffer[:]
            continue
        lines = buffer[buffer_start:]
        del buffer[:]
        if not row or not lines:
            continue
        start = lines[0][0]
        broken = len(row) != width or any(_RECORD_START.search(f) for f in row)
        if len(lines) > 1 and broken:
            yield (start, f"unterminated quote: this record ran over lines {start}-"
                          f"{lines[-1][0]}; the lines after it are read on their own")
            yield from _twcs_records(iter(lines[1:]), width, offset)
            continue
        if len(row) != width:
            yield (start, f"expected {width} fields, found {len(row)}")
            continue
        try:
            yield (start, _twcs_message(row[offset:]))
        except ValueError as exc:
            yield (start, str(exc))


def _twcs_message(f: list[str]) -> MessageIn:
    tweet_id = _int_id(f[0], "tweet_id")
    author = f[1].strip()
    if not author:
        raise ValueError("author_id is empty")
    inbound = f[2].strip()
    if inbound not in ("True", "False"):
        raise ValueError(f"inbound {f[2]!r} is not True/False")
    try:
        created = int(datetime.strptime(f[3].strip(), TWCS_TIME).timestamp())
    except ValueError:
        raise ValueError(f"created_at {f[3][:40]!r} is not a date like 'Tue Oct 31 22:10:47 "
                         "+0000 2017'") from None
    check_time(created)
    parent = _int_id(f[6], "in_response_to_tweet_id") if f[6].strip() else None
    responses = tuple(_int_id(r, "response_tweet_id") for r in f[5].split(",") if r.strip())
    is_in = inbound == "True"
    return MessageIn(
        network=Network.TWITTER, remote_id=tweet_id, direction="in" if is_in else "out",
        author=author, text=f[4], created_at=created, brand="", customer=author if is_in else "",
        in_reply_to=parent, responses=responses,
    )


def _epoch(value: Any) -> int:
    """ISO 8601, or Unix seconds; a number above 10^11 is milliseconds. In the window."""
    if isinstance(value, bool):
        raise ValueError("created_at must be an ISO 8601 time or Unix seconds")
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("created_at must be a finite number")
        seconds = value / 1000 if abs(value) >= MILLIS_FROM else value
        if not MIN_TIME <= seconds < MAX_TIME:
            check_time(int(value))
        return int(seconds)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"created_at {value[:40]!r} is not ISO 8601") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return check_time(int(dt.timestamp()))
    raise ValueError("created_at must be an ISO 8601 time or Unix seconds")


def _str(obj: dict[str, Any], key: str, limit: int, required: bool = False,
         ints: bool = False) -> str | None:
    """A string field of the right type and size (ids may be JSON integers)."""
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"missing field {key!r}")
        return None
    if ints and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, not {type(value).__name__}")
    if len(value) > limit:
        raise ValueError(f"{key} is longer than {limit} characters")
    return value


def jsonl_message(obj: Any) -> MessageIn:
    """Validate one JSONL object (see README 'JSONL import format'): every field is checked
    for type and range; a wrong one refuses the row rather than storing something else."""
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    network = _str(obj, "network", 32, required=True)
    assert network is not None
    if not NETWORK_NAME.fullmatch(network):
        raise ValueError(f"network {network[:32]!r} must be a lower-case name like 'mastodon'")
    direction = obj.get("direction")
    if direction not in ("in", "out"):
        raise ValueError("direction must be 'in' or 'out'")
    visibility = obj.get("visibility", "public")
    if visibility not in (Visibility.PUBLIC, Visibility.DIRECT):
        raise ValueError("visibility must be 'public' or 'direct'")
    if obj.get("text") in (None, ""):
        raise ValueError("missing field 'text'")
    if not isinstance(obj["text"], str):
        raise ValueError(f"text must be a string, not {type(obj['text']).__name__}")
    if "created_at" not in obj:
        raise ValueError("missing field 'created_at'")
    followers = obj.get("followers")
    if followers is not None and (not isinstance(followers, int) or isinstance(followers, bool)
                                  or not 0 <= followers <= MAX_FOLLOWERS):
        raise ValueError(f"followers must be a whole number from 0 to {MAX_FOLLOWERS:.0e}")
    url = _str(obj, "url", MAX_URL)
    if url is not None and not url.lower().startswith(("https://", "http://")):
        raise ValueError("url must start with https:// or http://")
    author = _str(obj, "author", MAX_NAME, required=True)
    assert author is not None
    customer = _str(obj, "customer", MAX_NAME) or (author if direction == "in" else "")
    return MessageIn(
        network=network, remote_id=str(_str(obj, "id", MAX_ID, required=True, ints=True)),
        direction=direction, author=author, text=obj["text"],
        created_at=_epoch(obj["created_at"]),
        brand=str(_str(obj, "brand", MAX_NAME, required=True)), customer=customer,
        in_reply_to=_str(obj, "in_reply_to", MAX_ID, ints=True),
        thread_key=_str(obj, "thread", MAX_ID, ints=True),
        author_name=_str(obj, "author_name", MAX_NAME),
        followers=followers, visibility=visibility, url=url,
    )


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_jsonl(stream: Iterable[str]) -> Iterator[Parsed]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            yield (number, f"line longer than {MAX_LINE:,} characters: refused")
            continue
        try:
            yield (number, jsonl_message(json.loads(line, parse_constant=_no_constants)))
        except json.JSONDecodeError as exc:
            yield (number, f"invalid JSON: {exc.msg} at column {exc.colno}")
        except (ValueError, RecursionError) as exc:
            yield (number, str(exc) if isinstance(exc, ValueError) else "nested too deeply")


def sniff_format(first_line: str) -> str:
    """'twcs' or 'jsonl', from the first line of a file."""
    return "jsonl" if first_line.lstrip().startswith("{") else "twcs"


#: Stored message text is cut here (no network posts more: Mastodon allows 500 characters by
#: default, Bluesky 300 graphemes, X 25,000). The full text is kept in message_originals.
MAX_TEXT = 32_000


def normalise(messages: Sequence[MessageIn]
              ) -> tuple[list[MessageIn], list[tuple[str, str, str]], list[tuple[int, str]]]:
    """What every source's messages pass before they are stored (import, sync, demo).

    Returns:
        (messages to store, originals of cut texts as (network, remote_id, text),
         problems as (index in `messages`, reason): refused rows and repairs, which say so).
    """
    kept: list[MessageIn] = []
    originals: list[tuple[str, str, str]] = []
    problems: list[tuple[int, str]] = []
    for i, m in enumerate(messages):
        if not NETWORK_NAME.fullmatch(m.network) or not m.remote_id or len(m.remote_id) > 512:
            problems.append((i, f"refused: network {m.network[:32]!r} / id is not valid"))
            continue
        if not MIN_TIME <= m.created_at < MAX_TIME:
            problems.append((i, f"refused: created_at {m.created_at} is outside "
                                "2000-01-01..2100-01-01"))
            continue
        if m.followers is not None and not 0 <= m.followers <= MAX_FOLLOWERS:
            m = replace(m, followers=None)
        if len(m.text) > MAX_TEXT:
            originals.append((m.network, m.remote_id, m.text))
            problems.append((i, f"repaired: text of {len(m.text):,} characters cut to "
                                f"{MAX_TEXT:,} for display (the full text is kept)"))
            m = replace(m, text=m.text[:MAX_TEXT] + f"\n[… cut at {MAX_TEXT:,} of "
                                                    f"{len(m.text):,} characters]")
        kept.append(m)
    return kept, originals, problems
