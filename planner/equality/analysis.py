"""Equality monitoring, the three equality analysis checkpoints of an option, and the
disproportionality analysis of who an option puts at risk (DOMAIN.md §6).

Equality answers are special-category personal data (UK GDPR art. 9). They live in their own
table (`EqualityRecord`) and are read only here: no selection, mapping or costing module
imports this one (tests/test_equality.py checks the imports). Person-level answers need
equality.personal (hr, admin); every other reader gets suppressed aggregates.

Rules (DOMAIN.md §6, Equality Act 2010 s.149):
- nine protected characteristics; "prefer not to say" is kept as said and a blank is unknown;
  age comes from the date of birth, in bands, as of the day of the analysis; working pattern
  (not a protected characteristic) is part-time when the person's occupancies add up to less
  than 1 FTE;
- a withdrawn record takes that person out of every analysis (the counts and the totals);
- the service is the employees (permanent, fixed-term, secondment) in the establishment;
  interim and agency workers are not employees of the service and are not at risk of its
  redundancies;
- the people **at risk** in an option are the employees in baseline posts the option deletes,
  regrades (either way) or reduces in FTE: the posts changed enough that their holders must be
  selected or slotted in again rather than simply carried over (the council's policy decides
  the slot-ins later; for the equality analysis every holder of a changed post is in scope);
- disproportionality: the ratio of a group's at-risk rate to the rest's (the four-fifths rule
  flags below 0.8; above 1.25 is its mirror) with Fisher's exact test, two-sided, on
  [[group at risk, group not], [rest at risk, rest not]] (scipy.stats.fisher_exact);
- suppression (every view but hr's and admin's unsuppressed one, and every export): counts
  under the threshold (10, or 5: `equality_suppression_threshold`) show as "<10"; secondary
  suppression hides further cells until no hidden cell can be worked out from the shown cells,
  the totals (assumed known: the consultation publishes the number at risk) and what the
  markers reveal (see `suppress`). Ratios and p-values built on a hidden cell are hidden.
  Small "prefer not to say" cells are suppressed in every suppressed view like any other
  small cell, and never exempted; an hr or admin user who asks for the unsuppressed analysis
  sees them, as they may see each person's answer anyway.
- suppression across options (issue 10): "no suppressed cell can be recovered from totals"
  holds for everything one reader can read, not one table at a time. A suppressed view of an
  option is suppressed together with every other option its reader can read
  (planner.structures.options.readable_options: the published ones for a union rep, every option for a
  manager, and for hr's and admin's suppressed view and the Word summary). The service column
  is the same in every option; only who is at risk differs, and a reader who knows the posts
  knows who that is, so the service splits into atoms: people at risk in exactly the same
  options (in A and B, in B only, in neither). Every figure shown is a sum of atom cells, so a
  difference of two options' counts is an atom cell, and "Married 12 in A, 13 in B", with B
  adding one post, names its holder's answer. The method (`suppress_together`): each option's
  primary suppression as above; a group hidden in one option is hidden in all (its size is
  the same everywhere); then, while an integer programme finds any hidden cell of any option,
  or any small atom cell (under the threshold, or all but under it: the one person an option
  adds is always one), that takes the same value in every table consistent with all the
  shown cells, markers, totals and atom sizes, the smallest shown count that can close the
  gap is hidden (that group's count in the other option first, in the option already most
  hidden), then the markers of the most hidden option are dropped ("—"), and at worst the
  characteristic is withheld whole, which pins nothing. One readable option gives exactly the
  single-table result. The work is bounded by a count of integer programmes (JOINT_BUDGET,
  about 400 × 40 ms): past it the characteristics left are withheld whole, the same way every
  time. The reader is assumed to know which groups exist (a group is listed when someone is
  in it), as in one table. What this cannot cover: figures read at different times (a view
  read before another option was published or archived, or before someone withdrew their
  record).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit, hooks
from planner.core.auth import Actor, can, require
from planner.core.config import get_settings
from planner.core.errors import (
    NotFound,
    PermissionDenied,
    PlannerError,
    RowError,
    StaleVersion,
    ValidationFailed,
)
from planner.core.models import (
    EQUALITY_FIELDS,
    IMPACTS,
    EqualityCheckpoint,
    EqualityImpact,
    EqualityRecord,
    Occupancy,
    Person,
    Post,
    Structure,
    utcnow,
)
from planner.core.values import long_date
from planner.establishment.importer import ImportFollower
from planner.establishment.readers import Tables
from planner.structures.options import (
    readable_option,
    readable_options,
    require_not_archived,
    resolve_structure,
)

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
# Integer programmes one joint suppression may solve (about 40 ms each) before the
# characteristics left are withheld whole (see _Joint.run).
JOINT_BUDGET = 400
SECONDARY = "*"  # a count hidden so that another cannot be worked out (it is not small)
WITHHELD = "—"  # a count hidden with nothing said about its size

RECORD_COLUMNS = ["employee_id", "name", *EQUALITY_FIELDS, "withdrawn", "version"]
IMPORT_COLUMNS = ("employee_id", *EQUALITY_FIELDS)
SHEET = "equality"

STAGES: tuple[tuple[int, str], ...] = (
    (1, "Stage 1: before the proposals"), (2, "Stage 2: after consultation"),
    (3, "Stage 3: after implementation"))
IMPACT_COLUMNS = ["characteristic", "label", "impact", "evidence", "mitigation"]
ANALYSIS_COLUMNS = ["characteristic", "label", "category", "service", "at_risk", "share_service",
                    "share_at_risk", "rate", "rest_rate", "ratio", "flag", "p_value",
                    "suppressed", "service_text", "at_risk_text", "ratio_text", "p_text"]

_LABELS = dict(CHARACTERISTICS + EXTRA_DIMENSIONS)
_STAGE_NAMES = dict(STAGES)


class GateRefused(PlannerError):
    """An option's status change that its equality analysis does not yet allow."""


# --- the pure rules ----------------------------------------------------------------------------


def age_band(born: dt.date | None, today: dt.date) -> str:
    """The age band on `today` of someone born on `born`; UNKNOWN without a date."""
    if born is None or pd.isna(born):
        return UNKNOWN
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    for band, upper in zip(AGE_BANDS, (24, 34, 44, 54, 64), strict=False):
        if age <= upper:
            return band
    return AGE_BANDS[-1]


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


def fisher_p(group_at_risk: int, group_size: int, at_risk_total: int, total: int) -> float:
    """Fisher's exact test, two-sided, on [[a, n-a], [A-a, (N-n)-(A-a)]]; NaN when a margin
    is empty (no test is possible)."""
    from scipy.stats import fisher_exact

    a, n, big_a, big_n = group_at_risk, group_size, at_risk_total, total
    table = [[a, n - a], [big_a - a, (big_n - n) - (big_a - a)]]
    if min(min(r) for r in table) < 0:
        raise ValueError(f"inconsistent counts {table}")
    if n == 0 or n == big_n or big_a == 0 or big_a == big_n:
        return float("nan")
    return float(fisher_exact(table, alternative="two-sided").pvalue)


def _category_key(value: str) -> str:
    v = " ".join(str(value or "").split())
    if not v or v.casefold() == UNKNOWN:
        return UNKNOWN
    if v.casefold() == PREFER_NOT:
        return PREFER_NOT
    return v.casefold()


def _categories(values: pd.Series) -> pd.Series:
    """Answers grouped ignoring case and spacing, each group named by its commonest spelling."""
    clean = values.fillna("").astype(str).map(lambda v: " ".join(v.split()))
    keys = clean.map(_category_key)
    spelling: dict[str, str] = {}
    for key, group in clean.groupby(keys):
        spelling[key] = key if key in (UNKNOWN, PREFER_NOT) else group.value_counts().index[0]
    return keys.map(spelling)


def _order(characteristic: str, categories: Iterable[str]) -> list[str]:
    cats = set(categories)
    tail = [c for c in (PREFER_NOT, UNKNOWN) if c in cats]
    if characteristic == "age":
        head = [b for b in AGE_BANDS if b in cats]
    elif characteristic == "working_pattern":
        head = [c for c in (FULL_TIME, PART_TIME) if c in cats]
    else:
        head = sorted((c for c in cats if c not in tail), key=str.casefold)
    return head + tail


# --- suppression ---------------------------------------------------------------------------------


@dataclass
class _Hidden:
    n: list[bool]
    a: list[bool]
    withheld: bool = False
    a_withheld: bool = False  # the at-risk markers alone say nothing (joint suppression)


