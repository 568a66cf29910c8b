"""The s.188(4) letter as Word: opened with python-docx, figures checked, no names inside."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document

from planner.legal import at_risk
from planner.legal import consultation as c
from planner.legal import consultation_rules as rules
from planner.legal.disclosure import MISSING, disclosure_docx
from tests.legal.test_consultation import TODAY, _make_option, small  # noqa: F401  (fixture)

D = dt.date
NAMES = ("Ada Brown", "Bea Cole", "Cal Dunn", "Dee Evans", "Eli Fox", "Fay Gray")


def _text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    doc = Document(io.BytesIO(data))
    paras = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[cell.text for cell in row.cells] for row in t.rows] for t in doc.tables]
    return paras, tables


@pytest.fixture
def published(small):  # noqa: F811
    session, actors, _ = small
    oid = _make_option(session, actors["manager"], "Option P", deleted=["O3", "O1", "M2"],
                       status="published")
    c.save_plan(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                fields=c.PlanFields(establishment="Shared ICT Service", launch_on=D(2026, 5, 4),
                                    first_dismissal_on=D(2026, 6, 30),
                                    reasons="The partner councils' budget falls by 8%.",
                                    selection_method="Ring-fenced competitive interview.",
                                    redundancy_pay_method="Actual week's pay (SI 2006/2914 "
                                                          "reg 5)."))
    session.commit()
    return session, actors, oid


@pytest.mark.parametrize("role", ["hr", "manager"])  # a union rep reads the drafts instead
def test_letter_has_the_figures_and_no_names(published, role):
    """Catches: a name, employee id or individual pay leaking into the letter (even when the
    view holds the people), a count or description wrong, or a missing text not marked."""
    session, actors, oid = published
    view = c.consultation_view(session=session, actor=actors[role], structure=oid, today=TODAY)
    paras, tables = _text(disclosure_docx(view, employer="Brent Council", today=D(2026, 5, 4)))
    everything = paras + repr(tables)
    for name in NAMES:
        assert name not in everything
    for ref in ("E4", "I1", "A1"):
        assert ref not in everything
    assert "659" not in everything and "65906" not in everything  # E4's weekly pay
    assert tables[0] == [["", ""], ["Employer", "Brent Council"], ["Proposal", "Option P"],
                         ["Establishment", "Shared ICT Service"],
                         ["Date of this letter", "4 May 2026"],
                         ["Consultation begins", "4 May 2026"]]
    assert "The partner councils' budget falls by 8%." in paras
    assert "Ring-fenced competitive interview." in paras
    assert paras.count(MISSING) == 1  # (e) method and period not written yet
    assert "1 employee is proposed for dismissal as redundant, of 4 employed" in paras
    assert tables[1] == [["Job title", "Grade", "Proposed for dismissal", "Employed"],
                         ["Officer", "PO1", "1", "1"], ["Total", "", "1", "1"]]
    # s.188(4)(g): the interim in O1 and the agency analyst in M2.
    assert "2 agency workers work temporarily" in paras
    assert tables[2] == [["Division", "Team", "Type of work", "Engaged as", "Workers"],
                         ["Digital", "Analysis", "Analyst", "agency", "1"],
                         ["Digital", "Core", "Officer", "interim", "1"]]
    hr1 = dict((r[0], r[1]) for r in tables[3][1:])
    assert hr1["Employees at the establishment"] == "4"
    assert hr1["Redundancies proposed"] == "1"
    assert hr1["Collective consultation required (20 or more within 90 days)"] == "no"
    assert hr1["Proposed first dismissal"] == "30 Jun 2026"
    assert hr1["HR1 to reach the Redundancy Payments Service by"] == "not required"
    assert hr1["Proposed: Officer (PO1)"] == "1"
    assert "The first dismissal is proposed to take effect on 30 Jun 2026." in paras


def test_letter_for_twenty_gives_the_hr1_deadline():
    """Catches: the HR1 deadline or minimum period left out when s.188 applies."""
    import pandas as pd

    plan = c.PlanFields(establishment="Shared ICT Service", launch_on=D(2026, 3, 2),
                        first_dismissal_on=D(2026, 4, 2), reasons="r", selection_method="s",
                        dismissal_method="d", redundancy_pay_method="p")
    check = rules.check_plan(proposed=20, launch=plan.launch_on,
                         first_dismissal=plan.first_dismissal_on)
    view = c.ConsultationView(
        structure_id=1, structure_name="Option A", structure_status="published", plan=plan,
        employees=40, proposed=20, agency_workers=0, local_minimum_days=None, check=check,
        planned_first_dismissal=plan.first_dismissal_on, exposure_pence=0, exposure_days=90,
        breaches=[], warnings=[], stages=pd.DataFrame(columns=c.STAGE_COLUMNS),
        descriptions=pd.DataFrame([{"title": "Officer", "grade": "PO2", "proposed": 20,
                                    "employed": 30}], columns=at_risk.DESCRIPTION_COLUMNS),
        agency=pd.DataFrame(columns=at_risk.AGENCY_COLUMNS), people=None, today=D(2026, 3, 2))
    paras, tables = _text(disclosure_docx(view, employer="Brent Council", today=D(2026, 3, 2)))
    assert MISSING not in paras
    assert "No agency workers work for the employer at the establishment." in paras
    assert ("The first dismissal is proposed to take effect on 2 Apr 2026, and not before "
            "1 Apr 2026, 30 days after consultation begins.") in paras
    hr1 = dict((r[0], r[1]) for r in tables[-1][1:])
    assert hr1["Collective consultation required (20 or more within 90 days)"] == "yes"
    assert hr1["Minimum consultation period"] == "30 days"
    assert hr1["HR1 to reach the Redundancy Payments Service by"] == "3 Mar 2026"
    assert hr1["HR1 received on"] == "not yet sent"
