"""The Financial plan page on the shipped demo: the table per year and partner reconciling to
the penny, the charts, the sensitivity, the form for those who may change it (a union rep is
never offered the page: tests/app/test_navigation.py)."""

from __future__ import annotations

from sqlmodel import select

from planner.core.models import FinancialPlan
from planner.finance.plan import financial_plan
from planner.ui import plan as ui
from tests.app.conftest import all_text, app_as

PAGE = "pages/plan.py"
OPTION = "Option 1: single service desk"


def _pence(text: str) -> int:
    sign = -1 if text.startswith("−") else 1
    pounds, pence = text.lstrip("−£").replace(",", "").split(".")
    return sign * (int(pounds) * 100 + int(pence))


def test_the_page_shows_each_year_by_partner_reconciling_to_the_penny(demo_app_db):
    """Catches: the page failing for hr, a total that is not the sum of its rows, a figure
    that differs from the projection, a chart missing."""
    at = app_as(demo_app_db.actors["hr"], PAGE)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Financial plan"]
    with demo_app_db.session() as s:
        result = financial_plan(session=s, actor=demo_app_db.actors["hr"], structure=OPTION)
    tables = [f.value for f in at.dataframe if "Figure" in f.value.columns]
    assert len(tables) == 4
    for label, table in zip(result.projection.labels, tables, strict=True):
        table = table.set_index("Figure")
        partners = [c for c in table.columns if c != "Total"]
        assert partners == ["Brent", "Lewisham", "Southwark", "LGA"]
        for figure, row in table.iterrows():
            assert sum(_pence(row[p]) for p in partners) == _pence(row["Total"]), figure
        expected = result.projection.totals.set_index("year").loc[label]
        assert _pence(table.at["Recurring saving", "Total"]) == int(expected["saving_pence"])
        assert _pence(table.at["Gap to target", "Total"]) == int(expected["gap_pence"])
    assert any("Saving, award +1 pt" in f.value.columns for f in at.dataframe)
    text = all_text(at)
    assert "exit bill" in text
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any("against each partner's target" in s for s in specs)
    assert any("Cumulative net saving, month by month" in s for s in specs)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Break-even"] == f"{result.projection.break_even_on:%b %Y}"


def test_a_manager_saves_a_change_to_the_plan(demo_app_db):
    """Catches: the form not saving, or saving without the version check."""
    at = app_as(demo_app_db.actors["manager"], PAGE)
    assert not at.exception, at.exception
    (vacancy,) = [n for n in at.number_input if n.label == "Vacancy factor %"]
    vacancy.set_value(3.0)  # 2% → 3%, submitted with the form
    (save,) = [b for b in at.button if b.label == "Save the plan"]
    save.click().run()
    assert not at.exception, at.exception
    with demo_app_db.session() as s:
        plan = s.exec(select(FinancialPlan)).one()
    assert plan.version == 2 and plan.vacancy_factor_bp == 300
    assert "Saved the financial plan." in [m.value for m in at.success]


def test_the_form_turns_percentages_and_pounds_into_basis_points_and_pence():
    import datetime as dt

    import pandas as pd

    from planner.finance.assumptions import PlanAssumptions, YearAssumption

    a = PlanAssumptions(first_year="2026/27", years=(YearAssumption(award_bp=300),) * 3,
                        effective_on=dt.date(2026, 10, 1), targets={"Brent": (1, 2, 3)},
                        one_offs={"Brent": 5})
    edited = ui.assumptions_from_form(
        first_year="2026/27", years=4, increments=False, vacancy_factor_pct=2.25,
        effective_on=dt.date(2026, 10, 1), by_year=ui.years_frame(a),
        targets=ui.targets_frame(a, ["Brent"]).assign(**{"Target 2026/27 £": 1_000_000.5}),
        dates=pd.DataFrame([{"Applies to": "Division", "Division or post": "Infrastructure",
                             "Takes effect": dt.date(2027, 1, 1)}]))
    assert edited.vacancy_factor_bp == 225 and edited.length == 4 and not edited.increments
    assert edited.years[3].award_bp == 300
    assert edited.targets["Brent"] == (100_000_050, 2, 3, 3)
    assert edited.one_offs == {"Brent": 5}
    assert edited.division_dates == {"Infrastructure": dt.date(2027, 1, 1)}


def test_an_admin_reads_the_assumptions_but_has_no_form(demo_app_db):
    at = app_as(demo_app_db.actors["admin"], PAGE)
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label == "Save the plan"]
    assert "takes effect on 1 Oct 2026" in all_text(at)
