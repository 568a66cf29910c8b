"""The exit bill of an option (issue 12): who is costed, the figures by hand, the partners'
split that adds up to the penny, payback, and who may read what."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from planner.core.errors import PermissionDenied
from planner.core.models import Person
from planner.people import exit_bill as xb
from planner.people.exit_costs import ExitPolicy
from tests.people.test_mapping import _pool, _save

TODAY = dt.date(2026, 12, 3)


@pytest.fixture
def mapped(world):
    session, actors, oid = world
    e06 = session.exec(select(Person).where(Person.employee_ref == "E06")).one()
    e06.date_of_birth, e06.continuous_service_date = dt.date(1970, 6, 1), dt.date(2006, 4, 1)
    e06.annual_salary_pence = 3_900_000  # £39,000 a year: £750 a week
    session.add(e06)
    session.commit()
    _pool(session, actors["hr"], oid)
    _save(session, actors["hr"], oid, [
        {"employee_id": "E01", "outcome": "slotted", "option_post_id": "N1"},
        {"employee_id": "E02", "outcome": "ring-fenced", "pool": "Pool A"},
        {"employee_id": "E03", "outcome": "at-risk"},  # no date of birth: not costed
        {"employee_id": "E06", "outcome": "voluntary-redundancy",
         "strain_fund_pence": 1_234_500}])
    session.commit()
    return session, actors, oid


def test_the_bill_by_hand(mapped):
    """E06, born 1 Jun 1970, service from 1 Apr 2006, £750 a week, leaving on 3 Dec 2026:
    20 complete years (the most that count); the 15 years from age 41 (3 Dec 2011 on) at 1.5
    weeks and the 5 before at 1 week = 27.5 weeks; £750 is under the £751 cap from 6 Apr
    2026, so statutory pay is 27.5 × £750 = £20,625. No discretion by default, notice
    worked by default, and the fund's strain figure £12,345: £32,970 in all."""
    session, actors, oid = mapped
    bill = xb.exit_bill(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                        policy=ExitPolicy())
    assert (bill.leaving, bill.uncosted, bill.pooled) == (2, 1, 1)
    assert bill.by_kind == {"Statutory redundancy pay": 2_062_500,
                            "Discretionary redundancy pay": 0,
                            "Notice pay (not worked)": 0, "Pension strain": 1_234_500}
    assert bill.total_pence == 3_297_000
    assert int(bill.by_partner["exit_pence"].sum()) == bill.total_pence
    row = bill.people.set_index("employee_id").loc["E06"]
    assert (row["age"], row["years"], str(row["weeks"])) == (56, 20, "27.5")
    assert bill.relevant == TODAY and "today" in bill.relevant_basis
    assert (bill.strain_liable, bill.strain_missing) == (1, 0)  # the fund's figure is in


