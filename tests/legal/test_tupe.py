"""TUPE 2006 milestones (DOMAIN.md §3 template) and employee liability information (reg 11),
with exact dates. T = 1 Apr 2026: T − 8 weeks = 4 February, T − 28 days = 4 March."""

from __future__ import annotations

import datetime as dt

import pytest

from planner.legal import eto, tupe, tupe_rules

D = dt.date
T = D(2026, 4, 1)


def test_milestone_template_for_a_transfer() -> None:
    steps = tupe_rules.milestones(T)
    assert [(m.due, m.name.split(":")[0]) for m in steps] == [
        (D(2026, 2, 3), "Measures letter"),  # the day before representatives are informed
        (D(2026, 2, 4), "Inform appropriate representatives"),  # T − 8 weeks
        (D(2026, 3, 4), "Employee liability information received by the transferee"),  # T − 28
        (D(2026, 3, 31), "Consultation on measures finished, with a view to agreement"),
        (T, "Transfer"),  # payroll
        (T, "Transfer"),  # pension
        (T, "Transfer"),  # particulars
        (T, "After transfer"),
    ]
    assert all(m.rule for m in steps)
    assert "reg 11(6)" in steps[2].rule and "reg 13(4)" in steps[0].rule
    assert steps[0].as_dict()["due"] == "2026-02-03"


@pytest.mark.parametrize(
    ("weeks", "letter", "inform"),
    [
        (12, D(2026, 1, 6), D(2026, 1, 7)),
        (8, D(2026, 2, 3), D(2026, 2, 4)),
        (1, D(2026, 3, 24), D(2026, 3, 25)),
    ],
)
def test_inform_weeks_is_a_setting(weeks: int, letter: dt.date, inform: dt.date) -> None:
    due = {m.name.split(":")[0]: m.due for m in tupe_rules.milestones(T, inform_weeks=weeks)}
    assert due["Measures letter"] == letter
    assert due["Inform appropriate representatives"] == inform
    assert due["Employee liability information received by the transferee"] == D(2026, 3, 4)


def test_late_informing_sorts_after_eli() -> None:
    # Informing 2 weeks ahead (18 March) falls after the ELI deadline (4 March): date order.
    names = [m.name.split(":")[0] for m in tupe_rules.milestones(T, inform_weeks=2)]
    assert names[:3] == ["Employee liability information received by the transferee",
                         "Measures letter", "Inform appropriate representatives"]


def test_inform_weeks_must_be_positive() -> None:
    with pytest.raises(ValueError):
        tupe_rules.milestones(T, inform_weeks=0)


@pytest.mark.parametrize(
    ("case", "transfer", "received", "as_of", "late"),
    [
        ("29 days before", T, D(2026, 3, 3), None, False),
        ("exactly 28 days before", T, D(2026, 3, 4), None, False),
        ("27 days before", T, D(2026, 3, 5), None, True),
        ("on transfer day", T, T, None, True),
        ("not received, deadline not passed", T, None, D(2026, 3, 4), False),
        ("not received, deadline passed", T, None, D(2026, 3, 5), True),
        ("not received, no date to judge by", T, None, None, True),
        # Before 1 May 2014 the period was 14 days (reg 11(6) before SI 2014/16).
        ("2014 rule: 14 days before", D(2014, 4, 30), D(2014, 4, 16), None, False),
        ("2014 rule: 13 days before", D(2014, 4, 30), D(2014, 4, 17), None, True),
        ("from 1 May 2014: 28 days", D(2014, 5, 1), D(2014, 4, 4), None, True),
    ],
)
def test_eli_late(case: str, transfer: dt.date, received: dt.date | None,
                  as_of: dt.date | None, late: bool) -> None:
    assert tupe_rules.eli_late(transfer, received, as_of=as_of) is late


def test_eli_deadline() -> None:
    assert tupe_rules.eli_deadline(T) == D(2026, 3, 4)
    assert tupe_rules.eli_deadline(D(2014, 5, 1)) == D(2014, 4, 3)


@pytest.mark.parametrize(
    ("received", "missing"),
    [
        (set(), ["identity_and_age", "particulars", "disciplinary_and_grievance", "claims",
                 "collective_agreements"]),
        ({"particulars", "claims"},
         ["identity_and_age", "disciplinary_and_grievance", "collective_agreements"]),
        (set(tupe_rules.ELI_KEYS), []),
    ],
)
def test_eli_missing(received: set[str], missing: list[str]) -> None:
    assert tupe_rules.eli_missing(received) == missing


