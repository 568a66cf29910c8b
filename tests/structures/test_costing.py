"""Costing a structure (planner/structures/costing.py): hand-worked cases in pence, the envelope position,
options, vacancies and interims, and the invariant that every total is the sum of its parts.

2025/26 figures (DOMAIN.md §5): NI 15% above £5,000 per person; LGPS 20%; interims 220 days;
vacancies at the top of their grade unless stated; rounding half up per component.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from planner.core.errors import PermissionDenied
from planner.core.models import EnvelopeShare, Occupancy, Partner, Person, Post, Structure
from planner.structures import pay
from planner.structures.costing import (
    cost_frames,
    cost_structure,
    largest_remainder,
    vacancies_and_interims,
)
from planner.structures.pay import PayRules
from tests.factories import make_actors

YEAR = "2025/26"

# Hand-worked costs (2025/26, full year, pence):
E1 = 4_957_800  # SCP 26 £37,280 × 1.0: NI (3,728,000 − 500,000) × 15% = 484,200; pension 745,600
VAC_PO3_TOP = 6_858_060  # SCP 40 £51,356: NI 695,340; pension 1,027,120
INTERIM_575 = 12_650_000  # £575 × 220 days, no on-costs
# Job share: SCP 26 × 0.5 = 1,864,000, NI 1,364,000 × 15% = 204,600, pension 372,800 → 2,441,400;
#            SCP 27 £38,220 × 0.5 = 1,911,000, NI 211,650, pension 382,200 → 2,504,850.
JOB_SHARE = 2_441_400 + 2_504_850
# E4 SCP 38 £49,282 × 0.5 = 2,464,100, NI 1,964,100 × 15% = 294,615, pension 492,820 → 3,251,535;
# the other 0.5 FTE is vacant at SCP 40: 2,567,800 + NI 310,170 + pension 513,560 = 3,391,530.
HALF_FILLED = 3_251_535 + 3_391_530
TOTAL = E1 + VAC_PO3_TOP + INTERIM_575 + JOB_SHARE + HALF_FILLED  # 36,055,175


def partner_ids(session: Session) -> dict[str, int]:
    return {p.name: p.id for p in session.exec(select(Partner))}


def add_structure(session: Session, name: str = "Current establishment", kind: str = "baseline",
                  **kw) -> Structure:
    s = Structure(name=name, kind=kind, status="current" if kind == "baseline" else "draft", **kw)
    session.add(s)
    session.flush()
    return s


def add_post(session: Session, structure: Structure, ref: str, grade: str, fte: str = "1",
             partner: str | None = None, **kw) -> Post:
    p = Post(structure_id=structure.id, post_ref=ref, title=kw.pop("title", f"Post {ref}"),
             grade=grade, fte=Decimal(fte), division=kw.pop("division", "Digital"),
             team=kw.pop("team", "Core"),
             partner_id=partner_ids(session)[partner] if partner else None, **kw)
    session.add(p)
    session.flush()
    return p


def add_person(session: Session, post: Post, ref: str, contract: str = "permanent",
               fte: str = "1", **kw) -> Person:
    person = Person(employee_ref=ref, name=kw.pop("name", f"Person {ref}"), contract=contract, **kw)
    session.add(person)
    session.flush()
    session.add(Occupancy(person_id=person.id, post_id=post.id, fte=Decimal(fte)))
    session.flush()
    return person


def baseline(session: Session) -> dict[str, Post]:
    """P1 SO1 shared, E1 at SCP 26        P2 PO3 Lewisham, vacant
    P3 PO3 shared, interim £575/day       P4 SO1 shared, job share SCP 26 + SCP 27 at 0.5 each
    P5 PO3 Brent, E4 at SCP 38 × 0.5 (0.5 FTE vacant)."""
    s = add_structure(session)
    posts = {
        "P1": add_post(session, s, "P1", "SO1", division="Digital", team="Desk"),
        "P2": add_post(session, s, "P2", "PO3", partner="Lewisham", division="Digital",
                       team="Infra", funding="project"),
        "P3": add_post(session, s, "P3", "PO3", division="Apps", team="Infra"),
        "P4": add_post(session, s, "P4", "SO1", division="Apps", team="Desk"),
        "P5": add_post(session, s, "P5", "PO3", partner="Brent", division="Apps", team="Infra"),
    }
    add_person(session, posts["P1"], "E1", scp=26)
    add_person(session, posts["P3"], "I1", contract="interim", day_rate_pence=57_500,
               name="Zoë Interim")
    add_person(session, posts["P4"], "E2", fte="0.5", scp=26)
    add_person(session, posts["P4"], "E3", contract="fixed_term", fte="0.5", scp=27)
    add_person(session, posts["P5"], "E4", fte="0.5", scp=38)
    session.commit()
    return posts


@pytest.fixture
def actors(session):
    return make_actors(session)


def cost(session, actors, **kw):
    return cost_structure(session=session, actor=actors["manager"], pay_year=YEAR, **kw)


def test_each_post_costed_by_hand(session, actors):
    baseline(session)
    c = cost(session, actors)
    got = c.by_post.set_index("post_id")
    assert got.loc["P1", ["pay", "employer_ni", "pension", "total"]].tolist() == [
        3_728_000, 484_200, 745_600, E1]
    assert got.loc["P2", ["pay", "vacancy_cost", "total", "status"]].tolist() == [
        0, VAC_PO3_TOP, VAC_PO3_TOP, "Vacant"]
    assert got.loc["P3", ["interim_cost", "employer_ni", "pension", "total", "status"]].tolist() == [
        INTERIM_575, 0, 0, INTERIM_575, "Covered by interim"]
    assert got.loc["P4", ["pay", "employer_ni", "pension", "total"]].tolist() == [
        1_864_000 + 1_911_000, 204_600 + 211_650, 372_800 + 382_200, JOB_SHARE]
    assert got.loc["P5", ["vacancy_cost", "total", "vacant_fte", "status"]].tolist() == [
        3_391_530, HALF_FILLED, 0.5, "Filled"]
    assert c.full_year_total == TOTAL == 36_055_175
    assert got[["pay", "london_weighting", "employer_ni", "pension", "interim_cost",
                "vacancy_cost"]].sum(axis=1).tolist() == got["total"].tolist()
    assert c.warnings == ()


def test_salary_override_and_regrade_free_baseline(session, actors):
    s = add_structure(session)
    p = add_post(session, s, "H1", "SM1")
    # £102,345.67 override (SCP ignored): NI 9,734,567 × 15% = 1,460,185.05 → 1,460,185;
    # pension 20% = 2,046,913.4 → 2,046,913. Total 13,741,665.
    add_person(session, p, "E9", scp=57, annual_salary_pence=10_234_567)
    session.commit()
    row = cost(session, actors).by_post.iloc[0]
    assert (row["pay"], row["employer_ni"], row["pension"], row["total"]) == (
        10_234_567, 1_460_185, 2_046_913, 13_741_665)


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ("top", 6_858_060),     # PO3 SCP 40 £51,356: 5,135,600 + NI 695,340 + pension 1,027,120
        ("mid", 6_578_070),     # SCP 38 £49,282: 4,928,200 + NI 664,230 + pension 985,640
        ("bottom", 6_435_510),  # SCP 37 £48,226: 4,822,600 + NI 648,390 + pension 964,520
    ],
)
def test_vacancy_costing_point(session, actors, point, expected):
    s = add_structure(session)
    add_post(session, s, "V1", "PO3")
    # A 0.5 FTE vacancy is costed as one half-time person: at the top, 2,567,800 + NI
    # (2,567,800 − 500,000) × 15% = 310,170 + pension 513,560 = 3,391,530.
    add_post(session, s, "V2", "PO3", fte="0.5")
    session.commit()
    got = cost(session, actors, vacancy_point=point).by_post.set_index("post_id")["vacancy_cost"]
    assert got["V1"] == expected
    if point == "top":
        assert got["V2"] == 3_391_530


def test_london_weighting_follows_whose_terms(session, actors):
    ids = partner_ids(session)
    session.get(Partner, ids["Brent"]).london_weighting_pence = 100_000  # host
    session.get(Partner, ids["Lewisham"]).london_weighting_pence = 400_000
    session.get(Partner, ids["Lewisham"]).lgps_employer_rate_bp = 1850
    s = add_structure(session)
    lew = add_post(session, s, "L1", "SO1", partner="Lewisham")
    shared = add_post(session, s, "S1", "SO1")
    lga = add_post(session, s, "C1", "SO1", partner="LGA")
    for post, ref in ((lew, "E1"), (shared, "E2"), (lga, "E3")):
        add_person(session, post, ref, scp=26, fte="0.6")
    session.commit()
    got = cost(session, actors).by_post.set_index("post_id")
    # Lewisham's terms: pay 3,728,000 × 0.6 = 2,236,800; weighting 400,000 × 0.6 = 240,000;
    # NI (2,476,800 − 500,000) × 15% = 296,520; pension 2,476,800 × 18.5% = 458,208.
    assert got.loc["L1", ["pay", "london_weighting", "employer_ni", "pension"]].tolist() == [
        2_236_800, 240_000, 296_520, 458_208]
    # Shared, and charged to a customer (LGA employs nobody): the host Brent's terms.
    # weighting 60,000; NI (2,296,800 − 500,000) × 15% = 269,520; pension 459,360.
    for ref in ("S1", "C1"):
        assert got.loc[ref, ["london_weighting", "employer_ni", "pension"]].tolist() == [
            60_000, 269_520, 459_360]


def test_part_year_rounds_once_per_post_and_sums_posts(session, actors):
    baseline(session)
    c = cost(session, actors, months=5)
    got = c.by_post.set_index("post_id")["part_year"]
    # 4,957,800 × 5/12 = 2,065,750; 6,858,060 × 5/12 = 2,857,525; 12,650,000 × 5/12 =
    # 5,270,833.3 → 5,270,833; 4,946,250 × 5/12 = 2,060,937.5 → 2,060,938 (half up);
    # 6,643,065 × 5/12 = 2,767,943.75 → 2,767,944.
    assert got.tolist() == [2_065_750, 2_857_525, 5_270_833, 2_060_938, 2_767_944]
    assert c.part_year_total == 15_022_990 == sum(got)
    assert c.full_year_total == TOTAL


def test_totals_by_division_team_partner_funding(session, actors):
    baseline(session)
    c = cost(session, actors)
    div = c.totals("division").set_index("division")["total"]
    assert div.to_dict() == {"Apps": INTERIM_575 + JOB_SHARE + HALF_FILLED,
                             "Digital": E1 + VAC_PO3_TOP}
    partner = c.totals("partner").set_index("partner")
    assert partner["total"].to_dict() == {"Brent": HALF_FILLED, "Lewisham": VAC_PO3_TOP,
                                          "shared": E1 + INTERIM_575 + JOB_SHARE}
    assert partner["posts"].to_dict() == {"Brent": 1, "Lewisham": 1, "shared": 3}
    assert c.totals("funding").set_index("funding")["total"]["project"] == VAC_PO3_TOP
    for by in ("division", "team", "partner", "funding"):
        assert c.totals(by)["total"].sum() == TOTAL
    with pytest.raises(ValueError):
        c.totals("colour")


def test_envelope_by_the_stored_shares_with_single_partner_posts(session, actors):
    """Catches: shared cost split equally whatever the partners' stored shares say (issue 17)."""
    baseline(session)
    s = session.exec(select(Structure)).one()
    s.envelope_pence = 100_000_000  # £1m for 12 months, no EnvelopeShare rows
    session.commit()
    env = cost(session, actors).envelope()
    got = env.by_partner.set_index("partner")
    # Shared posts: E1 + interim + job share = 22,554,050, by the seeded 33.34/33.33/33.33%:
    # × 0.3334 = 7,519,520.27; × 0.3333 = 7,517,264.865 twice. Floors sum to 22,554,048; the
    # 2p left go to the largest remainders (0.865 each): Lewisham and Southwark.
    assert got["shared_cost"].to_dict() == {"Brent": 7_519_520, "Lewisham": 7_517_265,
                                            "Southwark": 7_517_265}
    # Posts charged to one partner count wholly to it: P5 to Brent, P2 to Lewisham.
    assert got["charged_cost"].to_dict() == {"Brent": HALF_FILLED, "Lewisham": VAC_PO3_TOP,
                                             "Southwark": 0}
    assert got["spend"].to_dict() == {"Brent": 14_162_585, "Lewisham": 14_375_325,
                                      "Southwark": 7_517_265}
    # £1m by the same shares: exact.
    assert got["envelope"].tolist() == [33_340_000, 33_330_000, 33_330_000]
    assert got["headroom"].tolist() == [19_177_415, 18_954_675, 25_812_735]
    assert env.spend == TOTAL and env.envelope == 100_000_000
    assert env.headroom == 100_000_000 - TOTAL == env.partner_headroom
    assert env.reconciling == 0 and env.warnings == ()
    assert "LGA" not in got.index  # a customer with no share and no posts


