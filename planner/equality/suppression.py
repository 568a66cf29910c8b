"""Suppression of small numbers in the equality analysis, one table at a time and across every
option one reader can read (DOMAIN.md §6; ONS disclosure control practice).

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
  in it), as in one table.
- suppression against views already read (issue 13, `suppress_against`): a union rep reads
  published drafts, frozen when published, so a new draft cannot re-choose what an earlier one
  hides. The same audit runs over every draft's published cells and the new view's; only the
  new view may hide more, and where nothing it can hide makes the whole safe, its at-risk
  figures for that characteristic are withheld. This holds for the same people with the same
  answers; planner.publishing.drafts withholds a draft's figures whole when anyone joined,
  left or changed an answer since an earlier draft that showed figures.

Length: one table's suppression, the joint audit across options and the audit against views
already read share one integer-programme model (`_Joint`, which `_Against` extends); split,
each module would reach into another's internals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.equality.rules import CHARACTERISTICS, EXTRA_DIMENSIONS, category_order

# Integer programmes one joint suppression may solve (about 40 ms each) before the
# characteristics left are withheld whole (see _Joint.run).
JOINT_BUDGET = 400


SECONDARY = "*"  # a count hidden so that another cannot be worked out (it is not small)


WITHHELD = "—"  # a count hidden with nothing said about its size


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


VIEW_COLUMNS = ["characteristic", "category", "service", "at_risk", "service_hidden",
                "at_risk_hidden", "service_text", "at_risk_text"]


def _atoms(people: pd.DataFrame, columns: Sequence[str]
           ) -> tuple[np.ndarray, list[frozenset[int]]]:
    """Each person's atom (the index in the atoms of the views that put them at risk) and the
    atoms, in one order. Worked out on the boolean matrix (issue 16: a frozenset per person
    was half a second at 50,000 posts)."""
    at_risk = people[list(columns)].astype(bool).to_numpy()
    if not len(at_risk):
        return np.zeros(0, dtype=np.int64), []
    m = at_risk.shape[1]
    if m < 63:  # each person's views as the bits of one number: a flat unique
        bits = at_risk.astype(np.int64) @ (np.int64(1) << np.arange(m, dtype=np.int64))
        codes, inverse = np.unique(bits, return_inverse=True)
        found = [frozenset(x for x in range(m) if (int(c) >> x) & 1) for c in codes]
    else:
        rows, inverse = np.unique(at_risk, axis=0, return_inverse=True)
        found = [frozenset(int(x) for x in np.flatnonzero(r)) for r in rows]
    order = sorted(range(len(found)), key=lambda i: (len(found[i]), sorted(found[i])))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[np.asarray(inverse).reshape(-1)], [found[i] for i in order]


def _cells(people: pd.DataFrame, key: str, atom_of: np.ndarray,
           patterns: Sequence[frozenset[int]]) -> tuple[list[Any], list[list[int]]]:
    """A characteristic's groups and the people of each group in each atom."""
    codes, uniques = pd.factorize(people[key], use_na_sentinel=False)
    values = list(uniques)
    cats = category_order(key, values)
    index = {c: g for g, c in enumerate(cats)}
    group = np.array([index[v] for v in values], dtype=np.int64)[codes]
    counts = np.bincount(group * len(patterns) + atom_of,
                         minlength=len(cats) * len(patterns))
    return cats, counts.reshape(len(cats), len(patterns)).tolist()


def _view_rows(key: str, cats: Sequence[Any], n: Sequence[int], a: Sequence[int],
               h: _Hidden, t: int) -> dict[str, list[Any]]:
    """One view of one characteristic, as `suppress` returns it: its columns as lists."""
    return {
        "characteristic": [key] * len(cats), "category": list(cats), "service": list(n),
        "at_risk": list(a), "service_hidden": list(h.n), "at_risk_hidden": list(h.a),
        "service_text": [_count_text(v, hide, h.withheld, t)
                         for v, hide in zip(n, h.n, strict=True)],
        "at_risk_text": [_count_text(v, hide, h.withheld or h.a_withheld, t)
                         for v, hide in zip(a, h.a, strict=True)]}


