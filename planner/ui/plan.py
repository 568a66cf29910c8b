"""The Financial plan page's wiring (issue 15): the options a reader may plan, the plan read and
projected (cached per database write), the assumptions form turned into a PlanAssumptions, the
save, and the display frames (money as text to the penny, dates written long).

The projection is cached on (database URL, option, the last audit event's id, role): every
write is audited, so any change to the establishment, the option or the plan moves the key.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import func
from sqlmodel import select

from planner.core.auth import Actor
from planner.core.errors import NotFound, PermissionDenied, PlannerError, StaleVersion
from planner.core.models import AuditEvent
from planner.core.values import long_date
from planner.finance.assumptions import (
    MAX_YEARS,
    MIN_YEARS,
    PlanAssumptions,
    YearAssumption,
    start_year,
    year_label,
)
from planner.finance.plan import PlanResult, financial_plan, plan_assumptions, save_plan
from planner.finance.plan_sheet import plan_workbook
from planner.structures.options import readable_options
from planner.ui.session import database_url, reading, writing

ERRORS_KEY = "plan_errors"
FLASH_KEY = "plan_flash"
SELECT_KEY = "plan_option"
YEAR_COLUMNS = ["Year", "Pay award %", "Flat award £", "Flat award up to SCP",
                "Employer NI %", "NI threshold £", "Pension %"]
DATE_COLUMNS = ["Applies to", "Division or post", "Takes effect"]
SCOPES = {"Division": "division", "Post": "post"}
TABLE_COLUMNS = {"partner": "Partner", "baseline_pence": "Baseline cost",
                 "option_pence": "Option cost (phased)",
                 "baseline_vacancy_pence": "Vacancy factor on baseline",
                 "option_vacancy_pence": "Vacancy factor on option",
                 "saving_pence": "Recurring saving", "one_off_pence": "One-off costs",
                 "net_pence": "Net saving", "cumulative_pence": "Cumulative net saving",
                 "target_pence": "Target", "gap_pence": "Gap to target"}


def pounds(pence: int) -> str:
    """Exact to the penny, always with the pence: '£1,234.50', '−£12.00'."""
    sign = "−" if pence < 0 else ""
    pence = abs(int(pence))
    return f"{sign}£{pence // 100:,}.{pence % 100:02d}"


def flash(message: str) -> None:
    st.session_state[FLASH_KEY] = message


def pop_flash() -> str | None:
    return st.session_state.pop(FLASH_KEY, None)


def options(actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of every option the reader may plan, oldest first."""
    with reading() as session:
        frame = readable_options(session=session, actor=actor, action="plan.read")
    return [(int(i), str(n)) for i, n in zip(frame["id"], frame["name"], strict=True)]


def _stamp() -> int:
    with reading() as session:
        return int(session.exec(select(func.max(AuditEvent.id))).one() or 0)


@st.cache_data(show_spinner=False, max_entries=16)
def _projected(url: str, structure_id: int, stamp: int, role: str,
               _actor: Actor) -> PlanResult:
    with reading() as session:
        return financial_plan(session=session, actor=_actor, structure=structure_id)


def result_of(actor: Actor, structure_id: int) -> PlanResult:
    """The option's saved plan (or the defaults), projected; cached until the next write."""
    return _projected(database_url(), structure_id, _stamp(), actor.role, actor)


def assumptions_of(actor: Actor, structure_id: int) -> tuple[PlanAssumptions, int]:
    with reading() as session:
        return plan_assumptions(session=session, actor=actor, structure=structure_id)


def first_years(spine_year: str, current: str) -> list[str]:
    """The first years offered: the spine's year and the three after it, and the plan's own."""
    offered = [year_label(spine_year, k) for k in range(4)]
    return sorted(set(offered) | {current})


# --- the form --------------------------------------------------------------------------------


