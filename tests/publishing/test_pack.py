"""The consultation pack (issue 13 item 4): the Word document's sections and tables, the PDF's
pages and text, the same content in both, and nothing personal in either."""

from __future__ import annotations

import io

import docx
import pypdf
from sqlmodel import select

from planner.core.models import Person
from planner.publishing import drafts as d
from planner.publishing.pack import pack_blocks, pack_docx, pack_name, pack_pdf
from planner.ui.drafts import pack_charts
from tests.publishing.conftest import OPTION, TODAY

SECTIONS = ["1. Covering note", "2. The proposal and why",
            "3. The current and proposed structure", "4. Posts affected",
            "5. Selection and timetable", "6. Equality analysis", "7. How to respond"]


def _view(world):
    with world.session() as s:
        d.publish(session=s, actor=world.actors["hr"], structure=world.option_id,
                  note="Draft 1 for consultation: respond within 14 days.", today=TODAY)
        s.commit()
        view = d.read_draft(session=s, actor=world.actors["union"], structure=OPTION)
        names = [p.name for p in s.exec(select(Person))]
    return view, names


def test_the_word_pack_has_every_section_table_and_chart(world):
    view, names = _view(world)
    charts = pack_charts(view.snapshot)
    assert set(charts) == {"current", "proposed"}
    document = docx.Document(io.BytesIO(pack_docx(view, charts)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading 2")]
    assert headings == SECTIONS
    assert document.paragraphs[0].text == f"{OPTION}: draft 1 for consultation"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Draft 1 for consultation: respond within 14 days." in text
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert {"ICT-095", "Service Desk Manager (three councils)", "Total"} <= cells
    assert len(document.inline_shapes) == 2  # the structure now and as proposed
    everything = text + " ".join(cells)
    assert not [n for n in names if n in everything]


def test_the_pdf_pack_says_the_same(world):
    view, names = _view(world)
    data = pack_pdf(view, pack_charts(view.snapshot))
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 3
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    for section in SECTIONS:
        assert section in flat, section
    assert "ICT-095" in flat and "£" in flat  # a TrueType font: pounds and dashes survive
    assert not [n for n in names if n in flat]
    paragraphs = [b.text for b in pack_blocks(view) if b.kind == "para"]
    assert " ".join(paragraphs[1].split()[:6]) in flat  # the Word text, word for word


def test_the_pack_is_named_for_the_draft(world):
    view, _ = _view(world)
    assert pack_name(view, "pdf") == "option-1-single-service-desk-draft-1.pdf"


def test_the_pack_lists_every_response_with_its_reply(world):
    """Catches: the final report missing a response or its reply (issue 13 item 3)."""
    from planner.publishing import responses as r

    view, _ = _view(world)
    with world.session() as s:
        resp = r.submit_response(session=s, actor=world.actors["union"], draft_id=view.id,
                                 text="Keep desk cover at all three sites.")
        r.reply_to_response(session=s, actor=world.actors["hr"], response_id=resp.id,
                            reply="Accepted: the rota covers all three.", status="accepted",
                            expected_version=resp.version)
        s.commit()
        log = r.responses_frame(session=s, actor=world.actors["union"], structure=OPTION)
    document = docx.Document(io.BytesIO(pack_docx(view, None, log.to_dict(orient="records"))))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading 2")]
    assert headings[-1] == "8. Responses and replies"
    last = document.tables[-1]
    assert [c.text for c in last.rows[1].cells] == [
        "1", "the whole draft", "Keep desk cover at all three sites.", "accepted",
        "Accepted: the rota covers all three."]
    flat = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(
        pack_pdf(view, None, log.to_dict(orient="records")))).pages).split())
    assert "Accepted: the rota covers all three." in flat
