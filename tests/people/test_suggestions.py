"""Slot-in, pool and redeployment suggestions (issue 12): pure functions over frames, cases
small enough to score by hand; and a property that nobody is suggested twice."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.core.errors import PermissionDenied
from planner.people import suggestions as sg

RANK = {"SO1": 1, "PO1": 2, "PO2": 3, "PO3": 4, "PO4": 5}


def people(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"employee_id": e, "grade": g, "team": t, "division": "Digital",
                          "title": title} for e, g, t, title in rows])


def posts(*rows: tuple[str, str, str, str], places: int = 1) -> pd.DataFrame:
    return pd.DataFrame([{"post_id": p, "grade": g, "team": t, "division": "Digital",
                          "title": title, "places": places} for p, g, t, title in rows])


def test_scores_by_hand():
    """Same grade 50 + same team 20 + identical title 30 = 100; adjacent grade 30 + same
    division 10 + identical title 30 = 70; two grades apart: no pair at all."""
    s = sg.match_scores(people(("E1", "PO3", "Desk", "Analyst")),
                        posts(("N1", "PO3", "Desk", "Analyst"), ("N2", "PO4", "Other", "Analyst"),
                              ("N3", "SO1", "Desk", "Analyst")), RANK)
    assert dict(zip(s["post_id"], s["score"], strict=True)) == {"N1": 100, "N2": 70}


def test_a_duties_match_overrides_the_proxy():
    s = sg.match_scores(people(("E1", "PO3", "Desk", "Analyst")),
                        posts(("N1", "PO3", "Desk", "Analyst")), RANK, {("E1", "N1"): 40})
    assert (int(s.at[0, "score"]), s.at[0, "basis"]) == (40, "duties match")


def test_one_match_one_post_is_a_slot_in():
    out = sg.suggest(people(("E1", "PO3", "Desk", "Analyst"), ("E2", "SO1", "Desk", "Clerk")),
                     posts(("N1", "PO3", "Desk", "Analyst")), RANK)
    assert out.slot_ins.to_dict("records") == [{"employee_id": "E1", "post_id": "N1",
                                                "score": 100}]
    assert out.pools.empty and out.at_risk == ["E2"]


def test_three_candidates_for_two_alike_posts_are_a_pool():
    out = sg.suggest(people(("E1", "PO3", "Desk", "Analyst"), ("E2", "PO3", "Desk", "Analyst"),
                            ("E3", "PO3", "Desk", "Analyst")),
                     posts(("N1", "PO3", "Desk", "Analyst"), ("N2", "PO3", "Desk", "Analyst")),
                     RANK)
    assert out.slot_ins.empty
    assert out.pools.to_dict("records") == [{"post_ids": ["N1", "N2"], "places": 2,
                                             "candidates": ["E1", "E2", "E3"]}]


def test_two_candidates_for_two_alike_posts_are_two_slot_ins():
    out = sg.suggest(people(("E1", "PO3", "Desk", "Analyst"), ("E2", "PO3", "Desk", "Analyst")),
                     posts(("N1", "PO3", "Desk", "Analyst"), ("N2", "PO3", "Desk", "Analyst")),
                     RANK)
    assert sorted(zip(out.slot_ins["employee_id"], out.slot_ins["post_id"], strict=True)) == [
        ("E1", "N1"), ("E2", "N2")]


def test_the_threshold_is_the_councils():
    """Adjacent grade, other team, same title: 30 + 10 + 30 = 70. At 70 a slot-in; at 80 not."""
    who = people(("E1", "PO3", "Desk", "Analyst"))
    post = posts(("N1", "PO4", "Other", "Analyst"))
    assert len(sg.suggest(who, post, RANK, threshold=70).slot_ins) == 1
    assert sg.suggest(who, post, RANK, threshold=80).at_risk == ["E1"]


def test_a_post_already_filled_is_not_offered():
    out = sg.suggest(people(("E1", "PO3", "Desk", "Analyst")),
                     posts(("N1", "PO3", "Desk", "Analyst"), places=0), RANK)
    assert out.slot_ins.empty and out.at_risk == ["E1"]


def test_a_persons_own_continuing_post_comes_first():
    """E1's post continues as N1 (moved): theirs, even though E2 matches it as well."""
    out = sg.suggest(people(("E1", "PO3", "Desk", "Analyst"), ("E2", "PO3", "Desk", "Analyst")),
                     posts(("N1", "PO3", "Desk", "Analyst")), RANK, own={"E1": "N1"})
    assert out.slot_ins.to_dict("records") == [{"employee_id": "E1", "post_id": "N1",
                                                "score": 100}]
    assert out.at_risk == ["E2"]