def test_all_stored_shares_zero_falls_back_to_equal_with_a_warning(session, actors):
    baseline(session)
    for p in session.exec(select(Partner)):
        p.share_bp = 0
        session.add(p)
    s = session.exec(select(Structure)).one()
    s.envelope_pence = 100_000_000
    session.commit()
    env = cost(session, actors).envelope()
    got = env.by_partner.set_index("partner")
    # 22,554,050 ÷ 3 = 7,518,016.67: the 2p left to the first two (equal remainders).
    assert got["shared_cost"].tolist() == [7_518_017, 7_518_017, 7_518_016]
    assert got["envelope"].tolist() == [33_333_334, 33_333_333, 33_333_333]
    assert len(env.warnings) == 1 and "equally between the 3 councils" in env.warnings[0]


def test_a_customers_posts_are_income_or_outside_and_headroom_adds_up(session, actors):
    """Catches: a customer's posts silently left out of the headroom (issue 17: the LGA's
    £139,481), or a total headroom that is not the sum of the councils' headroom."""
    from planner.charts import compare as cc

    posts = baseline(session)
    s = session.get(Structure, posts["P1"].structure_id)
    s.envelope_pence = 30_000_000
    add_post(session, s, "C1", "PO3", partner="LGA")  # vacant: 6,858,060, charged to the LGA
    session.commit()
    for mode in ("income", "outside"):
        env = cost(session, actors).envelope(customer_posts=mode)
        got = env.by_partner.set_index("partner")
        assert got.loc["LGA", "kind"] == "customer" and pd.isna(got.loc["LGA", "envelope"])
        assert got.loc["LGA", "shared_cost"] == 0
        assert env.spend == TOTAL + VAC_PO3_TOP
        assert env.customer_cost == VAC_PO3_TOP and env.net_spend == TOTAL
        assert env.customer_income == (VAC_PO3_TOP if mode == "income" else 0)
        assert env.shared_cost + env.own_cost == env.net_spend
        assert env.headroom == 30_000_000 - TOTAL == env.partner_headroom
        assert env.customers == ["LGA"]
        # Councils over their envelope are named, not hidden behind the total.
        assert [name for name, _ in env.over] == [
            n for n, h in got["headroom"].dropna().items() if h < 0]
        statement = cc.envelope_statement(env).set_index("line")["amount"]
        if mode == "income":
            assert statement["Gross spend"] == env.spend
            assert statement["Less customer income (LGA)"] == -VAC_PO3_TOP
            assert statement["Net spend"] == TOTAL
        else:
            assert statement["Spend within the envelope"] == TOTAL
            assert statement["Outside the envelope: posts charged to customers (LGA)"] == \
                VAC_PO3_TOP
        assert "LGA" in cc.covers_text(env)


