"""The truth about a TWCS excerpt, computed from the CSV alone (plain csv module, a
union-find over both id columns), never through tuidesk: what its import and reports must
equal.

Definitions (the README's "Importing" and "Dashboard and reports" say the same):
* a conversation is a connected component of the reply graph, whose edges are both
  `in_response_to_tweet_id` and every id in `response_tweet_id` (a tweet missing from the
  excerpt still joins the tweets around it);
* brands are the authors of outbound tweets; a conversation belongs to every brand that
  wrote in it, else to the first known brand its tweets @mention, else to none;
* a brand's first response in a conversation runs from the customer's first tweet to that
  brand's first tweet at or after it; median, and p90 by nearest rank.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from support import union_find

MENTION = re.compile(r"@(\w{1,50})")


@dataclass
class Tweet:
    id: str
    author: str
    inbound: bool
    at: int
    text: str


@dataclass
class BrandTruth:
    conversations: int = 0
    times: list[int] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def p90(self) -> int | None:
        xs = sorted(self.times)
        return xs[max(0, -(-9 * len(xs) // 10) - 1)] if xs else None


@dataclass
class Truth:
    tweets: dict[str, Tweet]
    conversations: list[list[Tweet]]
    brands: dict[str, BrandTruth]


def _tid(value: str) -> str:
    return str(int(float(value)))


def _text_of(path: Path) -> str:
    """The file as csv should read it: CRLF ends a line; a CR that stands outside quotes on
    its line is the one broken record of an export (head5000 line 2589) and becomes a
    space; a CR inside a quoted field is kept (random5000 line 5202)."""
    lines = path.read_bytes().decode("utf-8").replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if "\r" in line and line[: line.index("\r")].count('"') % 2 == 0:
            lines[i] = line.replace("\r", " ")
    return "\n".join(lines)


def twcs_truth(path: Path) -> Truth:
    tweets: dict[str, Tweet] = {}
    edges: list[tuple[str, str]] = []
    reader = csv.reader(io.StringIO(_text_of(path)))
    header = next(reader)
    offset = 1 if header[0] == "" else 0
    for row in reader:
        if not row:
            continue
        tid, author, inbound, created, text, responses, parent = row[offset:offset + 7]
        at = int(datetime.strptime(created, "%a %b %d %H:%M:%S %z %Y").timestamp())
        tweets[_tid(tid)] = Tweet(_tid(tid), author, inbound == "True", at, text)
        if parent.strip():
            edges.append((_tid(tid), _tid(parent)))
        edges += [(_tid(tid), _tid(r)) for r in responses.split(",") if r.strip()]
    up, find = union_find()
    for t in tweets:
        find(t)
    for a, b in edges:
        up[find(a)] = find(b)
    groups: dict[str, list[Tweet]] = {}
    for t in tweets.values():
        groups.setdefault(find(t.id), []).append(t)
    conversations = [sorted(g, key=lambda t: (t.at, int(t.id))) for g in groups.values()]
    known = {t.author for t in tweets.values() if not t.inbound}
    brands: dict[str, BrandTruth] = {}
    for conv in conversations:
        writers = {t.author for t in conv if not t.inbound}
        if not writers:
            mentioned = [h for t in conv for h in MENTION.findall(t.text) if h in known]
            writers = set(mentioned[:1])
        first_in = next((t.at for t in conv if t.inbound), None)
        for brand in writers:
            figures = brands.setdefault(brand, BrandTruth())
            figures.conversations += 1
            reply = next((t.at for t in conv if not t.inbound and t.author == brand
                          and first_in is not None and t.at >= first_in), None)
            if reply is not None and first_in is not None:
                figures.times.append(reply - first_in)
    return Truth(tweets, conversations, brands)
