"""First-run set-up: reference data, the synthetic demo establishment, its draft option and
the demo users."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Engine
from sqlmodel import Session, select

from planner.core.auth import SYSTEM, Actor, add_user, verify_password
from planner.core.config import DATA_DIR
from planner.core.db import migrate, write_session
from planner.core.errors import PlannerError
from planner.core.models import Partner, Post, Structure, User
from planner.establishment.reference import load_reference_data
from planner.legal.tupe_rules import DEFAULT_INFORM_WEEKS

DEMO_DIR = DATA_DIR / "demo"
# The establishment and the employees' (invented) equality monitoring answers.
DEMO_FILES = ("posts.csv", "people.csv", "equality.csv")
DEMO_ENVELOPE_PENCE = 7_000_000_00  # £7.0m a year for the synthetic service



class DemoUser(NamedTuple):
    """A demo sign-in. The README's "Demo users" table and what `make run` prints both come
    from DEMO_USERS (tests/cli/test_demo.py checks the README against it)."""

    username: str
    role: str
    display_name: str
    password: str
    sees: str  # the README's "sees" column


# For the demo only: documented in the README with that warning.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("hr", "hr", "Harriet Rowe (HR business partner)", "demo-hr-2026",
             "everything; imports the establishment; audit log"),
    DemoUser("manager", "manager", "Marcus Obi (Head of Infrastructure)", "demo-manager-2026",
             "the establishment; edits posts"),
    DemoUser("union", "union", "Uma Patel (UNISON branch rep)", "demo-union-2026",
             "the Published drafts page only: the demo option's two drafts (structure, "
             "figures, timetable, equality analysis, changes) and the response log; "
             "responds to drafts"),
    DemoUser("admin", "admin", "Ade Morgan (system administrator)", "demo-admin-2026",
             "everything; users; reference data"),
)

# The loader imports the establishment with its equality sheet and builds the demo option as
# HR would: SYSTEM is an administrator, who neither edits options nor imports equality data
# (planner.core.auth.PERMISSIONS). Audited as "system".
DEMO_AUTHOR = Actor(id=None, username="system", role="hr", display_name="System (demo data)")

# The demo's draft structure option (counted by hand in data/demo/README.md).
DEMO_OPTION_NAME = "Option 1: single service desk"
DEMO_OPTION_DESCRIPTION = (
    "Brings the three councils' service desks and the Client Support team together as a "
    "single service desk for Brent, Lewisham and Southwark under one Service Desk Manager. "
    "The technical team leader layer in Infrastructure is removed: the technical leads report "
    "to the Head of Infrastructure & Service Delivery, and the Networks and Server & Storage "
    "leads are regraded from PO4 to PO5 to take on the team leaders' duties. Service "
    "Improvement and Business Support are absorbed into the new desk. 27 posts are deleted "
    "and 9 new service desk posts are created, filled by slot-ins and ring-fenced selection. "
    "22 employees are in the deleted posts; once each person is mapped, 12 dismissals are "
    "proposed (5 at risk, 3 voluntary redundancies, and 4 more people than posts in the two "
    "ring-fenced pools), below the 20 at which TULRCA 1992 s.188 collective consultation "
    "applies.")
DEMO_OPTION_DELETED = (
    "ICT-002", "ICT-003",  # Business Support, absorbed into the desk
    "ICT-008", "ICT-017",  # technical team leaders (Voice & Data, Datacentre)
    "ICT-030", "ICT-031", "ICT-032", "ICT-034", "ICT-035", "ICT-036", "ICT-037",  # Client Support
    "ICT-039", "ICT-040", "ICT-041", "ICT-042", "ICT-043",
    "ICT-044", "ICT-045", "ICT-046", "ICT-047", "ICT-048", "ICT-049", "ICT-050",  # Service Desk
    "ICT-051", "ICT-052",
    "ICT-053", "ICT-054",  # Service Improvement
)
DEMO_OPTION_UPDATED: dict[str, dict[str, str]] = {
    # regraded: the leads take on the deleted team leaders' duties
    "ICT-009": {"grade": "PO5", "reports_to": "ICT-007"},
    "ICT-020": {"grade": "PO5", "reports_to": "ICT-007"},
    # moved: reported to a deleted team leader
    **{ref: {"reports_to": "ICT-007"} for ref in (
        "ICT-010", "ICT-011", "ICT-012", "ICT-018", "ICT-019", "ICT-021", "ICT-022", "ICT-023",
        "ICT-024")},
    "ICT-033": {"reports_to": "ICT-095"},
}
_DESK = {"division": "Infrastructure & Service Delivery", "team": "Service Desk", "fte": "1",
         "partner": "shared", "funding": "base"}
DEMO_OPTION_ADDED: tuple[dict[str, str], ...] = (
    {**_DESK, "post_id": "ICT-095", "title": "Service Desk Manager (three councils)",
     "reports_to": "ICT-007", "grade": "PO6",
     "notes": "New: one desk for Brent, Lewisham and Southwark."},
    *({**_DESK, "post_id": f"ICT-{n:03d}", "title": "Senior Service Desk Analyst",
       "reports_to": "ICT-095", "grade": "PO2", "notes": "New: ring-fenced selection."}
      for n in (96, 97)),
    *({**_DESK, "post_id": f"ICT-{n:03d}", "title": "Service Desk Analyst",
       "reports_to": "ICT-096" if n <= 100 else "ICT-097", "grade": "SO1",
       "notes": "New: ring-fenced selection."}
      for n in range(98, 104)),
)

# The demo option's people mapping (issue 12), counted by hand in data/demo/README.md: who is
# slotted in, who competes in a ring-fenced pool for fewer posts, who is at risk or leaving.
DEMO_POOLS: dict[str, tuple[str, ...]] = {
    "Service Desk Manager": ("ICT-095",),
    "Senior Service Desk Analyst": ("ICT-096", "ICT-097"),
}
DEMO_MAPPING: tuple[dict[str, str], ...] = (
    # The holders of the regraded and moved posts keep them (slotted: substantially the same).
    *({"employee_id": e, "outcome": "slotted", "option_post_id": p} for e, p in (
        ("E0008", "ICT-009"), ("E0015", "ICT-020"))),
    # Service desk analysts (SO1) slotted into the new desk's analyst posts.
    *({"employee_id": e, "outcome": "slotted", "option_post_id": p} for e, p in (
        ("E0035", "ICT-098"), ("E0036", "ICT-099"), ("E0038", "ICT-100"),
        ("E0030", "ICT-101"), ("E0031", "ICT-102"), ("E0003", "ICT-103"))),
    *({"employee_id": e, "outcome": "ring-fenced", "pool": "Service Desk Manager"}
      for e in ("E0021", "E0032", "E0039")),
    *({"employee_id": e, "outcome": "ring-fenced", "pool": "Senior Service Desk Analyst"}
      for e in ("E0028", "E0029", "E0033", "E0034")),
    *({"employee_id": e, "outcome": "at-risk"}
      for e in ("E0007", "E0013", "E0023", "E0024", "E0026")),
    *({"employee_id": e, "outcome": "voluntary-redundancy"} for e in ("E0002", "E0022", "E0027")),
    {"employee_id": "E0037", "outcome": "fixed-term-ends"},
    *({"employee_id": e, "outcome": "interim-released"}
      for e in ("T0009", "T0010", "T0011", "T0012")),
)


# The demo option's published drafts (issue 13), counted in data/demo/README.md: draft 1 as
# built; the branch rep's response that the six new Service Desk Analyst posts, covering three
# councils' systems, should be SO2, which hr accepts; and draft 2 with those posts at SO2.
DEMO_STAGE1_EVIDENCE = ("Workforce profile of the shared ICT service (equality.csv, Dec "
                        "2026); no group over-represented among the people at risk at a ratio "
                        "outside 0.8-1.25.")
DEMO_DRAFT_NOTES = (
    "Draft 1 for consultation with UNISON and GMB: a single service desk for the three "
    "councils, the technical team leader layer removed. Please respond within 14 days.",
    "Draft 2: the six Service Desk Analyst posts (ICT-098 to ICT-103) are SO2, not SO1, as the "
    "branch asked (response 1). Nothing else has changed.")
DEMO_RESPONSE = ("The new Service Desk Analysts will support all three councils' systems, "
                 "which is more than any desk analyst does now. The posts should be SO2, "
                 "not SO1.")
DEMO_REPLY = ("Accepted. The job evaluation panel agreed the wider duties score at SO2; "
              "draft 2 regrades ICT-098 to ICT-103 to SO2.")
DEMO_DRAFT2_REGRADED = ("ICT-098", "ICT-099", "ICT-100", "ICT-101", "ICT-102", "ICT-103")


@dataclass(frozen=True)
class SetupReport:
    reference: dict[str, int]
    demo_loaded: bool
    users_created: int
    options_replaced: tuple[str, ...] = ()
    sign_ins: tuple[DemoUser, ...] = ()  # the demo users whose published password still works


class DemoRefused(PlannerError):
    """`load-demo --force` would rebase options that are not the demo's own onto the demo."""


