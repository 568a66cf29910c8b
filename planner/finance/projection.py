"""The projection of an option's savings, year by year and partner by partner (issue 15).

Pure functions over the frames costing reads (planner.structures.costing.CostInputs): no
database. Each plan year prices every post of the establishment ("baseline") and of the option
exactly as planner.structures.costing does (DOMAIN.md §5: spinal point or salary × FTE, London
weighting, employer NI on each person's gross, LGPS on pensionable pay, interims at day rate,
vacant FTE at the grade's costing point), with that year's assumptions:

- **Pay award** from 1 April of each year after the first (and of the first when the stored
  spine is an earlier year's): the whole spine is uprated, points up to `flat_to_scp` by the
  flat amount and the others by the percentage, each point rounded half up to the penny; a
  salary set outside the spine takes the percentage. Interims' day rates do not change.
- **Increment drift**: an employee paid on a spinal point below the top of their post's grade
  moves up one point each April after the first year's, never past the top. The stored points
  are taken as at 1 April of the first year. Vacancies stay at their costing point.
- **On-costs**: the year's employer NI rate and threshold (the settings' dated figures, or the
  plan's change) and LGPS rate (each partner's, or the plan's change for everyone).
- **Implementation dates**: each post switches from the baseline to the option at the start
  of a month (assumptions.switch_month); until then the establishment's posts cost as they
  are. A year's cost of a post is its full-year cost × months / 12, rounded half up once per
  post (costing.part_year): a change on 1 October costs half a year of each.
- **Partners**: each post's cost goes to its partner, and shared posts are split between the
  councils by the option's shares (planner.structures.envelope, largest remainder).
- **Vacancy factor**: each partner's yearly cost less `vacancy_factor_bp` of it, rounded half
  up to the penny per partner and year, for the baseline and the option alike.
- **Saving and target**: the recurring saving is the baseline (after the vacancy factor) less
  the option's phased cost (after it); one-off costs fall in the year (and month) the option
  takes effect; net saving = recurring saving − one-off costs; the gap to a partner's target is
  the target less the recurring saving (targets are budget reductions; one-off costs are
  funded once, and show in the net and cumulative lines).
- **Break-even**: the cumulative net saving month by month (each month a twelfth of that
  month's annual saving rate, kept exact in twelfths), and the first month from which it stays
  above zero to the plan's end.

The one rounding rule is pay.py's (half up to the penny, once per component); every total is a
sum of rounded parts, so the table's totals equal the sum of its rows to the penny.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from planner.core.errors import NotFound
from planner.finance.assumptions import PlanAssumptions, switch_month, year_start
from planner.structures import pay
from planner.structures.costing import CostInputs, ni_per_line, part_year
from planner.structures.envelope import envelope_position
from planner.structures.pay import BP_SCALE, PayRules, Spine, div_half_up

MONEY = ["baseline_pence", "baseline_vacancy_pence", "option_pence", "option_vacancy_pence",
         "saving_pence", "one_off_pence", "net_pence", "cumulative_pence", "target_pence",
         "gap_pence"]
SENSITIVITY_BP = 100  # one percentage point either side of the assumed award


@dataclass(frozen=True)
class Priced:
    """One structure's posts and people as arrays, ready to be priced year after year."""

    post_ref: pd.Series
    division: pd.Series
    partner_id: np.ndarray
    baseline_post_id: np.ndarray
    post_db_id: np.ndarray
    gmax_line: np.ndarray
    at: np.ndarray
    emp: np.ndarray
    fte: np.ndarray
    person: np.ndarray  # per line: a dense person code
    multi: np.ndarray  # per line: an employee line of someone with more than one
    on_spine: np.ndarray
    fixed: np.ndarray  # costed at the vacancy point for want of a point or salary
    point: np.ndarray
    salary: np.ndarray
    lw_line: np.ndarray
    lgps_line: np.ndarray
    cover_cost: np.ndarray
    vacant: np.ndarray
    v_scp: np.ndarray
    lw_post: np.ndarray
    lgps_post: np.ndarray

    @property
    def n_posts(self) -> int:
        return len(self.post_ref)


