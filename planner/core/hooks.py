"""Hook lists: how a higher floor joins in work that a lower floor starts, without the lower
floor importing upward (planner/__init__.py's floor plan).

The establishment import runs the followers registered at `IMPORT`. These rebase the
options, file TUPE arrivals into their cohorts and write the equality sheet. An option's
status change asks the gates registered at `STATUS` (the equality checkpoints). The lower
floor defines what a hook receives and the higher floor registers one. Reading a list first
loads every module named in `planner.HOOKED`, so no hook is ever skipped because its module
had not been imported yet.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from typing import Any

# Hook points: the establishment import (planner.establishment.importer.ImportFollower) and an
# option's status change (planner.structures.options.StatusGate).
IMPORT = "establishment.import"
STATUS = "option.status"

_registry: dict[str, list[tuple[int, str, Any]]] = defaultdict(list)
_loaded = False


def register(point: str, hook: Any, *, order: int = 0, name: str = "") -> Any:
    """Add `hook` to the list at `point`. Hooks run in `order`, then by name, so the result
    does not depend on which module was imported first. Registering the same name twice
    replaces the earlier hook, because a module reloaded in a test must not run twice."""
    key = name or getattr(hook, "__qualname__", repr(hook))
    items = [h for h in _registry[point] if h[1] != key]
    items.append((order, key, hook))
    _registry[point] = sorted(items, key=lambda h: (h[0], h[1]))
    return hook


def hooks(point: str) -> list[Any]:
    """The hooks registered at `point`, in order, once every hooked module is loaded."""
    load()
    return [h for _, _, h in _registry[point]]


def load() -> None:
    """Import the modules named in planner.HOOKED (each registers its hooks when imported)."""
    global _loaded
    if _loaded:
        return
    from planner import HOOKED

    for module in HOOKED:
        importlib.import_module(module)
    _loaded = True