def init_database(engine: Engine) -> dict[str, int]:
    """Migrate to head and load the shipped reference data if the tables are empty."""
    migrate(engine)
    with write_session(engine) as session:
        return load_reference_data(session)


def load_demo(engine: Engine, *, force: bool = False, with_mapping: bool = True,
              with_drafts: bool = True) -> SetupReport:
    """Load the demo establishment, its draft option with its people mapping, and the users,
    unless an establishment already exists (`force` replaces it). `with_mapping=False` leaves
    the option's people unmapped (the legal clocks then use their post-based proxy; the
    mapping is DEMO_MAPPING, counted in data/demo/README.md). `with_drafts=False` leaves the
    mapped option unpublished (the drafts need the mapping).

    `force` first deletes the demo's own option(s) and refuses, naming them, if any other
    option exists: the import would rebase it onto the demo's establishment (planner.structures.rebase),
    leaving a council's option all conflicts, and deleting someone's work is left to them.
    """
    from planner.establishment.importer import import_establishment

    reference = init_database(engine)
    with write_session(engine) as session:
        has_posts = session.exec(select(Post.id).limit(1)).first() is not None
        loaded = False
        replaced: tuple[str, ...] = ()
        if force or not has_posts:
            replaced = _delete_demo_options(session)
            files = [(name, (DEMO_DIR / name).read_bytes()) for name in DEMO_FILES]
            summary = import_establishment(session=session, actor=DEMO_AUTHOR, files=files)
            baseline = session.get(Structure, summary.structure_id)
            if baseline is not None and baseline.envelope_pence is None:
                # The partners' agreed budget for the year, shared as in data/partners.csv.
                baseline.envelope_pence = DEMO_ENVELOPE_PENCE
                baseline.envelope_months = 12
                session.add(baseline)
                session.flush()
            _demo_cohort_records(session)
            create_demo_option(session, with_mapping=with_mapping, with_drafts=with_drafts)
            loaded = True
        created = 0
        for demo_user in DEMO_USERS:
            existing = session.exec(select(User).where(User.username == demo_user.username))
            if existing.first() is None:
                add_user(session=session, actor=SYSTEM, username=demo_user.username,
                         role=demo_user.role, password=demo_user.password,
                         display_name=demo_user.display_name)
                created += 1
        sign_ins = working_sign_ins(session)
    return SetupReport(reference=reference, demo_loaded=loaded, users_created=created,
                       options_replaced=replaced, sign_ins=sign_ins)


