"""The single schema (SQLModel tables). Changed only through an Alembic migration.

Money is stored as integer pence and percentages as integer basis points (1% = 100) so no
binary float ever holds a stored value. FTE is a fixed-point NUMERIC(6,4).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import DDL, JSON, Column, Index, Numeric, UniqueConstraint, event
from sqlmodel import Field, SQLModel

ROLES = ("manager", "hr", "union", "admin")
CONTRACTS = ("permanent", "fixed_term", "interim", "agency", "secondment")
FUNDING = ("base", "project")
STRUCTURE_KINDS = ("baseline", "option")
STRUCTURE_STATUSES = ("current", "draft", "proposed", "published", "final", "implemented")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fte_column(nullable: bool = False) -> Any:
    return Column(Numeric(6, 4), nullable=nullable)


class Partner(SQLModel, table=True):
    """A council or customer sharing the service, with its default share of shared costs."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    kind: str = Field(default="council", max_length=20)  # council | customer
    is_host: bool = False
    share_bp: int = 0  # basis points of shared costs
    lgps_employer_rate_bp: int = 2000
    london_weighting_pence: int = 0
    # A partner an import no longer names is retired, not deleted: history (audit, archived
    # options) still names it, but no new cost is charged or shared to it.
    active: bool = True


class PaySpinePoint(SQLModel, table=True):
    """One spinal column point's annual value (at 1.0 FTE) for one pay year."""

    __table_args__ = (UniqueConstraint("pay_year", "scp"),)
    id: int | None = Field(default=None, primary_key=True)
    pay_year: str = Field(max_length=7)  # e.g. 2025/26
    scp: int
    annual_pence: int
    source: str = Field(default="njc", max_length=10)  # njc | local


class Grade(SQLModel, table=True):
    """A grade as an inclusive range of spinal points, or (a grade an open-data organogram
    brought, issue 14) a salary band in pence with no spinal points.

    `structure_id` None is the shared (NJC) list; otherwise the structure whose organogram
    import added the grade (its options share it). Names stay unique across both lists:
    `Post.grade` holds a name, so a name must mean one grade wherever a post is read.
    A band grade has `band_min_pence`/`band_max_pence` (both None when the organogram gave
    no pay) and min_scp = max_scp = 0; costing prices it at `Settings.band_cost_point`.
    """

    id: int | None = Field(default=None, primary_key=True)
    # 60: published organograms' grades run to "Grade 7 - Information Technology".
    name: str = Field(max_length=60, unique=True)
    family: str = Field(max_length=20)
    min_scp: int
    max_scp: int
    sort_order: int = 0
    structure_id: int | None = Field(default=None, foreign_key="structure.id", index=True)
    band_min_pence: int | None = None
    band_max_pence: int | None = None


