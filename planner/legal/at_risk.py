"""Who an option puts at risk, for the consultation (TULRCA s.188(1) and s.188(4)).

- The people in baseline posts the option deletes.
- Which of them count towards s.188: employees only. Interims and agency workers are
  listed under s.188(4)(g), and a secondee returns to the employer that seconded them.
- Each person's week's pay and statutory notice.
- The s.188(4) descriptions of posts and of agency workers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from planner.people.notice import statutory_notice_weeks

if TYPE_CHECKING:
    from sqlmodel import Session

    from planner.core.models import Structure


# s.188(1) counts employees proposed for dismissal; interims and agency workers are not the
# council's employees (they appear under s.188(4)(g) instead), and a secondee returns to the
# employer that seconded them.
COUNTED_CONTRACTS = ("permanent", "fixed_term")


EMPLOYEE_CONTRACTS = ("permanent", "fixed_term", "secondment")


AGENCY_CONTRACTS = ("interim", "agency")


PEOPLE_AT_RISK_COLUMNS = ["employee_id", "name", "contract", "counted", "post_id", "title",
                          "grade", "continuous_service_date", "service_years", "notice_weeks",
                          "latest_notice_date", "weekly_pay_pence", "exposure_pence"]


DESCRIPTION_COLUMNS = ["title", "grade", "proposed", "employed"]


AGENCY_COLUMNS = ["division", "team", "title", "contract", "workers"]


def weekly_pay_pence(annual_pence: int, fte_units: int) -> int:
    """A week's gross pay: annual pay at 1.0 FTE × FTE / 52, in pence rounded half up.

    `fte_units` is FTE × 10,000 (planner.structures.pay.FTE_SCALE), so the only rounding is the last one.
    TULRCA 1992 s.190(2) and ERA 1996 s.221(2): for someone with normal working hours and no
    variable pay, a week's pay is what is payable for a week's work; annual basic pay / 52 is
    that figure for a salaried council employee. London weighting and overtime are left out.
    """
    from planner.structures.pay import FTE_SCALE, div_half_up

    if annual_pence < 0 or fte_units < 0:
        raise ValueError("Pay and FTE must not be negative.")
    return int(div_half_up(annual_pence * fte_units, FTE_SCALE * 52))


def notice_weeks_for(start: dt.date, dismissal: dt.date) -> int:
    """Statutory notice (ERA 1996 s.86) for employment to end on `dismissal`.

    s.86 measures service when notice is given, but the date notice is given is what we are
    working out (dismissal − notice): circular. So: weeks at the dismissal date, then again at
    dismissal − those weeks, and take the larger. Service only grows, so the larger is the
    figure at the dismissal date; it can overstate by a week when an anniversary falls inside
    the notice period, which moves the latest notice date a week earlier: safe, never late.
    """
    first = statutory_notice_weeks(start, dismissal)
    second = statutory_notice_weeks(start, dismissal - dt.timedelta(weeks=first))
    return max(first, second)


def baseline_people(session: Session) -> pd.DataFrame:
    """Every occupancy of the baseline: person, contract, pay basis, and the post's details."""
    from sqlalchemy import select as sa_select

    from planner.core.models import Occupancy, Person, Post
    from planner.establishment.register import baseline_id

    cols = ["person_id", "employee_id", "name", "contract", "scp", "annual_salary_pence",
            "start_date", "continuous_service_date", "fte", "post_pk", "post_id", "title",
            "grade", "division", "team"]
    sid = baseline_id(session)
    if sid is None:
        return pd.DataFrame(columns=cols)
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    q = (sa_select(pe.c.id, pe.c.employee_ref, pe.c.name, pe.c.contract, pe.c.scp,
                   pe.c.annual_salary_pence, pe.c.start_date, pe.c.continuous_service_date,
                   o.c.fte, p.c.id, p.c.post_ref, p.c.title, p.c.grade, p.c.division, p.c.team)
         .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
         .where(p.c.structure_id == sid).order_by(pe.c.employee_ref, p.c.post_ref))
    rows = [tuple(r) for r in session.connection().execute(q).all()]
    return pd.DataFrame(rows, columns=cols)


def deleted_post_pks(session: Session, option: Structure) -> set[int]:
    """Baseline Post ids the option deletes (the options difference list's "deleted" rows).

    A baseline post is deleted when no post of the option continues it (names it as its
    `baseline_post_id`): what the difference of the two structures' lineage frames finds,
    read as ids alone (issue 16: the frames cost 1.2 s at 50,000 posts;
    tests/legal/test_at_risk.py checks the two agree)."""
    from sqlalchemy import select as sa_select

    from planner.core.models import Post
    from planner.establishment.register import baseline_id

    sid = baseline_id(session)
    if sid is None:
        return set()
    p = Post.__table__
    continued = sa_select(p.c.baseline_post_id).where(p.c.structure_id == option.id,
                                                      p.c.baseline_post_id.is_not(None))
    q = sa_select(p.c.id).where(p.c.structure_id == sid, p.c.id.not_in(continued))
    return {int(i) for (i,) in session.connection().execute(q)}


def descriptions_frame(at_risk: pd.DataFrame, everyone: pd.DataFrame,
                       pools: Mapping[str, tuple[frozenset[int], int]] | None = None
                       ) -> pd.DataFrame:
    """s.188(4)(b)-(c): proposed dismissals and employees of each description (title, grade).

    `pools` (from a people mapping: name → (counted member person ids, excess)) are ring-fenced
    pools whose members compete for fewer posts: which of them will be dismissed is not known,
    so each pool is one description, "Ring-fenced pool: NAME", with its excess proposed out of
    its members, and its members are not counted again under their own title. The proposed
    column then adds up to the s.188 count."""
    pools = pools or {}
    pooled = set().union(*(m for m, _ in pools.values())) if pools else set()
    counted = at_risk[at_risk["contract"].isin(COUNTED_CONTRACTS)
                      & ~at_risk["person_id"].isin(pooled)]
    employed = everyone[everyone["contract"].isin(EMPLOYEE_CONTRACTS)]
    # Employees of each (title, grade), counted once for all descriptions.
    of_kind = (employed.groupby(["title", "grade"], sort=False)["person_id"].nunique()
               if len(counted) else pd.Series(dtype="int64"))
    rows = []
    for (title, grade), group in counted.groupby(["title", "grade"], sort=True):
        rows.append({"title": title, "grade": grade, "proposed": group["person_id"].nunique(),
                     "employed": int(of_kind.get((title, grade), 0))})
    for name, (members, excess) in sorted(pools.items()):
        grades = sorted(set(employed.loc[employed["person_id"].isin(members), "grade"]))
        rows.append({"title": f"Ring-fenced pool: {name}", "grade": "; ".join(grades),
                     "proposed": int(excess), "employed": len(members)})
    return pd.DataFrame(rows, columns=DESCRIPTION_COLUMNS)


def agency_frame(everyone: pd.DataFrame) -> pd.DataFrame:
    """s.188(4)(g): agency workers (interims included) at the establishment, where they work
    and the type of work, as counts. The paragraph covers every agency worker the employer
    uses at the establishment, not only those in deleted posts."""
    cover = everyone[everyone["contract"].isin(AGENCY_CONTRACTS)]
    keys = ["division", "team", "title", "contract"]
    workers = cover.groupby(keys, sort=True)["person_id"].nunique()
    if workers.empty:
        return pd.DataFrame([], columns=AGENCY_COLUMNS)
    rows = {k: workers.index.get_level_values(k).tolist() for k in keys}
    return pd.DataFrame({**rows, "workers": workers.tolist()}, columns=AGENCY_COLUMNS)