def working_sign_ins(session: Session) -> tuple[DemoUser, ...]:
    """The demo users a person can sign in as right now: the account exists, is active, has
    the demo role and still has the published password (an administrator may have changed it,
    and a list of sign-ins that do not work is worse than none)."""
    found = []
    for demo_user in DEMO_USERS:
        user = session.exec(select(User).where(User.username == demo_user.username)).first()
        if (user is not None and user.active and user.role == demo_user.role
                and verify_password(user.password_hash, demo_user.password)):
            found.append(demo_user)
    return tuple(found)


def sign_ins_text(sign_ins: tuple[DemoUser, ...]) -> str:
    """The demo sign-ins as an aligned table for the terminal (`make run` prints it after
    loading the demo), or "" when there are none."""
    if not sign_ins:
        return ""
    header = DemoUser("user", "role", "name", "password", "")
    rows = [header, *sign_ins]
    w_user = max(len(r.username) for r in rows)
    w_password = max(len(r.password) for r in rows)
    w_role = max(len(r.role) for r in rows)
    lines = [f"  {r.username:<{w_user}}  {r.password:<{w_password}}  {r.role:<{w_role}}  "
             f"{r.display_name}".rstrip() for r in rows]
    return "\n".join(["Demo sign-ins (public passwords: for this demo database only):", *lines])


def _delete_demo_options(session: Session) -> tuple[str, ...]:
    from planner.structures.options import delete_option

    options = session.exec(select(Structure).where(Structure.kind == "option")
                           .order_by(Structure.id)).all()  # type: ignore[arg-type]
    others = [s.name for s in options if s.name != DEMO_OPTION_NAME]
    if others:
        raise DemoRefused(
            "The demo establishment was not replaced: these structure options are built on the "
            f"current establishment and are not the demo's: {', '.join(others)}. Delete them "
            "on the Structure options page first (the demo's own option is replaced for you).")
    names = []
    for option in options:
        names.append(option.name)
        delete_option(session=session, actor=DEMO_AUTHOR, structure=option, demo_reload=True)
    return tuple(names)


