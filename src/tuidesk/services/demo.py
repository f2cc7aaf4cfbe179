"""Provides the deterministic demo data generator (no network, no account, no copied data)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from tuidesk.models import MessageIn, Visibility
from tuidesk.services.escalation import EscalationService
from tuidesk.services.inbox import InboxService
from tuidesk.services.ingest import IngestService
from tuidesk.services.replies import ReplyService

BRANDS = [
    ("mastodon", "acme_support@mastodon.example", "Acme Broadband"),
    ("bluesky", "nimbusair.bsky.example", "Nimbus Air"),
    ("mastodon", "voltmobile@social.example", "Volt Mobile"),
]
PRODUCTS = {
    "Acme Broadband": ["fibre box", "router", "TV bundle", "landline", "wifi extender"],
    "Nimbus Air": ["flight", "booking", "baggage", "seat upgrade", "lounge pass"],
    "Volt Mobile": ["SIM", "data plan", "roaming", "eSIM", "phone contract"],
}
FIRST = ["maria", "jon", "aisha", "li", "tomas", "fatima", "oskar", "priya", "ben", "chloe",
         "diego", "emma", "farid", "greta", "hana", "ivan", "julia", "kofi", "lena", "marco",
         "nora", "omar", "paula", "quinn", "rosa", "sami", "tara", "umut", "vera", "wen"]
LAST = ["k", "m", "s", "b", "t", "r", "n", "p", "w", "d"]
HOSTS = ["fosstodon.example", "mstdn.example", "chaos.example", "hachyderm.example"]

COMPLAINTS = [
    "{brand} my {product} has been down since this morning and nobody answers the phone. "
    "Unacceptable.",
    "Third time this week the {product} fails. I'm paying for this?! {brand}",
    "{brand} you charged me twice for the {product}. Please fix this today.",
    "Still waiting for a technician about my {product}. You promised Tuesday. {brand}",
    "{brand} worst support ever, 2 hours on hold about my {product} and then cut off",
    "Is there an outage? My {product} stopped working again {brand} #fail",
    "{brand} I was told someone would call me back about the {product}. Nobody did.",
    "Cancelled without notice?? My {product} is gone and the app shows an error. {brand}",
]
QUESTIONS = [
    "{brand} how do I move my {product} to a new address?",
    "Hi {brand}, can I change the {product} on my account online?",
    "{brand} quick question: is the {product} included in my plan?",
    "{brand} does the {product} work abroad?",
]
THANKS = [
    "Thanks {brand}, the {product} works perfectly now. Great help from your team!",
    "Shout-out to {brand} for sorting out my {product} in ten minutes. Love it.",
    "{brand} you fixed my {product} faster than I expected, thank you!",
]
FOLLOWUPS = [
    "I sent you a DM with my details an hour ago, still no reply.",
    "Done, account number is in the DM.",
    "It worked for a day and now it's broken again.",
    "Ok thanks, waiting for the technician then.",
    "Why does this always take so long?",
    "Great, that fixed it. Thanks!",
]
REPLIES = [
    "Sorry to hear that! Could you DM us your account number so we can take a look? ^{agent}",
    "Thanks for your patience. We've escalated this to our network team. ^{agent}",
    "We're on it: a technician will contact you within 24 hours. ^{agent}",
    "Glad to help! Anything else, just let us know. ^{agent}",
    "We see a local outage in your area; engineers expect a fix by this evening. ^{agent}",
]
SAVED_REPLIES = {
    "apology-dm": "Hi {customer}, I'm sorry about this. Could you send us a DM with your "
                  "account number so I can look into it? {agent}, {brand}",
    "outage": "Hi {customer}, there is a known outage in your area; our engineers are on it "
              "and we will update you here. {agent}, {brand}",
    "technician": "Hi {customer}, I've booked a technician visit for you; you'll get a "
                  "confirmation by e-mail. {agent}, {brand}",
    "thanks": "Thank you {customer}, that's great to hear! {agent}, {brand}",
}
AGENTS = ["alex", "sam", "kim"]
ESCALATION_REASONS = [
    ("tier 3", "Repeated outage on the same line; tier 2 checks done, needs network engineering."),
    ("field technician", "Router replaced twice, still dropping; needs an on-site visit."),
    ("phone callback", "Customer asked for a call; billing dispute over two months."),
]


def _handle(rng: random.Random, network: str, n: int) -> str:
    base = f"{rng.choice(FIRST)}{'.' if network == 'mastodon' else '-'}{rng.choice(LAST)}{n}"
    return f"{base}@{rng.choice(HOSTS)}" if network == "mastodon" else f"{base}.bsky.example"


def generate(messages: int, now: int, seed: int = 7, customers: int | None = None
             ) -> Iterator[list[MessageIn]]:
    """Yield batches of demo messages, about `messages` in all, deterministic for a seed.

    Threads of public mentions and DMs, complaints, questions and thanks, from customers with a
    spread of follower counts; some answered, some waiting. Times end at `now`.
    """
    rng = random.Random(seed)
    # A few hundred customers for the interactive demo; at benchmark sizes about one
    # customer per 8 messages, as in real support traffic.
    n_customers = customers or (max(50, min(300, messages // 6)) if messages <= 20_000
                                else messages // 8)
    people = []
    for i in range(n_customers):
        brand = BRANDS[i % len(BRANDS)]
        followers = min(2_000_000, int(rng.lognormvariate(5.0, 2.2)))
        people.append((brand, _handle(rng, brand[0], i), followers))
    made = 0
    thread = 0
    batch: list[MessageIn] = []
    span = 21 * 86400 if messages < 50_000 else 365 * 86400
    while made < messages:
        (network, brand_handle, brand_name), customer, followers = rng.choice(people)
        product = rng.choice(PRODUCTS[brand_name])
        kind = rng.random()
        pool = COMPLAINTS if kind < 0.6 else QUESTIONS if kind < 0.85 else THANKS
        direct = rng.random() < 0.3
        mention = brand_name if direct else f"@{brand_handle.split('@')[0]}"
        text = rng.choice(pool).format(brand=mention, product=product).strip()
        start = now - int(span * rng.random() ** 2.5) - 60
        length = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6])
        root = f"demo-{thread}"
        if length % 2 == 1 and rng.random() < 0.93:
            # The customer spoke last: most such threads are recent, so the demo queue shows
            # a realistic mix of due-soon and overdue work rather than weeks of backlog.
            start = now - int(rng.randint(2 * 60, 8 * 3600) * rng.random()) \
                - (length - 1) * 1800
        t = start
        prev = None
        for k in range(length):
            inbound = k % 2 == 0
            rid = root if k == 0 else f"demo-{thread}-{k}"
            if k:
                body = (rng.choice(FOLLOWUPS) if inbound
                        else rng.choice(REPLIES).format(agent=rng.choice(AGENTS).upper()[:2]))
            else:
                body = text
            if t > now or made >= messages:
                break
            batch.append(MessageIn(
                network=network, remote_id=rid, direction="in" if inbound else "out",
                author=customer if inbound else brand_handle, text=body, created_at=t,
                brand=brand_handle, customer=customer, in_reply_to=prev, thread_key=root,
                author_name=customer.split("@")[0].split(".")[0].title() if inbound else None,
                followers=followers if inbound else None,
                visibility=Visibility.DIRECT if direct else Visibility.PUBLIC,
                url=None if direct else f"https://{brand_handle.split('@')[-1]}/@{customer}/{rid}",
            ))
            prev = rid
            made += 1
            t += rng.randint(300, 1800) if length % 2 == 1 and start > now - 86400 \
                else rng.randint(300, 6 * 3600)
        thread += 1
        if len(batch) >= 50_000:
            yield batch
            batch = []
    if batch:
        yield batch


def seed_demo(ingest: IngestService, make_inbox: Callable[[str], InboxService],
              messages: int = 2000, seed: int = 7,
              progress: Callable[[int, int], None] | None = None) -> None:
    """Fill a store with demo data: messages, then agents' work on a share of them."""
    now = ingest.clock()
    done = 0
    for batch in generate(messages, now, seed):
        ingest.ingest(batch)
        done += len(batch)
        if progress:
            progress(min(done, messages), messages)
    rng = random.Random(seed + 1)
    inboxes = {a: make_inbox(a) for a in AGENTS}
    first = inboxes[AGENTS[0]]
    for network, handle, brand_name in BRANDS:
        first.set_brand_name(network, handle, brand_name)
    for name, body in SAVED_REPLIES.items():
        first.add_saved_reply(name, body)
    # Agents' work on a bounded sample, so generation stays fast at 1M messages.
    rows = first.page("inbox", None, 400)
    for i, row in enumerate(rows):
        inbox = inboxes[AGENTS[i % len(AGENTS)]]
        roll = rng.random()
        if roll < 0.12:
            inbox.claim(row.id)
            target, reason = ESCALATION_REASONS[i % len(ESCALATION_REASONS)]
            inbox.note(row.id, "Customer already restarted the router twice; line test shows "
                               "packet loss.")
            EscalationService(inbox.store, inbox.agent, inbox.sla, inbox.clock).escalate(
                row.id, target, reason)
        elif roll < 0.22:
            inbox.claim(row.id)
            inbox.snooze(row.id, now + rng.randint(1, 48) * 3600)
        elif roll < 0.32:
            inbox.claim(row.id)
            inbox.resolve(row.id)
        elif roll < 0.45:
            inbox.claim(row.id)
            inbox.set_tags(row.id, [rng.choice(["billing", "outage", "hardware", "travel"])])
        elif roll < 0.52:
            inbox.note(row.id, "Called the customer, no answer. Try again after 5pm.")
        elif roll < 0.60:
            # Answered in tuidesk: the reply waits in the outbox (the demo has no accounts),
            # and the dashboard counts it for the agent.
            inbox.claim(row.id)
            ReplyService(inbox.store, inbox.agent, inbox.sla, inbox.clock).reply(
                row.id, rng.choice(REPLIES).format(agent=inbox.agent.upper()[:2]), "public")
