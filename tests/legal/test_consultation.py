"""Collective consultation (TULRCA 1992 ss.188-193), notice (ERA 1996 s.86) and protective award
(TULRCA s.189) with every expected date and penny worked by hand. Day counting: consultation
beginning on day L allows a first dismissal on L + 30 (or L + 45), never L + 29 (or L + 44)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from planner.legal import at_risk
from planner.legal import consultation as c
from planner.legal import consultation_rules as rules
from planner.people import notice

D = dt.date


@pytest.mark.parametrize(
    ("proposed", "applies", "minimum"),
    [
        (0, False, None),
        (19, False, None),  # one short of the s.188(1) trigger: no statutory clock
        (20, True, 30),  # the trigger: 30 days (s.188(1A)(b))
        (99, True, 30),
        (100, True, 45),  # 100 or more: 45 days (s.188(1A)(a))
        (101, True, 45),
    ],
)
def test_trigger_and_minimum_period(proposed: int, applies: bool, minimum: int | None) -> None:
    assert rules.s188_applies(proposed) is applies
    assert rules.minimum_period_days(proposed) == minimum


@pytest.mark.parametrize(
    ("proposed", "local", "expected"),
    [
        (19, 14, 14),  # below 20 the organisation's own minimum fills the gap
        (1, 14, 14),
        (20, 14, 30),  # from 20 the statute decides; a shorter local figure cannot shorten it
        (100, 14, 45),
    ],
)
def test_local_minimum_only_below_the_trigger(proposed: int, local: int, expected: int) -> None:
    assert rules.minimum_period_days(proposed, local_minimum_days=local) == expected
    assert rules.s188_applies(proposed) is (proposed >= 20)  # a local minimum is not s.188


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        rules.s188_applies(-1)
    with pytest.raises(ValueError):
        rules.minimum_period_days(19, local_minimum_days=-1)


@pytest.mark.parametrize(
    ("case", "dates", "expected"),
    [
        ("none", [], 0),
        ("twenty on one day", [D(2026, 1, 1)] * 20, 20),
        # 1 Jan → 31 Mar is 89 days: the 90-day window 1 Jan–31 Mar holds both ends.
        ("ends 89 days apart share a window", [D(2026, 1, 1)] * 10 + [D(2026, 3, 31)] * 10, 20),
        # 1 Jan → 1 Apr is 90 days: no 90-day window holds both.
        ("ends 90 days apart do not", [D(2026, 1, 1)] * 10 + [D(2026, 4, 1)] * 10, 10),
        # The window rolls across quarters: 15 Feb → 10 Apr is 54 days.
        ("across calendar quarters", [D(2026, 2, 15)] * 5 + [D(2026, 4, 10)] * 15, 20),
        # 1 Jan, 1 Mar (+59), 1 May (+61 more, 120 from 1 Jan): any window holds two clusters.
        ("three clusters, unordered",
         [D(2026, 5, 1)] * 10 + [D(2026, 1, 1)] * 10 + [D(2026, 3, 1)] * 10, 20),
        ("nineteen within, one outside", [D(2026, 6, 1)] * 19 + [D(2026, 9, 1)], 19),
    ],
)
def test_dismissals_within_90_days(case: str, dates: list[dt.date], expected: int) -> None:
    assert rules.dismissals_within_90_days(dates) == expected


@pytest.mark.parametrize(
    ("proposed", "local", "expected"),
    [
        (25, None, D(2026, 3, 31)),  # 1 Mar + 30
        (99, None, D(2026, 3, 31)),
        (100, None, D(2026, 4, 15)),  # 1 Mar + 45
        (19, None, None),
        (19, 14, D(2026, 3, 15)),  # 1 Mar + 14 under a local agreement
    ],
)
def test_earliest_first_dismissal(proposed: int, local: int | None, expected: dt.date | None) -> None:
    assert rules.earliest_first_dismissal(D(2026, 3, 1), proposed, local_minimum_days=local) == expected


LAUNCH = D(2026, 2, 5)


@pytest.mark.parametrize(
    ("case", "proposed", "first", "breach"),
    [
        ("30 days: one day to spare", 25, D(2026, 3, 8), None),
        ("30 days: exactly", 25, D(2026, 3, 7), None),
        ("30 days: one day short", 25, D(2026, 3, 6),
         "First dismissal on 6 Mar 2026 is 29 days after the consultation began; "
         "for 25 proposed dismissals s.188 requires at least 30."),
        ("the brief's example", 25, D(2026, 3, 1),
         "First dismissal on 1 Mar 2026 is 24 days after the consultation began; "
         "for 25 proposed dismissals s.188 requires at least 30."),
        ("45 days: one day to spare", 100, D(2026, 3, 23), None),
        ("45 days: exactly", 100, D(2026, 3, 22), None),
        ("45 days: one day short", 100, D(2026, 3, 21),
         "First dismissal on 21 Mar 2026 is 44 days after the consultation began; "
         "for 100 proposed dismissals s.188 requires at least 45."),
        ("101 is still 45", 101, D(2026, 3, 21),
         "First dismissal on 21 Mar 2026 is 44 days after the consultation began; "
         "for 101 proposed dismissals s.188 requires at least 45."),
        ("before consultation began", 20, D(2026, 2, 2),
         "First dismissal on 2 Feb 2026 is 3 days before the consultation began; "
         "for 20 proposed dismissals s.188 requires at least 30."),
        ("19: no statutory clock", 19, D(2026, 2, 6), None),
    ],
)
def test_first_dismissal_against_launch(case: str, proposed: int, first: dt.date,
                                        breach: str | None) -> None:
    plan = rules.check_plan(proposed=proposed, launch=LAUNCH, first_dismissal=first)
    assert plan.breaches == ([breach] if breach else [])
    assert plan.lawful is (breach is None)


def test_local_minimum_below_twenty() -> None:
    short = rules.check_plan(proposed=12, launch=LAUNCH, first_dismissal=D(2026, 2, 18),
                         local_minimum_days=14)
    assert short.breaches == [
        "First dismissal on 18 Feb 2026 is 13 days after the consultation began; "
        "for 12 proposed dismissals the local agreement requires at least 14."]
    assert (short.applies, short.minimum_days, short.hr1_deadline) == (False, 14, None)
    assert short.earliest_first_dismissal == D(2026, 2, 19)
    ok = rules.check_plan(proposed=12, launch=LAUNCH, first_dismissal=D(2026, 2, 19),
                      local_minimum_days=14)
    assert ok.breaches == []
    off = rules.check_plan(proposed=12, launch=LAUNCH, first_dismissal=D(2026, 2, 6))
    assert (off.breaches, off.minimum_days, off.earliest_first_dismissal) == ([], None, None)


@pytest.mark.parametrize(
    ("proposed", "first", "notices", "expected"),
    [
        (25, D(2026, 3, 31), None, D(2026, 3, 1)),  # 30 days before
        (100, D(2026, 4, 15), None, D(2026, 3, 1)),  # 45 days before
        (25, D(2026, 3, 31), D(2026, 2, 20), D(2026, 2, 19)),  # notices earlier: the day before
        (25, D(2026, 3, 31), D(2026, 3, 10), D(2026, 3, 1)),  # notices later: 30 days decides
        (19, D(2026, 3, 31), None, None),  # no HR1 duty below 20
    ],
)
def test_hr1_deadline(proposed: int, first: dt.date, notices: dt.date | None,
                      expected: dt.date | None) -> None:
    assert rules.hr1_deadline(proposed=proposed, first_dismissal=first,
                          notices_issued=notices) == expected


@pytest.mark.parametrize(
    ("case", "hr1", "notices", "breach"),
    [
        ("exactly 30 days before", D(2026, 3, 1), None, None),
        ("one day late", D(2026, 3, 2), None,
         "HR1 received on 2 Mar 2026 is 29 days before the first dismissal on 31 Mar 2026; "
         "for 25 proposed dismissals s.193 requires at least 30 (by 1 Mar 2026)."),
        ("after the dismissal", D(2026, 4, 2), None,
         "HR1 received on 2 Apr 2026 is 2 days after the first dismissal on 31 Mar 2026; "
         "for 25 proposed dismissals s.193 requires at least 30 (by 1 Mar 2026)."),
        ("notices the day after HR1", D(2026, 3, 1), D(2026, 3, 2), None),
        ("notices the same day as HR1", D(2026, 3, 1), D(2026, 3, 1),
         "HR1 was received on 1 Mar 2026, the same day as notices of dismissal were issued on "
         "1 Mar 2026; s.193 requires HR1 before any notice is given."),
        ("notices before HR1", D(2026, 3, 1), D(2026, 2, 27),
         "HR1 was received on 1 Mar 2026, after notices of dismissal were issued on 27 Feb 2026; "
         "s.193 requires HR1 before any notice is given."),
        ("notices with no HR1", None, D(2026, 3, 5),
         "Notices of dismissal were issued on 5 Mar 2026 but no HR1 has been recorded; s.193 "
         "requires HR1 before any notice is given."),
        ("no HR1 yet, no notices", None, None, None),
    ],
)
def test_hr1_breaches(case: str, hr1: dt.date | None, notices: dt.date | None,
                      breach: str | None) -> None:
    plan = rules.check_plan(proposed=25, launch=D(2026, 3, 1), first_dismissal=D(2026, 3, 31),
                        hr1_sent=hr1, notices_issued=notices)
    assert plan.breaches == ([breach] if breach else [])


def test_undecided_first_dismissal_assumes_the_earliest() -> None:
    plan = rules.check_plan(proposed=100, launch=D(2026, 3, 1), first_dismissal=None)
    assert plan.earliest_first_dismissal == D(2026, 4, 15)
    assert plan.hr1_deadline == D(2026, 3, 1)  # HR1 by launch day for the earliest dismissal
    assert plan.breaches == []
    assert plan.as_dict()["hr1_deadline"] == "2026-03-01"


def test_several_breaches_reported_together() -> None:
    plan = rules.check_plan(proposed=30, launch=D(2026, 3, 1), first_dismissal=D(2026, 3, 20),
                        hr1_sent=D(2026, 3, 10), notices_issued=D(2026, 3, 5))
    assert len(plan.breaches) == 3
    assert [b.split(" ")[0] for b in plan.breaches] == ["First", "HR1", "HR1"]


@pytest.mark.parametrize(
    ("case", "start", "end", "weeks"),
    [
        ("a day short of one month", D(2025, 1, 15), D(2025, 2, 13), 0),
        ("one month", D(2025, 1, 15), D(2025, 2, 14), 1),
        ("31 Jan start, month complete on 28 Feb (leap)", D(2024, 1, 31), D(2024, 2, 28), 1),
        ("one year", D(2024, 3, 1), D(2025, 2, 28), 1),
        ("a day short of two years", D(2020, 3, 1), D(2022, 2, 27), 1),
        ("two years", D(2020, 3, 1), D(2022, 2, 28), 2),
        ("a day short of eleven years", D(2010, 6, 1), D(2021, 5, 30), 10),
        ("eleven years", D(2010, 6, 1), D(2021, 5, 31), 11),
        ("a day short of twelve years", D(2010, 6, 1), D(2022, 5, 30), 11),
        ("twelve years", D(2010, 6, 1), D(2022, 5, 31), 12),
        ("twenty years: capped at 12", D(2000, 6, 1), D(2020, 5, 31), 12),
        ("end before start", D(2025, 1, 15), D(2025, 1, 1), 0),
    ],
)
def test_statutory_notice_weeks(case: str, start: dt.date, end: dt.date, weeks: int) -> None:
    assert notice.statutory_notice_weeks(start, end) == weeks


def test_complete_years_leap_day_start() -> None:
    # Anniversary of 29 Feb is 28 Feb in a common year, so the year is complete on 27 Feb.
    assert notice.complete_years(D(2020, 2, 29), D(2021, 2, 26)) == 0
    assert notice.complete_years(D(2020, 2, 29), D(2021, 2, 27)) == 1
    assert notice.complete_years(D(2020, 2, 29), D(2024, 2, 28)) == 4


@pytest.mark.parametrize(
    ("dismissal", "weeks", "expected"),
    [
        (D(2026, 3, 31), 0, D(2026, 3, 31)),
        (D(2026, 3, 31), 1, D(2026, 3, 24)),  # given Tuesday 24th, expires Tuesday 31st
        (D(2026, 3, 31), 4, D(2026, 3, 3)),
        (D(2026, 3, 31), 12, D(2026, 1, 6)),  # 84 days
    ],
)
def test_latest_notice_date(dismissal: dt.date, weeks: int, expected: dt.date) -> None:
    assert notice.latest_notice_date(dismissal, weeks) == expected


def test_latest_notice_date_refuses_negative_weeks() -> None:
    with pytest.raises(ValueError):
        notice.latest_notice_date(D(2026, 3, 31), -1)


@pytest.mark.parametrize(
    ("case", "people", "weekly", "days", "cap", "expected"),
    [
        # £700 × 90/7 = £9,000 exactly; × 25 people = £225,000.
        ("£700 a week, 90 days, 25 people", 25, 70_000, 90, None, 22_500_000),
        # 71,900 × 90 / 7 = 924,428.57… → 924,429 per person.
        ("£719 a week, 90 days, one person", 1, 71_900, 90, None, 924_429),
        ("£719 a week, 90 days, three people", 3, 71_900, 90, None, 2_773_287),
        # Rounded per person, then multiplied: not 3 × 924,428.57 = 2,773,285.71 → 2,773,286.
        # Insolvency: £1,000 a week capped at £751: 75,100 × 90 / 7 = 965,571.43 → 965,571.
        ("capped at £751 (NI Fund)", 1, 100_000, 90, 75_100, 965_571),
        ("cap above pay changes nothing", 1, 70_000, 90, 75_100, 900_000),
        # 180 days once the Employment Rights Act 2025 s.30 commences: £700 × 180/7 = £18,000.
        ("180 days", 1, 70_000, 180, None, 1_800_000),
        ("one week", 2, 70_000, 7, None, 140_000),
        ("no days", 10, 70_000, 0, None, 0),
    ],
)
def test_protective_award_exposure(case: str, people: int, weekly: int, days: int,
                                   cap: int | None, expected: int) -> None:
    assert rules.protective_award_exposure(people=people, weekly_pay_pence=weekly, days=days,
                                       weekly_cap_pence=cap) == expected


def test_protective_award_refuses_negative_figures() -> None:
    with pytest.raises(ValueError):
        rules.protective_award_exposure(people=-1, weekly_pay_pence=70_000)
    with pytest.raises(ValueError):
        rules.protective_award_exposure(people=1, weekly_pay_pence=70_000, weekly_cap_pence=-1)


def test_protective_award_max_days_is_dated() -> None:
    assert rules.protective_award_max_days(D(2026, 11, 27)) == 90
    # A hypothetical commencement date: the schedule, not the code, carries the change.
    schedule = (*rules.PROTECTIVE_AWARD_MAX_DAYS, (D(2027, 4, 6), 180))
    assert rules.protective_award_max_days(D(2027, 4, 5), schedule) == 90
    assert rules.protective_award_max_days(D(2027, 4, 6), schedule) == 180
    with pytest.raises(ValueError):
        rules.protective_award_max_days(D(2026, 1, 1), ((D(2027, 4, 6), 180),))


# --- Services: an option's consultation, from its deleted posts --------------------------------
# The six-post establishment (tests.factories): E4 (Eli Fox, permanent, 0.8 FTE, SCP 32) sits in
# O3; I1 (interim) in O1; A1 (agency) in M2. Option C deletes O3, O1 and M2 and regrades M1:
# one proposed dismissal (E4), two agency workers in deleted posts, four employees.

TODAY = D(2026, 5, 1)  # pay year 2025/26: SCP 32 is £42,839 a year


def _set(session, model, where, **values):
    from sqlmodel import select

    row = session.exec(select(model).where(where)).one()
    for k, v in values.items():
        setattr(row, k, v)
    session.add(row)
    session.flush()
    return row


def _make_option(session, actor, name: str, *, deleted=(), updated=None,
                 status: str = "draft") -> int:
    from sqlmodel import select

    from planner.core.models import Post, Structure
    from planner.establishment.register import PostEdits
    from planner.structures.options import create_option, edit_option_posts

    option = create_option(session=session, actor=actor, name=name)
    versions = {p.post_ref: p.version for p in session.exec(
        select(Post).where(Post.structure_id == option.id))}
    touched = [*deleted, *(updated or {})]
    edit_option_posts(session=session, actor=actor, structure=option.id, edits=PostEdits(
        deleted=list(deleted), updated=updated or {},
        versions={r: versions[r] for r in touched}))
    if status != "draft":
        _set(session, Structure, Structure.id == option.id, status=status)
    session.commit()
    return option.id


@pytest.fixture
def small(session):
    from planner.core.models import Person
    from tests.factories import build_small_establishment, make_actors

    actors = make_actors(session)
    build_small_establishment(session)
    _set(session, Person, Person.employee_ref == "E4", continuous_service_date=D(2009, 6, 1))
    session.commit()
    oid = _make_option(session, actors["manager"], "Option C", deleted=["O3", "O1", "M2"],
                       updated={"M1": {"grade": "PO7"}})
    return session, actors, oid


def _view(session, actor, oid, today=TODAY):
    return c.consultation_view(session=session, actor=actor, structure=oid, today=today)


def test_view_counts_from_the_deleted_posts(small):
    """Catches: interims or agency workers counted as proposed dismissals, the regraded M1's
    people counted, the wrong employee total, or descriptions and agency figures miscounted."""
    session, actors, oid = small
    v = _view(session, actors["hr"], oid)
    assert (v.structure_name, v.structure_status) == ("Option C", "draft")
    assert (v.employees, v.proposed, v.agency_workers) == (4, 1, 2)
    assert v.plan == c.PlanFields() and v.check is None and v.planned_first_dismissal is None
    assert v.descriptions.to_dict(orient="records") == [
        {"title": "Officer", "grade": "PO1", "proposed": 1, "employed": 1}]
    assert v.agency.to_dict(orient="records") == [
        {"division": "Digital", "team": "Analysis", "title": "Analyst", "contract": "agency",
         "workers": 1},
        {"division": "Digital", "team": "Core", "title": "Officer", "contract": "interim",
         "workers": 1}]
    people = v.people.set_index("employee_id")
    assert list(v.people.columns) == at_risk.PEOPLE_AT_RISK_COLUMNS
    assert sorted(people.index) == ["A1", "E4", "I1"]
    assert people["counted"].to_dict() == {"A1": False, "E4": True, "I1": False}
    # £42,839 × 0.8 / 52 = £659.0615… → 65,906p.
    assert people.loc["E4", "weekly_pay_pence"] == 65_906
    # One proposed dismissal: s.188 does not apply, so no protective award is possible.
    assert people.loc["E4", "exposure_pence"] is None
    assert (v.exposure_pence, v.exposure_days) == (None, None)
    assert people.loc["A1", "exposure_pence"] is None and people.loc["I1", "notice_weeks"] is None
    assert v.breaches == [] and v.warnings == []
    assert list(v.stages["key"]) == [k for k, _ in c.STAGE_TEMPLATE]
    assert set(v.stages["version"]) == {0} and set(v.stages["id"]) == {None}


def test_union_reads_no_live_consultation_and_hr_sees_the_breach(small):
    """Catches: a union rep reading a live option's consultation (issue 13: only its published
    drafts, planner.publishing), or the late-notice breach lost for hr."""
    from planner.core.errors import PermissionDenied

    session, actors, _ = small
    oid = _make_option(session, actors["manager"], "Option P", deleted=["O3"],
                       status="published")
    c.save_plan(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                fields=c.PlanFields(launch_on=D(2026, 4, 1), first_dismissal_on=D(2026, 6, 30),
                                    notices_issued_on=D(2026, 4, 30)))
    session.commit()
    with pytest.raises(PermissionDenied):
        _view(session, actors["union"], oid)
    assert _view(session, actors["hr"], oid).breaches == [
        "Notices were issued on 30 Apr 2026, but for 1 person at risk the statutory notice (up "
        "to 12 weeks, ERA 1996 s.86) would end after the planned first dismissal on "
        "30 Jun 2026."]


@pytest.mark.parametrize("status", ["draft", "proposed"])
def test_union_is_refused_unpublished_options_and_the_baseline(small, status):
    """Catches: a union rep reading a working copy of an option, or the establishment."""
    from planner.core.errors import PermissionDenied

    session, actors, _ = small
    oid = _make_option(session, actors["manager"], f"Option {status}", deleted=["O3"],
                       status=status)
    with pytest.raises(PermissionDenied):
        _view(session, actors["union"], oid)
    with pytest.raises(PermissionDenied):
        _view(session, actors["union"], "baseline")


def test_the_baseline_is_not_consulted_on(small):
    """Catches: a consultation view of the establishment itself (nothing is deleted there)."""
    from planner.structures.options import NotAnOption

    session, actors, _ = small
    with pytest.raises(NotAnOption, match="consult on an option, not the establishment"):
        _view(session, actors["hr"], "baseline")


@pytest.mark.parametrize(
    ("case", "start", "dismissal", "weeks", "latest"),
    [
        ("exactly one month", D(2026, 5, 30), D(2026, 6, 29), 1, D(2026, 6, 22)),
        ("a day short of a month", D(2026, 5, 31), D(2026, 6, 28), 0, D(2026, 6, 28)),
        ("two years", D(2024, 6, 30), D(2026, 6, 29), 2, D(2026, 6, 15)),
        ("eleven years", D(2015, 6, 30), D(2026, 6, 29), 11, D(2026, 4, 13)),
        ("twelve years", D(2014, 6, 30), D(2026, 6, 29), 12, D(2026, 4, 6)),
        ("twenty years: capped at 12", D(2006, 6, 30), D(2026, 6, 29), 12, D(2026, 4, 6)),
        # The sixth anniversary falls inside the notice: 6 weeks at dismissal, 5 at the notice
        # date; the larger is used so notice is never given too late.
        ("anniversary inside the notice", D(2020, 6, 15), D(2026, 6, 30), 6, D(2026, 5, 19)),
    ],
)
def test_notice_weeks_for_a_dismissal(case, start, dismissal, weeks, latest):
    """Catches: service measured at the wrong date, the cap missed, or the smaller of the two
    measurements taken (a latest notice date a week too late)."""
    assert at_risk.notice_weeks_for(start, dismissal) == weeks
    assert notice.latest_notice_date(dismissal, weeks) == latest


@pytest.mark.parametrize(
    ("annual", "fte", "weekly"),
    [
        (5_200_000, 10_000, 100_000),  # £52,000 full time: £1,000 a week
        (4_283_900, 8_000, 65_906),  # 65,906.15 → 65,906
        (26, 10_000, 1),  # 0.5p → 1p: half up
        (25, 10_000, 0),  # 0.48p → 0p
    ],
)
def test_weekly_pay(annual, fte, weekly):
    """Catches: float rounding, rounding down a half, or FTE ignored."""
    assert at_risk.weekly_pay_pence(annual, fte) == weekly


def test_view_people_dates_and_warnings(small):
    """Catches: notice counted from the wrong date, a passed latest notice date not warned,
    missing s.188(4) texts or an overdue stage not warned."""
    session, actors, oid = small
    hr = actors["hr"]
    c.save_plan(session=session, actor=hr, structure=oid, today=TODAY,
                fields=c.PlanFields(launch_on=D(2026, 5, 4), first_dismissal_on=D(2026, 6, 30),
                                    reasons="Budget reduction"))
    c.save_stages(session=session, actor=hr, structure=oid, today=TODAY, rows=[
        {"key": "appeals", "planned_start": D(2026, 4, 1), "planned_end": D(2026, 4, 30),
         "status": "in progress", "version": 0}])
    session.commit()
    v = _view(session, hr, oid)
    e4 = v.people.set_index("employee_id").loc["E4"]
    # 1 June 2009 to 30 June 2026: 17 complete years, so 12 weeks; 30 June − 84 days = 7 April.
    assert (e4["service_years"], e4["notice_weeks"]) == (17, 12)
    assert e4["latest_notice_date"] == D(2026, 4, 7)
    assert e4["continuous_service_date"] == D(2009, 6, 1)
    assert v.check is not None and v.check.applies is False and v.check.minimum_days is None
    assert v.planned_first_dismissal == D(2026, 6, 30)
    assert v.breaches == []
    assert v.warnings == [
        "Stage 'Appeals' was planned to end on 30 Apr 2026 and is not done.",
        "The s.188(4) information is incomplete: the proposed method of selection "
        "(s.188(4)(d)); the method and period of carrying out the dismissals (s.188(4)(e)); the "
        "method of calculating redundancy pay (s.188(4)(f)) still to be written. Consultation "
        "does not begin until the representatives have it all (TULRCA 1992 s.188(4)).",
        "The latest date to give statutory notice for the planned first dismissal has passed "
        "for 1 person at risk (the earliest was 7 Apr 2026) and no notices are recorded "
        "(ERA 1996 s.86).",
    ]
    assert bool(v.stages.set_index("key").loc["appeals", "overdue"]) is True


def test_local_minimum_below_twenty_comes_from_settings(small, monkeypatch):
    """Catches: the local minimum ignored, or treated as making s.188 apply."""
    from planner.core.config import get_settings

    session, actors, oid = small
    monkeypatch.setattr(get_settings(), "local_consultation_minimum_days", 14)
    c.save_plan(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                fields=c.PlanFields(launch_on=D(2026, 5, 4), first_dismissal_on=D(2026, 5, 17)))
    v = _view(session, actors["hr"], oid)
    assert v.local_minimum_days == 14
    assert v.check.minimum_days == 14 and v.check.applies is False
    assert v.check.earliest_first_dismissal == D(2026, 5, 18)
    assert v.breaches == ["First dismissal on 17 May 2026 is 13 days after the consultation "
                          "began; for 1 proposed dismissal the local agreement requires at "
                          "least 14."]


# --- the 20 and 100 thresholds, on an imported establishment ------------------------------------


def _import_establishment(session, actor, contracts: list[str]) -> None:
    """H0 plus one Officer post per entry of `contracts`, each filled by one person on it."""
    from planner.establishment.importer import import_establishment
    from tests.factories import csv_bytes, posts_frame

    posts = [{"post_id": "H0", "title": "Head of Service", "grade": "SM2"}]
    people = [{"employee_id": "E0", "name": "Head Person", "post_id": "H0",
               "contract": "permanent", "scp": ""}]
    for i, contract in enumerate(contracts, start=1):
        posts.append({"post_id": f"P{i}", "title": "Officer", "grade": "PO2",
                      "reports_to": "H0"})
        cover = contract in ("interim", "agency")
        people.append({"employee_id": f"E{i}", "name": f"Person {i}", "post_id": f"P{i}",
                       "contract": contract, "scp": "" if cover else "35",
                       "day_rate": "400" if cover else "",
                       "continuous_service_date": "" if cover else "2020-01-06"})
    blank = {c_: "" for c_ in ("fte", "scp", "annual_salary", "day_rate", "start_date",
                               "continuous_service_date", "date_of_birth", "origin",
                               "tupe_transfer_date")}
    frame = pd.DataFrame([{**blank, "fte": "1", **p} for p in people], dtype=str)
    import_establishment(session=session, actor=actor, today=TODAY, files=[
        ("posts.csv", csv_bytes(posts_frame(posts))), ("people.csv", csv_bytes(frame))])
    session.commit()


@pytest.mark.parametrize(
    ("contracts", "proposed", "applies", "minimum"),
    [
        (["permanent"] * 19, 19, False, None),
        (["permanent"] * 19 + ["agency"], 19, False, None),  # an agency worker is not counted
        (["permanent"] * 19 + ["interim", "secondment"], 19, False, None),
        (["permanent"] * 19 + ["fixed_term"], 20, True, 30),
        (["permanent"] * 99, 99, True, 30),
        (["permanent"] * 100, 100, True, 45),
        (["permanent"] * 101, 101, True, 45),
    ],
)
def test_thresholds_from_the_option(session, contracts, proposed, applies, minimum):
    """Catches: the s.188 count taken over every occupant (agency, interim, secondee), or the
    30/45-day period picked from the wrong count."""
    from tests.factories import make_actors

    actors = make_actors(session)
    _import_establishment(session, actors["admin"], contracts)
    oid = _make_option(session, actors["manager"], "Option X",
                       deleted=[f"P{i}" for i in range(1, len(contracts) + 1)])
    c.save_plan(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                fields=c.PlanFields(launch_on=D(2026, 3, 2)))
    v = _view(session, actors["hr"], oid)
    assert v.proposed == proposed
    assert v.check.applies is applies and v.check.minimum_days == minimum
    if minimum:
        assert v.check.earliest_first_dismissal == D(2026, 3, 2) + dt.timedelta(days=minimum)
        assert v.planned_first_dismissal == v.check.earliest_first_dismissal
        assert v.check.hr1_deadline == D(2026, 3, 2)
    assert v.descriptions.to_dict(orient="records") == [
        {"title": "Officer", "grade": "PO2", "proposed": proposed,
         "employed": sum(x in ("permanent", "fixed_term", "secondment") for x in contracts)}]


@pytest.fixture
def twenty(session):
    from tests.factories import make_actors

    actors = make_actors(session)
    _import_establishment(session, actors["admin"], ["permanent"] * 20)
    oid = _make_option(session, actors["manager"], "Option X",
                       deleted=[f"P{i}" for i in range(1, 21)])
    return session, actors, oid


@pytest.mark.parametrize(
    ("first", "hr1", "breaches"),
    [
        (D(2026, 4, 1), D(2026, 3, 2), []),  # 30 days after launch: lawful by exactly a day
        (D(2026, 3, 31), D(2026, 3, 1), [
            "First dismissal on 31 Mar 2026 is 29 days after the consultation began; for 20 "
            "proposed dismissals s.188 requires at least 30."]),
        (D(2026, 4, 1), D(2026, 3, 3), [
            "HR1 received on 3 Mar 2026 is 29 days before the first dismissal on 1 Apr 2026; "
            "for 20 proposed dismissals s.193 requires at least 30 (by 2 Mar 2026)."]),
    ],
)
def test_twenty_dismissals_lawful_and_unlawful_by_a_day(twenty, first, hr1, breaches):
    """Catches: off-by-one in the 30-day period or the HR1 lead, as the view reports them."""
    session, actors, oid = twenty
    c.save_plan(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                fields=c.PlanFields(launch_on=D(2026, 3, 2), first_dismissal_on=first,
                                    hr1_sent_on=hr1, reasons="r", selection_method="s",
                                    dismissal_method="d", redundancy_pay_method="p"))
    assert _view(session, actors["hr"], oid).breaches == breaches


@pytest.mark.parametrize(
    ("today", "warning"),
    [
        (D(2026, 2, 16), None),  # 15 days before the 3 March deadline: quiet
        (D(2026, 2, 17), "HR1 must reach the Redundancy Payments Service by 3 Mar 2026, in "
                         "14 days, and none is recorded as sent (TULRCA 1992 s.193)."),
        (D(2026, 3, 3), "HR1 must reach the Redundancy Payments Service by 3 Mar 2026, in "
                        "0 days, and none is recorded as sent (TULRCA 1992 s.193)."),
        (D(2026, 3, 4), "HR1 was due at the Redundancy Payments Service by 3 Mar 2026 and "
                        "none is recorded as sent (TULRCA 1992 s.193; failing to notify is an "
                        "offence, s.194)."),
    ],
)
def test_hr1_deadline_warning(twenty, today, warning):
    """Catches: no warning inside the last 14 days before the HR1 deadline, or one too early."""
    session, actors, oid = twenty
    c.save_plan(session=session, actor=actors["hr"], structure=oid, today=today,
                fields=c.PlanFields(launch_on=D(2026, 2, 1), first_dismissal_on=D(2026, 4, 2),
                                    reasons="r", selection_method="s", dismissal_method="d",
                                    redundancy_pay_method="p"))
    v = _view(session, actors["hr"], oid, today=today)
    assert v.check.hr1_deadline == D(2026, 3, 3)
    hr1 = [w for w in v.warnings if "HR1" in w]
    assert hr1 == ([warning] if warning else [])


# --- save_plan and save_stages --------------------------------------------------------------


def test_save_plan_creates_then_updates_with_versions(small):
    """Catches: a second save not bumping the version, a stale save overwriting, texts stored
    unstripped, or no audit event as the editor."""
    from sqlmodel import select

    from planner.core.errors import StaleVersion
    from planner.core.models import AuditEvent

    session, actors, oid = small
    hr = actors["hr"]
    saved = c.save_plan(session=session, actor=hr, structure=oid, today=TODAY,
                        fields=c.PlanFields(establishment=" Shared ICT ", reasons=" Savings "))
    session.commit()
    assert (saved.version, saved.establishment, saved.reasons) == (1, "Shared ICT", "Savings")
    again = c.save_plan(session=session, actor=hr, structure=oid, today=TODAY,
                        fields=c.PlanFields(establishment="Shared ICT", launch_on=D(2026, 5, 4),
                                            version=1))
    session.commit()
    assert again.version == 2 and again.reasons == ""
    assert _view(session, hr, oid).plan == again
    with pytest.raises(StaleVersion):
        c.save_plan(session=session, actor=hr, structure=oid, today=TODAY,
                    fields=c.PlanFields(version=1))
    session.rollback()
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "consultation_plan")
                          .order_by(AuditEvent.id)).all()
    assert [(e.action, e.username, e.after["version"]) for e in events] == [
        ("create", hr.username, 1), ("save", hr.username, 2)]
    assert events[1].before["reasons"] == "Savings"


@pytest.mark.parametrize(
    ("fields", "column"),
    [
        (c.PlanFields(reasons="x" * 4001), "reasons"),
        (c.PlanFields(selection_method="x" * 4001), "selection_method"),
        (c.PlanFields(dismissal_method="x" * 4001), "dismissal_method"),
        (c.PlanFields(redundancy_pay_method="x" * 4001), "redundancy_pay_method"),
        (c.PlanFields(establishment="x" * 201), "establishment"),
        (c.PlanFields(hr1_sent_on=TODAY + dt.timedelta(days=1)), "hr1_sent_on"),
        (c.PlanFields(notices_issued_on=TODAY + dt.timedelta(days=1)), "notices_issued_on"),
    ],
)
def test_save_plan_refusals(small, fields, column):
    """Catches: over-long texts, or an HR1 or notice date in the future, being saved."""
    from planner.core.errors import ValidationFailed

    session, actors, oid = small
    with pytest.raises(ValidationFailed) as exc:
        c.save_plan(session=session, actor=actors["hr"], structure=oid, fields=fields,
                    today=TODAY)
    assert [e.column for e in exc.value.errors] == [column]
    session.rollback()
    assert _view(session, actors["hr"], oid).plan.version == 0


def _stage(key: str, version: int = 0, **kw) -> dict:
    return {"key": key, "planned_start": None, "planned_end": None, "actual_start": None,
            "actual_end": None, "owner": "", "status": "not started", "notes": "",
            "version": version, **kw}


def test_save_stages_creates_the_template_then_updates(small):
    """Catches: a first save creating only the rows given, an unchanged row re-saved, a
    stale row overwriting, or stage saves not audited per stage."""
    from sqlmodel import select

    from planner.core.errors import StaleVersion
    from planner.core.models import AuditEvent

    session, actors, oid = small
    hr = actors["hr"]
    n = c.save_stages(session=session, actor=hr, structure=oid, today=TODAY, rows=[
        _stage("launch", planned_start="2026-05-04", planned_end=D(2026, 5, 4), owner=" HR ")])
    session.commit()
    assert n == 8
    stages = _view(session, hr, oid).stages.set_index("key")
    assert list(stages["position"]) == list(range(1, 9))
    assert set(stages["version"]) == {1} and None not in set(stages["id"])
    assert stages.loc["launch", "planned_start"] == D(2026, 5, 4)
    assert stages.loc["launch", "owner"] == "HR"
    rows = [_stage("launch", 1, planned_start=D(2026, 5, 4), planned_end=D(2026, 5, 4),
                   owner="HR"),
            _stage("business_case", 1, actual_start=D(2026, 3, 1), actual_end=D(2026, 4, 30),
                   status="done")]
    assert c.save_stages(session=session, actor=hr, structure=oid, today=TODAY, rows=rows) == 1
    session.commit()
    stages = _view(session, hr, oid).stages.set_index("key")
    assert stages.loc["business_case", "version"] == 2 and stages.loc["launch", "version"] == 1
    with pytest.raises(StaleVersion, match="Business case"):
        c.save_stages(session=session, actor=hr, structure=oid, today=TODAY, rows=rows)
    session.rollback()
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "consultation_stage")
                          .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["create"] * 8 + ["save"]
    assert events[-1].after["status"] == "done" and events[-1].username == hr.username


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (_stage("launches"), "key"),
        (_stage("launch", status="finished"), "status"),
        (_stage("launch", planned_start=D(2026, 6, 2), planned_end=D(2026, 6, 1)), "planned_end"),
        (_stage("launch", actual_start=D(2026, 4, 2), actual_end=D(2026, 4, 1)), "actual_end"),
        (_stage("launch", actual_start=TODAY + dt.timedelta(days=1)), "actual_start"),
        (_stage("launch", actual_start=D(2026, 4, 1), actual_end=TODAY + dt.timedelta(days=1)),
         "actual_end"),
        (_stage("launch", status="done"), "actual_end"),
        (_stage("launch", planned_start="1 May"), "planned_start"),
        (_stage("launch", owner="x" * 201), "owner"),
        (_stage("launch", notes="x" * 4001), "notes"),
    ],
)
def test_save_stages_refusals(small, row, column):
    """Catches: an unknown stage or status, an end before its start, an actual date in the
    future, "done" with no end date, or bad text saved; all or nothing."""
    from planner.core.errors import ValidationFailed

    session, actors, oid = small
    with pytest.raises(ValidationFailed) as exc:
        c.save_stages(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                      rows=[_stage("appeals", owner="Fine"), row])
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, column)]
    session.rollback()
    assert set(_view(session, actors["hr"], oid).stages["version"]) == {0}


@pytest.mark.parametrize(("end", "status", "today", "overdue"), [
    (D(2026, 4, 30), "in progress", D(2026, 5, 1), True),
    (D(2026, 4, 30), "not started", D(2026, 4, 30), False),  # due today: not yet overdue
    (D(2026, 4, 30), "done", D(2026, 5, 1), False),
    (D(2026, 4, 30), "skipped", D(2026, 5, 1), False),
    (None, "not started", D(2026, 5, 1), False),
])
def test_stage_overdue(end, status, today, overdue):
    """Catches: a stage overdue on its last day, or done/skipped stages flagged."""
    assert c.stage_overdue(end, status, today) is overdue


@pytest.mark.parametrize("role", ["manager", "union", "admin"])
def test_only_hr_edits_the_plan_and_stages(small, role):
    """Catches: save_plan or save_stages open to a role without consultation.edit (a union
    rep editing stages above all)."""
    from planner.core.errors import PermissionDenied

    session, actors, _ = small
    oid = _make_option(session, actors["manager"], "Option P", deleted=["O3"],
                       status="published")
    with pytest.raises(PermissionDenied):
        c.save_plan(session=session, actor=actors[role], structure=oid,
                    fields=c.PlanFields(), today=TODAY)
    with pytest.raises(PermissionDenied):
        c.save_stages(session=session, actor=actors[role], structure=oid,
                      rows=[_stage("launch")], today=TODAY)


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_read_with_names(small, role):
    """Catches: the people list withheld from roles with personal.read."""
    session, actors, oid = small
    v = _view(session, actors[role], oid)
    assert v.people is not None and "Eli Fox" in set(v.people["name"])


def test_people_without_pay_are_left_out_of_the_exposure_and_warned(twenty_at_risk):
    """Catches: an employee with no salary and no spinal point costed at zero silently, or
    the exposure failing for them."""
    from planner.core.models import Person

    session, actors, oid = twenty_at_risk
    _set(session, Person, Person.employee_ref == "E4", scp=None)
    session.commit()
    v = _view(session, actors["hr"], oid)
    e4 = v.people.set_index("employee_id").loc["E4"]
    assert e4["weekly_pay_pence"] is None and e4["exposure_pence"] is None
    assert v.exposure_pence == 19 * 1_059_210
    assert v.warnings[-1] == ("1 employee at risk has neither a salary nor a spinal point with "
                              "a value: the protective award cap leaves them out.")


def test_a_salary_override_and_two_deleted_posts_make_one_dismissal(small):
    """Catches: a person in two deleted posts counted twice, or their week's pay taken from one
    post's FTE only; or the salary override ignored for the spine."""
    from sqlmodel import select

    from planner.core.models import Occupancy, Person, Post

    session, actors, _ = small
    e5 = Person(employee_ref="E5", name="Gil Hart", contract="fixed_term", scp=20,
                annual_salary_pence=5_200_000, continuous_service_date=D(2025, 1, 6))
    session.add(e5)
    session.flush()
    for ref in ("O1", "O2"):
        post = session.exec(select(Post).where(Post.post_ref == ref)).first()
        session.add(Occupancy(person_id=e5.id, post_id=post.id, fte=Decimal("0.5")))
    session.commit()
    oid = _make_option(session, actors["manager"], "Option J", deleted=["O1", "O2"])
    v = _view(session, actors["hr"], oid)
    assert (v.proposed, v.agency_workers, v.employees) == (1, 1, 5)  # E5; I1 is in O1
    row = v.people.set_index("employee_id").loc["E5"]
    assert (row["post_id"], row["title"], row["grade"]) == ("O1; O2", "Officer; Officer",
                                                            "PO2; PO2")
    # £52,000 × (0.5 + 0.5) / 52 = £1,000 a week (no protective award below 20 dismissals).
    assert row["weekly_pay_pence"] == 100_000 and row["exposure_pence"] is None
    assert v.exposure_pence is None
    assert v.descriptions.to_dict(orient="records") == [
        {"title": "Officer", "grade": "PO2", "proposed": 1, "employed": 1}]