def test_the_headline_names_the_partners_over_their_envelope():
    from planner.charts import compare as cc
    from planner.structures.costing import EnvelopePosition

    frame = pd.DataFrame({"partner": ["Brent", "Lewisham", "Southwark"],
                          "kind": ["council"] * 3,
                          "headroom": pd.array([13_817_000, -4_687_800, -5_080_100],
                                               dtype="Int64")})
    pos = EnvelopePosition(months=12, by_partner=frame, spend=0, envelope=1,
                           headroom=4_049_100, structure_envelope=1, partner_headroom=4_049_100)
    assert cc.headroom_headline(pos) == \
        "Over for 2 partners: Lewisham −£46,878, Southwark −£50,801"
    fine = EnvelopePosition(months=12, by_partner=frame.iloc[:1], spend=0, envelope=1,
                            headroom=13_817_000, structure_envelope=1)
    assert cc.headroom_headline(fine) == "Headroom £138,170"


def test_a_retired_partner_shares_nothing_and_holds_no_envelope(session, actors):
    baseline(session)
    southwark = session.exec(select(Partner).where(Partner.name == "Southwark")).one()
    southwark.active = False
    session.add(southwark)
    s = session.exec(select(Structure)).one()
    s.envelope_pence = 100_000_000
    session.commit()
    env = cost(session, actors).envelope()
    got = env.by_partner.set_index("partner")
    assert list(got.index) == ["Brent", "Lewisham"]
    # 22,554,050 by 3334:3333 = 11,278,716.47 / 11,275,333.53: the 1p to Lewisham (0.53).
    assert got["shared_cost"].tolist() == [11_278_716, 11_275_334]
    assert got["envelope"].sum() == 100_000_000 and env.reconciling == 0


