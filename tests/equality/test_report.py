"""The Word summary: opened again with python-docx and read cell by cell.

Hand-built checkpoints and a hand-built suppressed analysis check the seeds' table shape;
the six-post establishment with equality answers, analysed for real, checks that no
person's name or answer reaches the file and that an unsuppressed analysis is refused.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from docx import Document
from sqlmodel import select

from planner.core.models import EQUALITY_FIELDS, Person, Post
from planner.equality import analysis as eq
from planner.equality import checkpoints as eq_checkpoints
from planner.equality import records as eq_records
from planner.equality import rules as eq_rules
from planner.equality.display import analysis_display
from planner.equality.report import IMPACT_HEADINGS, UnsuppressedExport, impact_rows, summary_docx
from planner.establishment.register import PostEdits
from planner.structures.options import create_option, edit_option_posts
from tests.charts.test_equality import TABLE
from tests.equality.test_analysis import one_apart  # noqa: F401 (a fixture)
from tests.factories import build_small_establishment, make_actors

TODAY = dt.date(2026, 11, 27)


def _impacts(decided: dict[str, tuple[str, str, str]]) -> pd.DataFrame:
    rows = []
    for key, label in eq_rules.CHARACTERISTICS:
        impact, evidence, mitigation = decided.get(key, ("not yet known", "", ""))
        rows.append({"characteristic": key, "label": label, "impact": impact,
                     "evidence": evidence, "mitigation": mitigation})
    return pd.DataFrame(rows, columns=eq_checkpoints.IMPACT_COLUMNS)


def _checkpoints() -> list[eq_checkpoints.Checkpoint]:
    stage1 = _impacts({key: ("neutral", "No differential impact.", "")
                       for key, _ in eq_rules.CHARACTERISTICS}
                      | {"age": ("negative", "Older staff are over-represented in deleted posts.",
                                 "Redeployment register first; pension advice.")})
    stage2 = _impacts({"sex": ("positive", "More part-time posts.", "")})
    names = dict(eq_checkpoints.STAGES)
    return [
        eq_checkpoints.Checkpoint(stage=1, name=names[1], due_on=dt.date(2026, 2, 2),
                      signed_off_by="Harriet Rowe", signed_off_at=dt.datetime(2026, 3, 3, 10, 0),
                      version=3, impacts=stage1),
        eq_checkpoints.Checkpoint(stage=2, name=names[2], due_on=None, signed_off_by="",
                      signed_off_at=None, version=1, impacts=stage2),
        eq_checkpoints.Checkpoint(stage=3, name=names[3], due_on=None, signed_off_by="",
                      signed_off_at=None, version=0, impacts=_impacts({})),
    ]


def _analysis(*, suppressed: bool = True, threshold: int = 10) -> eq.EqualityAnalysis:
    return eq.EqualityAnalysis(
        structure_id=7, structure_name="Option 1: single service desk", suppressed=suppressed,
        threshold=threshold, service_total=40, at_risk_total=10, at_risk_text="10",
        table=TABLE,
        grade_mix=pd.DataFrame({"grade": ["SO1", "PO2"], "before": [6, 4], "after": [5, 4]}),
        part_time=pd.DataFrame({"when": ["Before", "After"],
                                "employees": pd.array([40, 30], dtype="Int64"),
                                "part_time": pd.array([10, 6], dtype="Int64"),
                                "share": [0.25, 0.2]}),
        warnings=["Fewer than 20 people are at risk: treat any difference with caution."])


def _open(data: bytes):
    return Document(io.BytesIO(data))


def _cells(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def _all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


@pytest.mark.parametrize(("impact", "marks", "comment"), [
    ("positive", ["Yes", "No", "No"], "Why\nMitigation: How"),
    ("negative", ["No", "Yes", "No"], "Why\nMitigation: How"),
    ("neutral", ["No", "No", "Yes"], "Why\nMitigation: How"),
    ("not yet known", ["—", "—", "—"], "Not yet assessed.\nWhy\nMitigation: How"),
])
def test_impact_rows_mark_one_column(impact, marks, comment):
    """Catches: an impact marked under the wrong heading, or "not yet known" read as a
    'No' everywhere (which looks like a decision)."""
    frame = pd.DataFrame([{"characteristic": "age", "label": "Age", "impact": impact,
                           "evidence": "Why", "mitigation": "How"}])
    assert impact_rows(frame) == [["Age", *marks, comment]]


def test_one_table_per_stage_in_the_seeds_shape():
    """Catches: stages out of order, a missing characteristic, or sign-off not shown."""
    doc = _open(summary_docx(_analysis(), list(reversed(_checkpoints())),
                             organisation="Brent and Lewisham shared service", today=TODAY))
    assert len(doc.tables) == 6  # three stages, the analysis, grade mix, part time
    stage1, stage2, stage3 = (_cells(t) for t in doc.tables[:3])
    assert stage1[0] == list(IMPACT_HEADINGS)
    assert [r[0] for r in stage1[1:]] == [label for _, label in eq_rules.CHARACTERISTICS]
    assert stage1[1] == ["Age", "No", "Yes", "No",
                         "Older staff are over-represented in deleted posts.\n"
                         "Mitigation: Redeployment register first; pension advice."]
    assert stage1[2] == ["Disability", "No", "No", "Yes", "No differential impact."]
    sex = next(r for r in stage2 if r[0] == "Sex")
    assert sex == ["Sex", "Yes", "No", "No", "More part-time posts."]
    assert all(r[1:4] == ["—", "—", "—"] for r in stage3[1:])
    text = _all_text(doc)
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[1:4] == [name for _, name in eq_checkpoints.STAGES]
    assert "Due: 2 Feb 2026. Signed off by Harriet Rowe on 3 Mar 2026." in text
    assert "Due: not set. Not signed off yet." in text
    assert "Summary prepared on 27 Nov 2026" in text


def test_the_analysis_table_prints_the_suppressed_texts():
    """Catches: the raw (hidden) count written instead of "<10", or the warnings dropped."""
    doc = _open(summary_docx(_analysis(), _checkpoints(), organisation="Org", today=TODAY))
    analysis = _cells(doc.tables[3])
    assert analysis[0][:4] == ["Characteristic", "Group", "Whole service", "At risk"]
    assert analysis[4] == ["Disability", "yes", "10", "<10", "25%", "—", "—", "—"]
    assert analysis[3][6] == "3.00 (higher)"
    assert _cells(doc.tables[4])[1:] == [["SO1", "6", "5"], ["PO2", "4", "4"]]
    assert _cells(doc.tables[5])[1:] == [["Before", "25% (10 of 40)"],
                                         ["After", "20% (6 of 30)"]]
    text = _all_text(doc)
    assert "Fewer than 20 people are at risk" in text
    assert "shown as \"<10\"; \"*\" marks a figure hidden" in text


def test_the_threshold_of_five_is_named_as_such():
    """Catches: the note hard-coding 10 when the organisation suppresses under 5."""
    doc = _open(summary_docx(_analysis(threshold=5), _checkpoints(), organisation="Org",
                             today=TODAY))
    assert "shown as \"<5\"" in _all_text(doc)


def test_an_unsuppressed_analysis_is_never_exported():
    """Catches: hr's unsuppressed view leaking into a file that leaves the planner."""
    with pytest.raises(UnsuppressedExport):
        summary_docx(_analysis(suppressed=False), _checkpoints(), organisation="Org",
                     today=TODAY)