def test_eli_missing_refuses_unknown_items() -> None:
    with pytest.raises(ValueError, match="claim"):
        tupe_rules.eli_missing({"claim"})


def test_eli_checklist_cites_reg_11_2() -> None:
    assert [i.rule for i in tupe_rules.ELI_ITEMS] == [f"reg 11(2)({x})" for x in "abcde"]


# --- cohorts (database services) -------------------------------------------------------------
# The six-post establishment has E4 from Capita on 1 April 2016; the world adds a second
# 2016 Capita transferee with no post, a Capita transfer on T (1 April 2026), one from
# Southwark, and two people who join no cohort (an origin with no date, a date with no origin).

NOW = D(2026, 3, 10)  # after the ELI deadline (4 March), before the transfer


def _person(session, ref: str, origin: str, transfer: dt.date | None, **kw):
    from planner.core.models import Person

    p = Person(employee_ref=ref, name=f"Person {ref}", contract="permanent", origin=origin,
               tupe_transfer_date=transfer, **kw)
    session.add(p)
    session.flush()
    return p


@pytest.fixture
def world(session):
    from tests.factories import build_small_establishment, make_actors

    actors = make_actors(session)
    build_small_establishment(session)
    _person(session, "E5", "Capita", D(2016, 4, 1), continuous_service_date=D(2009, 6, 1))
    _person(session, "E6", "Southwark", D(2017, 11, 1))
    _person(session, "E7", "Capita", T)
    _person(session, "E8", "Lewisham", None)
    _person(session, "E9", "", T)
    session.commit()
    return session, actors


@pytest.fixture
def synced(world):
    session, actors = world
    tupe.sync_cohorts(session=session, actor=actors["hr"])
    session.commit()
    return session, actors


def _cohort_id(session, transferor: str, transfer: dt.date) -> int:
    from sqlmodel import select

    from planner.core.models import TupeCohort

    return session.exec(select(TupeCohort.id).where(TupeCohort.transferor == transferor,
                                                    TupeCohort.transfer_date == transfer)).one()


def _events(session, entity: str, action: str | None = None) -> list:
    from sqlmodel import select

    from planner.core.models import AuditEvent

    q = select(AuditEvent).where(AuditEvent.entity == entity)
    if action:
        q = q.where(AuditEvent.action == action)
    return list(session.exec(q.order_by(AuditEvent.id)))


def test_sync_creates_one_cohort_per_transferor_and_date_and_is_idempotent(world):
    session, actors = world
    assert tupe.sync_cohorts(session=session, actor=actors["hr"]) == 3
    assert tupe.sync_cohorts(session=session, actor=actors["hr"]) == 0
    frame = tupe.cohorts_frame(session=session, actor=actors["hr"], today=NOW)
    assert list(frame.columns) == tupe.COHORT_COLUMNS
    assert frame[["name", "transferor", "transferee", "basis", "transfer_date", "people",
                  "version"]].to_dict("records") == [
        {"name": "Capita to Brent, 1 Apr 2016", "transferor": "Capita", "transferee": "Brent",
         "basis": "TUPE", "transfer_date": D(2016, 4, 1), "people": 2, "version": 1},
        {"name": "Southwark to Brent, 1 Nov 2017", "transferor": "Southwark",
         "transferee": "Brent", "basis": "TUPE", "transfer_date": D(2017, 11, 1), "people": 1,
         "version": 1},
        {"name": "Capita to Brent, 1 Apr 2026", "transferor": "Capita", "transferee": "Brent",
         "basis": "TUPE", "transfer_date": T, "people": 1, "version": 1},
    ]
    created = _events(session, "tupe_cohort", "create")
    assert len(created) == 3  # once per created cohort, not again on the second sync
    assert created[0].username == "hr-user" and created[0].after["transfer_date"] == "2016-04-01"


def test_a_new_transferee_joins_the_existing_cohort(synced):
    session, actors = synced
    _person(session, "E10", "Capita", T)
    assert tupe.sync_cohorts(session=session, actor=actors["hr"]) == 0
    frame = tupe.cohorts_frame(session=session, actor=actors["hr"], today=NOW)
    assert frame.set_index("transfer_date").loc[T, "people"] == 2
    joined = _events(session, "tupe_cohort", "join")
    assert len(joined) == 1 and len(joined[0].after["people"]) == 1


