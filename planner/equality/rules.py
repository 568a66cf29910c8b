"""The pure rules of the equality analysis (DOMAIN.md §6, Equality Act 2010 s.149).

- There are nine protected characteristics. "Prefer not to say" is kept as said, and a blank
  is unknown.
- Age comes from the date of birth, in bands, as of the day of the analysis.
- Working pattern is not a protected characteristic. A person is part-time when their
  occupancies add up to less than 1 FTE.
- A group is flagged when the ratio of its at-risk rate to the rest's rate is below 0.8 (the
  four-fifths rule) or above 1.25 (its mirror).
- Fisher's exact test is two-sided, on [[group at risk, group not], [rest at risk, rest not]]
  (scipy.stats.fisher_exact).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

CHARACTERISTICS: tuple[tuple[str, str], ...] = (
    ("age", "Age"), ("disability", "Disability"), ("gender_reassignment", "Gender reassignment"),
    ("marriage_civil_partnership", "Marriage and civil partnership"),
    ("pregnancy_maternity", "Pregnancy and maternity"), ("ethnicity", "Race"),
    ("religion_or_belief", "Religion or belief"), ("sex", "Sex"),
    ("sexual_orientation", "Sexual orientation"),
)


EXTRA_DIMENSIONS: tuple[tuple[str, str], ...] = (("working_pattern", "Working pattern"),)


PREFER_NOT = "prefer not to say"


UNKNOWN = "unknown"


AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55-64", "65 and over")


FULL_TIME, PART_TIME = "full-time", "part-time"


EMPLOYEE_CONTRACTS = ("permanent", "fixed_term", "secondment")


MAX_ANSWER = 80  # EqualityRecord's columns


MAX_TEXT = 4000  # EqualityImpact.evidence / mitigation


# The four-fifths rule and its mirror, exactly (DOMAIN.md §6).
LOWER_LIMIT, UPPER_LIMIT = Fraction(4, 5), Fraction(5, 4)


_LABELS = dict(CHARACTERISTICS + EXTRA_DIMENSIONS)


def age_band(born: dt.date | None, today: dt.date) -> str:
    """The age band on `today` of someone born on `born`; UNKNOWN without a date."""
    if born is None or pd.isna(born):
        return UNKNOWN
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    for band, upper in zip(AGE_BANDS, (24, 34, 44, 54, 64), strict=False):
        if age <= upper:
            return band
    return AGE_BANDS[-1]


def age_bands(born: Iterable[dt.date | str | None], today: dt.date) -> np.ndarray:
    """`age_band` of each date of birth, a column at a time (issue 16: 43,000 people). A date
    may come as ISO text ("1970-06-01"), as SQLite's driver gives it."""
    ymd = _ymd_column(born)
    # Whole years between two yyyymmdd numbers: the birthday this year counts once reached.
    age = (today.year * 10_000 + today.month * 100 + today.day - ymd) // 10_000
    out = np.array(AGE_BANDS, dtype=object)[np.searchsorted(
        np.array([24, 34, 44, 54, 64]), age, side="left")]
    out[ymd < 0] = UNKNOWN
    return out


def _ymd_column(born: Iterable[dt.date | str | None]) -> np.ndarray:
    """`_ymd` of each value; ISO text (all of SQLite's dates) read as digits a column at a
    time, anything else one by one."""
    values = np.asarray(list(born), dtype=object)
    text = np.fromiter((isinstance(b, str) and len(b) >= 10 for b in values), dtype=bool,
                       count=len(values))
    out = np.empty(len(values), dtype=np.int64)
    if text.any():
        digits = (np.array(values[text].tolist(), dtype="S10").view(np.uint8)
                  .reshape(-1, 10).astype(np.int64) - ord("0"))
        weights = np.array([10_000_000, 1_000_000, 100_000, 10_000, 0,
                            1_000, 100, 0, 10, 1], dtype=np.int64)
        out[text] = digits @ weights
    rest = np.flatnonzero(~text)
    out[rest] = np.fromiter((_ymd(values[i]) for i in rest), dtype=np.int64, count=len(rest))
    return out


def _ymd(born: dt.date | str | None) -> int:
    """A date as the number yyyymmdd; -1 for none."""
    if born is None or (not isinstance(born, str | dt.date) and pd.isna(born)):
        return -1
    if isinstance(born, str):
        return int(born[0:4]) * 10_000 + int(born[5:7]) * 100 + int(born[8:10])
    return born.year * 10_000 + born.month * 100 + born.day


def working_pattern(fte: Any) -> str:
    """Part-time when a person's occupancies add up to less than 1 FTE."""
    return PART_TIME if Fraction(str(fte)) < 1 else FULL_TIME


