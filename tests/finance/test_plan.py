"""An option's financial plan read from and saved to the database (planner.finance.plan)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import select

from planner.core.errors import PermissionDenied, PlannerError, StaleVersion
from planner.core.models import AuditEvent, FinancialPlan, PlanTarget
from planner.finance.assumptions import DEFAULT_YEARS
from planner.finance.plan import financial_plan, plan_assumptions, save_plan
from planner.structures.costing import cost_structure


def test_an_unsaved_plan_has_the_stated_defaults(plan_world):
    session, actors, option = plan_world
    a, version = plan_assumptions(session=session, actor=actors["hr"], structure=option)
    assert version == 0 and a.length == DEFAULT_YEARS and a.increments
    assert a.effective_on == dt.date(int(a.first_year[:4]), 4, 1)
    assert a.years[0].award_bp == 0 and a.years[1].award_bp == 300


def test_the_first_year_costs_what_costing_says(plan_world):
    """Catches: a projection that prices posts differently from planner.structures.costing."""
    session, actors, option = plan_world
    result = financial_plan(session=session, actor=actors["manager"], structure=option)
    first = result.projection.totals.iloc[0]
    base = cost_structure(session=session, actor=actors["manager"])
    opt = cost_structure(session=session, actor=actors["manager"], structure_id=option)
    assert int(first["baseline_pence"]) == base.full_year_total
    assert int(first["option_pence"]) == opt.full_year_total
    assert int(first["saving_pence"]) == base.full_year_total - opt.full_year_total > 0
    assert result.projection.one_off_source == "lump sum"
    assert result.as_dict()["totals"][0]["saving_pence"] == int(first["saving_pence"])


def test_a_plan_is_saved_versioned_and_audited(plan_world):
    session, actors, option = plan_world
    a, version = plan_assumptions(session=session, actor=actors["hr"], structure=option)
    changed = dataclasses.replace(a, vacancy_factor_bp=250, effective_on=dt.date(2026, 10, 1),
                                  targets={"Brent": (100_000_000,) * a.length},
                                  division_dates={"Digital": dt.date(2027, 1, 1)})
    assert save_plan(session=session, actor=actors["hr"], structure=option,
                     assumptions=changed, expected_version=version) == 1
    session.commit()
    again, v = plan_assumptions(session=session, actor=actors["manager"], structure=option)
    assert v == 1 and again.vacancy_factor_bp == 250
    assert again.targets["Brent"] == (100_000_000,) * a.length
    assert again.division_dates == {"Digital": dt.date(2027, 1, 1)}
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "financial_plan")).one()
    assert event.action == "save" and event.after["version"] == 1
    with pytest.raises(StaleVersion, match="changed by someone else"):
        save_plan(session=session, actor=actors["manager"], structure=option,
                  assumptions=changed, expected_version=0)
    assert save_plan(session=session, actor=actors["manager"], structure=option,
                     assumptions=changed.with_length(5), expected_version=1) == 2
    session.commit()
    assert len(session.exec(select(PlanTarget)).all()) == 5


def test_a_union_rep_reads_no_plan_and_nobody_but_management_saves_one(plan_world):
    session, actors, option = plan_world
    with pytest.raises(PermissionDenied):
        financial_plan(session=session, actor=actors["union"], structure=option)
    a, version = plan_assumptions(session=session, actor=actors["admin"], structure=option)
    with pytest.raises(PermissionDenied):
        save_plan(session=session, actor=actors["admin"], structure=option, assumptions=a,
                  expected_version=version)


def test_the_establishment_has_no_plan_of_its_own(plan_world):
    session, actors, _ = plan_world
    with pytest.raises(PlannerError, match="made for an option"):
        financial_plan(session=session, actor=actors["hr"], structure="baseline")


def test_deleting_the_option_deletes_its_plan(plan_world):
    from planner.structures.options import delete_option

    session, actors, option = plan_world
    a, _ = plan_assumptions(session=session, actor=actors["hr"], structure=option)
    save_plan(session=session, actor=actors["hr"], structure=option, assumptions=a,
              expected_version=0)
    session.commit()
    delete_option(session=session, actor=actors["manager"], structure=option)
    session.commit()
    assert session.exec(select(FinancialPlan)).all() == []