def _num(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise PlannerError(f"{value!r} is not a number.") from exc


def _bp(value: Any) -> int | None:
    d = _num(value)
    return None if d is None else int((d * 100).to_integral_value())


def _pence(value: Any) -> int | None:
    d = _num(value)
    return None if d is None else int((d * 100).to_integral_value())


def years_frame(a: PlanAssumptions) -> pd.DataFrame:
    """The per-year editor's rows: percentages and pounds as a person types them."""
    def pct(bp: int | None) -> float | None:
        return None if bp is None else bp / 100
    return pd.DataFrame([{
        "Year": label, "Pay award %": y.award_bp / 100,
        "Flat award £": y.award_flat_pence / 100, "Flat award up to SCP": y.flat_to_scp,
        "Employer NI %": pct(y.ni_rate_bp),
        "NI threshold £": None if y.ni_threshold_pence is None else y.ni_threshold_pence / 100,
        "Pension %": pct(y.pension_rate_bp)} for label, y in zip(a.labels(), a.years,
                                                                 strict=True)],
        columns=YEAR_COLUMNS)


def targets_frame(a: PlanAssumptions, partners: list[str]) -> pd.DataFrame:
    """Partner × year, targets in pounds, plus the lump-sum one-off cost."""
    rows = []
    for p in partners:
        row: dict[str, Any] = {"Partner": p}
        for k, label in enumerate(a.labels()):
            row[f"Target {label} £"] = a.target(p, k) / 100
        row["Lump-sum one-off £"] = int(a.one_offs.get(p, 0)) / 100
        rows.append(row)
    return pd.DataFrame(rows)


def dates_frame(a: PlanAssumptions) -> pd.DataFrame:
    rows = ([{"Applies to": "Division", "Division or post": k, "Takes effect": v}
             for k, v in a.division_dates.items()]
            + [{"Applies to": "Post", "Division or post": k, "Takes effect": v}
               for k, v in a.post_dates.items()])
    return pd.DataFrame(rows, columns=DATE_COLUMNS)


def assumptions_from_form(*, first_year: str, years: int, increments: bool,
                          vacancy_factor_pct: Any, effective_on: dt.date,
                          by_year: pd.DataFrame, targets: pd.DataFrame,
                          dates: pd.DataFrame) -> PlanAssumptions:
    """The form's widgets as a PlanAssumptions (pure): percentages to basis points, pounds
    to pence; a year the editor has no row for copies the last one (with_length)."""
    ys = []
    for r in by_year.to_dict("records"):
        flat_to = _num(r.get("Flat award up to SCP"))
        ys.append(YearAssumption(
            award_bp=_bp(r.get("Pay award %")) or 0,
            award_flat_pence=_pence(r.get("Flat award £")) or 0,
            flat_to_scp=None if flat_to is None else int(flat_to),
            ni_rate_bp=_bp(r.get("Employer NI %")),
            ni_threshold_pence=_pence(r.get("NI threshold £")),
            pension_rate_bp=_bp(r.get("Pension %"))))
    target_cols = [c for c in targets.columns if c.startswith("Target ")]
    tgt = {str(r["Partner"]): tuple(_pence(r.get(c)) or 0 for c in target_cols)
           for r in targets.to_dict("records")}
    lumps = {str(r["Partner"]): _pence(r.get("Lump-sum one-off £")) or 0
             for r in targets.to_dict("records")}
    division, post = {}, {}
    for r in dates.to_dict("records"):
        key, day = str(r.get("Division or post") or "").strip(), r.get("Takes effect")
        if not key or day is None or (isinstance(day, float) and day != day):
            continue
        day = pd.Timestamp(day).date()
        (post if SCOPES.get(str(r.get("Applies to")), "division") == "post" else division)[key] = day
    a = PlanAssumptions(first_year=first_year, years=tuple(ys), effective_on=effective_on,
                        increments=bool(increments),
                        vacancy_factor_bp=_bp(vacancy_factor_pct) or 0,
                        division_dates=division, post_dates=post, targets=tgt, one_offs=lumps)
    # The first year may have moved: the editor's rows are the plan's years in order.
    start_year(first_year)
    if not MIN_YEARS <= years <= MAX_YEARS:
        raise PlannerError(f"A plan runs {MIN_YEARS} to {MAX_YEARS} years.")
    return a.with_length(years) if years != a.length else a


def save(actor: Actor, structure_id: int, a: PlanAssumptions, version: int) -> bool:
    st.session_state.pop(ERRORS_KEY, None)
    try:
        with writing() as session:
            save_plan(session=session, actor=actor, structure=structure_id, assumptions=a,
                      expected_version=version)
    except (PlannerError, StaleVersion, PermissionDenied, NotFound) as exc:
        st.session_state[ERRORS_KEY] = str(exc)
        return False
    flash("Saved the financial plan.")
    return True


def error() -> str | None:
    return st.session_state.get(ERRORS_KEY)


# --- what the page shows ---------------------------------------------------------------------


def year_table(result: PlanResult, label: str) -> pd.DataFrame:
    """One year as finance reads it: a row per figure, a column per partner and the total,
    every figure in pounds to the penny (the total column is the sum of the partners')."""
    t = result.projection.table
    rows = t[t["year"] == label]
    total = result.projection.totals.set_index("year").loc[label]
    frame = pd.DataFrame({"Figure": [TABLE_COLUMNS[c] for c in list(TABLE_COLUMNS)[1:]]})
    for r in rows.to_dict("records"):
        frame[str(r["partner"])] = [pounds(int(r[c])) for c in list(TABLE_COLUMNS)[1:]]
    frame["Total"] = [pounds(int(total[c])) for c in list(TABLE_COLUMNS)[1:]]
    return frame


SENSITIVITY_SHOWN = {"recurring saving": "Saving", "cumulative net saving": "Cumulative"}
CASE_WORDS = {"award −1 point": "award −1 pt", "as assumed": "as assumed",
              "award +1 point": "award +1 pt"}


def sensitivity_table(result: PlanResult) -> pd.DataFrame:
    """Per year: the recurring and the cumulative net saving at the award −1, as assumed and
    +1 point (the net saving is in the JSON and the workbook's years)."""
    s = result.sensitivity
    out = pd.DataFrame({"Year": s["year"]})
    for word, short in SENSITIVITY_SHOWN.items():
        for case, case_short in CASE_WORDS.items():
            out[f"{short}, {case_short}"] = [pounds(int(v)) for v in s[f"{word}, {case}"]]
    return out


def _short_pounds(pence: int) -> str:
    """A headline figure that fits its card: £1.20m, £450k, −£28k."""
    v = abs(pence) / 100
    sign = "−" if pence < 0 else ""
    if v >= 1_000_000:
        return f"{sign}£{v / 1_000_000:,.2f}m"
    if v >= 10_000:
        return f"{sign}£{v / 1_000:,.0f}k"
    return f"{sign}£{v:,.0f}"


def headline(result: PlanResult) -> list[tuple[str, str, str]]:
    """(label, value, help) for the metrics above the table."""
    p = result.projection
    totals = p.totals
    councils = p.table[p.table["partner"].isin(result.councils)]
    short = councils[councils["gap_pence"] > 0]
    return [
        ("Recurring saving, last year", _short_pounds(int(totals["saving_pence"].iloc[-1])),
         "All partners, after the vacancy factor, in the plan's last year: "
         f"{pounds(int(totals['saving_pence'].iloc[-1]))}."),
        ("Cumulative net saving", _short_pounds(int(totals["cumulative_pence"].iloc[-1])),
         "Over the whole plan, after one-off costs: "
         f"{pounds(int(totals['cumulative_pence'].iloc[-1]))}."),
        ("Break-even", f"{p.break_even_on:%b %Y}" if p.break_even_on else "not in the plan",
         "The month from which the cumulative net saving stays above zero"
         + (f": {p.break_even_on:%B %Y}." if p.break_even_on else ".")),
        ("Council-years short of target", f"{len(short)} of {len(councils)}",
         "A council-year is short when its recurring saving is below its target."),
    ]


def assumptions_summary(result: PlanResult) -> list[str]:
    """The plan's assumptions in sentences, for readers who may not change them."""
    a = result.assumptions
    out = [f"{a.length} years from {a.first_year}; the option takes effect on "
           f"{long_date(a.effective_on)}; increments each April "
           f"{'on' if a.increments else 'off'}; vacancy factor {a.vacancy_factor_bp / 100:.2f}%."]
    for label, y in zip(a.labels(), a.years, strict=True):
        award = f"{y.award_bp / 100:.2f}%"
        if y.award_flat_pence:
            upto = f"points up to SCP {y.flat_to_scp}" if y.flat_to_scp is not None else "every point"
            award = f"{pounds(y.award_flat_pence)} on {upto}, {award} above"
        out.append(f"{label}: pay award {award}.")
    for scope, dates in (("division", a.division_dates), ("post", a.post_dates)):
        out += [f"The {scope} {k} takes effect on {long_date(v)}." for k, v in dates.items()]
    return out


def notes(result: PlanResult) -> list[str]:
    src = result.projection.one_off_source
    first = (f"One-off costs: the exit bill of the option's people mapping, in "
             f"{result.projection.labels[result.projection.one_off_year]}."
             if src == "exit bill" else
             "One-off costs: the plan's lump sums (the option has no people mapping yet), in "
             f"{result.projection.labels[result.projection.one_off_year]}.")
    return [first, *result.notes]


def plan_xlsx(result: PlanResult) -> bytes:
    """The workbook (planner.finance.plan_sheet), through the safe writer."""
    return plan_workbook(result)
