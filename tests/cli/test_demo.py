"""The synthetic demo establishment (data/demo): it loads, its headline figures are the ones
counted by hand in data/demo/README.md, and its generator is deterministic.

The numbers below are literals on purpose: they were counted from the CSVs independently of
planner/, so a change to the data or to the metric rules shows up here.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from planner.cli.demo import DEMO_AUTHOR, DEMO_OPTION_NAME, DemoRefused, load_demo
from planner.core.auth import SYSTEM, Actor, authenticate
from planner.core.config import ROOT
from planner.core.db import make_engine, write_session
from planner.core.models import AuditEvent, ConsultationPlan, Occupancy, Person, Post, Structure
from planner.establishment.register import baseline_id, headline_metrics, posts_frame
from planner.structures.comparison import compare_structures
from planner.structures.options import create_option, list_structures

DEMO = ROOT / "data" / "demo"
SEEDS = ROOT.parent / "shared" / "seeds"
AS_AT = dt.date(2026, 11, 27)


def _rows(name: str) -> list[dict[str, str]]:
    with (DEMO / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def demo_engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    report = load_demo(eng)
    assert report.demo_loaded
    assert report.users_created == 4
    yield eng
    eng.dispose()


def test_headline_figures_match_the_hand_count(demo_engine):
    with Session(demo_engine) as s:
        m = headline_metrics(session=s, actor=SYSTEM)
    assert m.posts == 94
    assert m.establishment_fte == 93.5
    assert m.staff_in_post_fte == 63.3
    assert m.vacancies == 30
    assert m.vacancies_covered_by_interims == 23
    assert m.vacant_uncovered == 7
    assert m.interims == 23
    assert m.employees == 65
    assert m.people_by_origin == {"Brent": 51, "Capita": 11, "Lewisham": 1, "Southwark": 2}


def test_structure_has_one_root_and_five_levels(demo_engine):
    with Session(demo_engine) as s:
        posts = posts_frame(s, baseline_id(s))
    manager = dict(zip(posts["post_id"], posts["reports_to"], strict=True))
    roots = [p for p, m in manager.items() if not m]
    assert len(roots) == 1
    root = posts.set_index("post_id").loc[roots[0]]
    assert (root["title"], root["grade"]) == ("Chief Digital & Information Officer", "SM3")

    def level(post_id: str) -> int:
        n = 1
        while manager[post_id]:
            post_id = manager[post_id]
            n += 1
            assert n <= len(manager), "reporting cycle"
        return n

    levels = Counter(level(p) for p in manager)
    assert dict(levels) == {1: 1, 2: 6, 3: 17, 4: 41, 5: 29}
    assert Counter(posts["division"]) == {
        "Infrastructure & Service Delivery": 50, "Applications": 23,
        "Programmes, Transformation & Budget Management": 15, "Digital Services": 6}
    assert Counter(posts["partner"]) == {"shared": 88, "LGA": 2, "Lewisham": 2, "Southwark": 2}
    assert Counter(posts["funding"]) == {"base": 90, "project": 4}


def test_tupe_cohorts_job_share_fixed_term_and_secondment(demo_engine):
    with Session(demo_engine) as s:
        people = s.exec(select(Person)).all()
        capita = [p for p in people if p.origin == "Capita"]
        assert len(capita) == 11
        for p in capita:
            assert p.contract == "permanent"
            assert p.tupe_transfer_date == dt.date(2016, 4, 1)
            assert p.start_date == dt.date(2016, 4, 1)
            assert p.continuous_service_date < dt.date(2016, 4, 1)
        southwark = [p for p in people if p.origin == "Southwark"]
        assert len(southwark) == 2
        for p in southwark:
            assert p.tupe_transfer_date == dt.date(2017, 11, 1)
            assert p.start_date == dt.date(2017, 11, 1)
            assert p.continuous_service_date < dt.date(2017, 11, 1)
        assert sum(p.tupe_transfer_date is not None for p in people) == 13

        contracts = Counter(p.contract for p in people)
        assert contracts == {"permanent": 63, "interim": 18, "agency": 5, "fixed_term": 1,
                             "secondment": 1}
        assert all(p.day_rate_pence and p.scp is None and p.origin == ""
                   for p in people if p.contract in ("interim", "agency"))

        rows = s.exec(select(Post.post_ref, Post.fte, Person.contract, Occupancy.fte)
                      .join(Occupancy, Occupancy.post_id == Post.id)
                      .join(Person, Person.id == Occupancy.person_id)).all()
    by_post: dict[str, list] = {}
    for ref, post_fte, contract, fte in rows:
        by_post.setdefault(ref, []).append((post_fte, contract, fte))
    shared = {ref: occ for ref, occ in by_post.items() if len(occ) > 1}
    assert list(shared) == ["ICT-031"]
    assert [(float(pf), c, float(f)) for pf, c, f in shared["ICT-031"]] == [
        (1.0, "permanent", 0.5), (1.0, "permanent", 0.5)]


def test_demo_users_can_sign_in(demo_engine):
    with Session(demo_engine) as s:
        actor = authenticate(session=s, username="hr", password="demo-hr-2026")
        assert actor.role == "hr"
        s.commit()


def test_csv_rules_the_importer_does_not_check():
    posts, people = _rows("posts.csv"), _rows("people.csv")
    for row in posts + people:
        for value in row.values():
            assert len(value) <= 200
            assert not value.startswith(("=", "+", "-", "@"))
    assert len({p["name"] for p in people}) == len(people)
    for p in people:
        born = dt.date.fromisoformat(p["date_of_birth"])
        age = AS_AT.year - born.year - ((AS_AT.month, AS_AT.day) < (born.month, born.day))
        assert 22 <= age <= 64, p["employee_id"]
        sixteen = dt.date(born.year + 16, born.month, min(born.day, 28))
        for col in ("start_date", "continuous_service_date", "tupe_transfer_date"):
            if p[col]:
                assert sixteen <= dt.date.fromisoformat(p[col]) <= AS_AT, (p["employee_id"], col)


def test_no_demo_name_appears_in_the_seed_documents():
    texts = [f.read_text(encoding="utf-8", errors="replace").lower()
             for f in sorted(SEEDS.glob("*.txt"))]
    assert texts, f"no seed documents under {SEEDS}"
    names = [p["name"] for p in _rows("people.csv")]
    assert [n for n in names if any(n.lower() in t for t in texts)] == []


def _load_generator():
    spec = importlib.util.spec_from_file_location("demo_make_demo", DEMO / "make_demo.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


def test_generator_regenerates_the_committed_files(tmp_path: Path):
    _load_generator().main(tmp_path)
    for name in ("posts.csv", "people.csv", "equality.csv"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


# The demo option, counted by hand in data/demo/README.md ("The demo option").
AT_RISK_EMPLOYEES = ["E0002", "E0003", "E0007", "E0013", "E0021", "E0022", "E0023", "E0024",
                     "E0026", "E0027", "E0028", "E0029", "E0030", "E0031", "E0032", "E0033",
                     "E0034", "E0035", "E0036", "E0037", "E0038", "E0039"]


def test_demo_option_matches_the_hand_count(demo_engine):
    """Catches: the demo option drifting from README's hand count, losing its s.188 size
    (20+ employees in deleted posts) or its interim-covered deleted posts."""
    with Session(demo_engine) as s:
        structures = list_structures(session=s, actor=SYSTEM)
        option = structures[structures["kind"] == "option"].iloc[0]
        assert (option["name"], option["status"], option["posts"], option["fte"]) == (
            DEMO_OPTION_NAME, "published", 76, "76")  # its two drafts (issue 13)
        assert len(structures) == 2
        assert "single service desk" in option["description"]
        c = compare_structures(session=s, actor=SYSTEM, base="baseline", other=DEMO_OPTION_NAME)
    assert c.counts() == {"new": 9, "deleted": 27, "moved": 12, "regraded": 2, "resized": 0,
                          "unchanged": 55}
    assert sorted(c.posts_with("regraded")["post_id"]) == ["ICT-009", "ICT-020"]
    people = c.people
    employees = people[people["contract"].isin(["permanent", "fixed_term", "secondment"])]
    assert sorted(employees["employee_id"]) == AT_RISK_EMPLOYEES
    assert Counter(employees["contract"]) == {"permanent": 21, "fixed_term": 1}
    temps = people[people["contract"].isin(["interim", "agency"])]
    assert sorted(zip(temps["post_id"], temps["contract"], strict=True)) == [
        ("ICT-039", "interim"), ("ICT-042", "agency"), ("ICT-050", "agency"),
        ("ICT-054", "interim")]


def test_force_replaces_the_demo_option_with_its_records(demo_engine):
    """Catches: `load-demo --force` refused by the importer because the demo option exists,
    a second demo option appearing, or the old option's consultation rows left orphaned."""
    with write_session(demo_engine) as s:
        old = s.exec(select(Structure).where(Structure.name == DEMO_OPTION_NAME)).one()
        old_id = old.id
        s.add(ConsultationPlan(structure_id=old_id, reasons="Saving £1m."))
    report = load_demo(demo_engine, force=True)
    assert report.demo_loaded and report.options_replaced == (DEMO_OPTION_NAME,)
    with Session(demo_engine) as s:
        options = s.exec(select(Structure).where(Structure.kind == "option")).all()
        assert [o.name for o in options] == [DEMO_OPTION_NAME]
        assert s.exec(select(ConsultationPlan)).all() == []
        deleted = s.exec(select(AuditEvent).where(AuditEvent.entity == "structure",
                                                  AuditEvent.action == "delete")).one()
        assert deleted.entity_id == str(old_id)
        # The demo's people mapping (38 stored outcomes, 2 pools over 3 posts), its signed-off
        # stage 1 equality analysis (9 impacts), its two drafts with the response and its
        # financial plan (issue 15) go too.
        assert deleted.before["deleted_with_it"] == {
            "consultation_plans": 1, "person_mappings": 38, "mapping_pools": 2,
            "mapping_pool_posts": 3, "equality_checkpoints": 1, "equality_impacts": 9,
            "published_drafts": 2, "draft_responses": 1, "financial_plans": 1}
        c = compare_structures(session=s, actor=SYSTEM, base="baseline", other=DEMO_OPTION_NAME)
        assert c.counts()["deleted"] == 27 and len(c.people) == 26


