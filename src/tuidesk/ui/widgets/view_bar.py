"""Provides ViewBar: the top line: the views and their counts (or the search shown), who I am,
refused and waiting replies, and each account's sync state, compact enough for 80 columns."""

from __future__ import annotations

from textual.cache import LRUCache
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Static

from tuidesk.models import VIEW_TITLES, View
from tuidesk.services.display import rel
from tuidesk.services.health import ChannelHealth
from tuidesk.services.queue_window import QueueWindow, SearchWindow
from tuidesk.ui.guard import Guarded
from tuidesk.ui.text import drawn, join, safe_line

VIEW_ORDER = [View.INBOX, View.MINE, View.PENDING, View.ESCALATED, View.SNOOZED,
              View.RESOLVED, View.ALL]

Part = object


def window_count(window: QueueWindow | SearchWindow) -> str:
    """'1,204', or '100+' while search results (or a saved view's count) are on their way
    or go past what is counted."""
    more = (not window.complete) if isinstance(window, SearchWindow) else (
        window.counting or window.capped)
    return f"{window.total:,}{'+' if more else ''}"


class ViewBar(Guarded, Static):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id, markup=False)
        self._shown: tuple[object, ...] = ()
        self._lines: LRUCache[tuple[object, ...], Strip] = LRUCache(64)
        """The bar as drawn lately, by what it says: switching back to a view draws it from
        here (rendering its styled text was ~0.6 ms of a view switch)."""

    def notify_style_update(self) -> None:
        self._lines.clear()  # the theme changed
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        key = (self._shown, self.size.width, y)
        if (strip := self._lines.get(key)) is None:
            strip = self._lines[key] = super().render_line(y)
        return strip

    def show(self, view: str, count: str, search: str | None, agent: str,
             outbox: dict[str, int], health: list[ChannelHealth] | None, now: int,
             width: int, saved: list[tuple[str, str]] | None = None, marked: int = 0) -> None:
        """`saved`: (name, title) of the saved views, shown after the built-in ones; `marked`:
        how many conversations are marked (always shown while any are)."""
        saved = saved or []
        titles = dict(VIEW_TITLES) | dict(saved)
        parts: list[Part] = []
        if marked:  # first: whatever else is cut at the right edge, this stays
            parts.append((f" ✓ {marked} marked ", "bold reverse $warning"))
        # The other views' titles shrink to their keys where they would crowd the line.
        narrow = width < 100 + 12 * len(saved) + 14 * bool(marked)
        if search is not None:
            parts += [("Search ", "bold $accent"), safe_line(repr(search)),
                      (f"  {count} conversation{'' if str(count) == '1' else 's'}  ·  "
                       "Esc returns to ", ""),
                      safe_line(titles.get(view, view))]
        else:
            tabs = [(str(i + 1), v.value, VIEW_TITLES[v]) for i, v in enumerate(VIEW_ORDER)]
            tabs += [("890"[i] if i < 3 else "", name, title)
                     for i, (name, title) in enumerate(saved)]
            for key, name, title in tabs:
                if name != view and narrow:
                    # At 80 columns the other views are their keys: room for what failed.
                    title = title[:4] if width >= 90 + 6 * len(saved) or not key else ""
                style = "bold reverse" if name == view else "$text-muted"
                if name in VIEW_TITLES:
                    parts.append((f" {key} {title} " if title else f" {key}", style))
                elif key or title:  # a saved view: its title is config text, shown as is
                    parts += [(f" {key}" + " " * bool(title) if key else " ", style)]
                    if title:
                        parts += [safe_line(title, style), (" ", style)]
                if name == view:
                    parts.append((f"{count} ", style))
        parts += [("  │ ", "$text-muted"), safe_line(agent, "bold")]
        parts += _outbox(outbox) + _sync(health, now, width)
        # One row by the stylesheet (height: 1): its size never changes, so no layout pass
        # (a layout repaints the whole screen: ~30 ms and every row's bytes per view switch).
        shown = tuple(drawn(p) if isinstance(p, Content) else p for p in parts)
        if shown != self._shown:
            self._shown = shown
            self.update(join(*parts), layout=False)  # type: ignore[arg-type]


def _outbox(counts: dict[str, int]) -> list[Part]:
    """Refused replies first (they are work), then what waits."""
    parts: list[Part] = []
    if counts.get("failed"):
        parts.append((f"  ✗ {counts['failed']} refused", "bold $error"))
    waiting = counts.get("queued", 0) + counts.get("sending", 0)
    if waiting:
        parts.append((f"  ⧗ {waiting} to send", "$warning"))
    return parts


def _sync(health: list[ChannelHealth] | None, now: int, width: int) -> list[Part]:
    """Channels: the unhealthy ones first and at every width (failing, or silent longer
    than [sync] silent_after); the healthy ones' last sync only where there is room."""
    if health is None:
        return [("  · offline", "$text-muted")]
    bad = [h for h in health if h.state in ("failing", "silent")]
    parts: list[Part] = []
    if len(bad) == 1 or (bad and width >= 120):
        for h in bad:
            mark = "✗" if h.state == "failing" else "◌"
            tail = h.detail.rsplit(": ", 1)[-1] if h.state == "failing" else "silent"
            room = 24 if width < 100 else 40
            parts += [(f"  {mark} ", "bold $error"),
                      safe_line(f"{h.account}: {tail}"[:room], "bold $error")]
    elif bad:
        parts.append((f"  ✗ {len(bad)} channels down", "bold $error"))
    ok = [h for h in health if h.state == "ok" and h.last_sync_at]
    if ok and width >= 100:
        for h in ok:
            parts += [("  ⟳ ", "$success"), safe_line(h.account),
                      (f" {rel(now - (h.last_sync_at or now))} ago", "$text-muted")]
    elif ok and not bad:
        parts.append(("  ⟳ ok", "$success"))
    return parts
