"""An option's financial plan: its stored assumptions, saving them, and the projection read from
the database (issue 15; the arithmetic is planner.finance.projection's).

Who may: management (plan.read: manager, hr, admin) reads a live option's plan; manager and hr
(plan.edit) change its assumptions. A union representative is refused: a union rep reads an
option's costs only as a published draft froze them (planner.publishing).

The one-off costs are the exit bill of the option's people mapping by partner
(planner.people.exit_bill) when the option has a mapping, else the plan's lump sums.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit
from planner.core.auth import Actor, require
from planner.core.config import Settings
from planner.core.errors import NotFound, PlannerError, StaleVersion
from planner.core.models import (
    EnvelopeShare,
    FinancialPlan,
    Partner,
    PlanDate,
    PlanOneOff,
    PlanTarget,
    PlanYear,
    Structure,
    utcnow,
)
from planner.establishment.reference import current_pay_year
from planner.establishment.register import baseline_id
from planner.finance.assumptions import (
    PlanAssumptions,
    YearAssumption,
    check_length,
    default_assumptions,
    start_year,
)
from planner.finance.projection import Projection, project, sensitivity
from planner.people.exit_bill import exit_bill
from planner.people.mapping import has_mapping
from planner.structures.costing import cost_inputs
from planner.structures.options import readable_option
from planner.structures.pay import PayRules


@dataclass(frozen=True)
class PlanResult:
    """What the page and the command line show: the plan's assumptions (saved or the
    defaults), its projection, the sensitivity to the pay award and what the one-offs read."""

    structure_id: int
    structure_name: str
    version: int  # 0 while the plan has not been saved
    assumptions: PlanAssumptions
    projection: Projection
    sensitivity: pd.DataFrame
    spine_year: str
    councils: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def saved(self) -> bool:
        return self.version > 0

    def as_dict(self) -> dict[str, Any]:
        a = self.assumptions
        sens = [{k: (int(v) if k != "year" else v) for k, v in r.items()}
                for r in self.sensitivity.to_dict("records")]
        return {
            "structure": self.structure_name, "saved": self.saved, "version": self.version,
            "assumptions": assumptions_dict(a), "spine_year": self.spine_year,
            **self.projection.as_dict(), "sensitivity": sens, "notes": list(self.notes)}


def assumptions_dict(a: PlanAssumptions) -> dict[str, Any]:
    return {
        "first_year": a.first_year, "years": a.length, "increments": a.increments,
        "vacancy_factor_bp": a.vacancy_factor_bp, "effective_on": a.effective_on.isoformat(),
        "division_dates": {k: v.isoformat() for k, v in a.division_dates.items()},
        "post_dates": {k: v.isoformat() for k, v in a.post_dates.items()},
        "by_year": [{"year": label, "award_bp": y.award_bp,
                     "award_flat_pence": y.award_flat_pence, "flat_to_scp": y.flat_to_scp,
                     "ni_rate_bp": y.ni_rate_bp, "ni_threshold_pence": y.ni_threshold_pence,
                     "pension_rate_bp": y.pension_rate_bp}
                    for label, y in zip(a.labels(), a.years, strict=True)],
        "targets_pence": {p: list(t) for p, t in a.targets.items()},
        "one_offs_pence": dict(a.one_offs)}


def _option(session: Session, actor: Actor, structure: str | int | Structure) -> Structure:
    option = readable_option(session, actor, structure, "plan.read")
    if option.kind != "option":
        raise PlannerError("A financial plan is made for an option: the establishment is its "
                           "baseline.")
    return option


def _councils(session: Session) -> list[str]:
    return [str(n) for n in session.exec(
        select(Partner.name).where(Partner.active == True, Partner.kind == "council")  # noqa: E712
        .order_by(Partner.id)).all()]


def stored_plan(session: Session, structure_id: int) -> tuple[PlanAssumptions, int] | None:
    """The saved assumptions of an option's plan and their version; None if never saved."""
    plan = session.exec(select(FinancialPlan)
                        .where(FinancialPlan.structure_id == structure_id)).first()
    if plan is None:
        return None
    years = {y.year_index: y for y in session.exec(
        select(PlanYear).where(PlanYear.plan_id == plan.id))}
    names = {int(i): str(n) for i, n in session.exec(select(Partner.id, Partner.name))}
    targets: dict[str, list[int]] = {}
    for t in session.exec(select(PlanTarget).where(PlanTarget.plan_id == plan.id)
                          .order_by(PlanTarget.partner_id, PlanTarget.year_index)):
        row = targets.setdefault(names[t.partner_id], [0] * plan.years)
        if t.year_index < plan.years:
            row[t.year_index] = int(t.target_pence)
    one_offs = {names[o.partner_id]: int(o.amount_pence) for o in session.exec(
        select(PlanOneOff).where(PlanOneOff.plan_id == plan.id))}
    dates = session.exec(select(PlanDate).where(PlanDate.plan_id == plan.id)).all()
    a = PlanAssumptions(
        first_year=plan.first_year,
        years=tuple(_year(years.get(k)) for k in range(plan.years)),
        effective_on=plan.effective_on, increments=plan.increments,
        vacancy_factor_bp=plan.vacancy_factor_bp,
        division_dates={d.key: d.effective_on for d in dates if d.scope == "division"},
        post_dates={d.key: d.effective_on for d in dates if d.scope == "post"},
        targets={p: tuple(t) for p, t in targets.items()}, one_offs=one_offs)
    return a, plan.version