# Transfers between public authorities fall outside TUPE (reg 3(5)) and run under the Cabinet
# Office Statement of Practice (DOMAIN.md §3): the Southwark staff came to Brent that way.
DEMO_COSOP_TRANSFERORS = ("Southwark",)


def _demo_cohort_records(session: Session) -> None:
    """What HR recorded of the two past transfers, through the ordinary (audited) services:
    the council-to-council transfer marked COSOP; every milestone done on its due date; the
    measures letters sent; ELI received in time, complete from Capita, and from Southwark
    still without the claims item (so the page shows what an incomplete ELI looks like)."""
    from planner.legal.tupe import (
        cohort_milestones,
        cohorts_frame,
        mark_milestone,
        record_eli,
        set_measures,
        update_cohort,
    )
    from planner.legal.tupe_rules import ELI_KEYS

    for row in cohorts_frame(session=session, actor=DEMO_AUTHOR).itertuples():
        cid, version = int(row.id), int(row.version)
        if row.transferor in DEMO_COSOP_TRANSFERORS:
            version = update_cohort(session=session, actor=DEMO_AUTHOR, cohort_id=cid,
                                    basis="COSOP", transferee=str(row.transferee),
                                    inform_weeks=DEFAULT_INFORM_WEEKS,
                                    expected_version=version).version
        steps = cohort_milestones(session=session, actor=DEMO_AUTHOR, cohort_id=cid)
        for step in steps.itertuples():
            mark_milestone(session=session, actor=DEMO_AUTHOR, milestone_id=int(step.id),
                           done_on=step.due)
        due = dict(zip(steps["key"], steps["due"], strict=True))
        items = [k for k in ELI_KEYS
                 if not (row.transferor in DEMO_COSOP_TRANSFERORS and k == "claims")]
        version = record_eli(session=session, actor=DEMO_AUTHOR, cohort_id=cid,
                             received_on=due["eli"] - dt.timedelta(days=3), items=items,
                             expected_version=version).version
        set_measures(session=session, actor=DEMO_AUTHOR, cohort_id=cid,
                     transferor_measures="None envisaged.",
                     transferee_measures="Payroll moves to Brent; no changes to terms.",
                     notified_on=due["measures_letter"], expected_version=version)


def create_demo_option(session: Session, *, with_mapping: bool = True,
                       with_drafts: bool = True) -> Structure:
    """The demo's draft option, built with the ordinary services (create_option, then one
    batch of post edits) so it is audited and versioned like any user's option."""
    from planner.establishment.register import PostEdits, posts_frame
    from planner.structures.options import create_option, edit_option_posts

    option = create_option(session=session, actor=DEMO_AUTHOR, name=DEMO_OPTION_NAME,
                           description=DEMO_OPTION_DESCRIPTION)
    assert option.id is not None
    # Deleted one by one: a report before its (also deleted) manager, deepest first.
    manager = dict(posts_frame(session, option.id)[["post_id", "reports_to"]].to_numpy())

    def depth(ref: str) -> int:
        n = 0
        while manager.get(ref):
            ref, n = manager[ref], n + 1
        return n

    deleted = sorted(DEMO_OPTION_DELETED, key=lambda ref: (-depth(ref), ref))
    edits = PostEdits(added=[dict(r) for r in DEMO_OPTION_ADDED],
                      updated={k: dict(v) for k, v in DEMO_OPTION_UPDATED.items()},
                      deleted=deleted,
                      versions={ref: 1 for ref in [*DEMO_OPTION_UPDATED, *DEMO_OPTION_DELETED]})
    edit_option_posts(session=session, actor=DEMO_AUTHOR, structure=option, edits=edits)
    session.refresh(option)
    if with_mapping:
        map_demo_people(session, option)
        if with_drafts:
            publish_demo_drafts(session, option)
    create_demo_plan(session, option)
    return option


# The demo option's medium-term financial plan (issue 15), hand-checked in data/demo/README.md:
# four years from 2026/27, the option taking effect on 1 October 2026 (half the first year),
# each council's target £1m in the first year and a further million from the next (the seeds'
# "£1 million of savings ... with targets for a further million in the next financial year").
DEMO_PLAN_FIRST_YEAR = "2026/27"
DEMO_PLAN_AWARDS_BP = (300, 250, 250, 250)
DEMO_PLAN_EFFECTIVE = dt.date(2026, 10, 1)
DEMO_PLAN_VACANCY_FACTOR_BP = 200
DEMO_PLAN_TARGETS_PENCE = (100_000_000, 200_000_000, 200_000_000, 200_000_000)
DEMO_PLAN_LUMP_SUM_PENCE = 3_000_000  # per council, used only while nobody is mapped