def _markers(n: Sequence[int], a: Sequence[int], hidden: _Hidden, t: int) -> tuple[
        list[tuple[float, float] | None], list[tuple[float, float] | None]]:
    """What the shown text tells about each hidden cell: "<t" bounds it to [0, t-1], "*" to
    [t, ∞) (a cell is hidden for another's sake only if it is not small), "—" nothing."""
    big = float("inf")

    def bound(value: int, hide: bool) -> tuple[float, float] | None:
        if not hide:
            return None
        if hidden.withheld:
            return (0, big)
        return (0, t - 1) if value < t else (t, big)

    return ([bound(v, h) for v, h in zip(n, hidden.n, strict=True)],
            [bound(v, h) for v, h in zip(a, hidden.a, strict=True)])


def _pinned(n: Sequence[int], a: Sequence[int], hidden: _Hidden, t: int, *,
            first: bool = False) -> list[tuple[str, int]]:
    """The hidden cells whose value is forced by what is shown, the totals and the markers.

    Integer programme relaxed to a linear one: rows × {at risk, not} with row and column sums
    is a transportation matrix, totally unimodular, so the bounds found are integers. Totals
    (N and the number at risk, A) are taken as known whether or not they are shown.
    """
    from scipy.optimize import linprog

    k = len(n)
    if k <= 1:
        return []  # one category is the whole service: nothing beyond the totals to protect
    big_n, big_a = sum(n), sum(a)
    nb, ab = _markers(n, a, hidden, t)
    # variables: a_0..a_{k-1}, b_0..b_{k-1}
    eq_rows, eq_vals = [], []

    def row(coefs: Mapping[int, float]) -> list[float]:
        r = [0.0] * (2 * k)
        for i, c in coefs.items():
            r[i] = c
        return r

    eq_rows.append(row({g: 1 for g in range(k)}))
    eq_vals.append(big_a)
    eq_rows.append(row({k + g: 1 for g in range(k)}))
    eq_vals.append(big_n - big_a)
    ub_rows, ub_vals = [], []
    bounds: list[tuple[float, float | None]] = [(0, None)] * (2 * k)
    for g in range(k):
        if not hidden.n[g]:
            eq_rows.append(row({g: 1, k + g: 1}))
            eq_vals.append(n[g])
        elif nb[g] is not None:
            lo, hi = nb[g]  # type: ignore[misc]
            if hi != float("inf"):
                ub_rows.append(row({g: 1, k + g: 1}))
                ub_vals.append(hi)
            if lo > 0:
                ub_rows.append(row({g: -1, k + g: -1}))
                ub_vals.append(-lo)
        if not hidden.a[g]:
            bounds[g] = (a[g], a[g])
        elif ab[g] is not None:
            lo, hi = ab[g]  # type: ignore[misc]
            bounds[g] = (lo, None if hi == float("inf") else hi)
    targets: list[tuple[str, int, dict[int, float]]] = []
    for g in range(k):
        if hidden.n[g] and big_n > 0:
            targets.append(("n", g, {g: 1, k + g: 1}))
        # Nobody (or everybody) at risk is public through the totals: then each group's
        # at-risk and not-at-risk counts follow from its size and are no secret.
        if hidden.a[g] and 0 < big_a < big_n:
            targets.append(("a", g, {g: 1}))
            targets.append(("b", g, {k + g: 1}))
    pinned = []
    for kind, g, coefs in targets:
        c = np.array(row(coefs))
        kw: dict[str, Any] = {"A_eq": eq_rows, "b_eq": eq_vals, "bounds": bounds,
                              "method": "highs"}
        if ub_rows:
            kw.update(A_ub=ub_rows, b_ub=ub_vals)
        lo = linprog(c, **kw)
        hi = linprog(-c, **kw)
        if not (lo.success and hi.success):  # cannot happen: the true table is feasible
            raise RuntimeError(f"suppression audit failed: {lo.message} / {hi.message}")
        if -hi.fun - lo.fun < 0.5:
            pinned.append((kind, g))
            if first:
                break
    return pinned


def _suppress_primary(n: Sequence[int], a: Sequence[int], t: int) -> _Hidden:
    """Primary suppression of one characteristic's rows in one option (see `suppress`)."""
    k = len(n)
    big_n, big_a = sum(n), sum(a)
    if k == 1:  # the one group is the whole service: its counts are the totals
        return _Hidden([big_n < t], [big_n < t or big_a < t or big_n - big_a < t])
    hide_n = [v < t or big_n - v < t for v in n]
    hide_a = [hide_n[g] or min(a[g], n[g] - a[g], big_a - a[g],
                               (big_n - n[g]) - (big_a - a[g])) < t
              for g in range(k)]
    return _Hidden(hide_n, hide_a)


def _suppress_one(n: Sequence[int], a: Sequence[int], t: int) -> _Hidden:
    """Primary then secondary suppression of one characteristic's rows (see `suppress`)."""
    k = len(n)
    hidden = _suppress_primary(n, a, t)
    if k == 1:
        return hidden
    for _ in range(4 * k + 2):
        pinned = _pinned(n, a, hidden, t, first=True)
        if not pinned:
            return hidden
        kind, g = pinned[0]
        shown_a = [j for j in range(k) if not hidden.a[j] and j != g]
        shown_n = [j for j in range(k) if not hidden.n[j] and j != g]
        if kind in ("a", "b") and shown_a:
            j = min(shown_a, key=lambda j: (a[j], n[j], j))
            hidden.a[j] = True
        elif shown_n:
            j = min(shown_n, key=lambda j: (n[j], j))
            hidden.n[j] = hidden.a[j] = True
        elif not hidden.withheld:
            hidden.withheld = True  # everything is hidden: stop the markers telling sizes
        else:
            break
    if _pinned(n, a, hidden, t):  # pragma: no cover - the loop above always ends clean
        raise RuntimeError("secondary suppression did not converge")
    return hidden


def _count_text(value: int, hide: bool, withheld: bool, t: int) -> str:
    if not hide:
        return str(int(value))
    if withheld:
        return WITHHELD
    return f"<{t}" if value < t else SECONDARY