def test_cohort_people_with_their_baseline_posts(synced):
    session, actors = synced
    people = tupe.cohort_people(session=session, actor=actors["hr"],
                                cohort_id=_cohort_id(session, "Capita", D(2016, 4, 1)))
    assert list(people.columns) == tupe.PEOPLE_COLUMNS
    assert people.to_dict("records") == [
        {"employee_id": "E4", "name": "Eli Fox", "post_id": "O3", "title": "Officer",
         "continuous_service_date": None, "tupe_transfer_date": D(2016, 4, 1)},
        {"employee_id": "E5", "name": "Person E5", "post_id": "", "title": "",
         "continuous_service_date": D(2009, 6, 1), "tupe_transfer_date": D(2016, 4, 1)},
    ]


def test_cohort_milestones_have_the_template_dates(synced):
    session, actors = synced
    steps = tupe.cohort_milestones(session=session, actor=actors["hr"],
                                   cohort_id=_cohort_id(session, "Capita", T), today=D(2026, 2, 4))
    assert list(steps.columns) == tupe.MILESTONE_COLUMNS
    assert list(zip(steps["key"], steps["due"], steps["status"], strict=True)) == [
        ("measures_letter", D(2026, 2, 3), "overdue"),
        ("inform", D(2026, 2, 4), "due"),  # due today is not yet overdue
        ("eli", D(2026, 3, 4), "due"),
        ("consult", D(2026, 3, 31), "due"),
        ("payroll", T, "due"), ("pension", T, "due"), ("particulars", T, "due"), ("eto", T, "due"),
    ]
    assert steps["name"].tolist() == [m.name for m in tupe_rules.milestones(T)]
    assert steps["rule"].tolist() == [m.rule for m in tupe_rules.milestones(T)]


def test_mark_milestone_done_and_undone(synced):
    from planner.core.errors import ValidationFailed

    session, actors = synced
    cid = _cohort_id(session, "Capita", T)

    def step(key):
        frame = tupe.cohort_milestones(session=session, actor=actors["hr"], cohort_id=cid,
                                       today=NOW)
        return frame.set_index("key").loc[key]

    mid = int(step("inform")["id"])
    tupe.mark_milestone(session=session, actor=actors["hr"], milestone_id=mid,
                        done_on=D(2026, 2, 4), today=NOW)
    assert (step("inform")["status"], step("inform")["done_on"]) == ("done", D(2026, 2, 4))
    with pytest.raises(ValidationFailed, match="has not happened yet"):
        tupe.mark_milestone(session=session, actor=actors["hr"], milestone_id=mid,
                            done_on=NOW + dt.timedelta(days=1), today=NOW)
    tupe.mark_milestone(session=session, actor=actors["hr"], milestone_id=mid, done_on=None,
                        today=NOW)
    assert step("inform")["status"] == "overdue"
    marks = _events(session, "tupe_milestone", "mark")
    assert [(e.before["done_on"], e.after["done_on"]) for e in marks] == [
        (None, "2026-02-04"), ("2026-02-04", None)]


@pytest.mark.parametrize(
    ("received", "late"),
    [(D(2026, 3, 4), False),  # exactly 28 days before: on time
     (D(2026, 3, 5), True)],  # 27 days before: late
)
def test_eli_on_time_or_late(synced, received, late):
    session, actors = synced
    cid = _cohort_id(session, "Capita", T)
    tupe.record_eli(session=session, actor=actors["hr"], cohort_id=cid, received_on=received,
                    items=tupe_rules.ELI_KEYS, expected_version=1, today=NOW)
    row = tupe.cohorts_frame(session=session, actor=actors["hr"], today=NOW).set_index("id").loc[cid]
    assert row["eli_received_on"] == received and row["eli_missing"] == ""
    assert row["version"] == 2
    eli_flags = [f for f in row["flags"].split("; ") if f.startswith("ELI")]
    if late:
        assert eli_flags == ["ELI late: employee liability information arrived on 5 Mar 2026, "
                             "after the deadline of 4 Mar 2026, 28 days before the transfer "
                             "(TUPE reg 11(6))."]
    else:
        assert eli_flags == []


