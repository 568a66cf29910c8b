"""The s.188(4) letter and HR1 figures as a Word document (TULRCA 1992 ss.188(4), 193).

Built from a `ConsultationView`: the numbers and descriptions come from the option's deleted
posts, the texts from the plan. The representatives receive this document, so it holds counts
and descriptions only: never a name, an employee id or anyone's pay (DOMAIN.md §7: "Not: names
with salaries, dates of birth or equality data of individuals"). `view.people` is never read.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

from docx import Document
from docx.shared import Pt

from planner.core.values import long_date

if TYPE_CHECKING:
    import pandas as pd
    from docx.document import Document as DocumentType

    from planner.legal.consultation import ConsultationView

MISSING = "[Not yet written: consultation does not begin until this is given.]"


def _long(day: dt.date | None) -> str:
    return long_date(day, "not yet set")


def _table(doc: DocumentType, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text


def _section(doc: DocumentType, heading: str, text: str) -> None:
    doc.add_heading(heading, level=2)
    doc.add_paragraph(text.strip() or MISSING)


def _count_rows(frame: pd.DataFrame, columns: list[str]) -> list[list[str]]:
    return [[str(v) for v in row] for row in frame[columns].itertuples(index=False)]


def disclosure_docx(view: ConsultationView, *, employer: str, today: dt.date) -> bytes:
    """The s.188(4) written information and the HR1 figures for `view`'s option, as .docx.

    Sections follow s.188(4): (a) reasons; (b) numbers and descriptions of employees proposed
    for dismissal; (c) the total employed of each description at the establishment; (d) the
    selection method; (e) the method and period of carrying out the dismissals, with the
    proposed first dismissal; (f) the method of calculating redundancy pay; (g) agency workers:
    number, where they work and the type of work. Then the figures HR1 asks for (s.193). A text
    not yet written is marked, because consultation does not begin until it is given.
    """
    plan, check = view.plan, view.check
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    doc.add_heading("Proposed redundancies: information for representatives", level=1)
    doc.add_paragraph("Given under section 188(4) of the Trade Union and Labour Relations "
                      "(Consolidation) Act 1992.")
    _table(doc, ["", ""], [
        ["Employer", employer],
        ["Proposal", view.structure_name],
        ["Establishment", plan.establishment or "not recorded"],
        ["Date of this letter", _long(today)],
        ["Consultation begins", _long(plan.launch_on)],
    ])

    _section(doc, "(a) The reasons for the proposals", plan.reasons)

    doc.add_heading("(b) and (c) Employees proposed for dismissal, by description", level=2)
    doc.add_paragraph(
        f"{view.proposed} employee{'s are' if view.proposed != 1 else ' is'} proposed for "
        f"dismissal as redundant, of {view.employees} employed at the establishment. Each "
        f"description is a job title and grade; the last column is the total number of "
        f"employees of that description at the establishment.")
    if len(view.descriptions):
        _table(doc, ["Job title", "Grade", "Proposed for dismissal", "Employed"],
               _count_rows(view.descriptions, ["title", "grade", "proposed", "employed"])
               + [["Total", "", str(int(view.descriptions["proposed"].sum())),
                   str(int(view.descriptions["employed"].sum()))]])

    _section(doc, "(d) The proposed method of selecting the employees who may be dismissed",
             plan.selection_method)

    doc.add_heading("(e) The proposed method of carrying out the dismissals, and the period over "
                    "which they are to take effect", level=2)
    doc.add_paragraph(plan.dismissal_method.strip() or MISSING)
    if view.planned_first_dismissal is not None:
        timing = f"The first dismissal is proposed to take effect on " \
                 f"{_long(view.planned_first_dismissal)}"
        if check is not None and check.earliest_first_dismissal is not None:
            timing += (f", and not before {_long(check.earliest_first_dismissal)}, "
                       f"{check.minimum_days} days after consultation begins")
        doc.add_paragraph(timing + ".")

    _section(doc, "(f) The proposed method of calculating redundancy payments (other than "
                  "statutory redundancy pay)", plan.redundancy_pay_method)

    doc.add_heading("(g) Agency workers", level=2)
    workers = int(view.agency["workers"].sum()) if len(view.agency) else 0
    if workers:
        doc.add_paragraph(f"{workers} agency worker{'s work' if workers != 1 else ' works'} "
                          f"temporarily for and under the supervision of the employer at the "
                          f"establishment (interim workers included), as follows. The job "
                          f"title is the type of work.")
        rows = _count_rows(view.agency, ["division", "team", "title", "contract", "workers"])
        _table(doc, ["Division", "Team", "Type of work", "Engaged as", "Workers"], rows)
    else:
        doc.add_paragraph("No agency workers work for the employer at the establishment.")

    doc.add_heading("Figures for form HR1 (section 193)", level=2)
    hr1 = [
        ["Establishment", plan.establishment or "not recorded"],
        ["Employees at the establishment", str(view.employees)],
        ["Redundancies proposed", str(view.proposed)],
        ["Collective consultation required (20 or more within 90 days)",
         "yes" if check is not None and check.applies else
         ("yes" if view.proposed >= 20 else "no")],
        ["Consultation begins", _long(plan.launch_on)],
        ["Minimum consultation period",
         f"{check.minimum_days} days" if check is not None and check.minimum_days else
         "none by statute"],
        ["Proposed first dismissal", _long(view.planned_first_dismissal)],
        ["HR1 to reach the Redundancy Payments Service by",
         _long(check.hr1_deadline) if check is not None and check.hr1_deadline else
         "not required" if view.proposed < 20 else "once the launch date is set"],
        ["HR1 received on", _long(plan.hr1_sent_on) if plan.hr1_sent_on else "not yet sent"],
    ]
    if len(view.descriptions):
        hr1 += [[f"Proposed: {t} ({g})", str(p)] for t, g, p in
                view.descriptions[["title", "grade", "proposed"]].itertuples(index=False)]
    _table(doc, ["Figure", "Value"], hr1)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