class Structure(SQLModel, table=True):
    """The baseline (current establishment) or a structure option."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    kind: str = Field(default="baseline", max_length=20)
    status: str = Field(default="current", max_length=20)
    description: str = Field(default="", max_length=2000)
    copied_from_id: int | None = Field(default=None, foreign_key="structure.id")
    envelope_pence: int | None = None
    # The period the envelope covers (the seeds' 2017/18 envelope covered 5 months).
    envelope_months: int = 12
    # For an option: interim and agency cover carried from the baseline is assumed replaced by
    # permanent appointments, so those posts are costed as vacancies at the vacancy point.
    assume_recruited: bool = False
    # An archived option is read-only and hidden by default; restoring it makes it editable.
    archived: bool = False
    # For an option's exit costs: whether the people dismissed work their notice (no notice
    # pay) or are paid in lieu (issue 12; set on the People mapping page).
    notice_worked: bool = True
    version: int = 1
    created_at: dt.datetime = Field(default_factory=utcnow)


class EnvelopeShare(SQLModel, table=True):
    """A partner's part of a structure's budget envelope: a fixed amount, or a share.

    No rows means the councils' stored shares (`Partner.share_bp`); `amount_pence` set means the partner
    agreed a fixed sum (as Brent, Lewisham and Southwark did for 2017/18); otherwise `share_bp`.
    """

    __table_args__ = (UniqueConstraint("structure_id", "partner_id"),)
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    partner_id: int = Field(foreign_key="partner.id")
    amount_pence: int | None = None
    share_bp: int | None = None


class Post(SQLModel, table=True):
    """A post of one structure; `post_ref` is the interchange `post_id`."""

    __table_args__ = (
        UniqueConstraint("structure_id", "post_ref"),
        Index("ix_post_structure_reports_to", "structure_id", "reports_to_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    post_ref: str = Field(max_length=40)
    title: str = Field(max_length=200)
    division: str = Field(default="", max_length=200)
    team: str = Field(default="", max_length=200)
    reports_to_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    grade: str = Field(max_length=60)  # Grade.name
    fte: Decimal = Field(default=Decimal("1"), sa_column=fte_column())
    partner_id: int | None = Field(default=None, foreign_key="partner.id")  # None = shared
    funding: str = Field(default="base", max_length=10)
    notes: str = Field(default="", max_length=2000)
    baseline_post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    # Where an open-data organogram put the post (issue 14): "senior" (a row of the senior
    # file), "junior" (one of the posts a junior row's FTE became) or "" (not from one). The
    # organogram export writes each post back to the file it came from.
    organogram_level: str = Field(default="", max_length=10)
    version: int = 1


class Person(SQLModel, table=True):
    """An employee, interim, agency worker or secondee; `employee_ref` is the interchange id."""

    id: int | None = Field(default=None, primary_key=True)
    employee_ref: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    contract: str = Field(max_length=20)
    scp: int | None = None
    annual_salary_pence: int | None = None
    day_rate_pence: int | None = None
    start_date: dt.date | None = None
    continuous_service_date: dt.date | None = None
    date_of_birth: dt.date | None = None
    origin: str = Field(default="", max_length=80)
    tupe_transfer_date: dt.date | None = None


class Occupancy(SQLModel, table=True):
    """Puts a person into a baseline post with an FTE (job shares allowed)."""

    __table_args__ = (UniqueConstraint("person_id", "post_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    fte: Decimal = Field(default=Decimal("1"), sa_column=fte_column())


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    email: str | None = Field(default=None, max_length=200, unique=True)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    password_hash: str | None = Field(default=None, max_length=300)
    active: bool = True
    # Raised at sign-out: every session cookie signed under an earlier epoch is refused.
    session_epoch: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Who did what, when, to which entity: before and after as JSON."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    username: str = Field(default="", max_length=80, index=True)
    action: str = Field(max_length=30, index=True)
    entity: str = Field(max_length=40, index=True)
    entity_id: str = Field(default="", max_length=80)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


AUDIT_APPEND_ONLY = "The audit log is append-only: audit events cannot be changed or deleted."
# The database refuses to change or delete an audit event, whoever asks (migration 0008 adds
# the same triggers to migrated databases; these cover databases built with create_all).
for _verb in ("UPDATE", "DELETE"):
    event.listen(AuditEvent.__table__, "after_create", DDL(
        f"CREATE TRIGGER auditevent_no_{_verb.lower()} BEFORE {_verb} ON auditevent "
        f"BEGIN SELECT RAISE(ABORT, '{AUDIT_APPEND_ONLY}'); END").execute_if(dialect="sqlite"))
event.listen(AuditEvent.__table__, "after_create", DDL(
    "CREATE OR REPLACE FUNCTION planner_audit_append_only() RETURNS trigger LANGUAGE plpgsql "
    f"AS $$ BEGIN RAISE EXCEPTION '{AUDIT_APPEND_ONLY}'; END $$").execute_if(dialect="postgresql"))
event.listen(AuditEvent.__table__, "after_create", DDL(
    "CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON auditevent FOR EACH ROW "
    "EXECUTE FUNCTION planner_audit_append_only()").execute_if(dialect="postgresql"))


TUPE_BASES = ("TUPE", "COSOP", "secondment")


class TupeCohort(SQLModel, table=True):
    """The people who came from one transferor on one transfer date (DOMAIN.md §3).

    `eli_items` holds the reg 11(2) checklist keys received (planner.legal.tupe_rules.ELI_KEYS); the
    measures are each employer's reg 13(2)(d) envisaged measures, "" meaning none recorded.
    """

    __table_args__ = (UniqueConstraint("transferor", "transfer_date"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    transferor: str = Field(max_length=80)
    transferee: str = Field(max_length=80)
    basis: str = Field(default="TUPE", max_length=20)  # TUPE | COSOP | secondment
    transfer_date: dt.date
    eli_received_on: dt.date | None = None
    eli_items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    transferor_measures: str = Field(default="", max_length=4000)
    transferee_measures: str = Field(default="", max_length=4000)
    measures_notified_on: dt.date | None = None
    inform_weeks: int = 8
    version: int = 1


class TupeMilestone(SQLModel, table=True):
    """One dated step of a cohort's transfer, generated from planner.legal.tupe_rules.milestones."""

    __table_args__ = (UniqueConstraint("cohort_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="tupecohort.id", index=True)
    key: str = Field(max_length=40)
    name: str = Field(max_length=300)
    due: dt.date
    rule: str = Field(max_length=600)
    done_on: dt.date | None = None


class TupeMember(SQLModel, table=True):
    """A person in a TUPE cohort."""

    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="tupecohort.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)


# --- consultation (DOMAIN.md §2, §7) ------------------------------------------------------------

STAGE_STATUSES = ("not started", "in progress", "done", "skipped")


class ConsultationPlan(SQLModel, table=True):
    """The collective consultation of one option (TULRCA 1992 ss.188-193) and the s.188(4)
    texts that no data can supply (reasons, selection method, ...). One per structure."""

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", unique=True)
    establishment: str = Field(default="", max_length=200)  # s.188(1) "one establishment"
    launch_on: dt.date | None = None  # the day the s.188(4) information reached the reps
    first_dismissal_on: dt.date | None = None
    hr1_sent_on: dt.date | None = None  # the day the Redundancy Payments Service received HR1
    notices_issued_on: dt.date | None = None  # the first individual notice of dismissal
    reasons: str = Field(default="", max_length=4000)  # s.188(4)(a)
    selection_method: str = Field(default="", max_length=4000)  # s.188(4)(d)
    dismissal_method: str = Field(default="", max_length=4000)  # s.188(4)(e): method and period
    redundancy_pay_method: str = Field(default="", max_length=4000)  # s.188(4)(f)
    version: int = 1


class ConsultationStage(SQLModel, table=True):
    """One stage of an option's restructure (DOMAIN.md §7) with planned and actual dates."""

    __table_args__ = (UniqueConstraint("structure_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    key: str = Field(max_length=40)
    position: int = 0
    name: str = Field(max_length=200)
    planned_start: dt.date | None = None
    planned_end: dt.date | None = None
    actual_start: dt.date | None = None
    actual_end: dt.date | None = None
    owner: str = Field(default="", max_length=200)
    status: str = Field(default="not started", max_length=20)  # STAGE_STATUSES
    notes: str = Field(default="", max_length=4000)
    version: int = 1


class EtoRationale(SQLModel, table=True):
    """Why an option changes the post of a person who came by TUPE: the economic, technical or
    organisational reason (TUPE 2006 reg 4(4)-(5) and reg 7), one text per person and post."""

    __table_args__ = (UniqueConstraint("structure_id", "person_id", "baseline_post_id"),)
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    baseline_post_id: int = Field(foreign_key="post.id")
    change: str = Field(default="", max_length=200)  # the change answered, e.g. "regraded"
    rationale: str = Field(default="", max_length=4000)
    recorded_by: str = Field(default="", max_length=80)
    recorded_at: dt.datetime = Field(default_factory=utcnow)
    version: int = 1


# --- equality (DOMAIN.md §6) --------------------------------------------------------------------

EQUALITY_FIELDS = ("sex", "gender_reassignment", "disability", "ethnicity", "religion_or_belief",
                   "sexual_orientation", "marriage_civil_partnership", "pregnancy_maternity")
IMPACTS = ("positive", "negative", "neutral", "not yet known")


class EqualityRecord(SQLModel, table=True):
    """One person's equality monitoring answers: special-category data (UK GDPR art. 9).

    Keyed by the interchange `employee_ref`, not a person row, so the answers survive a
    re-import of the establishment. "" is unknown; "prefer not to say" is kept as said.
    `withdrawn` takes the person out of every analysis. Read only through planner.equality.analysis.
    """

    id: int | None = Field(default=None, primary_key=True)
    employee_ref: str = Field(max_length=40, unique=True)
    sex: str = Field(default="", max_length=80)
    gender_reassignment: str = Field(default="", max_length=80)
    disability: str = Field(default="", max_length=80)
    ethnicity: str = Field(default="", max_length=80)
    religion_or_belief: str = Field(default="", max_length=80)
    sexual_orientation: str = Field(default="", max_length=80)
    marriage_civil_partnership: str = Field(default="", max_length=80)
    pregnancy_maternity: str = Field(default="", max_length=80)
    withdrawn: bool = False
    updated_at: dt.datetime = Field(default_factory=utcnow)
    version: int = 1


class EqualityCheckpoint(SQLModel, table=True):
    """One of an option's three equality analysis stages: 1 before proposals, 2 after
    consultation, 3 after implementation (DOMAIN.md §6), with its due date and sign-off."""

    __table_args__ = (UniqueConstraint("structure_id", "stage"),)
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    stage: int  # 1, 2 or 3
    due_on: dt.date | None = None
    signed_off_by: str = Field(default="", max_length=200)
    signed_off_at: dt.datetime | None = None
    version: int = 1


class EqualityImpact(SQLModel, table=True):
    """A checkpoint's finding for one protected characteristic."""

    __table_args__ = (UniqueConstraint("checkpoint_id", "characteristic"),)
    id: int | None = Field(default=None, primary_key=True)
    checkpoint_id: int = Field(foreign_key="equalitycheckpoint.id", index=True)
    characteristic: str = Field(max_length=40)
    impact: str = Field(default="not yet known", max_length=20)  # IMPACTS
    evidence: str = Field(default="", max_length=4000)
    mitigation: str = Field(default="", max_length=4000)


class RebaseConflict(SQLModel, table=True):
    """What a new establishment could not carry into an option on its own (issue: rebase).

    One row per post and field where the option and the new baseline both changed a value,
    per post the option continues that the new baseline deleted, and per baseline post added
    to the option; listed for the user until someone marks it resolved. Values are display
    text, as the user would read them.
    """

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    import_event_id: int | None = None  # the audit event of the import that raised it
    post_ref: str = Field(max_length=40)
    kind: str = Field(max_length=30)  # both-changed | deleted-in-baseline | added | ...
    field: str = Field(default="", max_length=40)
    option_value: str = Field(default="", max_length=400)
    old_value: str = Field(default="", max_length=400)
    new_value: str = Field(default="", max_length=400)
    message: str = Field(default="", max_length=1000)
    created_at: dt.datetime = Field(default_factory=utcnow)
    resolved_at: dt.datetime | None = None
    resolved_by: str = Field(default="", max_length=80)


# --- people mapping (issue 12) -------------------------------------------------------------------

MAPPING_OUTCOMES = ("unchanged", "slotted", "ring-fenced", "at-risk", "redeployed",
                    "voluntary-redundancy", "fixed-term-ends", "interim-released")
MAPPING_STATUSES = ("proposed", "confirmed")


class PersonMapping(SQLModel, table=True):
    """One baseline person's outcome in one option. `post_id` is the option's Post a person is
    slotted or redeployed into; `pool` the name of the option's MappingPool when ring-fenced.
    No row means the default outcome (planner.people.mapping)."""

    __table_args__ = (UniqueConstraint("structure_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    outcome: str = Field(max_length=30)  # MAPPING_OUTCOMES
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    pool: str | None = Field(default=None, max_length=120)
    note: str = Field(default="", max_length=2000)
    status: str = Field(default="proposed", max_length=20)  # MAPPING_STATUSES
    duties_match: int | None = None  # percent, 0-100
    on_family_leave: bool = False  # maternity, adoption or shared parental leave
    lgps_member: bool = True
    strain_fund_pence: int | None = None  # the pension fund's strain figure
    version: int = 1


class MappingPool(SQLModel, table=True):
    """A ring-fenced pool of an option: named people compete for the posts linked to it."""

    __table_args__ = (UniqueConstraint("structure_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    name: str = Field(max_length=120)
    version: int = 1


class MappingPoolPost(SQLModel, table=True):
    """One option post a pool competes for."""

    __table_args__ = (UniqueConstraint("pool_id", "post_id"),)
    id: int | None = Field(default=None, primary_key=True)
    pool_id: int = Field(foreign_key="mappingpool.id", index=True)
    post_id: int = Field(foreign_key="post.id", index=True)


class AppSecret(SQLModel, table=True):
    """Secrets the app makes for itself on first use (the session-cookie signing key), kept in
    the database because the database is the only state (DESIGN.md)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    value: str = Field(max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow)


# --- Published drafts (issue 13) ------------------------------------------------------------

DRAFT_STATUSES = ("published", "withdrawn")
RESPONSE_STATUSES = ("open", "answered", "accepted", "not accepted")


class PublishedDraft(SQLModel, table=True):
    """One numbered, immutable draft of an option as union representatives read it.

    `snapshot` is written once, redacted, when the draft is published
    (planner.publishing.snapshot): posts, counts, cost totals by partner, the suppressed
    equality analysis, the consultation timetable and the s.188(4) descriptions. Nothing about
    a person is ever stored in it. Only `status` and the withdrawal fields ever change."""

    __table_args__ = (UniqueConstraint("structure_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    number: int
    published_at: dt.datetime = Field(default_factory=utcnow)
    published_by: str = Field(max_length=80)
    note: str = Field(default="", max_length=4000)
    status: str = Field(default="published", max_length=20)
    withdrawn_at: dt.datetime | None = None
    withdrawn_by: str = Field(default="", max_length=80)
    withdrawn_reason: str = Field(default="", max_length=2000)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # A digest of who the draft's equality figures count as at risk: management's, never in the
    # snapshot (planner.equality.analysis.at_risk_fingerprint).
    at_risk_key: str = Field(default="", max_length=64)
    # What the draft's equality figures were computed on (planner.equality.analysis.
    # equality_basis): the day ages were taken on, a digest of the people and their answers,
    # and the employee ids counted at risk. Management's, never in the snapshot; a later
    # draft is suppressed against this one's figures with it.
    equality_basis: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    version: int = 1


class DraftResponse(SQLModel, table=True):
    """A union representative's written response to a draft, and management's reply."""

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="publisheddraft.id", index=True)
    author: str = Field(max_length=80)
    submitted_at: dt.datetime = Field(default_factory=utcnow)
    text: str = Field(max_length=8000)
    post_ref: str = Field(default="", max_length=60)  # the post it is about, if any
    team: str = Field(default="", max_length=200)  # the team it is about, if any
    status: str = Field(default="open", max_length=20)
    reply: str = Field(default="", max_length=8000)
    replied_by: str = Field(default="", max_length=80)
    replied_at: dt.datetime | None = None
    version: int = 1


# --- The medium-term financial plan (issue 15) -----------------------------------------------


class FinancialPlan(SQLModel, table=True):
    """An option's medium-term financial plan: the assumptions a projection of its savings
    against each council's target reads (planner.finance). One plan per option; its years,
    targets, one-off sums and implementation dates are child rows, replaced as a whole on save
    (the version guards against two people saving over each other)."""

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", unique=True)
    first_year: str = Field(max_length=7)  # a financial (pay) year, e.g. 2025/26
    years: int = 4  # 3 to 5
    increments: bool = True  # incremental progression each April below the top of grade
    vacancy_factor_bp: int = 0  # % of the pay budget not spent through turnover
    effective_on: dt.date  # the option's changes take effect (unless a division or post says)
    version: int = 1
    updated_at: dt.datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=80)


class PlanYear(SQLModel, table=True):
    """One year of a plan: the pay award from its April and any on-cost rate that changes
    (None: the settings' dated figure, or the year before's change, carries on)."""

    __table_args__ = (UniqueConstraint("plan_id", "year_index"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="financialplan.id", index=True)
    year_index: int  # 0 = the plan's first year
    award_bp: int = 0
    award_flat_pence: int = 0
    flat_to_scp: int | None = None  # the flat amount on points up to this one (None: all)
    ni_rate_bp: int | None = None
    ni_threshold_pence: int | None = None
    pension_rate_bp: int | None = None


class PlanTarget(SQLModel, table=True):
    """A partner's savings target for one year of a plan, in pence."""

    __table_args__ = (UniqueConstraint("plan_id", "partner_id", "year_index"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="financialplan.id", index=True)
    partner_id: int = Field(foreign_key="partner.id")
    year_index: int
    target_pence: int = 0


class PlanOneOff(SQLModel, table=True):
    """A partner's lump-sum one-off cost, used while the option has no people mapping."""

    __table_args__ = (UniqueConstraint("plan_id", "partner_id"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="financialplan.id", index=True)
    partner_id: int = Field(foreign_key="partner.id")
    amount_pence: int = 0


class PlanDate(SQLModel, table=True):
    """When a division's or one option post's changes take effect, where it differs from the
    plan's date (scope "division": key is the division; "post": the option post's id)."""

    __table_args__ = (UniqueConstraint("plan_id", "scope", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="financialplan.id", index=True)
    scope: str = Field(max_length=10)
    key: str = Field(max_length=200)
    effective_on: dt.date