def test_eli_not_received_is_late_only_after_the_deadline(synced):
    session, actors = synced
    cid = _cohort_id(session, "Capita", T)

    def flags(today):
        frame = tupe.cohorts_frame(session=session, actor=actors["hr"], today=today)
        return frame.set_index("id").loc[cid, "flags"]

    assert "ELI" not in flags(D(2026, 3, 4))
    assert "ELI late: employee liability information was not received by 4 Mar 2026" in flags(
        D(2026, 3, 5))


def test_incomplete_eli_names_the_missing_items(synced):
    session, actors = synced
    cid = _cohort_id(session, "Capita", T)
    tupe.record_eli(session=session, actor=actors["hr"], cohort_id=cid, received_on=D(2026, 3, 1),
                    items=["claims", "particulars"], expected_version=1, today=NOW)
    row = tupe.cohorts_frame(session=session, actor=actors["hr"], today=NOW).set_index("id").loc[cid]
    assert row["eli_missing"] == ("Identity and age; Disciplinary and grievance cases in the last "
                                  "2 years; Collective agreements that will apply after the "
                                  "transfer")
    assert ('ELI incomplete: still missing "Identity and age", "Disciplinary and grievance cases '
            'in the last 2 years", "Collective agreements that will apply after the transfer" '
            '(TUPE reg 11(2)).') in row["flags"]
    assert "ELI late" not in row["flags"]


@pytest.mark.parametrize(
    ("received_on", "items", "column"),
    [(D(2026, 3, 1), ["claim"], "eli_items"),  # a misspelt key would make the list look complete
     (NOW + dt.timedelta(days=1), [], "eli_received_on"),  # not yet happened
     (None, ["claims"], "eli_received_on")],  # items with no date received
)
def test_record_eli_refuses_bad_input_and_saves_nothing(synced, received_on, items, column):
    from planner.core.errors import ValidationFailed

    session, actors = synced
    cid = _cohort_id(session, "Capita", T)
    with pytest.raises(ValidationFailed) as exc:
        tupe.record_eli(session=session, actor=actors["hr"], cohort_id=cid,
                        received_on=received_on, items=items, expected_version=1, today=NOW)
    assert [e.column for e in exc.value.errors] == [column]
    frame = tupe.cohorts_frame(session=session, actor=actors["hr"], today=NOW).set_index("id")
    assert frame.loc[cid, "version"] == 1 and _events(session, "tupe_cohort", "record_eli") == []


def test_stale_version_is_refused(synced):
    from planner.core.errors import StaleVersion

    session, actors = synced
    cid = _cohort_id(session, "Capita", T)
    tupe.set_measures(session=session, actor=actors["hr"], cohort_id=cid,
                      transferor_measures="None", transferee_measures="Move to Brent payroll",
                      notified_on=D(2026, 2, 2), expected_version=1, today=NOW)
    with pytest.raises(StaleVersion, match="version 2, you read version 1"):
        tupe.record_eli(session=session, actor=actors["hr"], cohort_id=cid,
                        received_on=D(2026, 3, 1), items=[], expected_version=1, today=NOW)
    with pytest.raises(StaleVersion):
        tupe.set_measures(session=session, actor=actors["hr"], cohort_id=cid,
                          transferor_measures="", transferee_measures="", notified_on=None,
                          expected_version=1, today=NOW)
    events = _events(session, "tupe_cohort", "set_measures")
    assert len(events) == 1
    assert events[0].before["version"] == 1 and events[0].after == {
        "eli_received_on": None, "eli_items": [], "transferor_measures": "None",
        "transferee_measures": "Move to Brent payroll", "measures_notified_on": "2026-02-02",
        "version": 2}


def test_set_measures_refuses_a_future_notification(synced):
    from planner.core.errors import ValidationFailed

    session, actors = synced
    with pytest.raises(ValidationFailed, match="has not happened yet"):
        tupe.set_measures(session=session, actor=actors["hr"],
                          cohort_id=_cohort_id(session, "Capita", T), transferor_measures="",
                          transferee_measures="", notified_on=NOW + dt.timedelta(days=1),
                          expected_version=1, today=NOW)