def prepare(inputs: CostInputs) -> Priced:
    """The arrays of `inputs`, by costing's rules (planner.structures.costing.cost_frames)."""
    posts, lines, partners, rules = inputs.posts, inputs.lines, inputs.partners, inputs.rules
    grade_code = pd.Index(inputs.grades["grade"])
    code = grade_code.get_indexer(posts["grade"])
    if (code < 0).any():
        unknown = sorted(set(posts.loc[code < 0, "grade"]))
        raise NotFound(f"Grade(s) {', '.join(unknown)} are not in the grade table.")
    gmin = inputs.grades["min_scp"].to_numpy(dtype=np.int64)[code]
    gmax = inputs.grades["max_scp"].to_numpy(dtype=np.int64)[code]
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

    at = pd.Index(posts["id"]).get_indexer(lines["post"])
    fte = lines["fte_units"].to_numpy(dtype=np.int64)
    emp = lines["contract"].isin(pay.EMPLOYEE_CONTRACTS).to_numpy()
    cover = lines["contract"].isin(pay.COVER_CONTRACTS).to_numpy()
    salary = lines["annual_salary_pence"].to_numpy(dtype=float)
    has_salary = ~np.isnan(salary)
    scp = lines["scp"].to_numpy(dtype=float)
    has_scp = ~np.isnan(scp)
    scp_i = np.where(has_scp, scp, 0).astype(np.int64)
    regraded = grade_code.get_indexer(lines["source_grade"]) != code[at]
    point = np.where(regraded, np.clip(scp_i, gmin[at], gmax[at]), scp_i)
    fixed = emp & ~has_salary & ~has_scp
    point = np.where(fixed, pay.vacancy_scp(gmin[at], gmax[at], rules.vacancy_point), point)
    rate = np.nan_to_num(lines["day_rate_pence"].to_numpy(dtype=float)).astype(np.int64)
    person_code, _ = pd.factorize(lines["person_id"])
    emp_people = np.bincount(person_code[emp], minlength=max(int(person_code.max(initial=-1)) + 1, 0))
    multi = emp & (emp_people[person_code] > 1) if len(person_code) else emp

    def per_post(values: np.ndarray) -> np.ndarray:
        out = np.zeros(len(posts), dtype=np.int64)
        np.add.at(out, at, values.astype(np.int64))
        return out

    vacant = np.maximum(post_fte - per_post(np.where(emp, fte, 0))
                        - per_post(np.where(cover, fte, 0)), 0)
    return Priced(
        post_ref=posts["post_id"].reset_index(drop=True),
        division=posts["division"].fillna("").reset_index(drop=True), partner_id=pid,
        baseline_post_id=posts["baseline_post_id"].to_numpy(dtype=np.int64),
        post_db_id=posts["id"].to_numpy(dtype=np.int64), gmax_line=gmax[at], at=at, emp=emp,
        fte=fte, person=person_code.astype(np.int64), multi=multi,
        on_spine=emp & ~has_salary, fixed=fixed, point=point,
        salary=np.where(has_salary, np.nan_to_num(salary), 0).astype(np.int64),
        lw_line=lw_rate[at], lgps_line=lgps[at],
        cover_cost=np.where(cover, pay.cover_cost(rate, fte, rules.working_days), 0),
        vacant=vacant, v_scp=pay.vacancy_scp(gmin, gmax, rules.vacancy_point),
        lw_post=lw_rate, lgps_post=lgps)


def uprate_spine(lookup: np.ndarray, award_bp: int, flat_pence: int,
                 flat_to_scp: int | None) -> np.ndarray:
    """A spine after one award: points up to `flat_to_scp` (all when None) + the flat
    amount when there is one, the others × (1 + award), rounded half up to the penny."""
    valid = lookup >= 0
    v = np.where(valid, lookup, 0)
    out = div_half_up(v * (BP_SCALE + award_bp), BP_SCALE)
    if flat_pence:
        scps = np.arange(len(lookup))
        low = scps <= (flat_to_scp if flat_to_scp is not None else len(lookup))
        out = np.where(low, v + flat_pence, out)
    return np.where(valid, out, -1)


