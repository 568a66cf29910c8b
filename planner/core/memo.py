"""Whole-structure reads kept between read-only sessions, keyed by the structure's version.

At 50,000 posts one read of a structure's posts costs half a second, and one page view asked
for the same posts five or six times (costing, the lineage, the hierarchy, the mapping, the
exit bill: each in its own words). Every change to a structure's posts bumps its `version`
(planner.establishment.register, planner.structures.options), so a read keyed by (database,
structure, version) is never stale. Only sessions opened by `planner.core.db.read_session`
use it: they always roll back, so nothing they read can be a write not yet committed; a
write session reads afresh.

Frames come back as shallow copies: with pandas' copy-on-write a caller that adds or changes
a column changes its own copy, never the kept one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from planner.core.db import READ_ONLY
from planner.core.models import Structure

MAX_ENTRIES = 12  # a few structures × a few kinds of read
# What is kept is capped by size as well: at 50,000 posts each read is 5-8 MB, and the pages
# keep what they build from them in their own caches, so holding every read of every
# structure doubled the server's memory for a few tenths of a second saved (issue 16).
MAX_BYTES = 96_000_000
MAX_SMALL = 256  # small values (a structure's size), kept beside the frames

T = TypeVar("T")
_kept: OrderedDict[Hashable, Any] = OrderedDict()
_sizes: dict[Hashable, int] = {}
_lock = threading.Lock()


def stamp(session: Session, structure_id: int) -> tuple[Any, ...] | None:
    """(version, created_at) of a structure: the version moves with every change, and the
    creation time tells a new structure from a deleted one whose id the database reused."""
    row = session.connection().execute(select(Structure.version, Structure.created_at).where(
        Structure.id == structure_id)).first()
    return None if row is None else tuple(row)


def remembered(session: Session, kind: str, structure_id: int, build: Callable[[], T],
               *extra: Hashable) -> T:
    """`build()`, or what it gave before for this database, structure version, `kind` and
    `extra` (anything else the read depends on) when `session` is read-only."""
    if not session.info.get(READ_ONLY):
        return build()
    version = stamp(session, structure_id)
    if version is None:
        return build()
    key = (str(session.get_bind().url), kind, structure_id, *version, *extra)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _copy(_kept[key])
    value = build()
    size = _size(value)
    with _lock:
        _kept[key] = value
        _sizes[key] = size
        _evict()
    return _copy(value)


def _evict() -> None:
    """Oldest first: frames beyond MAX_ENTRIES or MAX_BYTES (the newest always stays), then
    small values (a structure's size) beyond MAX_SMALL. Call with the lock held."""
    while True:
        frames = [k for k in _kept if _sizes.get(k)]
        if len(frames) > MAX_ENTRIES or (
                len(frames) > 1 and sum(_sizes[k] for k in frames) > MAX_BYTES):
            old = frames[0]
        elif len(_kept) - len(frames) > MAX_SMALL:
            old = next(k for k in _kept if not _sizes.get(k))
        else:
            return
        del _kept[old]
        _sizes.pop(old, None)


def _size(value: Any) -> int:
    """Bytes a kept frame holds (its columns, strings included); 0 for a small value."""
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=True).sum())
    return 0


def _copy(value: T) -> T:
    return value.copy(deep=False) if isinstance(value, pd.DataFrame) else value


def forget() -> None:
    """Drop everything kept (tests, and a database restored from a backup)."""
    with _lock:
        _kept.clear()
        _sizes.clear()
