"""The equality analysis summary as a Word document, in the shape councils already use.

The business plan in ../shared/seeds rates each protected characteristic Positive / Negative /
Neutral with a column of comments; this writes one such table per checkpoint (stage 1 before
the proposals, stage 2 after consultation, stage 3 after implementation, DOMAIN.md §6), with
its due date and sign-off, then the analysis of who is at risk against the whole service.

It is an export, and every export is suppressed (issue 6, "Suppression": "in every view for
roles other than hr and admin, and in every export"), so `summary_docx` only takes a
suppressed `EqualityAnalysis` and refuses an unsuppressed one: a caller, even an hr or admin
one, must pass `analyse(..., unsuppressed=False)`. The document holds counts of people only,
never a person's name or answers; the one name in it is the user who signed a stage off.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Cm, Pt, RGBColor

from planner.core.values import long_date
from planner.equality.display import DISPLAY_COLUMNS, analysis_display, part_time_frame

if TYPE_CHECKING:
    from docx.document import Document as DocumentType
    from docx.table import Table

    from planner.equality.analysis import EqualityAnalysis
    from planner.equality.checkpoints import Checkpoint

IMPACT_HEADINGS = ("Equality characteristic", "Positive", "Negative", "Neutral",
                   "Comments and mitigations")
MARKED = ("positive", "negative", "neutral")
NOT_YET_KNOWN = "not yet known"
GREY = RGBColor(0x55, 0x5F, 0x63)


class UnsuppressedExport(ValueError):
    """An unsuppressed analysis was handed to an export (a programming error, not a user's)."""


def _date(value: dt.date | dt.datetime | None) -> str:
    """27 Nov 2026 (planner.core.values.long_date); "not set" for none."""
    return long_date(value, "not set")


def impact_rows(impacts: pd.DataFrame) -> list[list[str]]:
    """One row per characteristic: label, Yes/No under Positive, Negative and Neutral, and
    the evidence with its mitigation. An impact not yet decided marks none of the three."""
    rows = []
    for r in impacts.itertuples(index=False):
        impact = str(r.impact or NOT_YET_KNOWN)
        decided = impact in MARKED
        marks = [("Yes" if impact == m else "No") if decided else "—" for m in MARKED]
        parts = [] if decided else ["Not yet assessed."]
        if str(r.evidence or "").strip():
            parts.append(str(r.evidence).strip())
        if str(r.mitigation or "").strip():
            parts.append(f"Mitigation: {str(r.mitigation).strip()}")
        rows.append([str(r.label), *marks, "\n".join(parts)])
    return rows


def _table(doc: DocumentType, headings: list[str] | tuple[str, ...], rows: list[list[str]],
           widths: list[float], *, font: float = 9.5) -> Table:
    table = doc.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(heading)
        run.bold = True
        run.font.size = Pt(font)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            lines = str(value).split("\n")
            cell.text = ""
            for i, line in enumerate(lines):
                paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
                paragraph.add_run(line).font.size = Pt(font)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    return table


def _note(doc: DocumentType, text: str) -> None:
    run = doc.add_paragraph().add_run(text)
    run.italic = True
    run.font.size = Pt(9)
    run.font.color.rgb = GREY


def summary_docx(analysis: EqualityAnalysis, checkpoints: list[Checkpoint], *,
                 organisation: str, today: dt.date) -> bytes:
    """The equality analysis summary (.docx) of one option: the three checkpoints' tables in
    the seeds' shape, then the suppressed analysis.

    `analysis` must be suppressed (see the module docstring): an unsuppressed one raises
    UnsuppressedExport, whoever the caller is, because the file leaves the planner's control.
    """
    if not analysis.suppressed:
        raise UnsuppressedExport(
            "The equality summary is an export, and exports are always suppressed: pass the "
            "analysis made with unsuppressed=False.")
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(10.5)

    doc.add_heading(f"Equality analysis: {analysis.structure_name}", level=0)
    doc.add_paragraph(f"{organisation}. Summary prepared on {_date(today)}.")
    doc.add_paragraph(
        "Public Sector Equality Duty (Equality Act 2010 s.149): the impact of this option on "
        "each protected characteristic, assessed in three stages (before the proposals, after "
        "consultation, after implementation), and the profile of the people put at risk "
        "against the whole service.")
    threshold = analysis.threshold
    _note(doc, f"Figures for fewer than {threshold} people are shown as \"<{threshold}\"; "
               "\"*\" marks a figure hidden so that a smaller one cannot be worked out from the "
               "totals, and \"—\" a figure that cannot be shown (ratios and p-values resting "
               "on a hidden figure). This document holds no individual's equality data.")
    if analysis.suppressed_with:
        _note(doc, "The figures are suppressed together with the other options its reader "
                   f"can see ({', '.join(analysis.suppressed_with)}), so the difference between "
                   "two options' figures never shows the answers of the few people one option "
                   "puts at risk and the other does not.")
    if analysis.read_against:
        n = analysis.read_against
        _note(doc, f"The figures are suppressed against the {n} draft{'s' if n != 1 else ''} "
                   "already published to the representatives, as those were published, so "
                   "reading this draft beside an earlier one never shows the answers of the few "
                   "people whose position differs between them.")

    doc.add_heading("Checkpoints", level=1)
    for checkpoint in sorted(checkpoints, key=lambda c: c.stage):
        doc.add_heading(checkpoint.name, level=2)
        signed = (f"Signed off by {checkpoint.signed_off_by} on "
                  f"{_date(checkpoint.signed_off_at)}." if checkpoint.signed_off
                  else "Not signed off yet.")
        doc.add_paragraph(f"Due: {_date(checkpoint.due_on)}. {signed}")
        _table(doc, IMPACT_HEADINGS, impact_rows(checkpoint.impacts),
               [5.5, 2.0, 2.0, 2.0, 14.6])

    doc.add_heading("Who is at risk, against the whole service", level=1)
    doc.add_paragraph(f"People in the service: {analysis.service_total:,}. "
                      f"People at risk in this option: {analysis.at_risk_text}.")
    for warning in analysis.warnings:
        doc.add_paragraph(str(warning), style="List Bullet")
    display = analysis_display(analysis.table)
    _table(doc, DISPLAY_COLUMNS, display.astype(str).to_numpy().tolist(),
           [4.2, 4.4, 2.4, 2.2, 2.5, 2.5, 4.0, 3.9])
    _note(doc, "Share: the group's part of the whole service, and of the people at risk. "
               "Ratio: the group's at-risk rate over the rest's; below 0.8 or above 1.25 is "
               "flagged. Fisher p: the chance of a difference at least this large if who is "
               "at risk were unrelated to the group (Fisher's exact test).")

    doc.add_heading("Grade mix and part-time working", level=1)
    grades = [[str(r.grade), f"{int(r.before):,}", f"{int(r.after):,}"]
              for r in analysis.grade_mix.itertuples(index=False)]
    _table(doc, ("Grade", "Posts before", "Posts after"), grades, [4.0, 3.0, 3.0])
    doc.add_paragraph()
    part = part_time_frame(analysis.part_time)
    _table(doc, ("When", "Working part time"), [[w, t] for w, t in
                                                 zip(part["when"], part["text"], strict=True)],
           [4.0, 6.0])
    _note(doc, "Before: the whole service. After: the service less the people at risk.")

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