def _views_frame(parts: Sequence[dict[str, list[Any]]]) -> pd.DataFrame:
    """The views of every characteristic as one frame, built once (issue 16: a frame per
    characteristic, then concatenated, was a sixth of the equality read)."""
    if not parts:
        return pd.DataFrame(columns=VIEW_COLUMNS)
    return pd.DataFrame({c: [v for p in parts for v in p[c]] for c in VIEW_COLUMNS})


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
    atom_of, patterns = _atoms(people, options)
    frames: dict[str, list[dict[str, list[Any]]]] = {o: [] for o in options}
    spent = 0  # integer programmes solved so far (JOINT_BUDGET)
    for key in keys:
        cats, cells = _cells(people, key, atom_of, patterns)
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
            frames[option].append(_view_rows(key, cats, n, a, hidden[x], t))
    return {o: _views_frame(f) for o, f in frames.items()}


# --- suppression against views already read -------------------------------------------------------


@dataclass(frozen=True)
class ShownView:
    """A suppressed view already published, as its reader has it: per (characteristic,
    category), the service and at-risk texts it showed ("12", "<10", "*", "—"), under its own
    threshold. Which people it counted at risk is a boolean column of `people` (see
    `suppress_against`), known to management only."""

    column: str
    texts: Mapping[tuple[str, str], tuple[str, str]]
    threshold: int


class ShownViewsDiffer(ValueError):
    """A view already read does not match the people it is said to describe."""


def _text_bound(text: str, t: int) -> tuple[float, float] | None:
    """What a published text says about its count: exact, "<t" → [0, t-1], "*" → [t, ∞),
    "—" (or a view that did not list the group) → nothing."""
    if text.isdigit():
        return (int(text), int(text))
    if text == f"<{t}":
        return (0, t - 1)
    if text == SECONDARY:
        return (t, np.inf)
    return None


class _Against(_Joint):
    """One characteristic's table: views already read (options 0..m-2, their hiding fixed as
    published) and one new view (option m-1) whose hiding is chosen here. The audit is
    `_Joint`'s, over every view; only the new view's cells may be hidden further."""

    def __init__(self, cells: Sequence[Sequence[int]], patterns: Sequence[frozenset[int]],
                 shown: Sequence[Sequence[tuple[str, str]]], thresholds: Sequence[int],
                 t: int, spent: int = 0) -> None:
        m = len(shown) + 1
        super().__init__(cells, patterns, m, t, spent)
        self.new = m - 1
        self.bounds_n: list[tuple[float, float] | None] = []
        self.bounds_a: list[list[tuple[float, float] | None]] = []
        for x, (texts, tx) in enumerate(zip(shown, thresholds, strict=True)):
            ns = [_text_bound(s, tx) for s, _ in texts]
            as_ = [_text_bound(s, tx) for _, s in texts]
            for g in range(self.k):  # what was shown must be what these people give
                for b, v in ((ns[g], self.n[g]), (as_[g], self.a[g, x])):
                    if b is not None and b[0] == b[1] and b[0] != int(v):
                        raise ShownViewsDiffer("a view already read does not match its people")
            self.bounds_a.append(as_)
            self.hide_a[x] = [not (b is not None and b[0] == b[1]) for b in as_]
            self.bounds_n.append(ns)  # type: ignore[arg-type]
        # A group's size shown in any view is known; one hidden in every view read so far
        # stays hidden in the new one.
        self.n_known = [any(ns[g] is not None and ns[g][0] == ns[g][1]  # type: ignore[index]
                            for ns in self.bounds_n) for g in range(self.k)]
        primary = _suppress_primary(self.n.tolist(), self.a[:, self.new].tolist(), t)
        self.hide_n = [primary.n[g] or not self.n_known[g] for g in range(self.k)]
        self.hide_a[self.new] = [primary.a[g] or self.hide_n[g] for g in range(self.k)]

    def _constraints(self) -> Any:
        from scipy.optimize import LinearConstraint
        from scipy.sparse import csr_array

        rows, lo, hi = [], [], []

        def add(coef: np.ndarray, bound: tuple[float, float]) -> None:
            rows.append(coef)
            lo.append(bound[0])
            hi.append(bound[1])

        for w in range(self.w):  # each atom's size
            r = np.zeros((self.k, self.w))
            r[:, w] = 1
            add(r.ravel(), (self.size[w], self.size[w]))
        for g in range(self.k):
            n = int(self.n[g])
            bound: tuple[float, float] = (n, n) if not self.hide_n[g] else (
                (0, np.inf) if self.withheld else self._marker(n))
            for b in self.bounds_n:
                if b[g] is not None:
                    bound = (max(bound[0], b[g][0]), min(bound[1], b[g][1]))  # type: ignore
            add(self.coef(_Target("n", g)), bound)
            for x in range(self.m):
                value = int(self.a[g, x])
                if x == self.new:
                    b = ((value, value) if not self.hide_a[x][g] else
                         (0, np.inf) if self.withheld or self.a_withheld[x]
                         else self._marker(value))
                else:
                    b = self.bounds_a[x][g] or (0, np.inf)
                add(self.coef(_Target("a", g, x)), b)
        return LinearConstraint(csr_array(np.array(rows)), np.array(lo, dtype=float),
                                np.array(hi, dtype=float))

    def targets(self) -> list[_Target]:
        out = [t for t in super().targets() if t.kind != "n"]
        return [_Target("n", g) for g in range(self.k)
                if not self.n_known[g] and self.big_n > 0] + out

    def hide_more(self, target: _Target) -> bool:
        """Hide in the new view only (the others are read already): its smallest shown
        at-risk count (its own group's first), then its markers, then its service markers."""
        x = self.new
        shown = [(int(self.a[j, x]), j) for j in range(self.k) if not self.hide_a[x][j]]
        own = [s for s in shown if s[1] == target.group]
        for tier in (own, shown):
            if tier and target.kind != "n":
                self.hide_a[x][min(tier)[1]] = True
                return True
        if not self.a_withheld[x]:
            self.a_withheld[x] = True
            return True
        if not all(self.hide_a[x]):
            self.hide_a[x] = [True] * self.k
            return True
        if not self.withheld:
            self.withheld = True
            return True
        return False

    def run_new(self) -> tuple[_Hidden, bool]:
        """The new view's hiding, and whether it had to be withheld whole (nothing it could
        hide made the views together safe, or the work budget ran out)."""
        while self.solves <= JOINT_BUDGET:
            target = self.first_pinned()
            if target is None:
                return _Hidden(list(self.hide_n), list(self.hide_a[self.new]), self.withheld,
                               self.a_withheld[self.new]), False
            if not self.hide_more(target):
                break
        # Withheld whole: the new view then adds nothing to the views already read.
        return _Hidden([not k for k in self.n_known], [True] * self.k, True, True), True