def test_save_stages_reads_emptied_editor_cells_as_blank(small):
    """Catches: an emptied editor cell (NaN, NaT) saved as the text "nan" or refused."""
    session, actors, oid = small
    c.save_stages(session=session, actor=actors["hr"], structure=oid, today=TODAY, rows=[
        _stage("launch", version=float("nan"), owner=float("nan"), notes=None,
               planned_start=pd.NaT, planned_end=pd.Timestamp("2026-05-04"),
               status=float("nan"))])
    session.commit()
    launch = _view(session, actors["hr"], oid).stages.set_index("key").loc["launch"]
    assert (launch["owner"], launch["notes"], launch["status"]) == ("", "", "not started")
    assert launch["planned_start"] is None and launch["planned_end"] == D(2026, 5, 4)


def test_the_cache_key_moves_with_the_plan_and_the_stages(small):
    """Catches: a page serving a cached timetable after the plan, a stage or the option
    changed."""
    session, actors, oid = small
    hr = actors["hr"]
    keys = [c.view_key(session, oid)]
    c.save_plan(session=session, actor=hr, structure=oid, today=TODAY,
                fields=c.PlanFields(launch_on=D(2026, 5, 4)))
    keys.append(c.view_key(session, oid))
    c.save_stages(session=session, actor=hr, structure=oid, today=TODAY, rows=[
        {"key": "appeals", "planned_start": D(2026, 4, 1), "planned_end": D(2026, 4, 30),
         "status": "in progress", "version": 0}])
    keys.append(c.view_key(session, oid))
    from sqlmodel import select

    from planner.core.models import Post
    from planner.establishment.register import PostEdits
    from planner.structures.options import edit_option_posts

    version = session.exec(select(Post.version).where(
        Post.structure_id == oid, Post.post_ref == "O2")).one()
    edit_option_posts(session=session, actor=actors["manager"], structure=oid,
                      edits=PostEdits(deleted=["O2"], versions={"O2": version}))
    keys.append(c.view_key(session, oid))
    assert len(set(keys)) == len(keys), keys
    assert c.view_key(session, oid) == keys[-1]


