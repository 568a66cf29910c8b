"""planner.equality.suppression: the people counted into atoms and cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.equality import suppression
from planner.equality.rules import category_order


def atoms_one_at_a_time(people: pd.DataFrame, columns: list[str]):
    """_atoms as first written: a frozenset per person."""
    at_risk = people[columns].astype(bool).to_numpy()
    pattern_of = [frozenset(int(x) for x in np.flatnonzero(row)) for row in at_risk]
    return pattern_of, sorted(set(pattern_of), key=lambda p: (len(p), sorted(p)))


def cells_one_at_a_time(people: pd.DataFrame, key: str, pattern_of, patterns):
    col = people[key]
    cats = category_order(key, col.unique())
    index = {c: g for g, c in enumerate(cats)}
    atom = {p: i for i, p in enumerate(patterns)}
    cells = [[0] * len(patterns) for _ in cats]
    for cat, p in zip(col, pattern_of, strict=True):
        cells[index[cat]][atom[p]] += 1
    return cats, cells


@pytest.mark.parametrize("views", [1, 3, 8, 70])
def test_atoms_and_cells_equal_person_by_person_counting(views):
    """Catches: the array counting (issue 16) putting a person in another atom or group,
    ordering atoms differently, or the many-views path (over 62, no longer one number per
    person) disagreeing with the rest."""
    rng = np.random.default_rng(views)
    n = 400
    people = pd.DataFrame({
        "sex": pd.Series(rng.choice(["female", "male", "unknown", "prefer not to say"], n),
                         dtype="str"),
        "age": rng.choice(["16-24", "35-44", "65 and over"], n).astype(object)})
    columns = [f"view {i:03d}" for i in range(views)]
    for i, c in enumerate(columns):
        people[c] = rng.random(n) < (0.05 if i % 2 else 0.3)
    atom_of, patterns = suppression._atoms(people, columns)
    pattern_of, expected = atoms_one_at_a_time(people, columns)
    assert patterns == expected
    assert [patterns[i] for i in atom_of] == pattern_of
    for key in ("sex", "age"):
        assert (suppression._cells(people, key, atom_of, patterns)
                == cells_one_at_a_time(people, key, pattern_of, patterns))


def test_no_people_have_no_atoms():
    people = pd.DataFrame({"sex": pd.Series([], dtype="str"), "x": pd.Series([], dtype=bool)})
    atom_of, patterns = suppression._atoms(people, ["x"])
    assert len(atom_of) == 0 and patterns == []
    assert suppression._cells(people, "sex", atom_of, patterns) == ([], [])