def ratio_flag(ratio: float | Fraction | None) -> str:
    """"lower" below 0.8 (the four-fifths rule), "higher" above 1.25, else "" (also when the
    ratio is undefined). Compared exactly, so 0.8 itself is not flagged."""
    if ratio is None or (isinstance(ratio, float) and not math.isfinite(ratio)):
        return ""
    exact = ratio if isinstance(ratio, Fraction) else Fraction(str(ratio))
    if exact < LOWER_LIMIT:
        return "lower"
    if exact > UPPER_LIMIT:
        return "higher"
    return ""


# Tables whose probability is within this relative distance of the one seen count as being
# as likely (R's fisher.test uses the same 1e-7): floating point cannot tell two equal
# probabilities apart more finely than that at a service's size.
FISHER_TIES = 1e-7


def fisher_p(group_at_risk: int, group_size: int, at_risk_total: int, total: int) -> float:
    """Fisher's exact test, two-sided, on [[a, n-a], [A-a, (N-n)-(A-a)]]: the probability of
    every table with these margins no more likely than the one seen (the definition scipy
    and R use); NaN when a margin is empty (no test is possible).

    Worked out over the whole support at once from log-factorials (issue 16: scipy's
    `fisher_exact` searched the tails one probability at a time, a tenth of a second per
    analysis at 50,000 posts)."""
    from scipy.special import gammaln

    a, n, big_a, big_n = group_at_risk, group_size, at_risk_total, total
    table = [[a, n - a], [big_a - a, (big_n - n) - (big_a - a)]]
    if min(min(r) for r in table) < 0:
        raise ValueError(f"inconsistent counts {table}")
    if n == 0 or n == big_n or big_a == 0 or big_a == big_n:
        return float("nan")
    x = np.arange(max(0, n + big_a - big_n), min(n, big_a) + 1, dtype=np.float64)
    log_p = (-gammaln(x + 1) - gammaln(big_a - x + 1) - gammaln(n - x + 1)
             - gammaln(big_n - big_a - n + x + 1))
    log_p += (gammaln(big_a + 1) + gammaln(big_n - big_a + 1) + gammaln(n + 1)
              + gammaln(big_n - n + 1) - gammaln(big_n + 1))
    seen = log_p[a - int(x[0])]
    return float(min(1.0, np.exp(log_p[log_p <= seen + np.log1p(FISHER_TIES)]).sum()))


def _category_key(value: str) -> str:
    v = " ".join(str(value or "").split())
    if not v or v.casefold() == UNKNOWN:
        return UNKNOWN
    if v.casefold() == PREFER_NOT:
        return PREFER_NOT
    return v.casefold()


def category_series(values: pd.Series) -> pd.Series:
    """Answers grouped ignoring case and spacing, each group named by its commonest spelling
    (the first met among equally common ones)."""
    raw = values.to_numpy(dtype=object)
    # Each distinct answer is cleaned and keyed once (a service has a few dozen spellings),
    # and the people are counted by code, not grouped as text (issue 16: 43,000 answers).
    codes, uniques = pd.factorize(raw)  # a missing answer is -1: blank, below
    codes = np.where(codes < 0, len(uniques), codes)
    tidy = [" ".join(str(v).split()) for v in uniques] + [""]
    keys = [_category_key(v) for v in tidy]
    spellings, spelling_of = np.unique(np.array(tidy, dtype=object), return_inverse=True)
    counts = np.bincount(np.asarray(spelling_of)[codes], minlength=len(spellings))
    first = np.full(len(spellings), len(raw), dtype=np.int64)
    np.minimum.at(first, np.asarray(spelling_of)[codes], np.arange(len(raw)))
    best: dict[str, tuple[int, int, str]] = {}  # key -> (-count, first row, spelling)
    for j, (v, key) in enumerate(zip(tidy, keys, strict=True)):
        k = int(spelling_of[j])
        rank = (-int(counts[k]), int(first[k]), v)
        if key not in best or rank < best[key]:
            best[key] = rank
    name = [key if key in (UNKNOWN, PREFER_NOT) else best[key][2] for key in keys]
    return pd.Series(np.array(name, dtype=object)[codes], index=values.index, dtype="str")


def category_order(characteristic: str, categories: Iterable[str]) -> list[str]:
    cats = set(categories)
    tail = [c for c in (PREFER_NOT, UNKNOWN) if c in cats]
    if characteristic == "age":
        head = [b for b in AGE_BANDS if b in cats]
    elif characteristic == "working_pattern":
        head = [c for c in (FULL_TIME, PART_TIME) if c in cats]
    else:
        head = sorted((c for c in cats if c not in tail), key=str.casefold)
    return head + tail
