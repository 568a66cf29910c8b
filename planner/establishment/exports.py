"""Export of a structure in the interchange format, so that exporting then importing gives
back the same structure (DESIGN.md "Interchange format").

Files are written by planner.core.spreadsheets, which neutralises every text cell a spreadsheet
would read as a formula (OWASP "CSV injection"); the importer strips exactly that apostrophe
again, so the round trip is exact.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session

from planner.core.auth import Actor, require
from planner.core.config import DATA_DIR
from planner.core.models import Occupancy, Partner, Person, Post
from planner.core.progress import Progress, counted, part, report
from planner.core.spreadsheets import Sheet, csv_bytes, xlsx_bytes
from planner.core.values import decimal_text
from planner.establishment.readers import COLUMNS, PARTNER_COLUMNS, PEOPLE_COLUMNS
from planner.establishment.register import posts_frame, structure_or_baseline

TEMPLATE_DIR = DATA_DIR / "templates"
NUMERIC = {"fte", "scp", "annual_salary", "day_rate", "share", "lgps_employer_rate",
           "london_weighting"}
DATES = {"start_date", "continuous_service_date", "date_of_birth", "tupe_transfer_date"}


def _pounds(pence: object) -> str:
    if pence is None or pd.isna(pence):
        return ""
    d = Decimal(int(pence)) / 100
    return format(d.quantize(Decimal(1)) if d == d.to_integral() else d.quantize(Decimal("0.01")),
                  "f")


def _percent(bp: object) -> str:
    d = Decimal(int(bp)) / 100  # type: ignore[call-overload]
    return format(d.normalize(), "f") if d != d.to_integral() else str(int(d))


def _date(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def export_tables(*, session: Session, actor: Actor,
                  structure_id: int | None = None) -> dict[str, pd.DataFrame]:
    """The posts, people and partners sheets as text, in interchange columns and order."""
    require(actor, "establishment.export", "structure")
    require(actor, "personal.read", "person")
    sid = structure_or_baseline(session, structure_id)
    posts = posts_frame(session, sid).drop(columns=["id", "version"])
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    q = (sa_select(pe.c.employee_ref.label("employee_id"), pe.c.name,
                   p.c.post_ref.label("post_id"), pe.c.contract, o.c.fte, pe.c.scp,
                   pe.c.annual_salary_pence, pe.c.day_rate_pence, pe.c.start_date,
                   pe.c.continuous_service_date, pe.c.date_of_birth, pe.c.origin,
                   pe.c.tupe_transfer_date)
         .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
         .where(p.c.structure_id == sid).order_by(o.c.id))
    raw = pd.read_sql(q, session.connection())
    people = pd.DataFrame({
        "employee_id": raw["employee_id"], "name": raw["name"], "post_id": raw["post_id"],
        "contract": raw["contract"], "fte": raw["fte"].map(decimal_text),
        "scp": raw["scp"].map(lambda v: "" if pd.isna(v) else str(int(v))),
        "annual_salary": raw["annual_salary_pence"].map(_pounds),
        "day_rate": raw["day_rate_pence"].map(_pounds),
        **{c: raw[c].map(_date) for c in ("start_date", "continuous_service_date",
                                          "date_of_birth")},
        "origin": raw["origin"].fillna(""),
        "tupe_transfer_date": raw["tupe_transfer_date"].map(_date),
    }, columns=list(PEOPLE_COLUMNS)).fillna("").astype(str)
    # The current partner set with its kinds and host, so importing the export gives back the
    # same partners (retired ones are history, not part of the establishment).
    pt = Partner.__table__
    partners_raw = pd.read_sql(sa_select(pt).where(pt.c.active.is_(True)).order_by(pt.c.id),
                               session.connection())
    partners = pd.DataFrame({
        "partner": partners_raw["name"],
        "kind": partners_raw["kind"],
        "host": partners_raw["is_host"].astype(bool).map({True: "yes", False: "no"}),
        "share": partners_raw["share_bp"].map(_percent),
        "lgps_employer_rate": partners_raw["lgps_employer_rate_bp"].map(_percent),
        "london_weighting": partners_raw["london_weighting_pence"].map(_pounds),
    }, columns=list(PARTNER_COLUMNS)).astype(str)
    return {"posts": posts.astype(str), "people": people, "partners": partners}


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return csv_bytes(frame, keep=[c for c in frame.columns if c in NUMERIC or c in DATES])


def _read_tables(session: Session, actor: Actor, structure_id: int | None,
                 progress: Progress | None) -> dict[str, pd.DataFrame]:
    report(progress, 0.0, "Reading the establishment…")
    return export_tables(session=session, actor=actor, structure_id=structure_id)


def _exported(tables: dict[str, pd.DataFrame]) -> str:
    return (f"Exported {counted(len(tables['posts']), 'post')} and "
            f"{counted(len(tables['people']), 'person', 'people')}.")


def _csv_files(tables: dict[str, pd.DataFrame],
               progress: Progress | None) -> Iterator[tuple[str, bytes]]:
    """Each sheet as its CSV file, saying which is being written (0.3 to 1 of `progress`)."""
    for i, (sheet, frame) in enumerate(tables.items()):
        report(progress, 0.3 + 0.7 * i / len(tables), f"Writing {sheet}.csv…")
        yield f"{sheet}.csv", _csv_bytes(frame)
    report(progress, 1.0, _exported(tables))


def export_csv_zip(*, session: Session, actor: Actor, structure_id: int | None = None,
                   progress: Progress | None = None) -> bytes:
    tables = _read_tables(session, actor, structure_id, progress)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _csv_files(tables, progress):
            zf.writestr(name, data)
    return buf.getvalue()


def export_csv_dir(*, session: Session, actor: Actor, out_dir: Path,
                   structure_id: int | None = None,
                   progress: Progress | None = None) -> list[Path]:
    tables = _read_tables(session, actor, structure_id, progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in _csv_files(tables, progress):
        path = out_dir / name
        path.write_bytes(data)
        written.append(path)
    return written


def _typed(col: str, value: str) -> object:
    """Numbers as numbers and dates as dates, so the workbook sorts and sums as HR expects."""
    if value == "":
        return None
    if col in NUMERIC:
        d = Decimal(value)
        return int(d) if d == d.to_integral() else d
    if col in DATES:
        return dt.date.fromisoformat(value)
    return value


def _workbook(tables: dict[str, pd.DataFrame], progress: Progress | None = None) -> bytes:
    return xlsx_bytes(progress=progress, sheets={
        sheet: Sheet(frame=frame, typed=_typed,
                     widths={c: 12 if c in NUMERIC or c in DATES else 24 for c in frame.columns},
                     keep=[c for c in frame.columns if c in NUMERIC or c in DATES])
        for sheet, frame in tables.items()})


def export_xlsx(*, session: Session, actor: Actor, structure_id: int | None = None,
                progress: Progress | None = None) -> bytes:
    tables = _read_tables(session, actor, structure_id, progress)
    data = _workbook(tables, part(progress, 0.3, 0.99))
    report(progress, 1.0, _exported(tables))
    return data


def template_frames() -> dict[str, pd.DataFrame]:
    """The shipped template (data/templates): the reference for the column names."""
    return {sheet: pd.read_csv(TEMPLATE_DIR / f"{sheet}.csv", dtype=str, keep_default_na=False)
            for sheet in COLUMNS}


def template_xlsx() -> bytes:
    return _workbook(template_frames())