def price_year(p: Priced, *, spine: Spine, salary: np.ndarray, steps: int, rules: PayRules,
               pension_bp: int | None) -> np.ndarray:
    """Each post's full-year cost (pence) with the year's spine, salaries, increments
    (`steps` Aprils of progression) and on-cost rates."""
    point = p.point
    if steps:
        grow = p.on_spine & ~p.fixed & (point < p.gmax_line)
        point = np.where(grow, np.minimum(point + steps, p.gmax_line), point)
    basic = np.zeros(len(point), dtype=np.int64)
    basic[p.on_spine] = spine.values(point[p.on_spine])
    basic = np.where(p.on_spine, basic, salary)
    e_pay = np.where(p.emp, pay.basic_pay(basic, p.fte), 0)
    e_lw = np.where(p.emp, pay.london_weighting(p.lw_line, p.fte), 0)
    lgps_line = p.lgps_line if pension_bp is None else np.full(len(point), pension_bp)
    e_pension = np.where(p.emp, pay.employer_pension(e_pay, e_lw, lgps_line), 0)
    gross = e_pay + e_lw
    e_ni = np.where(p.emp, pay.employer_ni(gross, rules), 0)
    if p.multi.any():  # NI on a person's combined gross, shared over their posts
        idx = np.flatnonzero(p.multi)
        e_ni[idx] = ni_per_line(p.person[idx], gross[idx], np.ones(len(idx), dtype=bool), rules)
    line = e_pay + e_lw + e_pension + e_ni + p.cover_cost
    out = np.zeros(p.n_posts, dtype=np.int64)
    np.add.at(out, p.at, line)
    has = p.vacant > 0
    v_basic = np.zeros(p.n_posts, dtype=np.int64)
    v_basic[has] = spine.values(p.v_scp[has])
    lgps_post = p.lgps_post if pension_bp is None else np.full(p.n_posts, pension_bp)
    v_pay = pay.basic_pay(v_basic, p.vacant)
    v_lw = pay.london_weighting(p.lw_post, p.vacant)
    out += (v_pay + v_lw + pay.employer_ni(v_pay + v_lw, rules)
            + pay.employer_pension(v_pay, v_lw, lgps_post))
    return out


@dataclass(frozen=True)
class Projection:
    """A plan projected: `table` one row per year and partner (columns year, partner and
    MONEY, pence), `totals` one row per year, `monthly` the cumulative net saving by month
    (display pence), the break-even month and what the one-off costs came from."""

    assumptions: PlanAssumptions
    table: pd.DataFrame
    totals: pd.DataFrame
    monthly: pd.DataFrame
    break_even_month: int | None
    one_off_source: str
    one_off_year: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def labels(self) -> list[str]:
        return self.assumptions.labels()

    @property
    def break_even_on(self) -> dt.date | None:
        """The first day of the break-even month (the saving has paid back by its end)."""
        if self.break_even_month is None:
            return None
        return month_start(self.assumptions.first_year, self.break_even_month)

    def as_dict(self) -> dict[str, Any]:
        def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: (int(v) if isinstance(v, np.integer | int) and not isinstance(v, bool)
                         else v) for k, v in r.items()} for r in frame.to_dict("records")]
        return {"years": self.labels, "table": rows(self.table), "totals": rows(self.totals),
                "break_even_month": (self.break_even_on.strftime("%B %Y")
                                     if self.break_even_on else None),
                "one_off_source": self.one_off_source,
                "one_off_year": self.labels[self.one_off_year],
                "warnings": list(self.warnings)}


def month_start(first_year: str, month: int) -> dt.date:
    start = year_start(first_year)
    y, m = divmod(start.month - 1 + month, 12)
    return dt.date(start.year + y, m + 1, 1)


def _switch_months(base: Priced, option: Priced, a: PlanAssumptions) -> tuple[np.ndarray, np.ndarray]:
    """The month each baseline and each option post switches (module docstring)."""
    s0 = switch_month(a.effective_on, a.first_year)
    s_opt = np.full(option.n_posts, s0, dtype=np.int64)
    s_base = np.full(base.n_posts, s0, dtype=np.int64)
    if not a.division_dates and not a.post_dates:
        return s_base, s_opt
    div = {d: switch_month(day, a.first_year) for d, day in a.division_dates.items()}
    post = {ref: switch_month(day, a.first_year) for ref, day in a.post_dates.items()}
    s_opt = (option.post_ref.map(post).fillna(option.division.map(div)).fillna(s0)
             .to_numpy(dtype=np.int64))
    s_base = base.division.map(div).fillna(s0).to_numpy(dtype=np.int64).copy()
    continuing = option.baseline_post_id >= 0
    if continuing.any():
        first = (pd.Series(s_opt[continuing]).groupby(option.baseline_post_id[continuing]).min())
        where = pd.Index(base.post_db_id).get_indexer(first.index)
        ok = where >= 0
        s_base[where[ok]] = first.to_numpy()[ok]
    return s_base, s_opt