def suppress(counts: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Primary and secondary suppression of a table of counts; pure.

    `counts` has `category`, `service` (people in the group) and `at_risk` (of them, at
    risk), and optionally `characteristic`: each characteristic's rows are one table, whose
    totals are its sums. Returns a copy with `service_hidden`, `at_risk_hidden` (bool) and
    `service_text`, `at_risk_text` (what a reader sees).

    Primary: a group is hidden (both counts) when it, or the rest of the service (its
    complement), is under `threshold`; a group's at-risk count is hidden when any cell of its
    2×2 table (at risk and not, in the group and in the rest) is under the threshold, so no
    small count can be had by subtracting a shown one from a total.
    Secondary: while any hidden cell (a group, its at-risk or its not-at-risk count) can be
    worked out exactly from the shown counts, the totals and the markers ("<10" says under
    10, "*" says 10 or more), the smallest shown count that closes the gap is hidden too; a
    table left wholly hidden shows "—" (nothing about sizes). The rest's counts (total minus
    the group) are sums of other groups' cells and are protected with them.
    """
    t = int(threshold)
    out = counts.copy()
    out["service_hidden"] = False
    out["at_risk_hidden"] = False
    out["service_text"] = ""
    out["at_risk_text"] = ""
    groups = (out.groupby("characteristic", sort=False).groups.values()
              if "characteristic" in out.columns else [out.index])
    for index in groups:
        part = out.loc[index]
        n = [int(v) for v in part["service"]]
        a = [int(v) for v in part["at_risk"]]
        if any(x < 0 or y < 0 or y > x for x, y in zip(n, a, strict=True)):
            raise ValueError("each at-risk count must be between 0 and its group's size")
        hidden = _suppress_one(n, a, t)
        out.loc[index, "service_hidden"] = hidden.n
        out.loc[index, "at_risk_hidden"] = hidden.a
        out.loc[index, "service_text"] = [_count_text(v, h, hidden.withheld, t)
                                          for v, h in zip(n, hidden.n, strict=True)]
        out.loc[index, "at_risk_text"] = [_count_text(v, h, hidden.withheld, t)
                                          for v, h in zip(a, hidden.a, strict=True)]
    out["service_hidden"] = out["service_hidden"].astype(bool)
    out["at_risk_hidden"] = out["at_risk_hidden"].astype(bool)
    return out


# --- suppression across every option a reader can read ----------------------------------------
#
# The service column is the same in every option; only who is at risk differs. A reader who
# sees two options' figures can subtract them, and a reader who knows the posts (a union rep
# does) knows who is at risk in each, so the people split into "atoms": those at risk in the
# same set of options (in A and B, in B only, in neither...). Every figure shown is a sum of
# atom cells (people of group g in atom w). See `suppress_together`.


@dataclass(frozen=True)
class _Target:
    """A count that must not be worked out exactly: a hidden cell of some view (`kind` n, a
    or b, with `option`), or an atom cell (`kind` c, with `atom`) that is small."""

    kind: str
    group: int
    option: int = -1
    atom: int = -1


class _Joint:
    """One characteristic's table across `m` options: cells[g][w] people of group g in atom
    w, patterns[w] the options that put atom w at risk; what each view hides, and the audit
    (an integer programme: the atom rows are not totally unimodular, so no LP shortcut)."""

    def __init__(self, cells: Sequence[Sequence[int]], patterns: Sequence[frozenset[int]],
                 m: int, t: int, spent: int = 0) -> None:
        self.k, self.w, self.m, self.t = len(cells), len(patterns), m, t
        self.cells = np.array(cells, dtype=np.int64).reshape(self.k, self.w)
        self.patterns = list(patterns)
        self.size = self.cells.sum(axis=0)  # people per atom (known to the reader)
        self.n = self.cells.sum(axis=1)
        self.member = np.array([[x in p for p in self.patterns] for x in range(m)],
                               dtype=np.int64).reshape(m, self.w)
        self.a = self.cells @ self.member.T  # a[g][x]: group g at risk in option x
        self.big_a = self.size @ self.member.T
        self.big_n = int(self.size.sum())
        views = [_suppress_primary(self.n.tolist(), self.a[:, x].tolist(), t) for x in range(m)]
        self.hide_n = [any(v.n[g] for v in views) for g in range(self.k)]
        self.hide_a = [[views[x].a[g] or self.hide_n[g] for g in range(self.k)]
                       for x in range(m)]
        self.withheld = False
        self.a_withheld = [False] * m  # per option: its at-risk markers say nothing
        self.witnesses: list[np.ndarray] = []  # other tables the reader cannot rule out
        # integer programmes solved, counting those of the characteristics before this one
        self.solves = spent

    def coef(self, target: _Target) -> np.ndarray:
        c = np.zeros((self.k, self.w))
        if target.kind == "n":
            c[target.group] = 1
        elif target.kind == "a":
            c[target.group] = self.member[target.option]
        elif target.kind == "b":
            c[target.group] = 1 - self.member[target.option]
        else:
            c[target.group, target.atom] = 1
        return c.ravel()

    def truth(self, target: _Target) -> int:
        return int(self.coef(target) @ self.cells.ravel())

    def targets(self) -> list[_Target]:
        out = [_Target("n", g) for g in range(self.k) if self.hide_n[g] and self.big_n > 0]
        for x in range(self.m):
            if 0 < self.big_a[x] < self.big_n:
                for g in range(self.k):
                    if self.hide_a[x][g]:
                        out += [_Target("a", g, x), _Target("b", g, x)]
        for w in range(self.w):
            for g in range(self.k):
                c = int(self.cells[g, w])
                if min(c, int(self.size[w]) - c) < self.t:
                    out.append(_Target("c", g, atom=w))
        return out

    def _marker(self, value: int, option: int = -1) -> tuple[float, float]:
        if self.withheld or (option >= 0 and self.a_withheld[option]):
            return (0, np.inf)
        return (0, self.t - 1) if value < self.t else (self.t, np.inf)

    def _constraints(self) -> Any:
        from scipy.optimize import LinearConstraint

        rows, lo, hi = [], [], []
        for w in range(self.w):  # each atom's size
            r = np.zeros((self.k, self.w))
            r[:, w] = 1
            rows.append(r.ravel())
            lo.append(self.size[w])
            hi.append(self.size[w])
        for g in range(self.k):
            r = self.coef(_Target("n", g))
            bound = self._marker(int(self.n[g])) if self.hide_n[g] else (self.n[g], self.n[g])
            rows.append(r)
            lo.append(bound[0])
            hi.append(bound[1])
            for x in range(self.m):
                value = int(self.a[g, x])
                bound = self._marker(value, x) if self.hide_a[x][g] else (value, value)
                rows.append(self.coef(_Target("a", g, x)))
                lo.append(bound[0])
                hi.append(bound[1])
        from scipy.sparse import csr_array

        return LinearConstraint(csr_array(np.array(rows)), np.array(lo, dtype=float),
                                np.array(hi, dtype=float))

    def pinned(self, target: _Target, constraints: Any) -> bool:
        """Whether every table the reader cannot rule out gives `target` its true value."""
        from scipy.optimize import Bounds, milp

        c, v = self.coef(target), self.truth(target)
        if self._covered(target):
            return False
        upper = np.repeat(self.size[None, :], self.k, axis=0).ravel().astype(float)
        for sign in (1, -1):
            self.solves += 1
            res = milp(sign * c, integrality=np.ones_like(c), bounds=Bounds(0, upper),
                       constraints=[constraints])
            if res.x is None:  # cannot happen: the true table is feasible
                raise RuntimeError(f"suppression audit failed: {res.message}")
            found = np.round(res.x)
            if int(round(float(c @ found))) != v:
                self.witnesses.append(found)
                return False
        return True

    def _covered(self, target: _Target) -> bool:
        c, v = self.coef(target), self.truth(target)
        return any(int(round(float(c @ seen))) != v for seen in self.witnesses)

    def first_pinned(self) -> _Target | None:
        constraints = self._constraints()
        return next((t for t in self.targets() if self.pinned(t, constraints)), None)

    def hide_more(self, target: _Target) -> bool:
        """Hide the smallest shown count that can close the gap, in the option already most
        hidden (so one option's column goes rather than parts of each); False when nothing is
        left to hide."""
        g = target.group
        hidden = [sum(row) for row in self.hide_a]
        shown = [(-hidden[x], int(self.a[j, x]), x, j) for x in range(self.m)
                 for j in range(self.k) if not self.hide_a[x][j]]
        if target.kind in ("a", "b"):
            # a total less the other groups first (as in one table), then other options
            tiers = [[s for s in shown if s[2] == target.option and s[3] != g],
                     [s for s in shown if s[3] == g]]
        elif target.kind == "c":
            # an atom cell is a difference between options: its own group's counts first
            tiers = [[s for s in shown if s[3] == g]]
        else:
            tiers = []
        tiers.append(shown)
        for tier in tiers:
            if tier and target.kind != "n":
                _, _, x, j = min(tier)
                self.hide_a[x][j] = True
                return True
        if target.kind != "n" and not all(self.a_withheld):
            # every at-risk count is hidden, and the markers ("<10" in one option, "*" in
            # another) still tell: drop the markers of the most hidden option first
            x = min((x for x in range(self.m) if not self.a_withheld[x]),
                    key=lambda x: (-hidden[x], int(self.big_a[x]), x))
            self.a_withheld[x] = True
            return True
        shown_n = [j for j in range(self.k) if not self.hide_n[j] and j != g]
        if shown_n:
            j = min(shown_n, key=lambda j: (int(self.n[j]), j))
            self.hide_n[j] = True
            for x in range(self.m):
                self.hide_a[x][j] = True
            return True
        if any(not h for h in self.hide_n) or any(not h for row in self.hide_a for h in row):
            # only cells of the target's own group are left: hide those
            for j in range(self.k):
                self.hide_n[j] = True
                for x in range(self.m):
                    self.hide_a[x][j] = True
            return True
        if not self.withheld:
            self.withheld = True  # everything is hidden: stop the markers telling sizes
            return True
        return False

    def run(self) -> list[_Hidden]:
        # Each step hides one more count or drops markers, so this ends; fully withheld (only
        # the atoms' sizes known) nothing can be pinned while there are two groups. Past the
        # budget (many options, many atoms) the characteristic is withheld whole at once: as
        # safe, only less informative, and decided by a count, not a clock, so the same
        # figures always give the same view.
        while self.solves <= JOINT_BUDGET:
            target = self.first_pinned()  # exact: None means nothing can be worked out
            if target is None:
                return [_Hidden(list(self.hide_n), list(self.hide_a[x]), self.withheld,
                                self.a_withheld[x]) for x in range(self.m)]
            if not self.hide_more(target):  # pragma: no cover - fully withheld is safe
                raise RuntimeError("joint suppression did not converge")
        return [_Hidden([True] * self.k, [True] * self.k, True) for _ in range(self.m)]


def suppress_together(people: pd.DataFrame, options: Sequence[str], threshold: int,
                      characteristics: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Suppress each option's table so that all of them together, read by one reader, reveal
    no small count and nobody's answer; pure.

    `people` has one row per person in the analysis: a category per characteristic (the
    column named by the characteristic) and, per option, a boolean column named by the
    option (at risk in it). Returns, per option, `suppress`'s frame (characteristic, category,
    service, at_risk, the hidden flags and the texts); the same whatever order `options` are
    given in, so every view of the same options is cut from the same suppression.

    The reader is assumed to know the totals, the markers, every option's shown cells and who
    is at risk in each option (the posts are public once published), so the people fall into
    atoms: those at risk in exactly the same options. The audit then asks, by integer
    programme, whether any hidden cell of any option, or any small atom cell (fewer than the
    threshold of a group in an atom, or of the rest: e.g. the one person one option adds),
    takes one value in every table consistent with all that; while one does, the smallest
    shown count that can close the gap is hidden (its own group's count in the other option
    first, for a difference), and a group hidden in one option is hidden in all (its size is
    the same everywhere). One option alone gives exactly `suppress`.
    """
    t = int(threshold)
    # One order whatever the caller's: the choices below break ties by option, and two views
    # of the same options made in different orders could each show what the other hides.
    options = sorted(options)
    keys = list(characteristics) if characteristics is not None else [
        k for k, _ in CHARACTERISTICS + EXTRA_DIMENSIONS if k in people.columns]
    at_risk = people[options].astype(bool).to_numpy()
    pattern_of = [frozenset(int(x) for x in np.flatnonzero(row)) for row in at_risk]
    patterns = sorted(set(pattern_of), key=lambda p: (len(p), sorted(p)))
    atom = {p: i for i, p in enumerate(patterns)}
    frames: dict[str, list[pd.DataFrame]] = {o: [] for o in options}
    spent = 0  # integer programmes solved so far (JOINT_BUDGET)
    for key in keys:
        col = people[key]
        cats = _order(key, col.unique())
        index = {c: g for g, c in enumerate(cats)}
        cells = [[0] * len(patterns) for _ in cats]
        for cat, p in zip(col, pattern_of, strict=True):
            cells[index[cat]][atom[p]] += 1
        if len(cats) <= 1 or len(options) <= 1:
            n = [sum(r) for r in cells]
            hidden = [_suppress_one(n, [sum(r[w] for w in range(len(patterns))
                                            if x in patterns[w]) for r in cells], t)
                      for x in range(len(options))]
        else:
            joint = _Joint(cells, patterns, len(options), t, spent)
            hidden = joint.run()
            spent = joint.solves
        n = [sum(r) for r in cells]
        for x, option in enumerate(options):
            a = [sum(r[w] for w in range(len(patterns)) if x in patterns[w]) for r in cells]
            h = hidden[x]
            frames[option].append(pd.DataFrame({
                "characteristic": key, "category": cats, "service": n, "at_risk": a,
                "service_hidden": h.n, "at_risk_hidden": h.a,
                "service_text": [_count_text(v, hide, h.withheld, t)
                                 for v, hide in zip(n, h.n, strict=True)],
                "at_risk_text": [_count_text(v, hide, h.withheld or h.a_withheld, t)
                                 for v, hide in zip(a, h.a, strict=True)]}))
    columns = ["characteristic", "category", "service", "at_risk", "service_hidden",
               "at_risk_hidden", "service_text", "at_risk_text"]
    return {o: (pd.concat(f, ignore_index=True) if f else pd.DataFrame(columns=columns))
            for o, f in frames.items()}


# --- equality records --------------------------------------------------------------------------


def _baseline(session: Session) -> Structure:
    found = session.exec(select(Structure).where(Structure.kind == "baseline")).first()
    if found is None:
        raise NotFound("There is no establishment yet: import one or load the demo data.")
    return found


def _baseline_people(session: Session) -> pd.DataFrame:
    """Everyone in a baseline post: person id, employee_id, name, contract, date of birth,
    total FTE, and the baseline post ids they occupy."""
    base = _baseline(session)
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    q = (sa_select(pe.c.id, pe.c.employee_ref, pe.c.name, pe.c.contract, pe.c.date_of_birth,
                   o.c.fte, o.c.post_id)
         .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
         .where(p.c.structure_id == base.id).order_by(pe.c.employee_ref, o.c.id))
    rows = session.connection().execute(q).all()
    people: dict[int, dict[str, Any]] = {}
    for pid, ref, name, contract, born, fte, post in rows:
        rec = people.setdefault(pid, {"person_id": pid, "employee_id": ref, "name": name,
                                      "contract": contract, "date_of_birth": born,
                                      "fte": Fraction(0), "posts": []})
        rec["fte"] += Fraction(str(fte))
        rec["posts"].append(int(post))
    return pd.DataFrame(list(people.values()),
                        columns=["person_id", "employee_id", "name", "contract", "date_of_birth",
                                 "fte", "posts"])


def _records_by_ref(session: Session, refs: Iterable[str] | None = None) -> dict[str, EqualityRecord]:
    q = select(EqualityRecord)
    if refs is not None:
        q = q.where(EqualityRecord.employee_ref.in_(list(refs)))  # type: ignore[attr-defined]
    return {r.employee_ref: r for r in session.exec(q).all()}


def equality_records(*, session: Session, actor: Actor) -> pd.DataFrame:
    """Each baseline person's answers (RECORD_COLUMNS; "" = unknown, version 0 = none yet).

    Person-level special-category data: hr and admin only (equality.personal)."""
    require(actor, "equality.personal", "equality_record")
    people = _baseline_people(session)
    records = _records_by_ref(session)
    rows = []
    for ref, name in zip(people["employee_id"], people["name"], strict=True):
        r = records.get(ref)
        rows.append({"employee_id": ref, "name": name,
                     **{f: (getattr(r, f) if r else "") for f in EQUALITY_FIELDS},
                     "withdrawn": bool(r.withdrawn) if r else False,
                     "version": int(r.version) if r else 0})
    df = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    df["withdrawn"] = df["withdrawn"].astype(bool)
    df["version"] = df["version"].astype("int64")
    return df


def _clean_answer(value: Any) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    text = " ".join(text.split())
    key = text.casefold()
    if key == UNKNOWN:
        return ""
    if key == PREFER_NOT:
        return PREFER_NOT
    return text


def _truthy(value: Any) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value if value is not None else "").strip().lower()
    if text in ("", "false", "no", "0", "n"):
        return False
    if text in ("true", "yes", "1", "y"):
        return True
    return None