def _call(name: str, session, actor, cid: int, mid: int):
    return {
        "sync_cohorts": lambda: tupe.sync_cohorts(session=session, actor=actor),
        "cohorts_frame": lambda: tupe.cohorts_frame(session=session, actor=actor, today=NOW),
        "cohort_people": lambda: tupe.cohort_people(session=session, actor=actor, cohort_id=cid),
        "cohort_milestones": lambda: tupe.cohort_milestones(session=session, actor=actor,
                                                            cohort_id=cid, today=NOW),
        "mark_milestone": lambda: tupe.mark_milestone(session=session, actor=actor,
                                                      milestone_id=mid, done_on=NOW, today=NOW),
        "record_eli": lambda: tupe.record_eli(session=session, actor=actor, cohort_id=cid,
                                              received_on=NOW, items=[], expected_version=1,
                                              today=NOW),
        "set_measures": lambda: tupe.set_measures(session=session, actor=actor, cohort_id=cid,
                                                  transferor_measures="", transferee_measures="",
                                                  notified_on=None, expected_version=1,
                                                  today=NOW),
    }[name]()


READS = ("cohorts_frame", "cohort_people", "cohort_milestones")
EDITS = ("sync_cohorts", "mark_milestone", "record_eli", "set_measures")
ALLOWED = {  # role -> the services it may call
    "union": set(),
    "manager": set(READS),
    "admin": set(READS),
    "hr": set(READS) | set(EDITS),
}


@pytest.mark.parametrize("name", READS + EDITS)
@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_permissions(synced, role, name):
    from planner.core.errors import PermissionDenied

    session, actors = synced
    cid = _cohort_id(session, "Capita", T)
    mid = int(tupe.cohort_milestones(session=session, actor=actors["hr"], cohort_id=cid)["id"][0])
    if name in ALLOWED[role]:
        _call(name, session, actors[role], cid, mid)
    else:
        with pytest.raises(PermissionDenied) as exc:
            _call(name, session, actors[role], cid, mid)
        assert exc.value.action in ("tupe.read", "tupe.edit")


def test_cohort_people_needs_personal_read(synced, monkeypatch):
    """A role that may follow the transfer but not see personal data gets no member list."""
    from planner.core import auth
    from planner.core.errors import PermissionDenied

    session, actors = synced
    cid = _cohort_id(session, "Capita", T)
    monkeypatch.setitem(auth.PERMISSIONS, "personal.read", frozenset({"hr", "admin"}))
    tupe.cohort_milestones(session=session, actor=actors["manager"], cohort_id=cid)
    with pytest.raises(PermissionDenied) as exc:
        tupe.cohort_people(session=session, actor=actors["manager"], cohort_id=cid)
    assert exc.value.action == "personal.read"


# --- cohort_flags: the pure rule -------------------------------------------------------------


def _flags(today: dt.date, *, inform_done: dt.date | None = None,
           notified: dt.date | None = None) -> list[str]:
    from planner.core.models import TupeCohort, TupeMilestone

    cohort = TupeCohort(id=1, name="Capita to Brent", transferor="Capita", transferee="Brent",
                        transfer_date=T, eli_received_on=D(2026, 3, 1), eli_items=list(tupe_rules.ELI_KEYS),
                        measures_notified_on=notified)
    steps = [TupeMilestone(cohort_id=1, key=m.key, name=m.name, due=m.due, rule=m.rule,
                           done_on=inform_done if m.key == "inform" else None)
             for m in tupe_rules.milestones(T)]
    return tupe.cohort_flags(cohort, steps, today)


@pytest.mark.parametrize(
    ("case", "today", "inform_done", "notified", "expected"),
    [
        ("before anything is due", D(2026, 2, 2), None, None, []),
        ("measures letter due, not notified", D(2026, 2, 3), None, None,
         ["Measures not notified to the transferor: Brent was due to tell Capita in writing by "
          "3 Feb 2026 what measures it envisages, or that there are none (TUPE reg 13(4))."]),
        ("notified, inform due today", D(2026, 2, 4), None, D(2026, 2, 2), []),
        ("inform date passed", D(2026, 2, 5), None, D(2026, 2, 2),
         ["Representatives not informed by 4 Feb 2026, 8 weeks before the transfer "
          "(TUPE reg 13(2))."]),
        ("informed on the day", D(2026, 3, 5), D(2026, 2, 4), D(2026, 2, 2), []),
        ("informed late", D(2026, 3, 5), D(2026, 2, 10), D(2026, 2, 2),
         ["Representatives not informed by 4 Feb 2026, 8 weeks before the transfer "
          "(TUPE reg 13(2)); they were informed on 10 Feb 2026."]),
    ],
)
def test_cohort_flags(case, today, inform_done, notified, expected):
    assert _flags(today, inform_done=inform_done, notified=notified) == expected


