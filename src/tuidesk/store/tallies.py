"""Running tallies behind the reports (m020): what the supervisor's figures count, kept
current as conversations and messages are stored, so that a report reads a few hundred
rows at 10M messages instead of every conversation and inbound message (9.7 s and 15.6 s).

- `insight_days (day, brand_id)`: conversations (dated by the customer's first message, or
  by their start when a brand wrote first), those a customer started, answered, answered
  after their deadline (`late`), answered with no deadline stored (`undated`, pre-m008 rows,
  judged when read), started negative, and of those ended positive (`converted`).
- `frt_days (day, brand_id, bucket)` and `frt_all (brand_id, bucket)`: answered
  conversations per first-response bucket. Buckets are about 2% wide (`frt_edges`); a
  median or p90 is found in the counts and then read exactly from that one bucket's
  conversations (index conv_brand_frt), so the figures stay exact.
- `inbound_hours (hour)`: inbound messages, and by sentiment.

Triggers keep the conversation tallies through updates and deletes; the bulk paths
(Imports.insert_conversations, the ingest's messages) add new rows in one statement each, as
view_counts does: a row trigger on insert doubled the import's cost.
"""

from __future__ import annotations

from tuidesk.store.base import Repository

DAY = 86400
HOUR = 3600
#: Below any first response: every value falls in some bucket, whatever the data says.
FLOOR = -(2 ** 62)


def bucket_edges() -> list[int]:
    """The lower edges of the first-response buckets, as m020 stored them: each second up
    to two minutes, then 32 buckets per doubling (about 2% wide, up to 68 years): the
    median's bucket held 2.6% of all answers at 10M with 8 per doubling (90k values read
    per figure), 0.7% with 32."""
    edges = {FLOOR, *range(128)}
    k = 7 * 32
    while (value := int(2 ** (k / 32))) < 2 ** 31:
        edges.add(value)
        k += 1
    return sorted(edges)


#: (column, expression over a conversations row `r`): one row's contribution.
def _parts(r: str) -> dict[str, str]:
    started = f"({r}.first_inbound_at IS NOT NULL)"
    answered = f"({started} AND {r}.first_reply_at IS NOT NULL)"
    negative = f"({started} AND coalesce({r}.first_sentiment < -0.05, 0))"
    return {
        "day": f"(coalesce({r}.first_inbound_at, {r}.created_at) / {DAY})",
        "brand_id": f"coalesce({r}.brand_id, 0)",
        "conversations": "1",
        "started": started,
        "answered": answered,
        "late": f"({answered} AND coalesce({r}.first_reply_at > {r}.first_due_at, 0))",
        "undated": f"({answered} AND {r}.first_due_at IS NULL)",
        "negative": negative,
        "converted": f"({negative} AND coalesce({r}.sentiment > 0.05, 0) "
                     f"AND {r}.inbound_count > 1)",
    }


COUNTS = ("conversations", "started", "answered", "late", "undated", "negative", "converted")
WATCHED = ("first_inbound_at", "first_reply_at", "brand_id", "first_due_at", "created_at",
           "first_sentiment", "sentiment", "inbound_count")


def _bucket(r: str) -> str:
    return (f"(SELECT max(lo) FROM frt_edges WHERE lo <= "
            f"{r}.first_reply_at - {r}.first_inbound_at)")


def _add_row(r: str, sign: str) -> str:
    """Statements adding (+) or removing (-) row `r`'s contribution."""
    p = _parts(r)
    key = f"day = {p['day']} AND brand_id = {p['brand_id']}"
    if sign == "-":
        sets = ", ".join(f"{c} = {c} - {p[c]}" for c in COUNTS)
        return (f"UPDATE insight_days SET {sets} WHERE {key};\n"
                f"UPDATE frt_days SET n = n - 1 WHERE {p['answered']} AND {key} "
                f"AND bucket = {_bucket(r)};\n"
                f"UPDATE frt_all SET n = n - 1 WHERE {p['answered']} AND "
                f"brand_id = {p['brand_id']} AND bucket = {_bucket(r)};\n")
    values = ", ".join(p[c] for c in ("day", "brand_id", *COUNTS))
    sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in COUNTS)
    return (f"INSERT INTO insight_days VALUES ({values}) ON CONFLICT DO UPDATE SET {sets};\n"
            f"INSERT INTO frt_days SELECT {p['day']}, {p['brand_id']}, {_bucket(r)}, 1 "
            f"WHERE {p['answered']} ON CONFLICT DO UPDATE SET n = n + 1;\n"
            f"INSERT INTO frt_all SELECT {p['brand_id']}, {_bucket(r)}, 1 "
            f"WHERE {p['answered']} ON CONFLICT DO UPDATE SET n = n + 1;\n")