def test_envelope_share_rows_and_an_overspend(session, actors):
    posts = baseline(session)
    s = session.get(Structure, posts["P1"].structure_id)
    s.envelope_pence = 30_000_000
    ids = partner_ids(session)
    for name, bp in (("Brent", 5000), ("Lewisham", 3000), ("Southwark", 2000)):
        session.add(EnvelopeShare(structure_id=s.id, partner_id=ids[name], share_bp=bp))
    session.commit()
    env = cost(session, actors).envelope()
    got = env.by_partner.set_index("partner")
    # Shared 22,554,050 × 50% = 11,277,025; × 30% = 6,766,215; × 20% = 4,510,810 (exact).
    assert got["shared_cost"].tolist() == [11_277_025, 6_766_215, 4_510_810]
    assert got["envelope"].tolist() == [15_000_000, 9_000_000, 6_000_000]
    # Brent 11,277,025 + 6,643,065 = 17,920,090 > £150,000: overspent by 2,920,090.
    assert got.loc["Brent", "headroom"] == -2_920_090
    assert env.headroom == 30_000_000 - TOTAL == -6_055_175


def test_the_seeds_fixed_amounts_for_five_months(session, actors):
    """2017/18 (DOMAIN.md §1): Brent £3,617,000, Lewisham £3,837,000, Southwark £2,190,000 for 5
    months. Shared costs are split in proportion to those contributions (3617:3837:2190)."""
    s = add_structure(session, envelope_months=5)
    ids = partner_ids(session)
    for name, pounds in (("Brent", 3_617_000), ("Lewisham", 3_837_000), ("Southwark", 2_190_000)):
        session.add(EnvelopeShare(structure_id=s.id, partner_id=ids[name],
                                  amount_pence=pounds * 100))
    add_post(session, s, "S1", "SO1")  # shared, vacant at SCP 28 £39,152
    add_post(session, s, "S2", "PO3", partner="Southwark")  # vacant at SCP 40
    session.commit()
    env = cost(session, actors).envelope()
    got = env.by_partner.set_index("partner")
    # S1: 3,915,200 + NI (3,415,200 × 15% = 512,280) + pension 783,040 = 5,210,520 a year;
    # 5 months: 5,210,520 × 5/12 = 2,171,050. S2: 6,858,060 × 5/12 = 2,857,525.
    # 2,171,050 × 3617/9644 = 814,256.31 → 814,256; × 3837/9644 = 863,782.54 → 863,782;
    # × 2190/9644 = 493,011.15 → 493,011; floors sum to 2,171,049, so the 1p left goes to the
    # largest remainder (0.54): Lewisham.
    assert got["shared_cost"].to_dict() == {"Brent": 814_256, "Lewisham": 863_783,
                                            "Southwark": 493_011}
    assert got["charged_cost"]["Southwark"] == 2_857_525
    assert got["envelope"].tolist() == [361_700_000, 383_700_000, 219_000_000]
    assert got["headroom"].tolist() == [361_700_000 - 814_256, 383_700_000 - 863_783,
                                        219_000_000 - 493_011 - 2_857_525]
    assert env.months == 5 and env.envelope == 964_400_000  # the £9.6m
    assert env.spend == 2_171_050 + 2_857_525


