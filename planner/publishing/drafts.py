"""Published drafts: management issues an option to the trade unions as numbered, frozen,
redacted drafts (issue 13; DOMAIN.md §7: consultation on a proposal, in writing).

Publishing checks the option first (`checklist`): equality stage 1 signed off (the Public
Sector Equality Duty's analysis informs the proposal before it is consulted on, DOMAIN.md §6);
where s.188 applies, the s.188(4) information complete (reasons, numbers and descriptions,
selection method, dismissal method and period, redundancy pay method); and no unresolved
breach of the consultation rules. Then it moves the option to `published` (if it is not at a
published status yet) and writes draft N+1 with its snapshot (planner.publishing.snapshot).
A draft never changes afterwards: later edits to the option are the next draft's. Withdrawing
a draft needs a reason, keeps it in the history marked withdrawn, and is audited.

Everything a union representative reads comes from here, out of the stored snapshots: never
from the live option. Each draft's equality figures are suppressed against every draft a rep
can already read, of any option, as those were published (`_equality_input`), so no two drafts
read side by side give away a hidden count; what each draft's figures were computed on (who
was at risk, a digest of the people and their answers) is kept beside the draft for
management, never in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlmodel import Session, select

from planner.core import audit
from planner.core.auth import Actor, require
from planner.core.errors import NotFound, PlannerError, RowError, StaleVersion, ValidationFailed
from planner.core.models import PublishedDraft, Structure, utcnow
from planner.equality.analysis import ReadView, ShownViewsDiffer, at_risk_digest, equality_basis
from planner.publishing.snapshot import EqualityInput, build_snapshot
from planner.structures.option_history import check_version
from planner.structures.options import (
    PUBLISHED_STATUSES,
    require_not_archived,
    resolve_structure,
    set_option_status,
)

MAX_NOTE = 4000
MAX_REASON = 2000
DRAFT_COLUMNS = ["id", "structure_id", "option", "number", "published_at", "published_by",
                 "note", "status", "withdrawn_reason", "responses", "version"]
NO_DRAFT = "There is no such published draft."


class PublishRefused(PlannerError):
    """The option is not ready to publish: the checklist's failures, one per line."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("Not published: " + " ".join(failures))
        self.failures = failures