def test_force_refuses_while_someone_elses_option_exists(demo_engine):
    """Catches: --force deleting a user's own option, or replacing the establishment from
    under it; the refusal names the option and nothing changes."""
    with write_session(demo_engine) as s:
        create_option(session=s, actor=DEMO_AUTHOR, name="Option 2: my work")
    with pytest.raises(DemoRefused, match="Option 2: my work"):
        load_demo(demo_engine, force=True)
    with Session(demo_engine) as s:
        names = list(list_structures(session=s, actor=SYSTEM)["name"])
    assert names == ["Current establishment", DEMO_OPTION_NAME, "Option 2: my work"]


def test_equality_answers_match_the_readme_count():
    """Catches: equality.csv drifting from the counts in data/demo/README.md, answers given
    to interims, or a question with no "prefer not to say" or blank answers to show."""
    rows = _rows("equality.csv")
    assert [r["employee_id"] for r in rows] == [f"E{i:04d}" for i in range(1, 66)]
    counts = {col: dict(Counter(r[col] for r in rows)) for col in rows[0] if col != "employee_id"}
    pns = "prefer not to say"
    assert counts == {
        "sex": {"Male": 40, "Female": 21, pns: 2, "": 2},
        "gender_reassignment": {"No": 51, "Yes": 1, pns: 8, "": 5},
        "disability": {"Not disabled": 49, "Disabled": 6, pns: 5, "": 5},
        "ethnicity": {"White British": 27, "Black or Black British": 14, "White other": 8,
                      "Asian or Asian British": 8, "Mixed": 3, "Other ethnic group": 1,
                      pns: 2, "": 2},
        "religion_or_belief": {"No religion": 27, "Christian": 18, "Hindu": 7, "Muslim": 5,
                               pns: 6, "": 2},
        "sexual_orientation": {"Heterosexual": 44, "Gay or lesbian": 5, "Bisexual": 3,
                               pns: 8, "": 5},
        "marriage_civil_partnership": {"Married or in a civil partnership": 33,
                                       "Not married or in a civil partnership": 26,
                                       pns: 3, "": 3},
        "pregnancy_maternity": {"No": 61, pns: 2, "": 2},
    }