def _bulk(where: str) -> str:
    """Statements adding every conversation matching `where` (over alias c)."""
    p = _parts("c")
    cols = ", ".join(f"{p[c]} AS {c}" for c in ("day", "brand_id", *COUNTS))
    sums = ", ".join(f"sum({c})" for c in COUNTS)
    sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in COUNTS)
    frt = (f"SELECT {p['day']} AS day, {p['brand_id']} AS brand_id, {_bucket('c')} AS bucket "
           f"FROM conversations c WHERE {where} AND {p['answered']}")
    return (f"INSERT INTO insight_days SELECT day, brand_id, {sums} FROM "
            f"(SELECT {cols} FROM conversations c WHERE {where}) GROUP BY 1, 2 ORDER BY 1, 2 "
            f"ON CONFLICT DO UPDATE SET {sets};\n"
            f"INSERT INTO frt_days SELECT day, brand_id, bucket, count(*) FROM ({frt}) "
            f"GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT DO UPDATE SET n = n + excluded.n;\n"
            f"INSERT INTO frt_all SELECT brand_id, bucket, count(*) FROM ({frt}) "
            f"GROUP BY 1, 2 ORDER BY 1, 2 ON CONFLICT DO UPDATE SET n = n + excluded.n;\n")


INBOUND_BULK = f"""
INSERT INTO inbound_hours
    SELECT created_at / {HOUR}, count(*), sum(coalesce(sentiment < -0.05, 0)),
        sum(coalesce(sentiment BETWEEN -0.05 AND 0.05, 0)), sum(coalesce(sentiment > 0.05, 0))
    FROM messages WHERE id > ? AND direction = 'in' GROUP BY 1 ORDER BY 1
ON CONFLICT DO UPDATE SET n = n + excluded.n, negative = negative + excluded.negative,
    neutral = neutral + excluded.neutral, positive = positive + excluded.positive
"""


def schema() -> str:
    """m020: the tables, their contents from the rows already stored, and the triggers."""
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in WATCHED)
    edges = ", ".join(f"({e})" for e in bucket_edges())
    counts = ",\n".join(f"    {c} INTEGER NOT NULL" for c in COUNTS)
    return f"""
CREATE TABLE frt_edges (lo INTEGER PRIMARY KEY);
INSERT INTO frt_edges VALUES {edges};
CREATE TABLE insight_days (
    day INTEGER NOT NULL, brand_id INTEGER NOT NULL,
{counts},
    PRIMARY KEY (day, brand_id)) WITHOUT ROWID;
CREATE TABLE frt_days (day INTEGER NOT NULL, brand_id INTEGER NOT NULL,
    bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (day, brand_id, bucket)) WITHOUT ROWID;
CREATE TABLE frt_all (brand_id INTEGER NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (brand_id, bucket)) WITHOUT ROWID;
CREATE TABLE inbound_hours (hour INTEGER PRIMARY KEY, n INTEGER NOT NULL,
    negative INTEGER NOT NULL, neutral INTEGER NOT NULL, positive INTEGER NOT NULL);
{_bulk("1")}
{INBOUND_BULK.replace("?", "0")};
CREATE INDEX conv_brand_frt ON conversations (brand_id, first_reply_at - first_inbound_at,
    first_inbound_at) WHERE first_reply_at IS NOT NULL AND first_inbound_at IS NOT NULL;
CREATE INDEX conv_undated ON conversations (first_inbound_at)
    WHERE first_due_at IS NULL AND first_reply_at IS NOT NULL;
CREATE TRIGGER tallies_u AFTER UPDATE OF {", ".join(WATCHED)} ON conversations
    WHEN {changed} BEGIN
{_add_row("old", "-")}{_add_row("new", "+")}END;
CREATE TRIGGER tallies_d AFTER DELETE ON conversations BEGIN
{_add_row("old", "-")}END;
"""


class Tallies(Repository):
    """Adds what the bulk paths stored to the tallies."""

    def add_conversations_after(self, conversation_id: int) -> None:
        for statement in _bulk(f"c.id > {int(conversation_id)}").split(";\n"):
            if statement.strip():
                self.db.execute(statement)

    def add_messages_after(self, message_id: int) -> None:
        self.db.execute(INBOUND_BULK, (message_id,))