@dataclass(frozen=True)
class _Groups:
    """Posts grouped by partner once (−1: shared), so each year's split sums a few masks."""

    ids: np.ndarray
    masks: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, pid: np.ndarray) -> _Groups:
        ids = np.unique(pid)
        return cls(ids=ids, masks=tuple(pid == i for i in ids))


def _split(cost: np.ndarray, groups: _Groups, partners: pd.DataFrame,
           shares: pd.DataFrame) -> dict[str, int]:
    """Pence by partner name: posts charged to one partner, shared posts split by the
    councils' shares (planner.structures.envelope), on per-partner sums (a handful of rows)."""
    sums = np.array([int(cost[m].sum()) for m in groups.masks], dtype=np.int64)
    pos = envelope_position(cost=sums, partner_id=groups.ids, partners=partners, shares=shares,
                            envelope_pence=None, months=12)
    return {str(n): int(s) for n, s in zip(pos.by_partner["partner"], pos.by_partner["spend"],
                                            strict=True)}


def project(*, base: CostInputs, option: CostInputs, shares: pd.DataFrame,
            assumptions: PlanAssumptions, rules: Sequence[PayRules],
            one_offs: Mapping[str, int] | None = None, one_off_source: str = "lump sum",
            prepared: tuple[Priced, Priced] | None = None) -> Projection:
    """Project `option` against the establishment `base` over the plan's years.

    `rules` holds the settings' PayRules for each plan year (before the plan's own changes);
    `one_offs` (partner name → pence) the exit bill by partner, else the plan's lump sums are
    used. `prepared` saves preparing the same frames again (the sensitivity runs)."""
    a = assumptions
    n = a.length
    if len(rules) != n:
        raise ValueError(f"{n} years need {n} sets of rules, not {len(rules)}.")
    pb, po = prepared or (prepare(base), prepare(option))
    partners = pd.concat([base.partners, option.partners])
    partners = partners[~partners.index.duplicated()].sort_index()
    s_base, s_opt = _switch_months(pb, po, a)
    base_groups = _Groups.of(pb.partner_id)
    both_groups = _Groups.of(np.concatenate([pb.partner_id, po.partner_id]))
    s0 = min(switch_month(a.effective_on, a.first_year), 12 * n - 1)
    one_off_year = s0 // 12
    one_offs = dict(a.one_offs) if one_offs is None else dict(one_offs)

    lookup = base.spine.lookup.copy()
    salaries = [pb.salary.copy(), po.salary.copy()]
    ni_rate = ni_threshold = pension = None
    rows: list[dict[str, Any]] = []
    rates = np.zeros(12 * n, dtype=np.int64)  # annual saving rate before the vacancy factor
    cumulative: dict[str, int] = {}
    vf = a.vacancy_factor_bp
    for k, year in enumerate(a.years):
        if k > 0 or base.spine.pay_year < a.first_year:
            lookup = uprate_spine(lookup, year.award_bp, year.award_flat_pence, year.flat_to_scp)
            salaries = [div_half_up(s * (BP_SCALE + year.award_bp), BP_SCALE) for s in salaries]
        ni_rate = year.ni_rate_bp if year.ni_rate_bp is not None else ni_rate
        ni_threshold = (year.ni_threshold_pence if year.ni_threshold_pence is not None
                        else ni_threshold)
        pension = year.pension_rate_bp if year.pension_rate_bp is not None else pension
        r = replace(rules[k], ni_rate_bp=rules[k].ni_rate_bp if ni_rate is None else ni_rate,
                    ni_threshold_pence=(rules[k].ni_threshold_pence if ni_threshold is None
                                        else ni_threshold))
        spine = Spine(a.labels()[k], lookup)
        steps = k if a.increments else 0
        cb = price_year(pb, spine=spine, salary=salaries[0], steps=steps, rules=r,
                        pension_bp=pension)
        co = price_year(po, spine=spine, salary=salaries[1], steps=steps, rules=r,
                        pension_bp=pension)
        opt_months = np.clip(12 * (k + 1) - s_opt, 0, 12)
        base_months = 12 - np.clip(12 * (k + 1) - s_base, 0, 12)
        phased = np.concatenate([part_year(cb, base_months), part_year(co, opt_months)])
        baseline = _split(cb, base_groups, partners, shares)
        planned = _split(phased, both_groups, partners, shares)
        for name in dict.fromkeys([*baseline, *planned, *one_offs]):
            b, o = baseline.get(name, 0), planned.get(name, 0)
            vb, vo = div_half_up(b * vf, BP_SCALE), div_half_up(o * vf, BP_SCALE)
            saving = (b - vb) - (o - vo)
            one_off = int(one_offs.get(name, 0)) if k == one_off_year else 0
            net = saving - one_off
            cumulative[name] = cumulative.get(name, 0) + net
            target = a.target(name, k)
            rows.append({"year": a.labels()[k], "partner": name, "baseline_pence": b,
                         "baseline_vacancy_pence": vb, "option_pence": o,
                         "option_vacancy_pence": vo, "saving_pence": saving,
                         "one_off_pence": one_off, "net_pence": net,
                         "cumulative_pence": cumulative[name], "target_pence": target,
                         "gap_pence": target - saving})
        # Month by month: posts switched by month j save (baseline − option) at the year's rate.
        top = 12 * n
        sb = np.zeros(top + 1, dtype=np.int64)
        so = np.zeros(top + 1, dtype=np.int64)
        np.add.at(sb, np.minimum(s_base, top), cb)
        np.add.at(so, np.minimum(s_opt, top), co)
        months = np.arange(12 * k, 12 * (k + 1))
        rates[months] = (np.cumsum(sb) - np.cumsum(so))[months]
    table = pd.DataFrame(rows, columns=["year", "partner", *MONEY])
    keep = (table[MONEY] != 0).any(axis=1) | (table["partner"] != "Unallocated")
    table = table[keep].reset_index(drop=True)
    totals = table.groupby("year", sort=False)[MONEY].sum().reset_index()
    for col in MONEY:
        totals[col] = totals[col].astype(np.int64)
    total_one_off = int(sum(int(v) for v in one_offs.values()))
    twelfths = rates.astype(object) * (BP_SCALE - vf)  # pence × 12 × 10,000: exact
    twelfths[s0] -= total_one_off * 12 * BP_SCALE
    cum = np.cumsum(twelfths)
    monthly = pd.DataFrame({
        "month": [month_start(a.first_year, j) for j in range(12 * n)],
        "cumulative_pence": [int(div_half_up(int(c), 12 * BP_SCALE)) if c >= 0
                             else -int(div_half_up(-int(c), 12 * BP_SCALE)) for c in cum]})
    return Projection(assumptions=a, table=table, totals=totals, monthly=monthly,
                      break_even_month=break_even(cum), one_off_source=one_off_source,
                      one_off_year=one_off_year)