def test_demo_loads_the_equality_answers(demo_engine):
    """Catches: load-demo leaving equality.csv out (the Equality page would show only
    unknowns) or giving interims and agency workers records."""
    from planner.equality.records import equality_records

    with Session(demo_engine) as s:
        df = equality_records(session=s, actor=SYSTEM)
    saved = df[df["version"] > 0]
    assert len(df) == 88 and len(saved) == 65
    assert set(saved["employee_id"].str[0]) == {"E"}
    e1 = saved.set_index("employee_id").loc["E0001"]
    assert (e1["sex"], e1["ethnicity"]) == ("Male", "White British")


def test_the_demo_cohorts_and_their_bases(demo_engine):
    """Catches: the Capita outsourcing and the Southwark council-to-council transfer missing
    their cohorts after load-demo, Southwark left on a TUPE basis (a transfer between public
    authorities runs under COSOP, TUPE reg 3(5)), or transfers finished ten years ago shown
    to a demo's audience as overdue."""
    from planner.legal.tupe import cohorts_frame

    with Session(demo_engine) as s:
        cohorts = cohorts_frame(session=s, actor=DEMO_AUTHOR).set_index("transferor")
    assert cohorts.loc["Capita", ["basis", "people", "transferee"]].tolist() == [
        "TUPE", 11, "Brent"]
    assert cohorts.loc["Southwark", ["basis", "people", "transferee"]].tolist() == [
        "COSOP", 2, "Brent"]
    # The past transfers as HR recorded them: done, except Southwark's ELI lacking claims.
    assert cohorts.loc["Capita", "flags"] == ""
    assert cohorts.loc["Southwark", "flags"] == (
        'ELI incomplete: still missing "Claims brought in the last 2 years, or reasonably '
        'expected" (TUPE reg 11(2)).')