def _answer_errors(values: Mapping[str, Any], sheet: str, row: int | None) -> list[RowError]:
    errors = []
    for f in EQUALITY_FIELDS:
        v = _clean_answer(values.get(f, ""))
        if len(v) > MAX_ANSWER:
            errors.append(RowError(sheet, row, f, f"{len(v)} characters is too long; the limit "
                                                  f"is {MAX_ANSWER}."))
        elif v[:1] in ("=", "+", "@"):
            errors.append(RowError(sheet, row, f, "An answer cannot start with =, + or @ (a "
                                                  "spreadsheet would read it as a formula)."))
    return errors


def save_equality_records(*, session: Session, actor: Actor, rows: list[dict[str, Any]]) -> int:
    """Save people's answers (equality.edit): all-or-nothing, version-checked per person.

    Each row has `employee_id`, any of the EQUALITY_FIELDS, `withdrawn` and the `version` read
    (0 when the person had no record). Returns how many records changed. The audit says which
    fields changed, never the answers themselves.
    """
    require(actor, "equality.edit", "equality_record")
    known = set(_baseline_people(session)["employee_id"])
    refs = [str(r.get("employee_id", "")).strip() for r in rows]
    errors: list[RowError] = []
    seen: set[str] = set()
    for i, (ref, r) in enumerate(zip(refs, rows, strict=True), start=1):
        if ref not in known:
            errors.append(RowError(SHEET, i, "employee_id",
                                   f"There is no {ref or '(blank)'} in the establishment."))
        elif ref in seen:
            errors.append(RowError(SHEET, i, "employee_id", f"{ref} is given twice."))
        seen.add(ref)
        errors += _answer_errors(r, SHEET, i)
        if "withdrawn" in r and _truthy(r["withdrawn"]) is None:
            errors.append(RowError(SHEET, i, "withdrawn", "Give true or false."))
    if errors:
        raise ValidationFailed(errors)
    existing = {r.employee_ref: r for r in session.exec(
        select(EqualityRecord).where(EqualityRecord.employee_ref.in_(refs))  # type: ignore[attr-defined]
        .with_for_update().execution_options(populate_existing=True)).all()}
    stale = [ref for ref, r in zip(refs, rows, strict=True)
             if int(r.get("version", 0) or 0) != (existing[ref].version if ref in existing else 0)]
    if stale:
        raise StaleVersion(f"Nothing was saved: the answers of {', '.join(stale)} were changed "
                           "by someone else after you opened them. Reload, then make your "
                           "change again.")
    changed = 0
    for ref, r in zip(refs, rows, strict=True):
        record = existing.get(ref)
        fresh = record is None
        if record is None:
            record = EqualityRecord(employee_ref=ref)
        fields = [f for f in EQUALITY_FIELDS
                  if f in r and _clean_answer(r[f]) != getattr(record, f)]
        withdrawn = _truthy(r["withdrawn"]) if "withdrawn" in r else record.withdrawn
        if not fields and bool(withdrawn) == bool(record.withdrawn) and not fresh:
            continue
        if fresh and not fields and not withdrawn:
            continue
        for f in fields:
            setattr(record, f, _clean_answer(r[f]))
        before_withdrawn = bool(record.withdrawn)
        record.withdrawn = bool(withdrawn)
        record.updated_at = utcnow()
        if not fresh:
            record.version += 1
        session.add(record)
        session.flush()
        audit.record(session, actor=actor, action="create" if fresh else "update",
                     entity="equality_record", entity_id=ref,
                     before=None if fresh else {"withdrawn": before_withdrawn},
                     after={"fields_changed": fields, "withdrawn": record.withdrawn,
                            "version": record.version})
        changed += 1
    session.flush()
    return changed