def break_even(cumulative: Sequence[Any]) -> int | None:
    """The first month from which the cumulative net saving stays above zero to the end;
    None when it ends at or below zero."""
    values = list(cumulative)
    if not values or values[-1] <= 0:
        return None
    last_not_above = max((j for j, v in enumerate(values) if v <= 0), default=-1)
    return last_not_above + 1


def sensitivity(*, base: CostInputs, option: CostInputs, shares: pd.DataFrame,
                assumptions: PlanAssumptions, rules: Sequence[PayRules],
                one_offs: Mapping[str, int] | None = None,
                projection: Projection | None = None) -> pd.DataFrame:
    """The same plan with the percentage pay award one point lower and one point higher
    each year, side by side: per year, the recurring, net and cumulative net saving (pence)."""
    prepared = (prepare(base), prepare(option))
    cases = {}
    for label, delta in (("award −1 point", -SENSITIVITY_BP), ("as assumed", 0),
                         ("award +1 point", SENSITIVITY_BP)):
        if delta == 0 and projection is not None:
            cases[label] = projection
            continue
        cases[label] = project(base=base, option=option, shares=shares,
                               assumptions=assumptions.with_award_shift(delta), rules=rules,
                               one_offs=one_offs, prepared=prepared)
    out = pd.DataFrame({"year": assumptions.labels()})
    for label, proj in cases.items():
        t = proj.totals.set_index("year")
        for col, word in (("saving_pence", "recurring saving"), ("net_pence", "net saving"),
                          ("cumulative_pence", "cumulative net saving")):
            out[f"{word}, {label}"] = t[col].reindex(out["year"]).to_numpy(dtype=np.int64)
    return out