def test_the_demo_mapping_matches_the_hand_count(database_url: str):
    """Catches: DEMO_MAPPING drifting from data/demo/README.md's hand count, or the legal
    clocks and the equality analysis not reading it (22 → 12 proposed dismissals; 24 → 15 at
    risk), or the exit bill moving without the README."""
    from planner.equality.analysis import analyse
    from planner.legal.consultation import consultation_view
    from planner.people.exit_bill import exit_bill
    from planner.people.exit_costs import ExitPolicy
    from planner.people.mapping import mapping_frame

    eng = make_engine(database_url)
    load_demo(eng)  # the demo ships mapped
    today = dt.date(2026, 12, 3)
    with Session(eng) as s:
        frame = mapping_frame(session=s, actor=DEMO_AUTHOR, structure=DEMO_OPTION_NAME)
        assert frame["outcome"].value_counts().to_dict() == {
            "unchanged": 50, "slotted": 18, "ring-fenced": 7, "at-risk": 5,
            "interim-released": 4, "voluntary-redundancy": 3, "fixed-term-ends": 1}
        view = consultation_view(session=s, actor=DEMO_AUTHOR, structure=DEMO_OPTION_NAME,
                                 today=today)
        assert (view.proposed, view.basis) == (12, "mapping")
        eq = analyse(session=s, actor=DEMO_AUTHOR, structure=DEMO_OPTION_NAME,
                     unsuppressed=True, today=today)
        assert eq.at_risk_total == 15
        bill = exit_bill(session=s, actor=DEMO_AUTHOR, structure=DEMO_OPTION_NAME, today=today,
                         policy=ExitPolicy())
        each = bill.people.set_index("employee_id")
        # E0026: 2 complete years (from 5 Nov 2024), both before age 22: 2 × 0.5 = 1 week,
        # capped at £751. E0002: 19 years, all from age 43: 28.5 weeks.
        assert (each.at["E0026", "years"], str(each.at["E0026", "weeks"]),
                int(each.at["E0026", "statutory_pence"])) == (2, "1.0", 75_100)
        assert (each.at["E0002", "years"], str(each.at["E0002", "weeks"])) == (19, "28.5")
        # Payback against draft 2's saving (£1,080,131.05 a year): 1.009 months, so 2.
        assert (bill.leaving, bill.total_pence, bill.payback_months) == (8, 9_082_843, 2)
        assert bill.annual_saving_pence == 108_013_105
        # E0002 (62), E0022 (58), E0027 (63): no fund figure, no estimate set.
        assert (bill.strain_liable, bill.strain_missing) == (3, 3)
    eng.dispose()


