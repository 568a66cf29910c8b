"""The consultation of an option: the services the Consultation page calls.

`consultation_view` reads an option's deleted posts and the establishment's people, then
applies the statutory rules (planner.legal.consultation_rules) and notice
(planner.people.notice). `save_plan` records hr's dates and the s.188(4) texts.
`save_stages` keeps the timetable. Every service takes `actor`:
- reading needs consultation.read, and a union rep may read published options only;
- names need personal.read;
- editing needs consultation.edit.

Length: the view, the plan and the stages share one option's lookup, lock, version check
and archive refusal. The people at risk (planner.legal.at_risk) and the rules are already
their own modules. Splitting the three services further would only scatter those checks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from planner.core.values import as_date, long_date
from planner.legal.at_risk import (
    AGENCY_CONTRACTS,
    COUNTED_CONTRACTS,
    EMPLOYEE_CONTRACTS,
    PEOPLE_AT_RISK_COLUMNS,
    agency_frame,
    baseline_people,
    deleted_post_pks,
    descriptions_frame,
    notice_weeks_for,
    weekly_pay_pence,
)
from planner.legal.consultation_rules import (
    ConsultationPlan,
    check_plan,
    plural,
    protective_award_exposure,
    protective_award_max_days,
    s188_applies,
)
from planner.people.mapping import BASIS_MAPPING, dismissal_count, proposed_dismissals
from planner.people.notice import complete_years, latest_notice_date
from planner.structures.pay import annual_pay, is_nan

if TYPE_CHECKING:
    from sqlmodel import Session

    from planner.core.auth import Actor
    from planner.core.models import Structure


# --- Individual notice (ERA 1996 s.86) ---------------------------------------------------------


# --- Protective award (TULRCA 1992 ss.189-190) --------------------------------------------------


# --- The consultation of an option: plan, people at risk, stages (services) ---------------------
#
# Below: the services the Consultation page calls. They read an option's deleted posts (the
# options difference list) and the baseline's people, and apply the pure rules above. Every one
# takes `actor`; reading needs consultation.read (a union rep only for published options),
# names need personal.read, and editing needs consultation.edit.

STAGE_TEMPLATE: tuple[tuple[str, str], ...] = (
    ("business_case", "Business case and pre-consultation (equality analysis stage 1)"),
    ("launch", "Formal launch: consultation document, s.188(4) letter and HR1"),
    ("consultation", "Consultation period: collective and individual meetings"),
    ("final_structure",
     "Responses considered; final structure published (equality analysis stage 2)"),
    ("selection", "Selection: slot-in, ring-fenced competition, voluntary redundancy"),
    ("notice", "Notice and redeployment (4-week trial period)"),
    ("appeals", "Appeals"),
    ("implementation", "Implementation (equality analysis stage 3)"),
)
_STAGE_NAMES = dict(STAGE_TEMPLATE)
_STAGE_POSITIONS = {key: i for i, (key, _) in enumerate(STAGE_TEMPLATE, start=1)}

MAX_TEXT = 4000
MAX_ESTABLISHMENT = 200
MAX_OWNER = 200
HR1_WARNING_DAYS = 14
# The s.188(4) texts no data can supply: field, what it is, the paragraph that requires it.
S188_TEXTS: tuple[tuple[str, str, str], ...] = (
    ("reasons", "the reasons for the proposals", "s.188(4)(a)"),
    ("selection_method", "the proposed method of selection", "s.188(4)(d)"),
    ("dismissal_method", "the method and period of carrying out the dismissals", "s.188(4)(e)"),
    ("redundancy_pay_method", "the method of calculating redundancy pay", "s.188(4)(f)"),
)


@dataclass(frozen=True)
class PlanFields:
    """What hr records about an option's consultation (the ConsultationPlan row)."""

    establishment: str = ""
    launch_on: dt.date | None = None  # the day the s.188(4) information reached the reps
    first_dismissal_on: dt.date | None = None
    hr1_sent_on: dt.date | None = None
    notices_issued_on: dt.date | None = None
    reasons: str = ""
    selection_method: str = ""
    dismissal_method: str = ""
    redundancy_pay_method: str = ""
    version: int = 0  # 0 = not saved yet


