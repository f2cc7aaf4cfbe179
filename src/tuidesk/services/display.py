"""Provides neutralisation of untrusted text before it reaches a terminal.

Textual and Rich do not strip terminal control sequences, so a message containing ESC, an
OSC 52 clipboard write or an OSC 8 hyperlink would reach the terminal as-is. Every C0/C1 control
character (except newline) becomes its visible Unicode 'control picture' (ESC shows as ␛), so
the text stays readable and inert; bidi overrides and isolates, which can make text display in a
misleading order, become U+FFFD. Markup is a separate concern: widgets must render untrusted
text with markup disabled (see tuidesk.ui.text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: Line and paragraph separators: terminals and JSON readers treat them as line breaks.
_SEPARATORS = "\u2028\u2029"
_TABLE: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x0A,)}
_TABLE[0x09] = "    "
_TABLE[0x7F] = "\u2421"
_TABLE.update({c: "\ufffd" for c in range(0x80, 0xA0)})
_TABLE.update({ord(c): "\ufffd" for c in _BIDI})
_TABLE.update({ord(c): "\n" for c in _SEPARATORS})
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f" + _BIDI + _SEPARATORS + "]")
#: What JSON output escapes beyond what `json.dumps` already does (it escapes C0 only).
_JSON_UNSAFE = re.compile("[\x7f-\x9f" + _BIDI + _SEPARATORS + "]")
_SPACES = re.compile(r"\s*\n\s*")


def clean(text: str) -> str:
    """Make untrusted text inert for a terminal, keeping newlines."""
    if _UNSAFE.search(text) is None:
        return text
    return text.translate(_TABLE)


def clean_line(text: str) -> str:
    """`clean`, folded onto one line (for queue rows and tables)."""
    return _SPACES.sub(" ⏎ ", clean(text).strip())


def rel(seconds: int) -> str:
    """A short duration: 45s, 12m, 3h, 4d, 6w."""
    s = abs(int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400 * 2:
        return f"{s // 3600}h"
    if s < 86400 * 14:
        return f"{s // 86400}d"
    if s < 86400 * 365:
        return f"{s // (86400 * 7)}w"
    return f"{s // (86400 * 365)}y"


def utc_time(ts: int, fmt: str | None = None) -> str:
    """A stored Unix time as UTC text (ISO 8601 by default); '?' for one no calendar holds.

    Imports refuse such times now; a database written before that may still hold one, and
    it must not take the app down for every agent (`year 58692 is out of range`).
    """
    from datetime import UTC, datetime

    try:
        dt = datetime.fromtimestamp(ts, UTC)
    except (OverflowError, OSError, ValueError):
        return "?"
    return dt.isoformat() if fmt is None else dt.strftime(fmt)


def due_label(due_at: int | None, now: int) -> tuple[str, bool]:
    """('in 20m' | '3h over' | '', overdue?)."""
    if due_at is None:
        return "", False
    delta = due_at - now
    return (f"in {rel(delta)}", False) if delta >= 0 else (f"{rel(delta)} over", True)


def grapheme_len(text: str) -> int:
    """User-perceived characters (Bluesky's limit counts graphemes, not code points).

    Combining marks, zero-width joiners and what they join, variation selectors and emoji
    skin-tone modifiers do not start a new grapheme; a regional-indicator pair is one flag.
    """
    import unicodedata

    count = 0
    join_next = False
    ri_open = False
    for ch in text:
        cp = ord(ch)
        if join_next:
            join_next = False
            continue
        if cp == 0x200D:
            join_next = True
            continue
        if unicodedata.combining(ch) or 0xFE00 <= cp <= 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF:
            continue
        if 0x1F1E6 <= cp <= 0x1F1FF:
            if ri_open:
                ri_open = False
                continue
            ri_open = True
        else:
            ri_open = False
        count += 1
    return count


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fill_template(body: str, values: dict[str, Any],
                  encode: Callable[[Any], str] | None = None) -> str:
    """Replace {customer}, {agent}, {brand}, ... in one pass; unknown {names} stay as typed.

    One pass: a value that itself contains `{text}` is not filled again (a reason typed as
    "{text}" must not receive the customer's message). Values are untrusted (a customer's
    display name): control and bidi characters are neutralised and the value folded onto
    one line before it is placed, so a template can never carry an escape sequence.

    Args:
        encode: applied to each cleaned value (e.g. JSON string escaping for webhook bodies);
            with it, values keep their line breaks (the encoding carries them safely).
    """
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            return match.group(0)
        value = values[key]
        if encode is None:
            return clean_line(str(value))
        return encode(clean(value) if isinstance(value, str) else value)

    return _PLACEHOLDER.sub(one, body)


def safe_json(data: Any, indent: int | None = 1) -> str:
    """JSON for a terminal or a pipe: UTF-8 kept readable, every control and bidi character
    escaped as \\uXXXX (json.dumps leaves DEL, C1, bidi overrides and U+2028/9 raw).

    Outside strings JSON is ASCII punctuation, so escaping these characters anywhere in the
    output only ever touches string contents.
    """
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


#: Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell: text cleaned onto one line and kept from being read as a formula."""
    if not isinstance(value, str):
        return value
    text = clean_line(value)
    return "'" + text if text.startswith(_FORMULA) else text


_URL_BAD = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\"'<>\\`]")


def openable_url(url: str | None) -> str | None:
    """`url` if it is safe to open or copy: http(s), a host, and nothing a shell, a
    terminal or a browser would read as more than a link (no spaces, quotes, controls or
    bidi marks); else None. A message's URL comes from its server, as untrusted as its text.
    """
    from urllib.parse import urlsplit

    if not url or len(url) > 2000 or _URL_BAD.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url