def test_payback_and_the_cumulative_saving(mapped):
    session, actors, oid = mapped
    bill = xb.exit_bill(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                        policy=ExitPolicy())
    assert bill.annual_saving_pence > 0  # three posts deleted, two added
    months = bill.payback_months
    assert months == -(-bill.total_pence * 12 // bill.annual_saving_pence)
    curve = bill.cumulative(36)
    assert curve["net_pence"].iloc[0] == -bill.total_pence
    assert curve["net_pence"].iloc[12] == bill.annual_saving_pence - bill.total_pence
    # Break-even is the first month whose net is not negative: the payback month.
    assert int(curve.loc[curve["net_pence"] >= 0, "month"].iloc[0]) == months


def test_discretion_and_notice_in_lieu(mapped):
    """Actual pay (reg 5) changes nothing under the cap; a multiplier of 2 doubles the weeks
    (55, under 104): £41,250 in all, £20,625 above statutory. Notice not worked: 12 weeks
    (20 years, capped at 12) × £750 = £9,000."""
    from planner.core.models import Structure
    from planner.people.mapping import set_notice_worked

    session, actors, oid = mapped
    set_notice_worked(session=session, actor=actors["hr"], structure=oid, notice_worked=False,
                      expected_version=session.get(Structure, oid).version)
    session.commit()
    bill = xb.exit_bill(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                        policy=ExitPolicy(actual_pay=True, multiplier=2))
    assert bill.by_kind["Discretionary redundancy pay"] == 2_062_500
    assert bill.by_kind["Notice pay (not worked)"] == 900_000


def test_a_manager_gets_totals_and_a_union_rep_nothing(mapped):
    session, actors, oid = mapped
    bill = xb.exit_bill(session=session, actor=actors["manager"], structure=oid, today=TODAY,
                        policy=ExitPolicy())
    assert bill.total_pence == 3_297_000 and bill.people.empty
    assert "people" not in bill.as_dict()
    with pytest.raises(PermissionDenied):
        xb.exit_bill(session=session, actor=actors["union"], structure=oid, today=TODAY)


def test_an_option_nobody_leaves_costs_nothing_and_pays_back_at_once(world):  # noqa: F811
    session, actors, oid = world
    bill = xb.exit_bill(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                        policy=ExitPolicy())
    assert (bill.total_pence, bill.leaving, bill.payback_months) == (0, 0, 0)
    assert bill.unmapped == 4  # E01-E04: deleted or regraded posts, not yet mapped
    assert int(bill.by_partner["exit_pence"].sum()) == 0


def test_the_bill_says_what_it_leaves_out_in_one_set_of_words(mapped):
    """Catches: the pages and the command line saying different things about what the bill
    leaves out (both print ExitBill.notes)."""
    session, actors, oid = mapped
    bill = xb.exit_bill(session=session, actor=actors["manager"], structure=oid, today=TODAY,
                        policy=ExitPolicy())
    texts = [t for _, t in bill.notes()]
    assert "1 person in ring-fenced pools is not costed until the pools are decided." in texts
    assert ("1 person leaving has no date of birth or service date, so cannot be costed."
            in texts)
    assert bill.as_dict()["notes"] == texts


def test_costs_handed_in_give_the_same_bill(mapped):
    """Catches: the costs a page already holds (Compare, Structure options) giving a different
    saving or split than the bill's own costing."""
    from planner.structures.costing import cost_structure

    session, actors, oid = mapped
    own = xb.exit_bill(session=session, actor=actors["hr"], structure=oid, today=TODAY)
    costs = (cost_structure(session=session, actor=actors["hr"]),
             cost_structure(session=session, actor=actors["hr"], structure_id=oid))
    given = xb.exit_bill(session=session, actor=actors["hr"], structure=oid, today=TODAY,
                         structure_costs=costs)
    assert given.annual_saving_pence == own.annual_saving_pence != 0
    assert given.total_pence == own.total_pence
    assert given.by_partner.equals(own.by_partner)


def _shown_as_not_mapped(bill: xb.ExitBill) -> bool:
    """The pages' test (planner.ui.mapping.mapped_at_all), negated."""
    return not (bill.leaving or bill.pooled or not bill.unmapped)


def test_not_mapped_yet_answers_as_the_whole_bill_would(world):
    """Catches: Structure options and Compare (which ask `not_mapped_yet` instead of building
    the bill, issue 16) saying "not mapped" of an option someone has mapped, or of one whose
    changes touch nobody; or a union rep learning from it what the bill would hide."""
    session, actors, oid = world
    hr = actors["hr"]
    bill = xb.exit_bill(session=session, actor=hr, structure=oid, today=TODAY)
    assert xb.not_mapped_yet(session=session, actor=hr, structure=oid)
    assert _shown_as_not_mapped(bill)
    with pytest.raises(PermissionDenied):
        xb.not_mapped_yet(session=session, actor=actors["union"], structure=oid)
    _save(session, hr, oid, [{"employee_id": "E01", "outcome": "slotted",
                              "option_post_id": "N1"}])
    session.commit()
    assert not xb.not_mapped_yet(session=session, actor=hr, structure=oid)  # build the bill


def test_an_option_that_changes_nobody_is_not_said_to_be_unmapped(session):
    """Catches: an option that regrades only a vacant post called "not mapped" (its bill is
    nil and known: nobody needs mapping)."""
    from planner.core.models import Post
    from planner.establishment.register import PostEdits
    from planner.people.mapping import displaced_posts
    from planner.structures.options import create_option, edit_option_posts
    from tests.factories import build_flat_establishment, make_actors

    actors = make_actors(session)
    build_flat_establishment(session, 3)  # the head post H0 is vacant
    session.commit()
    option = create_option(session=session, actor=actors["manager"], name="Option V")
    head = session.exec(select(Post).where(Post.structure_id == option.id,
                                           Post.post_ref == "H0")).one()
    edit_option_posts(session=session, actor=actors["manager"], structure=option.id,
                      edits=PostEdits(updated={"H0": {"grade": "SM1"}},
                                      versions={"H0": head.version}))
    session.commit()
    assert displaced_posts(session, option)  # something changed: only nobody holds it
    bill = xb.exit_bill(session=session, actor=actors["hr"], structure=option.id, today=TODAY)
    assert not _shown_as_not_mapped(bill)
    assert not xb.not_mapped_yet(session=session, actor=actors["hr"], structure=option.id)