# --- update_cohort ---------------------------------------------------------------------------


def test_update_cohort_redates_inform_milestones_and_renames(synced):
    """Catches: a new lead time left off the milestones (or moving the ELI/transfer dates too),
    a done date lost on re-dating, a transferee change not renaming, no version bump or audit."""
    session, actors = synced
    hr = actors["hr"]
    cid = _cohort_id(session, "Capita", T)
    steps = tupe.cohort_milestones(session=session, actor=hr, cohort_id=cid, today=NOW)
    inform_id = int(steps.loc[steps["key"] == "inform", "id"].iloc[0])
    tupe.mark_milestone(session=session, actor=hr, milestone_id=inform_id, done_on=D(2026, 2, 1),
                        today=NOW)
    before = dict(zip(steps["key"], steps["due"], strict=True))
    cohort = tupe.update_cohort(session=session, actor=hr, cohort_id=cid, basis="COSOP",
                                transferee=" Harrow ", inform_weeks=12, expected_version=1)
    session.commit()
    assert (cohort.basis, cohort.transferee, cohort.inform_weeks, cohort.version) == (
        "COSOP", "Harrow", 12, 2)
    assert cohort.name == "Capita to Harrow, 1 Apr 2026"
    after = tupe.cohort_milestones(session=session, actor=hr, cohort_id=cid, today=NOW)
    due = dict(zip(after["key"], after["due"], strict=True))
    # 1 April 2026 - 12 weeks = 7 January 2026; the letter the day before.
    assert due["inform"] == D(2026, 1, 7) and due["measures_letter"] == D(2026, 1, 6)
    assert {k: v for k, v in due.items() if k not in ("inform", "measures_letter")} == {
        k: v for k, v in before.items() if k not in ("inform", "measures_letter")}
    done = dict(zip(after["key"], after["done_on"], strict=True))
    assert done["inform"] == D(2026, 2, 1)
    event = _events(session, "tupe_cohort", "update")[-1]
    assert event.username == hr.username
    assert event.before["inform_weeks"] == 8 and event.after["inform_weeks"] == 12
    assert event.after["transferee"] == "Harrow" and event.after["version"] == 2


@pytest.mark.parametrize(
    ("basis", "transferee", "weeks", "column"),
    [
        ("Outsourcing", "Brent", 8, "basis"),
        ("TUPE", "   ", 8, "transferee"),
        ("TUPE", "x" * 81, 8, "transferee"),
        ("TUPE", "Brent", 0, "inform_weeks"),
        ("TUPE", "Brent", 53, "inform_weeks"),
    ],
)
def test_update_cohort_refuses_bad_input(synced, basis, transferee, weeks, column):
    """Catches: an unknown basis, a blank or too long transferee, or a lead time of 0 or over a
    year being saved."""
    from planner.core.errors import ValidationFailed

    session, actors = synced
    cid = _cohort_id(session, "Capita", T)
    with pytest.raises(ValidationFailed) as exc:
        tupe.update_cohort(session=session, actor=actors["hr"], cohort_id=cid, basis=basis,
                           transferee=transferee, inform_weeks=weeks, expected_version=1)
    assert [e.column for e in exc.value.errors] == [column]
    session.rollback()
    frame = tupe.cohorts_frame(session=session, actor=actors["hr"], today=NOW)
    row = frame[frame["id"] == cid].iloc[0]
    assert (row["basis"], row["version"]) == ("TUPE", 1)


def test_update_cohort_refuses_a_stale_version(synced):
    """Catches: a second editor overwriting the first's change unseen."""
    from planner.core.errors import StaleVersion

    session, actors = synced
    cid = _cohort_id(session, "Capita", T)
    tupe.update_cohort(session=session, actor=actors["hr"], cohort_id=cid, basis="TUPE",
                       transferee="Brent", inform_weeks=10, expected_version=1)
    session.commit()
    with pytest.raises(StaleVersion):
        tupe.update_cohort(session=session, actor=actors["hr"], cohort_id=cid, basis="COSOP",
                           transferee="Brent", inform_weeks=8, expected_version=1)


# --- ETO rationale per change an option makes to a transferee's post -------------------------


