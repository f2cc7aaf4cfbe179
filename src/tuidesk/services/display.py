"""Provides neutralisation of untrusted text before it reaches a terminal.

Textual and Rich do not strip terminal control sequences, so a message containing ESC, an
OSC 52 clipboard write or an OSC 8 hyperlink would reach the terminal as-is. Every C0/C1 control
character (except newline) becomes its visible Unicode 'control picture' (ESC shows as ␛), so
the text stays readable and inert; bidi overrides and isolates, which can make text display in a
misleading order, become U+FFFD. Markup is a separate concern: widgets must render untrusted
text with markup disabled (see tuidesk.ui.text).
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_TABLE: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x0A,)}
_TABLE[0x09] = "    "
_TABLE[0x7F] = "\u2421"
_TABLE.update({c: "\ufffd" for c in range(0x80, 0xA0)})
_TABLE.update({ord(c): "\ufffd" for c in _BIDI})
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f" + _BIDI + "]")
_SPACES = re.compile(r"\s*\n\s*")


def clean(text: str) -> str:
    """Make untrusted text inert for a terminal, keeping newlines."""
    if _UNSAFE.search(text) is None:
        return text
    return text.translate(_TABLE)


def clean_line(text: str) -> str:
    """`clean`, folded onto one line (for queue rows and tables)."""
    return _SPACES.sub(" ⏎ ", clean(text).strip())
