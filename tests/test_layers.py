"""The house rules of planner/ (DESIGN.md "Layers", planner/__init__.py): imports run one way.

The import graph is built from the source with the standard library's `ast`, including imports
inside functions and under TYPE_CHECKING, because a lazy import is still a dependency. Each
rule is also tried on planted sources, so a checker that cannot fail would show here."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import networkx as nx
import pytest

import planner

ROOT = Path(__file__).resolve().parents[1]
PLANNER = ROOT / "planner"
# Longer than this, a module's docstring says why it is not split ("Length: ...").
MAX_LINES = 600


def sources() -> dict[str, str]:
    """Every module of planner/, by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(PLANNER.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path.read_text(encoding="utf-8")
    return out


def imports(name: str, source: str, known: set[str]) -> list[tuple[str, set[str]]]:
    """(module imported, names taken from it) for every planner import in `source`."""
    is_package = name in {m.rsplit(".", 1)[0] for m in known if "." in m} or name == "planner"
    package = name if is_package else name.rsplit(".", 1)[0]
    found: list[tuple[str, set[str]]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(a.name, set()) for a in node.names if a.name.split(".")[0] == "planner"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "planner":
                continue
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.append((sub, set()) if sub in known else (module, {alias.name}))
    return found


def floor_of(module: str, floors: tuple[tuple[str, ...], ...]) -> int | None:
    """The floor a module stands on; None for the floor plan itself (planner/__init__.py)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    if parts[1] == "__main__":
        return len(floors) - 1
    for i, names in enumerate(floors):
        if parts[1] in names:
            return i
    raise AssertionError(f"{module} is in no floor of planner/__init__.py's FLOORS")


def problems(mods: Mapping[str, str],
             floors: tuple[tuple[str, ...], ...] = planner.FLOORS) -> list[str]:
    """Every breach of the house rules in `mods` (dotted name → source)."""
    known = set(mods)
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    wrong: list[str] = []
    for name, source in mods.items():
        for target, names in imports(name, source, known):
            if target not in known:
                wrong.append(f"{name} imports {target}, which does not exist")
                continue
            if target == name:
                continue
            graph.add_edge(name, target)
            private = sorted(n for n in names if n.startswith("_"))
            if private:
                wrong.append(f"{name} imports private {private} from {target}")
            if name == "planner":
                wrong.append(f"the floor plan (planner/__init__.py) imports {target}")
            here, there = floor_of(name, floors), floor_of(target, floors)
            if here is not None and there is not None and there > here:
                wrong.append(f"{name} (floor {floors[here]}) imports upward: {target} "
                             f"(floor {floors[there]})")
    for cycle in nx.simple_cycles(graph):
        wrong.append("import circle: " + " → ".join([*cycle, cycle[0]]))
    return wrong


def test_imports_run_one_way():
    """Catches: an import circle, an import against the floor order, or a private name taken
    from another module, anywhere in planner/ (lazy imports included)."""
    assert problems(sources()) == []


def test_every_package_has_a_floor_and_says_what_it_owns():
    """Catches: a new subpackage outside the floor plan, or one whose __init__ docstring does
    not say what it owns and what it may import."""
    packages = sorted(p.name for p in PLANNER.iterdir()
                      if p.is_dir() and (p / "__init__.py").exists())
    on_floors = sorted(n for names in planner.FLOORS for n in names)
    assert packages == on_floors
    for name in packages:
        doc = ast.get_docstring(ast.parse((PLANNER / name / "__init__.py").read_text()))
        assert doc and "import" in doc.lower(), f"planner/{name}/__init__.py"


def test_hooked_modules_exist_and_register():
    """Catches: a hooked module renamed without updating planner.HOOKED (its hooks would
    silently stop running: options not rebased on import)."""
    from planner.core import hooks

    mods = sources()
    for module in planner.HOOKED:
        assert module in mods, module
        assert "hooks.register(" in mods[module], module
    assert len(hooks.hooks(hooks.IMPORT)) == 3
    assert len(hooks.hooks(hooks.STATUS)) == 1


def test_modules_are_short_or_say_why():
    """Catches: a module a newcomer cannot read in one sitting, grown without a reason."""
    long = []
    for name, source in sources().items():
        lines = source.count("\n")
        doc = ast.get_docstring(ast.parse(source)) or ""
        if lines > MAX_LINES and "Length:" not in doc:
            long.append(f"{name}: {lines} lines")
    assert long == []


# --- the checker can fail ---------------------------------------------------------------------

PLANTED = {
    "planner": '"""floor plan"""',
    "planner.core": "",
    "planner.core.a": "from planner.core import b\n",
    "planner.core.b": "def f():\n    from planner.core.a import x\n",
    "planner.structures": "",
    "planner.structures.s": "from planner.core.a import _hidden\n",
    "planner.establishment": "",
    "planner.establishment.e": (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from planner.structures.s import S\n"),
}
FLOORS = (("core",), ("establishment",), ("structures",))


def test_a_planted_circle_is_found():
    """A lazy import inside a function still closes a circle."""
    found = problems({k: PLANTED[k] for k in ("planner", "planner.core", "planner.core.a",
                                               "planner.core.b")}, FLOORS)
    assert any(p.startswith("import circle:") and "planner.core.a" in p
               and "planner.core.b" in p for p in found), found


def test_a_planted_upward_import_and_a_private_name_are_found():
    found = problems(PLANTED, FLOORS)
    assert ("planner.establishment.e (floor ('establishment',)) imports upward: "
            "planner.structures.s (floor ('structures',))") in found
    assert "planner.structures.s imports private ['_hidden'] from planner.core.a" in found
    assert len([p for p in found if p.startswith("import circle")]) == 1


@pytest.mark.parametrize("source", [
    "from planner.structures import s",
    "import planner.structures.s",
    "from ..structures import s",
])
def test_every_way_of_importing_upward_is_seen(source):
    mods = {**PLANTED, "planner.core.b": "", "planner.core.a": "", "planner.structures.s": "",
            "planner.establishment.e": source}
    assert problems(mods, FLOORS) == [
        "planner.establishment.e (floor ('establishment',)) imports upward: "
        "planner.structures.s (floor ('structures',))"]
