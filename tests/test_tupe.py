"""TUPE 2006 milestones (DOMAIN.md §3 template) and employee liability information (reg 11),
with exact dates. T = 1 April 2026: T − 8 weeks = 4 February, T − 28 days = 4 March."""

from __future__ import annotations

import datetime as dt

import pytest

from planner import tupe

D = dt.date
T = D(2026, 4, 1)


def test_milestone_template_for_a_transfer() -> None:
    steps = tupe.milestones(T)
    assert [(m.due, m.name.split(":")[0]) for m in steps] == [
        (D(2026, 2, 3), "Measures letter"),  # the day before representatives are informed
        (D(2026, 2, 4), "Inform appropriate representatives"),  # T − 8 weeks
        (D(2026, 3, 4), "Employee liability information received by the transferee"),  # T − 28
        (D(2026, 3, 31), "Consultation on measures finished, with a view to agreement"),
        (T, "Transfer"),  # payroll
        (T, "Transfer"),  # pension
        (T, "Transfer"),  # particulars
        (T, "After transfer"),
    ]
    assert all(m.rule for m in steps)
    assert "reg 11(6)" in steps[2].rule and "reg 13(4)" in steps[0].rule
    assert steps[0].as_dict()["due"] == "2026-02-03"


@pytest.mark.parametrize(
    ("weeks", "letter", "inform"),
    [
        (12, D(2026, 1, 6), D(2026, 1, 7)),
        (8, D(2026, 2, 3), D(2026, 2, 4)),
        (1, D(2026, 3, 24), D(2026, 3, 25)),
    ],
)
def test_inform_weeks_is_a_setting(weeks: int, letter: dt.date, inform: dt.date) -> None:
    due = {m.name.split(":")[0]: m.due for m in tupe.milestones(T, inform_weeks=weeks)}
    assert due["Measures letter"] == letter
    assert due["Inform appropriate representatives"] == inform
    assert due["Employee liability information received by the transferee"] == D(2026, 3, 4)


def test_late_informing_sorts_after_eli() -> None:
    # Informing 2 weeks ahead (18 March) falls after the ELI deadline (4 March): date order.
    names = [m.name.split(":")[0] for m in tupe.milestones(T, inform_weeks=2)]
    assert names[:3] == ["Employee liability information received by the transferee",
                         "Measures letter", "Inform appropriate representatives"]


def test_inform_weeks_must_be_positive() -> None:
    with pytest.raises(ValueError):
        tupe.milestones(T, inform_weeks=0)


@pytest.mark.parametrize(
    ("case", "transfer", "received", "as_of", "late"),
    [
        ("29 days before", T, D(2026, 3, 3), None, False),
        ("exactly 28 days before", T, D(2026, 3, 4), None, False),
        ("27 days before", T, D(2026, 3, 5), None, True),
        ("on transfer day", T, T, None, True),
        ("not received, deadline not passed", T, None, D(2026, 3, 4), False),
        ("not received, deadline passed", T, None, D(2026, 3, 5), True),
        ("not received, no date to judge by", T, None, None, True),
        # Before 1 May 2014 the period was 14 days (reg 11(6) before SI 2014/16).
        ("2014 rule: 14 days before", D(2014, 4, 30), D(2014, 4, 16), None, False),
        ("2014 rule: 13 days before", D(2014, 4, 30), D(2014, 4, 17), None, True),
        ("from 1 May 2014: 28 days", D(2014, 5, 1), D(2014, 4, 4), None, True),
    ],
)
def test_eli_late(case: str, transfer: dt.date, received: dt.date | None,
                  as_of: dt.date | None, late: bool) -> None:
    assert tupe.eli_late(transfer, received, as_of=as_of) is late


def test_eli_deadline() -> None:
    assert tupe.eli_deadline(T) == D(2026, 3, 4)
    assert tupe.eli_deadline(D(2014, 5, 1)) == D(2014, 4, 3)


@pytest.mark.parametrize(
    ("received", "missing"),
    [
        (set(), ["identity_and_age", "particulars", "disciplinary_and_grievance", "claims",
                 "collective_agreements"]),
        ({"particulars", "claims"},
         ["identity_and_age", "disciplinary_and_grievance", "collective_agreements"]),
        (set(tupe.ELI_KEYS), []),
    ],
)
def test_eli_missing(received: set[str], missing: list[str]) -> None:
    assert tupe.eli_missing(received) == missing


def test_eli_missing_refuses_unknown_items() -> None:
    with pytest.raises(ValueError, match="claim"):
        tupe.eli_missing({"claim"})


def test_eli_checklist_cites_reg_11_2() -> None:
    assert [i.rule for i in tupe.ELI_ITEMS] == [f"reg 11(2)({x})" for x in "abcde"]