def _year(row: PlanYear | None) -> YearAssumption:
    if row is None:
        return YearAssumption()
    return YearAssumption(award_bp=row.award_bp, award_flat_pence=row.award_flat_pence,
                          flat_to_scp=row.flat_to_scp, ni_rate_bp=row.ni_rate_bp,
                          ni_threshold_pence=row.ni_threshold_pence,
                          pension_rate_bp=row.pension_rate_bp)


def plan_assumptions(*, session: Session, actor: Actor,
                     structure: str | int | Structure) -> tuple[PlanAssumptions, int]:
    """The option's saved assumptions and version, or the stated defaults and version 0."""
    option = _option(session, actor, structure)
    assert option.id is not None
    saved = stored_plan(session, option.id)
    if saved is not None:
        return saved
    spine_year = current_pay_year(session)
    if spine_year is None:
        raise NotFound("There is no pay spine: load the reference data first.")
    return default_assumptions(first_year=spine_year, spine_year=spine_year,
                               partners=_councils(session)), 0


def check_assumptions(a: PlanAssumptions) -> None:
    """Refuse what no plan can mean (PlannerError), in words that say what to change."""
    try:
        _check(a)
    except ValueError as exc:
        raise PlannerError(str(exc)) from exc


def _check(a: PlanAssumptions) -> None:
    check_length(a.length)
    start_year(a.first_year)
    if not 0 <= a.vacancy_factor_bp < 10_000:
        raise ValueError("The vacancy factor is a percentage from 0 up to (not including) 100.")
    for label, y in zip(a.labels(), a.years, strict=True):
        if y.award_bp <= -10_000 or y.award_flat_pence < 0:
            raise ValueError(f"The pay award for {label} must be above −100% and the flat "
                             "amount £0 or more.")
        for rate in (y.ni_rate_bp, y.pension_rate_bp, y.ni_threshold_pence):
            if rate is not None and rate < 0:
                raise ValueError(f"An on-cost rate or threshold for {label} is negative.")
    for p, t in a.targets.items():
        if any(v < 0 for v in t):
            raise ValueError(f"{p}'s savings target must be £0 or more.")
    if any(v < 0 for v in a.one_offs.values()):
        raise ValueError("A one-off cost must be £0 or more.")


