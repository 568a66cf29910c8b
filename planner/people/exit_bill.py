"""What an option costs to make, set against what it saves each year (DOMAIN.md §4).

The people who leave are read from the option's mapping (planner.people.mapping): those at
risk and those taking voluntary redundancy. People in a ring-fenced pool are not costed
until their pool is decided, and people not yet mapped are not costed either. The page and
the command line both say how many of each there are.

Each person's exit cost comes from planner.people.exit_costs:
- statutory and discretionary redundancy pay;
- notice pay, where the option says notice will not be worked;
- pension strain, at the fund's figure where entered, else a labelled estimate.

The cost falls to the partner that funds the person's post. The cost of a shared post is
split by the councils' shares, exactly as the envelope splits it
(planner.structures.envelope), so the partners' parts add up to the total to the penny.

Payback is the exit bill divided by the monthly saving, where the saving is the
establishment's full-year cost less the option's. It is rounded up to whole months, and there
is none when the option saves nothing.

The relevant date for age, service and the week's-pay cap is the first dismissal date in the
option's consultation plan where hr has recorded one, else today. The bill says which.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session

from planner.core.auth import Actor, can, require
from planner.core.config import get_settings
from planner.core.models import ConsultationPlan, Occupancy, Person, Post, Structure
from planner.establishment.register import baseline_id
from planner.people.exit_costs import TAX_FREE_PENCE, ExitPolicy, exit_costs_frame
from planner.people.mapping import costing_frame, displaced_posts, has_mapping
from planner.structures.costing import StructureCost, cost_structure
from planner.structures.envelope import envelope_position
from planner.structures.options import readable_option
from planner.structures.pay import annual_pay

LEAVING = ("at-risk", "voluntary-redundancy")
KINDS = (("statutory_pence", "Statutory redundancy pay"),
         ("discretionary_pence", "Discretionary redundancy pay"),
         ("notice_pence", "Notice pay (not worked)"),
         ("strain_pence", "Pension strain"))
PERSON_COLUMNS = ["employee_id", "name", "outcome", "partner", "age", "years", "weeks",
                  "statutory_pence", "discretionary_pence", "notice_weeks", "notice_pence",
                  "strain_liable", "strain_pence", "strain_is_estimate", "total_pence"]
HORIZON_MONTHS = 36


def policy_from_settings() -> ExitPolicy:
    """The council's published discretion (SI 2006/2914 reg 7) as this deployment sets it."""
    s = get_settings()
    return ExitPolicy(actual_pay=s.redundancy_actual_pay,
                      multiplier=Decimal(str(s.redundancy_multiplier)),
                      max_weeks=Decimal(str(s.redundancy_max_weeks)),
                      strain_multiple=Decimal(str(s.strain_estimate_multiple)))