def suppress_against(people: pd.DataFrame, option: str, shown: Sequence[ShownView],
                     threshold: int, characteristics: Sequence[str] | None = None
                     ) -> tuple[pd.DataFrame, list[str]]:
    """Suppress the new view `option` so that, read beside every view in `shown` (already
    published, so fixed as they are), no hidden cell of any view and no small atom cell can
    be worked out; pure.

    `people` is `suppress_together`'s frame, the same people every shown view described (the
    caller checks that), with a boolean column per view (the new one and each shown view's
    `column`). Returns the new view's frame (as `suppress`'s) and the characteristics whose
    at-risk figures had to be withheld whole: nothing the new view could hide made it safe
    beside the others (or the work budget ran out).

    The audit is `suppress_together`'s: the reader knows every view's shown cells and markers,
    the totals and who is at risk in each view. Only the new view may hide more; a group's
    size shown by any earlier view is public, and one hidden by all of them stays hidden.
    """
    t = int(threshold)
    if not shown:
        return suppress_together(people, [option], t, characteristics)[option], []
    columns = [v.column for v in shown] + [option]
    keys = list(characteristics) if characteristics is not None else [
        k for k, _ in CHARACTERISTICS + EXTRA_DIMENSIONS if k in people.columns]
    atom_of, patterns = _atoms(people, columns)
    frames, withheld = [], []
    spent = 0
    new = len(columns) - 1
    for key in keys:
        cats, cells = _cells(people, key, atom_of, patterns)
        n = [sum(r) for r in cells]
        a = [sum(r[w] for w in range(len(patterns)) if new in patterns[w]) for r in cells]
        if len(cats) <= 1:  # the one group is the whole service: its counts are the totals
            h = _suppress_one(n, a, t)
        else:
            texts = [[v.texts.get((key, str(c)), ("—", "—")) for c in cats] for v in shown]
            joint = _Against(cells, patterns, texts, [v.threshold for v in shown], t, spent)
            h, gave_up = joint.run_new()
            spent = joint.solves
            if gave_up:
                withheld.append(key)
        frames.append(_view_rows(key, cats, n, a, h, t))
    return _views_frame(frames), withheld