def create_demo_plan(session: Session, option: Structure) -> None:
    """Save the demo option's plan through the ordinary service (audited, version 1)."""
    from planner.finance.assumptions import PlanAssumptions, YearAssumption
    from planner.finance.plan import save_plan

    councils = [str(n) for n in session.exec(
        select(Partner.name).where(Partner.kind == "council", Partner.active == True)  # noqa: E712
        .order_by(Partner.id)).all()]
    plan = PlanAssumptions(
        first_year=DEMO_PLAN_FIRST_YEAR,
        years=tuple(YearAssumption(award_bp=bp) for bp in DEMO_PLAN_AWARDS_BP),
        effective_on=DEMO_PLAN_EFFECTIVE, increments=True,
        vacancy_factor_bp=DEMO_PLAN_VACANCY_FACTOR_BP,
        targets={c: DEMO_PLAN_TARGETS_PENCE for c in councils},
        one_offs=dict.fromkeys(councils, DEMO_PLAN_LUMP_SUM_PENCE))
    save_plan(session=session, actor=DEMO_AUTHOR, structure=option, assumptions=plan,
              expected_version=0)


def publish_demo_drafts(session: Session, option: Structure) -> None:
    """Equality stage 1 decided and signed off, draft 1, the rep's response and hr's reply,
    the regrade, and draft 2 (the drafts need the mapping: without it, 22 dismissals would
    be proposed and s.188's information would be needed first)."""
    import datetime as dt

    from planner.equality.checkpoints import checkpoints, save_checkpoint, sign_off_checkpoint
    from planner.establishment.register import PostEdits
    from planner.publishing.drafts import publish
    from planner.publishing.responses import reply_to_response, submit_response
    from planner.structures.options import edit_option_posts

    today = dt.date.today()
    cp = checkpoints(session=session, actor=DEMO_AUTHOR, structure=option)[0]
    saved = save_checkpoint(session=session, actor=DEMO_AUTHOR, structure=option, stage=1,
                            due_on=today,
                            impacts=cp.impacts.assign(impact="neutral",
                                                      evidence=DEMO_STAGE1_EVIDENCE),
                            expected_version=cp.version)
    sign_off_checkpoint(session=session, actor=DEMO_AUTHOR, structure=option, stage=1,
                        expected_version=saved.version, today=today)
    first = publish(session=session, actor=DEMO_AUTHOR, structure=option,
                    note=DEMO_DRAFT_NOTES[0], today=today)
    rep = Actor(id=None, username="union", role="union", display_name="Uma Patel")
    response = submit_response(session=session, actor=rep, draft_id=int(first.id or 0),
                               text=DEMO_RESPONSE, team="Service Desk")
    reply_to_response(session=session, actor=DEMO_AUTHOR, response_id=int(response.id or 0),
                      reply=DEMO_REPLY, status="accepted", expected_version=response.version)
    session.refresh(option)
    versions = {p.post_ref: p.version for p in session.exec(select(Post).where(
        Post.structure_id == option.id, Post.post_ref.in_(DEMO_DRAFT2_REGRADED)))}  # type: ignore[attr-defined]
    edit_option_posts(session=session, actor=DEMO_AUTHOR, structure=option,
                      edits=PostEdits(updated={r: {"grade": "SO2"} for r in versions},
                                      versions=versions))
    session.refresh(option)
    publish(session=session, actor=DEMO_AUTHOR, structure=option, note=DEMO_DRAFT_NOTES[1],
            today=today)
    session.refresh(option)


def map_demo_people(session: Session, option: Structure) -> None:
    """The pools, then everyone's outcome; the holders of the moved posts are slotted into
    the posts they hold (read from the option, so the list above stays short)."""
    from planner.people.mapping import mapping_frame, save_mapping, save_pool

    for name, posts in DEMO_POOLS.items():
        save_pool(session=session, actor=DEMO_AUTHOR, structure=option, name=name,
                  post_ids=list(posts), expected_version=option.version)
        session.refresh(option)
    frame = mapping_frame(session=session, actor=DEMO_AUTHOR, structure=option)
    named = {r["employee_id"] for r in DEMO_MAPPING}
    moved = [{"employee_id": e, "outcome": "slotted", "option_post_id": p}
             for e, p, o in zip(frame["employee_id"], frame["post_id"], frame["outcome"],
                                strict=True)
             if o == "" and e not in named]
    save_mapping(session=session, actor=DEMO_AUTHOR, structure=option,
                 rows=[*DEMO_MAPPING, *moved], expected_version=option.version)
    session.refresh(option)
