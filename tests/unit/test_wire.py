"""SgrDiff: fewer bytes, the same screen. The oracle is pyte, a terminal emulator nobody here
wrote: the raw stream and the rewritten one must leave identical screens (every cell's
character, colours and attributes), for streams shaped like Textual's and for random ones."""

from __future__ import annotations

import io
import os
import time

import pyte
from hypothesis import given, settings
from hypothesis import strategies as st

from tuidesk.ui.wire import FrameWriter, SgrDiff

COLS, ROWS = 40, 6


def screen_after(*chunks: str) -> list[list[tuple[object, ...]]]:
    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.Stream(screen)
    for chunk in chunks:
        stream.feed(chunk)
    return [[(c.data, c.fg, c.bg, c.bold, c.italics, c.underscore, c.reverse,
              c.strikethrough) for c in (screen.buffer[y][x] for x in range(COLS))]
            for y in range(ROWS)]


STYLES = st.sampled_from([
    "0", "1", "0;1", "38;5;214", "48;5;234", "1;38;5;214;48;5;234", "38;5;231;48;5;234",
    "3", "4", "7", "22", "23", "39", "49", "0;48;5;234", "38;2;10;20;30", "48;2;1;2;3",
    "31", "42", "1;2", "24", "27", "9", "29", "",
])
TEXT = st.lists(st.sampled_from(list("ab -│─é漢") + ["👍🏽"]), max_size=6).map("".join)
MOVES = st.builds(lambda r, c: f"\x1b[{r};{c}H", st.integers(1, ROWS), st.integers(1, COLS))
#: A move, text, then a move to where that text ended (or next to it): Textual's chops.
ADJACENT = st.builds(
    lambda r, c, text, style, off: (f"\x1b[{r};{c}H{text}\x1b[{style}m"
                                    f"\x1b[{r};{c + len(text) + off}Hx"),
    st.integers(1, ROWS), st.integers(1, 20),
    st.sampled_from(["ab", "a b", "", "é", "漢", "│", "─▁", "│ ", "👍🏽"]),
    STYLES, st.integers(-1, 1))
#: How Rich writes a styled segment: its style, its text, a reset (taken as one token).
SEGMENTS = st.builds(lambda s, t: f"\x1b[{s}m{t}\x1b[0m", STYLES, TEXT)
PIECES = st.one_of(STYLES.map(lambda s: f"\x1b[{s}m"), TEXT, MOVES, st.just("\r\n"), ADJACENT,
                   SEGMENTS)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=40), st.integers(1, 3))
def test_the_rewritten_stream_draws_the_same_screen(pieces: list[str], splits: int) -> None:
    raw = "".join(pieces)
    diff = SgrDiff(lambda s: None)
    # Written in several calls, as the driver does: the state carries across them.
    size = max(1, len(pieces) // splits)
    chunks = ["".join(pieces[i:i + size]) for i in range(0, len(pieces), size)]
    converted = [diff.convert(c) for c in chunks]
    assert screen_after(raw) == screen_after(*converted)


def test_textual_shaped_frames_shrink_and_draw_the_same() -> None:
    line = ("\x1b[{r};73H\x1b[38;5;32;48;5;234m│\x1b[0m\x1b[48;5;234m \x1b[0m"
            "\x1b[{r};75H\x1b[1;38;5;214;48;5;234m◀ \x1b[0m\x1b[1;38;5;253;48;5;234mkofi\x1b[0m"
            "\x1b[38;5;231;48;5;234m  13d ago\x1b[0m\x1b[48;5;234m       \x1b[0m"
            "\x1b[{r};95H\x1b[48;5;234m \x1b[0m\r\n")
    frame = "".join(line.replace("{r}", str(r)) for r in range(1, ROWS + 1))
    frame = frame.replace(";73H", ";3H").replace(";75H", ";5H").replace(";95H", ";25H")
    out = SgrDiff(lambda s: None).convert(frame)
    assert screen_after(frame) == screen_after(out)
    assert len(out) < 0.7 * len(frame)


def test_an_unknown_code_passes_through_and_the_next_style_is_sent_whole() -> None:
    diff = SgrDiff(lambda s: None)
    diff.convert("\x1b[0;1mA")
    out = diff.convert("\x1b[58;5;3mB\x1b[0;1mC")
    assert "\x1b[58;5;3m" in out and "\x1b[0;1m" in out


# -- FrameWriter ---------------------------------------------------------------------------

def _pipe() -> tuple[int, io.TextIOWrapper]:
    read, write = os.pipe()
    os.set_blocking(read, False)
    return read, io.TextIOWrapper(io.FileIO(write, "w"), encoding="utf-8")


def _drain(fd: int) -> bytes:
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return out
        if not chunk:
            return out
        out += chunk


def test_a_frame_that_finds_the_writer_idle_is_written_by_the_caller() -> None:
    read, file = _pipe()
    writer = FrameWriter(file)  # never started: only the caller can have written
    writer.write("frame one")
    assert _drain(read) == b"frame one"
    file.close()
    os.close(read)


def test_frames_for_a_terminal_that_is_not_draining_go_through_the_thread_in_order() -> None:
    read, file = _pipe()
    fd = file.fileno()
    os.set_blocking(fd, False)
    filled = 0
    try:
        while True:
            filled += os.write(fd, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(fd, True)
    writer = FrameWriter(file)
    writer.write("second")  # the terminal takes nothing: queued for the thread
    before = _drain(read)  # now it could take bytes again...
    writer.write("third")  # ...but "second" is not written yet: this must queue behind it
    assert writer._queue.qsize() == 2
    writer.start()
    got = before
    for _ in range(500):
        got += _drain(read)
        if got.endswith(b"third"):
            break
        time.sleep(0.01)
    writer.stop()
    assert got == b"x" * filled + b"secondthird"
    file.close()
    os.close(read)
