"""What a structure costs: every post at once, exactly, and its position against the envelope.

Rules (DOMAIN.md §5; the arithmetic and its one rounding rule are in planner/structures/pay.py):
- an employee (permanent, fixed-term, secondee) is costed on their spinal point, or their
  salary override, × their FTE, plus London weighting, employer NI on their own gross and the
  LGPS employer contribution;
- an interim or agency worker at day rate × working days × FTE, with no on-costs;
- the FTE of a post that nobody fills or covers is costed as a vacancy at the chosen point of
  the post's grade (setting `vacancy_cost_point`, default the top), with on-costs. A wholly
  vacant post is costed at its full FTE; a 1.0 FTE post with a 0.5 FTE occupant carries a
  0.5 FTE vacancy (the establishment, not the payroll, is the budget).

Planning assumptions, stated so the reader can challenge them:
- **Whose terms.** A post charged to one council is costed on that council's London
  weighting and LGPS rate; a shared post, or one charged to a customer (who buys the service
  but employs nobody), on the host's (Brent hosts and employs the seeds' shared service,
  DOMAIN.md §1). Without a host, the settings' defaults apply.
- **Options carry people.** In an option, a post continuing a baseline post
  (`baseline_post_id`) carries that post's occupants with their contracts, points, salaries
  and day rates; if several option posts continue the same baseline post, the first (lowest
  id) carries them and the others are costed as vacancies. Occupants placed directly in an
  option's post take precedence. A post with no baseline post is vacant.
- **Recruiting to interim-covered posts.** An option may assume (`Structure.assume_recruited`)
  that the interim and agency workers it would carry from the baseline are replaced by
  permanent appointments: their lines are dropped, so the FTE they covered is costed as a
  vacancy at the vacancy point, with on-costs. Employees are carried as ever, and so is anyone
  placed in the option's post directly (that is a decision the option made, not an
  assumption).
- **Regrading.** If the option regraded the post, an employee paid on the spine whose point
  lies outside the new grade is costed at the nearest point of the new grade (the mapping
  and any pay protection are decided later, in consultation). A salary override is kept.
- **Missing data.** An employee with neither spinal point nor salary is costed at the
  vacancy point of the post's grade; an interim with no day rate at £0. Both are counted in
  `StructureCost.warnings`.

Reads go through `pd.read_sql` and all arithmetic is numpy over all posts at once (no Python
loop over posts or people), so 50,000 posts cost in well under a second of arithmetic. Who
pays for what against the budget envelope, and the headroom, is planner/structures/envelope.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session

from planner.core.auth import Actor, require
from planner.core.config import Settings, get_settings
from planner.core.errors import NotFound
from planner.core.memo import remembered
from planner.core.models import EnvelopeShare, Occupancy, Partner, Person, Post, Structure
from planner.establishment.reference import current_pay_year, grade_table
from planner.establishment.register import (
    fte_units,
    occupant_rows,
    posts_columns,
    posts_frame,
    structure_or_baseline,
)
from planner.structures import pay
from planner.structures.envelope import CUSTOMER_POSTS as CUSTOMER_POSTS
from planner.structures.envelope import EnvelopePosition as EnvelopePosition
from planner.structures.envelope import envelope_position
from planner.structures.envelope import largest_remainder as largest_remainder
from planner.structures.pay import FTE_SCALE, PayRules, Spine, div_half_up

MONEY_COLUMNS = ["pay", "london_weighting", "employer_ni", "pension", "interim_cost",
                 "vacancy_cost", "total"]
BY_POST_COLUMNS = ["id", "post_id", "title", "division", "team", "grade", "fte", "partner",
                   "funding", "status", "vacant_fte", *MONEY_COLUMNS, "part_year", "partner_id"]
TOTALS_BY = ("division", "team", "partner", "funding", "grade", "status")
STATUSES = ("Filled", "Covered by interim", "Vacant")


def part_year(full_year_pence: Any, months: int) -> Any:
    """A full-year cost for `months` months: full × months / 12, rounded half up once.

    Applied per post; part-year totals are sums of the posts' part-year figures, so they add
    up to the penny (the seeds' 2017/18 envelope covered 5 months, DOMAIN.md §1).
    """
    return div_half_up(full_year_pence * months, 12)


@dataclass(frozen=True)
class StructureCost:
    """A structure costed post by post (pence a year), with its part-year figures for `months`.

    `by_post` has one row per post (columns BY_POST_COLUMNS, money in int pence, fte and
    vacant_fte as display numbers, partner_id −1 for a shared post); `lines` one
    row per person in a post (personal data: pay by person) with the same components and, for
    interims, `permanent_cost`, what the same FTE would cost as a vacancy at the costing point.
    """

    structure_id: int
    structure_name: str
    kind: str
    pay_year: str
    months: int
    rules: PayRules
    by_post: pd.DataFrame
    lines: pd.DataFrame
    envelope_pence: int | None
    envelope_months: int
    partners: pd.DataFrame
    shares: pd.DataFrame
    warnings: tuple[str, ...] = field(default_factory=tuple)
    assume_recruited: bool = False  # Structure.assume_recruited, as costed
    customer_posts: str = "income"  # Settings.customer_posts, as costed

    @property
    def full_year_total(self) -> int:
        return int(self.by_post["total"].sum())

    @property
    def part_year_total(self) -> int:
        """The cost for `months` months: the sum of the posts' rounded part-year figures."""
        return int(self.by_post["part_year"].sum())

    def totals(self, by: str = "division") -> pd.DataFrame:
        """Posts, FTE and every money column summed by division, team, partner or funding."""
        if by not in TOTALS_BY:
            raise ValueError(f"totals by {by!r}: choose one of {', '.join(TOTALS_BY)}")
        money = [*MONEY_COLUMNS, "part_year"]
        df = self.by_post
        out = df.groupby(by, sort=True).agg(posts=("id", "size"), fte=("fte", "sum"),
                                            **{c: (c, "sum") for c in money})
        out["fte"] = out["fte"].round(4)
        return out.reset_index()

    def envelope(self, months: int | None = None, *,
                 customer_posts: str | None = None) -> EnvelopePosition:
        """Each partner's spend against its envelope, like for like, and the make-up
        (planner.structures.envelope). The envelope covers `Structure.envelope_months` (default), so
        spend is the part-year cost for that many months; customers' posts are counted as
        `customer_posts` says (the setting as costed by default)."""
        m = self.envelope_months if months is None else months
        return envelope_position(
            cost=part_year(self.by_post["total"].to_numpy(dtype=np.int64), m),
            partner_id=self.by_post["partner_id"].to_numpy(dtype=np.int64),
            partners=self.partners, shares=self.shares, envelope_pence=self.envelope_pence,
            months=m, customer_posts=customer_posts or self.customer_posts)


# --- costing ---------------------------------------------------------------------------------


def cost_structure(*, session: Session, actor: Actor, structure_id: int | None = None,
                   months: int = 12, pay_year: str | None = None,
                   vacancy_point: str | None = None,
                   settings: Settings | None = None,
                   inputs: CostInputs | None = None) -> StructureCost:
    """Cost every post of a structure (the baseline by default) for a pay year.

    `months` sets the part-year column (full year × months / 12 per post); `vacancy_point`
    (top, mid, bottom) overrides the `vacancy_cost_point` setting. `inputs` (from
    `cost_inputs` for this structure) saves reading them again. Rules and assumptions: the
    module docstring; figures: DOMAIN.md §5 via the settings.
    """
    require(actor, "establishment.read", "structure")
    if months < 0:
        raise ValueError("months must be 0 or more")
    sid = structure_or_baseline(session, structure_id)
    structure = session.get(Structure, sid)
    if structure is None:
        raise NotFound(f"No structure with id {sid}.")
    if inputs is None:
        inputs = cost_inputs(session=session, actor=actor, structure_id=sid,
                             pay_year=pay_year, vacancy_point=vacancy_point, settings=settings)
    year, rules, partners = inputs.pay_year, inputs.rules, inputs.partners
    by_post, lines, warnings = cost_frames(posts=inputs.posts, lines=inputs.lines,
                                           partners=partners, grades=inputs.grades,
                                           spine=inputs.spine, rules=rules, months=months)
    shares = pd.read_sql(
        sa_select(EnvelopeShare.__table__.c.partner_id, EnvelopeShare.__table__.c.amount_pence,
                  EnvelopeShare.__table__.c.share_bp)
        .where(EnvelopeShare.__table__.c.structure_id == sid)
        .order_by(EnvelopeShare.__table__.c.partner_id), session.connection())
    return StructureCost(structure_id=sid, structure_name=structure.name, kind=structure.kind,
                         pay_year=year, months=months, rules=rules, by_post=by_post, lines=lines,
                         envelope_pence=structure.envelope_pence,
                         envelope_months=structure.envelope_months, partners=partners,
                         shares=shares, warnings=tuple(warnings),
                         assume_recruited=structure.assume_recruited,
                         customer_posts=(settings or get_settings()).customer_posts)


def grades_frame(grades: Any) -> pd.DataFrame:
    """Grades (GradeBand) as `cost_frames` reads them: spinal range, and the salary band of
    an organogram's band grade (`is_band`)."""
    return pd.DataFrame([(g.name, g.min_scp, g.max_scp, g.band_min_pence, g.band_max_pence,
                          g.is_band) for g in grades],
                        columns=["grade", "min_scp", "max_scp", "band_min_pence",
                                 "band_max_pence", "is_band"])


def _partners(session: Session, charged: pd.Series) -> pd.DataFrame:
    """The active partners, and any retired one this structure's posts are still charged to
    (an archived option's history), so every post keeps its partner's name."""
    t = Partner.__table__
    wanted = [int(i) for i in set(charged.tolist()) if int(i) >= 0]
    df = pd.read_sql(sa_select(t.c.id, t.c.name, t.c.kind, t.c.is_host, t.c.share_bp, t.c.active,
                               t.c.lgps_employer_rate_bp, t.c.london_weighting_pence)
                     .where(t.c.active.is_(True) | t.c.id.in_(wanted)).order_by(t.c.id),
                     session.connection())
    df["active"] = df["active"].astype(bool)
    # A retired partner is nobody's host, whatever its old row says.
    df["is_host"] = df["is_host"].astype(bool) & df["active"]
    return df.set_index("id")


def _posts(session: Session, sid: int) -> pd.DataFrame:
    """Kept per structure version between read-only sessions (planner.core.memo)."""
    return remembered(session, "costing_posts", sid, lambda: _read_posts(session, sid))


def _read_posts(session: Session, sid: int) -> pd.DataFrame:
    """The posts' text columns are the register's own (`posts_frame`, kept per version), not
    a second copy: at 50,000 posts each copy of them is 5 MB in every costing kept (issue 16)."""
    p = Post.__table__
    text = posts_frame(session, sid)
    numbers = posts_columns(session, text, sid, fte_units(p.c.fte).label("fte_units"),
                            p.c.partner_id, p.c.baseline_post_id)
    return pd.DataFrame({
        "id": text["id"].to_numpy(dtype=np.int64),
        **{c: text[c].array for c in ("post_id", "title", "division", "team", "grade")},
        "fte_units": numbers["fte_units"].to_numpy(dtype=np.int64),
        "partner_id": numbers["partner_id"].fillna(-1).to_numpy(dtype=np.int64),
        "funding": text["funding"].array,
        "baseline_post_id": numbers["baseline_post_id"].fillna(-1).to_numpy(dtype=np.int64)})


def _lines(session: Session, sid: int, posts: pd.DataFrame, *,
           assume_recruited: bool = False) -> pd.DataFrame:
    """One row per person in a post of this structure, carried from the baseline in options.

    With `assume_recruited`, carried interim and agency workers are left out: the posts they
    covered are assumed filled permanently, so costing prices their FTE as a vacancy.
    """
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    lines = occupant_rows(session, sid, posts, [
        p.c.grade.label("source_grade"), o.c.person_id, fte_units(o.c.fte).label("fte_units"),
        pe.c.employee_ref, pe.c.name, pe.c.contract, pe.c.scp, pe.c.annual_salary_pence,
        pe.c.day_rate_pence])
    if assume_recruited:
        lines = lines[~(lines["carried"] & lines["contract"].isin(pay.COVER_CONTRACTS))]
    return lines.drop(columns="carried").reset_index(drop=True)


def cost_frames(*, posts: pd.DataFrame, lines: pd.DataFrame, partners: pd.DataFrame,
                grades: pd.DataFrame, spine: Spine, rules: PayRules,
                months: int = 12) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The arithmetic of `cost_structure` on frames already read (pure; no database).

    posts: id, post_id, title, division, team, grade, fte_units, partner_id (−1 = shared),
    funding. lines: post (a posts id), source_grade, person_id, fte_units, employee_ref, name,
    contract, scp, annual_salary_pence, day_rate_pence. partners: indexed by id, with kind,
    is_host, lgps_employer_rate_bp, london_weighting_pence. Returns (by_post, lines, warnings).
    """
    warnings: list[str] = []
    n = len(posts)
    band = posts[["grade"]].merge(grades, on="grade", how="left")
    if band["min_scp"].isna().any():
        unknown = sorted(set(band.loc[band["min_scp"].isna(), "grade"]))
        raise NotFound(f"Grade(s) {', '.join(unknown)} are not in the grade table.")
    gmin = band["min_scp"].to_numpy(dtype=np.int64)
    gmax = band["max_scp"].to_numpy(dtype=np.int64)
    # Salary-band grades (an organogram's, issue 14): no spinal points; priced at the band's
    # costing point (Settings.band_cost_point) wherever a spine grade is priced at a point.
    is_band = (band["is_band"].fillna(False).to_numpy(dtype=bool) if "is_band" in band
               else np.zeros(n, dtype=bool))
    band_pay = np.zeros(n, dtype=np.int64)
    if is_band.any():
        lo = band["band_min_pence"].to_numpy(dtype=float)
        hi = band["band_max_pence"].to_numpy(dtype=float)
        band_pay = np.where(is_band, pay.band_point(np.nan_to_num(lo).astype(np.int64),
                                                    np.nan_to_num(hi).astype(np.int64),
                                                    rules.band_point), 0).astype(np.int64)
        word = pay.BAND_POINT_WORDS.get(rules.band_point, rules.band_point)
        grades_used = sorted(set(band.loc[is_band, "grade"]))
        warnings.append(f"{int(is_band.sum()):,} post(s) in {len(grades_used)} salary-band "
                        f"grade(s) are costed at the band's {word} (setting band_cost_point).")
        unpaid = sorted(set(band.loc[is_band & np.isnan(hi), "grade"]))
        if unpaid:
            warnings.append(f"Grade(s) {', '.join(unpaid)} have no published pay range: "
                            "costed at £0 until their band is known.")

    # Whose terms (London weighting, LGPS): a council the post is charged to, else the host.
    hosts = partners.index[partners["is_host"]]
    host = int(hosts[0]) if len(hosts) else -1
    pid = posts["partner_id"].to_numpy(dtype=np.int64)
    is_council = pd.Series(pid).map(partners["kind"]).eq("council").to_numpy()
    employer = pd.Series(np.where(is_council, pid, host))
    lw_rate = employer.map(partners["london_weighting_pence"]).fillna(
        rules.default_london_weighting_pence).to_numpy(dtype=np.int64)
    lgps = employer.map(partners["lgps_employer_rate_bp"]).fillna(
        rules.default_lgps_rate_bp).to_numpy(dtype=np.int64)
    post_fte = posts["fte_units"].to_numpy(dtype=np.int64)

    # --- people in posts
    at = pd.Index(posts["id"]).get_indexer(lines["post"])
    fte = lines["fte_units"].to_numpy(dtype=np.int64)
    contract = lines["contract"].to_numpy(dtype=object)
    emp = np.isin(contract, pay.EMPLOYEE_CONTRACTS)
    cover = np.isin(contract, pay.COVER_CONTRACTS)
    salary = lines["annual_salary_pence"].to_numpy(dtype=float)
    has_salary = ~np.isnan(salary)
    scp = lines["scp"].to_numpy(dtype=float)
    has_scp = ~np.isnan(scp)
    scp_i = np.where(has_scp, scp, 0).astype(np.int64)
    regraded = (lines["source_grade"].to_numpy(dtype=object)
                != posts["grade"].to_numpy(dtype=object)[at])
    costed_scp = np.where(regraded, np.clip(scp_i, gmin[at], gmax[at]), scp_i)
    no_basis = emp & ~has_salary & ~has_scp
    costed_scp = np.where(no_basis, pay.vacancy_scp(gmin[at], gmax[at], rules.vacancy_point),
                          costed_scp)
    # In a band grade, an employee with no salary of their own (or whose post was regraded
    # into the band) is costed at the band's point: the band is all the organogram publishes.
    in_band = is_band[at] & (no_basis | (regraded & ~has_salary))
    if (no_basis & ~in_band).any():
        warnings.append(f"{int((no_basis & ~in_band).sum())} employee(s) have neither spinal "
                        "point nor salary: costed at the vacancy point of their grade.")
    basic = np.where(has_salary, np.nan_to_num(salary), 0).astype(np.int64)
    on_spine = emp & ~has_salary & ~in_band
    basic[on_spine] = spine.values(costed_scp[on_spine])
    basic[in_band] = band_pay[at[in_band]]
    e_pay = np.where(emp, pay.basic_pay(basic, fte), 0)
    e_lw = np.where(emp, pay.london_weighting(lw_rate[at], fte), 0)
    e_pension = np.where(emp, pay.employer_pension(e_pay, e_lw, lgps[at]), 0)
    e_ni = ni_per_line(lines["person_id"].to_numpy(dtype=np.int64), e_pay + e_lw, emp, rules)
    day_rate = lines["day_rate_pence"].to_numpy(dtype=float)
    missing_rate = cover & np.isnan(day_rate)
    if missing_rate.any():
        warnings.append(f"{int(missing_rate.sum())} interim/agency worker(s) have no day rate: "
                        "costed at £0.")
    rate_i = np.nan_to_num(day_rate).astype(np.int64)
    i_cost = np.where(cover, pay.cover_cost(rate_i, fte, rules.working_days), 0)

    def per_post(values: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        np.add.at(out, at, values.astype(np.int64))
        return out

    emp_fte, cover_fte = per_post(np.where(emp, fte, 0)), per_post(np.where(cover, fte, 0))
    vacant = np.maximum(post_fte - emp_fte - cover_fte, 0)
    v_scp = pay.vacancy_scp(gmin, gmax, rules.vacancy_point)
    v_basic = np.zeros(n, dtype=np.int64)
    v_basic[(vacant > 0) & ~is_band] = spine.values(v_scp[(vacant > 0) & ~is_band])
    v_basic[is_band] = band_pay[is_band]
    vacancy = _vacancy_total(v_basic, vacant, lw_rate, lgps, rules)

    # What each interim's FTE would cost as a permanent post at the costing point.
    perm_basic = np.zeros(len(lines), dtype=np.int64)
    spine_cover = cover & ~is_band[at]
    perm_basic[spine_cover] = spine.values(v_scp[at[spine_cover]])
    perm_basic[cover & is_band[at]] = band_pay[at[cover & is_band[at]]]
    permanent = np.where(cover, _vacancy_total(perm_basic, fte, lw_rate[at], lgps[at], rules), 0)

    status = np.full(n, "Vacant", dtype=object)
    status[per_post(cover.astype(np.int64)) > 0] = "Covered by interim"
    status[per_post(emp.astype(np.int64)) > 0] = "Filled"
    names = pd.Series(pid).map(partners["name"]).fillna("shared")
    # The posts' text columns are shared with `posts` (its arrays, not copies: issue 16).
    by_post = pd.DataFrame({
        "id": posts["id"].to_numpy(),
        **{c: _shared(posts[c]) for c in ("post_id", "title", "division", "team", "grade")},
        "fte": post_fte / FTE_SCALE, "partner": names.to_numpy(),
        "funding": _shared(posts["funding"]), "status": status,
        "vacant_fte": vacant / FTE_SCALE,
        "pay": per_post(e_pay), "london_weighting": per_post(e_lw),
        "employer_ni": per_post(e_ni), "pension": per_post(e_pension),
        "interim_cost": per_post(i_cost), "vacancy_cost": vacancy,
    })
    by_post["total"] = by_post[MONEY_COLUMNS[:-1]].sum(axis=1).astype(np.int64)
    by_post["part_year"] = part_year(by_post["total"].to_numpy(dtype=np.int64), months)
    by_post["partner_id"] = pid  # −1 for a shared post
    costed = pd.DataFrame({
        "person_id": lines["person_id"].to_numpy(), "employee_ref": lines["employee_ref"],
        "name": lines["name"], "contract": lines["contract"], "post": lines["post"].to_numpy(),
        "post_id": posts["post_id"].to_numpy()[at], "fte": fte / FTE_SCALE,
        "costed_scp": np.where(on_spine, costed_scp, -1), "regraded": regraded,
        "day_rate_pence": rate_i, "pay": e_pay, "london_weighting": e_lw, "employer_ni": e_ni,
        "pension": e_pension, "interim_cost": i_cost, "permanent_cost": permanent})
    costed["total"] = costed[["pay", "london_weighting", "employer_ni", "pension",
                              "interim_cost"]].sum(axis=1).astype(np.int64)
    return by_post, costed, warnings


def _shared(column: pd.Series) -> Any:
    """A text column's own array (shared, not copied) when it is text already; else its values
    by position, for pandas to infer as before."""
    return column.array if isinstance(column.dtype, pd.StringDtype) else column.to_numpy()


def _vacancy_total(basic: np.ndarray, fte: np.ndarray, lw_rate: np.ndarray, lgps: np.ndarray,
                   rules: PayRules) -> np.ndarray:
    """A vacancy as one person at `fte` on `basic` a year: pay, weighting, NI, pension."""
    v_pay = pay.basic_pay(basic, fte)
    v_lw = pay.london_weighting(lw_rate, fte)
    return (v_pay + v_lw + pay.employer_ni(v_pay + v_lw, rules)
            + pay.employer_pension(v_pay, v_lw, lgps))


def ni_per_line(person: np.ndarray, gross: np.ndarray, emp: np.ndarray,
                 rules: PayRules) -> np.ndarray:
    """Employer NI on each person's total gross, shared back over their posts.

    NI is per person (pay.employer_ni), so someone in two part-time posts pays it on their
    combined pay, once. Their NI is split between the posts in proportion to each post's
    gross by largest remainder, so the lines sum exactly to the person's NI.
    """
    out = np.zeros(len(person), dtype=np.int64)
    if not emp.any():
        return out
    idx = np.flatnonzero(emp)
    df = pd.DataFrame({"person": person[idx], "gross": gross[idx].astype(np.int64)})
    group = df.groupby("person")["gross"]
    whole = group.transform("sum").to_numpy(dtype=np.int64)
    ni = pay.employer_ni(whole, rules)
    single = group.transform("size").to_numpy() == 1
    share = np.where(single, ni, 0)
    if not single.all():
        many = ~single
        g, w, t = df["gross"].to_numpy()[many], whole[many], ni[many]
        num = t * g
        base = np.where(w > 0, num // np.maximum(w, 1), 0)
        rem = np.where(w > 0, num % np.maximum(w, 1), 0)
        sub = pd.DataFrame({"person": df["person"].to_numpy()[many], "rem": rem,
                            "pos": np.arange(many.sum()), "base": base, "ni": t})
        short = (sub["ni"] - sub.groupby("person")["base"].transform("sum")).to_numpy()
        ordered = sub.sort_values(["person", "rem", "pos"], ascending=[True, False, True])
        rank = ordered.groupby("person").cumcount().reindex(sub.index).to_numpy()
        share[many] = base + (rank < short)
    out[idx] = share
    return out


# --- vacancies and interims ------------------------------------------------------------------


@dataclass(frozen=True)
class VacancyReport:
    """Vacancies, their interim cover, and what recruiting would save (pence a year).

    `vacancies`: posts with no employee (Vacant, or Covered by interim) with the cost of
    their interim cover, the cost of the post filled permanently at the costing point
    (`permanent_cost`, on-costs included) and `saving` = interim − permanent for covered posts.
    `interims`: one row per interim or agency worker with their annual cost, the permanent
    cost of the same FTE and the saving. `saving_from_recruiting` (the headline) sums the
    interims' savings: what replacing every interim with a permanent appointment would save.
    """

    vacancies: pd.DataFrame
    interims: pd.DataFrame
    vacancy_count: int
    covered_count: int
    uncovered_count: int
    interim_cost: int
    permanent_cost_of_cover: int
    saving_from_recruiting: int


def vacancies_and_interims(*, session: Session, actor: Actor, structure_id: int | None = None,
                           pay_year: str | None = None, vacancy_point: str | None = None,
                           settings: Settings | None = None,
                           cost: StructureCost | None = None) -> VacancyReport:
    """Which posts are vacant, which interims cover them, and the saving from recruiting.

    Pass `cost` (from cost_structure) to reuse a costing already made; interims are costed at
    day rate × working days (no on-costs), the permanent alternative at the vacancy costing
    point with on-costs (DOMAIN.md §5).
    """
    require(actor, "establishment.read", "structure")
    if cost is None:
        cost = cost_structure(session=session, actor=actor, structure_id=structure_id,
                              pay_year=pay_year, vacancy_point=vacancy_point, settings=settings)
    posts, lines = cost.by_post, cost.lines
    cover = lines[lines["contract"].isin(pay.COVER_CONTRACTS)]
    by_post = cover.groupby("post").agg(interims=("name", "; ".join),
                                        cover_permanent=("permanent_cost", "sum"))
    open_posts = posts[posts["status"] != "Filled"].join(by_post, on="id")
    vac = open_posts[["post_id", "title", "division", "team", "grade", "fte", "partner",
                      "status", "interims", "interim_cost", "vacancy_cost"]].copy()
    vac["interims"] = vac["interims"].fillna("")
    vac["permanent_cost"] = (open_posts["vacancy_cost"]
                             + open_posts["cover_permanent"].fillna(0)).astype(np.int64)
    vac["saving"] = np.where(vac["interim_cost"] > 0, vac["interim_cost"]
                             - open_posts["cover_permanent"].fillna(0).astype(np.int64), 0)
    interims = cover.merge(posts[["id", "title", "grade", "status"]], left_on="post",
                           right_on="id")[["employee_ref", "name", "contract", "post_id", "title",
                                           "grade", "status", "fte", "day_rate_pence",
                                           "interim_cost", "permanent_cost"]]
    interims = interims.rename(columns={"interim_cost": "annual_cost"})
    interims["saving"] = interims["annual_cost"] - interims["permanent_cost"]
    status = posts["status"].value_counts()
    covered = int(status.get("Covered by interim", 0))
    uncovered = int(status.get("Vacant", 0))
    return VacancyReport(
        vacancies=vac.reset_index(drop=True), interims=interims.reset_index(drop=True),
        vacancy_count=covered + uncovered, covered_count=covered, uncovered_count=uncovered,
        interim_cost=int(interims["annual_cost"].sum()),
        permanent_cost_of_cover=int(interims["permanent_cost"].sum()),
        saving_from_recruiting=int(interims["saving"].sum()))



@dataclass(frozen=True)
class CostInputs:
    """What `cost_frames` prices, read from the database but not yet priced: a structure's
    posts and the people in them (carried from the baseline in options), the grades, the
    spine and the rules. Edited in memory (planner.structures.edit_preview) and priced again without
    writing anything."""

    posts: pd.DataFrame
    lines: pd.DataFrame
    partners: pd.DataFrame
    grades: pd.DataFrame
    spine: Spine
    rules: PayRules
    pay_year: str


def cost_inputs(*, session: Session, actor: Actor, structure_id: int,
                pay_year: str | None = None, vacancy_point: str | None = None,
                settings: Settings | None = None) -> CostInputs:
    """The frames `cost_structure` reads for `structure_id`, as `cost_frames` takes them."""
    require(actor, "establishment.read", "structure")
    structure = session.get(Structure, structure_id)
    if structure is None:
        raise NotFound(f"No structure with id {structure_id}.")
    year = pay_year or current_pay_year(session)
    if year is None:
        raise NotFound("There is no pay spine: load the reference data first.")
    posts = _posts(session, structure_id)
    grades = grades_frame(grade_table(session).values())
    return CostInputs(posts=posts,
                      lines=_lines(session, structure_id, posts,
                                   assume_recruited=structure.assume_recruited),
                      partners=_partners(session, posts["partner_id"]), grades=grades,
                      spine=pay.load_spine(session, year),
                      rules=PayRules.for_year(year, settings, vacancy_point), pay_year=year)
