"""The audit log in plain sentences (planner.core.audit_text): one case per action and entity the
code records (grep `audit.record(`), with the sentence a director reads."""

from __future__ import annotations

import pytest

from planner.core.audit import record
from planner.core.audit_text import AuditNames, describe, names_for, person
from planner.core.auth import SYSTEM, Actor, add_user
from planner.core.models import AuditEvent

NAMES = AuditNames(
    people={"marcus": "Marcus Obi (Head of Infrastructure)", "harriet": "Harriet Rowe",
            "uma": "Uma Patel"},
    structures={1: "Baseline", 2: "Option 1", 3: "Option 2"},
    post_structure={40: 2, 41: 1},
    cohorts={7: "Capita to Brent, 1 Apr 2016"},
)
POST = {"post_id": "ICT-020", "title": "Networks Lead", "division": "Infra", "team": "Net",
        "reports_to": "ICT-008", "grade": "PO3", "fte": "1", "partner": "shared",
        "funding": "base", "notes": ""}

CASES = [
    # (who, action, entity, entity_id, before, after, sentence)
    ("marcus", "envelope", "structure", "3",
     {"envelope_pence": 700_000_000, "months": 12, "shares": {}},
     {"envelope_pence": 680_000_000, "months": 12, "shares": {}, "version": 4},
     "Marcus Obi changed the envelope of Option 2 from £7,000,000 to £6,800,000."),
    ("marcus", "envelope", "structure", "3",
     {"envelope_pence": None, "months": 12, "shares": {}},
     {"envelope_pence": 12_345_67, "months": 6, "shares": {"Brent": {"share_bp": 6000}}},
     "Marcus Obi changed the envelope of Option 2 from none to £12,345.67, set it to cover 6 "
     "months (was 12) and changed the partners' shares of it."),
    ("harriet", "import", "structure", "1", None,
     {"posts": 94, "people": 88, "occupancies": 90, "partners": 4, "files": ["posts.csv"]},
     "Harriet Rowe imported the establishment: 94 posts, 88 people."),
    ("marcus", "import", "structure", "3", None,
     {"name": "Option 2", "posts": 80, "new": 3, "deleted": 17, "source": "Baseline"},
     "Marcus Obi imported Option 2 from a file, based on Baseline: 80 posts (3 new, "
     "17 deleted)."),
    ("manager", "update", "post", "40", POST, {**POST, "grade": "PO4"},
     "Manager regraded ICT-020 in Option 1 from PO3 to PO4."),
    ("marcus", "update", "post", "40", POST, {**POST, "title": "Networks Manager"},
     "Marcus Obi retitled ICT-020 in Option 1 from “Networks Lead” to “Networks Manager”."),
    ("marcus", "update", "post", "40", POST, {**POST, "reports_to": "ICT-007"},
     "Marcus Obi moved ICT-020 in Option 1 to report to ICT-007 (was ICT-008)."),
    ("marcus", "update", "post", "40", POST, {**POST, "fte": "0.8"},
     "Marcus Obi changed the FTE of ICT-020 in Option 1 from 1 to 0.8."),
    ("marcus", "update", "post", "40", POST, {**POST, "post_id": "ICT-120"},
     "Marcus Obi renumbered ICT-020 in Option 1 as ICT-120."),
    ("marcus", "update", "post", "41", POST, {**POST, "grade": "PO4", "fte": "0.5"},
     "Marcus Obi changed ICT-020 in Baseline: grade from PO3 to PO4; FTE from 1 to 0.5."),
    ("marcus", "create", "post", "40", None, {**POST, "post_id": "ICT-095"},
     "Marcus Obi added ICT-095 (Networks Lead, PO3) to Option 1."),
    ("marcus", "delete", "post", "99", POST, None,
     "Marcus Obi deleted ICT-020 (Networks Lead)."),
    ("marcus", "create", "structure", "3", None,
     {"name": "Option 2", "copied_from": "Baseline", "posts": 94},
     "Marcus Obi created Option 2 as a copy of Baseline (94 posts)."),
    ("marcus", "delete", "structure", "9", {"name": "Option 9", "posts": 12}, None,
     "Marcus Obi deleted Option 9 (12 posts)."),
    ("marcus", "rename", "structure", "3", {"name": "Option 2"}, {"name": "Option 2b"},
     "Marcus Obi renamed Option 2 to Option 2b."),
    ("marcus", "describe", "structure", "3", {"description": "a"}, {"description": "b"},
     "Marcus Obi rewrote the description of Option 2."),
    ("marcus", "assume_recruited", "structure", "3", {"assume_recruited": False},
     {"assume_recruited": True},
     "Marcus Obi turned on the assumption that interim-covered posts in Option 2 are "
     "recruited to permanently."),
    ("marcus", "status", "structure", "3", {"status": "draft"}, {"status": "consultation"},
     "Marcus Obi moved Option 2 from draft to consultation."),
    ("marcus", "edit_posts", "structure", "2", None,
     {"added": ["ICT-095"], "updated": {"ICT-020": {"grade": "PO4"}, "ICT-009": {}},
      "deleted": {"ICT-030": 12}, "renamed": {}},
     "Marcus Obi edited the posts of Option 1: 1 added, 2 changed, 1 deleted."),
    ("marcus", "signin", "user", "2", None, None, "Marcus Obi signed in."),
    ("marcus", "signin", "user", "2", None, {"via": "oidc"},
     "Marcus Obi signed in with single sign-on."),
    ("", "signin_failed", "user", "mallory", None, {"username": "mallory"},
     "A sign-in as “mallory” was refused: wrong user name or password, or the user is not "
     "active."),
    ("", "signin_failed", "user", "x@evil.example", None,
     {"email": "x@evil.example", "via": "oidc"},
     "A single sign-on as x@evil.example was refused: no active user has that email."),
    ("marcus", "signout", "user", "2", None, None, "Marcus Obi signed out."),
    ("marcus", "timeout", "user", "2", None, None,
     "Marcus Obi was signed out after a time without activity."),
    ("uma", "denied", "audit", "", None,
     {"action": "audit.read", "message": "A union may not read the audit log."},
     "Uma Patel was refused: A union may not read the audit log."),
    ("admin", "create", "user", "5", None, {"username": "jo", "role": "union", "email": None},
     "Admin added the user jo (trade-union representative)."),
    ("harriet", "update", "grade", "PO3", {"min_scp": 29, "max_scp": 32},
     {"min_scp": 30, "max_scp": 33},
     "Harriet Rowe changed grade PO3's pay range from SCP 29–32 to SCP 30–33."),
    ("harriet", "update", "pay_spine", "2025/26/23", {"annual_pence": 3_106_700},
     {"annual_pence": 3_150_000},
     "Harriet Rowe changed SCP 23 in 2025/26 from £31,067 to £31,500 a year."),
    ("harriet", "create", "partner", "5", None,
     {"name": "Camden", "share_bp": 6000, "is_host": True},
     "Harriet Rowe added the partner Camden (60%, the host)."),
    ("harriet", "update", "partner", "5", {"name": "Camden", "share_bp": 6000, "id": 5},
     {"name": "Camden", "share_bp": 4000, "id": 5},
     "Harriet Rowe changed the partner Camden: share from 60% to 40%."),
    ("harriet", "save", "consultation_plan", "2",
     {"launch_on": "2027-01-04", "first_dismissal_on": "2027-03-01"},
     {"launch_on": "2027-01-04", "first_dismissal_on": "2027-02-01"},
     "Harriet Rowe changed the consultation plan of Option 1: first dismissal on from "
     "1 Mar 2027 to 1 Feb 2027."),
    ("harriet", "create", "consultation_plan", "2", None, {"launch_on": "2027-01-04"},
     "Harriet Rowe set up the consultation plan of Option 1."),
    ("harriet", "save", "consultation_stage", "12",
     {"planned_end": None}, {"structure_id": 2, "key": "collective", "name": "Collective "
                             "consultation", "planned_end": "2027-02-01", "version": 2},
     "Harriet Rowe saved the consultation stage “Collective consultation” of Option 1: "
     "planned end from none to 1 Feb 2027."),
    ("harriet", "create", "consultation_stage", "12", None,
     {"structure_id": 2, "key": "appeals"},
     "Harriet Rowe saved the consultation stage “appeals” of Option 1."),
    ("harriet", "create", "equality_record", "E0001", None, {"fields_changed": ["sex"]},
     "Harriet Rowe recorded the equality monitoring answers of employee E0001."),
    ("harriet", "update", "equality_record", "E0001", {"withdrawn": False},
     {"withdrawn": True},
     "Harriet Rowe updated the equality monitoring answers of employee E0001."),
    ("harriet", "import", "equality_record", "", None,
     {"rows": 88, "created": 80, "updated": 8},
     "Harriet Rowe imported equality monitoring answers: 88 rows (80 new, 8 updated)."),
    ("harriet", "save", "equality_checkpoint", "2:1", None, None,
     "Harriet Rowe saved stage 1 of the equality analysis of Option 1."),
    ("harriet", "sign_off", "equality_checkpoint", "2:2", None, None,
     "Harriet Rowe signed off stage 2 of the equality analysis of Option 1."),
    ("harriet", "withdraw_sign_off", "equality_checkpoint", "2:2", None, None,
     "Harriet Rowe withdrew the sign-off of stage 2 of the equality analysis of Option 1."),
    ("system", "create", "tupe_cohort", "7", None,
     {"name": "Capita to Brent, 1 Apr 2016", "people": ["E0002", "E0003"]},
     "System started the TUPE cohort Capita to Brent, 1 Apr 2016 with 2 people."),
    ("harriet", "join", "tupe_cohort", "7", None, {"people": ["E0009"]},
     "Harriet Rowe added 1 person to the TUPE cohort Capita to Brent, 1 Apr 2016."),
    ("harriet", "record_eli", "tupe_cohort", "7", {"eli_received_on": None, "version": 1},
     {"eli_received_on": "2016-03-01", "version": 2},
     "Harriet Rowe recorded the employee liability information of Capita to Brent, "
     "1 Apr 2016: ELI received from none to 1 Mar 2016."),
    ("harriet", "set_measures", "tupe_cohort", "7", {"transferor_measures": ""},
     {"transferor_measures": "None envisaged."},
     "Harriet Rowe recorded the measures of Capita to Brent, 1 Apr 2016: transferor's "
     "measures from none to None envisaged."),
    ("harriet", "mark", "tupe_milestone", "70", {"done_on": None},
     {"cohort_id": 7, "key": "inform_reps", "done_on": "2016-02-02"},
     "Harriet Rowe marked the milestone “inform reps” of Capita to Brent, 1 Apr 2016 done "
     "on 2 Feb 2016."),
    ("harriet", "mark", "tupe_milestone", "70", {"done_on": "2016-02-02"},
     {"cohort_id": 7, "key": "inform_reps", "done_on": None},
     "Harriet Rowe cleared the date of the milestone “inform reps” of Capita to Brent, "
     "1 Apr 2016."),
    ("harriet", "import", "organogram", "1", None,
     {"senior_posts": 120, "junior_posts": 880, "junior_fte": "861.5",
      "grades_added": [{"grade": "SCS1"}, {"grade": "G7"}], "assumptions": ["a", "b", "c"]},
     "Harriet Rowe imported the establishment from a published organogram: 120 senior and "
     "880 junior posts, 861.5 junior FTE, 2 grades added as salary bands, 3 assumptions "
     "recorded."),
    ("marcus", "set_eto", "eto_rationale", "3", None,
     {"structure_id": 2, "baseline_post_id": "ICT-030", "rationale": "Role merged."},
     "Marcus Obi recorded the ETO reason for ICT-030 in Option 1: Role merged."),
]


