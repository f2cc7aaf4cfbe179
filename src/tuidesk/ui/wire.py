"""Provides SgrDiff: what tuidesk writes to the terminal, with every style change sent as a
difference from the style the terminal already has.

Rich renders each segment as `ESC[0m ESC[<whole style>m text`: a detail pane in one
background colour repeated `48;5;234` and a reset around every word, and two thirds of the
bytes a keystroke sent over SSH were such codes. SgrDiff keeps the terminal's current
attributes and emits, just before the next printed character, only what changes (nothing
when nothing does). Cursor moves pass through untouched and do not force the pending style
out. Any code it does not model is passed through as is and forgets what it knew, so the
next style is sent whole: the screen is never drawn in a wrong style.
"""

from __future__ import annotations

import re
import select
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import IO, TYPE_CHECKING, NamedTuple

from textual.drivers._writer_thread import WriterThread

if TYPE_CHECKING:
    from textual.drivers.linux_driver import LinuxDriver  # imports termios: not on Windows

#: Textual ends each frame with this (synchronized output off).
SYNC_END = "\x1b[?2026l"
#: SGR sequences; absolute cursor moves; other cursor moves, CR and LF: none of these
#: print or use the current style.
#: The first branch is how Rich writes a styled segment, `ESC[<style>m text ESC[0m` (~500
#: in a full frame at 120x40), taken as one token.
_TOKEN = re.compile(r"\x1b\[([0-9;]*)m([^\x1b\r\n]+)\x1b\[0m|\x1b\[([0-9;]*)m"
                    r"|\x1b\[(\d+);(\d+)H|\x1b\[[0-9;]*[ABCDGd]|[\r\n]")
#: Text whose cell width is its length in every terminal (ASCII, box drawing and block
#: elements, one cell each): after it, the cursor's column is known for sure.
_ASCII = re.compile(r"[\x20-\x7e\u2500-\u259f]*")
_FLAGS = {1: "bold", 2: "dim", 3: "italic", 4: "underline", 5: "blink", 7: "reverse",
          8: "conceal", 9: "strike", 53: "overline"}
_FLAG_CODE = {name: code for code, name in _FLAGS.items()}
_UNSET = {22: ("bold", "dim"), 23: ("italic",), 24: ("underline",), 25: ("blink",),
          27: ("reverse",), 28: ("conceal",), 29: ("strike",), 55: ("overline",)}


class Sgr(NamedTuple):
    """A terminal's current attributes. A tuple: hashed and compared in C, as the caches
    below look one up for every style of every frame (~500 at 120x40)."""

    flags: frozenset[str] = frozenset()
    fg: tuple[int, ...] | None = None
    bg: tuple[int, ...] | None = None


DEFAULT = Sgr()


@lru_cache(maxsize=4096)  # a frame repeats the same few styles hundreds of times
def apply(state: Sgr, params: str) -> Sgr | None:
    """The style after `ESC[<params>m`, or None if it uses a code this does not model."""
    codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            state = DEFAULT
        elif c in _FLAGS:
            state = state._replace(flags=state.flags | {_FLAGS[c]})
        elif c in _UNSET:
            state = state._replace(flags=state.flags - set(_UNSET[c]))
        elif 30 <= c <= 37 or 90 <= c <= 97:
            state = state._replace(fg=(c,))
        elif c == 39:
            state = state._replace(fg=None)
        elif 40 <= c <= 47 or 100 <= c <= 107:
            state = state._replace(bg=(c,))
        elif c == 49:
            state = state._replace(bg=None)
        elif c in (38, 48):
            if i + 2 < len(codes) and codes[i + 1] == 5:
                colour: tuple[int, ...] = (c, 5, codes[i + 2])
                i += 2
            elif i + 4 < len(codes) and codes[i + 1] == 2:
                colour = (c, 2, *codes[i + 2:i + 5])
                i += 4
            else:
                return None
            state = state._replace(fg=colour) if c == 38 else state._replace(bg=colour)
        else:
            return None
        i += 1
    return state


@lru_cache(maxsize=4096)
def transition(have: Sgr | None, want: Sgr) -> str:
    """The shortest simple SGR that turns `have` (None: unknown) into `want`."""
    if have == want:
        return ""
    if want == DEFAULT:
        return "\x1b[0m"
    full = _codes(DEFAULT, want, [0])
    if have is None:
        return _sgr(full)
    diff = _codes(have, want, [])
    return _sgr(diff if len(diff) <= len(full) else full)


def _codes(have: Sgr, want: Sgr, codes: list[int]) -> list[int]:
    gone = have.flags - want.flags
    flags = set(want.flags - have.flags)
    for code, names in _UNSET.items():
        if gone & set(names):
            codes.append(code)
            flags |= set(names) & want.flags  # 22 ends bold and dim: put back the one kept
    codes += sorted(_FLAG_CODE[f] for f in flags)
    if want.fg != have.fg:
        codes += want.fg if want.fg is not None else (39,)
    if want.bg != have.bg:
        codes += want.bg if want.bg is not None else (49,)
    return codes


def _sgr(codes: list[int]) -> str:
    return "\x1b[" + ";".join(map(str, codes)) + "m"