def _option(session, actors, name: str, *, updated=None, deleted=None) -> int:
    from sqlmodel import select

    from planner.core.models import Post
    from planner.establishment.register import PostEdits
    from planner.structures.options import create_option, edit_option_posts

    manager = actors["manager"]
    option = create_option(session=session, actor=manager, name=name)
    versions = {p.post_ref: p.version for p in session.exec(
        select(Post).where(Post.structure_id == option.id))}
    touched = list((updated or {}).keys()) + list(deleted or [])
    edit_option_posts(session=session, actor=manager, structure=option.id, edits=PostEdits(
        updated=updated or {}, deleted=deleted or [],
        versions={ref: versions[ref] for ref in touched}))
    session.commit()
    return option.id


def _post_pk(session, ref: str) -> int:
    from sqlmodel import select

    from planner.core.models import Post
    from planner.establishment.register import baseline_id

    return session.exec(select(Post.id).where(Post.structure_id == baseline_id(session),
                                              Post.post_ref == ref)).one()


def _person_id(session, ref: str) -> int:
    from sqlmodel import select

    from planner.core.models import Person

    return session.exec(select(Person.id).where(Person.employee_ref == ref)).one()


@pytest.mark.parametrize(
    ("updated", "deleted", "change"),
    [
        ({"O3": {"grade": "PO2"}, "M1": {"grade": "PO7"}}, [], "regraded"),
        ({"O3": {"team": "Analysis", "grade": "PO2"}}, [], "moved; regraded"),
        ({"M1": {"grade": "PO7"}}, ["O3"], "deleted"),
    ],
)
def test_tupe_changes_lists_transferees_in_changed_posts(synced, updated, deleted, change):
    """Catches: changes to posts of people who did not come by TUPE listed (M1), a deleted
    post left out, or the baseline post's id/title/grade taken from the wrong structure."""
    session, actors = synced
    oid = _option(session, actors, "Option T", updated=updated, deleted=deleted)
    frame = eto.tupe_changes(session=session, actor=actors["manager"], structure=oid)
    assert list(frame.columns) == eto.TUPE_CHANGE_COLUMNS
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["employee_id"], row["name"], row["post_id"], row["title"], row["grade"]) == (
        "E4", "Eli Fox", "O3", "Officer", "PO1")
    assert row["cohort"] == "Capita to Brent, 1 Apr 2016"
    assert row["baseline_post_id"] == _post_pk(session, "O3")
    assert row["person_id"] == _person_id(session, "E4")
    assert row["change"] == change
    assert (row["rationale"], row["recorded_by"], row["version"]) == ("", "", 0)
    assert bool(row["needs_rationale"]) is True


def test_tupe_changes_is_empty_when_no_transferee_post_changes(synced):
    """Catches: unchanged posts (or the baseline itself) listed as needing a rationale."""
    session, actors = synced
    oid = _option(session, actors, "Option M", updated={"M1": {"grade": "PO7"}})
    assert eto.tupe_changes(session=session, actor=actors["hr"], structure=oid).empty
    assert eto.tupe_changes(session=session, actor=actors["hr"], structure="baseline").empty


def test_set_eto_rationale_records_versions_and_audits(synced):
    """Catches: a rationale not shown against its change, a second save not bumping the
    version, a stale save overwriting, or the change not audited as the recorder."""
    from planner.core.errors import StaleVersion

    session, actors = synced
    hr = actors["hr"]
    oid = _option(session, actors, "Option T", updated={"O3": {"grade": "PO2"}})
    pid, post = _person_id(session, "E4"), _post_pk(session, "O3")
    row = eto.set_eto_rationale(session=session, actor=hr, structure=oid, person_id=pid,
                                 baseline_post_id=post, rationale="  New duties in the "
                                 "service desk redesign  ", expected_version=0)
    session.commit()
    assert (row.version, row.change, row.recorded_by) == (1, "regraded", hr.username)
    frame = eto.tupe_changes(session=session, actor=hr, structure=oid)
    assert frame.iloc[0]["rationale"] == "New duties in the service desk redesign"
    assert (frame.iloc[0]["version"], bool(frame.iloc[0]["needs_rationale"])) == (1, False)
    assert frame.iloc[0]["recorded_by"] == hr.username
    eto.set_eto_rationale(session=session, actor=hr, structure=oid, person_id=pid,
                           baseline_post_id=post, rationale="Technical: new platform",
                           expected_version=1)
    session.commit()
    with pytest.raises(StaleVersion):
        eto.set_eto_rationale(session=session, actor=hr, structure=oid, person_id=pid,
                               baseline_post_id=post, rationale="Overwrite", expected_version=1)
    session.rollback()
    with pytest.raises(StaleVersion):  # a second "first" save
        eto.set_eto_rationale(session=session, actor=hr, structure=oid, person_id=pid,
                               baseline_post_id=post, rationale="Overwrite", expected_version=0)
    session.rollback()
    events = _events(session, "eto_rationale", "set_eto")
    assert [e.after["version"] for e in events] == [1, 2]
    assert events[0].before is None and events[1].before["rationale"].startswith("New duties")
    assert {e.username for e in events} == {hr.username}


