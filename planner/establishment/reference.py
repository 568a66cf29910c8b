"""Reference data: pay spine, grades and partners, shipped as CSV in data/ (DOMAIN.md §5).

Loaded on first run; hr and admin may edit them afterwards (each edit audited).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlmodel import Session, select

from planner.core import audit
from planner.core.auth import Actor, require
from planner.core.config import DATA_DIR
from planner.core.errors import NotFound, RowError, ValidationFailed
from planner.core.models import Grade, Partner, PaySpinePoint


def percent_to_bp(value: str | float | Decimal) -> int:
    """'33.34' -> 3334 basis points, exactly."""
    return int((Decimal(str(value)) * 100).to_integral_value())


def pounds_to_pence(value: str | float | Decimal) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def load_reference_data(session: Session, data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Load the shipped spine, grades and partners where the tables are empty (first run)."""
    counts = {"pay_spine": 0, "grades": 0, "partners": 0}
    if session.exec(select(PaySpinePoint).limit(1)).first() is None:
        spine = pd.read_csv(data_dir / "pay_spine.csv", dtype=str)
        years = pd.read_csv(data_dir / "pay_years.csv", dtype=str)
        for year, group in spine.groupby("pay_year"):
            for r in group.itertuples():
                session.add(PaySpinePoint(pay_year=str(year), scp=int(r.scp),
                                          annual_pence=pounds_to_pence(r.annual)))
                counts["pay_spine"] += 1
            rule = years[years.pay_year == year]
            if not rule.empty:
                top = group.assign(scp=group.scp.astype(int)).sort_values("scp").iloc[-1]
                step = pounds_to_pence(rule.iloc[0].local_point_increment)
                for p in range(int(top.scp) + 1, int(rule.iloc[0].max_local_point) + 1):
                    session.add(PaySpinePoint(
                        pay_year=str(year), scp=p, source="local",
                        annual_pence=pounds_to_pence(top.annual) + (p - int(top.scp)) * step))
                    counts["pay_spine"] += 1
    if session.exec(select(Grade).limit(1)).first() is None:
        grades = pd.read_csv(data_dir / "grades.csv", dtype=str)
        for i, r in enumerate(grades.itertuples()):
            session.add(Grade(name=r.grade, family=r.family, min_scp=int(r.min_scp),
                              max_scp=int(r.max_scp), sort_order=i))
            counts["grades"] += 1
    if session.exec(select(Partner).limit(1)).first() is None:
        partners = pd.read_csv(data_dir / "partners.csv", dtype=str)
        for r in partners.itertuples():
            session.add(Partner(name=r.partner, kind=r.kind, is_host=r.is_host.lower() == "true",
                                share_bp=percent_to_bp(r.share),
                                lgps_employer_rate_bp=percent_to_bp(r.lgps_employer_rate),
                                london_weighting_pence=pounds_to_pence(r.london_weighting)))
            counts["partners"] += 1
    session.flush()
    return counts


@dataclass(frozen=True)
class GradeBand:
    name: str
    min_scp: int
    max_scp: int
    sort_order: int
    # A salary band (an organogram's grade, no spinal points): its range in pence, else None.
    band_min_pence: int | None = None
    band_max_pence: int | None = None
    structure_id: int | None = None  # None: the shared list

    @property
    def is_band(self) -> bool:
        """A grade paid as a salary band rather than on spinal points (min = max = 0)."""
        return self.structure_id is not None and self.max_scp == 0


def grade_table(session: Session) -> dict[str, GradeBand]:
    """Grades by name, in pay order: the shared list and every organogram's band grades."""
    rows = session.exec(select(Grade).order_by(Grade.sort_order, Grade.id)).all()
    return {g.name: GradeBand(g.name, g.min_scp, g.max_scp, g.sort_order, g.band_min_pence,
                              g.band_max_pence, g.structure_id) for g in rows}


def partner_names(session: Session) -> list[str]:
    """The current partners (a retired one is kept for history but charged nothing new)."""
    return [p.name for p in session.exec(select(Partner).where(Partner.active)
                                         .order_by(Partner.id)).all()]


def council_names(session: Session) -> list[str]:
    """The councils sharing the service (not customers such as the LGA), host first: public
    facts that documents for any reader name, so no permission is needed."""
    rows = session.exec(select(Partner).where(Partner.kind == "council", Partner.active)
                        .order_by(Partner.is_host.desc(), Partner.id)).all()  # type: ignore[attr-defined]
    return [p.name for p in rows]