# --- The protective award: only where s.188 applies, never in a union rep's view (issue 17) ----


@pytest.fixture
def twenty_at_risk(small):
    """`small` plus 19 officers (PO1, SCP 32, full time) in posts R01-R19, and Option T that
    deletes them and O3: 20 proposed dismissals, so s.188 applies."""
    from sqlmodel import select

    from planner.core.models import Occupancy, Person, Post, Structure

    session, actors, _ = small
    base = session.exec(select(Structure).where(Structure.kind == "baseline")).one()
    m1 = session.exec(select(Post).where(Post.post_ref == "M1",
                                         Post.structure_id == base.id)).one()
    for n in range(1, 20):
        post = Post(structure_id=base.id, post_ref=f"R{n:02d}", title="Records Officer",
                    grade="PO1", fte=Decimal("1"), reports_to_id=m1.id, division="Digital",
                    team="Records")
        person = Person(employee_ref=f"R{n:02d}", name=f"Records Person {n}",
                        contract="permanent", scp=32, continuous_service_date=D(2015, 3, 2))
        session.add_all([post, person])
        session.flush()
        session.add(Occupancy(person_id=person.id, post_id=post.id, fte=Decimal("1")))
    session.commit()
    oid = _make_option(session, actors["manager"], "Option T", status="published",
                       deleted=["O3", *(f"R{n:02d}" for n in range(1, 20))])
    c.save_plan(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                fields=c.PlanFields(launch_on=D(2026, 4, 1), first_dismissal_on=D(2026, 6, 30),
                                    notices_issued_on=D(2026, 4, 30)))
    session.commit()
    return session, actors, oid


