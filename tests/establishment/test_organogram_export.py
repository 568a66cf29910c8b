"""Writing the establishment or an option as a published organogram (issue 14): the pair in
£5,000 bands with every name N/D unless a setting allows names, the Local Government
Transparency Code senior salaries table, and export → import giving back the same posts,
reporting lines, grades and FTE."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter

from sqlmodel import Session, select

from planner.core.config import Settings
from planner.core.models import Person, Structure
from planner.establishment.organogram_export import (
    band_ceiling,
    band_floor,
    organogram_files,
    organogram_tables,
    organogram_zip,
)
from planner.establishment.organogram_import import import_organogram, prepare_organogram
from planner.establishment.register import posts_frame
from tests.establishment.organogram_pair import JUNIOR_FILE, SENIOR_FILE
from tests.factories import build_small_establishment, make_actors


def actors(session: Session):
    if "actors" not in session.info:
        session.info["actors"] = make_actors(session)
    return session.info["actors"]


def load(session: Session, senior=SENIOR_FILE, junior=JUNIOR_FILE):
    actor = actors(session)["hr"]
    prepared = prepare_organogram(session=session, actor=actor, senior=senior, junior=junior)
    summary = import_organogram(session=session, actor=actor, prepared=prepared)
    session.flush()
    return summary


def baseline_posts(session: Session):
    sid = session.exec(select(Structure.id).where(Structure.kind == "baseline")).one()
    return posts_frame(session, sid)


def shape(frame) -> tuple[Counter, set[str]]:
    """The posts as the round trip must keep them: every post's manager, grade, title and
    FTE (junior posts' references are the import's own), and the senior references."""
    return (Counter(zip(frame["reports_to"], frame["grade"], frame["title"], frame["fte"],
                        strict=True)),
            set(frame.loc[~frame["post_id"].str.match(r"^J\d+-\d+$"), "post_id"]))


def read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_export_then_import_gives_back_the_same_posts(session):
    load(session)
    before = baseline_posts(session)
    files = organogram_files(session=session, actor=actors(session)["hr"])
    load(session, senior=("senior.csv", files["senior.csv"]),
         junior=("junior.csv", files["junior.csv"]))
    after = baseline_posts(session)
    assert len(after) == len(before) == 19
    assert shape(after) == shape(before)
    # The reporting lines, by reference, of every senior post.
    senior = before[~before["post_id"].str.startswith("J")]
    again = after.set_index("post_id").loc[senior["post_id"], "reports_to"].tolist()
    assert again == senior["reports_to"].tolist()


def test_a_council_establishment_round_trips_its_posts(session):
    """An establishment not from an organogram: managers and top posts are senior, the rest
    junior counts under their manager; a part-time post keeps its own row."""
    build_small_establishment(session)
    before = baseline_posts(session)
    files = organogram_files(session=session, actor=actors(session)["hr"])
    senior = read(files["senior.csv"])
    assert {r["Post Unique Reference"] for r in senior} == {"H1", "M1"}
    assert [(r["Name"], r["FTE"]) for r in senior if r["Post Unique Reference"] == "M1"] == [
        ("N/D", "0.5"), ("N/D", "0.5")]  # a job share: one row per holder
    junior = read(files["junior.csv"])
    officers = sorted((r["Grade"], r["Number of Posts in FTE"]) for r in junior
                      if r["Generic Job Title"] == "Officer")
    assert officers == [("PO1", "1.00"), ("PO2", "0.50"), ("PO2", "1.00")]
    load(session, senior=("senior.csv", files["senior.csv"]),
         junior=("junior.csv", files["junior.csv"]))
    assert shape(baseline_posts(session))[0] == shape(before)[0]


def test_salary_cost_of_reports_is_the_junior_posts_at_their_costing_point(session):
    """B1's junior staff: 3.5 FTE of G7 (£50,000–£60,000) and 1 of EO (£28,000–£32,000), at
    the band's maximum: £242,000 exactly; at the midpoint, £222,500."""
    load(session)
    hr = actors(session)["hr"]

    def cost(settings=None):
        senior = read(organogram_files(session=session, actor=hr, settings=settings)["senior.csv"])
        return next(r["Salary Cost of Reports (£)"] for r in senior
                    if r["Post Unique Reference"] == "B1")

    assert cost() == "242000"
    assert cost(Settings(band_cost_point="mid")) == "222500"


def test_names_are_nd_unless_the_setting_allows_them(session):
    load(session)
    hr = actors(session)["hr"]
    senior = read(organogram_files(session=session, actor=hr)["senior.csv"])
    assert {r["Name"] for r in senior} == {"N/D", "Vacant"}
    named = read(organogram_files(session=session, actor=hr, settings=Settings(
        organogram_publish_names=True))["senior.csv"])
    assert {"Sam Example", "Alex Placeholder", "Jo Specimen"} <= {r["Name"] for r in named}
    assert session.exec(select(Person).where(Person.name == "Sam Example")).one()


def test_pay_is_published_in_five_thousand_pound_bands(session):
    build_small_establishment(session)
    senior = read(organogram_files(session=session, actor=actors(session)["hr"])["senior.csv"])
    for r in senior:
        floor, ceiling = int(r["Actual Pay Floor (£)"]), int(r["Actual Pay Ceiling (£)"])
        assert floor % 5_000 == 0 and ceiling % 5_000 in (0, 4_999) and ceiling > floor
    h1 = next(r for r in senior if r["Post Unique Reference"] == "H1")
    assert (h1["Actual Pay Floor (£)"], h1["Actual Pay Ceiling (£)"]) == ("80000", "84999")
    assert (band_floor(83_210), band_ceiling(83_210)) == (80_000, 84_999)
    assert (band_ceiling(75_000), band_ceiling(74_999)) == (75_000, 74_999)


def test_the_senior_salaries_table_lists_posts_over_fifty_thousand(session):
    load(session)
    tables = organogram_tables(session=session, actor=actors(session)["hr"])
    table = tables["senior_salaries"]
    assert list(table.columns) == [
        "Post Unique Reference", "Name", "Job Title", "Responsibilities", "Grade",
        "Salary Band Floor (£)", "Salary Band Ceiling (£)", "FTE", "Reports to Senior Post",
        "Reports to (Job Title)"]
    # PO3 (SCP 37-40) tops £50,000 on the spine; EO, HEO and AO do not.
    assert set(table["Grade"]) == {"SCS3", "SCS2", "SCS1", "G7", "PO3"}
    b1 = table[table["Post Unique Reference"] == "B1"].iloc[0]
    assert (b1["Job Title"], b1["Responsibilities"], b1["Reports to Senior Post"],
            b1["Reports to (Job Title)"]) == ("Director of Finance", "Leads director of finance",
                                             "A1", "Director General")
    assert (table["Name"] != "Sam Example").all()


def test_an_option_exports_its_own_posts_as_a_zip(session):
    from planner.structures.options import create_option

    load(session)
    hr = actors(session)["hr"]
    option = create_option(session=session, actor=actors(session)["manager"], name="Option A")
    data = organogram_zip(session=session, actor=hr, structure_id=option.id)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["junior.csv", "senior.csv", "senior_salaries.csv"]
        senior = read(zf.read("senior.csv"))
        junior = read(zf.read("junior.csv"))
    # The option carries the baseline's holders: C2's job share is two rows again.
    assert [r["FTE"] for r in senior if r["Post Unique Reference"] == "C2"] == ["0.5", "0.5"]
    assert sum(float(r["Number of Posts in FTE"]) for r in junior) == 10.35
