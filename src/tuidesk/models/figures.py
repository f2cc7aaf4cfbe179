"""Report figures, as the store computes them for the insight service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """First response times of conversations that started in a period."""

    conversations: int
    answered: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True, slots=True)
class BrandFigures:
    brand: str
    network: str
    conversations: int
    answered: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True, slots=True)
class AgentActivity:
    """An agent's replies since a time (each one's delay after the customer) and open load."""

    agent: str
    handled: int
    response_s: tuple[int, ...]
    open: int


class OldestWaiting(NamedTuple):
    conversation: int
    customer: str
    waiting_since: int