def test_the_protective_award_cap_where_s188_applies(twenty_at_risk):
    """Catches: the cap left out where s.188 applies, or not summed per affected employee."""
    session, actors, oid = twenty_at_risk
    v = _view(session, actors["hr"], oid)
    assert v.proposed == 20 and rules.s188_applies(v.proposed)
    people = v.people.set_index("employee_id")
    # E4 as worked above: 65,906p a week × 90 / 7 → 847,363p. Each officer: £42,839 / 52 =
    # £823.8269… → 82,383p a week; × 90 / 7 = 1,059,210p exactly.
    assert people.loc["E4", "exposure_pence"] == 847_363
    assert people.loc["R07", "exposure_pence"] == 1_059_210
    assert (v.exposure_pence, v.exposure_days) == (847_363 + 19 * 1_059_210, 90)
    from planner.ui.consultation import headline

    labels = [label for label, _, _ in headline(v)]
    assert labels[-1] == "Protective award cap"


def test_below_20_there_is_no_protective_award(small):
    """Catches: exposure shown where s.188 does not apply (issue 17: £12,698 beside "s.188
    applies: No")."""
    from planner.ui.consultation import headline

    session, actors, oid = small
    v = _view(session, actors["hr"], oid)
    assert v.proposed < 20 and v.exposure_pence is None and v.exposure_days is None
    assert all(row is None for row in v.people["exposure_pence"])
    assert "Protective award cap" not in [label for label, _, _ in headline(v)]