@dataclass(frozen=True)
class ExitBill:
    """One option's one-off exit cost, its annual saving and its payback.

    `people` holds one row per person leaving. It is personal data, filled only for readers
    with mapping.costs (hr, admin). Everyone else gets an empty frame and the totals.
    """

    structure_id: int
    structure_name: str
    relevant: dt.date
    relevant_basis: str
    policy: ExitPolicy
    notice_worked: bool
    leaving: int
    uncosted: int  # leaving, but without a date of birth or service date to cost them by
    pooled: int
    unmapped: int
    strain_liable: int
    strain_estimated: int
    strain_missing: int  # liable, but no fund figure and no estimate: left out of the bill
    by_kind: dict[str, int]
    by_partner: pd.DataFrame  # partner, exit_pence
    total_pence: int
    annual_saving_pence: int
    people: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PERSON_COLUMNS))

    @property
    def payback_months(self) -> int | None:
        """Whole months until the saving has paid the exit bill (None: it never does)."""
        if self.total_pence == 0:
            return 0
        if self.annual_saving_pence <= 0:
            return None
        return -(-self.total_pence * 12 // self.annual_saving_pence)

    def cumulative(self, months: int = HORIZON_MONTHS) -> pd.DataFrame:
        """month, saving, exit, net: the saving builds a twelfth of a year each month (rounded
        half up to the penny), and the exit bill is paid in month 0."""
        m = np.arange(0, months + 1, dtype=np.int64)
        saving = (2 * self.annual_saving_pence * m + 12) // 24
        return pd.DataFrame({"month": m, "saving_pence": saving,
                             "exit_pence": np.full(len(m), self.total_pence, dtype=np.int64),
                             "net_pence": saving - self.total_pence})

    def notes(self) -> list[tuple[str, str]]:
        """What the bill leaves out or only estimates, as (level, sentence): "warning" or
        "info". The pages and the command line say the same words."""
        def people(n: int, one: str = "person", many: str = "people") -> str:
            return f"{n:,} {one if n == 1 else many}"

        out = []
        if self.unmapped:
            out.append(("warning", f"{people(self.unmapped, 'person is', 'people are')} not "
                                   "mapped yet: the exit bill counts only the people mapped to "
                                   "leave."))
        if self.pooled:
            out.append(("info", f"{people(self.pooled, 'person', 'people')} in ring-fenced "
                                f"pools {'is' if self.pooled == 1 else 'are'} not costed until "
                                "the pools are decided."))
        if self.uncosted:
            out.append(("warning", f"{people(self.uncosted, 'person leaving has', 'people leaving have')}"
                                   " no date of birth or service date, so cannot be costed."))
        if self.strain_missing:
            out.append(("warning", f"{people(self.strain_missing, 'person leaving is an LGPS member', 'people leaving are LGPS members')}"
                                   " aged 55 or over with no pension strain figure: the bill "
                                   "leaves their strain out until the fund gives it (or an "
                                   "estimate is set)."))
        if self.strain_estimated:
            out.append(("warning", f"Pension strain for {people(self.strain_estimated)} is an "
                                   "estimate, not the fund's figure."))
        return out

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "structure": self.structure_name, "relevant_date": self.relevant.isoformat(),
            "relevant_date_basis": self.relevant_basis,
            "policy": {"actual_pay": self.policy.actual_pay,
                       "multiplier": str(self.policy.multiplier),
                       "max_weeks": str(self.policy.max_weeks),
                       "strain_estimate_multiple": str(self.policy.strain_multiple)},
            "notice_worked": self.notice_worked, "people_leaving": self.leaving,
            "people_leaving_not_costed": self.uncosted,
            "people_in_pools_not_costed": self.pooled, "people_unmapped": self.unmapped,
            "strain_liable": self.strain_liable, "strain_estimated": self.strain_estimated,
            "strain_without_figure": self.strain_missing,
            "by_kind_pence": self.by_kind,
            "by_partner_pence": {str(r.partner): int(r.exit_pence)
                                 for r in self.by_partner.itertuples(index=False)},
            "total_pence": self.total_pence, "annual_saving_pence": self.annual_saving_pence,
            "payback_months": self.payback_months,
            "notes": [text for _, text in self.notes()],
            "tax_free_note": (f"The first £{TAX_FREE_PENCE // 100:,} of a genuine redundancy "
                              "payment is free of tax and NI; not computed here."),
        }
        if len(self.people):
            out["people"] = [
                {k: (v.isoformat() if isinstance(v, dt.date) else
                     (bool(v) if isinstance(v, np.bool_) else
                      (int(v) if isinstance(v, np.integer) else v)))
                 for k, v in r.items()} for r in self.people.to_dict("records")]
        return out


def _relevant(session: Session, option_id: int, today: dt.date) -> tuple[dt.date, str]:
    plan = session.exec(sa_select(ConsultationPlan.first_dismissal_on)
                        .where(ConsultationPlan.structure_id == option_id)).first()
    day = plan[0] if plan is not None else None
    if day is not None:
        return day, "the planned first dismissal (consultation plan)"
    return today, "today (no first dismissal date is planned yet)"


