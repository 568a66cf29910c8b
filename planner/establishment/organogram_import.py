"""Importing an open-data organogram pair (issue 14): recognise it by its headings, read both
files with the establishment import's limits and checks (planner.establishment.readers), map
them (planner.establishment.organogram), check the result with every rule of the
establishment import (planner.establishment.validation, errors moved back to the organogram
file's row and heading), then write it all-or-nothing with the establishment import's own
write (posts and people upserted, options rebased), the salary-band grades it needs, and an
audit event with every assumption made.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session

from planner.core import audit
from planner.core.auth import Actor, require
from planner.core.config import Settings, get_settings
from planner.core.errors import PermissionDenied, RowError, ValidationFailed
from planner.core.models import Grade, Post
from planner.core.progress import Progress, counted, report
from planner.establishment import importer
from planner.establishment.organogram import GRADE_FAMILY, Mapped, heading_key, map_organogram
from planner.establishment.readers import decode_text, read_raw_csv
from planner.establishment.reference import grade_table, partner_names
from planner.establishment.validation import validate_tables


def _located(mapped: Mapped, errors: list[RowError]) -> list[RowError]:
    """The establishment checks' errors (posts/people sheet rows) at the organogram file's
    row and heading, so the user fixes the file they have."""
    out = []
    for e in errors:
        origin = mapped.origin.get(e.sheet)
        if origin is None or e.row is None or not 2 <= e.row < len(origin) + 2:
            out.append(e)
            continue
        file, row = origin[e.row - 2]
        column = mapped.headings.get(file, {}).get(e.column, e.column)
        out.append(RowError(file, row, column, e.message))
    return out


# --- recognising the pair --------------------------------------------------------------------


def _header_keys(data: bytes) -> set[str]:
    text, _ = decode_text(data[:16384])
    first = next(csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"))), [])
    return {heading_key(h) for h in first}


def organogram_pair(files: Sequence[tuple[str, bytes]]) -> tuple[tuple[str, bytes],
                                                                 tuple[str, bytes]] | None:
    """(senior, junior) when the files are an organogram pair, recognised by their headings
    (whatever the files are called); else None (an establishment upload)."""
    if len(files) != 2:
        return None
    senior = junior = None
    for name, data in files:
        if data[:4] == b"PK\x03\x04":
            return None
        keys = _header_keys(data)
        if "post unique reference" in keys and "reports to senior post" in keys:
            senior = (name, data)
        elif "reporting senior post" in keys and "number of posts in fte" in keys:
            junior = (name, data)
    return (senior, junior) if senior and junior else None


# --- prepare and write -----------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedOrganogram:
    """A pair read and checked by `prepare_organogram`, for `import_organogram` to write
    (made outside the write transaction, like importer.PreparedImport)."""

    mapped: Mapped
    files: tuple[str, str]
    username: str
    baseline_version: int | None


@dataclass(frozen=True)
class OrganogramSummary:
    """What an organogram import did: the figures, and every assumption, in sentences."""

    structure_id: int
    figures: dict[str, Any]
    assumptions: tuple[str, ...]
    rebased: tuple[Any, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"structure_id": self.structure_id, **self.figures,
                "assumptions": list(self.assumptions),
                "options_rebased": [r.as_dict() for r in self.rebased]}

    def headline(self) -> str:
        f = self.figures
        return (f"Imported the organogram: {f['posts']:,} posts ({f['senior_posts']:,} senior, "
                f"{f['junior_posts']:,} junior), {f['people']:,} people "
                f"({f['undisclosed']:,} not disclosed), {f['vacancies']:,} senior vacancies; "
                f"junior FTE {f['junior_fte']} of {f['junior_fte_in_file']} in the file, "
                f"senior FTE {f['senior_fte']}.")


def prepare_organogram(*, session: Session, actor: Actor, senior: tuple[str, bytes],
                       junior: tuple[str, bytes], today: dt.date | None = None,
                       settings: Settings | None = None,
                       progress: Progress | None = None) -> PreparedOrganogram:
    """Read and check the pair (every row of both files), writing nothing; ValidationFailed
    with every error (file, row, column) when anything is wrong. `progress` hears each stage
    (planner.core.progress), reaching 1.0 when the pair passes."""
    require(actor, "establishment.import", "structure")
    settings = settings or get_settings()
    report(progress, 0.0, "Reading the organogram's senior and junior files…")
    errors: list[RowError] = []
    raws = []
    for name, data in (senior, junior):
        label = name.rsplit("/", 1)[-1] or "upload"
        raw, errs = read_raw_csv(label, data, settings)
        errors += errs
        raws.append((label, raw))
    if errors or raws[0][1] is None or raws[1][1] is None:
        raise ValidationFailed(errors)
    (s_name, s_raw), (j_name, j_raw) = raws
    assert s_raw is not None and j_raw is not None
    grades = grade_table(session)
    report(progress, 0.3, "Mapping the organogram's posts…")
    mapped = map_organogram(s_raw, j_raw, senior_file=s_name, junior_file=j_name,
                            grades=grades, settings=settings)
    if mapped.tables.posts is None:  # a required column is missing: nothing to check
        raise ValidationFailed(mapped.errors)
    # The establishment's rules run on what the mapping made even when rows were refused, so
    # the user fixes every problem in one pass; a cell the mapping refused is said once.
    with_new = {**grades, **{g.name: g for g in mapped.new_grades}}
    report(progress, 0.5, f"Checking {counted(len(mapped.tables.posts), 'post')}…")
    found = validate_tables(mapped.tables, grades=with_new,
                            partner_names=partner_names(session),
                            today=today or dt.date.today())
    for follower in importer.followers():
        if follower.check is not None:
            found += follower.check(actor, mapped.tables)
    errors = list(mapped.errors)
    seen = {(e.sheet, e.row, e.column) for e in errors}
    errors += [e for e in _located(mapped, found) if (e.sheet, e.row, e.column) not in seen]
    if errors:
        raise ValidationFailed(errors)
    current = importer.baseline(session)
    report(progress, 1.0, f"Checked {counted(len(mapped.tables.posts), 'post')}: no problems "
                          "found.")
    return PreparedOrganogram(mapped=mapped, files=(s_name, j_name), username=actor.username,
                              baseline_version=current.version if current is not None else None)


def import_organogram(*, session: Session, actor: Actor, prepared: PreparedOrganogram,
                      progress: Progress | None = None) -> OrganogramSummary:
    """Replace the establishment with the checked pair (the interchange import's write: posts
    and people upserted, options rebased), add its salary-band grades, and audit both."""
    require(actor, "establishment.import", "structure")
    if prepared.username != actor.username:
        raise PermissionDenied("This import was checked for another user; upload it again.",
                               user=actor, action="establishment.import", entity="structure")
    current = importer.baseline(session)
    if (current.version if current is not None else None) != prepared.baseline_version:
        raise ValidationFailed([RowError("upload", None, "", (
            "The establishment changed while the files were being checked; nothing was "
            "imported. Import them again."))])
    structure = importer.baseline(session, create=True)
    assert structure is not None and structure.id is not None
    sid = structure.id
    m = prepared.mapped
    conn = session.connection()
    g = Grade.__table__
    if m.new_grades:
        conn.execute(g.insert(), [
            {"name": b.name, "family": GRADE_FAMILY, "min_scp": 0, "max_scp": 0,
             "sort_order": b.sort_order, "structure_id": sid, "band_min_pence": b.band_min_pence,
             "band_max_pence": b.band_max_pence} for b in m.new_grades])
    old_grades = {name: [lo, hi] for name, lo, hi in conn.execute(
        sa_select(g.c.name, g.c.band_min_pence, g.c.band_max_pence).where(
            g.c.name.in_([b.name for b in m.changed_grades])))} if m.changed_grades else {}
    if m.changed_grades:
        conn.execute(update(g).where(g.c.name == bindparam("b_name")).values(
            band_min_pence=bindparam("b_min"), band_max_pence=bindparam("b_max")),
            [{"b_name": b.name, "b_min": b.band_min_pence, "b_max": b.band_max_pence}
             for b in m.changed_grades])
    result = importer.write_tables(session, actor, m.tables, list(prepared.files), progress)
    p = Post.__table__
    levels = [{"b_ref": r, "b_level": "senior"} for r in m.senior_refs] + [
        {"b_ref": r, "b_level": "junior"} for r in m.junior_refs]
    if levels:
        conn.execute(update(p).where(p.c.structure_id == sid, p.c.post_ref == bindparam("b_ref"))
                     .values(organogram_level=bindparam("b_level")), levels)
    audit.record(session, actor=actor, action="import", entity="organogram",
                 entity_id=str(sid), after={
                     "files": list(prepared.files), **m.figures,
                     "grades_changed": [{"grade": b.name, "band_min_pence": b.band_min_pence,
                                         "band_max_pence": b.band_max_pence,
                                         "was": old_grades.get(b.name)}
                                        for b in m.changed_grades],
                     "assumptions": m.assumptions})
    return OrganogramSummary(structure_id=sid, figures=m.figures,
                             assumptions=tuple(m.assumptions), rebased=result.rebased)