def test_option_carries_people_regrades_and_costs_new_posts_as_vacant(session, actors):
    posts = baseline(session)
    o = add_structure(session, name="Option A", kind="option")
    # O1 continues P1, regraded SO1 → PO3: E1's SCP 26 is below 37–40, costed at 37 (£48,226):
    # 4,822,600 + NI 648,390 + pension 964,520 = 6,435,510.
    add_post(session, o, "O1", "PO3", baseline_post_id=posts["P1"].id)
    # O2 continues P1 too: the first (O1) carries E1, so O2 is a vacancy at SO1's top (SCP 28):
    # 3,915,200 + 512,280 + 783,040 = 5,210,520.
    add_post(session, o, "O2", "SO1", baseline_post_id=posts["P1"].id)
    # O3 continues P3 and keeps its interim: 12,650,000.
    add_post(session, o, "O3", "PO3", baseline_post_id=posts["P3"].id)
    # O4 is new: vacant at SO2's top (SCP 31 £41,771): 4,177,100 + NI 551,565 + pension 835,420
    # = 5,564,085.
    add_post(session, o, "O4", "SO2")
    # O5 continues P5 regraded down to SO2: E4 (SCP 38, 0.5) costed at 31: 2,088,550 + NI
    # (1,588,550 × 15% = 238,282.5 → 238,283) + pension 417,710 = 2,744,543; the other 0.5 FTE
    # vacant at SCP 31 costs the same: 5,489,086.
    add_post(session, o, "O5", "SO2", baseline_post_id=posts["P5"].id)
    session.commit()
    c = cost(session, actors, structure_id=o.id)
    got = c.by_post.set_index("post_id")
    assert got["total"].to_dict() == {"O1": 6_435_510, "O2": 5_210_520, "O3": 12_650_000,
                                      "O4": 5_564_085, "O5": 5_489_086}
    assert got["status"].to_dict() == {"O1": "Filled", "O2": "Vacant", "O3": "Covered by interim",
                                       "O4": "Vacant", "O5": "Filled"}
    lines = c.lines.set_index("employee_ref")
    assert lines.loc["E1", "costed_scp"] == 37 and lines.loc["E4", "costed_scp"] == 31
    assert bool(lines.loc["E1", "regraded"])
    assert c.kind == "option"
    # The baseline is unchanged by the option.
    assert cost(session, actors).full_year_total == TOTAL


@pytest.mark.parametrize(("assume_recruited", "expected", "interims"), [
    # Off: O3 carries P3's interim (£575 × 220 = 12,650,000); O6 carries E5 (SCP 26 × 0.5:
    # 1,864,000 + NI 1,364,000 × 15% = 204,600 + pension 372,800 = 2,441,400) and A1 (agency
    # £200 × 220 × 0.5 = 2,200,000): 4,641,400.
    (False, {"O3": INTERIM_575, "O5": HALF_FILLED, "O6": 2_441_400 + 2_200_000,
             "O7": 6_600_000}, ["A1", "A2", "I1"]),
    # On: O3 is a vacancy at PO3's top (SCP 40), with on-costs: VAC_PO3_TOP = 6,858,060. O6
    # keeps E5 and costs A1's 0.5 FTE at SO1's top (SCP 28 £39,152 × 0.5 = 1,957,600 + NI
    # 1,457,600 × 15% = 218,640 + pension 391,520 = 2,567,760): 5,009,160. O5's employee and
    # O7's agency worker, placed in the option directly, are untouched.
    (True, {"O3": VAC_PO3_TOP, "O5": HALF_FILLED, "O6": 2_441_400 + 2_567_760,
            "O7": 6_600_000}, ["A2"]),
])
def test_an_option_assuming_recruitment_costs_carried_cover_as_vacancies(
        session, actors, assume_recruited, expected, interims):
    posts = baseline(session)
    s = session.exec(select(Structure)).one()
    p6 = add_post(session, s, "P6", "SO1")
    add_person(session, p6, "E5", fte="0.5", scp=26)
    add_person(session, p6, "A1", contract="agency", fte="0.5", day_rate_pence=20_000)
    o = add_structure(session, name="Option A", kind="option", assume_recruited=assume_recruited)
    add_post(session, o, "O3", "PO3", baseline_post_id=posts["P3"].id)
    add_post(session, o, "O5", "PO3", partner="Brent", baseline_post_id=posts["P5"].id)
    add_post(session, o, "O6", "SO1", baseline_post_id=p6.id)
    o7 = add_post(session, o, "O7", "PO3")  # new, with an agency worker placed in it directly
    add_person(session, o7, "A2", contract="agency", day_rate_pence=30_000)  # 30,000 × 220
    session.commit()
    c = cost(session, actors, structure_id=o.id)
    got = c.by_post.set_index("post_id")
    assert got["total"].to_dict() == expected
    assert c.assume_recruited is assume_recruited
    assert sorted(c.lines.loc[c.lines["contract"].isin(pay.COVER_CONTRACTS),
                              "employee_ref"]) == interims
    if assume_recruited:
        assert got.loc["O3", ["status", "vacant_fte", "interim_cost", "vacancy_cost"]].tolist() == [
            "Vacant", 1.0, 0, VAC_PO3_TOP]
        assert got.loc["O6", ["status", "vacant_fte", "vacancy_cost"]].tolist() == [
            "Filled", 0.5, 2_567_760]
    # The baseline keeps its interims whatever an option assumes.
    assert cost(session, actors).by_post.set_index("post_id").loc["P3", "total"] == INTERIM_575


def test_vacancies_and_interims(session, actors):
    baseline(session)
    report = vacancies_and_interims(session=session, actor=actors["hr"], pay_year=YEAR)
    assert (report.vacancy_count, report.covered_count, report.uncovered_count) == (2, 1, 1)
    vac = report.vacancies.set_index("post_id")
    assert vac.loc["P2", ["status", "interim_cost", "permanent_cost", "saving"]].tolist() == [
        "Vacant", 0, VAC_PO3_TOP, 0]
    # P3: the interim costs 12,650,000 a year; the post filled at PO3's top costs 6,858,060:
    # recruiting saves 5,791,940.
    assert vac.loc["P3", ["interims", "interim_cost", "permanent_cost", "saving"]].tolist() == [
        "Zoë Interim", INTERIM_575, VAC_PO3_TOP, 5_791_940]
    assert report.interims[["employee_ref", "annual_cost", "permanent_cost", "saving"]].values.tolist() == [
        ["I1", INTERIM_575, VAC_PO3_TOP, 5_791_940]]
    assert report.saving_from_recruiting == 5_791_940
    assert report.interim_cost == INTERIM_575


