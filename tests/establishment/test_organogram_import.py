"""Importing a published organogram pair (issue 14) on files written from the specification:
every quirk the issue lists, the all-or-nothing rule with errors at the file's row and
heading, the salary-band grades, the summary of assumptions, the audit, and a
department-sized pair whose chart, spans, layers and cost then compute."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from benchmarks.organogram import synthetic_pair
from planner.core.config import Settings
from planner.core.errors import ValidationFailed
from planner.core.models import AuditEvent, Grade, Occupancy, Person, Post
from planner.establishment.organogram_import import (
    import_organogram,
    organogram_pair,
    prepare_organogram,
)
from planner.establishment.register import posts_frame
from tests.establishment.organogram_pair import (
    JUNIOR,
    JUNIOR_FILE,
    JUNIOR_ROWS,
    SENIOR,
    SENIOR_FILE,
    SENIOR_ROWS,
    junior_row,
    senior_row,
    to_csv,
)
from tests.factories import make_actors


def hr(session: Session):
    if "actors" not in session.info:
        session.info["actors"] = make_actors(session)
    return session.info["actors"]["hr"]


def load(session: Session, senior=SENIOR_FILE, junior=JUNIOR_FILE, settings=None):
    actor = hr(session)
    prepared = prepare_organogram(session=session, actor=actor, senior=senior, junior=junior,
                                  settings=settings)
    summary = import_organogram(session=session, actor=actor, prepared=prepared)
    session.flush()
    return summary


def refused(session: Session, senior=SENIOR_FILE, junior=JUNIOR_FILE, settings=None):
    actor = hr(session)
    with pytest.raises(ValidationFailed) as exc:
        prepare_organogram(session=session, actor=actor, senior=senior, junior=junior,
                           settings=settings)
    return [(e.sheet, e.row, e.column, e.message) for e in exc.value.errors]


def posts(session: Session):
    sid = session.exec(select(Post.structure_id)).first()
    return posts_frame(session, sid).set_index("post_id")


def test_senior_rows_become_posts_with_their_reporting_lines(session):
    s = load(session)
    p = posts(session)
    senior = p[p.index.isin(["A1", "B1", "B2", "C1", "C2", "T2", "T3"])]
    assert len(senior) == 7 and s.figures["senior_posts"] == 7
    assert p.loc["B1", "reports_to"] == "A1" and p.loc["C2", "reports_to"] == "B1"
    # XX, xx and a post reporting to itself are all top posts: several are allowed.
    assert set(s.figures["top_posts"]) == {"A1", "T2", "T3"}
    assert (p.loc[["A1", "T2", "T3"], "reports_to"] == "").all()
    assert p.loc["B1", "title"] == "Director of Finance" and p.loc["B1", "grade"] == "SCS2"
    assert p.loc["B1", "notes"] == "Leads director of finance"  # Job/Team Function
    assert "B3" not in p.index and "0" not in p.index


def test_eliminated_posts_are_not_created_and_their_reports_move_up(session):
    s = load(session)
    p = posts(session)
    assert p.loc["C1", "reports_to"] == "A1"  # C1 reported to the eliminated B3
    estates = p[p["title"] == "Estates Officer"]
    assert len(estates) == 2 and set(estates["reports_to"]) == {"A1"}
    assert s.figures["eliminated"] == 1
    assert any("Eliminated: not created" in a for a in s.assumptions)


def test_names_vacancies_and_job_shares(session):
    s = load(session)
    people = {r.employee_ref: r.name for r in session.exec(select(Person)).all()}
    # N/D stays undisclosed (no invented name); names are as published; Vacant has nobody.
    assert people == {"ORG-A1": "N/D", "ORG-B1": "Sam Example", "ORG-C1": "N/D",
                      "ORG-C2": "Alex Placeholder", "ORG-C2-2": "Jo Specimen", "ORG-T2": "N/D",
                      "ORG-T3": "N/D"}
    p = posts(session)
    assert p.loc["C2", "fte"] == "1"  # the job share: one post of the two rows' FTE
    occupied = {r for r in session.exec(
        select(Post.post_ref).join(Occupancy, Occupancy.post_id == Post.id)).all()}
    assert "B2" not in occupied  # Vacant: a vacancy
    assert (s.figures["undisclosed"], s.figures["named"], s.figures["vacancies"]) == (4, 3, 1)


def test_reference_zero_is_people_not_in_a_post_and_is_summarised(session):
    s = load(session)
    assert s.figures["not_in_post_rows"] == 1 and s.figures["not_in_post_fte"] == "1"
    assert any("post reference 0" in a and "row 11" in a for a in s.assumptions)


def test_junior_rows_split_into_whole_posts_and_keep_the_fte_exactly(session):
    s = load(session)
    p = posts(session)
    partners = p[p["title"] == "Finance Business Partner"]
    assert sorted(partners["fte"]) == ["0.5", "1", "1", "1"]
    assert set(partners["reports_to"]) == {"B1"} and set(partners["grade"]) == {"G7"}
    junior = p[p.index.str.startswith("J")]
    total = sum(Decimal(f) for f in junior["fte"])
    in_file = sum(Decimal(r[8]) for r in JUNIOR_ROWS if r[8])
    assert total == in_file == Decimal("10.35")
    assert s.figures["junior_fte"] == s.figures["junior_fte_in_file"] == "10.35"
    assert s.figures["junior_posts"] == 12
    assert any("5 junior rows of fractional or several FTE split into whole posts" in a
               and "(1 row of exactly 1 FTE made one post each)" in a
               for a in s.assumptions), s.assumptions


def test_a_junior_row_under_a_missing_senior_post_is_imported_without_a_manager(session):
    s = load(session)
    p = posts(session)
    orphans = p[p["title"] == "Administrative Officer"]
    assert sorted(orphans["fte"]) == ["0.6", "1"] and set(orphans["reports_to"]) == {""}
    assert any("not in the senior file" in a and "row 6 → Z9" in a for a in s.assumptions)


def test_blank_and_zero_junior_fte_make_no_post_and_are_said(session):
    s = load(session)
    assert any("0 FTE made no post" in a and "row 8" in a for a in s.assumptions)
    assert any("blank Number of Posts in FTE" in a and "row 9" in a for a in s.assumptions)


def test_unknown_grades_become_this_structures_salary_bands(session):
    s = load(session)
    bands = {g.name: (g.band_min_pence, g.band_max_pence, g.structure_id)
             for g in session.exec(select(Grade).where(Grade.structure_id.is_not(None))).all()}
    sid = s.structure_id
    assert bands == {
        "SCS3": (14_000_000, 14_499_900, sid), "SCS2": (9_500_000, 10_499_900, sid),
        "SCS1": (7_500_000, 8_499_900, sid), "G7": (5_000_000, 6_000_000, sid),
        "EO": (2_800_000, 3_200_000, sid), "HEO": (3_400_000, 3_900_000, sid),
        "AO": (2_300_000, 2_600_000, sid)}
    # PO3 is on the NJC list: used as it is, not added.
    assert session.exec(select(func.count()).select_from(Grade).where(Grade.name == "PO3")).one() == 1
    assert any("Costing 7 band grades at their maximum" in a for a in s.assumptions)


def test_reimporting_keeps_the_posts_and_updates_the_bands(session):
    load(session)
    rows = [r if r[0] != "A1" else senior_row("A1", "N/D", "SCS3", "Director General", "XX",
                                               floor="150000", ceiling="154999")
            for r in SENIOR_ROWS]
    s = load(session, senior=("senior.csv", to_csv(SENIOR, rows)))
    band = session.exec(select(Grade).where(Grade.name == "SCS3")).one()
    assert (band.band_min_pence, band.band_max_pence) == (15_000_000, 15_499_900)
    assert s.figures["grades_added"] == []
    assert any("given the bands this pair publishes: SCS3" in a for a in s.assumptions)


def test_the_import_is_audited_with_every_assumption(session):
    s = load(session)
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "organogram")).all()
    assert len(events) == 1 and events[0].action == "import"
    assert events[0].after["assumptions"] == list(s.assumptions)
    assert events[0].after["files"] == ["senior.csv", "junior.csv"]
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "structure",
                                                 AuditEvent.action == "import")).first()


def test_windows_1252_grade_heading_index_and_extra_columns(session):
    """A file saved as Excel's plain CSV (Windows-1252 £ and é), with a `Grade` heading, a
    leading index column and extra trailing columns: read, each said."""
    header = ["", *SENIOR, "Extra notes", "Checked by"]
    header[header.index("Grade (or equivalent)")] = "Grade"
    rows = [[str(i), *r, "x", "y"] for i, r in enumerate(SENIOR_ROWS)]
    rows[1][4] = "Directeur of Financé"
    senior = ("senior.csv", to_csv(header, rows, encoding="cp1252"))
    junior = ("junior.csv", to_csv([*JUNIOR, "Comment"], [[*r, "z"] for r in JUNIOR_ROWS],
                                   encoding="cp1252"))
    s = load(session, senior=senior, junior=junior)
    assert posts(session).loc["B1", "title"] == "Directeur of Financé"
    text = " ".join(s.assumptions)
    assert "an index a spreadsheet tool added" in text
    assert "2 columns the format does not have ignored (Extra notes, Checked by)" in text
    assert "junior.csv: 1 column the format does not have ignored (Comment)" in text
    assert "'Grade' read as 'Grade (or equivalent)'" in text
    assert "senior.csv was read as Windows-1252 text" in text


def test_blank_numbers_are_read_as_not_published(session):
    rows = [*SENIOR_ROWS, senior_row("D1", "N/D", "SCS1", "Deputy Director Tax", "A1",
                                     fte="", floor="N/D", ceiling="")]
    s = load(session, senior=("senior.csv", to_csv(SENIOR, rows)))
    assert posts(session).loc["D1", "fte"] == "1"
    assert any("blank or 0 FTE imported as 1.0 FTE" in a and "row 12" in a
               for a in s.assumptions)
    assert any("publish no pay" in a for a in s.assumptions)


def test_every_error_names_the_file_row_and_heading_and_nothing_is_written(session):
    rows = [*SENIOR_ROWS,
            senior_row("E1", "N/D", "SCS1", "Deputy Director", "A1", fte="one"),
            senior_row("E2", "N/D", "SCS1", "Deputy Director", "A1", floor="90000",
                       ceiling="80000"),
            senior_row("E3", "N/D", "SCS1", "Deputy Director", "A1", fte="1.5"),
            senior_row("E4", "N/D", "SCS1", "Cycle one", "E5"),
            senior_row("E5", "N/D", "SCS1", "Cycle two", "E4")]
    jrows = [*JUNIOR_ROWS, junior_row("B1", "EO", "Officer", "-2")]
    errors = refused(session, senior=("senior.csv", to_csv(SENIOR, rows)),
                     junior=("junior.csv", to_csv(JUNIOR, jrows)))
    assert ("senior.csv", 12, "FTE", "FTE 'one' is not a number.") in errors
    assert ("senior.csv", 13, "Actual Pay Ceiling (£)",
            "The pay ceiling £80,000 is below the floor £90,000.") in errors
    assert ("junior.csv", 10, "Number of Posts in FTE", "FTE '-2' must be 0 or more.") in errors
    # The establishment's own rules, moved back to the organogram file's row and heading.
    assert any(e[:3] == ("senior.csv", 14, "FTE") and "at most 1" in e[3] for e in errors)
    assert any(e[:3] == ("senior.csv", 15, "Reports to Senior Post")
               and "Reporting cycle: E4 → E5 → E4" in e[3] for e in errors), [
        e for e in errors if e[1] in (14, 15)]
    assert session.exec(select(func.count()).select_from(Post)).one() == 0
    assert session.exec(select(func.count()).select_from(Grade)
                        .where(Grade.structure_id.is_not(None))).one() == 0


def test_a_missing_column_is_an_error_at_the_header(session):
    header = [h for h in SENIOR if h != "Reports to Senior Post"]
    rows = [[v for h, v in zip(SENIOR, r, strict=True) if h != "Reports to Senior Post"]
            for r in SENIOR_ROWS]
    errors = refused(session, senior=("senior.csv", to_csv(header, rows)))
    assert errors == [("senior.csv", 1, "Reports to Senior Post",
                       "The required column 'Reports to Senior Post' is missing.")]


def test_long_grades_are_kept_and_a_grade_longer_than_the_register_holds_is_an_error(session):
    """Published files combine grade and job family ("Grade 7 - Information Technology"):
    kept whole up to 60 characters; longer is an error at its cell."""
    rows = [*SENIOR_ROWS, senior_row("F1", "N/D", "Grade 7 - Information Technology", "Lead",
                                     "A1"),
            senior_row("F2", "N/D", "G" * 61, "Lead", "A1")]
    errors = refused(session, senior=("senior.csv", to_csv(SENIOR, rows)))
    assert [e[:3] for e in errors] == [("senior.csv", 13, "Grade (or equivalent)")]
    assert "at most 60" in errors[0][3]
    s = load(session, senior=("senior.csv", to_csv(SENIOR, rows[:-1])))
    assert posts(session).loc["F1", "grade"] == "Grade 7 - Information Technology"
    assert any("Grade 7 - Information Technology (no pay published)" in a
               for a in s.assumptions)


def test_zero_pay_is_not_disclosed_and_long_text_is_cut_to_fit(session):
    """Published files put 0 in the pay of an undisclosed holder, and job/team functions can
    run past what the register holds."""
    rows = [*SENIOR_ROWS, senior_row("G1", "N/D", "SCS1", "Lead", "A1", floor="0",
                                     ceiling="0", function="x" * 2500)]
    s = load(session, senior=("senior.csv", to_csv(SENIOR, rows)))
    band = session.exec(select(Grade).where(Grade.name == "SCS1")).one()
    assert band.band_min_pence == 7_500_000  # the 0 did not become the band's floor
    notes = posts(session).loc["G1", "notes"]
    assert len(notes) == 2000 and notes.endswith("…")
    assert any("1 cell longer than the register holds" in a and "senior.csv row 12" in a
               for a in s.assumptions)


def test_the_establishment_limits_apply(session):
    errors = refused(session, settings=Settings(max_upload_bytes=100))
    assert errors[0][:2] == ("senior.csv", None) and "the limit is" in errors[0][3]
    bad = SENIOR_FILE[1].replace(b"Sam Example", b"Sam \x00Example")
    errors = refused(session, senior=("senior.csv", bad))
    assert errors[0][:3] == ("senior.csv", 3, "Name") and "NUL" in errors[0][3]
    errors = refused(session, settings=Settings(max_import_rows=5))
    assert any("more than the limit of 5 rows" in e[3] for e in errors)


def test_the_pair_is_recognised_by_its_headings_whatever_the_file_names():
    pair = organogram_pair([("b.csv", JUNIOR_FILE[1]), ("a.csv", SENIOR_FILE[1])])
    assert pair is not None and pair[0][0] == "a.csv" and pair[1][0] == "b.csv"
    assert organogram_pair([("posts.csv", b"post_id,title\n"), JUNIOR_FILE]) is None
    assert organogram_pair([SENIOR_FILE]) is None


def test_a_department_sized_pair_imports_and_charts_costs_and_spans(session):
    """Hundreds of senior posts, several top posts, hundreds of junior rows of fractional
    FTE: no error, FTE exact, and what the pages call works on it."""
    from planner.core.auth import SYSTEM
    from planner.structures import hierarchy
    from planner.structures.costing import cost_structure
    from planner.structures.layout import layout

    senior, junior = synthetic_pair(3_000, seed=3, top_posts=4)
    s = load(session, senior=("senior.csv", senior), junior=("junior.csv", junior))
    assert s.figures["senior_posts"] == 300 and len(s.figures["top_posts"]) == 4
    assert s.figures["junior_rows"] > 300 and s.figures["posts"] == 3_000
    assert s.figures["junior_fte"] == s.figures["junior_fte_in_file"]
    junior_text = junior.decode().splitlines()[1:]
    assert Decimal(s.figures["junior_fte"]) == sum(Decimal(line.split(",")[8])
                                                   for line in junior_text)
    h = hierarchy.load(session=session, actor=SYSTEM)
    d = h.summary()
    assert d["posts"] == 3_000 and len(d["roots"]) == 4 and d["layers"] >= 5
    assert d["span"]["managers"] > 100
    lay = layout(h, focus=h.tops[0], depth=3)
    assert h.tops[0] in set(lay.boxes["post_id"]) and not lay.truncated
    cost = cost_structure(session=session, actor=SYSTEM)
    assert cost.full_year_total > 0 and len(cost.by_post) == 3_000
    assert any("band's maximum" in w for w in cost.warnings)
