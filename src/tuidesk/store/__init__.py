"""The storage layer: the only package that speaks SQL."""

from tuidesk.store.db import Store

__all__ = ["Store"]