class SgrDiff:
    """Wraps a `write(str)`; state persists across writes, as the terminal's does."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self.have: Sgr | None = None
        """What the terminal has now (None: unknown)."""
        self.want: Sgr | None = None
        """What the next printed character must have (None: as the terminal has)."""
        self.at: tuple[int, int] | None = None
        """Where the cursor is, when that is certain (1-based row, column)."""

    def _flush(self, out: list[str]) -> None:
        if self.want is not None:
            out.append(transition(self.have, self.want))
            self.have, self.want = self.want, None

    def __call__(self, data: str) -> None:
        self._write(self.convert(data))
        if data.endswith(SYNC_END):
            # The frame is complete and queued for Textual's writer thread, which then
            # waits for the interpreter lock behind whatever the app runs next (up to the
            # switch interval, ~0.5-1 ms of each key): hand the lock over now.
            time.sleep(0)

    def convert(self, data: str) -> str:
        # One pass over the frame's tokens, the state in locals (a frame at 120x40 has
        # ~800 tokens; this runs in every frame's path to the terminal).
        out: list[str] = []
        append = out.append
        ascii_text = _ASCII.fullmatch
        have, want, at = self.have, self.want, self.at
        pos = 0
        for m in _TOKEN.finditer(data):
            start = m.start()
            seg_params, seg_text, params, row, col = m.groups()
            if start > pos:  # printed text: the pending style goes first
                text = data[pos:start]
                if want is not None:
                    if want != have:
                        append(transition(have, want))
                    have, want = want, None
                append(text)
                if at is not None:  # wide or zero-width characters, controls: unknown
                    at = (at[0], at[1] + len(text)) if text.isascii() and text.isprintable() \
                        or ascii_text(text) else None
            if seg_text is not None or params is not None:  # a style (and its segment)
                sgr = params if seg_text is None else seg_params
                base = want if want is not None else have
                new = apply(base, sgr) if base is not None else (
                    apply(DEFAULT, sgr) if sgr in ("", "0") or sgr.startswith("0;") else None)
                if new is None:  # not modelled: send it as it is, then know nothing
                    if want is not None:
                        append(transition(have, want))
                    append(f"\x1b[{sgr}m")
                    have = want = None
                else:
                    want = new
                if seg_text is not None:  # the segment's text, then its reset
                    if want is not None:
                        if want != have:
                            append(transition(have, want))
                        have, want = want, None
                    append(seg_text)
                    if at is not None:
                        at = (at[0], at[1] + len(seg_text)) if seg_text.isascii() \
                            and seg_text.isprintable() or ascii_text(seg_text) else None
                    want = DEFAULT
            elif row is not None:  # move to (row, col): dropped if the cursor is there
                target = (int(row), int(col))
                if target != at:
                    append(m.group(0))
                    at = target
            else:  # other moves, CR, LF: print nothing; style stays pending
                append(m.group(0))
                at = None
            pos = m.end()
        self.have, self.want, self.at = have, want, at
        if pos < len(data):
            self._text(data[pos:], out)
        return "".join(out)

    def _text(self, text: str, out: list[str]) -> None:
        self._flush(out)
        out.append(text)
        if self.at is not None and _ASCII.fullmatch(text):
            self.at = (self.at[0], self.at[1] + len(text))
        else:
            self.at = None  # wide or zero-width characters, or other controls: unknown


class FrameWriter(WriterThread):
    """Textual's writer thread, except that a write which finds it idle (nothing queued or
    being written, and the terminal ready to take bytes) is written at once by the caller.

    A frame queued for the thread waited for the interpreter lock behind whatever the app
    ran after it (the detail pane's message, a prefetch): 0.6-1.3 ms of each key in a pty
    at 120x40. A terminal that is not draining (a slow link) still gets its frames from
    the thread, in order, and the app goes on meanwhile.
    """

    def __init__(self, file: IO[str]) -> None:
        super().__init__(file)
        self._lock = threading.Lock()
        self._pending = 0
        """Writes queued for the thread and not yet written by it: while there are any,
        the file is the thread's alone."""

    def _writable(self) -> bool:
        try:
            return bool(select.select([], [self._file.fileno()], [], 0)[1])
        except (OSError, ValueError):
            return False

    def write(self, text: str) -> None:
        with self._lock:
            if self._pending == 0 and self._writable():
                self._file.write(text)
                self._file.flush()
                return
            self._pending += 1
        self._queue.put(text)

    def run(self) -> None:
        write, flush, get = self._file.write, self._file.flush, self._queue.get
        while (text := get()) is not None:
            write(text)
            if self._queue.qsize() == 0:
                flush()
            with self._lock:
                self._pending -= 1
        flush()


def frame_driver(base: type[LinuxDriver]) -> type[LinuxDriver]:
    """`base` (Textual's Linux driver) with a FrameWriter in place of its writer thread."""

    class FrameDriver(base):  # type: ignore[valid-type, misc]
        def start_application_mode(self) -> None:
            super().start_application_mode()
            thread: WriterThread | None = getattr(self, "_writer_thread", None)
            if thread is not None and not isinstance(thread, FrameWriter):
                thread.stop()  # writes what it was given (the terminal's mode switches)
                frames = FrameWriter(self._file)
                frames.start()
                self._writer_thread = frames

    return FrameDriver