@dataclass(frozen=True)
class Check:
    """One line of the pre-publication checklist."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Checklist:
    checks: tuple[Check, ...]
    summary: dict[str, Any]  # what the draft will show, in counts

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if not c.ok]


def _option(session: Session, structure: str | int | Structure) -> Structure:
    option = structure if isinstance(structure, Structure) else resolve_structure(
        session, structure)
    if option.kind != "option":
        raise NotFound("The current establishment is not published: publish an option.")
    return option


def checklist(*, session: Session, actor: Actor, structure: str | int | Structure,
              today: dt.date | None = None) -> Checklist:
    """What must hold before the option is published, and a summary of what will be shown
    (drafts.publish: manager, hr)."""
    from planner.equality.checkpoints import checkpoints
    from planner.legal.consultation import consultation_view
    from planner.legal.consultation_rules import s188_applies

    require(actor, "drafts.publish", "published_draft")
    option = _option(session, structure)
    today = today or dt.date.today()
    cps = checkpoints(session=session, actor=actor, structure=option)
    stage1 = cps[0]
    view = consultation_view(session=session, actor=actor, structure=option, today=today)
    plan = view.plan
    applies = s188_applies(view.proposed)
    missing = [label for label, value in (
        ("the reasons for the proposals", plan.reasons),
        ("the selection method", plan.selection_method),
        ("the method and period of dismissal", plan.dismissal_method),
        ("the planned first dismissal date", plan.first_dismissal_on),
        ("the redundancy pay method", plan.redundancy_pay_method),
        ("the launch date (when the information reaches the representatives)", plan.launch_on),
    ) if not value]
    checks = [
        Check("Equality analysis stage 1 signed off", stage1.signed_off,
              f"signed off by {stage1.signed_off_by} on "
              f"{stage1.signed_off_at:%d %b %Y}" if stage1.signed_off and stage1.signed_off_at
              else "stage 1 (the analysis that informs the proposal) is not signed off: "
                   "sign it off on the Equality impact page"),
        Check("s.188(4) information complete",
              not applies or not missing,
              ("s.188 does not apply: " + f"{view.proposed} proposed dismissals, fewer than 20"
               if not applies else
               "complete" if not missing else
               f"{view.proposed} proposed dismissals, so s.188 applies; the consultation plan "
               "lacks " + ", ".join(missing))),
        Check("No unresolved breach", not view.breaches,
              "none" if not view.breaches else " ".join(view.breaches)),
        Check("Option can be published", not option.archived,
              "archived options are read-only: restore it first" if option.archived
              else f"status {option.status}"),
    ]
    sid = option.id
    assert sid is not None
    drafts = _drafts(session, sid)
    summary = {"option": option.name, "next_draft": len(drafts) + 1,
               "proposed_dismissals": view.proposed, "employees": view.employees,
               "shown": ["posts (id, title, team, division, grade, FTE, reporting line, change)",
                         "posts and people affected, by grade and by team (counts)",
                         "cost totals by partner and the envelope",
                         "the equality analysis, suppressed, and the checkpoints' texts",
                         "the consultation timetable and the s.188(4) descriptions",
                         "your covering note"],
               "never_shown": ["names", "employee ids", "dates of birth", "pay",
                               "individual outcomes", "protective-award figures",
                               "notice dates"]}
    return Checklist(checks=tuple(checks), summary=summary)


def _drafts(session: Session, structure_id: int) -> list[PublishedDraft]:
    return list(session.exec(select(PublishedDraft).where(
        PublishedDraft.structure_id == structure_id).order_by(PublishedDraft.number)))


def publish(*, session: Session, actor: Actor, structure: str | int | Structure, note: str,
            expected_version: int | None = None, today: dt.date | None = None
            ) -> PublishedDraft:
    """Publish the option's next draft, or refuse with the checklist's failures
    (PublishRefused). Version-checked when `expected_version` is given; audited."""
    require(actor, "drafts.publish", "published_draft")
    option = _option(session, structure)
    require_not_archived(option)
    if expected_version is not None:
        check_version(session, option, expected_version)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed([RowError("draft", None, "note", (
            f"The covering note is {len(note):,} characters; the limit is {MAX_NOTE:,}."))])
    today = today or dt.date.today()
    check = checklist(session=session, actor=actor, structure=option, today=today)
    if not check.ready:
        raise PublishRefused(check.failures)
    if option.status not in PUBLISHED_STATUSES:
        option = set_option_status(session=session, actor=actor, structure=option,
                                   status="published", expected_version=option.version)
    assert option.id is not None
    equality, basis = _equality_input(session, actor, option, today)
    try:
        snapshot = build_snapshot(session, actor, option, note=note, today=today,
                                  equality=equality)
    except ShownViewsDiffer:  # the digest matched but the figures did not: never show them
        snapshot = build_snapshot(session, actor, option, note=note, today=today,
                                  equality=EqualityInput(ages_on=equality.ages_on, withhold=(
                                      "The equality figures are withheld in this draft: they "
                                      "could not be checked against the drafts already "
                                      "published.")))
    earlier = _drafts(session, option.id)
    number = len(earlier) + 1
    draft = PublishedDraft(structure_id=option.id, number=number, published_by=actor.username,
                           note=note, snapshot=snapshot, at_risk_key=at_risk_digest(basis),
                           equality_basis=basis)
    session.add(draft)
    session.flush()
    audit.record(session, actor=actor, action="publish", entity="published_draft",
                 entity_id=str(draft.id), before=None,
                 after={"option": option.name, "number": number, "note": note})
    session.flush()
    return draft


def _equality_input(session: Session, actor: Actor, option: Structure, today: dt.date
                    ) -> tuple[EqualityInput, dict[str, Any]]:
    """How the new draft's equality figures are cut, and the basis kept beside it.

    A union rep reads every draft's equality figures side by side (any option's; withdrawn
    drafts stay readable), so the new draft is suppressed against all of them as they were
    published (planner.equality.suppression.suppress_against): nothing the new figures show,
    beside the old, may pin a hidden count or one person's answer. That audit needs the drafts
    to describe the same people with the same answers: ages are taken on the first draft's
    day, and if anyone joined, left or changed an answer since a draft that showed figures,
    the new draft withholds its figures whole (their difference would describe those people).
    """
    drafts = list(session.exec(select(PublishedDraft).order_by(
        PublishedDraft.id)))  # type: ignore[arg-type]
    read = [d for d in drafts if not d.snapshot["equality"]["analysis"].get("withheld_whole")]
    ages_on = min((dt.date.fromisoformat(d.equality_basis["ages_on"]) for d in read
                   if d.equality_basis), default=today)
    basis = equality_basis(session, actor, option, ages_on)
    moved = [d for d in read if not d.equality_basis
             or d.equality_basis["population"] != basis["population"]]
    if moved:
        d = moved[-1]
        return EqualityInput(ages_on=ages_on, withhold=(
            f"The equality figures are withheld in this draft: the people in the analysis "
            f"have changed since draft {d.number} of {d.snapshot['option']['name']} (someone "
            "joined, left or changed an answer), and comparing the two drafts' figures could "
            "describe them. The earlier drafts' figures stand; the equality checkpoints are "
            "shown.")), basis
    views = [ReadView(at_risk=frozenset(d.equality_basis["at_risk"]),
                      table=d.snapshot["equality"]["analysis"]["table"],
                      threshold=int(d.snapshot["equality"]["analysis"]["threshold"]))
             for d in read]
    return EqualityInput(ages_on=ages_on, read=views), basis


def withdraw(*, session: Session, actor: Actor, draft_id: int, reason: str,
             expected_version: int) -> PublishedDraft:
    """Withdraw a draft: it stays in the history, marked withdrawn with the reason."""
    require(actor, "drafts.publish", "published_draft")
    draft = session.get(PublishedDraft, draft_id)
    if draft is None:
        raise NotFound(NO_DRAFT)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([RowError("draft", None, "reason", (
            "Say why the draft is withdrawn: the representatives read the reason."))])
    if len(reason) > MAX_REASON:
        raise ValidationFailed([RowError("draft", None, "reason", (
            f"The reason is {len(reason):,} characters; the limit is {MAX_REASON:,}."))])
    if draft.status == "withdrawn":
        raise ValidationFailed([RowError("draft", None, "status", (
            f"Draft {draft.number} is already withdrawn."))])
    if draft.version != expected_version:
        raise StaleVersion(f"Draft {draft.number} changed since you read it: reload it.")
    draft.status = "withdrawn"
    draft.withdrawn_reason = reason
    draft.withdrawn_by = actor.username
    draft.withdrawn_at = utcnow()
    draft.version += 1
    session.add(draft)
    session.flush()
    audit.record(session, actor=actor, action="withdraw", entity="published_draft",
                 entity_id=str(draft.id), before={"status": "published"},
                 after={"status": "withdrawn", "reason": reason})
    session.flush()
    return draft


# --- reading: snapshots only -----------------------------------------------------------------


def drafts_frame(*, session: Session, actor: Actor,
                 structure: str | int | Structure | None = None) -> pd.DataFrame:
    """Every published draft (of one option, or all), oldest first: number, date, covering
    note, status, responses. drafts.read: a union rep included."""
    from planner.core.models import DraftResponse

    require(actor, "drafts.read", "published_draft")
    q = select(PublishedDraft).order_by(PublishedDraft.structure_id, PublishedDraft.number)
    if structure is not None:
        try:
            option = _option(session, structure)
        except NotFound:
            return pd.DataFrame(columns=DRAFT_COLUMNS)
        q = q.where(PublishedDraft.structure_id == option.id)
    drafts = list(session.exec(q))
    counts: dict[int, int] = {}
    for r in session.exec(select(DraftResponse.draft_id)):
        counts[r] = counts.get(r, 0) + 1
    rows = [{"id": d.id, "structure_id": d.structure_id, "option": d.snapshot["option"]["name"],
             "number": d.number, "published_at": d.published_at,
             "published_by": d.published_by, "note": d.note, "status": d.status,
             "withdrawn_reason": d.withdrawn_reason, "responses": counts.get(int(d.id or 0), 0),
             "version": d.version}
            for d in drafts]
    return pd.DataFrame(rows, columns=DRAFT_COLUMNS)


@dataclass(frozen=True)
class DraftView:
    """One draft as a union representative reads it, with the one before it (if any)."""

    id: int
    structure_id: int
    number: int
    published_at: dt.datetime
    published_by: str
    status: str
    withdrawn_reason: str
    version: int
    snapshot: dict[str, Any]
    previous: dict[str, Any] | None

    @property
    def option(self) -> str:
        return str(self.snapshot["option"]["name"])

    def posts(self) -> pd.DataFrame:
        return pd.DataFrame(self.snapshot["posts"])

    def changes(self) -> dict[str, Any]:
        return draft_changes(self.previous, self.snapshot)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "option": self.option, "number": self.number,
                "published_at": self.published_at.isoformat(timespec="minutes"),
                "published_by": self.published_by, "status": self.status,
                "withdrawn_reason": self.withdrawn_reason, "snapshot": self.snapshot,
                "changes_since_previous": self.changes()}


def read_draft(*, session: Session, actor: Actor, draft_id: int | None = None,
               structure: str | int | Structure | None = None,
               number: int | None = None) -> DraftView:
    """A draft by id, or by option and number (the latest when `number` is None)."""
    require(actor, "drafts.read", "published_draft")
    draft: PublishedDraft | None
    if draft_id is not None:
        draft = session.get(PublishedDraft, draft_id)
    else:
        try:
            option = _option(session, structure) if structure is not None else None
        except NotFound:
            option = None
        if option is None:
            raise NotFound(NO_DRAFT)
        assert option.id is not None
        drafts = _drafts(session, option.id)
        draft = (drafts[-1] if drafts and number is None else
                 next((d for d in drafts if d.number == number), None))
    if draft is None:
        raise NotFound(NO_DRAFT)
    prev = session.exec(select(PublishedDraft).where(
        PublishedDraft.structure_id == draft.structure_id,
        PublishedDraft.number < draft.number).order_by(
        PublishedDraft.number.desc())).first()  # type: ignore[attr-defined]
    assert draft.id is not None
    return DraftView(id=draft.id, structure_id=draft.structure_id, number=draft.number,
                     published_at=draft.published_at, published_by=draft.published_by,
                     status=draft.status, withdrawn_reason=draft.withdrawn_reason,
                     version=draft.version, snapshot=draft.snapshot,
                     previous=prev.snapshot if prev is not None else None)


def draft_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """What changed from one draft to the next: posts added and removed (as the drafts show
    them: a post the option deletes is in both, marked deleted), regraded, moved (reporting
    line, team or division) or resized; and the totals before and after."""
    if before is None:
        return {"first": True, "added": [], "removed": [], "regraded": [], "moved": [],
                "resized": [], "retitled": [], "totals": []}
    a = {p["post_id"]: p for p in before["posts"] if p["change"] != "deleted"}
    b = {p["post_id"]: p for p in after["posts"] if p["change"] != "deleted"}
    both = sorted(set(a) & set(b))

    def pick(keys: list[str], *fields: str) -> list[dict[str, Any]]:
        return [{"post_id": k, "title": b.get(k, a.get(k, {})).get("title", ""),
                 **{f"{f}_before": a[k][f] for f in fields if k in a},
                 **{f"{f}_after": b[k][f] for f in fields if k in b}} for k in keys]

    def moved(k: str) -> bool:
        return any(a[k][f] != b[k][f] for f in ("reports_to", "team", "division"))

    totals = []
    for label, path in (("Posts", ("counts", "posts")), ("FTE", ("counts", "fte")),
                        ("Deleted posts", ("counts", "deleted")),
                        ("New posts", ("counts", "new")),
                        ("Proposed dismissals", ("consultation", "proposed")),
                        ("Full-year cost (pence)", ("costs", "option_full_year_pence")),
                        ("Saving against the establishment (pence)", ("costs", "saving_pence"))):
        x, y = before[path[0]].get(path[1]), after[path[0]].get(path[1])
        totals.append({"figure": label, "before": x, "after": y, "changed": x != y})
    return {
        "first": False,
        "added": pick(sorted(set(b) - set(a)), "grade", "team", "reports_to"),
        "removed": pick(sorted(set(a) - set(b)), "grade", "team", "reports_to"),
        "regraded": pick([k for k in both if a[k]["grade"] != b[k]["grade"]], "grade"),
        "moved": pick([k for k in both if moved(k)], "reports_to", "team", "division"),
        "resized": pick([k for k in both if a[k]["fte"] != b[k]["fte"]], "fte"),
        "retitled": pick([k for k in both if a[k]["title"] != b[k]["title"]], "title"),
        "totals": totals,
    }
