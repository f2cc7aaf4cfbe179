"""Provides the only way the command line writes to a terminal or a pipe.

Every line goes through `services.display`: control, escape and bidi characters in untrusted
text (names, messages, brands, server errors, a hostile header echoed in an import error) are
shown inert; JSON escapes them as \\uXXXX; CSV cells are cleaned and kept from running as
spreadsheet formulas. `tests/test_architecture.py` checks that nothing else in the package
prints.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from typing import Any

from tuidesk.services.display import clean, clean_line, safe_cell, safe_json


def out(text: str = "") -> None:
    """One or more lines on stdout."""
    sys.stdout.write(clean(text) + "\n")


def err(text: str) -> None:
    """One line on stderr (errors and warnings are one line each)."""
    sys.stderr.write(clean_line(text) + "\n")
    sys.stderr.flush()


def out_json(data: Any) -> None:
    sys.stdout.write(safe_json(data) + "\n")


def out_csv(rows: Iterable[Iterable[Any]]) -> None:
    writer = csv.writer(sys.stdout)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