def validate_equality_sheet(frame: pd.DataFrame, known: set[str]) -> list[RowError]:
    """Every problem of an `equality` sheet read by planner.establishment.readers.read_upload (text, with
    `_row`): unknown or repeated employee_id, over-long or formula-like answers."""
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for rec in frame.to_dict(orient="records"):
        row = int(rec["_row"])
        ref = str(rec.get("employee_id", "")).strip()
        if not ref:
            errors.append(RowError(SHEET, row, "employee_id", "The employee_id is blank."))
        elif ref not in known:
            errors.append(RowError(SHEET, row, "employee_id",
                                   f"There is no {ref} in the establishment (people sheet)."))
        elif ref in seen:
            errors.append(RowError(SHEET, row, "employee_id",
                                   f"{ref} is also on row {seen[ref]}."))
        else:
            seen[ref] = row
        errors += _answer_errors(rec, SHEET, row)
    return errors


def write_equality_sheet(*, session: Session, actor: Actor, frame: pd.DataFrame) -> int:
    """Write a validated `equality` sheet: each row replaces that person's answers (blank =
    unknown); `withdrawn` is left as it is. One audit event, with counts only."""
    require(actor, "equality.edit", "equality_record")
    refs = [str(v).strip() for v in frame["employee_id"]]
    existing = _records_by_ref(session, refs)
    created = updated = 0
    for rec in frame.to_dict(orient="records"):
        ref = str(rec["employee_id"]).strip()
        record = existing.get(ref)
        answers = {f: _clean_answer(rec.get(f, "")) for f in EQUALITY_FIELDS}
        if record is None:
            session.add(EqualityRecord(employee_ref=ref, **answers))
            created += 1
        elif any(getattr(record, f) != v for f, v in answers.items()):
            for f, v in answers.items():
                setattr(record, f, v)
            record.version += 1
            record.updated_at = utcnow()
            session.add(record)
            updated += 1
    session.flush()
    audit.record(session, actor=actor, action="import", entity="equality_record",
                 after={"rows": len(frame), "created": created, "updated": updated})
    session.flush()
    return created + updated


def import_equality(*, session: Session, actor: Actor,
                    files: Sequence[tuple[str, bytes]]) -> int:
    """Import answers from the `equality` sheet of a workbook or from equality.csv
    (equality.edit): all-or-nothing, every error with its sheet, row and column. Other sheets
    of a workbook are read past. Returns the records created or changed."""
    from planner.establishment.readers import read_upload

    require(actor, "equality.edit", "equality_record")
    tables, errors = read_upload(files)
    errors = [e for e in errors if e.sheet not in ("posts", "people", "partners")]
    if tables.equality is None and not any(e.sheet == SHEET for e in errors):
        errors.append(RowError(SHEET, None, "", "The equality sheet (or equality.csv) is "
                                                "missing."))
    if not errors and tables.equality is not None:
        known = set(_baseline_people(session)["employee_id"])
        errors = validate_equality_sheet(tables.equality, known)
    if errors:
        raise ValidationFailed(errors)
    assert tables.equality is not None
    return write_equality_sheet(session=session, actor=actor, frame=tables.equality)


# --- checkpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """One of an option's three equality analysis stages (DOMAIN.md §6)."""

    stage: int
    name: str
    due_on: dt.date | None
    signed_off_by: str
    signed_off_at: dt.datetime | None
    version: int  # 0 = not saved yet
    impacts: pd.DataFrame  # IMPACT_COLUMNS, one row per CHARACTERISTICS entry

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None


def _default_impacts() -> pd.DataFrame:
    return pd.DataFrame([{"characteristic": k, "label": label, "impact": "not yet known",
                          "evidence": "", "mitigation": ""} for k, label in CHARACTERISTICS],
                        columns=IMPACT_COLUMNS)


def _row_of(session: Session, structure_id: int, stage: int, *,
            lock: bool = False) -> EqualityCheckpoint | None:
    q = select(EqualityCheckpoint).where(EqualityCheckpoint.structure_id == structure_id,
                                         EqualityCheckpoint.stage == stage)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    return session.exec(q).first()


def _checkpoint(session: Session, structure_id: int, stage: int) -> Checkpoint:
    row = _row_of(session, structure_id, stage)
    impacts = _default_impacts()
    if row is None:
        return Checkpoint(stage, _STAGE_NAMES[stage], None, "", None, 0, impacts)
    found = {i.characteristic: i for i in session.exec(
        select(EqualityImpact).where(EqualityImpact.checkpoint_id == row.id)).all()}
    for pos, key in enumerate(impacts["characteristic"]):
        if key in found:
            impacts.loc[pos, ["impact", "evidence", "mitigation"]] = [
                found[key].impact, found[key].evidence, found[key].mitigation]
    return Checkpoint(stage, _STAGE_NAMES[stage], row.due_on, row.signed_off_by,
                      row.signed_off_at, int(row.version), impacts)


def checkpoints(*, session: Session, actor: Actor,
                structure: str | int | Structure) -> list[Checkpoint]:
    """The option's three checkpoints, saved or not (equality.read; a union rep only for a
    published option)."""
    s = readable_option(session, actor, structure, "equality.read")
    assert s.id is not None
    return [_checkpoint(session, s.id, stage) for stage, _ in STAGES]


def _assessable(session: Session, actor: Actor, structure: str | int | Structure,
                stage: int) -> Structure:
    require(actor, "equality.assess", "equality_checkpoint")
    s = structure if isinstance(structure, Structure) else resolve_structure(session, structure)
    if s.kind != "option":
        raise PlannerError(f"{s.name} is the current establishment: equality checkpoints "
                           "belong to an option.")
    require_not_archived(s)
    if stage not in _STAGE_NAMES:
        raise ValidationFailed([RowError("checkpoint", None, "stage",
                                         "The stage is 1, 2 or 3.")])
    # Lock the option row so two first saves of a stage cannot both insert it (PostgreSQL).
    session.exec(select(Structure.id).where(Structure.id == s.id).with_for_update()).one()
    return s


def _check_version(cp: Checkpoint, expected: int, structure: Structure) -> None:
    if cp.version != expected:
        who = f" ({cp.signed_off_by} signed it off)" if cp.signed_off else ""
        raise StaleVersion(f"Nothing was saved: {cp.name} of {structure.name} was changed by "
                           f"someone else after you opened it{who}. Reload, then make your "
                           "change again.")


