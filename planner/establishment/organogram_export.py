"""Writing the establishment (or an option) as an open-data organogram (issue 14): the
government's senior and junior CSV files, and the Local Government Transparency Code 2015's
senior salaries table (para 43: employees paid over £50,000, in £5,000 bands, with job title,
responsibilities and reporting line).

Which post goes in which file: a post an organogram import put in the senior file
(`Post.organogram_level`) goes back there; so does any post with direct reports or with no
manager, since a junior row only counts staff under a senior post. Every other post is junior
staff, counted under its manager: one row per manager, grade, title, organisation and unit
for its 1.0 FTE posts (their number), and one row per part-time post, so that importing the
export gives back the same posts, reporting lines, grades and FTE.

Pay: the senior file's floor and ceiling are the £5,000 band of the post holder's pay (their
salary, else their spinal point), else of the grade's range; the junior file's payscale is
the grade's range (spinal points' values in the current pay year, or the salary band).
Names: `N/D` for every post holder unless `Settings.organogram_publish_names` is on; a post
with nobody in it is `Vacant` (not personal data).
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session

from planner.core.auth import Actor, require
from planner.core.config import Settings, get_settings
from planner.core.models import Occupancy, PaySpinePoint, Person, Post
from planner.core.spreadsheets import csv_bytes
from planner.core.values import decimal_text
from planner.establishment.organogram import JUNIOR_HEADERS, SENIOR_HEADERS, UNDISCLOSED
from planner.establishment.reference import current_pay_year, grade_table
from planner.establishment.register import occupant_rows, posts_frame, structure_or_baseline

BAND = 5_000  # pounds: the published pay bands
SENIOR_SALARY_THRESHOLD = 50_000  # pounds: LGTC 2015 para 43
SALARIES_HEADERS = ("Post Unique Reference", "Name", "Job Title", "Responsibilities", "Grade",
                    "Salary Band Floor (£)", "Salary Band Ceiling (£)", "FTE",
                    "Reports to Senior Post", "Reports to (Job Title)")
FILES = ("senior.csv", "junior.csv", "senior_salaries.csv")
NUMBERS = {"Salary Cost of Reports (£)", "FTE", "Actual Pay Floor (£)",
           "Actual Pay Ceiling (£)", "Payscale Minimum (£)", "Payscale Maximum (£)",
           "Number of Posts in FTE", "Salary Band Floor (£)", "Salary Band Ceiling (£)"}


def band_floor(pounds: int) -> int:
    return pounds // BAND * BAND


def band_ceiling(pounds: int) -> int:
    """The top of the £5,000 band `pounds` is in (70,000 → 74,999), kept as it is when it
    already ends a band either way (74,999 or 75,000), so bands read back unchanged."""
    if pounds % BAND in (0, BAND - 1):
        return pounds
    return band_floor(pounds) + BAND - 1


def _occupants(session: Session, sid: int, posts: pd.DataFrame) -> pd.DataFrame:
    """Who is in each post (post = the structure's post id): placed there, or, in an option,
    carried from the baseline post it continues (the first continuing post carries them,
    as costing does)."""
    o, pe = Occupancy.__table__, Person.__table__
    return occupant_rows(session, sid, posts, [pe.c.name, o.c.fte, pe.c.scp,
                                               pe.c.annual_salary_pence])


def _spine_pounds(session: Session) -> dict[int, int]:
    """The current pay year's spinal points in whole pounds (1.0 FTE)."""
    year = current_pay_year(session)
    if year is None:
        return {}
    t = PaySpinePoint.__table__
    return {int(scp): int(pence) // 100 for scp, pence in session.connection().execute(
        sa_select(t.c.scp, t.c.annual_pence).where(t.c.pay_year == year))}


