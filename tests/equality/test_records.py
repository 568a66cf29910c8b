"""Equality records: the baseline people they describe."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pandas as pd
from sqlmodel import select

from planner.core.models import Occupancy, Person, Post
from planner.equality.records import answers_by_employee, baseline_people_frame
from tests.factories import build_small_establishment


def people_one_row_at_a_time(session) -> pd.DataFrame:
    """baseline_people_frame as it was first written: a dict per person, a Fraction per row."""
    from planner.equality.records import baseline_structure

    base = baseline_structure(session)
    rows = session.exec(select(Person, Occupancy).join(Occupancy).join(Post)
                        .where(Post.structure_id == base.id)
                        .order_by(Person.employee_ref, Occupancy.id)).all()
    people: dict[int, dict] = {}
    for pe, oc in rows:
        rec = people.setdefault(pe.id, {"person_id": pe.id, "employee_id": pe.employee_ref,
                                        "name": pe.name, "contract": pe.contract,
                                        "date_of_birth": pe.date_of_birth, "fte": Fraction(0),
                                        "posts": []})
        rec["fte"] += Fraction(str(oc.fte))
        rec["posts"].append(int(oc.post_id))
    return pd.DataFrame(list(people.values()),
                        columns=["person_id", "employee_id", "name", "contract", "date_of_birth",
                                 "fte", "posts"])


def test_baseline_people_equal_the_row_by_row_reading(session):
    """Catches: the grouped read (issue 16) adding a person's FTEs as floats (0.7 + 0.1),
    losing a second post, or giving a column another type than before."""
    build_small_establishment(session)
    posts = {p.post_ref: p for p in session.exec(select(Post))}
    twice = Person(employee_ref="E0", name="Ann Ash", contract="permanent",
                   date_of_birth=dt.date(1980, 2, 29))
    session.add(twice)
    session.flush()
    session.add(Occupancy(person_id=twice.id, post_id=posts["O2"].id, fte=Decimal("0.1")))
    session.add(Occupancy(person_id=twice.id, post_id=posts["O1"].id, fte=Decimal("0.7")))
    session.commit()
    got, expected = baseline_people_frame(session), people_one_row_at_a_time(session)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    for column in got.columns:
        assert [type(v) for v in got[column]] == [type(v) for v in expected[column]], column
    ann = got.set_index("employee_id").loc["E0"]
    assert (ann["fte"], ann["posts"]) == (Fraction(4, 5), [posts["O2"].id, posts["O1"].id])


def test_answers_are_each_records_in_field_order_with_withdrawal(session):
    """Catches: the plain read of answers (issue 16) giving them in another order than
    EQUALITY_FIELDS', or losing a withdrawal."""
    from planner.core.models import EQUALITY_FIELDS, EqualityRecord
    from planner.equality.records import records_by_employee

    session.add(EqualityRecord(employee_ref="E1", sex="Female", ethnicity="Mixed",
                               pregnancy_maternity="No"))
    session.add(EqualityRecord(employee_ref="E2", disability="Disabled", withdrawn=True))
    session.commit()
    records = records_by_employee(session)
    assert answers_by_employee(session) == {
        ref: (r.withdrawn, tuple(getattr(r, f) for f in EQUALITY_FIELDS))
        for ref, r in records.items()}
    assert answers_by_employee(session)["E2"][0] is True