def test_redeployment_puts_family_leave_first_and_ends_the_trial_after_four_weeks():
    at_risk = pd.DataFrame([{"employee_id": "E1", "grade": "PO3", "family_leave": False},
                            {"employee_id": "E2", "grade": "PO3", "family_leave": True},
                            {"employee_id": "E3", "grade": "SO1", "family_leave": False}])
    vacancies = pd.DataFrame([{"post_id": "V1", "grade": "PO4"}])
    out = sg.redeployment(at_risk, vacancies, RANK, trial_start=dt.date(2027, 4, 1))
    assert list(out["employee_id"]) == ["E2", "E1"]  # E3 is three grades below
    # ERA s.138(3): four weeks beginning with 1 April, so the trial's last day is 28 April.
    assert set(out["trial_ends"]) == {dt.date(2027, 4, 28)}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(RANK)), st.sampled_from(["Desk", "Apps"]),
                          st.sampled_from(["Analyst", "Officer", "Lead"])), min_size=1,
                max_size=12),
       st.lists(st.tuples(st.sampled_from(list(RANK)), st.sampled_from(["Desk", "Apps"]),
                          st.sampled_from(["Analyst", "Officer", "Lead"]),
                          st.integers(0, 1)), min_size=1, max_size=8),
       st.integers(40, 100))
def test_nobody_is_suggested_twice_and_no_post_over_its_places(who, where, threshold):
    ppl = people(*[(f"E{i}", g, t, title) for i, (g, t, title) in enumerate(who)])
    pst = pd.DataFrame([{"post_id": f"N{i}", "grade": g, "team": t, "division": "Digital",
                         "title": title, "places": n} for i, (g, t, title, n) in
                        enumerate(where)])
    out = sg.suggest(ppl, pst, RANK, threshold=threshold)
    named = list(out.slot_ins["employee_id"]) + [e for c in out.pools["candidates"] for e in c]
    named += out.at_risk
    assert sorted(named) == sorted(ppl["employee_id"])  # each person exactly once
    assert out.slot_ins["post_id"].is_unique
    free = dict(zip(pst["post_id"], pst["places"], strict=True))
    assert all(free[p] == 1 for p in out.slot_ins["post_id"])
    for ids, places in zip(out.pools["post_ids"], out.pools["places"], strict=True):
        assert all(free[p] == 1 for p in ids) and places == len(ids)


def test_suggestions_for_an_option(world):  # noqa: F811
    """E04's post P04 continues regraded: their own slot-in comes first. E01-E03 (deleted
    posts) are matched against the two new posts N1 and N2; the union is refused."""
    import pytest

    from planner.core.errors import PermissionDenied

    session, actors, oid = world
    out, offered = sg.suggestions_for(session=session, actor=actors["hr"], structure=oid)
    assert {"N1", "N2", "P04"} <= set(offered["post_id"])
    assert {"P05", "P06"}.isdisjoint(offered["post_id"])  # unchanged: nothing to offer
    first = out.slot_ins.iloc[0]
    assert (first["employee_id"], first["post_id"], int(first["score"])) == ("E04", "P04", 100)
    named = list(out.slot_ins["employee_id"]) + [e for c in out.pools["candidates"] for e in c]
    assert sorted([*named, *out.at_risk]) == ["E01", "E02", "E03", "E04"]
    with pytest.raises(PermissionDenied):
        sg.suggestions_for(session=session, actor=actors["union"], structure=oid)


def test_redeployment_reads_the_options_vacancies_and_the_people_at_risk(world):
    """The world (tests/people/conftest.py): P01-P03 deleted, P04 regraded to PO4, N1 and N2
    new (PO3), H0 a vacant SM2 head kept as it is. E01 and E02 at risk, E02 on maternity
    leave: E02 comes first; the vacancies are N1, N2 and P04 (nobody mapped into it yet),
    never P05 or P06 (their holders stay) nor H0 (SM2 is not within one grade of PO3)."""
    from tests.people.test_mapping import _save

    session, actors, oid = world
    _save(session, actors["hr"], oid, [
        {"employee_id": "E01", "outcome": "at-risk"},
        {"employee_id": "E02", "outcome": "at-risk", "on_family_leave": True}])
    out = sg.redeployment_for(session=session, actor=actors["manager"], structure=oid,
                              trial_start=dt.date(2027, 4, 1))
    assert list(out.columns[:4]) == ["employee_id", "name", "post_id", "title"]
    assert list(out["employee_id"][:3]) == ["E02"] * 3
    assert set(out["post_id"]) == {"N1", "N2", "P04"}
    _save(session, actors["hr"], oid, [{"employee_id": "E04", "outcome": "slotted",
                                         "option_post_id": "P04"}])
    out = sg.redeployment_for(session=session, actor=actors["manager"], structure=oid,
                              trial_start=dt.date(2027, 4, 1))
    assert set(out["post_id"]) == {"N1", "N2"}
    with pytest.raises(PermissionDenied):
        sg.redeployment_for(session=session, actor=actors["union"], structure=oid,
                            trial_start=dt.date(2027, 4, 1))


def test_duties_matches_that_pair_nobody_scored_are_ignored():
    """Catches: a TypeError (pandas 3) when every duties match the user entered names a pair
    outside the grade window (someone already mapped, or a post three grades away)."""
    ppl = people(("E1", "PO3", "Desk", "Analyst"))
    pst = posts(("N1", "PO3", "Desk", "Analyst"))
    out = sg.suggest(ppl, pst, RANK, threshold=70, duties={("E9", "N9"): 90, ("E1", "N7"): 80})
    assert list(out.slot_ins["employee_id"]) == ["E1"]
