"""Provides times as agents type them: +90m, 3h, 2d, 1w, YYYY-MM-DD [HH:MM] (UTC), presets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_REL = re.compile(r"^\+?(\d+)\s*([mhdw])$")


def parse_when(text: str, now: int) -> int | None:
    """'+90m', '3h', '2d', '1w', or 'YYYY-MM-DD HH:MM' (UTC); None if not understood."""
    text = text.strip().lower()
    m = _REL.match(text)
    if m:
        unit = {"m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]
        return now + int(m.group(1)) * unit
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return int(datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp())
        except ValueError:
            continue
    return None


def presets(now: int) -> list[tuple[str, int]]:
    day = datetime.fromtimestamp(now, UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    tomorrow = day + timedelta(days=1)
    monday = day + timedelta(days=(7 - day.weekday()) or 7)
    if monday == tomorrow:
        monday += timedelta(days=7)
    return [("1 hour", now + 3600), ("4 hours", now + 4 * 3600),
            (f"tomorrow 09:00 UTC ({tomorrow:%a %d %b})", int(tomorrow.timestamp())),
            (f"next Monday 09:00 UTC ({monday:%a %d %b})", int(monday.timestamp()))]
