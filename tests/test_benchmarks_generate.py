"""The benchmark generator makes a valid establishment: catches a benchmark that times the
importer rejecting a broken file instead of importing a good one."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from sqlmodel import func, select

from benchmarks.generate import (
    PEOPLE_COLUMNS,
    POST_COLUMNS,
    generate,
    level_sizes,
    load_grades,
    to_csv_files,
    to_xlsx_file,
)
from planner.core.models import Occupancy, Person, Post
from planner.establishment.importer import import_establishment
from planner.establishment.readers import read_upload
from planner.establishment.reference import grade_table, partner_names
from planner.establishment.validation import validate_tables
from tests.factories import make_actors

N = 1_000


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate(N, seed=7)


def depths(posts: pd.DataFrame) -> pd.Series:
    """Levels below the root (root = 1), by walking reports_to; independent of the generator."""
    parent = posts.set_index("post_id")["reports_to"]
    depth = pd.Series(1, index=parent.index)
    current = parent.copy()
    while (current != "").any():
        alive = current != ""
        depth[alive] += 1
        current[alive] = parent.reindex(current[alive]).to_numpy()
        assert depth.max() <= len(posts), "cycle"
    return depth


def test_columns_are_the_interchange_format(frames):
    posts, people = frames
    assert list(posts.columns) == POST_COLUMNS
    assert list(people.columns) == PEOPLE_COLUMNS
    assert len(posts) == N


def test_ids_unique_and_references_resolve(frames):
    posts, people = frames
    assert posts["post_id"].is_unique
    assert people["employee_id"].is_unique
    managers = posts.loc[posts["reports_to"] != "", "reports_to"]
    assert managers.isin(posts["post_id"]).all()
    assert people["post_id"].isin(posts["post_id"]).all()


def test_one_root_spans_and_depth(frames):
    posts, _ = frames
    assert (posts["reports_to"] == "").sum() == 1
    spans = posts.loc[posts["reports_to"] != "", "reports_to"].value_counts()
    assert spans.between(3, 12).all(), spans[~spans.between(3, 12)]
    depth = depths(posts)
    assert depth.max() <= 8
    assert depth.max() >= 4  # a real hierarchy, not a flat list


@pytest.mark.parametrize("n", [4, 10, 14, 100, 1_000, 10_000, 50_000])
def test_level_plan_fits_the_rules(n):
    sizes = level_sizes(n)
    assert sum(sizes) == n and sizes[0] == 1 and len(sizes) <= 8
    assert all(3 <= c <= 12 * m for m, c in zip(sizes, sizes[1:], strict=False))


def test_grades_managers_above_reports_and_root_senior(frames):
    posts, people = frames
    rank = {g: i for i, g in enumerate(load_grades()["grade"])}
    assert posts["grade"].isin(rank).all()
    by_id = posts.set_index("post_id")
    child = posts[posts["reports_to"] != ""]
    mine = child["grade"].map(rank).to_numpy()
    boss = by_id.loc[child["reports_to"], "grade"].map(rank).to_numpy()
    assert (boss > mine).all()
    root = posts[posts["reports_to"] == ""].iloc[0]
    assert root["grade"] == "SM3"
    in_root = people[people["post_id"] == root["post_id"]]
    assert len(in_root) == 1 and in_root["annual_salary"].iloc[0] != ""


def test_people_pay_contracts_and_fte(frames):
    posts, people = frames
    grades = load_grades().set_index("grade")
    by_id = posts.set_index("post_id")
    employees = people[people["contract"].isin(["permanent", "fixed_term"])]
    cover = people[people["contract"].isin(["interim", "agency"])]
    assert len(employees) + len(cover) == len(people)
    grade = by_id.loc[employees["post_id"], "grade"].to_numpy()
    scp = employees["scp"].astype(int).to_numpy()
    assert (scp >= grades.loc[grade, "min_scp"].to_numpy()).all()
    assert (scp <= grades.loc[grade, "max_scp"].to_numpy()).all()
    assert (employees["day_rate"] == "").all()
    assert (cover["scp"] == "").all() and (cover["day_rate"] != "").all()
    assert (cover["annual_salary"] == "").all()
    occupied = people.assign(fte=people["fte"].astype(float)).groupby("post_id")["fte"].sum()
    post_fte = by_id.loc[occupied.index, "fte"].astype(float)
    assert (occupied <= post_fte + 1e-9).all()
    # Roughly 70% filled, 15% covered, 15% vacant.
    filled = posts["post_id"].isin(employees["post_id"]).mean()
    covered = posts["post_id"].isin(cover["post_id"]).mean()
    assert 0.65 < filled < 0.75 and 0.11 < covered < 0.19
    assert not set(employees["post_id"]) & set(cover["post_id"])
    assert posts["partner"].isin(["shared", "Brent", "Lewisham", "Southwark", "LGA"]).all()
    assert posts["funding"].isin(["base", "project"]).all()


def test_dates_are_iso_and_ages_plausible(frames):
    _, people = frames
    on = dt.date(2026, 4, 1)
    dob = pd.to_datetime(people["date_of_birth"], format="%Y-%m-%d")
    start = pd.to_datetime(people["start_date"], format="%Y-%m-%d")
    age = (pd.Timestamp(on) - dob).dt.days / 365.25
    assert age.between(21, 65).all()
    assert ((start - dob).dt.days / 365.25 >= 18).all()
    css = people["continuous_service_date"]
    has = css != ""
    assert (pd.to_datetime(css[has], format="%Y-%m-%d") <= start[has]).all()
    tupe = people["tupe_transfer_date"] != ""
    assert people.loc[tupe, "origin"].str.endswith("by TUPE").all()


def test_same_seed_same_establishment():
    a, b = generate(200, seed=3), generate(200, seed=3)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert not generate(200, seed=4)[0].equals(a[0])


def test_files_round_trip_through_pandas(frames):
    posts, people = frames
    csv = dict(to_csv_files(posts, people))
    back = pd.read_csv(io.BytesIO(csv["posts.csv"]), dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, posts, check_dtype=False)
    (name, data), = to_xlsx_file(posts.head(50), people.head(50))
    assert name.endswith(".xlsx")
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert list(sheets) == ["posts", "people"]
    assert np.isclose(sheets["people"]["fte"].sum(), people.head(50)["fte"].astype(float).sum())


def _import(session, actor, files):
    summary = import_establishment(session=session, actor=actor, files=files)
    session.commit()
    return summary


def _counts(session) -> tuple[int, int, int]:
    return (session.exec(select(func.count()).select_from(Post)).one(),
            session.exec(select(func.count()).select_from(Person)).one(),
            session.exec(select(func.count()).select_from(Occupancy)).one())


def test_generated_csv_imports_without_errors(session, frames):
    posts, people = frames
    hr = make_actors(session)["hr"]
    _import(session, hr, to_csv_files(posts, people))
    assert _counts(session) == (len(posts), len(people), len(people))


def test_generated_xlsx_imports_without_errors(session, frames):
    posts, people = frames
    hr = make_actors(session)["hr"]
    _import(session, hr, to_xlsx_file(posts, people))
    assert _counts(session) == (len(posts), len(people), len(people))


@pytest.mark.parametrize("n", [10_000, 50_000])
def test_benchmark_sizes_pass_every_rule(session, n):
    """The sizes the benchmarks time are valid too (checked without writing, to stay quick)."""
    posts, people = generate(n, seed=0)
    tables, errors = read_upload(to_csv_files(posts, people))
    assert errors == []
    errors = validate_tables(tables, grades=grade_table(session),
                             partner_names=partner_names(session), today=dt.date(2026, 11, 27))
    assert errors[:5] == []
    depth = depths(posts)
    assert 4 <= depth.max() <= 8
    spans = posts.loc[posts["reports_to"] != "", "reports_to"].value_counts()
    assert spans.between(3, 12).all()
