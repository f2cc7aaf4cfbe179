"""Run a real tuidesk process in a pseudo-terminal and collect every byte it writes."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time


def run_in_pty(argv: list[str], env: dict[str, str], keys: bytes = b"q",
               size: tuple[int, int] = (100, 30), startup: float = 4.0,
               between: float = 0.3) -> tuple[bytes, int | None]:
    """Start `argv` in a pty of `size` (columns, rows), type `keys` one by one.

    Returns:
        (everything written to the terminal, exit code or None if it had to be killed).
    """
    master, slave = pty.openpty()
    cols, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = env | {"TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True, start_new_session=True)
    os.close(slave)
    out = bytearray()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    out.extend(os.read(master, 65536))
                except OSError:
                    return

    try:
        pump(startup)
        for key in keys:
            os.write(master, bytes([key]))
            pump(between)
        pump(2.0)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return bytes(out), None
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return bytes(out), proc.returncode
