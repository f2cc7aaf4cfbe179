"""Untrusted text is made inert for the terminal."""

from __future__ import annotations

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
