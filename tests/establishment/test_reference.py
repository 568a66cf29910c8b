"""Shipped reference data: NJC spine (DOMAIN.md §5), grades, partners; audited edits."""

from __future__ import annotations

import pytest
from sqlmodel import select

from planner.core.errors import PermissionDenied, ValidationFailed
from planner.core.models import AuditEvent, Grade, Partner, PaySpinePoint
from planner.establishment import reference
from tests.factories import make_actors


@pytest.mark.parametrize(
    ("year", "scp", "pounds"),
    [
        ("2024/25", 2, 23656), ("2024/25", 43, 52805), ("2025/26", 2, 24413),
        ("2025/26", 25, 36363), ("2025/26", 43, 54495),
        # local points above 43: SCP 43 + (p - 43) x £1,250 [U]
        ("2025/26", 44, 55745), ("2025/26", 52, 54495 + 9 * 1250), ("2024/25", 70, 52805 + 27 * 1250),
    ],
)
def test_spine_values(session, year, scp, pounds):
    point = session.exec(select(PaySpinePoint).where(
        PaySpinePoint.pay_year == year, PaySpinePoint.scp == scp)).one()
    assert point.annual_pence == pounds * 100


def test_grades_and_partners(session):
    grades = reference.grade_table(session)
    assert list(grades)[:3] == ["Scale 1", "Scale 2", "Scale 3"]
    assert (grades["PO1"].min_scp, grades["PO1"].max_scp) == (31, 34)
    assert (grades["PO7"].min_scp, grades["PO7"].max_scp) == (49, 52)
    assert {"SO1", "SO2", "PO8", "SM1", "SM3"} <= set(grades)
    partners = {p.name: p for p in session.exec(select(Partner))}
    assert set(partners) == {"Brent", "Lewisham", "Southwark", "LGA"}
    assert partners["Brent"].is_host
    assert sum(p.share_bp for p in partners.values()) == 10000
    assert partners["LGA"].kind == "customer"


def test_load_is_first_run_only(session):
    assert reference.load_reference_data(session) == {"pay_spine": 0, "grades": 0, "partners": 0}


@pytest.mark.parametrize(("value", "bp"), [("33.34", 3334), ("20", 2000), ("0.01", 1), (12.5, 1250)])
def test_percent_to_bp_exact(value, bp):
    assert reference.percent_to_bp(value) == bp


def test_current_pay_year(session):
    import datetime as dt

    assert reference.current_pay_year(session, dt.date(2025, 3, 31)) == "2024/25"
    assert reference.current_pay_year(session, dt.date(2025, 4, 1)) == "2025/26"
    assert reference.current_pay_year(session, dt.date(2026, 11, 25)) == "2025/26"


def test_edit_grade_and_spine_audited_hr_only(session):
    actors = make_actors(session)
    for role in ("manager", "union"):
        with pytest.raises(PermissionDenied):
            reference.update_grade(session=session, actor=actors[role], name="PO1",
                                   min_scp=30, max_scp=34)
        with pytest.raises(PermissionDenied):
            reference.update_spine_point(session=session, actor=actors[role], pay_year="2025/26",
                                         scp=30, annual_pence=1)
    reference.update_grade(session=session, actor=actors["hr"], name="PO1", min_scp=30, max_scp=34)
    reference.update_spine_point(session=session, actor=actors["admin"], pay_year="2025/26", scp=30,
                                 annual_pence=4_100_000)
    assert session.exec(select(Grade).where(Grade.name == "PO1")).one().min_scp == 30
    events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.entity, e.before, e.after) for e in events] == [
        ("grade", {"min_scp": 31, "max_scp": 34}, {"min_scp": 30, "max_scp": 34}),
        ("pay_spine", {"annual_pence": 4_077_700}, {"annual_pence": 4_100_000}),
    ]
    with pytest.raises(ValidationFailed):
        reference.update_grade(session=session, actor=actors["hr"], name="PO1", min_scp=40, max_scp=34)


def test_reference_frames_refuse_union(session):
    actors = make_actors(session)
    with pytest.raises(PermissionDenied):
        reference.grades_frame(session=session, actor=actors["union"])
    df = reference.spine_frame(session=session, actor=actors["manager"], pay_year="2025/26")
    assert len(df) == 42 + 27


def test_council_names_and_host_leave_customers_out(session):
    """Catches: the LGA (a customer) named as one of the service's councils in a document, or
    the s.188 letter naming a council other than the employer (the host)."""
    from planner.establishment.reference import council_names, host_partner_name

    assert council_names(session) == ["Brent", "Lewisham", "Southwark"]
    assert host_partner_name(session) == "Brent"