_PLAN_FIELDS = ("establishment", "launch_on", "first_dismissal_on", "hr1_sent_on",
                "notices_issued_on", "reasons", "selection_method", "dismissal_method",
                "redundancy_pay_method")

STAGE_COLUMNS = ["id", "key", "position", "name", "planned_start", "planned_end", "actual_start",
                 "actual_end", "owner", "status", "notes", "version", "overdue"]


@dataclass(frozen=True)
class ConsultationView:
    """Everything the Consultation page shows for one option, worked out once."""

    structure_id: int
    structure_name: str
    structure_status: str
    plan: PlanFields
    employees: int  # employees (permanent, fixed-term, secondment) in the baseline
    proposed: int  # permanent + fixed-term occupants of deleted posts (the s.188 count)
    agency_workers: int  # interim + agency occupants of deleted posts
    local_minimum_days: int | None
    check: ConsultationPlan | None  # None until plan.launch_on is set
    planned_first_dismissal: dt.date | None
    # The protective award's cap (TULRCA 1992 s.189(4)): up to `exposure_days` days' gross pay
    # per affected employee, summed over those proposed for dismissal. None where s.188 does
    # not apply (no award is possible) and for anyone without personal.read (a union rep):
    # it is worked out from each person's pay, so it is never in their view at all.
    exposure_pence: int | None
    exposure_days: int | None
    breaches: list[str]
    warnings: list[str]
    stages: pd.DataFrame  # STAGE_COLUMNS
    descriptions: pd.DataFrame  # DESCRIPTION_COLUMNS
    agency: pd.DataFrame  # AGENCY_COLUMNS
    people: pd.DataFrame | None  # PEOPLE_AT_RISK_COLUMNS; None without personal.read
    today: dt.date
    # What "proposed for dismissal" was read from: the option's people mapping once it has
    # one (planner.people.mapping), else the posts it deletes (BASIS_POSTS).
    basis: str = "posts the option deletes"
    unmapped: int = 0  # with a mapping: people still unmapped, counted as at risk meanwhile


BASIS_POSTS = "posts the option deletes"


def stage_overdue(planned_end: dt.date | None, status: str, today: dt.date) -> bool:
    """A stage is overdue once its planned end has passed and it is neither done nor skipped."""
    return planned_end is not None and planned_end < today and status not in ("done", "skipped")


def _not_archived(option: Structure) -> None:
    """An archived option's consultation records are read-only too (planner.structures.options)."""
    from planner.structures.options import require_not_archived as check

    check(option)


def _option_for(session: Session, actor: Actor, structure: str | int | Structure,
                action: str) -> Structure:
    """The option, if `actor` may read it for `action`; the baseline is refused."""
    from planner.structures.options import NotAnOption, readable_option

    option = readable_option(session, actor, structure, action)
    if option.kind != "option":
        raise NotAnOption(f"{option.name} is the current establishment: consult on an option, "
                          f"not the establishment.")
    return option