def test_what_a_draft_keeps_of_the_consultation_holds_no_exposure_or_notice_dates(
        twenty_at_risk):
    """Catches: the protective award or people's notice dates in what a published draft keeps
    of the consultation (planner.publishing.snapshot), the only consultation a union rep reads
    (issue 13); the live view is refused them outright."""
    import json

    from planner.core.errors import PermissionDenied
    from planner.publishing.snapshot import _consultation
    from planner.structures.options import resolve_structure

    session, actors, oid = twenty_at_risk
    hr = _view(session, actors["hr"], oid)
    with pytest.raises(PermissionDenied):
        _view(session, actors["union"], oid)
    kept = _consultation(session, actors["hr"], resolve_structure(session, oid), TODAY)
    assert kept["proposed"] == hr.proposed == 20
    hr_people = hr.people[hr.people["counted"]]
    figures = {str(v) for col in ("exposure_pence", "weekly_pay_pence")
               for v in hr_people[col] if v is not None}
    figures |= {str(hr.exposure_pence), f"{hr.exposure_pence / 100:,.0f}"}
    dates = {d for d in hr_people["latest_notice_date"] if d is not None}
    texts = {d.isoformat() for d in dates} | {f"{d.day} {d:%b %Y}" for d in dates} | {
        f"{d.day} {d:%B %Y}" for d in dates}
    assert figures and texts
    blob = json.dumps(kept, default=str)
    for needle in figures | texts:
        assert needle not in blob, needle
    assert not {"people", "exposure_pence", "breaches", "warnings"} & set(kept)


def test_the_protective_award_cap_counts_a_pools_excess_not_its_members():
    """Catches: every member of a ring-fenced pool counted towards the award's cap. Pool A has
    three members for two posts (excess 1): the cap takes its dearest member once; E9, proposed
    on their own, counts in full."""
    from planner.legal.consultation import _exposure_total

    counted = pd.DataFrame({"employee_id": ["E1", "E2", "E3", "E9"],
                            "exposure_pence": [100, 300, 200, 50]})
    everyone = pd.DataFrame({"person_id": [1, 2, 3, 9],
                             "employee_id": ["E1", "E2", "E3", "E9"]})
    assert _exposure_total(counted, {"Pool A": (frozenset({1, 2, 3}), 1)}, everyone) == 350
    assert _exposure_total(counted, {}, everyone) == 650