def _real_option(session) -> tuple[dict, int]:
    """The six-post establishment with everyone's answers, and an option deleting O3 and M1
    (so Eli Fox and the two job-sharers are at risk)."""
    build_small_establishment(session)
    actors = make_actors(session)
    refs = [p.employee_ref for p in session.exec(select(Person)).all()]
    eq_records.save_equality_records(session=session, actor=actors["hr"], rows=[
        {"employee_id": ref, **dict.fromkeys(EQUALITY_FIELDS, ""),
         "sex": "female" if i % 2 else "male", "disability": "no",
         "withdrawn": False, "version": 0} for i, ref in enumerate(refs)])
    option = create_option(session=session, actor=actors["manager"], name="Option 1")
    versions = {p.post_ref: p.version for p in session.exec(
        select(Post).where(Post.structure_id == option.id)).all()}
    edit_option_posts(session=session, actor=actors["manager"], structure=option.id,
                      edits=PostEdits(deleted=["O3"], versions={"O3": versions["O3"]}))
    session.commit()
    return actors, option.id


def test_a_real_summary_holds_no_persons_name_and_refuses_hr_unsuppressed(session):
    """Catches: names or individual answers reaching the export, or a caller slipping the
    unsuppressed analysis (which hr and admin may view) into the file."""
    actors, option_id = _real_option(session)
    names = [p.name for p in session.exec(select(Person)).all()]
    analysis = eq.analyse(session=session, actor=actors["hr"], structure=option_id)
    cps = eq_checkpoints.checkpoints(session=session, actor=actors["hr"], structure=option_id)
    doc = _open(summary_docx(analysis, cps, organisation="Org", today=TODAY))
    text = _all_text(doc)
    assert "<10" in text  # six people: every count is under the threshold
    for name in names:
        assert name not in text
    for ref in ("E1", "E2", "E3", "E4", "I1", "A1"):
        assert f"\n{ref}\n" not in f"\n{text}\n"
    unsuppressed = eq.analyse(session=session, actor=actors["hr"], structure=option_id,
                              unsuppressed=True)
    with pytest.raises(UnsuppressedExport):
        summary_docx(unsuppressed, cps, organisation="Org", today=TODAY)


@pytest.mark.usefixtures("one_apart")
def test_a_union_reps_summary_is_suppressed_with_the_other_published_options(session):
    """Catches: the Word summary built from a table suppressed on its own, which would give a
    union rep "Married 12" in A's file beside "13" in B's (issue 10); the file must hold the
    jointly suppressed figures and say which options they were suppressed with."""
    actors = make_actors(session)
    hr = actors["hr"]
    texts = {}
    read: list[eq.ReadView] = []
    for name in ("A", "B"):
        # The figures a draft of each gives a union rep (issue 13: their only view), B's
        # suppressed against A's as it was published.
        analysis = eq.analyse(session=session, actor=hr, structure=f"Option {name}",
                              for_union=True, read=read)
        cps = eq_checkpoints.checkpoints(session=session, actor=hr, structure=f"Option {name}")
        doc = _open(summary_docx(analysis, cps, organisation="Org", today=TODAY))
        rows = _cells(doc.tables[-3])
        assert rows[1:] == analysis_display(analysis.table).astype(str).to_numpy().tolist()
        said = "suppressed against the 1 draft already published"
        assert (said in _all_text(doc)) == (name == "B")
        texts[name] = {(r[0], r[1]): r[3] for r in rows[1:]}
        basis = eq.equality_basis(session, hr, f"Option {name}", dt.date.today())
        read.append(eq.ReadView(at_risk=frozenset(basis["at_risk"]),
                                table=analysis.as_dict()["table"], threshold=analysis.threshold))
        assert analysis.at_risk_total == len(basis["at_risk"])
    married = ("Marriage and civil partnership", "Married")
    assert (texts["A"][married], texts["B"][married]) != ("12", "13")
    none = ("Religion or belief", "No religion")
    assert (texts["A"][none], texts["B"][none]) != ("<10", "10")
