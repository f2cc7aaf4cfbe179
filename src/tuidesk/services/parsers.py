"""Provides parsers for import formats: Customer Support on Twitter CSV and tuidesk JSONL.

Parsers yield `(line_number, MessageIn)` for good records and `(line_number, reason)` for bad
ones, so one bad row is reported by line while the rest is imported. They read streams lazily.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from tuidesk.models import MessageIn, Network

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


def _lines(stream: Iterable[str], notes: list[tuple[int, str]]) -> Iterator[str]:
    """Physical lines split on LF only; a bare CR inside a line (not a CRLF) becomes a space.

    Real exports contain records broken by a stray CR in an unquoted field; splitting on CR
    would cut such a record in two, so the CR is neutralised and the repair noted by line.
    """
    for number, line in enumerate(stream, start=1):
        body = line[:-2] + "\n" if line.endswith("\r\n") else line
        if "\r" in body:
            notes.append((number, "bare CR inside a field replaced by a space"))
            body = body.replace("\r", " ")
        yield body


def parse_twcs(stream: Iterable[str], notes: list[tuple[int, str]] | None = None
               ) -> Iterator[Parsed]:
    """Parse the TWCS CSV (also its pandas re-export with a leading index column).

    Args:
        stream: text opened with newline='\\n' (see `open_text`).
        notes: receives (line, message) for rows that were repaired, not rejected.
    """
    notes = notes if notes is not None else []
    reader = csv.reader(_lines(stream, notes))
    try:
        header = next(reader)
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
    width = len(TWCS_COLUMNS) + offset
    last_line = 1
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            last_line = reader.line_num
            yield (start, f"unreadable CSV record: {exc}")
            continue
        last_line = reader.line_num
        if not row:
            continue
        if len(row) != width:
            yield (start, f"expected {width} fields, found {len(row)}")
            continue
        fields = row[offset:]
        try:
            yield (start, _twcs_message(fields))
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
        raise ValueError(f"created_at {f[3]!r} is not a date like 'Tue Oct 31 22:10:47 +0000 "
                         "2017'") from None
    parent = _int_id(f[6], "in_response_to_tweet_id") if f[6].strip() else None
    is_in = inbound == "True"
    return MessageIn(
        network=Network.TWITTER, remote_id=tweet_id, direction="in" if is_in else "out",
        author=author, text=f[4], created_at=created, brand="", customer=author if is_in else "",
        in_reply_to=parent,
    )


def _epoch(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("created_at must be an ISO 8601 time or Unix seconds")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"created_at {value!r} is not ISO 8601") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(dt.timestamp())
    raise ValueError("created_at must be an ISO 8601 time or Unix seconds")


def _opt_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise ValueError(f"{key} must be a string")
    return str(value)


def jsonl_message(obj: Any) -> MessageIn:
    """Validate one JSONL object (see README 'JSONL import format')."""
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    for key in ("network", "id", "direction", "author", "brand", "text", "created_at"):
        if obj.get(key) in (None, ""):
            raise ValueError(f"missing field {key!r}")
    if obj["direction"] not in ("in", "out"):
        raise ValueError("direction must be 'in' or 'out'")
    visibility = obj.get("visibility", "public")
    if visibility not in ("public", "direct"):
        raise ValueError("visibility must be 'public' or 'direct'")
    if not isinstance(obj["text"], str):
        raise ValueError("text must be a string")
    followers = obj.get("followers")
    if followers is not None and (not isinstance(followers, int) or isinstance(followers, bool)):
        raise ValueError("followers must be an integer")
    author = str(obj["author"])
    customer = _opt_str(obj, "customer") or (author if obj["direction"] == "in" else "")
    return MessageIn(
        network=str(obj["network"]), remote_id=str(obj["id"]), direction=obj["direction"],
        author=author, text=obj["text"], created_at=_epoch(obj["created_at"]),
        brand=str(obj["brand"]), customer=customer, in_reply_to=_opt_str(obj, "in_reply_to"),
        thread_key=_opt_str(obj, "thread"), author_name=_opt_str(obj, "author_name"),
        followers=followers, visibility=visibility, url=_opt_str(obj, "url"),
    )


def parse_jsonl(stream: Iterable[str]) -> Iterator[Parsed]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield (number, jsonl_message(json.loads(line)))
        except json.JSONDecodeError as exc:
            yield (number, f"invalid JSON: {exc.msg} at column {exc.colno}")
        except ValueError as exc:
            yield (number, str(exc))


def sniff_format(first_line: str) -> str:
    """'twcs' or 'jsonl', from the first line of a file."""
    return "jsonl" if first_line.lstrip().startswith("{") else "twcs"
