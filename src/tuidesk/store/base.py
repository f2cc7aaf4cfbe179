"""Provides Repository, the base of the store's typed repositories, and store_error."""

from __future__ import annotations

import functools
import inspect
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlite_utils import Database

from tuidesk.errors import StoreError

if TYPE_CHECKING:
    from tuidesk.store.db import Store

T = TypeVar("T")


def _no_space(path: str) -> bool:
    """Whether the folder holding `path` has no free byte (SQLite reports a full disk as an
    I/O error when it cannot grow its shared-memory file)."""
    try:
        return shutil.disk_usage(Path(path).resolve().parent).free == 0
    except OSError:
        return False


def store_error(path: str, exc: sqlite3.Error) -> StoreError:
    """What a database fault means for the person at the keyboard, in one sentence."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith("SQLITE_FULL") or "disk is full" in text or (
            name.startswith("SQLITE_IOERR") and _no_space(path)):
        return StoreError(f"The disk holding {path} is full: nothing was saved. Free some "
                          "space and try again; what you typed is still here.", "Disk full")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text:
        return StoreError(f"{path} is damaged ({text}). Stop tuidesk everywhere, then restore "
                          f"a backup or run: sqlite3 {path} .recover | sqlite3 recovered.db",
                          "Database damaged")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StoreError(f"The database stayed busy: {text}. Nothing was changed; try "
                          "again.", "Database busy")
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN")):
        return StoreError(f"{path} cannot be written ({text}): check the file's and its "
                          "folder's permissions.", "Database read-only")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"The disk failed reading or writing {path} ({text}).", "Disk error")
    return StoreError(f"{path}: {text}")


def _translating(path_of: Callable[[Any], str], method: Callable[..., Any]
                 ) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise store_error(path_of(self), exc) from exc
    return call


def translate_errors(cls: type[T]) -> type[T]:
    """Every public method of the store (mixins included) raises StoreError, never
    sqlite3's errors: a full disk, a damaged page or a busy file is a message for the
    caller to show, and no layer above the store needs to know SQLite's exceptions."""
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if name.startswith("_") or name == "write" or not inspect.isfunction(value):
                continue
            if getattr(cls, name) is value:
                setattr(cls, name, _translating(lambda s: s.path, value))
    return cls


class Repository:
    """One area of the schema. Shares the Store's connection (and so its transactions);
    reaches a sibling repository through `self.store` when a read spans areas."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db: Database = store.db

    @property
    def path(self) -> str:
        return self.store.path

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        translate_errors(cls)

    def _q(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.db.execute(sql, params).fetchall())

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self.db.execute(sql, params).fetchone()
        return None if row is None else row[0]