def _grade_ranges(session: Session,
                  spine: dict[int, int]) -> dict[str, tuple[int | None, int | None]]:
    """Each grade's pay range in pounds at 1.0 FTE: its spinal points' values in the
    current pay year, or its salary band (None where unknown)."""
    out: dict[str, tuple[int | None, int | None]] = {}
    for g in grade_table(session).values():
        if g.is_band:
            out[g.name] = (None if g.band_min_pence is None else g.band_min_pence // 100,
                           None if g.band_max_pence is None else g.band_max_pence // 100)
        else:
            out[g.name] = (spine.get(g.min_scp), spine.get(g.max_scp))
    return out


def _point(lo: int | None, hi: int | None, point: str) -> int:
    """A grade's costing point in pounds (Settings.band_cost_point)."""
    if hi is None:
        return 0
    if point == "min" and lo is not None:
        return lo
    if point == "mid" and lo is not None:
        return (lo + hi + 1) // 2
    return hi


def organogram_tables(*, session: Session, actor: Actor, structure_id: int | None = None,
                      settings: Settings | None = None) -> dict[str, pd.DataFrame]:
    """The senior file, the junior file and the senior salaries table as text frames, with
    the published headings."""
    require(actor, "establishment.export", "structure")
    require(actor, "personal.read", "person")  # pay bands come from people's pay
    settings = settings or get_settings()
    sid = structure_or_baseline(session, structure_id)
    posts = posts_frame(session, sid)
    p = Post.__table__
    extra = pd.read_sql(sa_select(p.c.id, p.c.organogram_level, p.c.baseline_post_id)
                        .where(p.c.structure_id == sid), session.connection())
    posts = posts.merge(extra, on="id", how="left")
    posts["baseline_post_id"] = posts["baseline_post_id"].fillna(-1).astype(np.int64)
    people = _occupants(session, sid, posts)
    spine_value = _spine_pounds(session)
    ranges = _grade_ranges(session, spine_value)
    department = settings.organogram_parent_department

    managers = set(posts.loc[posts["reports_to"] != "", "reports_to"])
    level = posts["organogram_level"].fillna("")
    senior = ((level == "senior") | posts["post_id"].isin(managers)
              | ((posts["reports_to"] == "") & (level != "junior")))
    sen, jun = posts[senior], posts[~senior]
    title_of = dict(zip(posts["post_id"], posts["title"], strict=True))
    point = settings.band_cost_point

    def person_pay(row: Any, grade: str) -> tuple[int | None, int | None]:
        """The £5,000 band of the holder's own pay; else their grade's range."""
        salary, scp = row.annual_salary_pence, row.scp
        if salary is not None and not pd.isna(salary):
            pay = int(salary) // 100
        elif scp is not None and not pd.isna(scp) and int(scp) in spine_value:
            pay = spine_value[int(scp)]
        else:
            return ranges.get(grade, (None, None))
        return band_floor(pay), band_floor(pay) + BAND - 1

    def banded(lo: int | None, hi: int | None) -> tuple[str, str]:
        return ("" if lo is None else str(band_floor(lo)),
                "" if hi is None else str(band_ceiling(hi)))

    # Salary cost of each senior post's junior staff: each junior post at its grade's
    # costing point × FTE, in whole pounds.
    # Exact: whole pounds × FTE in ten-thousandths, divided once per post (no float money).
    units = [int(Decimal(v or "1") * 10_000) for v in jun["fte"]]
    jpay = [_point(*ranges.get(g, (None, None)), point) for g in jun["grade"]]
    jcost = pd.Series([p * u // 10_000 for p, u in zip(jpay, units, strict=True)],
                      index=jun.index, dtype=np.int64).groupby(jun["reports_to"]).sum()

    by_post = {int(k): g for k, g in people.groupby("post")} if len(people) else {}
    senior_rows: list[list[str]] = []
    salaries: list[list[str]] = []
    for r in sen.itertuples(index=False):
        fte = r.fte or "1"
        holders = by_post.get(int(r.id))
        rows: list[tuple[str, str, tuple[int | None, int | None]]] = []
        if holders is not None:
            for h in holders.itertuples(index=False):
                name = (h.name or UNDISCLOSED) if settings.organogram_publish_names else UNDISCLOSED
                rows.append((name, decimal_text(h.fte), person_pay(h, r.grade)))
        left = Decimal(fte) - sum((Decimal(x[1]) for x in rows), Decimal(0))
        if not rows or left > 0:
            rows.append(("Vacant", decimal_text(left), ranges.get(r.grade, (None, None))))
        cost = jcost.get(r.post_id)
        for name, share, (lo, hi) in rows:
            floor, ceiling = banded(lo, hi)
            senior_rows.append([
                r.post_id, name, r.grade, r.title, r.notes, department or r.division,
                r.division, r.team,
                "N/D", "N/D", r.reports_to or "XX",
                "" if cost is None else str(int(cost)), share, floor, ceiling, "", "", "", "1"])
    for r in posts.itertuples(index=False):
        holders = by_post.get(int(r.id))
        entries = ([(UNDISCLOSED if not settings.organogram_publish_names else (h.name or UNDISCLOSED),
                     decimal_text(h.fte), person_pay(h, r.grade)) for h in holders.itertuples(index=False)]
                   if holders is not None else [("Vacant", r.fte or "1",
                                                  ranges.get(r.grade, (None, None)))])
        for name, share, (lo, hi) in entries:
            top = hi if hi is not None else lo
            if top is None or top <= SENIOR_SALARY_THRESHOLD:
                continue
            floor, ceiling = banded(lo, hi)
            salaries.append([r.post_id, name, r.title, r.notes, r.grade, floor, ceiling, share,
                             r.reports_to or "XX", title_of.get(r.reports_to, "")])

    junior_rows: list[list[str]] = []
    keys = ["reports_to", "grade", "title", "division", "team"]
    if len(jun):
        whole = jun[jun["fte"].isin(["1", ""])]
        counts = whole.groupby(keys, sort=False).size().reset_index(name="n")
        part = jun[~jun["fte"].isin(["1", ""])]
        for r in pd.concat([counts.assign(fte=counts["n"].astype(str)),
                            part[keys + ["fte"]]], ignore_index=True).itertuples(index=False):
            lo, hi = ranges.get(r.grade, (None, None))
            junior_rows.append([department or r.division, r.division, r.team, r.reports_to,
                                r.grade,
                                "" if lo is None else str(lo), "" if hi is None else str(hi),
                                r.title, _fte2(r.fte), ""])
    return {
        "senior": pd.DataFrame(senior_rows, columns=list(SENIOR_HEADERS)).astype(str),
        "junior": pd.DataFrame(junior_rows, columns=list(JUNIOR_HEADERS)).astype(str),
        "senior_salaries": pd.DataFrame(salaries, columns=list(SALARIES_HEADERS)).astype(str),
    }


def _fte2(value: str) -> str:
    """FTE as the format publishes it: two decimals (more only where the post has them)."""
    d = Decimal(value)
    return f"{d:.2f}" if d == d.quantize(Decimal("0.01")) else decimal_text(d)


def _bytes(frame: pd.DataFrame) -> bytes:
    return csv_bytes(frame, keep=[c for c in frame.columns if c in NUMBERS])


def organogram_files(*, session: Session, actor: Actor, structure_id: int | None = None,
                     settings: Settings | None = None) -> dict[str, bytes]:
    """senior.csv, junior.csv and senior_salaries.csv as bytes (formula-safe CSV)."""
    tables = organogram_tables(session=session, actor=actor, structure_id=structure_id,
                               settings=settings)
    return {f"{name}.csv": _bytes(frame) for name, frame in tables.items()}


def organogram_zip(*, session: Session, actor: Actor, structure_id: int | None = None,
                   settings: Settings | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in organogram_files(session=session, actor=actor,
                                           structure_id=structure_id, settings=settings).items():
            zf.writestr(name, data)
    return buf.getvalue()


def write_organogram(*, session: Session, actor: Actor, out_dir: Path,
                     structure_id: int | None = None,
                     settings: Settings | None = None) -> dict[str, Any]:
    """Write the three files into `out_dir`; returns what was written, with row counts."""
    tables = organogram_tables(session=session, actor=actor, structure_id=structure_id,
                               settings=settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = out_dir / f"{name}.csv"
        path.write_bytes(_bytes(frame))
        written.append(str(path))
    return {"files": written, "senior_rows": len(tables["senior"]),
            "junior_rows": len(tables["junior"]),
            "senior_salaries_rows": len(tables["senior_salaries"]),
            "names_published": (settings or get_settings()).organogram_publish_names}
