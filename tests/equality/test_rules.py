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


def test_age_bands_equal_one_person_at_a_time():
    """Catches: the column-at-a-time age (issue 16) off by one on a birthday, a day either
    side of it, 29 February, the band edges, or a missing date not unknown."""
    import datetime as dt

    today = dt.date(2026, 3, 1)
    born = [None, float("nan"), dt.date(2002, 3, 1), dt.date(2002, 3, 2), dt.date(2002, 2, 28),
            dt.date(2004, 2, 29), dt.date(1961, 3, 1), dt.date(1961, 3, 2), dt.date(2030, 1, 1),
            dt.date(1900, 1, 1), dt.date(1, 1, 1)]
    rng = np.random.default_rng(4)
    born += [dt.date(1940, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 30_000, 3000)]
    as_text = [b.isoformat() if isinstance(b, dt.date) else b for b in born]  # SQLite's
    for day in (today, dt.date(2028, 2, 29), dt.date(2026, 12, 31)):
        assert list(rules.age_bands(born, day)) == [rules.age_band(b, day) for b in born]
        assert list(rules.age_bands(as_text, day)) == list(rules.age_bands(born, day))
        # text and dates in one column (text read as digits, the rest one by one), as a Series
        mixed = pd.Series([t if i % 2 else b for i, (t, b) in enumerate(
            zip(as_text, born, strict=True))],
                          dtype=object)
        assert list(rules.age_bands(mixed, day)) == list(rules.age_bands(born, day))
    assert len(rules.age_bands([], today)) == 0


def test_fisher_p_agrees_with_scipy():
    """Catches: the whole-support Fisher test (issue 16) summing the wrong tail, dropping a
    table as likely as the one seen, or losing precision at a service's size."""
    from scipy.stats import fisher_exact

    rng = np.random.default_rng(7)
    cases = [(3, 4, 4, 8), (1, 4, 4, 8), (8, 10, 9, 16), (0, 1, 2, 3), (5, 10, 10, 20)]
    for big_n in [*rng.integers(2, 60, 150), *rng.integers(60, 2_000, 60),
                  *rng.integers(20_000, 50_000, 12)]:
        big_n = int(big_n)
        n, big_a = int(rng.integers(1, big_n)), int(rng.integers(1, big_n))
        a = int(rng.integers(max(0, n + big_a - big_n), min(n, big_a) + 1))
        cases.append((a, n, big_a, big_n))
    for a, n, big_a, big_n in cases:
        table = [[a, n - a], [big_a - a, big_n - n - big_a + a]]
        expected = fisher_exact(table, alternative="two-sided").pvalue
        assert abs(rules.fisher_p(a, n, big_a, big_n) - expected) < 1e-9, (a, n, big_a, big_n)
