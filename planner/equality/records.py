"""Equality monitoring records: each employee's answers (special-category personal data, UK
GDPR art. 9), read and changed by hr only, imported from an equality sheet on its own or with
the establishment (the import reaches this module through planner.core.hooks, never the
other way round).

They live in their own table (`EqualityRecord`) and are read only in planner/equality/.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Float, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit, hooks
from planner.core.auth import Actor, can, require
from planner.core.errors import (
    NotFound,
    RowError,
    StaleVersion,
    ValidationFailed,
)
from planner.core.models import (
    EQUALITY_FIELDS,
    EqualityRecord,
    Occupancy,
    Person,
    Post,
    Structure,
    utcnow,
)
from planner.equality.rules import MAX_ANSWER, PREFER_NOT, UNKNOWN
from planner.establishment.importer import ImportFollower
from planner.establishment.readers import Tables

RECORD_COLUMNS = ["employee_id", "name", *EQUALITY_FIELDS, "withdrawn", "version"]


IMPORT_COLUMNS = ("employee_id", *EQUALITY_FIELDS)


SHEET = "equality"


def baseline_structure(session: Session) -> Structure:
    found = session.exec(select(Structure).where(Structure.kind == "baseline")).first()
    if found is None:
        raise NotFound("There is no establishment yet: import one or load the demo data.")
    return found


def baseline_people_frame(session: Session) -> pd.DataFrame:
    """Everyone in a baseline post: person id, employee_id, name, contract, date of birth,
    total FTE, and the baseline post ids they occupy.

    The FTE is summed exactly in whole ten-thousandths, then made a Fraction, once per
    distinct total (issue 16: a Fraction per row was most of the equality read)."""
    from planner.structures.pay import FTE_SCALE, fte_units_each

    base = baseline_structure(session)
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    q = (sa_select(pe.c.id, pe.c.employee_ref, pe.c.name, pe.c.contract, pe.c.date_of_birth,
                   type_coerce(o.c.fte, Float), o.c.post_id)  # made exact by fte_units_each
         .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
         .where(p.c.structure_id == base.id).order_by(pe.c.employee_ref, o.c.id))
    rows = session.connection().execute(q).all()
    columns = ["person_id", "employee_id", "name", "contract", "date_of_birth", "fte", "posts"]
    if not rows:
        return pd.DataFrame([], columns=columns)
    data = list(zip(*rows, strict=True))
    codes, _ = pd.factorize(np.asarray(data[0], dtype=np.int64))  # people in order of rows
    first = np.unique(codes, return_index=True)[1].tolist()
    units = np.zeros(len(first), dtype=np.int64)
    np.add.at(units, codes, fte_units_each(data[5]))
    posts: list[list[int]] = [[] for _ in first]
    for k, post in zip(codes.tolist(), data[6], strict=True):
        posts[k].append(int(post))
    fractions = {u: Fraction(u, FTE_SCALE) for u in set(units.tolist())}
    single = len(first) == len(rows)  # nobody in two posts: every row is a person's first
    out = {c: list(data[j]) if single else [data[j][i] for i in first]
           for j, c in enumerate(columns[:5])}
    out["fte"] = [fractions[u] for u in units.tolist()]
    out["posts"] = posts
    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in out.items()}).infer_objects()


def answers_by_employee(session: Session) -> dict[str, tuple[bool, tuple[Any, ...]]]:
    """employee_ref → (withdrawn, the EQUALITY_FIELDS answers in order), read as plain rows
    (issue 16: 36,000 ORM objects were seconds at 50,000 posts)."""
    r = EqualityRecord.__table__
    q = sa_select(r.c.employee_ref, r.c.withdrawn, *(r.c[f] for f in EQUALITY_FIELDS))
    return {row[0]: (bool(row[1]), tuple(row[2:])) for row in
            session.connection().execute(q).all()}


def records_by_employee(session: Session, refs: Iterable[str] | None = None) -> dict[str, EqualityRecord]:
    q = select(EqualityRecord)
    if refs is not None:
        q = q.where(EqualityRecord.employee_ref.in_(list(refs)))  # type: ignore[attr-defined]
    return {r.employee_ref: r for r in session.exec(q).all()}


def equality_records(*, session: Session, actor: Actor) -> pd.DataFrame:
    """Each baseline person's answers (RECORD_COLUMNS; "" = unknown, version 0 = none yet).

    Person-level special-category data: hr and admin only (equality.personal)."""
    require(actor, "equality.personal", "equality_record")
    people = baseline_people_frame(session)
    records = records_by_employee(session)
    rows = []
    for ref, name in zip(people["employee_id"], people["name"], strict=True):
        r = records.get(ref)
        rows.append({"employee_id": ref, "name": name,
                     **{f: (getattr(r, f) if r else "") for f in EQUALITY_FIELDS},
                     "withdrawn": bool(r.withdrawn) if r else False,
                     "version": int(r.version) if r else 0})
    df = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    df["withdrawn"] = df["withdrawn"].astype(bool)
    df["version"] = df["version"].astype("int64")
    return df


def _clean_answer(value: Any) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    text = " ".join(text.split())
    key = text.casefold()
    if key == UNKNOWN:
        return ""
    if key == PREFER_NOT:
        return PREFER_NOT
    return text


def _truthy(value: Any) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value if value is not None else "").strip().lower()
    if text in ("", "false", "no", "0", "n"):
        return False
    if text in ("true", "yes", "1", "y"):
        return True
    return None


def _answer_errors(values: Mapping[str, Any], sheet: str, row: int | None) -> list[RowError]:
    errors = []
    for f in EQUALITY_FIELDS:
        v = _clean_answer(values.get(f, ""))
        if len(v) > MAX_ANSWER:
            errors.append(RowError(sheet, row, f, f"{len(v)} characters is too long; the limit "
                                                  f"is {MAX_ANSWER}."))
        elif v[:1] in ("=", "+", "@"):
            errors.append(RowError(sheet, row, f, "An answer cannot start with =, + or @ (a "
                                                  "spreadsheet would read it as a formula)."))
    return errors


def save_equality_records(*, session: Session, actor: Actor, rows: list[dict[str, Any]]) -> int:
    """Save people's answers (equality.edit): all-or-nothing, version-checked per person.

    Each row has `employee_id`, any of the EQUALITY_FIELDS, `withdrawn` and the `version` read
    (0 when the person had no record). Returns how many records changed. The audit says which
    fields changed, never the answers themselves.
    """
    require(actor, "equality.edit", "equality_record")
    known = set(baseline_people_frame(session)["employee_id"])
    refs = [str(r.get("employee_id", "")).strip() for r in rows]
    errors: list[RowError] = []
    seen: set[str] = set()
    for i, (ref, r) in enumerate(zip(refs, rows, strict=True), start=1):
        if ref not in known:
            errors.append(RowError(SHEET, i, "employee_id",
                                   f"There is no {ref or '(blank)'} in the establishment."))
        elif ref in seen:
            errors.append(RowError(SHEET, i, "employee_id", f"{ref} is given twice."))
        seen.add(ref)
        errors += _answer_errors(r, SHEET, i)
        if "withdrawn" in r and _truthy(r["withdrawn"]) is None:
            errors.append(RowError(SHEET, i, "withdrawn", "Give true or false."))
    if errors:
        raise ValidationFailed(errors)
    existing = {r.employee_ref: r for r in session.exec(
        select(EqualityRecord).where(EqualityRecord.employee_ref.in_(refs))  # type: ignore[attr-defined]
        .with_for_update().execution_options(populate_existing=True)).all()}
    stale = [ref for ref, r in zip(refs, rows, strict=True)
             if int(r.get("version", 0) or 0) != (existing[ref].version if ref in existing else 0)]
    if stale:
        raise StaleVersion(f"Nothing was saved: the answers of {', '.join(stale)} were changed "
                           "by someone else after you opened them. Reload, then make your "
                           "change again.")
    changed = 0
    for ref, r in zip(refs, rows, strict=True):
        record = existing.get(ref)
        fresh = record is None
        if record is None:
            record = EqualityRecord(employee_ref=ref)
        fields = [f for f in EQUALITY_FIELDS
                  if f in r and _clean_answer(r[f]) != getattr(record, f)]
        withdrawn = _truthy(r["withdrawn"]) if "withdrawn" in r else record.withdrawn
        if not fields and bool(withdrawn) == bool(record.withdrawn) and not fresh:
            continue
        if fresh and not fields and not withdrawn:
            continue
        for f in fields:
            setattr(record, f, _clean_answer(r[f]))
        before_withdrawn = bool(record.withdrawn)
        record.withdrawn = bool(withdrawn)
        record.updated_at = utcnow()
        if not fresh:
            record.version += 1
        session.add(record)
        session.flush()
        audit.record(session, actor=actor, action="create" if fresh else "update",
                     entity="equality_record", entity_id=ref,
                     before=None if fresh else {"withdrawn": before_withdrawn},
                     after={"fields_changed": fields, "withdrawn": record.withdrawn,
                            "version": record.version})
        changed += 1
    session.flush()
    return changed


def validate_equality_sheet(frame: pd.DataFrame, known: set[str]) -> list[RowError]:
    """Every problem of an `equality` sheet read by planner.establishment.readers.read_upload (text, with
    `_row`): unknown or repeated employee_id, over-long or formula-like answers."""
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for rec in frame.to_dict(orient="records"):
        row = int(rec["_row"])
        ref = str(rec.get("employee_id", "")).strip()
        if not ref:
            errors.append(RowError(SHEET, row, "employee_id", "The employee_id is blank."))
        elif ref not in known:
            errors.append(RowError(SHEET, row, "employee_id",
                                   f"There is no {ref} in the establishment (people sheet)."))
        elif ref in seen:
            errors.append(RowError(SHEET, row, "employee_id",
                                   f"{ref} is also on row {seen[ref]}."))
        else:
            seen[ref] = row
        errors += _answer_errors(rec, SHEET, row)
    return errors


def write_equality_sheet(*, session: Session, actor: Actor, frame: pd.DataFrame) -> int:
    """Write a validated `equality` sheet: each row replaces that person's answers (blank =
    unknown); `withdrawn` is left as it is. One audit event, with counts only."""
    require(actor, "equality.edit", "equality_record")
    refs = [str(v).strip() for v in frame["employee_id"]]
    existing = records_by_employee(session, refs)
    created = updated = 0
    for rec in frame.to_dict(orient="records"):
        ref = str(rec["employee_id"]).strip()
        record = existing.get(ref)
        answers = {f: _clean_answer(rec.get(f, "")) for f in EQUALITY_FIELDS}
        if record is None:
            session.add(EqualityRecord(employee_ref=ref, **answers))
            created += 1
        elif any(getattr(record, f) != v for f, v in answers.items()):
            for f, v in answers.items():
                setattr(record, f, v)
            record.version += 1
            record.updated_at = utcnow()
            session.add(record)
            updated += 1
    session.flush()
    audit.record(session, actor=actor, action="import", entity="equality_record",
                 after={"rows": len(frame), "created": created, "updated": updated})
    session.flush()
    return created + updated


def import_equality(*, session: Session, actor: Actor,
                    files: Sequence[tuple[str, bytes]]) -> int:
    """Import answers from the `equality` sheet of a workbook or from equality.csv
    (equality.edit): all-or-nothing, every error with its sheet, row and column. Other sheets
    of a workbook are read past. Returns the records created or changed."""
    from planner.establishment.readers import read_upload

    require(actor, "equality.edit", "equality_record")
    tables, errors = read_upload(files)
    errors = [e for e in errors if e.sheet not in ("posts", "people", "partners")]
    if tables.equality is None and not any(e.sheet == SHEET for e in errors):
        errors.append(RowError(SHEET, None, "", "The equality sheet (or equality.csv) is "
                                                "missing."))
    if not errors and tables.equality is not None:
        known = set(baseline_people_frame(session)["employee_id"])
        errors = validate_equality_sheet(tables.equality, known)
    if errors:
        raise ValidationFailed(errors)
    assert tables.equality is not None
    return write_equality_sheet(session=session, actor=actor, frame=tables.equality)


def _import_check(actor: Actor, tables: Tables) -> list[RowError]:
    """An equality sheet in an establishment upload: checked against the upload's people when
    the actor may edit equality data (hr); refused for anyone else (an administrator imports
    establishments but may not change special-category data)."""
    if tables.equality is None:
        return []
    if not can(actor, "equality.edit"):
        return [RowError("equality", None, "", (
            "The equality sheet holds special-category personal data that only HR may import. "
            "Remove the sheet (or equality.csv) to import the establishment, and ask HR to "
            "upload the equality answers."))]
    people = tables.people
    known = set(people["employee_id"]) if people is not None else set()
    return validate_equality_sheet(tables.equality, known)


def _import_recorded(session: Session, actor: Actor, tables: Tables, event_id: int,
                     results: list[Any]) -> None:
    """The upload's equality sheet, written in the import's transaction (a failure here rolls
    the establishment back too)."""
    if tables.equality is not None:
        write_equality_sheet(session=session, actor=actor, frame=tables.equality)


hooks.register(hooks.IMPORT, ImportFollower(check=_import_check, recorded=_import_recorded),
               order=30, name="equality sheet")
