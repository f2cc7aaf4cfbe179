"""Untrusted text is made inert for the terminal."""

from __future__ import annotations

import json
import re

import pytest

from tuidesk.services.display import clean, clean_line

HOSTILE = [
    "\x1b]0;pwned title\x07",  # OSC 0: set window title
    "\x1b]52;c;cm0gLXJmIH4=\x07",  # OSC 52: write the clipboard
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b[2J\x1b[H",  # CSI: clear screen, home
    "\x9b31m C1 CSI",  # 8-bit CSI
    "\x90 DCS \x9c",
    "abc\u202edcba",  # right-to-left override
    "\u2066isolate\u2069",
    "bell\x07 backspace\x08 null\x00 del\x7f",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_clean_removes_every_control(text: str) -> None:
    out = clean(text)
    assert not any(ord(c) < 0x20 and c != "\n" for c in out)
    assert not any(0x7F <= ord(c) <= 0x9F for c in out)
    assert "\u202e" not in out and "\u2066" not in out


def test_clean_keeps_text_visible() -> None:
    assert clean("\x1b]52;c;abc\x07") == "␛]52;c;abc␇"
    assert clean("plain [b]markup[/b] stays") == "plain [b]markup[/b] stays"
    assert clean("tab\there") == "tab    here"


def test_clean_line_folds_newlines() -> None:
    assert clean_line("  one\n\n two \r\n") == "one ⏎ two ␍"


# -- the one sanitiser, as properties (Hypothesis) ----------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tuidesk.services.display import (  # noqa: E402
    fill_template,
    safe_cell,
    safe_json,
)

_TERMINAL_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                              "\u2066-\u2069\u2028\u2029]")
#: Text biased towards what attacks a terminal: ESC, C1, BEL, bidi, OSC prefixes.
hostile_text = st.lists(st.one_of(
    st.sampled_from(["\x1b", "\x9b", "\x07", "\x9d", "\u202e", "\u2066", "\u2028", "]52;c;",
                     "]8;;", "[", "{text}", "{customer}", "\n", "\r", "\t"]),
    st.characters()), max_size=30).map("".join)


@given(hostile_text)
def test_clean_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    assert not _TERMINAL_UNSAFE.search(clean(text).replace("\n", ""))
    assert not _TERMINAL_UNSAFE.search(clean_line(text))
    assert "\n" not in clean_line(text)


@given(st.recursive(st.none() | st.integers() | hostile_text,
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(hostile_text, inner, max_size=4), max_leaves=12))
def test_safe_json_is_inert_and_lossless(data: object) -> None:
    text = safe_json(data)
    assert not _TERMINAL_UNSAFE.search(text.replace("\n", ""))
    assert json.loads(text) == data


@given(hostile_text, st.dictionaries(st.sampled_from(["customer", "agent", "brand", "text"]),
                                     hostile_text))
def test_templates_never_carry_controls(body: str, values: dict[str, str]) -> None:
    filled = fill_template(clean_line(body), values)
    assert not _TERMINAL_UNSAFE.search(filled)


def test_templates_fill_in_one_pass() -> None:
    assert fill_template("{reason} / {text}", {"reason": "see {text}", "text": "secret"}) \
        == "see {text} / secret"
    assert fill_template("{unknown} {customer}", {"customer": "Eve\x1b]2;T\x07"}) \
        == "{unknown} Eve␛]2;T␇"


@given(hostile_text)
def test_csv_cells(text: str) -> None:
    cell = safe_cell(text)
    assert not _TERMINAL_UNSAFE.search(cell)
    assert not cell.startswith(("=", "+", "-", "@"))