@pytest.mark.parametrize("call", ["cost", "vacancies"])
def test_a_union_rep_is_refused(session, actors, call):
    baseline(session)
    with pytest.raises(PermissionDenied):
        if call == "cost":
            cost_structure(session=session, actor=actors["union"], pay_year=YEAR)
        else:
            vacancies_and_interims(session=session, actor=actors["union"], pay_year=YEAR)


def test_a_person_in_two_posts_pays_ni_once_on_combined_gross(session, actors):
    s = add_structure(session)
    a = add_post(session, s, "A", "Scale 1", fte="0.2")
    b = add_post(session, s, "B", "Scale 1", fte="0.2")
    person = add_person(session, a, "E1", fte="0.2", scp=3)
    session.add(Occupancy(person_id=person.id, post_id=b.id, fte=Decimal("0.2")))
    session.commit()
    got = cost(session, actors).by_post.set_index("post_id")
    # Each post: SCP 3 £24,796 × 0.2 = 495,920, under £5,000 alone; together 991,840, NI
    # (991,840 − 500,000) × 15% = 73,776, split 36,888 / 36,888.
    assert got["employer_ni"].tolist() == [36_888, 36_888]


def test_largest_remainder_examples():
    assert largest_remainder(100, [Fraction(1)] * 3) == [34, 33, 33]
    # Quotas 3.5, 1.75, 1.75: floors 3, 1, 1 and the 2p left go to the 0.75 remainders.
    assert largest_remainder(7, [Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)]) == [3, 2, 2]
    assert largest_remainder(5, [Fraction(0), Fraction(0)]) == [0, 0]


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10_000), min_size=1, max_size=6))
def test_largest_remainder_sums_to_the_total(total, raw):
    weights = [Fraction(w) for w in raw]
    parts = largest_remainder(total, weights)
    if sum(raw) == 0:
        assert parts == [0] * len(raw)
        return
    assert sum(parts) == total
    for part, w in zip(parts, weights, strict=True):
        assert abs(part - Fraction(total) * w / sum(weights)) < 1


# --- totals equal the sum of their parts, to the penny ---------------------------------------

GRADES = pd.DataFrame({"grade": ["Scale 1", "SO1", "PO3", "SM1"], "min_scp": [3, 25, 37, 55],
                       "max_scp": [5, 28, 40, 60]})
SPINE = pay.Spine.from_points(YEAR, {p: 2_000_000 + p * 97_531 for p in range(1, 71)})
PARTNERS = pd.DataFrame({"id": [1, 2, 3, 4], "name": ["Brent", "Lewisham", "Southwark", "LGA"],
                         "kind": ["council", "council", "council", "customer"],
                         "is_host": [True, False, False, False],
                         "lgps_employer_rate_bp": [2000, 1850, 2210, 2000],
                         "london_weighting_pence": [0, 412_345, 0, 0]}).set_index("id")

post_rows = st.lists(st.tuples(st.integers(0, 3), st.integers(1, 10_000), st.integers(-1, 4),
                               st.sampled_from(["A", "B", "C"])), min_size=1, max_size=25)