def test_no_mapping_leaves_the_proxy(database_url, capsys):
    """Catches: `load-demo --no-mapping` still mapping people, or the proxy's hand count
    (22 employees in deleted posts, data/demo/README.md) drifting."""
    from planner.cli.main import main
    from planner.legal.consultation import BASIS_POSTS, consultation_view
    from planner.people.mapping import has_mapping

    assert main(["load-demo", "--db", database_url, "--no-mapping"]) == 0
    capsys.readouterr()
    with Session(make_engine(database_url)) as s:
        option = s.exec(select(Structure).where(Structure.name == DEMO_OPTION_NAME)).one()
        assert not has_mapping(s, option.id)
        view = consultation_view(session=s, actor=DEMO_AUTHOR, structure=option.id,
                                 today=dt.date(2026, 12, 3))
        assert (view.proposed, view.basis) == (22, BASIS_POSTS)


def test_the_demo_drafts_match_the_hand_count(database_url: str):
    """Catches: the demo's published drafts drifting from data/demo/README.md (two drafts, a
    response accepted, six posts regraded in between)."""
    from planner.publishing.drafts import drafts_frame, read_draft
    from planner.publishing.responses import responses_frame

    eng = make_engine(database_url)
    load_demo(eng)
    with Session(eng) as s:
        union = Actor(id=None, username="union", role="union")
        listed = drafts_frame(session=s, actor=union, structure=DEMO_OPTION_NAME)
        assert list(listed["number"]) == [1, 2] and set(listed["status"]) == {"published"}
        first = read_draft(session=s, actor=union, structure=DEMO_OPTION_NAME, number=1)
        second = read_draft(session=s, actor=union, structure=DEMO_OPTION_NAME, number=2)
        assert first.snapshot["costs"]["saving_pence"] == 110_134_495
        assert second.snapshot["costs"]["saving_pence"] == 108_013_105
        assert first.snapshot["consultation"]["proposed"] == 12
        changes = second.changes()
        assert [r["post_id"] for r in changes["regraded"]] == [
            "ICT-098", "ICT-099", "ICT-100", "ICT-101", "ICT-102", "ICT-103"]
        log = responses_frame(session=s, actor=union, structure=DEMO_OPTION_NAME)
        assert list(zip(log["draft"], log["status"], strict=True)) == [(1, "accepted")]
        assert s.exec(select(Structure).where(
            Structure.name == DEMO_OPTION_NAME)).one().status == "published"


def test_the_demo_plan_matches_the_hand_check(demo_engine):
    """data/demo/README.md "The financial plan": Jordan Powell's 2027/28 cost and Southwark's
    2027/28 row, worked out by hand."""
    from planner.establishment.register import baseline_id
    from planner.finance import projection
    from planner.finance.plan import financial_plan, rules_for
    from planner.structures.costing import cost_inputs
    from planner.structures.pay import Spine

    with Session(demo_engine) as s:
        result = financial_plan(session=s, actor=SYSTEM, structure=DEMO_OPTION_NAME)
        base = cost_inputs(session=s, actor=SYSTEM, structure_id=baseline_id(s))
    assert result.saved and result.projection.labels[0] == "2026/27"
    prepared = projection.prepare(base)
    spine = projection.uprate_spine(projection.uprate_spine(base.spine.lookup, 300, 0, None),
                                    250, 0, None)
    rules = rules_for(result.assumptions, None)
    cost = projection.price_year(prepared, spine=Spine("2027/28", spine), salary=prepared.salary,
                                 steps=1, rules=rules[1], pension_bp=None)
    assert cost[list(prepared.post_ref).index("ICT-052")] == 5_372_354
    t = result.projection.table
    row = t[(t["partner"] == "Southwark") & (t["year"] == "2027/28")].iloc[0]
    assert (row["baseline_pence"], row["baseline_vacancy_pence"], row["option_pence"],
            row["option_vacancy_pence"], row["saving_pence"], row["gap_pence"]) == (
        244_007_173, 4_880_143, 206_779_277, 4_135_586, 36_483_339, 163_516_661)
    assert result.projection.break_even_on.isoformat() == "2026-11-01"
