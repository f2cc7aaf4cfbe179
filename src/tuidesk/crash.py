"""Provides crash reports: a traceback without local variables, kept in the user state dir.

A traceback that shows locals prints whatever a frame held (an Authorization header, an app
password). Ours never does: the terminal gets one line, and the file gets the stack with
exception messages only, made inert for a terminal (someone will `cat` it), mode 0600.
"""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from tuidesk.paths import state_dir
from tuidesk.services.display import clean, clean_line

#: Exit code of a crash (a bug); 3 is a fault we explain (see cli.py).
EXIT_CRASH = 4


def record(error: BaseException) -> Path | None:
    """Append the error to `crash.log`; returns its path (None if even that failed)."""
    path = state_dir() / "crash.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = "".join(traceback.format_exception(error))  # no locals, ever
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n{clean(text)}\n")
    except OSError:
        return None
    return path


def summary(error: BaseException, log: Path | None) -> str:
    """The one line a user sees for a crash."""
    where = f"; details in {log}" if log else ""
    return clean_line(f"tuidesk crashed: {type(error).__name__}: {error}{where}. "
                      "Please report it; nothing you saved was lost")