line_rows = st.lists(st.tuples(
    st.integers(0, 24), st.integers(0, 8), st.sampled_from(["permanent", "interim", "agency",
                                                            "fixed_term", "secondment"]),
    st.integers(1, 10_000), st.one_of(st.none(), st.integers(1, 70)),
    st.one_of(st.none(), st.integers(0, 20_000_000)), st.one_of(st.none(), st.integers(0, 200_000)),
), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(post_rows, line_rows, st.integers(0, 24), st.sampled_from(["top", "mid", "bottom"]))
def test_totals_equal_the_sum_of_their_parts(p_rows, l_rows, months, point):
    posts = pd.DataFrame({
        "id": np.arange(100, 100 + len(p_rows)), "post_id": [f"P{i}" for i in range(len(p_rows))],
        "title": "t", "division": [r[3] for r in p_rows], "team": "T",
        "grade": [GRADES.grade[r[0]] for r in p_rows], "fte_units": [r[1] for r in p_rows],
        "partner_id": [0 if r[2] == 0 else r[2] for r in p_rows], "funding": "base"})
    posts["partner_id"] = posts["partner_id"].replace(0, -1)
    l_rows = [r for r in l_rows if r[0] < len(p_rows)]
    lines = pd.DataFrame({
        "post": [100 + r[0] for r in l_rows], "source_grade": [
            GRADES.grade[p_rows[r[0]][0]] if r[1] % 3 else "PO3" for r in l_rows],
        "person_id": [r[1] for r in l_rows], "fte_units": [r[3] for r in l_rows],
        "employee_ref": [f"E{i}" for i in range(len(l_rows))], "name": "n",
        "contract": [r[2] for r in l_rows],
        "scp": pd.array([r[4] for r in l_rows], dtype="Int64").astype("float"),
        "annual_salary_pence": pd.array([r[5] for r in l_rows], dtype="Int64").astype("float"),
        "day_rate_pence": pd.array([r[6] for r in l_rows], dtype="Int64").astype("float")},
        columns=["post", "source_grade", "person_id", "fte_units", "employee_ref", "name",
                 "contract", "scp", "annual_salary_pence", "day_rate_pence"])
    rules = PayRules(pay_year=YEAR, ni_rate_bp=1500, ni_threshold_pence=500_000, working_days=220,
                     vacancy_point=point, default_lgps_rate_bp=2000,
                     default_london_weighting_pence=0)
    by_post, costed, _ = cost_frames(posts=posts, lines=lines, partners=PARTNERS, grades=GRADES,
                                     spine=SPINE, rules=rules, months=months)
    parts = ["pay", "london_weighting", "employer_ni", "pension", "interim_cost", "vacancy_cost"]
    assert (by_post[parts].sum(axis=1) == by_post["total"]).all()
    # Posts' people lines plus vacancies are the posts' totals.
    assert costed["total"].sum() + by_post["vacancy_cost"].sum() == by_post["total"].sum()
    # NI is per person on their combined gross, however many posts they hold.
    emp = costed[costed["contract"].isin(pay.EMPLOYEE_CONTRACTS)]
    gross = (emp["pay"] + emp["london_weighting"]).groupby(emp["person_id"]).sum()
    ni = emp["employer_ni"].groupby(emp["person_id"]).sum()
    assert (ni == pay.employer_ni(gross.to_numpy(), rules)).all()
    # Part-year figures are rounded once per post and never go negative.
    assert (by_post["part_year"] == pay.div_half_up(by_post["total"] * months, 12)).all()
    assert (by_post[[*parts, "total", "part_year"]] >= 0).all().all()
    # Every dtype is an integer: no float money.
    assert all(np.issubdtype(by_post[c].dtype, np.integer) for c in [*parts, "total", "part_year"])


def test_empty_structures_cost_nothing(session, actors):
    add_structure(session)
    session.commit()
    c = cost(session, actors)
    assert (c.full_year_total, c.part_year_total, len(c.by_post)) == (0, 0, 0)
    assert c.envelope().spend == 0
    report = vacancies_and_interims(session=session, actor=actors["admin"], pay_year=YEAR)
    assert (report.vacancy_count, report.saving_from_recruiting) == (0, 0)


def test_missing_pay_data_is_costed_and_warned_about(session, actors):
    s = add_structure(session)
    p = add_post(session, s, "P1", "PO3")
    q = add_post(session, s, "P2", "PO3")
    add_person(session, p, "E1")  # no spinal point, no salary: costed at PO3's top (6,858,060)
    add_person(session, q, "I1", contract="agency")  # no day rate: £0
    session.commit()
    c = cost(session, actors)
    assert c.by_post["total"].tolist() == [VAC_PO3_TOP, 0]
    assert c.by_post["status"].tolist() == ["Filled", "Covered by interim"]
    assert len(c.warnings) == 2


def test_vacancy_point_comes_from_the_settings(session, actors):
    from planner.core.config import Settings

    s = add_structure(session)
    add_post(session, s, "V1", "PO3")
    session.commit()
    c = cost_structure(session=session, actor=actors["hr"], pay_year=YEAR,
                       settings=Settings(vacancy_cost_point="bottom"))
    assert c.by_post["vacancy_cost"].tolist() == [6_435_510]  # SCP 37, as worked above


def test_demo_headroom_is_the_sum_of_the_councils_headroom(database_url):
    """Issue 17's acceptance: on the demo baseline and every demo option, with the demo's
    envelope and with a tighter one that puts councils over, the total headroom equals the sum
    of the councils' headroom to the penny, spend is made up exactly of its parts, and every
    council over its envelope is named in the headline."""
    from planner.charts import compare as cc
    from planner.cli.demo import DEMO_AUTHOR, load_demo
    from planner.core.db import make_engine, read_session, write_session
    from planner.structures.options import PartnerShare, list_structures, set_envelope

    engine = make_engine(database_url)
    try:
        load_demo(engine)
        for envelope in (None, 6_850_000_00):
            with write_session(engine) as s:
                ids = list_structures(session=s, actor=DEMO_AUTHOR)[["id", "version"]]
                if envelope is not None:
                    for sid, version in ids.itertuples(index=False):
                        set_envelope(session=s, actor=DEMO_AUTHOR, structure=int(sid),
                                     envelope_pence=envelope, months=12,
                                     expected_version=int(version),
                                     shares={"Brent": PartnerShare(share_bp=3400),
                                             "Lewisham": PartnerShare(share_bp=3300),
                                             "Southwark": PartnerShare(share_bp=3300)})
            with read_session(engine) as s:
                ids = [int(i) for i in list_structures(session=s, actor=DEMO_AUTHOR)["id"]]
                assert len(ids) >= 2
                for sid in ids:
                    env = cost_structure(session=s, actor=DEMO_AUTHOR,
                                         structure_id=sid).envelope()
                    councils = env.by_partner[env.by_partner["kind"] == "council"]
                    assert env.headroom is not None
                    assert env.headroom == int(councils["headroom"].sum()) == env.partner_headroom
                    assert env.reconciling == 0
                    assert env.spend == (env.shared_cost + env.own_cost + env.customer_cost
                                         + env.unallocated_cost)
                    assert env.headroom == env.envelope - env.net_spend
                    assert int(env.by_partner["spend"].sum()) == env.spend
                    headline = cc.headroom_headline(env)
                    for name, headroom in env.over:
                        assert f"{name} {cc.pounds(headroom)}" in headline
                    if env.over:
                        assert headline.startswith(f"Over for {len(env.over)} partner")
        # The tighter envelope does put the baseline's councils over: the case issue 17 saw.
        with read_session(engine) as s:
            env = cost_structure(session=s, actor=DEMO_AUTHOR).envelope()
        assert [name for name, _ in env.over] == ["Lewisham", "Southwark"]
        assert env.headroom > 0  # positive in total, yet two councils are over
    finally:
        engine.dispose()


# --- salary-band grades (an organogram's, issue 14) -------------------------------------------

BAND_GRADES = pd.concat([GRADES.assign(band_min_pence=np.nan, band_max_pence=np.nan,
                                       is_band=False),
                         pd.DataFrame({"grade": ["SCS1", "G7"], "min_scp": [0, 0],
                                       "max_scp": [0, 0], "band_min_pence": [7_500_000, np.nan],
                                       "band_max_pence": [8_499_900, np.nan],
                                       "is_band": [True, True]})], ignore_index=True)


@pytest.mark.parametrize(("point", "annual"), [("max", 8_499_900), ("min", 7_500_000),
                                               ("mid", 7_999_950)])
def test_a_band_graded_post_costs_the_bands_point_with_on_costs(point, annual):
    """A vacant SCS1 post (band £75,000–£84,999) costs exactly the band's max, min or midpoint
    with NI and pension as any post; an N/D holder with no pay of their own costs the same;
    a holder with a salary costs their salary; a band with no pay costs £0 and is said."""
    posts = pd.DataFrame({"id": [1, 2, 3, 4, 5], "post_id": ["V", "N", "S", "G", "P"],
                          "title": "t", "division": "D", "team": "T",
                          "grade": ["SCS1", "SCS1", "SCS1", "G7", "PO3"],
                          "fte_units": [10_000, 5_000, 10_000, 10_000, 10_000],
                          "partner_id": -1, "funding": "base"})
    lines = pd.DataFrame({"post": [2, 3], "source_grade": ["SCS1", "SCS1"],
                          "person_id": [1, 2], "fte_units": [5_000, 10_000],
                          "employee_ref": ["ORG-N", "ORG-S"], "name": ["N/D", "N/D"],
                          "contract": ["permanent", "permanent"], "scp": [np.nan, np.nan],
                          "annual_salary_pence": [np.nan, 9_000_000],
                          "day_rate_pence": [np.nan, np.nan]})
    rules = PayRules(pay_year=YEAR, ni_rate_bp=1500, ni_threshold_pence=500_000, working_days=220,
                     vacancy_point="top", default_lgps_rate_bp=2000,
                     default_london_weighting_pence=0, band_point=point)
    partners = PARTNERS.assign(is_host=False)
    by_post, _, warnings = cost_frames(posts=posts, lines=lines, partners=partners,
                                       grades=BAND_GRADES, spine=SPINE, rules=rules)
    total = by_post.set_index("post_id")["total"]
    assert total["V"] == pay.employee_cost(annual_pence=annual, fte="1", rules=rules).total
    assert total["N"] == pay.employee_cost(annual_pence=annual, fte="0.5", rules=rules).total
    assert total["S"] == pay.employee_cost(annual_pence=9_000_000, fte="1", rules=rules).total
    assert total["G"] == 0
    # The spine grade beside them is costed as ever: its top point.
    assert total["P"] == pay.vacancy_cost(spine=SPINE, min_scp=37, max_scp=40, fte="1",
                                          rules=rules).total
    word = {"max": "maximum", "min": "minimum", "mid": "midpoint"}[point]
    assert f"4 post(s) in 2 salary-band grade(s) are costed at the band's {word}" in warnings[0]
    assert warnings[1] == "Grade(s) G7 have no published pay range: costed at £0 until their band is known."
    assert not any("neither spinal point nor salary" in w for w in warnings)


def test_band_cost_point_is_a_setting():
    from planner.core.config import Settings

    assert PayRules.for_year(YEAR, Settings()).band_point == "max"
    assert PayRules.for_year(YEAR, Settings(band_cost_point="mid")).band_point == "mid"


def test_costing_and_the_difference_share_the_registers_text(database_url):
    """Catches: costing's posts or the compared frame reading (or copying) their own text
    columns again, a copy of every post's title, team and grade per structure kept in the
    server (issue 16); and the shared columns not being the same posts in the same order."""
    from planner.cli.demo import DEMO_AUTHOR, load_demo
    from planner.core import memo
    from planner.core.db import make_engine, read_session
    from planner.establishment.register import baseline_id, posts_frame
    from planner.structures.comparison import compared_frame
    from planner.structures.options import list_structures, resolve_structure

    def buffer(column: pd.Series) -> int:
        return column.array._pa_array.chunks[0].buffers()[2].address

    engine = make_engine(database_url)
    memo.forget()
    try:
        load_demo(engine)
        with read_session(engine) as s:
            ids = [int(i) for i in list_structures(session=s, actor=DEMO_AUTHOR)["id"]]
            assert baseline_id(s) in ids and len(ids) >= 2
            for sid in ids:
                posts = posts_frame(s, sid)
                cost = cost_structure(session=s, actor=DEMO_AUTHOR, structure_id=sid)
                compared = compared_frame(s, resolve_structure(s, sid))
                for col in ("post_id", "title", "division", "team", "grade"):
                    assert buffer(cost.by_post[col]) == buffer(posts[col])
                    assert buffer(compared[col]) == buffer(posts[col])
                    assert cost.by_post[col].tolist() == posts[col].tolist()
                assert buffer(cost.by_post["funding"]) == buffer(posts["funding"])
                assert cost.by_post["id"].tolist() == posts["id"].tolist()
                assert compared["fte"].tolist() == posts["fte"].tolist()
    finally:
        memo.forget()
        engine.dispose()