@pytest.mark.parametrize(("who", "action", "entity", "entity_id", "before", "after", "text"),
                         CASES, ids=[f"{c[2]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_each_recorded_event_reads_as_a_sentence(who, action, entity, entity_id, before,
                                                 after, text):
    """Catches: an event shown as field names and ids, pence or ISO dates, a username where
    the display name is known, or a kind of event the log records but cannot say."""
    assert describe(action=action, entity=entity, entity_id=entity_id, username=who,
                    before=before, after=after, names=NAMES) == text


def test_an_unknown_event_is_still_said_plainly():
    """Catches: a new action (added by another change) that breaks the page or reads
    nothing."""
    text = describe(action="pin", entity="structure", entity_id="3", username="marcus",
                    before={"pinned": False}, after={"pinned": True, "version": 3},
                    names=NAMES)
    assert text == "Marcus Obi: pin Option 2 (pinned from no to yes)."


@pytest.mark.parametrize(("action", "entity", "entity_id", "before", "after", "expected"), [
    ("archive", "structure", "3", {}, {"archived": True}, "Marcus Obi archived Option 2."),
    ("update", "user", "7", {"username": "jo", "role": "hr", "active": True},
     {"username": "jo", "role": "union", "active": False},
     "Marcus Obi changed jo: role from HR to trade-union representative; deactivated the "
     "account."),
    ("rebase", "structure", "3", {}, {"updated": {"P1": {}}, "moved": ["P2"], "added": ["P9"],
                                      "detached": ["P4"], "conflicts": 2},
     "Marcus Obi's establishment import rebased Option 2: 2 posts updated; 1 new post added; "
     "1 post kept that the establishment deleted; 2 conflicts to review."),
    ("backup", "database", "", {}, {"rows": 12345, "file": "b.zip"},
     "Marcus Obi backed up the database (12,345 rows) to b.zip."),
    ("save", "financial_plan", "3", None,
     {"option": "Option 2", "years": 4, "first_year": "2026/27", "effective_on": "2026-10-01"},
     "Marcus Obi saved the financial plan of Option 2: 4 years from 2026/27, taking effect "
     "1 Oct 2026."),
    ("error", "app", "E-ABCDEF", {}, {"page": "Establishment"},
     "Marcus Obi met an unexpected error on Establishment (reference E-ABCDEF); the details "
     "are in this event."),
])
def test_the_new_kinds_read_as_sentences(action, entity, entity_id, before, after, expected):
    assert describe(action=action, entity=entity, entity_id=entity_id, username="marcus",
                    before=before, after=after, names=NAMES) == expected


def test_display_names_drop_the_job_title_and_fall_back_to_the_username():
    assert person("marcus", NAMES) == "Marcus Obi"
    assert person("ghost", NAMES) == "ghost"
    assert person("system", NAMES) == "System"  # set-up and the demo loader
    assert person("", NAMES) == "Someone not signed in"


def test_names_for_reads_users_structures_and_posts(session):
    """Catches: names read from the wrong table, so sentences fall back to raw ids."""
    from tests.factories import build_small_establishment

    sid = build_small_establishment(session)
    add_user(session=session, actor=SYSTEM, username="marcus", role="manager",
             password="manager-password-2026", display_name="Marcus Obi (Head)")
    session.flush()
    names = names_for(session)
    assert names.people["marcus"] == "Marcus Obi (Head)"
    assert sid in names.structures
    assert set(names.post_structure.values()) == {sid}
    event = record(session, actor=Actor(id=None, username="marcus", role="manager"),
                   action="envelope", entity="structure", entity_id=str(sid),
                   before={"envelope_pence": 100}, after={"envelope_pence": 200})
    assert isinstance(event, AuditEvent)
    assert describe(action=event.action, entity=event.entity, entity_id=event.entity_id,
                    username=event.username, before=event.before, after=event.after,
                    names=names) == (f"Marcus Obi changed the envelope of "
                                     f"{names.structures[sid]} from £1 to £2.")


def _recorded_kinds() -> set[tuple[str, str]]:
    """(entity, action) of every `audit.record(` in planner/ with literal values, and of the
    options and TUPE `_save` helpers that record on their callers' behalf."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "planner"
    kinds: set[tuple[str, str]] = set()
    for path in root.rglob("*.py"):
        text = path.read_text()
        for start in [m.end() for m in re.finditer(r"audit\.record\(", text)]:
            segment = text[start:start + 400]
            if "action=" not in segment or "entity=" not in segment:
                continue
            acts = segment[segment.index("action="):segment.index("entity=")]
            entity = re.search(r'entity="([a-z_]+)"', segment)
            if entity:
                kinds |= {(entity.group(1), a) for a in re.findall(r'"([a-z_]+)"', acts)}
        helper = {"options.py": "structure", "tupe.py": "tupe_cohort"}.get(path.name)
        if helper:
            kinds |= {(helper, a) for a in
                      re.findall(r'_save\(session, actor, \w+, "([a-z_]+)"', text)}
    return kinds


def test_every_kind_of_event_the_code_records_has_its_own_sentence():
    """Catches: a new audit.record(...) whose events the Audit page can only say in the
    generic fallback words."""
    from planner.core.audit_text import KINDS

    kinds = _recorded_kinds()
    assert len(kinds) > 30  # the scan found the calls
    assert {("structure", "envelope"), ("post", "update"), ("user", "signin_failed")} <= kinds
    assert kinds - KINDS == set()
