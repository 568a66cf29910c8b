"""Changes an option makes to transferred staff's posts, and the ETO rationale for each
(TUPE reg 4(4)-(5) and reg 7: a change or dismissal because of the transfer is void or unfair
unless there is an economic, technical or organisational reason entailing changes in the
workforce). The posts come from the option's difference (planner.structures.comparison).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlmodel import Session, select

from planner.core import audit
from planner.core.auth import Actor, require
from planner.core.errors import RowError, StaleVersion, ValidationFailed
from planner.core.models import (
    EtoRationale,
    Occupancy,
    Person,
    Structure,
    TupeCohort,
    TupeMember,
    utcnow,
)
from planner.establishment.register import baseline_id
from planner.legal.tupe import MAX_RATIONALE

TUPE_CHANGE_COLUMNS = ["person_id", "employee_id", "name", "cohort", "baseline_post_id",
                       "post_id", "title", "grade", "change", "rationale", "recorded_by",
                       "recorded_at", "version", "needs_rationale"]


def _changed_posts(session: Session, option: Structure) -> dict[int, dict[str, str]]:
    """Baseline posts the option changes, by baseline Post.id: ref, title, grade and the
    difference's change text (every change other than "unchanged"; "deleted" included).

    A baseline post continued by more than one option post joins their changes."""
    from planner.structures.comparison import lineage_difference, lineage_frame

    sid = baseline_id(session)
    if sid is None or option.id is None or option.kind != "option":
        return {}
    fa = lineage_frame(session, sid)
    frame = lineage_difference(fa, lineage_frame(session, option.id))
    pk_of = dict(zip(fa["post_id"], fa["baseline_pk"], strict=True))
    title_of = dict(zip(fa["post_id"], fa["title"], strict=True))
    grade_of = dict(zip(fa["post_id"], fa["grade"], strict=True))
    out: dict[int, dict[str, str]] = {}
    for ref, change in zip(frame["baseline_post_id"], frame["change"], strict=True):
        if not ref or change == "unchanged" or pk_of.get(ref) is None:
            continue
        row = out.setdefault(int(pk_of[ref]), {"post_id": ref, "title": title_of[ref],
                                               "grade": grade_of[ref], "change": ""})
        parts = [p for p in row["change"].split("; ") if p]
        parts += [p for p in change.split("; ") if p not in parts]
        row["change"] = "; ".join(parts)
    return out


def _tupe_changes(session: Session, option: Structure) -> pd.DataFrame:
    """`tupe_changes` without the permission checks (callers check)."""
    posts = _changed_posts(session, option)
    rows: list[dict[str, Any]] = []
    if posts:
        found = session.exec(
            select(Person, Occupancy.post_id, TupeCohort.name)
            .join(TupeMember, TupeMember.person_id == Person.id)
            .join(TupeCohort, TupeCohort.id == TupeMember.cohort_id)
            .join(Occupancy, Occupancy.person_id == Person.id)
            .where(Occupancy.post_id.in_(list(posts)))).all()  # type: ignore[attr-defined]
        saved = {(r.person_id, r.baseline_post_id): r for r in session.exec(
            select(EtoRationale).where(EtoRationale.structure_id == option.id))}
        seen: set[tuple[int, int]] = set()
        for person, post_pk, cohort in found:
            key = (int(person.id or 0), int(post_pk))
            if key in seen:  # a person in two cohorts is listed once per post
                continue
            seen.add(key)
            post = posts[post_pk]
            eto = saved.get(key)
            text = eto.rationale if eto is not None else ""
            rows.append({
                "person_id": key[0], "employee_id": person.employee_ref, "name": person.name,
                "cohort": cohort, "baseline_post_id": key[1], "post_id": post["post_id"],
                "title": post["title"], "grade": post["grade"], "change": post["change"],
                "rationale": text, "recorded_by": eto.recorded_by if eto else "",
                "recorded_at": eto.recorded_at if eto else None,
                "version": eto.version if eto else 0, "needs_rationale": not text.strip()})
    rows.sort(key=lambda r: (r["cohort"], r["employee_id"], r["post_id"]))
    return pd.DataFrame(rows, columns=TUPE_CHANGE_COLUMNS)


def tupe_changes(*, session: Session, actor: Actor,
                 structure: str | int | Structure) -> pd.DataFrame:
    """Each post an option changes that a person who came by TUPE occupies, with its ETO
    rationale: TUPE 2006 reg 4(4)-(5) (a change to terms because of the transfer is void
    unless for an economic, technical or organisational reason entailing changes in the
    workforce) and reg 7 (a dismissal because of it is automatically unfair unless for such a
    reason). One row per cohort member and baseline post; `needs_rationale` marks those with
    none yet. Names people, so tupe.read, personal.read and options.read.
    """
    from planner.structures.options import readable_option

    require(actor, "tupe.read", "tupe_cohort")
    require(actor, "personal.read", "person")
    require(actor, "options.read", "structure")
    option = readable_option(session, actor, structure, "options.read")
    return _tupe_changes(session, option)


def _eto_state(row: EtoRationale) -> dict[str, Any]:
    return {"structure_id": row.structure_id, "person_id": row.person_id,
            "baseline_post_id": row.baseline_post_id, "change": row.change,
            "rationale": row.rationale, "version": row.version}


def set_eto_rationale(*, session: Session, actor: Actor, structure: str | int | Structure,
                      person_id: int, baseline_post_id: int, rationale: str,
                      expected_version: int) -> EtoRationale:
    """Record why the option changes this TUPE transferee's post: the ETO reason (TUPE 2006
    reg 4(4)-(5), reg 7), one text per person and baseline post (tupe.edit).

    `expected_version` is the version read (0: none recorded yet). Refused (nothing saved) when
    the option does not change that person's post, or the text is blank or over 4000
    characters; StaleVersion when someone recorded or changed the rationale meanwhile.
    """
    from planner.structures.options import readable_option, require_not_archived

    require(actor, "tupe.edit", "eto_rationale")
    option = readable_option(session, actor, structure, "tupe.edit")
    require_not_archived(option)
    # Serialise on the option row: two first saves would otherwise both see "none yet".
    session.exec(select(Structure).where(Structure.id == option.id).with_for_update()
                 .execution_options(populate_existing=True)).one()
    text = rationale.strip()
    errors: list[RowError] = []
    changes = _tupe_changes(session, option)
    match = changes[(changes["person_id"] == person_id)
                    & (changes["baseline_post_id"] == baseline_post_id)]
    if match.empty:
        errors.append(RowError("eto_rationale", None, "baseline_post_id",
                               f"{option.name} does not change post {baseline_post_id} of a "
                               f"person who came by TUPE (person {person_id}): there is no "
                               f"change to justify."))
    if not text:
        errors.append(RowError("eto_rationale", None, "rationale",
                               "Write the economic, technical or organisational reason: the "
                               "rationale is blank."))
    elif len(text) > MAX_RATIONALE:
        errors.append(RowError("eto_rationale", None, "rationale",
                               f"{len(text)} characters is too long; the limit is "
                               f"{MAX_RATIONALE}."))
    if errors:
        raise ValidationFailed(errors)
    row = session.exec(select(EtoRationale).where(
        EtoRationale.structure_id == option.id, EtoRationale.person_id == person_id,
        EtoRationale.baseline_post_id == baseline_post_id)).first()
    current = row.version if row is not None else 0
    if current != expected_version:
        who = f" by {row.recorded_by}" if row is not None and row.recorded_by else ""
        raise StaleVersion(f"Nothing was saved: this ETO rationale was changed{who} after you "
                           f"opened it (it is at version {current}, you read version "
                           f"{expected_version}). Reload, then make your change again.")
    before = _eto_state(row) if row is not None else None
    if row is None:
        assert option.id is not None
        row = EtoRationale(structure_id=option.id, person_id=person_id,
                           baseline_post_id=baseline_post_id, version=0)
    row.change = str(match.iloc[0]["change"])[:200]
    row.rationale = text
    row.recorded_by = actor.username
    row.recorded_at = utcnow()
    row.version += 1
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="set_eto", entity="eto_rationale",
                 entity_id=str(row.id), before=before, after=_eto_state(row))
    return row