def _impact_rows(impacts: pd.DataFrame | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(impacts, pd.DataFrame):
        return impacts.fillna("").to_dict(orient="records")
    return [dict(r) for r in impacts]


def _state(cp: Checkpoint) -> dict[str, Any]:
    return {"due_on": cp.due_on, "signed_off_by": cp.signed_off_by,
            "signed_off_at": cp.signed_off_at,
            "impacts": {r["characteristic"]: {"impact": r["impact"], "evidence": r["evidence"],
                                              "mitigation": r["mitigation"]}
                        for r in cp.impacts.to_dict(orient="records")}}


def save_checkpoint(*, session: Session, actor: Actor, structure: str | int | Structure,
                    stage: int, due_on: dt.date | None, impacts: pd.DataFrame | list[dict[str, Any]],
                    expected_version: int) -> Checkpoint:
    """Save a stage's due date and its impact, evidence and mitigation per characteristic
    (equality.assess). Refused while the stage is signed off, and if it changed since read."""
    s = _assessable(session, actor, structure, stage)
    assert s.id is not None
    current = _checkpoint(session, s.id, stage)
    _check_version(current, expected_version, s)
    if current.signed_off:
        raise PlannerError(f"{current.name} of {s.name} was signed off by "
                           f"{current.signed_off_by}; withdraw the sign-off before changing it.")
    if stage == 3 and due_on is None and s.status == "implemented":
        raise GateRefused(f"{s.name} is implemented: its stage 3 equality analysis keeps a due "
                          "date.")
    keys = [k for k, _ in CHARACTERISTICS]
    errors: list[RowError] = []
    given: dict[str, dict[str, str]] = {}
    for i, r in enumerate(_impact_rows(impacts), start=1):
        key = str(r.get("characteristic", "")).strip()
        if key not in keys:
            errors.append(RowError("checkpoint", i, "characteristic",
                                   f"{key!r} is not one of the nine protected characteristics."))
            continue
        if key in given:
            errors.append(RowError("checkpoint", i, "characteristic", f"{key} is given twice."))
        impact = str(r.get("impact", "") or "not yet known").strip()
        if impact not in IMPACTS:
            errors.append(RowError("checkpoint", i, "impact",
                                   f"{impact!r} is not one of: {', '.join(IMPACTS)}."))
        texts = {c: str(r.get(c, "") or "").strip() for c in ("evidence", "mitigation")}
        for c, text in texts.items():
            if len(text) > MAX_TEXT:
                errors.append(RowError("checkpoint", i, c, f"{len(text)} characters is too long;"
                                                           f" the limit is {MAX_TEXT}."))
        given[key] = {"impact": impact, **texts}
    if errors:
        raise ValidationFailed(errors)
    before = _state(current)
    row = _row_of(session, s.id, stage, lock=True)
    if row is None:
        row = EqualityCheckpoint(structure_id=s.id, stage=stage, due_on=due_on, version=1)
        session.add(row)
        session.flush()
    else:
        row.due_on = due_on
        row.version += 1
        session.add(row)
    found = {i.characteristic: i for i in session.exec(
        select(EqualityImpact).where(EqualityImpact.checkpoint_id == row.id)).all()}
    for key in keys:
        values = given.get(key)
        item = found.get(key)
        if item is None:
            item = EqualityImpact(checkpoint_id=row.id, characteristic=key)
        if values is not None:
            item.impact, item.evidence, item.mitigation = (
                values["impact"], values["evidence"], values["mitigation"])
        session.add(item)
    session.flush()
    saved = _checkpoint(session, s.id, stage)
    audit.record(session, actor=actor, action="save", entity="equality_checkpoint",
                 entity_id=f"{s.id}:{stage}", before=before if current.version else None,
                 after={**_state(saved), "version": saved.version})
    session.flush()
    return saved


def _when(at: dt.datetime | None) -> str:
    return long_date(at, "")


def sign_off_checkpoint(*, session: Session, actor: Actor, structure: str | int | Structure,
                        stage: int, expected_version: int,
                        today: dt.date | None = None) -> Checkpoint:
    """Sign a stage off in the actor's name (equality.assess): every characteristic must have
    a decided impact (not "not yet known") and the previous stage must be signed off.
    `today` dates the sign-off (default: now)."""
    s = _assessable(session, actor, structure, stage)
    assert s.id is not None
    current = _checkpoint(session, s.id, stage)
    _check_version(current, expected_version, s)
    if current.signed_off:
        raise PlannerError(f"{current.name} was already signed off by {current.signed_off_by} "
                           f"on {_when(current.signed_off_at)}.")
    errors = []
    if stage > 1 and not _checkpoint(session, s.id, stage - 1).signed_off:
        errors.append(RowError("checkpoint", None, "stage", (
            f"{_STAGE_NAMES[stage - 1]} must be signed off before {current.name}.")))
    undecided = current.impacts[current.impacts["impact"] == "not yet known"]
    for pos, label in zip(undecided.index, undecided["label"], strict=True):
        errors.append(RowError("checkpoint", int(pos) + 1, "impact", (
            f"{label}: the impact is not yet known; decide it (positive, negative or neutral) "
            "before signing off.")))
    if errors:
        raise ValidationFailed(errors)
    row = _row_of(session, s.id, stage, lock=True)
    assert row is not None
    now = utcnow()
    row.signed_off_by = (actor.display_name or actor.username)[:200]
    row.signed_off_at = now if today is None else dt.datetime.combine(today, now.timetz())
    row.version += 1
    session.add(row)
    session.flush()
    saved = _checkpoint(session, s.id, stage)
    audit.record(session, actor=actor, action="sign_off", entity="equality_checkpoint",
                 entity_id=f"{s.id}:{stage}",
                 after={"stage": stage, "signed_off_by": row.signed_off_by,
                        "signed_off_at": row.signed_off_at, "version": saved.version})
    session.flush()
    return saved


def withdraw_sign_off(*, session: Session, actor: Actor, structure: str | int | Structure,
                      stage: int, expected_version: int) -> Checkpoint:
    """Withdraw a stage's sign-off (equality.assess), so it can be changed. Refused while the
    next stage is signed off, or for stage 2 while the option is final or implemented (the
    gate it opened would be left open)."""
    s = _assessable(session, actor, structure, stage)
    assert s.id is not None
    current = _checkpoint(session, s.id, stage)
    _check_version(current, expected_version, s)
    if not current.signed_off:
        raise PlannerError(f"{current.name} of {s.name} is not signed off.")
    if stage < 3 and _checkpoint(session, s.id, stage + 1).signed_off:
        raise PlannerError(f"{_STAGE_NAMES[stage + 1]} is signed off: withdraw that first.")
    if stage == 2 and s.status in ("final", "implemented"):
        raise GateRefused(f"{s.name} is {s.status}: its stage 2 sign-off cannot be withdrawn. "
                          "Move the option back to an earlier status first.")
    row = _row_of(session, s.id, stage, lock=True)
    assert row is not None
    before = {"signed_off_by": row.signed_off_by, "signed_off_at": row.signed_off_at}
    row.signed_off_by, row.signed_off_at = "", None
    row.version += 1
    session.add(row)
    session.flush()
    saved = _checkpoint(session, s.id, stage)
    audit.record(session, actor=actor, action="withdraw_sign_off", entity="equality_checkpoint",
                 entity_id=f"{s.id}:{stage}", before=before,
                 after={"stage": stage, "version": saved.version})
    session.flush()
    return saved


def check_status_gate(session: Session, structure: Structure, status: str) -> None:
    """Refuse a status the equality analysis does not allow yet (DOMAIN.md §6-§7): final only
    once stage 2 (after consultation) is signed off; implemented only with a stage 3 (after
    implementation) due date. Called by planner.structures.options.set_option_status."""
    assert structure.id is not None
    if status == "final" and not _checkpoint(session, structure.id, 2).signed_off:
        raise GateRefused(f"Option {structure.name} cannot be marked final until the stage 2 "
                          "equality analysis is signed off.")
    if status == "implemented" and _checkpoint(session, structure.id, 3).due_on is None:
        raise GateRefused(f"Option {structure.name} cannot be marked implemented until the "
                          "stage 3 equality analysis (after implementation) has a due date.")


# --- the analysis --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EqualityAnalysis:
    """Who an option puts at risk against the whole service, per characteristic."""

    structure_id: int
    structure_name: str
    suppressed: bool
    threshold: int
    service_total: int  # employees in the analysis (withdrawn excluded)
    at_risk_total: int | None  # None when it must be suppressed
    at_risk_text: str
    table: pd.DataFrame  # ANALYSIS_COLUMNS
    grade_mix: pd.DataFrame  # grade, before, after (posts)
    part_time: pd.DataFrame  # when, employees, part_time, share
    warnings: list[str]
    # The other options this view is suppressed against (those the reader can also read).
    suppressed_with: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (NaN and <NA> as None) for the command line."""
        def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {"structure": self.structure_name, "structure_id": self.structure_id,
                "suppressed": self.suppressed, "threshold": self.threshold,
                "service_total": self.service_total, "at_risk_total": self.at_risk_total,
                "at_risk_text": self.at_risk_text, "table": rows(self.table),
                "grade_mix": rows(self.grade_mix), "part_time": rows(self.part_time),
                "warnings": list(self.warnings), "suppressed_with": list(self.suppressed_with)}


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _changed_baseline_posts(session: Session, option: Structure) -> set[int]:
    """Baseline post ids that `option` deletes, regrades or reduces in FTE (none for the
    baseline itself)."""
    if option.kind != "option":
        return set()
    base = _baseline(session)
    p = Post.__table__
    conn = session.connection()
    before = {int(i): (g, Fraction(str(f))) for i, g, f in conn.execute(
        sa_select(p.c.id, p.c.grade, p.c.fte).where(p.c.structure_id == base.id))}
    after: dict[int, list[tuple[str, Fraction]]] = {}
    for b, g, f in conn.execute(sa_select(p.c.baseline_post_id, p.c.grade, p.c.fte)
                                .where(p.c.structure_id == option.id,
                                       p.c.baseline_post_id.is_not(None))):
        after.setdefault(int(b), []).append((g, Fraction(str(f))))
    changed = set()
    for pid, (grade, fte) in before.items():
        continued = after.get(pid)
        if (not continued or all(g != grade for g, _ in continued)
                or sum(f for _, f in continued) < fte):
            changed.add(pid)
    return changed


def _column(structure: Structure) -> str:
    """A structure's at-risk column in `_population`, named so that names sort as ids do."""
    return f"structure {structure.id:012d}"


def _population(session: Session, option: Structure, today: dt.date,
                others: Sequence[Structure] = ()) -> pd.DataFrame:
    """One row per employee in the analysis: at_risk, each characteristic's category, and
    for each of `others` a column (`_column`): at risk in that option."""
    people = _baseline_people(session)
    people = people[people["contract"].isin(EMPLOYEE_CONTRACTS)].reset_index(drop=True)
    records = _records_by_ref(session, people["employee_id"].tolist())
    keep = [not (records.get(ref) and records[ref].withdrawn) for ref in people["employee_id"]]
    people = people[keep].reset_index(drop=True)
    out = pd.DataFrame({"employee_id": people["employee_id"]})
    for column, structure in [("at_risk", option), *((_column(o), o) for o in others)]:
        changed = _changed_baseline_posts(session, structure)
        out[column] = pd.Series([any(p in changed for p in posts) for posts in people["posts"]],
                                dtype=bool)
    for f in EQUALITY_FIELDS:
        raw = pd.Series([getattr(records[r], f) if r in records else ""
                         for r in people["employee_id"]], dtype=object)
        out[f] = _categories(raw)
    out["age"] = [age_band(b, today) for b in people["date_of_birth"]]
    out["working_pattern"] = [working_pattern(f) for f in people["fte"]]
    return out


def _counts(population: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for key, label in CHARACTERISTICS + EXTRA_DIMENSIONS:
        col = population[key]
        for cat in _order(key, col.unique()):
            mask = col == cat
            rows.append({"characteristic": key, "label": label, "category": cat,
                         "service": int(mask.sum()),
                         "at_risk": int((mask & population["at_risk"]).sum())})
    return pd.DataFrame(rows, columns=["characteristic", "label", "category", "service",
                                       "at_risk"])


def _figures(n: int, a: int, big_n: int, big_a: int) -> dict[str, Any]:
    """share, rates, ratio (exact, then float), flag and Fisher p for one group."""
    nan = float("nan")
    rest_n, rest_a = big_n - n, big_a - a
    ratio: Fraction | None = None
    if n and rest_n and rest_a:
        ratio = Fraction(a * rest_n, n * rest_a)
    return {"share_service": n / big_n if big_n else nan,
            "share_at_risk": a / big_a if big_a else nan,
            "rate": a / n if n else nan, "rest_rate": rest_a / rest_n if rest_n else nan,
            "ratio": float(ratio) if ratio is not None else nan,
            "flag": ratio_flag(ratio), "p_value": fisher_p(a, n, big_a, big_n)}


def _number(value: float, digits: int) -> str:
    return "—" if not math.isfinite(value) else f"{value:.{digits}f}"


def _p_text(p: float) -> str:
    if not math.isfinite(p):
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _grade_mix(session: Session, option: Structure) -> pd.DataFrame:
    from planner.establishment.reference import grade_table

    base = _baseline(session)
    p = Post.__table__
    conn = session.connection()

    def count(sid: int | None) -> dict[str, int]:
        out: dict[str, int] = {}
        for (g,) in conn.execute(sa_select(p.c.grade).where(p.c.structure_id == sid)):
            out[g] = out.get(g, 0) + 1
        return out

    before, after = count(base.id), count(option.id)
    order = {g: i for i, g in enumerate(grade_table(session))}
    grades = sorted(set(before) | set(after), key=lambda g: (order.get(g, len(order)), g))
    return pd.DataFrame([{"grade": g, "before": before.get(g, 0), "after": after.get(g, 0)}
                         for g in grades], columns=["grade", "before", "after"]).astype(
        {"before": "int64", "after": "int64"})


def analyse(*, session: Session, actor: Actor, structure: str | int | Structure,
            unsuppressed: bool = False, threshold: int | None = None,
            today: dt.date | None = None) -> EqualityAnalysis:
    """The equality profile of the people `structure` puts at risk against the service.

    equality.read through readable_option (a union rep: published options only). The
    unsuppressed figures need equality.personal (hr, admin); so does any threshold but the
    setting, which would otherwise unsuppress by the back door (below it) or give a second
    suppression to read against the first (above it). A suppressed view is suppressed together
    with every other option the actor can read (`suppress_together`). Nobody's answers leave
    this function: only counts by group.
    """
    s = readable_option(session, actor, structure, "equality.read")
    assert s.id is not None
    setting = get_settings().equality_suppression_threshold
    t = int(threshold if threshold is not None else setting)
    personal = can(actor, "equality.personal")
    if unsuppressed and not personal:
        raise PermissionDenied(f"A {actor.role} sees equality figures only with small numbers "
                               "suppressed.", user=actor, action="equality.personal",
                               entity="equality_record")
    if t < setting and not personal:
        raise PermissionDenied(f"A {actor.role} cannot lower the suppression threshold below "
                               f"{setting}.", user=actor, action="equality.personal",
                               entity="equality_record")
    if t != setting and not personal:
        # Two suppressions of the same figures at different thresholds hide different cells,
        # and read together each can give away what the other hides (issue 10).
        raise PermissionDenied(f"A {actor.role} sees equality figures suppressed under "
                               f"{setting} only.", user=actor, action="equality.personal",
                               entity="equality_record")
    if t < 1:
        raise ValidationFailed([RowError("analysis", None, "threshold",
                                         "The threshold is at least 1.")])
    suppressed = not unsuppressed
    others = _suppressed_with(session, actor, s) if suppressed else []
    population = _population(session, s, today or dt.date.today(), others)
    counts = _counts(population)
    big_n = len(population)
    big_a = int(population["at_risk"].sum())
    if suppressed and others:
        population[_column(s)] = population["at_risk"]
        views = suppress_together(population, [_column(o) for o in (s, *others)], t)
        marked = views[_column(s)]
        assert (marked[["characteristic", "category"]].to_numpy().tolist()
                == counts[["characteristic", "category"]].to_numpy().tolist())
        marked = marked.assign(label=counts["label"].to_numpy())
    elif suppressed:
        marked = suppress(counts, t)
    else:
        marked = counts.copy()
        marked["service_hidden"] = marked["at_risk_hidden"] = False
        marked["service_text"] = marked["service"].astype(str)
        marked["at_risk_text"] = marked["at_risk"].astype(str)
    total_hidden = suppressed and (big_a < t or big_n - big_a < t)
    rows = []
    for r in marked.to_dict(orient="records"):
        fig = _figures(r["service"], r["at_risk"], big_n, big_a)
        hide_n, hide_a = bool(r["service_hidden"]), bool(r["at_risk_hidden"])
        hide_derived = hide_n or hide_a or total_hidden
        if hide_n:
            fig["share_service"] = float("nan")
        if hide_a or total_hidden:
            fig["share_at_risk"] = float("nan")
        if hide_derived:
            fig.update(rate=float("nan"), rest_rate=float("nan"), ratio=float("nan"),
                       flag="", p_value=float("nan"))
        rows.append({"characteristic": r["characteristic"], "label": r["label"],
                     "category": r["category"],
                     "service": pd.NA if hide_n else r["service"],
                     "at_risk": pd.NA if hide_a else r["at_risk"], **fig,
                     "suppressed": hide_n or hide_a or (suppressed and total_hidden),
                     "service_text": r["service_text"], "at_risk_text": r["at_risk_text"],
                     "ratio_text": _number(fig["ratio"], 2), "p_text": _p_text(fig["p_value"])})
    table = pd.DataFrame(rows, columns=ANALYSIS_COLUMNS)
    for col in ("service", "at_risk"):
        table[col] = table[col].astype("Int64")
    for col in ("share_service", "share_at_risk", "rate", "rest_rate", "ratio", "p_value"):
        table[col] = table[col].astype("float64")
    table["suppressed"] = table["suppressed"].astype(bool)
    at_risk_text = (f"<{t}" if big_a < t else SECONDARY) if total_hidden else str(big_a)
    part_time = _part_time(table, big_n, big_a, total_hidden)
    return EqualityAnalysis(
        structure_id=s.id, structure_name=s.name, suppressed=suppressed, threshold=t,
        service_total=big_n, at_risk_total=None if total_hidden else big_a,
        at_risk_text=at_risk_text, table=table, grade_mix=_grade_mix(session, s),
        part_time=part_time, warnings=_warnings(table, big_n, big_a, t, suppressed),
        suppressed_with=tuple(o.name for o in others))


def _suppressed_with(session: Session, actor: Actor, structure: Structure) -> list[Structure]:
    """The other options `actor` can read (planner.structures.options.readable_options: every option for
    a role with options.read, the published ones for a union rep), against which a suppressed
    view of `structure` is suppressed, so no view read beside another gives anything away."""
    # Archived options too: they stay readable by name, so a view must not differ from them.
    ids = [int(i) for i in readable_options(session=session, actor=actor,
                                            action="equality.read", include_archived=True)["id"]]
    return [o for o in (session.get(Structure, i) for i in ids if i != structure.id)
            if o is not None]


def _part_time(table: pd.DataFrame, big_n: int, big_a: int, total_hidden: bool) -> pd.DataFrame:
    """Part-time share before (the service) and after (the service less those at risk), from
    the working-pattern rows, so a hidden cell there stays hidden here."""
    wp = table[(table["characteristic"] == "working_pattern")
               & (table["category"] == PART_TIME)]
    if wp.empty:
        n_pt: Any = 0
        a_pt: Any = 0
    else:
        n_pt, a_pt = wp["service"].iloc[0], wp["at_risk"].iloc[0]
    after_employees: Any = pd.NA if total_hidden else big_n - big_a
    after_pt: Any = pd.NA if (pd.isna(n_pt) or pd.isna(a_pt) or total_hidden) else n_pt - a_pt
    rows = [{"when": "Before", "employees": big_n, "part_time": n_pt},
            {"when": "After", "employees": after_employees, "part_time": after_pt}]
    df = pd.DataFrame(rows, columns=["when", "employees", "part_time"])
    df["employees"] = df["employees"].astype("Int64")
    df["part_time"] = df["part_time"].astype("Int64")
    share = []
    for e, p in zip(df["employees"], df["part_time"], strict=True):
        share.append(float("nan") if pd.isna(e) or pd.isna(p) or not e else int(p) / int(e))
    df["share"] = pd.Series(share, dtype="float64")
    return df


def _warnings(table: pd.DataFrame, big_n: int, big_a: int, t: int,
              suppressed: bool) -> list[str]:
    """Plain sentences where the data is too thin to conclude anything."""
    out = []
    if big_a == 0:
        out.append("Nobody is at risk in this option, so there is no disproportionate impact "
                   "to measure; check the grade mix and part-time share instead.")
    elif big_a < t or big_n - big_a < t:
        out.append(f"Fewer than {t} people are {'at risk' if big_a < t else 'not at risk'}: "
                   "too few to conclude anything about any group from these figures.")
    if suppressed and table["suppressed"].any():
        out.append(f"Counts under {t} are shown as <{t}; cells marked {SECONDARY} are hidden "
                   "so that a small count cannot be worked out from the totals, or from the "
                   f"other options' figures; {WITHHELD} says nothing about its count. Ratios "
                   "and p-values built on hidden counts are not shown.")
    for key, label in CHARACTERISTICS:
        rows = table[table["characteristic"] == key]
        if rows.empty:
            continue
        if suppressed and rows["suppressed"].all():
            out.append(f"{label}: no group's at-risk count can be shown without revealing "
                       "small numbers, so nothing can be concluded about it from these figures.")
            continue
        blank = rows[rows["category"].isin([UNKNOWN, PREFER_NOT])]
        if key != "age" and big_n and not blank.empty:
            n = blank["service"]
            # Said only when every count behind it is shown, so it reveals nothing hidden.
            if n.notna().all() and int(n.sum()) * 5 > big_n:
                out.append(f"{label}: more than a fifth of the service's answers are unknown or "
                           "'prefer not to say', so the profile may not reflect the service.")
        flagged = rows[(rows["flag"] != "") & rows["p_value"].notna()
                       & ~rows["category"].isin([UNKNOWN, PREFER_NOT])]
        for r in flagged.to_dict(orient="records"):
            if r["p_value"] >= 0.05:
                out.append(f"{label}, {r['category']}: the at-risk rate is {r['flag']} than the "
                           f"rest's (ratio {r['ratio']:.2f}), but with so few people a "
                           f"difference this size could well be chance (Fisher's exact test "
                           f"p = {r['p_value']:.2f}).")
            else:
                out.append(f"{label}, {r['category']}: the at-risk rate is {r['flag']} than the "
                           f"rest's (ratio {r['ratio']:.2f}) and unlikely to be chance "
                           f"(p = {_p_text(r['p_value'])}): consider the impact and its "
                           "mitigation.")
    return out


def analysis_key(session: Session, structure_id: int) -> tuple[Any, ...]:
    """What `analyse` depends on, cheaply: the option's and the establishment's versions (every
    post edit, import and status change bumps them), the answers' count and versions (every
    saved or imported answer bumps its record's), the threshold setting and the day (age
    bands). A page may cache an analysis under this key; it holds no one's answers.

    A suppressed view is suppressed together with every option its reader can read, so the
    key also holds every option's id, version, status and archived flag: publishing,
    archiving or editing another option changes what this one may show."""
    s, b = Structure.__table__, Structure.__table__.alias("b")
    versions = session.connection().execute(
        sa_select(s.c.version, b.c.version).select_from(s.join(b, b.c.kind == "baseline"))
        .where(s.c.id == structure_id)).first()
    others = session.connection().execute(
        sa_select(s.c.id, s.c.version, s.c.status, s.c.archived)
        .where(s.c.kind == "option").order_by(s.c.id)).all()
    r = EqualityRecord.__table__
    answers = session.connection().execute(
        sa_select(func.count(r.c.id), func.coalesce(func.sum(r.c.version), 0))).one()
    return (tuple(versions or ()), tuple(tuple(o) for o in others), tuple(answers),
            get_settings().equality_suppression_threshold, dt.date.today().isoformat())


# --- following an establishment import (planner.core.hooks.IMPORT) ---------------------------


def _import_check(actor: Actor, tables: Tables) -> list[RowError]:
    """An equality sheet in an establishment upload: checked against the upload's people when
    the actor may edit equality data (hr); refused for anyone else (an administrator imports
    establishments but may not change special-category data)."""
    if tables.equality is None:
        return []
    if not can(actor, "equality.edit"):
        return [RowError("equality", None, "", (
            "The equality sheet holds special-category personal data that only HR may import. "
            "Remove the sheet (or equality.csv) to import the establishment, and ask HR to "
            "upload the equality answers."))]
    people = tables.people
    known = set(people["employee_id"]) if people is not None else set()
    return validate_equality_sheet(tables.equality, known)


def _import_recorded(session: Session, actor: Actor, tables: Tables, event_id: int,
                     results: list[Any]) -> None:
    """The upload's equality sheet, written in the import's transaction (a failure here rolls
    the establishment back too)."""
    if tables.equality is not None:
        write_equality_sheet(session=session, actor=actor, frame=tables.equality)


hooks.register(hooks.IMPORT, ImportFollower(check=_import_check, recorded=_import_recorded),
               order=30, name="equality sheet")
hooks.register(hooks.STATUS, check_status_gate, name="equality checkpoints")