def _people(session: Session, ids: list[int], today: dt.date) -> pd.DataFrame:
    """Dates, pay (actual: annual at 1.0 FTE × the FTE worked) and the post's partner of each
    person leaving, one row per person (partner −1 for a shared post)."""
    sid = baseline_id(session)
    pe, o, p = Person.__table__, Occupancy.__table__, Post.__table__
    q = (sa_select(pe.c.id, pe.c.employee_ref, pe.c.date_of_birth, pe.c.continuous_service_date,
                   pe.c.start_date, pe.c.scp, pe.c.annual_salary_pence, o.c.fte, p.c.partner_id)
         .select_from(pe.join(o, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
         .where(pe.c.id.in_(ids), p.c.structure_id == sid).order_by(pe.c.id, p.c.id))
    rows = pd.DataFrame([tuple(r) for r in session.connection().execute(q)],
                        columns=["person_id", "employee_id", "date_of_birth", "continuous",
                                 "start_date", "scp", "annual_salary_pence", "fte",
                                 "partner_id"])
    if not len(rows):
        return pd.DataFrame(columns=["person_id", "employee_id", "date_of_birth", "continuous",
                                     "start_date", "partner_id", "annual_salary_pence",
                                     "continuous_service_date"])
    full = annual_pay(session, rows.drop_duplicates("person_id"), today)
    fte_units = np.array([int(Decimal(str(f)) * 10_000) for f in rows["fte"]], dtype=np.int64)
    at_one = np.array([full.get(int(i)) or 0 for i in rows["person_id"]], dtype=np.int64)
    rows["pay"] = (2 * at_one * fte_units + 10_000) // 20_000
    rows["partner_id"] = rows["partner_id"].fillna(-1).astype("int64")
    first = rows.drop_duplicates("person_id").set_index("person_id")
    out = first[["employee_id", "date_of_birth", "continuous", "start_date", "partner_id"]].copy()
    out["annual_salary_pence"] = rows.groupby("person_id")["pay"].sum()
    out["continuous_service_date"] = out["continuous"].where(out["continuous"].notna(),
                                                             out["start_date"])
    return out.reset_index()


def not_mapped_yet(*, session: Session, actor: Actor, structure: str | int | Structure) -> bool:
    """Whether the option's exit bill is plainly not known yet, found without building it.

    True when the option has no stored mapping row and someone holds a baseline post it
    deletes, regrades or cuts: `exit_bill` would then count nobody leaving and nobody pooled,
    and that person unmapped (the pages say "not mapped" rather than show a nil bill). False
    says nothing: build the bill. Building it reads the whole mapping, three seconds at
    50,000 posts, only to learn that nobody is mapped (issue 16). mapping.read."""
    require(actor, "mapping.read", "person_mapping")
    option = readable_option(session, actor, structure, "mapping.read")
    assert option.id is not None
    if option.kind != "option" or has_mapping(session, option.id):
        return False
    changed = displaced_posts(session, option)
    if not changed:
        return False
    o = Occupancy.__table__
    held = session.connection().execute(sa_select(o.c.post_id).distinct()).scalars().all()
    return not changed.isdisjoint(held)


def exit_bill(*, session: Session, actor: Actor, structure: str | int | Structure,
              today: dt.date | None = None, policy: ExitPolicy | None = None,
              structure_costs: tuple[StructureCost, StructureCost] | None = None) -> ExitBill:
    """The option's exit bill and payback (mapping.read; the per-person rows need
    mapping.costs as well: hr and admin). A person leaving without a date of birth or a
    service date cannot be costed: `uncosted` counts them. `structure_costs`: the baseline's and the
    option's `cost_structure` (defaults) when the caller has them already."""
    require(actor, "mapping.read", "person_mapping")
    today = today or dt.date.today()
    option = readable_option(session, actor, structure, "mapping.read")
    assert option.id is not None
    policy = policy or policy_from_settings()
    relevant, basis = _relevant(session, option.id, today)
    frame = costing_frame(session=session, actor=actor, structure=option)
    leaving = frame[frame["outcome"].isin(LEAVING)]
    people = _people(session, [int(i) for i in leaving["person_id"]], today)
    merged = leaving[["person_id", "name", "outcome", "lgps_member", "strain_fund_pence"]].merge(
        people, on="person_id", how="inner")
    costable = merged["date_of_birth"].notna() & merged["continuous_service_date"].notna()
    uncosted = len(leaving) - int(costable.sum())
    merged = merged[costable].reset_index(drop=True)
    notice_worked = bool(option.notice_worked)
    inputs = pd.DataFrame({
        "employee_id": merged["employee_id"],
        "date_of_birth": merged["date_of_birth"],
        "continuous_service_date": merged["continuous_service_date"],
        "annual_salary_pence": merged["annual_salary_pence"].astype("int64"),
        "notice_worked": notice_worked,
        "lgps_member": merged["lgps_member"].astype(bool),
        "strain_fund_pence": merged["strain_fund_pence"].astype("Int64"),
    })
    costs = (exit_costs_frame(inputs, relevant=relevant, policy=policy) if len(inputs)
             else pd.DataFrame(columns=PERSON_COLUMNS))
    base_cost, option_cost = structure_costs or (
        cost_structure(session=session, actor=actor),
        cost_structure(session=session, actor=actor, structure_id=option.id))
    partners = base_cost.partners
    total_each = (costs["total_pence"].to_numpy(dtype=np.int64) if len(costs)
                  else np.zeros(0, dtype=np.int64))
    pid = merged["partner_id"].to_numpy(dtype=np.int64) if len(merged) else total_each
    split = envelope_position(cost=total_each, partner_id=pid, partners=partners,
                              shares=option_cost.shares, envelope_pence=None, months=12,
                              customer_posts="income")
    by_partner = pd.DataFrame({"partner": split.by_partner["partner"].astype(str),
                               "exit_pence": split.by_partner["spend"].astype("int64")})
    by_kind = {label: int(costs[col].sum()) if len(costs) else 0 for col, label in KINDS}
    total = int(total_each.sum())
    detail = pd.DataFrame(columns=PERSON_COLUMNS)
    if can(actor, "mapping.costs") and len(costs):
        names = dict(zip(merged["employee_id"], merged["name"], strict=True))
        outcome = dict(zip(merged["employee_id"], merged["outcome"], strict=True))
        pname = {int(i): str(n) for i, n in partners["name"].items()}
        part = dict(zip(merged["employee_id"], merged["partner_id"], strict=True))
        detail = costs.assign(
            name=costs["employee_id"].map(names), outcome=costs["employee_id"].map(outcome),
            partner=[pname.get(int(part[e]), "shared") for e in costs["employee_id"]],
            age=[_age(d, relevant) for d in merged["date_of_birth"]])
        detail = detail[[c for c in PERSON_COLUMNS if c in detail.columns]]
    return ExitBill(
        structure_id=option.id, structure_name=option.name, relevant=relevant,
        relevant_basis=basis, policy=policy, notice_worked=notice_worked,
        leaving=len(leaving), uncosted=uncosted, pooled=int((frame["outcome"] == "ring-fenced").sum()),
        unmapped=int((frame["outcome"] == "").sum()),
        strain_liable=int(costs["strain_liable"].sum()) if len(costs) else 0,
        strain_estimated=int((costs["strain_is_estimate"] & (costs["strain_pence"] > 0)).sum())
        if len(costs) else 0,
        strain_missing=int((costs["strain_liable"] & (costs["strain_pence"] == 0)).sum())
        if len(costs) else 0,
        by_kind=by_kind, by_partner=by_partner, total_pence=total,
        annual_saving_pence=base_cost.full_year_total - option_cost.full_year_total,
        people=detail)


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
