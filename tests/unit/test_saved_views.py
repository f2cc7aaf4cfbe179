"""Saved views read by the store (per-bucket merges, rare tags) equal the filter applied to
every row by hand, in the same order, by every way the queue reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import NOW
from tuidesk.config import ConfigError, Settings, load_settings
from tuidesk.models import ConversationRow
from tuidesk.models.views import ViewFilter
from tuidesk.services import Services

FILTERS = [
    ViewFilter("billing", tags=("billing",), statuses=("new", "open")),
    ViewFilter("tagged", tags=("billing", "outage")),
    ViewFilter("overdue", overdue=True, now=NOW),
    ViewFilter("urgent", priorities=(1, 2), overdue=True, now=NOW),
    ViewFilter("high", priorities=(2,)),
    ViewFilter("mastodon-new", networks=("mastodon",), sort="newest"),
    ViewFilter("waiting-old", statuses=("pending",), sort="oldest"),
    ViewFilter("alex", agent="alex"),
    ViewFilter("mine", agent="me"),
    ViewFilter("nobody", agent="nobody", networks=("bluesky",)),
    ViewFilter("roaming", query="roaming"),
    ViewFilter("none", statuses=("pending",), overdue=True, now=NOW),
]


def oracle(svc: Services, f: ViewFilter) -> list[int]:
    """Every conversation, filtered and sorted in Python."""
    rows: list[ConversationRow] = []
    after = None
    while page := svc.inbox.page("all", after, 1000):
        rows += page
        after = svc.inbox.key_of("all", page[-1])
    found = set(svc.inbox.search_ids(f.query, 100_000)) if f.query else None
    keep = []
    for r in rows:
        conv = svc.inbox.conversation(r.id)
        assert conv is not None
        brand_ok = True
        if (f.statuses and r.status not in f.statuses) or (
                f.tags and not set(f.tags) & set(conv.tags)) or (
                f.networks and r.network not in f.networks) or (
                f.priorities and r.priority not in f.priorities) or not brand_ok:
            continue
        if f.agent == "nobody" and r.assignee is not None:
            continue
        if f.agent not in (None, "nobody") and r.assignee != (
                svc.inbox.agent if f.agent == "me" else f.agent):
            continue
        if f.overdue and not (r.status in ("new", "open", "escalated")
                              and r.due_at is not None and r.due_at < f.now):
            continue
        if found is not None and r.id not in found:
            continue
        keep.append(r)
    if f.sort == "due":
        keep.sort(key=lambda r: (r.sort_key, r.id))
    else:
        keep.sort(key=lambda r: ((r.last_at or 0), r.id), reverse=f.sort == "newest")
    return [r.id for r in keep]


@pytest.mark.parametrize("f", FILTERS, ids=[f.name for f in FILTERS])
def test_saved_view_equals_the_filter_on_every_row(demo_services: Services,
                                                   f: ViewFilter) -> None:
    svc = demo_services
    svc.inbox.saved_views = {f.name: f}
    want = oracle(svc, f)
    assert svc.inbox.count(f.name) == len(want)
    got, after = [], None  # forward by keyset pages of 7
    while page := svc.inbox.page(f.name, after, 7):
        got += [r.id for r in page]
        after = svc.inbox.key_of(f.name, page[-1])
    assert got == want
    back, before = [], None  # backwards from the end
    while page := svc.inbox.page_before(f.name, before, 7):
        back = [r.id for r in page] + back
        before = svc.inbox.key_of(f.name, page[0])
    assert back == want
    for offset in (0, 3, len(want) // 2):
        assert [r.id for r in svc.inbox.page_at(f.name, offset, 5)] == want[offset:offset + 5]


def test_demo_data_gives_the_filters_something_to_find(demo_services: Services) -> None:
    sizes = {}
    for f in FILTERS:
        demo_services.inbox.saved_views = {f.name: f}
        sizes[f.name] = demo_services.inbox.count(f.name)
    assert all(n > 0 for name, n in sizes.items() if name not in ("none", "mine")), sizes


def test_views_in_config_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[views.billing]\ntag = ["billing"]\nsort = "due"\n'
                    '[views.late]\noverdue = true\npriority = ["urgent"]\n')
    views = load_settings(path).views
    assert [v.name for v in views] == ["billing", "late"]
    assert views[1].priorities == (1,) and views[1].overdue
    for body, message in [
            ('[views.inbox]\ntag = ["x"]\n', "views.inbox: 'inbox' is a built-in view"),
            ('[views.Bad]\ntag = ["x"]\n', "views.Bad: a view's name is 1-24"),
            ('[views.x]\nsort = "random"\n', "views.x.sort"),
            ('[views.x]\nstatus = ["later"]\n', "views.x.status[0]"),
            ('[views.x]\ncolour = "red"\n', "views.x.colour: is not a setting")]:
        path.write_text(body)
        with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(
                "]", r"\]")):
            load_settings(path)
    assert Settings().views == ()


def test_a_common_tag_reads_bucket_by_bucket_with_the_same_result(
        demo_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from tuidesk.store import saved_views

    f = FILTERS[1]
    demo_services.inbox.saved_views = {f.name: f}
    rare = [r.id for r in demo_services.inbox.page(f.name, None, 1000)]
    monkeypatch.setattr(saved_views, "RARE_TAG", 0)
    assert [r.id for r in demo_services.inbox.page(f.name, None, 1000)] == rare == oracle(
        demo_services, f)


@pytest.mark.parametrize("f", FILTERS[:4], ids=[f.name for f in FILTERS[:4]])
def test_a_window_reads_a_screenful_first_then_grows_to_the_whole_view(
        demo_services: Services, f: ViewFilter) -> None:
    """A view switch reads what the list shows (its cost grows with the rows read); the
    rows below arrive as the cursor nears them, and together they are the view."""
    from tuidesk.services.queue_window import QueueWindow

    svc = demo_services
    svc.inbox.saved_views = {f.name: f}
    want = oracle(svc, f)
    assert len(want) > 12, "the demo data must fill more than a screenful"
    window = QueueWindow(svc.inbox, f.name, screenful=12)
    assert window.total == 12 and window.counting and window.fetches == 0
    got, top = [], 0
    while top < window.total:
        window.prefetch(top, top + 11)  # what the list asks for while idle
        got += [row.id for i in range(top, min(top + 12, window.total))
                if (row := window.get(i)) is not None]
        top += 12
    assert got == want and not window.counting
    built_in = QueueWindow(svc.inbox, "all", screenful=12)
    assert built_in.get(0) is not None and len(built_in._rows) == 12