def save_plan(*, session: Session, actor: Actor, structure: str | int | Structure,
              assumptions: PlanAssumptions, expected_version: int) -> int:
    """Save the option's plan (plan.edit) as a whole, audited; returns the new version.

    `expected_version` is the version the editor read (0 for a plan never saved): anyone
    else's save since then refuses this one (StaleVersion) rather than overwrite it."""
    require(actor, "plan.edit", "financial_plan")
    option = _option(session, actor, structure)
    check_assumptions(assumptions)
    assert option.id is not None
    plan = session.exec(select(FinancialPlan)
                        .where(FinancialPlan.structure_id == option.id)).first()
    current = plan.version if plan is not None else 0
    if current != expected_version:
        raise StaleVersion(f"Nothing was saved: the financial plan of {option.name} was changed "
                           f"by someone else since you opened it (version {current}, you read "
                           f"{expected_version}). Reload the page and make your change again.")
    before = assumptions_dict(stored_plan(session, option.id)[0]) if plan is not None else None
    a = assumptions
    if plan is None:
        plan = FinancialPlan(structure_id=option.id, first_year=a.first_year, years=a.length,
                             effective_on=a.effective_on, version=0)
    plan.first_year, plan.years, plan.increments = a.first_year, a.length, a.increments
    plan.vacancy_factor_bp, plan.effective_on = a.vacancy_factor_bp, a.effective_on
    plan.version += 1
    plan.updated_at, plan.updated_by = utcnow(), actor.username
    session.add(plan)
    session.flush()
    conn = session.connection()
    for model in (PlanYear, PlanTarget, PlanOneOff, PlanDate):
        t = model.__table__
        conn.execute(delete(t).where(t.c.plan_id == plan.id))
    conn.execute(insert(PlanYear.__table__), [
        {"plan_id": plan.id, "year_index": k, "award_bp": y.award_bp,
         "award_flat_pence": y.award_flat_pence, "flat_to_scp": y.flat_to_scp,
         "ni_rate_bp": y.ni_rate_bp, "ni_threshold_pence": y.ni_threshold_pence,
         "pension_rate_bp": y.pension_rate_bp} for k, y in enumerate(a.years)])
    ids = {str(n): int(i) for i, n in session.exec(select(Partner.id, Partner.name))}
    unknown = sorted(set(a.targets) - set(ids) | set(a.one_offs) - set(ids))
    if unknown:
        raise NotFound(f"No partner named {', '.join(unknown)}.")
    targets = [{"plan_id": plan.id, "partner_id": ids[p], "year_index": k, "target_pence": v}
               for p, t in a.targets.items() for k, v in enumerate(t[:a.length])]
    if targets:
        conn.execute(insert(PlanTarget.__table__), targets)
    one_offs = [{"plan_id": plan.id, "partner_id": ids[p], "amount_pence": v}
                for p, v in a.one_offs.items()]
    if one_offs:
        conn.execute(insert(PlanOneOff.__table__), one_offs)
    dates = ([{"plan_id": plan.id, "scope": "division", "key": k, "effective_on": v}
              for k, v in a.division_dates.items()]
             + [{"plan_id": plan.id, "scope": "post", "key": k, "effective_on": v}
                for k, v in a.post_dates.items()])
    if dates:
        conn.execute(insert(PlanDate.__table__), dates)
    after = assumptions_dict(a)
    audit.record(session, actor=actor, action="save", entity="financial_plan",
                 entity_id=str(option.id), before=before,
                 after={**after, "option": option.name, "version": plan.version})
    return plan.version


def rules_for(a: PlanAssumptions, settings: Settings | None, vacancy_point: str | None = None
              ) -> list[PayRules]:
    """The settings' PayRules for each plan year (NI rate and threshold dated by year)."""
    return [PayRules.for_year(label, settings, vacancy_point) for label in a.labels()]


def financial_plan(*, session: Session, actor: Actor, structure: str | int | Structure,
                   assumptions: PlanAssumptions | None = None, years: int | None = None,
                   settings: Settings | None = None, today: dt.date | None = None
                   ) -> PlanResult:
    """The option's plan projected (plan.read): the saved assumptions, or `assumptions` (the
    page's unsaved form), over `years` years if given."""
    option = _option(session, actor, structure)
    assert option.id is not None
    saved = stored_plan(session, option.id)
    version = saved[1] if saved is not None else 0
    a = assumptions or plan_assumptions(session=session, actor=actor, structure=option)[0]
    if years is not None and years != a.length:
        try:
            a = a.with_length(years)
        except ValueError as exc:
            raise PlannerError(str(exc)) from exc
    check_assumptions(a)
    base_in = cost_inputs(session=session, actor=actor, structure_id=baseline_id(session),
                          settings=settings)
    option_in = cost_inputs(session=session, actor=actor, structure_id=option.id,
                            settings=settings)
    try:
        rules = rules_for(a, settings)
    except NotFound as exc:
        raise NotFound(f"{exc} Set the employer NI figures for the plan's years in the settings, "
                       "or a rate in the plan.") from exc
    e = EnvelopeShare.__table__
    shares = pd.read_sql(sa_select(e.c.partner_id, e.c.amount_pence, e.c.share_bp)
                         .where(e.c.structure_id == option.id).order_by(e.c.partner_id),
                         session.connection())
    notes: list[str] = []
    one_offs: Mapping[str, int] | None = None
    source = "lump sum"
    if has_mapping(session, option.id):
        bill = exit_bill(session=session, actor=actor, structure=option, today=today)
        one_offs = {str(r.partner): int(r.exit_pence)
                    for r in bill.by_partner.itertuples(index=False)}
        source = "exit bill"
        notes += [text for _, text in bill.notes()]
    proj = project(base=base_in, option=option_in, shares=shares, assumptions=a, rules=rules,
                   one_offs=one_offs, one_off_source=source)
    sens = sensitivity(base=base_in, option=option_in, shares=shares, assumptions=a,
                       rules=rules, one_offs=one_offs, projection=proj)
    return PlanResult(structure_id=option.id, structure_name=option.name, version=version,
                      assumptions=a, projection=proj, sensitivity=sens,
                      spine_year=base_in.pay_year, councils=tuple(_councils(session)),
                      notes=tuple(notes))