def host_partner_name(session: Session) -> str | None:
    """The host council, the employer of the shared service's staff (s.188 letters name it)."""
    return session.exec(select(Partner.name).where(Partner.is_host, Partner.active)).first()


def current_pay_year(session: Session, on: dt.date | None = None) -> str | None:
    """The latest pay year that has started by `on` (pay years start on 1 April)."""
    on = on or dt.date.today()
    years = sorted(set(session.exec(select(PaySpinePoint.pay_year)).all()))
    started = [y for y in years if dt.date(int(y[:4]), 4, 1) <= on]
    return (started or years or [None])[-1]


def spine_frame(*, session: Session, actor: Actor, pay_year: str | None = None) -> pd.DataFrame:
    require(actor, "reference.read", "pay_spine")
    q = select(PaySpinePoint).order_by(PaySpinePoint.pay_year, PaySpinePoint.scp)
    if pay_year:
        q = q.where(PaySpinePoint.pay_year == pay_year)
    rows = session.exec(q).all()
    return pd.DataFrame(
        [{"pay_year": r.pay_year, "scp": r.scp, "annual": Decimal(r.annual_pence) / 100,
          "source": r.source} for r in rows],
        columns=["pay_year", "scp", "annual", "source"])


def grades_frame(*, session: Session, actor: Actor) -> pd.DataFrame:
    require(actor, "reference.read", "grade")
    return pd.DataFrame(
        [{"grade": g.name, "min_scp": g.min_scp, "max_scp": g.max_scp}
         for g in grade_table(session).values()],
        columns=["grade", "min_scp", "max_scp"])


def partners_frame(*, session: Session, actor: Actor) -> pd.DataFrame:
    """The partners, current ones first (status "current"), then those an import retired
    (status "retired": kept for history, sharing and charged nothing)."""
    require(actor, "reference.read", "partner")
    rows = session.exec(select(Partner).order_by(Partner.active.desc(),  # type: ignore[attr-defined]
                                                 Partner.id)).all()
    return pd.DataFrame(
        [{"partner": p.name, "kind": p.kind, "host": p.is_host and p.active,
          "share": Decimal(p.share_bp if p.active else 0) / 100,
          "lgps_employer_rate": Decimal(p.lgps_employer_rate_bp) / 100,
          "london_weighting": Decimal(p.london_weighting_pence) / 100,
          "status": "current" if p.active else "retired"} for p in rows],
        columns=["partner", "kind", "host", "share", "lgps_employer_rate", "london_weighting",
                 "status"])


def update_grade(*, session: Session, actor: Actor, name: str, min_scp: int, max_scp: int) -> Grade:
    """Change a grade's spinal range (hr/admin)."""
    require(actor, "reference.edit", "grade")
    grade = session.exec(select(Grade).where(Grade.name == name)).first()
    if grade is None:
        raise NotFound(f"No grade {name!r}.")
    if grade.structure_id is not None:
        raise ValidationFailed([RowError("grades", None, "min_scp", (
            f"{name} is a salary band an organogram import brought; import the organogram "
            "again to change its band."))])
    if not (0 < min_scp <= max_scp <= 99):
        raise ValidationFailed([RowError("grades", None, "min_scp",
                                         "The range must satisfy 0 < min_scp ≤ max_scp ≤ 99.")])
    before = {"min_scp": grade.min_scp, "max_scp": grade.max_scp}
    grade.min_scp, grade.max_scp = min_scp, max_scp
    session.add(grade)
    session.flush()
    audit.record(session, actor=actor, action="update", entity="grade", entity_id=name,
                 before=before, after={"min_scp": min_scp, "max_scp": max_scp})
    return grade


def update_spine_point(*, session: Session, actor: Actor, pay_year: str, scp: int,
                       annual_pence: int) -> PaySpinePoint:
    """Correct one spinal point's value (hr/admin), e.g. after the NJC circular."""
    require(actor, "reference.edit", "pay_spine")
    point = session.exec(select(PaySpinePoint).where(
        PaySpinePoint.pay_year == pay_year, PaySpinePoint.scp == scp)).first()
    if point is None:
        raise NotFound(f"No spinal point {scp} in {pay_year}.")
    if annual_pence <= 0:
        raise ValidationFailed([RowError("pay_spine", None, "annual", "Must be more than £0.")])
    before = {"annual_pence": point.annual_pence}
    point.annual_pence = annual_pence
    session.add(point)
    session.flush()
    audit.record(session, actor=actor, action="update", entity="pay_spine",
                 entity_id=f"{pay_year}/{scp}", before=before, after={"annual_pence": annual_pence})
    return point
