"""The consultation pack: one document per published draft, as Word (.docx) and PDF (issue 13).

Written from the draft's snapshot alone (planner.publishing.snapshot), so the pack says exactly
what the draft says and holds nothing personal. The sections follow a council's consultation
document: covering note; the proposal and its reasons; the current and proposed structure
(charts drawn by the caller, planner.charts.orgchart_images, passed in as PNG); the posts
affected by grade and by team; the selection method and the timetable; the equality analysis
summary; how to respond and by when. The content is built once (`pack_blocks`) and written
twice, so the Word and PDF versions cannot disagree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.core.values import as_date, long_date
from planner.publishing.drafts import DraftView

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/share/fonts/TTF"))
# Characters the PDF core font lacks, where no TrueType font is installed.
LATIN1 = str.maketrans({"—": "-", "–": "-", "→": "->", "…": "...", "’": "'", "‘": "'",
                        "“": '"', "”": '"', "·": "-", "−": "-"})


@dataclass(frozen=True)
class Block:
    """One piece of the pack: a heading, a paragraph, a table or a picture."""

    kind: str  # "title", "heading", "para", "table", "image"
    text: str = ""
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    image: bytes = b""


def _money(pence: int | None) -> str:
    if pence is None:
        return "—"
    sign = "−" if pence < 0 else ""
    pence = abs(int(pence))
    return f"{sign}£{pence // 100:,}.{pence % 100:02d}"


def _respond_by(snapshot: dict[str, Any]) -> str:
    stages = snapshot["consultation"]["stages"]
    period = next((s for s in stages if "consultation period" in s["name"].lower()), None)
    end = as_date(period["planned_end"]) if period else None
    if end is not None:
        return (f"Responses are asked for by {long_date(end)}, the planned end of the "
                "consultation period.")
    return ("The consultation timetable does not set a closing date yet: respond as soon as "
            "you can; the closing date will be given in writing.")


def pack_blocks(view: DraftView, charts: dict[str, bytes] | None = None,
                responses: list[dict[str, Any]] | None = None) -> list[Block]:
    """The pack's content, from the snapshot. `charts`: "current" and "proposed" PNGs;
    `responses` (planner.publishing.responses.responses_frame's records, up to this draft):
    every response so far with its reply, so the pack of the last draft is the final report
    of what the unions said and what management answered."""
    snap, charts = view.snapshot, charts or {}
    c, costs, consult = snap["counts"], snap["costs"], snap["consultation"]
    eq = snap["equality"]["analysis"]
    blocks = [
        Block("title", f"{view.option}: draft {view.number} for consultation"),
        Block("para", f"Published {long_date(view.published_at.date())}. This draft does not "
                      "change; any change to the proposal is issued as a new draft."
              + (f" Withdrawn: {view.withdrawn_reason}" if view.status == "withdrawn" else "")),
        Block("heading", "1. Covering note"),
        Block("para", snap["note"] or "No covering note was given with this draft."),
        Block("heading", "2. The proposal and why"),
        Block("para", snap["option"]["description"] or "No description was given."),
        Block("para", consult["reasons"] or "The reasons have not been set out apart from the "
                                            "description above."),
        Block("para", f"The proposed structure has {c['posts']} posts ({c['fte']} FTE): "
                      f"{c['new']} new, {c['deleted']} deleted, {c['regraded']} regraded and "
                      f"{c['moved']} moved; {c['unchanged']} unchanged. Its full-year cost is "
                      f"{_money(costs['option_full_year_pence'])}, against "
                      f"{_money(costs['baseline_full_year_pence'])} now: a saving of "
                      f"{_money(costs['saving_pence'])} a year."),
        Block("table", header=("Partner", "Spend", "Envelope", "Headroom"),
              rows=tuple((p["partner"], _money(p["spend_pence"]), _money(p["envelope_pence"]),
                          _money(p["headroom_pence"])) for p in costs["by_partner"])
              + (("Total", _money(costs["spend_pence"]), _money(costs["envelope_pence"]),
                  _money(costs.get("headroom_pence"))),)),
        Block("heading", "3. The current and proposed structure"),
    ]
    for key, label in (("current", "The structure now (top levels)"),
                       ("proposed", "The proposed structure (top levels), outlined by change")):
        if charts.get(key):
            blocks += [Block("para", label), Block("image", image=charts[key])]
    blocks.append(Block("para", "Every post of the proposed structure, and every post it "
                                "deletes, is listed in the Published drafts page of the "
                                "planner and in the table below where it changes."))
    changed = [p for p in snap["posts"] if p["change"] != "unchanged"]
    blocks.append(Block("table", header=("Post", "Title", "Grade", "Team", "Change"),
                        rows=tuple((p["post_id"], p["title"], p["grade"], p["team"],
                                    p["change"]) for p in changed)))
    blocks += [Block("heading", "4. Posts affected")]
    for key, label in (("grade", "Grade"), ("team", "Team")):
        rows = snap["affected"][key]
        blocks.append(Block("table", header=(label, "Posts affected", "People in them now"),
                            rows=tuple((str(r[key]), str(r["posts"]), str(r["people"]))
                                       for r in rows)
                            + (("Total", str(sum(r["posts"] for r in rows)),
                                str(sum(r["people"] for r in rows))),)))
    blocks += [
        Block("heading", "5. Selection and timetable"),
        Block("para", f"{consult['proposed']} dismissals are proposed, of "
                      f"{consult['employees']} employees. Collective consultation under "
                      "TULRCA 1992 s.188 "
                      + ("applies" + (f", for at least {consult['minimum_days']} days"
                                      if consult["minimum_days"] else "")
                         if consult["s188_applies"] else "does not apply (fewer than 20)")
                      + "."),
        Block("para", "Selection: " + (consult["selection_method"] or
                                       "the selection method has not been set out yet; it will "
                                       "be given in writing before anyone is selected.")),
    ]
    if consult["descriptions"]:
        blocks.append(Block("table", header=("Description", "Grade", "Proposed", "Employed"),
                            rows=tuple((d["title"], d["grade"], str(d["proposed"]),
                                        str(d["employed"])) for d in consult["descriptions"])))
    blocks.append(Block("table", header=("Stage", "Planned start", "Planned end"),
                        rows=tuple((s["name"], long_date(as_date(s["planned_start"])),
                                    long_date(as_date(s["planned_end"])))
                                   for s in consult["stages"])))
    signed = [cp for cp in snap["equality"]["checkpoints"] if cp["signed_off"]]
    blocks += [
        Block("heading", "6. Equality analysis"),
        Block("para", (eq["warnings"][0] + " " if eq.get("withheld") else
                       f"At risk: {eq['at_risk_text']} of {eq['service_total']} employees. ")
                      + "Counts under the threshold are not shown, so that nobody can be "
                      "identified. "
                      + " ".join(f"{cp['name']} was signed off on "
                                 f"{long_date(as_date(cp['signed_off_on']))}." for cp in signed)),
        *[Block("para", w) for w in ([] if eq.get("withheld") else eq.get("warnings", [])[:5])],
        Block("heading", "7. How to respond"),
        Block("para", "Respond in writing on the Published drafts page of the planner (on the "
                      "whole draft, on one post or on one team), or to HR. Every response is "
                      "answered in writing, and the final report lists each one with its "
                      "reply. " + _respond_by(snap)),
    ]
    if responses is not None:
        mine = [r for r in responses if int(r["draft"]) <= view.number]
        blocks += [Block("heading", "8. Responses and replies"),
                   Block("para", f"{len(mine)} written responses to the drafts of this "
                                 "option so far, each with management's reply."
                         if mine else "No written responses to this option's drafts yet.")]
        if mine:
            blocks.append(Block("table", header=("Draft", "On", "Response", "Status", "Reply"),
                                rows=tuple((str(r["draft"]),
                                            r["post_id"] or r["team"] or "the whole draft",
                                            r["text"], r["status"], r["reply"] or "—")
                                           for r in mine)))
    return blocks


def pack_docx(view: DraftView, charts: dict[str, bytes] | None = None,
              responses: list[dict[str, Any]] | None = None) -> bytes:
    """The pack as a Word document."""
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    for b in pack_blocks(view, charts, responses):
        if b.kind == "title":
            doc.add_heading(b.text, level=1)
        elif b.kind == "heading":
            doc.add_heading(b.text, level=2)
        elif b.kind == "para":
            doc.add_paragraph(b.text)
        elif b.kind == "image":
            doc.add_picture(io.BytesIO(b.image), width=Cm(16))
        elif b.kind == "table":
            table = doc.add_table(rows=1, cols=len(b.header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, b.header, strict=True):
                cell.text = text
                for run in cell.paragraphs[0].runs:
                    run.bold = True
            for row in b.rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = text
            doc.add_paragraph()
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _font_file(bold: bool) -> Path | None:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return next((d / name for d in FONT_DIRS if (d / name).exists()), None)


def pack_pdf(view: DraftView, charts: dict[str, bytes] | None = None,
             responses: list[dict[str, Any]] | None = None) -> bytes:
    """The pack as a PDF (A4), the same content as the Word document."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    regular, bold = _font_file(False), _font_file(True)
    if regular is not None and bold is not None:
        pdf.add_font("Body", "", str(regular))
        pdf.add_font("Body", "B", str(bold))
        family, clean = "Body", (lambda t: t)
    else:  # the core font: Latin-1 only
        family = "Helvetica"

        def clean(t: str) -> str:
            return t.translate(LATIN1).encode("latin-1", "replace").decode("latin-1")

    pdf.set_title(f"{view.option}: draft {view.number}")
    pdf.set_creator("Workforce restructure planner")
    pdf.add_page()
    width = pdf.epw
    for b in pack_blocks(view, charts, responses):
        if b.kind == "title":
            pdf.set_font(family, "B", 16)
            pdf.multi_cell(width, 8, clean(b.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif b.kind == "heading":
            pdf.ln(3)
            pdf.set_font(family, "B", 12)
            pdf.multi_cell(width, 7, clean(b.text), new_x="LMARGIN", new_y="NEXT")
        elif b.kind == "para":
            pdf.set_font(family, "", 10)
            pdf.multi_cell(width, 5, clean(b.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif b.kind == "image":
            pdf.image(io.BytesIO(b.image), w=width)
            pdf.ln(2)
        elif b.kind == "table":
            pdf.set_font(family, "", 8)
            with pdf.table(headings_style=FontFace(emphasis="BOLD"), line_height=4.5,
                           text_align="LEFT") as table:
                for values in (b.header, *b.rows):
                    row = table.row()
                    for text in values:
                        row.cell(clean(str(text)))
            pdf.ln(2)
    return bytes(pdf.output())


def pack_name(view: DraftView, suffix: str) -> str:
    """A file name people can read: 'option-1-single-service-desk-draft-2.pdf'."""
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", view.option.lower()).strip("-")[:60] or "option"
    return f"{slug}-draft-{view.number}.{suffix}"