@pytest.mark.parametrize(
    ("who", "post", "text", "column"),
    [
        ("E4", "O3", "   ", "rationale"),
        ("E4", "O3", "x" * 4001, "rationale"),
        ("E4", "H1", "A reason", "baseline_post_id"),  # E4 is not in H1
        ("E1", "H1", "A reason", "baseline_post_id"),  # E1 did not come by TUPE
        ("E2", "M1", "A reason", "baseline_post_id"),  # M1 is unchanged in this option
    ],
)
def test_set_eto_rationale_refusals(synced, who, post, text, column):
    """Catches: a blank or over-long rationale saved, or a rationale stored for a post the
    option does not change or for a person who did not come by TUPE."""
    from sqlmodel import select

    from planner.core.errors import ValidationFailed
    from planner.core.models import EtoRationale

    session, actors = synced
    oid = _option(session, actors, "Option T", updated={"O3": {"grade": "PO2"},
                                                        "H1": {"grade": "SM3"}})
    with pytest.raises(ValidationFailed) as exc:
        eto.set_eto_rationale(session=session, actor=actors["hr"], structure=oid,
                               person_id=_person_id(session, who),
                               baseline_post_id=_post_pk(session, post), rationale=text,
                               expected_version=0)
    assert [e.column for e in exc.value.errors] == [column]
    session.rollback()
    assert session.exec(select(EtoRationale)).all() == []


@pytest.mark.parametrize("role", ["manager", "union", "admin"])
def test_only_hr_edits_cohorts_and_eto_rationales(synced, role):
    """Catches: update_cohort or set_eto_rationale callable by a role without tupe.edit."""
    from planner.core.errors import PermissionDenied

    session, actors = synced
    oid = _option(session, actors, "Option T", updated={"O3": {"grade": "PO2"}})
    cid = _cohort_id(session, "Capita", T)
    with pytest.raises(PermissionDenied) as exc:
        tupe.update_cohort(session=session, actor=actors[role], cohort_id=cid, basis="COSOP",
                           transferee="Brent", inform_weeks=8, expected_version=1)
    assert exc.value.action == "tupe.edit"
    with pytest.raises(PermissionDenied) as exc:
        eto.set_eto_rationale(session=session, actor=actors[role], structure=oid,
                               person_id=_person_id(session, "E4"),
                               baseline_post_id=_post_pk(session, "O3"), rationale="A reason",
                               expected_version=0)
    assert exc.value.action == "tupe.edit"


def test_manager_cannot_mark_milestones(synced):
    """Catches: a manager (tupe.read only) marking a TUPE milestone done."""
    from planner.core.errors import PermissionDenied

    session, actors = synced
    cid = _cohort_id(session, "Capita", T)
    mid = int(tupe.cohort_milestones(session=session, actor=actors["hr"], cohort_id=cid)["id"][0])
    with pytest.raises(PermissionDenied):
        tupe.mark_milestone(session=session, actor=actors["manager"], milestone_id=mid,
                            done_on=NOW, today=NOW)


@pytest.mark.parametrize(("role", "allowed"), [("manager", True), ("hr", True),
                                               ("admin", True), ("union", False)])
def test_tupe_changes_needs_tupe_personal_and_options_read(synced, role, allowed):
    """Catches: a union rep (no tupe.read, personal.read or options.read) seeing transferees'
    names against an option's changes."""
    from planner.core.errors import PermissionDenied

    session, actors = synced
    oid = _option(session, actors, "Option T", updated={"O3": {"grade": "PO2"}})
    if allowed:
        assert len(eto.tupe_changes(session=session, actor=actors[role], structure=oid)) == 1
    else:
        with pytest.raises(PermissionDenied):
            eto.tupe_changes(session=session, actor=actors[role], structure=oid)
