"""Provides sentiment scores for inbound messages (VADER, tuned for social-media text)."""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

_analyzer: SentimentIntensityAnalyzer | None = None


@lru_cache(maxsize=65536)
def sentiment(text: str) -> float:
    """VADER's compound score in [-1, 1] (cached: repeated texts cost nothing)."""
    global _analyzer
    if _analyzer is None:
        _analyzer = SentimentIntensityAnalyzer()
    return round(float(_analyzer.polarity_scores(text)["compound"]), 4)
