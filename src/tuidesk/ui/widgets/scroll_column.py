"""The queue's scroll column: one cell per row, drawn by the rows themselves (Textual's
scrollbar widget cost a third of a view switch)."""

from __future__ import annotations


def thumb_rows(total: int, height: int, top: float) -> tuple[int, int]:
    """Rows [start, end) of the scroll column's thumb; (0, 0) when every row fits."""
    if height <= 0 or total <= height:
        return 0, 0
    size = max(1, round(height * height / total))
    start = round((height - size) * min(1.0, max(0.0, top / (total - height))))
    return start, start + size
