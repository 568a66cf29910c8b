"""The three equality analysis checkpoints of an option: before the proposals, after
consultation and after implementation (DOMAIN.md §6-§7). Each has impacts per characteristic,
evidence and mitigation, and a sign-off.

The gates on an option's status are registered at planner.core.hooks.STATUS, so that
planner.structures.options never imports this package. Final needs stage 2 signed off;
implemented needs a stage 3 due date. The gates read checkpoints only, never anyone's
answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlmodel import Session, select

from planner.core import audit, hooks
from planner.core.auth import Actor, require
from planner.core.errors import (
    PlannerError,
    RowError,
    StaleVersion,
    ValidationFailed,
)
from planner.core.models import (
    IMPACTS,
    EqualityCheckpoint,
    EqualityImpact,
    Structure,
    utcnow,
)
from planner.core.values import long_date
from planner.equality.rules import CHARACTERISTICS, MAX_TEXT
from planner.structures.options import (
    readable_option,
    require_not_archived,
    resolve_structure,
)

STAGES: tuple[tuple[int, str], ...] = (
    (1, "Stage 1: before the proposals"), (2, "Stage 2: after consultation"),
    (3, "Stage 3: after implementation"))


IMPACT_COLUMNS = ["characteristic", "label", "impact", "evidence", "mitigation"]


_STAGE_NAMES = dict(STAGES)


class GateRefused(PlannerError):
    """An option's status change that its equality analysis does not yet allow."""


@dataclass(frozen=True)
class Checkpoint:
    """One of an option's three equality analysis stages (DOMAIN.md §6)."""

    stage: int
    name: str
    due_on: dt.date | None
    signed_off_by: str
    signed_off_at: dt.datetime | None
    version: int  # 0 = not saved yet
    impacts: pd.DataFrame  # IMPACT_COLUMNS, one row per CHARACTERISTICS entry

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None


def _default_impacts() -> pd.DataFrame:
    return pd.DataFrame([{"characteristic": k, "label": label, "impact": "not yet known",
                          "evidence": "", "mitigation": ""} for k, label in CHARACTERISTICS],
                        columns=IMPACT_COLUMNS)


def _row_of(session: Session, structure_id: int, stage: int, *,
            lock: bool = False) -> EqualityCheckpoint | None:
    q = select(EqualityCheckpoint).where(EqualityCheckpoint.structure_id == structure_id,
                                         EqualityCheckpoint.stage == stage)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    return session.exec(q).first()


def _checkpoint(session: Session, structure_id: int, stage: int) -> Checkpoint:
    row = _row_of(session, structure_id, stage)
    impacts = _default_impacts()
    if row is None:
        return Checkpoint(stage, _STAGE_NAMES[stage], None, "", None, 0, impacts)
    found = {i.characteristic: i for i in session.exec(
        select(EqualityImpact).where(EqualityImpact.checkpoint_id == row.id)).all()}
    for pos, key in enumerate(impacts["characteristic"]):
        if key in found:
            impacts.loc[pos, ["impact", "evidence", "mitigation"]] = [
                found[key].impact, found[key].evidence, found[key].mitigation]
    return Checkpoint(stage, _STAGE_NAMES[stage], row.due_on, row.signed_off_by,
                      row.signed_off_at, int(row.version), impacts)


def checkpoints(*, session: Session, actor: Actor,
                structure: str | int | Structure) -> list[Checkpoint]:
    """The option's three checkpoints, saved or not (equality.read; a union rep only for a
    published option)."""
    s = readable_option(session, actor, structure, "equality.read")
    assert s.id is not None
    return [_checkpoint(session, s.id, stage) for stage, _ in STAGES]


def _assessable(session: Session, actor: Actor, structure: str | int | Structure,
                stage: int) -> Structure:
    require(actor, "equality.assess", "equality_checkpoint")
    s = structure if isinstance(structure, Structure) else resolve_structure(session, structure)
    if s.kind != "option":
        raise PlannerError(f"{s.name} is the current establishment: equality checkpoints "
                           "belong to an option.")
    require_not_archived(s)
    if stage not in _STAGE_NAMES:
        raise ValidationFailed([RowError("checkpoint", None, "stage",
                                         "The stage is 1, 2 or 3.")])
    # Lock the option row so two first saves of a stage cannot both insert it (PostgreSQL).
    session.exec(select(Structure.id).where(Structure.id == s.id).with_for_update()).one()
    return s


