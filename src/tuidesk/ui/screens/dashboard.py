"""Provides DashboardScreen: is the channel watched and answered? Enter drills into a view."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from tuidesk.models import VIEW_TITLES, View
from tuidesk.services.display import rel
from tuidesk.services.insight import Report
from tuidesk.ui.guard import Guarded
from tuidesk.ui.text import join, safe_line

#: What a drill-down returns: a view name, ("conversation", id) or ("agent", name).
Drill = str | tuple[str, int] | tuple[str, str] | None


def _dur(seconds: float | None) -> str:
    return "-" if seconds is None else rel(int(seconds))


def _bar(parts: list[tuple[int, str]], width: int = 30) -> list[tuple[str, str]]:
    total = sum(n for n, _ in parts) or 1
    return [("█" * round(width * n / total), style) for n, style in parts]


class DashboardScreen(Guarded, Screen[Drill]):
    DEFAULT_CSS = """
    DashboardScreen #dash-title { height: 1; background: $panel; padding: 0 1;
        text-style: bold; }
    DashboardScreen #dash-main { height: 1fr; }
    DashboardScreen #dash-left { width: 30; border-right: solid $primary; }
    DashboardScreen #dash-left OptionList { height: 1fr; border: none; }
    DashboardScreen #dash-right { width: 1fr; padding: 0 1; }
    DashboardScreen Sparkline { height: 2; margin: 0 0 1 0; }
    DashboardScreen .dash-head { color: $accent; text-style: bold; }
    """
    BINDINGS = [Binding("escape,D", "close", "Back to queue", id="dashboard.close"),
                Binding("q", "app.quit", "Quit", show=False, id="dashboard.quit")]

    def __init__(self, report: Report | None) -> None:
        super().__init__()
        self.report = report
        """The figures; None while they are being read (in a thread, on their own
        connection: the app keeps answering keys)."""
        self.targets: list[Drill] = []
        self.filled = report is not None
        """True once the figures are on the screen (they are read in a thread)."""

    async def show_report(self, report: Report) -> None:
        if self not in self.app.screen_stack:
            return  # closed before the figures came: nothing to fill in
        if not self.is_mounted:  # the figures came first: fill in once the screen is up
            self.call_after_refresh(self.show_report, report)
            return
        self.report = report
        self.targets = []
        await self.recompose()
        for options in self.query(OptionList):  # none if Esc closed it meanwhile
            options.focus()
        self.filled = True

    def compose(self) -> ComposeResult:
        r = self.report
        yield Label("Dashboard: Enter on a figure opens its queue · Esc back", id="dash-title",
                    markup=False)
        if r is None:
            yield Label("Reading the figures…", id="dash-wait", markup=False)
            yield Footer()
            return
        with Horizontal(id="dash-main"):
            with Vertical(id="dash-left"):
                yield Label("Backlog", classes="dash-head", markup=False)
                options = []
                for v in View:
                    options.append(Option(f"{VIEW_TITLES[v]:<12}{r.views[v.value]:>9,}"))
                    self.targets.append(v.value)
                options.append(Option(join(("Overdue now ", "bold $error"),
                                           (f"{r.overdue_now:>8,}", "bold $error"))))
                self.targets.append(View.INBOX.value)
                if r.oldest_waiting:
                    o = r.oldest_waiting
                    options.append(Option(join("Oldest waiting ", safe_line(
                        f"#{o.conversation} {o.customer}"[:22]),
                        f" {_dur(o.waiting_s)}")))
                    self.targets.append(("conversation", int(o.conversation)))
                for a in r.agents:
                    if a.open:
                        options.append(Option(join(safe_line(f"{a.agent[:12]:<12}"),
                                                   f"{a.open:>6} open")))
                        self.targets.append(("agent", str(a.agent)))
                yield OptionList(*options, id="dash-drill")
            with VerticalScroll(id="dash-right"):
                yield Static(self._figures(r), id="dash-figures")
                yield Label("Inbound messages per hour, last 24 h", classes="dash-head",
                            markup=False)
                yield Sparkline(r.volume_per_hour, summary_function=max, id="dash-volume")
                yield Static(self._people(r), id="dash-people")
        yield Footer()

    @staticmethod
    def _figures(r: Report) -> Content:
        parts: list[object] = [("First response  answered median  p90  late\n",
                                "bold $accent")]
        for w in r.windows:
            label = w.label if len(w.label) <= 14 else w.label[:13] + "."
            parts.append(f"  {label:<14}{w.answered:>8,} {_dur(w.median_s):>6} "
                         f"{_dur(w.p90_s):>4} ")
            parts.append((f"{w.late:>5}\n", "bold $error" if w.late else ""))
        s, c = r.sentiment, r.conversions
        parts.append(("\nSentiment of inbound messages\n", "bold $accent"))
        parts += _bar([(s["negative"], "$error"), (s["neutral"], "$text-muted"),
                       (s["positive"], "$success")])
        parts.append(f"\n  negative {s['negative']:,} · neutral {s['neutral']:,} · "
                     f"positive {s['positive']:,}\n")
        parts.append(("Conversions ", "bold $accent"))
        parts.append(f"{c['ended_positive']:,} of {c['started_negative']:,} conversations that "
                     "started negative ended positive\n")
        return join(*parts)  # type: ignore[arg-type]

    @staticmethod
    def _people(r: Report) -> Content:
        parts: list[object] = [("Agent      handled  median reply  open\n", "bold $accent")]
        for a in r.agents:
            parts += [safe_line(f"  {a.agent[:9]:<9}"),
                      f" {a.handled:>7} {_dur(a.median_response_s):>13} "
                      f"{a.open:>5}\n"]
        if not r.agents:
            parts.append(("  no agent activity yet\n", "$text-muted"))
        parts.append(("\nBrand               answered median  p90\n", "bold $accent"))
        for b in r.brands[:12]:
            parts += [safe_line(f"  {b.brand[:17]:<17}"),
                      f" {b.answered:>8,} {_dur(b.median_s):>6} {_dur(b.p90_s):>4}\n"]
        return join(*parts)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        for options in self.query(OptionList):
            options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.targets[event.option_index])

    def action_close(self) -> None:
        self.dismiss(None)
