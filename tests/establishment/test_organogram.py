"""The organogram mapping on its own (planner.establishment.organogram, issue 14): headings
as real files spell them, published numbers, and the pair mapped with no database."""

from __future__ import annotations

from decimal import Decimal

from planner.establishment.organogram import (
    heading_key,
    map_organogram,
    parse_fte,
    parse_pounds,
)
from planner.establishment.readers import read_raw_csv
from planner.establishment.reference import GradeBand
from tests.establishment.organogram_pair import (
    JUNIOR_FILE,
    SENIOR,
    SENIOR_FILE,
    SENIOR_ROWS,
    to_csv,
)

NJC = {"PO3": GradeBand("PO3", 37, 40, 11)}


def mapped(senior: bytes = SENIOR_FILE[1], junior: bytes = JUNIOR_FILE[1]):
    s, errors = read_raw_csv("senior.csv", senior)
    j, more = read_raw_csv("junior.csv", junior)
    assert errors == more == [] and s is not None and j is not None
    return map_organogram(s, j, senior_file="senior.csv", junior_file="junior.csv", grades=NJC)


def test_headings_are_compared_as_real_files_spell_them():
    assert heading_key("Actual Pay Floor (£)") == "actual pay floor"
    assert heading_key(" Actual  Pay Floor (Â£) ") == "actual pay floor"  # UTF-8 read as 1252
    assert heading_key("\ufeffPost Unique Reference") == "post unique reference"
    assert heading_key("Grade (or equivalent)") == "grade (or equivalent)"


def test_published_numbers():
    assert parse_pounds("£70,000") == (7_000_000, None)
    assert parse_pounds("N/D") == parse_pounds("N/A") == parse_pounds("") == (None, None)
    assert parse_pounds("lots")[1] == "'lots' is not an amount in pounds (or blank, or N/D)."
    assert parse_fte("0.50") == (Decimal("0.50"), None)
    assert parse_fte("") == (None, None)
    assert parse_fte("0.12345")[1] == "FTE '0.12345' has more than four decimal places."


def test_the_pair_maps_to_posts_and_people_with_no_database():
    m = mapped()
    assert m.errors == []
    posts = m.tables.posts.set_index("post_id")
    assert len(posts) == 19 and posts.loc["C1", "reports_to"] == "A1"
    assert list(m.tables.people["name"]).count("N/D") == 4
    assert m.senior_refs == ["A1", "B1", "B2", "C1", "C2", "T2", "T3"]
    assert [g.name for g in m.new_grades] == ["AO", "EO", "HEO", "G7", "SCS1", "SCS2", "SCS3"]
    assert [g.sort_order for g in m.new_grades] == list(range(1000, 1007))
    # Each table row knows the organogram file and row it came from, for the error messages.
    assert m.origin["posts"][0] == ("senior.csv", 2)
    assert m.origin["posts"][7] == ("junior.csv", 2)


def test_a_total_pay_heading_is_part_of_the_format_not_an_extra_column():
    header = [h or "Total Pay (£)" for h in SENIOR]
    m = mapped(senior=to_csv(header, SENIOR_ROWS))
    assert m.errors == [] and not any("ignored" in a for a in m.assumptions)


def test_a_values_column_with_no_heading_elsewhere_is_ignored_and_said():
    header = [*SENIOR, ""]
    m = mapped(senior=to_csv(header, [[*r, "stray"] for r in SENIOR_ROWS]))
    assert any("1 column the format does not have ignored (column 20 (no heading))" in a
               for a in m.assumptions), m.assumptions