def _check_version(cp: Checkpoint, expected: int, structure: Structure) -> None:
    if cp.version != expected:
        who = f" ({cp.signed_off_by} signed it off)" if cp.signed_off else ""
        raise StaleVersion(f"Nothing was saved: {cp.name} of {structure.name} was changed by "
                           f"someone else after you opened it{who}. Reload, then make your "
                           "change again.")


def _impact_rows(impacts: pd.DataFrame | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(impacts, pd.DataFrame):
        return impacts.fillna("").to_dict(orient="records")
    return [dict(r) for r in impacts]


def _state(cp: Checkpoint) -> dict[str, Any]:
    return {"due_on": cp.due_on, "signed_off_by": cp.signed_off_by,
            "signed_off_at": cp.signed_off_at,
            "impacts": {r["characteristic"]: {"impact": r["impact"], "evidence": r["evidence"],
                                              "mitigation": r["mitigation"]}
                        for r in cp.impacts.to_dict(orient="records")}}


def save_checkpoint(*, session: Session, actor: Actor, structure: str | int | Structure,
                    stage: int, due_on: dt.date | None, impacts: pd.DataFrame | list[dict[str, Any]],
                    expected_version: int) -> Checkpoint:
    """Save a stage's due date and its impact, evidence and mitigation per characteristic
    (equality.assess). Refused while the stage is signed off, and if it changed since read."""
    s = _assessable(session, actor, structure, stage)
    assert s.id is not None
    current = _checkpoint(session, s.id, stage)
    _check_version(current, expected_version, s)
    if current.signed_off:
        raise PlannerError(f"{current.name} of {s.name} was signed off by "
                           f"{current.signed_off_by}; withdraw the sign-off before changing it.")
    if stage == 3 and due_on is None and s.status == "implemented":
        raise GateRefused(f"{s.name} is implemented: its stage 3 equality analysis keeps a due "
                          "date.")
    keys = [k for k, _ in CHARACTERISTICS]
    errors: list[RowError] = []
    given: dict[str, dict[str, str]] = {}
    for i, r in enumerate(_impact_rows(impacts), start=1):
        key = str(r.get("characteristic", "")).strip()
        if key not in keys:
            errors.append(RowError("checkpoint", i, "characteristic",
                                   f"{key!r} is not one of the nine protected characteristics."))
            continue
        if key in given:
            errors.append(RowError("checkpoint", i, "characteristic", f"{key} is given twice."))
        impact = str(r.get("impact", "") or "not yet known").strip()
        if impact not in IMPACTS:
            errors.append(RowError("checkpoint", i, "impact",
                                   f"{impact!r} is not one of: {', '.join(IMPACTS)}."))
        texts = {c: str(r.get(c, "") or "").strip() for c in ("evidence", "mitigation")}
        for c, text in texts.items():
            if len(text) > MAX_TEXT:
                errors.append(RowError("checkpoint", i, c, f"{len(text)} characters is too long;"
                                                           f" the limit is {MAX_TEXT}."))
        given[key] = {"impact": impact, **texts}
    if errors:
        raise ValidationFailed(errors)
    before = _state(current)
    row = _row_of(session, s.id, stage, lock=True)
    if row is None:
        row = EqualityCheckpoint(structure_id=s.id, stage=stage, due_on=due_on, version=1)
        session.add(row)
        session.flush()
    else:
        row.due_on = due_on
        row.version += 1
        session.add(row)
    found = {i.characteristic: i for i in session.exec(
        select(EqualityImpact).where(EqualityImpact.checkpoint_id == row.id)).all()}
    for key in keys:
        values = given.get(key)
        item = found.get(key)
        if item is None:
            item = EqualityImpact(checkpoint_id=row.id, characteristic=key)
        if values is not None:
            item.impact, item.evidence, item.mitigation = (
                values["impact"], values["evidence"], values["mitigation"])
        session.add(item)
    session.flush()
    saved = _checkpoint(session, s.id, stage)
    audit.record(session, actor=actor, action="save", entity="equality_checkpoint",
                 entity_id=f"{s.id}:{stage}", before=before if current.version else None,
                 after={**_state(saved), "version": saved.version})
    session.flush()
    return saved


def _when(at: dt.datetime | None) -> str:
    return long_date(at, "")


def sign_off_checkpoint(*, session: Session, actor: Actor, structure: str | int | Structure,
                        stage: int, expected_version: int,
                        today: dt.date | None = None) -> Checkpoint:
    """Sign a stage off in the actor's name (equality.assess): every characteristic must have
    a decided impact (not "not yet known") and the previous stage must be signed off.
    `today` dates the sign-off (default: now)."""
    s = _assessable(session, actor, structure, stage)
    assert s.id is not None
    current = _checkpoint(session, s.id, stage)
    _check_version(current, expected_version, s)
    if current.signed_off:
        raise PlannerError(f"{current.name} was already signed off by {current.signed_off_by} "
                           f"on {_when(current.signed_off_at)}.")
    errors = []
    if stage > 1 and not _checkpoint(session, s.id, stage - 1).signed_off:
        errors.append(RowError("checkpoint", None, "stage", (
            f"{_STAGE_NAMES[stage - 1]} must be signed off before {current.name}.")))
    undecided = current.impacts[current.impacts["impact"] == "not yet known"]
    for pos, label in zip(undecided.index, undecided["label"], strict=True):
        errors.append(RowError("checkpoint", int(pos) + 1, "impact", (
            f"{label}: the impact is not yet known; decide it (positive, negative or neutral) "
            "before signing off.")))
    if errors:
        raise ValidationFailed(errors)
    row = _row_of(session, s.id, stage, lock=True)
    assert row is not None
    now = utcnow()
    row.signed_off_by = (actor.display_name or actor.username)[:200]
    row.signed_off_at = now if today is None else dt.datetime.combine(today, now.timetz())
    row.version += 1
    session.add(row)
    session.flush()
    saved = _checkpoint(session, s.id, stage)
    audit.record(session, actor=actor, action="sign_off", entity="equality_checkpoint",
                 entity_id=f"{s.id}:{stage}",
                 after={"stage": stage, "signed_off_by": row.signed_off_by,
                        "signed_off_at": row.signed_off_at, "version": saved.version})
    session.flush()
    return saved


def withdraw_sign_off(*, session: Session, actor: Actor, structure: str | int | Structure,
                      stage: int, expected_version: int) -> Checkpoint:
    """Withdraw a stage's sign-off (equality.assess), so it can be changed. Refused while the
    next stage is signed off, or for stage 2 while the option is final or implemented (the
    gate it opened would be left open)."""
    s = _assessable(session, actor, structure, stage)
    assert s.id is not None
    current = _checkpoint(session, s.id, stage)
    _check_version(current, expected_version, s)
    if not current.signed_off:
        raise PlannerError(f"{current.name} of {s.name} is not signed off.")
    if stage < 3 and _checkpoint(session, s.id, stage + 1).signed_off:
        raise PlannerError(f"{_STAGE_NAMES[stage + 1]} is signed off: withdraw that first.")
    if stage == 2 and s.status in ("final", "implemented"):
        raise GateRefused(f"{s.name} is {s.status}: its stage 2 sign-off cannot be withdrawn. "
                          "Move the option back to an earlier status first.")
    row = _row_of(session, s.id, stage, lock=True)
    assert row is not None
    before = {"signed_off_by": row.signed_off_by, "signed_off_at": row.signed_off_at}
    row.signed_off_by, row.signed_off_at = "", None
    row.version += 1
    session.add(row)
    session.flush()
    saved = _checkpoint(session, s.id, stage)
    audit.record(session, actor=actor, action="withdraw_sign_off", entity="equality_checkpoint",
                 entity_id=f"{s.id}:{stage}", before=before,
                 after={"stage": stage, "version": saved.version})
    session.flush()
    return saved


def check_status_gate(session: Session, structure: Structure, status: str) -> None:
    """Refuse a status the equality analysis does not allow yet (DOMAIN.md §6-§7): final only
    once stage 2 (after consultation) is signed off; implemented only with a stage 3 (after
    implementation) due date. Called by planner.structures.options.set_option_status."""
    assert structure.id is not None
    if status == "final" and not _checkpoint(session, structure.id, 2).signed_off:
        raise GateRefused(f"Option {structure.name} cannot be marked final until the stage 2 "
                          "equality analysis is signed off.")
    if status == "implemented" and _checkpoint(session, structure.id, 3).due_on is None:
        raise GateRefused(f"Option {structure.name} cannot be marked implemented until the "
                          "stage 3 equality analysis (after implementation) has a due date.")


hooks.register(hooks.STATUS, check_status_gate, name="equality checkpoints")
