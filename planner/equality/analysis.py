"""The disproportionality analysis of who an option puts at risk (DOMAIN.md §6, Equality Act
2010 s.149).

- The service is the employees (permanent, fixed-term, secondment) in the establishment.
  Interim and agency workers are not employees of the service and are not at risk of its
  redundancies. A withdrawn record takes that person out of every analysis: out of the
  counts and out of the totals.
- Once an option has a people mapping (planner.people.mapping), the people at risk are the
  mapping's: at risk, ring-fenced, voluntary redundancy, or not yet mapped (`basis`).
  Without one:
- The people **at risk** in an option are the employees in baseline posts the option deletes,
  regrades (either way) or reduces in FTE. These are the posts changed enough that their
  holders must be selected or slotted in again rather than simply carried over. The
  council's policy decides the slot-ins later. For the equality analysis, every holder of a
  changed post is in scope.
- Disproportionality: the ratio of a group's at-risk rate to the rest's rate, flagged by
  planner.equality.rules, with Fisher's exact test.
- Every view is suppressed (planner.equality.suppression), except hr's and admin's
  unsuppressed one. A suppressed view is suppressed together with every other option its
  reader can read (planner.structures.options.readable_options).

Equality answers are special-category personal data (UK GDPR art. 9). They are read only in
this package. No selection, mapping or costing module imports it, and
tests/equality/test_analysis.py checks those imports. Person-level answers need
equality.personal (hr, admin). Every other reader gets suppressed aggregates.

Length: the analysis, the basis a published draft keeps beside it, its withheld form and the
page's cache key all read the one population (`_population`); kept together so that what a
draft is checked against is exactly what the analysis counted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session

from planner.core.auth import Actor, can, require
from planner.core.config import get_settings
from planner.core.db import driver_rows
from planner.core.errors import (
    PermissionDenied,
    RowError,
    ValidationFailed,
)
from planner.core.models import (
    EQUALITY_FIELDS,
    EqualityRecord,
    Occupancy,
    Person,
    Post,
    Structure,
)
from planner.equality.records import baseline_structure
from planner.equality.rules import (
    CHARACTERISTICS,
    EMPLOYEE_CONTRACTS,
    EXTRA_DIMENSIONS,
    FULL_TIME,
    PART_TIME,
    PREFER_NOT,
    UNKNOWN,
    age_bands,
    category_order,
    category_series,
    fisher_p,
    ratio_flag,
)
from planner.equality.suppression import (
    SECONDARY,
    WITHHELD,
    ShownView,
    suppress,
    suppress_against,
    suppress_together,
)
from planner.equality.suppression import (
    ShownViewsDiffer as ShownViewsDiffer,
)
from planner.establishment.register import fte_units
from planner.people.mapping import (
    BASIS_MAPPING,
    at_risk_people,
    displaced_posts,
    has_mapping,
)
from planner.structures.options import (
    readable_option,
    readable_option_ids,
)

ANALYSIS_COLUMNS = ["characteristic", "label", "category", "service", "at_risk", "share_service",
                    "share_at_risk", "rate", "rest_rate", "ratio", "flag", "p_value",
                    "suppressed", "service_text", "at_risk_text", "ratio_text", "p_text"]


# --- the pure rules ----------------------------------------------------------------------------


# --- suppression ---------------------------------------------------------------------------------


# --- suppression across every option a reader can read ----------------------------------------
#
# The service column is the same in every option; only who is at risk differs. A reader who
# sees two options' figures can subtract them, and a reader who knows the posts (a union rep
# does) knows who is at risk in each, so the people split into "atoms": those at risk in the
# same set of options (in A and B, in B only, in neither...). Every figure shown is a sum of
# atom cells (people of group g in atom w). See `suppress_together`.


# --- equality records --------------------------------------------------------------------------


# --- checkpoints ---------------------------------------------------------------------------------


# --- the analysis --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadView:
    """An equality view a union rep can already read (a published draft's), as management
    holds it: who it counted at risk (employee ids, never in the draft) and its table as
    published (the rows' characteristic, category, service_text, at_risk_text)."""

    at_risk: frozenset[str]
    table: Sequence[dict[str, Any]]
    threshold: int


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
    # Who "at risk" was read from: the option's people mapping once it has one, else the
    # posts it deletes or changes (BASIS_POSTS).
    basis: str = "posts the option deletes or changes"
    # For a published draft's view: how many drafts already published it is suppressed
    # against (planner.equality.suppression.suppress_against).
    read_against: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (NaN and <NA> as None) for the command line."""
        def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {"structure": self.structure_name, "structure_id": self.structure_id,
                "suppressed": self.suppressed, "threshold": self.threshold,
                "service_total": self.service_total, "at_risk_total": self.at_risk_total,
                "at_risk_text": self.at_risk_text, "table": rows(self.table),
                "grade_mix": rows(self.grade_mix), "part_time": rows(self.part_time),
                "warnings": list(self.warnings), "suppressed_with": list(self.suppressed_with),
                "basis": self.basis, "read_against": self.read_against}


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _column(structure: Structure) -> str:
    """A structure's at-risk column in `_population`, named so that names sort as ids do."""
    return f"structure {structure.id:012d}"


def _employees(session: Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The employees in the analysis (EMPLOYEE_CONTRACTS, answers not withdrawn), one row each
    in employee_id order: person_id, employee_id, date_of_birth, units (their FTE in whole
    ten-thousandths) and their EQUALITY_FIELDS answers ("" without a record); and their
    occupancies: row (in the first frame) and post_id.

    One read of the occupancies with their people and answers, taken a column at a time
    (issue 16: the people frame, the answers as a dict and a loop per person were a second
    and a half at 50,000 posts)."""

    base = baseline_structure(session)
    o, pe, p, r = (Occupancy.__table__, Person.__table__, Post.__table__,
                   EqualityRecord.__table__)
    names = ["person_id", "employee_id", "date_of_birth", "units", "post_id", *EQUALITY_FIELDS]
    q = (sa_select(pe.c.id, pe.c.employee_ref, pe.c.date_of_birth,
                   fte_units(o.c.fte), o.c.post_id,
                   *(r.c[f] for f in EQUALITY_FIELDS))
         .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id)
                      .outerjoin(r, r.c.employee_ref == pe.c.employee_ref))
         .where(p.c.structure_id == base.id, pe.c.contract.in_(EMPLOYEE_CONTRACTS),
                or_(r.c.withdrawn.is_(None), r.c.withdrawn.is_(False))))
    rows = driver_rows(session.connection(), q)  # dates as the driver gives them: age_bands
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    # Arrays, not a frame, until the end: pandas would infer every text column on the way.
    person = np.array(columns[0], dtype=np.int64)
    ref, refs = pd.factorize(np.array(columns[1], dtype=object), sort=True)
    order = np.lexsort((person, ref))  # by employee id; a person's occupancies side by side
    person = person[order]
    new_person = np.r_[True, person[1:] != person[:-1]] if len(person) else np.zeros(0, bool)
    first = np.flatnonzero(new_person)
    row = np.cumsum(new_person) - 1
    units = np.array(columns[3], dtype=np.int64)[order]

    def each(j: int) -> np.ndarray:
        return np.array(columns[j], dtype=object)[order][first]

    people = pd.DataFrame({
        "person_id": person[first],
        "employee_id": pd.Series(np.asarray(refs, dtype=object)[ref[order][first]],
                                 dtype="str"),
        "date_of_birth": pd.Series(each(2), dtype=object),
        "units": np.add.reduceat(units, first) if len(first) else units,
        **{f: pd.Series(each(5 + j), dtype=object) for j, f in enumerate(EQUALITY_FIELDS)}})
    return people, pd.DataFrame({"row": row,
                                 "post_id": np.array(columns[4], dtype=np.int64)[order]})


def _population(session: Session, option: Structure, today: dt.date,
                others: Sequence[Structure] = ()) -> pd.DataFrame:
    """One row per employee in the analysis: at_risk, each characteristic's category, and
    for each of `others` a column (`_column`): at risk in that option."""
    from planner.structures.pay import FTE_SCALE

    people, occupancies = _employees(session)
    out = pd.DataFrame({"employee_id": people["employee_id"]})
    for column, structure in [("at_risk", option), *((_column(o), o) for o in others)]:
        mapped = at_risk_people(session, structure.id) if structure.kind == "option" else None
        if mapped is not None:  # the option's people mapping decides (issue 12)
            out[column] = people["person_id"].isin(mapped).to_numpy(dtype=bool)
            continue
        changed = displaced_posts(session, structure)
        hit = occupancies["post_id"].isin(changed).to_numpy(dtype=np.int64)
        out[column] = np.bincount(occupancies["row"].to_numpy(), weights=hit,
                                  minlength=len(people)) > 0
    for f in EQUALITY_FIELDS:
        out[f] = category_series(people[f].astype(object))
    out["age"] = age_bands(people["date_of_birth"], today)
    # Part-time when a person's occupancies add up to less than 1 FTE (rules.working_pattern).
    out["working_pattern"] = np.where(people["units"].to_numpy() < FTE_SCALE, PART_TIME,
                                      FULL_TIME).astype(object)
    return out


def _counts(population: pd.DataFrame) -> pd.DataFrame:
    at_risk = population["at_risk"].to_numpy(dtype=bool)
    rows = []
    for key, label in CHARACTERISTICS + EXTRA_DIMENSIONS:
        codes, uniques = pd.factorize(population[key].to_numpy(dtype=object))
        service = np.bincount(codes, minlength=len(uniques))
        risk = np.bincount(codes, weights=at_risk, minlength=len(uniques)).astype(np.int64)
        where = {c: i for i, c in enumerate(uniques)}
        for cat in category_order(key, uniques):
            rows.append({"characteristic": key, "label": label, "category": cat,
                         "service": int(service[where[cat]]),
                         "at_risk": int(risk[where[cat]])})
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

    base = baseline_structure(session)
    p = Post.__table__
    conn = session.connection()

    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for sid, g, n in conn.execute(
            sa_select(p.c.structure_id, p.c.grade, func.count())
            .where(p.c.structure_id.in_([base.id, option.id]))
            .group_by(p.c.structure_id, p.c.grade)):
        if sid == base.id:
            before[g] = int(n)
        if sid == option.id:
            after[g] = int(n)
    order = {g: i for i, g in enumerate(grade_table(session))}
    grades = sorted(set(before) | set(after), key=lambda g: (order.get(g, len(order)), g))
    return pd.DataFrame([{"grade": g, "before": before.get(g, 0), "after": after.get(g, 0)}
                         for g in grades], columns=["grade", "before", "after"]).astype(
        {"before": "int64", "after": "int64"})


def analyse(*, session: Session, actor: Actor, structure: str | int | Structure,
            unsuppressed: bool = False, threshold: int | None = None,
            today: dt.date | None = None,
            for_union: bool = False, read: Sequence[ReadView] = (),
            ages_on: dt.date | None = None) -> EqualityAnalysis:
    """The equality profile of the people `structure` puts at risk against the service.

    equality.read through readable_option (a union rep: published options only). The
    unsuppressed figures need equality.personal (hr, admin); so does any threshold but the
    setting, which would otherwise unsuppress by the back door (below it) or give a second
    suppression to read against the first (above it). A suppressed view is suppressed together
    with every other option the actor can read (`suppress_together`). Nobody's answers leave
    this function: only counts by group.

    `for_union`: the view a published draft gives union representatives (who never call this
    themselves, issue 13): suppressed against `read`, the equality views of every draft a union
    rep can already read (of any option, withdrawn ones too), held as they were published
    (`suppress_against`); never against live options, which they cannot see. The caller
    (planner.publishing.drafts) checks that those drafts described the same people with the
    same answers, with ages as on `ages_on`. Needs drafts.publish (a manager or hr publishing).
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
    if for_union:
        require(actor, "drafts.publish", "published_draft")
        if unsuppressed:
            raise PermissionDenied("A published draft holds only suppressed figures.",
                                   user=actor, action="equality.personal",
                                   entity="equality_record")
    suppressed = not unsuppressed
    others = (_suppressed_with(session, actor, s, "equality.read")
              if suppressed and not for_union else [])
    population = _population(session, s, ages_on or today or dt.date.today(), others)
    counts = _counts(population)
    big_n = len(population)
    big_a = int(population["at_risk"].sum())
    withheld_keys: list[str] = []
    if for_union:
        population[_column(s)] = population["at_risk"]
        shown = []
        for i, view in enumerate(read):
            column = f"read {i:06d}"
            population[column] = population["employee_id"].astype(str).isin(view.at_risk)
            shown.append(ShownView(column, {(str(r["characteristic"]), str(r["category"])): (
                str(r["service_text"]), str(r["at_risk_text"])) for r in view.table},
                view.threshold))
        marked, withheld_keys = suppress_against(population, _column(s), shown, t)
        assert (marked[["characteristic", "category"]].to_numpy().tolist()
                == counts[["characteristic", "category"]].to_numpy().tolist())
        marked = marked.assign(label=counts["label"].to_numpy())
    elif suppressed and others:
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
    warnings = _warnings(table, big_n, big_a, t, suppressed)
    labels = dict(CHARACTERISTICS + EXTRA_DIMENSIONS)
    warnings += [f"{labels.get(k, k)}: the at-risk figures are withheld: beside the drafts "
                 "already published, any of them could identify someone." for k in withheld_keys]
    return EqualityAnalysis(
        structure_id=s.id, structure_name=s.name, suppressed=suppressed, threshold=t,
        service_total=big_n, at_risk_total=None if total_hidden else big_a,
        at_risk_text=at_risk_text, table=table, grade_mix=_grade_mix(session, s),
        part_time=part_time, warnings=warnings,
        suppressed_with=tuple(o.name for o in others), read_against=len(read),
        basis=BASIS_MAPPING if has_mapping(session, s.id) else BASIS_POSTS)


BASIS_POSTS = "posts the option deletes or changes"


def _suppressed_with(session: Session, actor: Actor, structure: Structure,
                     action: str = "equality.read") -> list[Structure]:
    """The other options `actor` can read (planner.structures.options.readable_options: every option for
    a role with options.read, the published ones for a union rep), against which a suppressed
    view of `structure` is suppressed, so no view read beside another gives anything away."""
    # Archived options too: they stay readable by name, so a view must not differ from them.
    ids = readable_option_ids(session=session, actor=actor, action=action,
                              include_archived=True)
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
    # Plain rows, not a frame filtered per characteristic: a few dozen rows, ten groups.
    records = table.to_dict(orient="records")
    for key, label in CHARACTERISTICS:
        rows = [r for r in records if r["characteristic"] == key]
        if not rows:
            continue
        if suppressed and all(r["suppressed"] for r in rows):
            out.append(f"{label}: no group's at-risk count can be shown without revealing "
                       "small numbers, so nothing can be concluded about it from these figures.")
            continue
        blank = [r["service"] for r in rows if r["category"] in (UNKNOWN, PREFER_NOT)]
        # Said only when every count behind it is shown, so it reveals nothing hidden.
        if (key != "age" and big_n and blank and not any(pd.isna(n) for n in blank)
                and int(sum(blank)) * 5 > big_n):
            out.append(f"{label}: more than a fifth of the service's answers are unknown or "
                           "'prefer not to say', so the profile may not reflect the service.")
        flagged = [r for r in rows if r["flag"] != "" and not pd.isna(r["p_value"])
                   and r["category"] not in (UNKNOWN, PREFER_NOT)]
        for r in flagged:
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


def equality_basis(session: Session, actor: Actor, structure: str | int | Structure,
                   ages_on: dt.date) -> dict[str, Any]:
    """What a draft's equality figures were computed on, for management to keep beside the
    draft (never in it): the day ages were taken on, a digest of the people in the analysis
    and their answers (`population`), and the employee ids it counted at risk. A later draft
    is suppressed against this draft's figures only while the digest is the same
    (planner.publishing.drafts). drafts.publish."""
    import hashlib

    require(actor, "drafts.publish", "published_draft")
    s = readable_option(session, actor, structure, "equality.read")
    population = _population(session, s, ages_on)
    keys = ["employee_id", *(k for k, _ in CHARACTERISTICS + EXTRA_DIMENSIONS
                             if k in population.columns)]
    rows = population[keys].astype(str).sort_values("employee_id")
    digest = hashlib.sha256("\n".join("\t".join(r) for r in rows.itertuples(index=False,
                                                                             name=None))
                            .encode()).hexdigest()
    at_risk = sorted(population.loc[population["at_risk"], "employee_id"].astype(str))
    return {"ages_on": ages_on.isoformat(), "population": digest, "at_risk": at_risk}


def at_risk_digest(basis: dict[str, Any]) -> str:
    """A short digest of who a basis counts at risk (PublishedDraft.at_risk_key)."""
    import hashlib

    return hashlib.sha256("\n".join(basis["at_risk"]).encode()).hexdigest()


def withheld_at_risk(analysis: dict[str, Any], reason: str, *,
                     whole: bool = False) -> dict[str, Any]:
    """An analysis (as_dict) with every figure that depends on who is at risk withheld: the
    at-risk counts, shares, ratios and p-values, the at-risk total and the part-time share of
    the people at risk; the service column and the grade mix stay, unless `whole` (then every
    count by group goes too: the service's profile has changed since an earlier draft, and
    the difference would describe who joined, left or changed an answer)."""
    out = dict(analysis)
    out["at_risk_total"] = None
    out["at_risk_text"] = "withheld"
    table = []
    for r in analysis["table"]:
        row = dict(r)
        for key in ("at_risk", "share_at_risk", "rate", "rest_rate", "ratio", "p_value"):
            if key in row:
                row[key] = None
        for key in ("at_risk_text", "ratio_text", "p_text", "share_at_risk_text"):
            if key in row:
                row[key] = "—"
        if "flag" in row:
            row["flag"] = ""
        if whole:
            for key in ("service", "share_service"):
                if key in row:
                    row[key] = None
            for key in ("service_text", "share_service_text"):
                if key in row:
                    row[key] = "—"
        table.append(row)
    out["table"] = table
    out["part_time"] = [] if whole else [
        r for r in analysis.get("part_time", [])
        if str(r.get("when", "")).lower() not in ("at risk", "after")]
    out["warnings"] = [reason]
    out["withheld"] = True
    out["withheld_whole"] = whole
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