def _plan_row(session: Session, structure_id: int, *, lock: bool = False) -> Any:
    from sqlmodel import select

    from planner.core.models import ConsultationPlan as PlanRow

    q = select(PlanRow).where(PlanRow.structure_id == structure_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    return session.exec(q).first()


def _fields_of(row: Any) -> PlanFields:
    if row is None:
        return PlanFields()
    return PlanFields(**{f: getattr(row, f) for f in _PLAN_FIELDS}, version=row.version)


def _lock_structure(session: Session, structure_id: int) -> None:
    """FOR UPDATE on the option row (PostgreSQL), so two first saves cannot both create rows;
    SQLite write sessions already hold the database lock."""
    from sqlmodel import select

    from planner.core.models import Structure

    session.exec(select(Structure).where(Structure.id == structure_id).with_for_update()
                 .execution_options(populate_existing=True)).one()


def _stages_frame(session: Session, structure_id: int, today: dt.date) -> pd.DataFrame:
    from sqlmodel import select

    from planner.core.models import ConsultationStage

    saved = {s.key: s for s in session.exec(select(ConsultationStage).where(
        ConsultationStage.structure_id == structure_id))}
    rows = []
    for key, name in STAGE_TEMPLATE:
        s = saved.get(key)
        if s is None:
            rows.append({"id": None, "key": key, "position": _STAGE_POSITIONS[key], "name": name,
                         "planned_start": None, "planned_end": None, "actual_start": None,
                         "actual_end": None, "owner": "", "status": "not started", "notes": "",
                         "version": 0, "overdue": False})
        else:
            rows.append({"id": s.id, "key": key, "position": s.position, "name": s.name,
                         "planned_start": s.planned_start, "planned_end": s.planned_end,
                         "actual_start": s.actual_start, "actual_end": s.actual_end,
                         "owner": s.owner, "status": s.status, "notes": s.notes,
                         "version": s.version,
                         "overdue": stage_overdue(s.planned_end, s.status, today)})
    return pd.DataFrame(rows, columns=STAGE_COLUMNS).astype({"id": object})


def consultation_view(*, session: Session, actor: Actor, structure: str | int | Structure,
                      today: dt.date | None = None) -> ConsultationView:
    """The collective consultation of an option, checked against TULRCA 1992 ss.188-193 and
    ERA 1996 s.86, as of `today`.

    Proposed dismissals are the permanent and fixed-term occupants of the posts the option
    deletes (s.188(1)); interims and agency workers are listed for s.188(4)(g) instead. Once
    the option has a people mapping they are the mapping's instead (`basis`): at-risk,
    voluntary redundancies (DOMAIN.md §2: volunteers count), each ring-fenced pool's members
    beyond its posts, and anyone still unmapped (planner.people.mapping.dismissal_count). The
    figures need no personal data, so a union rep (consultation.read) sees them for a published
    option; the people list (`people`) needs personal.read and is None otherwise. Breaches and
    warnings are sentences with counts, never names.

    The protective award (TULRCA 1992 s.189, DOMAIN.md §2) exists only where s.188 applied and
    was not complied with, so its cap (`exposure_pence`, each person's `exposure_pence`) is
    worked out only where s.188 applies (20 or more proposed dismissals), and only for a
    viewer with personal.read (hr, manager, admin): a union rep's view holds no exposure, no
    per-person figure and no notice date derived from the people (those sentences are left
    out of their breaches and warnings; the plan's own dates stay).
    """
    from planner.core.auth import can
    from planner.core.config import get_settings
    from planner.structures.pay import fte_units

    today = today or dt.date.today()
    option = _option_for(session, actor, structure, "consultation.read")
    assert option.id is not None
    plan = _fields_of(_plan_row(session, option.id))
    local = get_settings().local_consultation_minimum_days
    everyone = baseline_people(session)
    mapped = proposed_dismissals(session, option.id)
    # Ring-fenced pools: name → (counted members, excess); which members go is not known yet.
    pools: dict[str, tuple[frozenset[int], int]] = {}
    if mapped is None:  # no mapping yet: the people in the posts the option deletes
        basis, unmapped = BASIS_POSTS, 0
        gone = deleted_post_pks(session, option)
        at_risk = everyone[everyone["post_pk"].isin(gone)]
        counted_ids = sorted(set(at_risk.loc[at_risk["contract"].isin(COUNTED_CONTRACTS),
                                             "person_id"]))
        proposed = len(counted_ids)
    else:  # at-risk, voluntary redundancy, each pool's excess (and the still unmapped)
        basis, unmapped = BASIS_MAPPING, int((mapped["outcome"] == "").sum())
        at_risk = everyone[everyone["person_id"].isin(set(mapped["person_id"]))]
        proposed = dismissal_count(mapped)
        ring = mapped[(mapped["outcome"] == "ring-fenced") & mapped["counted"]]
        pools = {str(name): (frozenset(int(p) for p in g["person_id"]),
                             int(g["pool_excess"].iloc[0]))
                 for name, g in ring.groupby("pool", sort=True)}
    agency_ids = set(at_risk.loc[at_risk["contract"].isin(AGENCY_CONTRACTS), "person_id"])
    employee_ids = set(everyone.loc[everyone["contract"].isin(EMPLOYEE_CONTRACTS), "person_id"])

    check = None
    if plan.launch_on is not None:
        check = check_plan(proposed=proposed, launch=plan.launch_on,
                           first_dismissal=plan.first_dismissal_on, hr1_sent=plan.hr1_sent_on,
                           notices_issued=plan.notices_issued_on, local_minimum_days=local)
    planned = plan.first_dismissal_on or (check.earliest_first_dismissal if check else None)
    personal = can(actor, "personal.read")
    # No award without s.188 (s.189(1)); none in a view without personal data.
    award = s188_applies(proposed) and personal
    days = protective_award_max_days(planned or today) if award else None

    # One row per person at risk (a person in two deleted posts is one dismissal).
    annual = annual_pay(session, at_risk, today)
    # A week's pay is the person's whole pay: every baseline post they hold counts.
    all_fte: dict[int, int] = {}
    held = everyone[everyone["person_id"].isin(set(at_risk["person_id"]))]
    for pid, fte in zip(held["person_id"], held["fte"], strict=True):
        all_fte[int(pid)] = all_fte.get(int(pid), 0) + fte_units(fte)
    rows = []
    # Each person's first row (in at_risk's order) and their posts' cells "; "-joined, read
    # as plain lists: 1,800 people at 50,000 posts were 1,800 slices of a frame (issue 16).
    first_rows = at_risk.drop_duplicates("person_id")
    joined = {c: _joined_by_person(at_risk, c) for c in ("post_id", "title", "grade")}
    for pid, ref, name, contract, service, started in zip(
            *(first_rows[c].tolist() for c in ("person_id", "employee_id", "name", "contract",
                                               "continuous_service_date", "start_date")),
            strict=True):
        counted = contract in COUNTED_CONTRACTS
        start = as_date(service) or as_date(started)
        years = weeks = latest = weekly = exposure = None
        if counted:
            if start is not None and planned is not None:
                years = complete_years(start, planned)
                weeks = notice_weeks_for(start, planned)
                latest = latest_notice_date(planned, weeks)
            if annual.get(int(pid)) is not None:
                weekly = weekly_pay_pence(int(annual[int(pid)]), all_fte[int(pid)])
                if days is not None:
                    exposure = protective_award_exposure(people=1, weekly_pay_pence=weekly,
                                                         days=days)
        rows.append({"employee_id": ref, "name": name, "contract": contract,
                     "counted": counted, "post_id": joined["post_id"][pid],
                     "title": joined["title"][pid], "grade": joined["grade"][pid],
                     "continuous_service_date": start,
                     "service_years": years, "notice_weeks": weeks, "latest_notice_date": latest,
                     "weekly_pay_pence": weekly, "exposure_pence": exposure})
    # Object columns keep None (not NaN) where a figure does not apply.
    people = pd.DataFrame(rows, columns=PEOPLE_AT_RISK_COLUMNS, dtype=object)
    people["counted"] = people["counted"].astype(bool)
    counted_rows = people[people["counted"].astype(bool)]
    exposure_pence = _exposure_total(counted_rows, pools, everyone) if award else None

    breaches = list(check.breaches) if check else []
    warnings: list[str] = []
    if personal:  # worked out from each person's notice: not for a union rep's view
        breaches += _notice_breaches(plan, counted_rows)
    stages = _stages_frame(session, option.id, today)
    for name, end, status in zip(stages["name"], stages["planned_end"], stages["status"],
                                 strict=True):
        if stage_overdue(end, status, today):
            warnings.append(f"Stage '{name}' was planned to end on {long_date(end)} and is not "
                            f"done.")
    warnings += _plan_warnings(plan, check, counted_rows, today, personal=personal,
                               award=award)

    descriptions = descriptions_frame(at_risk, everyone, pools)
    agency = agency_frame(everyone)
    return ConsultationView(
        structure_id=option.id, structure_name=option.name, structure_status=option.status,
        plan=plan, employees=len(employee_ids), proposed=proposed,
        agency_workers=len(agency_ids), local_minimum_days=local, check=check,
        planned_first_dismissal=planned, exposure_pence=exposure_pence, exposure_days=days,
        breaches=breaches, warnings=warnings, stages=stages, descriptions=descriptions,
        agency=agency, people=people if personal else None, today=today, basis=basis,
        unmapped=unmapped)


def _joined_by_person(frame: pd.DataFrame, column: str) -> dict[int, str]:
    """Person id → their rows' `column` values "; "-joined, in the frame's order."""
    out: dict[int, str] = {}
    for pid, value in zip(frame["person_id"].tolist(), frame[column].tolist(), strict=True):
        out[pid] = f"{out[pid]}; {value}" if pid in out else "; ".join([value])
    return out


def _exposure_total(counted: pd.DataFrame, pools: dict[str, tuple[frozenset[int], int]],
                    everyone: pd.DataFrame) -> int:
    """The protective award's cap over the proposed dismissals: each person proposed for
    dismissal, and for each ring-fenced pool its best-paid members up to its excess (which
    members will go is not known, so the cap assumes the dearest)."""
    ref_of = dict(zip(everyone["person_id"].tolist(), everyone["employee_id"].tolist(),
                      strict=True))
    in_pool = {ref_of[p]: name for name, (members, _) in pools.items() for p in members
               if p in ref_of}
    total = 0
    by_pool: dict[str, list[int]] = {}
    for ref, value in zip(counted["employee_id"], counted["exposure_pence"], strict=True):
        if value is None:
            continue
        if ref in in_pool:
            by_pool.setdefault(in_pool[ref], []).append(int(value))
        else:
            total += int(value)
    for name, values in by_pool.items():
        total += sum(sorted(values, reverse=True)[:pools[name][1]])
    return total


def _notice_breaches(plan: PlanFields, counted: pd.DataFrame) -> list[str]:
    """Notices issued too late for the planned first dismissal (ERA 1996 s.86), as counts."""
    if plan.notices_issued_on is None or plan.first_dismissal_on is None:
        return []
    late = [w for w, last in zip(counted["notice_weeks"], counted["latest_notice_date"],
                                 strict=True)
            if w is not None and last is not None and plan.notices_issued_on > last]
    if not late:
        return []
    return [f"Notices were issued on {long_date(plan.notices_issued_on)}, but for "
            f"{_people(len(late))} at risk the statutory notice (up to "
            f"{plural(max(late), 'week')}, ERA 1996 s.86) would end after the planned first "
            f"dismissal on {long_date(plan.first_dismissal_on)}."]


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _plan_warnings(plan: PlanFields, check: ConsultationPlan | None, counted: pd.DataFrame,
                   today: dt.date, *, personal: bool = True, award: bool = True) -> list[str]:
    """What needs doing soon: s.188(4) texts, HR1 near its deadline, notice dates passing,
    people whose pay is unknown. The last two come from each person's notice and pay: only
    with `personal` (and the pay one only where a protective award is possible, `award`)."""
    warnings: list[str] = []
    if plan.launch_on is not None:
        missing = [f"{what} ({rule})" for field_, what, rule in S188_TEXTS
                   if not getattr(plan, field_).strip()]
        if missing:
            warnings.append("The s.188(4) information is incomplete: " + "; ".join(missing)
                            + " still to be written. Consultation does not begin until the "
                              "representatives have it all (TULRCA 1992 s.188(4)).")
    if check is not None and check.hr1_deadline is not None and plan.hr1_sent_on is None:
        left = (check.hr1_deadline - today).days
        if left < 0:
            warnings.append(f"HR1 was due at the Redundancy Payments Service by "
                            f"{long_date(check.hr1_deadline)} and none is recorded as sent "
                            f"(TULRCA 1992 s.193; failing to notify is an offence, s.194).")
        elif left <= HR1_WARNING_DAYS:
            warnings.append(f"HR1 must reach the Redundancy Payments Service by "
                            f"{long_date(check.hr1_deadline)}, in {plural(left, 'day')}, and none "
                            f"is recorded as sent (TULRCA 1992 s.193).")
    if plan.notices_issued_on is None and personal:
        dates = [d for d in counted["latest_notice_date"] if d is not None]
        passed = [d for d in dates if d < today]
        if passed:
            warnings.append(f"The latest date to give statutory notice for the planned first "
                            f"dismissal has passed for {_people(len(passed))} at risk (the earliest was {long_date(min(passed))}) and no notices "
                            f"are recorded (ERA 1996 s.86).")
    no_pay = int(sum(1 for v in counted["weekly_pay_pence"] if v is None)) if award else 0
    if no_pay:
        who = "1 employee at risk has" if no_pay == 1 else f"{no_pay} employees at risk have"
        warnings.append(f"{who} neither a salary nor a spinal point with a value: the "
                        f"protective award cap leaves them out.")
    return warnings


def _plan_errors(fields: PlanFields, today: dt.date) -> list[Any]:
    from planner.core.errors import RowError

    errors: list[RowError] = []
    if len(fields.establishment.strip()) > MAX_ESTABLISHMENT:
        errors.append(RowError("consultation_plan", None, "establishment",
                               f"{len(fields.establishment.strip())} characters is too long; "
                               f"the limit is {MAX_ESTABLISHMENT}."))
    for name, what, _rule in S188_TEXTS:
        text = getattr(fields, name).strip()
        if len(text) > MAX_TEXT:
            errors.append(RowError("consultation_plan", None, name,
                                   f"{what[0].upper()}{what[1:]}: {len(text)} characters is too "
                                   f"long; the limit is {MAX_TEXT}."))
    for name, what in (("hr1_sent_on", "HR1 received by the Redundancy Payments Service"),
                       ("notices_issued_on", "Notices of dismissal issued")):
        day = getattr(fields, name)
        if day is not None and day > today:
            errors.append(RowError("consultation_plan", None, name,
                                   f"{what} on {long_date(day)} has not happened yet: today is "
                                   f"{long_date(today)}. Record it once it has."))
    return errors


def save_plan(*, session: Session, actor: Actor, structure: str | int | Structure,
              fields: PlanFields, today: dt.date | None = None) -> PlanFields:
    """Save an option's consultation plan (consultation.edit): dates and the s.188(4) texts.

    `fields.version` is the version read (0: no plan saved yet). Refused (nothing saved) for
    texts over 4000 characters (an establishment name over 200) or an HR1 or notice date after
    today (they record events, s.193); StaleVersion when someone saved the plan meanwhile.
    Texts are stored stripped. Returns what was saved, with its new version.
    """
    from planner.core import audit
    from planner.core.auth import require
    from planner.core.errors import StaleVersion, ValidationFailed
    from planner.core.models import ConsultationPlan as PlanRow

    require(actor, "consultation.edit", "consultation_plan")
    today = today or dt.date.today()
    option = _option_for(session, actor, structure, "consultation.edit")
    _not_archived(option)
    assert option.id is not None
    errors = _plan_errors(fields, today)
    if errors:
        raise ValidationFailed(errors)
    _lock_structure(session, option.id)
    row = _plan_row(session, option.id, lock=True)
    current = row.version if row is not None else 0
    if current != fields.version:
        raise StaleVersion(f"Nothing was saved: the consultation plan of {option.name} changed "
                           f"after you opened it (it is at version {current}, you read version "
                           f"{fields.version}). Reload, then make your change again.")
    before = _plan_state(_fields_of(row)) if row is not None else None
    if row is None:
        row = PlanRow(structure_id=option.id, version=0)
    for name in _PLAN_FIELDS:
        value = getattr(fields, name)
        setattr(row, name, value.strip() if isinstance(value, str) else value)
    row.version += 1
    session.add(row)
    session.flush()
    saved = _fields_of(row)
    audit.record(session, actor=actor, action="save" if before else "create",
                 entity="consultation_plan", entity_id=str(option.id), before=before,
                 after=_plan_state(saved))
    return saved


def _plan_state(fields: PlanFields) -> dict[str, Any]:
    return asdict(fields)


_STAGE_FIELDS = ("planned_start", "planned_end", "actual_start", "actual_end", "owner", "status",
                 "notes")


def _cell_text(value: Any) -> str:
    """An editor cell as stripped text; None and NaN (an emptied cell) are blank."""
    return "" if value is None or is_nan(value) else str(value).strip()


def _stage_errors(rows: list[dict[str, Any]],
                  today: dt.date) -> tuple[list[Any], list[dict[str, Any]]]:
    """Check every row (RowError per row and column; row = 1-based position in `rows`) and
    return the rows cleaned: dates as dates, texts stripped."""
    from planner.core.errors import RowError
    from planner.core.models import STAGE_STATUSES

    errors: list[RowError] = []
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, raw in enumerate(rows, start=1):
        def err(column: str, message: str, n: int = n) -> None:
            errors.append(RowError("stages", n, column, message))

        key = str(raw.get("key") or "")
        if key not in _STAGE_NAMES:
            err("key", f"Unknown stage {key!r}; expected one of "
                       f"{', '.join(_STAGE_NAMES)}.")
        elif key in seen:
            err("key", f"Stage {key!r} appears twice.")
        seen.add(key)
        version = raw.get("version")
        row: dict[str, Any] = {"key": key, "version": 0 if version is None or is_nan(version)
                               else int(version)}
        for column in ("planned_start", "planned_end", "actual_start", "actual_end"):
            try:
                row[column] = as_date(raw.get(column))
            except ValueError:
                err(column, f"{raw.get(column)!r} is not a date (YYYY-MM-DD).")
                row[column] = None
        status = _cell_text(raw.get("status")) or "not started"
        if status not in STAGE_STATUSES:
            err("status", f"Unknown status {status!r}; expected one of "
                          f"{', '.join(STAGE_STATUSES)}.")
        row["status"] = status
        row["owner"] = _cell_text(raw.get("owner"))
        row["notes"] = _cell_text(raw.get("notes"))
        if len(row["owner"]) > MAX_OWNER:
            err("owner", f"{len(row['owner'])} characters is too long; the limit is "
                         f"{MAX_OWNER}.")
        if len(row["notes"]) > MAX_TEXT:
            err("notes", f"{len(row['notes'])} characters is too long; the limit is "
                         f"{MAX_TEXT}.")
        for kind in ("planned", "actual"):
            start, end = row[f"{kind}_start"], row[f"{kind}_end"]
            if start is not None and end is not None and end < start:
                err(f"{kind}_end", f"The {kind} end, {long_date(end)}, is before the {kind} "
                                   f"start, {long_date(start)}.")
        for column in ("actual_start", "actual_end"):
            day = row[column]
            if day is not None and day > today:
                err(column, f"An actual date records what happened: {long_date(day)} is after "
                            f"today, {long_date(today)}. Plan it instead.")
        if status == "done" and row["actual_end"] is None:
            err("actual_end", "A stage marked done needs the date it actually ended.")
        clean.append(row)
    return errors, clean


def save_stages(*, session: Session, actor: Actor, structure: str | int | Structure,
                rows: list[dict[str, Any]], today: dt.date | None = None) -> int:
    """Save an option's stages (DOMAIN.md §7) from the stages table (consultation.edit).

    Each row: key, planned_start, planned_end, actual_start, actual_end, owner, status, notes,
    version (the version read; 0 while the option has no saved stages, and the first save
    creates every template stage). All or nothing: every problem comes back as a RowError
    (unknown key or status, an end before its start, an actual date after today, "done" with
    no actual end); StaleVersion when a stage changed since it was read. Returns the number
    of stages written (created or changed); each is audited.
    """
    from sqlmodel import select

    from planner.core import audit
    from planner.core.auth import require
    from planner.core.errors import StaleVersion, ValidationFailed
    from planner.core.models import ConsultationStage

    require(actor, "consultation.edit", "consultation_stage")
    today = today or dt.date.today()
    option = _option_for(session, actor, structure, "consultation.edit")
    _not_archived(option)
    assert option.id is not None
    errors, clean = _stage_errors(rows, today)
    if errors:
        raise ValidationFailed(errors)
    _lock_structure(session, option.id)
    saved = {s.key: s for s in session.exec(select(ConsultationStage).where(
        ConsultationStage.structure_id == option.id))}
    stale = [r["key"] for r in clean
             if r["version"] != (saved[r["key"]].version if r["key"] in saved else 0)]
    if stale:
        names = ", ".join(f"'{_STAGE_NAMES[k]}'" for k in stale)
        raise StaleVersion(f"Nothing was saved: stage(s) {names} of {option.name} changed after "
                           f"you opened them. Reload, then make your change again.")
    given = {r["key"]: r for r in clean}
    written = 0
    for key, name in STAGE_TEMPLATE:
        stage = saved.get(key)
        new = given.get(key)
        if stage is None:
            stage = ConsultationStage(structure_id=option.id, key=key,
                                      position=_STAGE_POSITIONS[key], name=name, version=0)
            before = None
        elif new is None:
            continue
        else:
            before = {f: getattr(stage, f) for f in _STAGE_FIELDS}
            if all(before[f] == new[f] for f in _STAGE_FIELDS):
                continue
        for f in _STAGE_FIELDS:
            if new is not None:
                setattr(stage, f, new[f])
        stage.version += 1
        session.add(stage)
        session.flush()
        written += 1
        audit.record(session, actor=actor, action="save" if before else "create",
                     entity="consultation_stage", entity_id=str(stage.id), before=before,
                     after={"structure_id": option.id, "key": key,
                            **{f: getattr(stage, f) for f in _STAGE_FIELDS},
                            "version": stage.version})
    return written


def view_key(session: Session, structure_id: int) -> tuple[Any, ...]:
    """What `consultation_view` depends on, cheaply: the option's and the establishment's
    versions, the plan's version, the stages' versions, the local-minimum setting and the day
    (notice and overdue stages move with it). A page may cache a view under this key."""
    from sqlalchemy import func
    from sqlalchemy import select as sa_select

    from planner.core.config import get_settings
    from planner.core.models import ConsultationPlan as PlanRow
    from planner.core.models import ConsultationStage, Structure

    s, b = Structure.__table__, Structure.__table__.alias("b")
    conn = session.connection()
    versions = conn.execute(
        sa_select(s.c.version, b.c.version).select_from(s.join(b, b.c.kind == "baseline"))
        .where(s.c.id == structure_id)).first()
    p, st = PlanRow.__table__, ConsultationStage.__table__
    plan = conn.execute(sa_select(p.c.version).where(p.c.structure_id == structure_id)).scalar()
    stages = conn.execute(sa_select(func.count(st.c.id), func.coalesce(func.sum(st.c.version), 0))
                          .where(st.c.structure_id == structure_id)).one()
    return (tuple(versions or ()), plan, tuple(stages),
            get_settings().local_consultation_minimum_days, dt.date.today().isoformat())
