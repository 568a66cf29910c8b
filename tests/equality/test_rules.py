"""The equality rules: answers grouped into categories."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.equality import rules


def categories_one_at_a_time(values: pd.Series) -> pd.Series:
    """category_series as first written: every answer cleaned and keyed on its own."""
    clean = values.fillna("").astype(str).map(lambda v: " ".join(v.split()))
    keys = clean.map(rules._category_key)
    spelling = {}
    for key, group in clean.groupby(keys):
        spelling[key] = key if key in (rules.UNKNOWN, rules.PREFER_NOT) else \
            group.value_counts().index[0]
    return keys.map(spelling)


def test_categories_equal_answer_by_answer_grouping():
    """Catches: cleaning each distinct answer once (issue 16) putting a category on the wrong
    person, naming a group by another spelling, or losing the index."""
    answers = np.array(["Female", "female", " Female ", "FEMALE", "Male", "male ",
                        "Prefer not to say", "prefer  not to say", "", None, "unknown",
                        "Unknown", "Non-binary", "non-binary", float("nan")], dtype=object)
    rng = np.random.default_rng(1)
    for n in (0, 1, 7, 300, 5000):
        values = pd.Series(list(rng.choice(answers, n)), index=np.arange(n) + 3, dtype=object)
        got, expected = rules.category_series(values), categories_one_at_a_time(values)
        pd.testing.assert_series_equal(got, expected)
        assert got.tolist() == expected.tolist()
