"""Suggested slot-ins, ring-fenced pools and redeployments for an option's people (DOMAIN.md §4
and §7 item 5). These are suggestions, not decisions: the page lists them and the user
accepts or changes each one, so nothing is mapped silently.

A match score from 0 to 100 pairs each person who still needs an outcome with each post of
the option that is new or changed and has room:
- grade: 50 for the same grade, 30 for an adjacent one, and no match at all two or more
  grades apart (that would be a promotion or a demotion, not the same job);
- place: 20 for the same team, 10 for the same division;
- title: up to 30 for how alike the titles are (difflib's ratio on lower-cased titles,
  worked out once per distinct pair, since titles repeat heavily).

Where the user has entered a duties match (%) for a person, it is their score. That is the
council's own judgement of "substantially the same job", so it overrides the proxy.

Whoever scores at least the threshold (the council's policy, `PLANNER_SLOT_IN_THRESHOLD`,
70% by default, DOMAIN.md §7) for a post is a candidate for it, at their best-scoring post.
Ties go to the lower post id. A post with no more candidates than places suggests slot-ins.
A post with more candidates than places suggests a ring-fenced pool of the post and its
candidates.

Redeployment suggestions match people at risk to the option's vacant posts within one grade.
People on maternity, adoption or shared parental leave come first, because they have
priority for suitable alternative vacancies (DOMAIN.md §4). Each suggestion carries the end
of the 4-week statutory trial period (ERA 1996 s.138(3)), counted from the start date given.

Candidates are blocked by grade rank (a person meets only the posts within one grade of
theirs), so the pairs grow with the posts of three grades, not with every post. Everyone of
one rank meets every post of one rank, so each such block is scored as one numpy matrix on
integer codes, a bounded number of pairs at a time. The suggestions keep only each person's
best pairs at or above the threshold. So 50,000 people against 11,000 posts (130 million
pairs) take seconds and little memory (benchmarks/suggestions.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

import numpy as np
import pandas as pd
from sqlmodel import Session

from planner.core.auth import Actor
from planner.core.models import Structure

GRADE_SAME, GRADE_ADJACENT = 50, 30
TEAM, DIVISION = 20, 10
TITLE = 30
TRIAL_DAYS = 28  # ERA 1996 s.138(3): four weeks "beginning with" the first day, so day 28 is last
SCORE_COLUMNS = ["employee_id", "post_id", "score", "basis"]
SLOT_COLUMNS = ["employee_id", "post_id", "score"]
POOL_COLUMNS = ["post_ids", "places", "candidates"]
REDEPLOY_COLUMNS = ["employee_id", "post_id", "grade_gap", "family_leave", "trial_ends"]


@dataclass(frozen=True)
class Suggestions:
    slot_ins: pd.DataFrame  # SLOT_COLUMNS
    pools: pd.DataFrame  # POOL_COLUMNS (post_ids and candidates: lists)
    at_risk: list[str]  # people with no post scoring the threshold


_CELLS = 2_000_000  # pairs scored at once (a block's matrix is cut into rows to fit)


def _codes(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes for two columns, shared so equal values have equal codes. A missing
    value is -1 on the people's side and -2 on the posts', so it never matches (as `==`)."""
    codes, _ = pd.factorize(pd.concat([a, b], ignore_index=True))
    left, right = codes[: len(a)], codes[len(a):].copy()
    right[right < 0] = -2
    return left, right


def _titles(s: pd.Series) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(s.astype(str).str.lower().str.strip(), use_na_sentinel=False)
    return codes, list(uniques)


def _title_points(ua: np.ndarray, ub: np.ndarray, a_titles: list, b_titles: list,
                  known: dict[int, dict[int, int]]) -> np.ndarray:
    """Title points for each of the person titles `ua` against each of the post titles `ub`
    (codes), with difflib's ratio worked out once per distinct pair (`known`, by post title
    and then person title)."""
    table = np.empty((len(ua), len(ub)), dtype=np.int64)
    matcher = SequenceMatcher(None)
    people_titles = ua.tolist()
    for k, b in enumerate(ub.tolist()):
        got = known.setdefault(b, {})
        missing = [a for a in people_titles if a not in got]
        if missing:
            matcher.set_seq2(b_titles[b])  # SequenceMatcher(None, a, b), b's index built once
            for a in missing:
                matcher.set_seq1(a_titles[a])
                got[a] = round(matcher.ratio() * TITLE)
        table[:, k] = [got[a] for a in people_titles]
    return table


def _duty_pairs(people: pd.DataFrame, posts: pd.DataFrame,
                duties: Mapping[tuple[str, str], int] | None) -> tuple[np.ndarray, ...]:
    """The duties matches as (person position, post position, score), sorted by person."""
    if not duties:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32)
    given = pd.DataFrame([(e, q, int(v)) for (e, q), v in duties.items()],
                         columns=["employee_id", "post_id", "score"])
    given = given.merge(pd.DataFrame({"employee_id": people["employee_id"].to_numpy(),
                                      "i": np.arange(len(people))}), on="employee_id")
    given = given.merge(pd.DataFrame({"post_id": posts["post_id"].to_numpy(),
                                      "j": np.arange(len(posts))}), on="post_id")
    given = given.sort_values("i", kind="stable")
    return (given["i"].to_numpy(np.int64), given["j"].to_numpy(np.int64),
            given["score"].to_numpy(np.int32))


def _scored(people: pd.DataFrame, posts: pd.DataFrame, grade_rank: Mapping[str, int],
            duties: Mapping[tuple[str, str], int] | None, at_least: int | None = None):
    """The pairs within one grade, a block at a time: (person positions, post positions,
    scores, whether each score is a duties match), every pair of the block; or, given
    `at_least`, only each person's best-scoring pairs of the block that score at least that."""
    pr = people["grade"].map(grade_rank).to_numpy(dtype=float, na_value=np.nan)
    qr = posts["grade"].map(grade_rank).to_numpy(dtype=float, na_value=np.nan)
    pg, qg = _codes(people["grade"], posts["grade"])
    pt, qt = _codes(people["team"], posts["team"])
    pv, qv = _codes(people["division"], posts["division"])
    pl, a_titles = _titles(people["title"])
    ql, b_titles = _titles(posts["title"])
    di, dj, dv = _duty_pairs(people, posts, duties)
    post_at = np.full(len(posts), -1, dtype=np.int64)
    known: dict[int, dict[int, int]] = {}
    small = not len(dv) or (int(dv.min()) >= 0 and int(dv.max()) <= 10_000)
    kind = np.int16 if small else np.int64  # half the memory traffic of int32
    for r in np.unique(pr[~np.isnan(pr)]):
        everyone = np.flatnonzero(pr == r)
        for d in (-1, 0, 1):
            q = np.flatnonzero(qr - d == r)
            if not len(q):
                continue
            q = q[np.argsort(ql[q], kind="stable")]  # by title: a row's titles are runs
            ub, runs = np.unique(ql[q], return_counts=True)
            step = max(1, _CELLS // len(q))
            for start in range(0, len(everyone), step):
                p = everyone[start:start + step]
                ua, ia = np.unique(pl[p], return_inverse=True)
                table = _title_points(ua, ub, a_titles, b_titles, known).astype(kind)
                score = np.repeat(table[ia], runs, axis=1)
                grades = np.unique(pg[p]), np.unique(qg[q])
                if len(grades[0]) == len(grades[1]) == 1:
                    score += GRADE_SAME if grades[0][0] == grades[1][0] else GRADE_ADJACENT
                else:
                    score += np.where(pg[p, None] == qg[None, q], kind(GRADE_SAME),
                                      kind(GRADE_ADJACENT))
                score += np.where(pt[p, None] == qt[None, q], kind(TEAM),
                                  np.where(pv[p, None] == qv[None, q], kind(DIVISION), kind(0)))
                duty = None
                lo, hi = np.searchsorted(di, [p[0], p[-1] + 1])
                if hi > lo:
                    post_at[q] = np.arange(len(q))
                    i, j = np.searchsorted(p, di[lo:hi]), post_at[dj[lo:hi]]
                    inside = (p[np.minimum(i, len(p) - 1)] == di[lo:hi]) & (j >= 0)
                    post_at[q] = -1
                    if inside.any():
                        duty = np.zeros(score.shape, dtype=bool)
                        duty[i[inside], j[inside]] = True
                        score[i[inside], j[inside]] = dv[lo:hi][inside]
                if at_least is None:
                    yield (np.repeat(p, len(q)), np.tile(q, len(p)), score.ravel(),
                           np.zeros(score.size, bool) if duty is None else duty.ravel())
                    continue
                # Only each person's best here: no other pair can be their best.
                top = score.max(axis=1)
                rows = np.flatnonzero(top >= at_least)
                if len(rows):
                    best = score[rows]
                    i, j = np.nonzero(best == top[rows, None])
                    yield p[rows[i]], q[j], best[i, j], None


def _pairs(blocks) -> tuple[np.ndarray, ...]:
    """The blocks of `_scored` end to end: person positions, post positions, scores and
    whether each is a duties match (None when the blocks do not say)."""
    blocks = list(blocks)
    if not blocks:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), None
    i, j, score, duty = (np.concatenate(b) if b[0] is not None else None
                         for b in zip(*blocks, strict=True))
    return i, j, score.astype(np.int64), duty


def _sort_rank(s: pd.Series) -> np.ndarray:
    """Each value's place in sorted order (missing last, as `sort_values` puts it)."""
    codes, uniques = pd.factorize(s, sort=True)
    return np.where(codes < 0, len(uniques), codes)


def match_scores(people: pd.DataFrame, posts: pd.DataFrame, grade_rank: Mapping[str, int],
                 duties: Mapping[tuple[str, str], int] | None = None) -> pd.DataFrame:
    """A score per (person, post) within one grade (SCORE_COLUMNS); `basis` says whether the
    score is the user's duties match or the proxy.

    people: employee_id, grade, team, division, title. posts: post_id, grade, team,
    division, title."""
    if not len(people) or not len(posts):
        return pd.DataFrame(columns=SCORE_COLUMNS)
    i, j, score, duty = _pairs(_scored(people, posts, grade_rank, duties))
    if not len(i):
        return pd.DataFrame(columns=SCORE_COLUMNS)
    # By employee id, then post id: sorted on integer ranks, not on the strings.
    order = np.lexsort((_sort_rank(posts["post_id"])[j], _sort_rank(people["employee_id"])[i]))
    i, j = i[order], j[order]
    return pd.DataFrame({
        "employee_id": people["employee_id"].to_numpy()[i],
        "post_id": posts["post_id"].to_numpy()[j], "score": score[order],
        "basis": np.array(["proxy", "duties match"], dtype=object)[duty[order].view(np.int8)]})


def suggest(people: pd.DataFrame, posts: pd.DataFrame, grade_rank: Mapping[str, int], *,
            threshold: int = 70, duties: Mapping[tuple[str, str], int] | None = None,
            own: Mapping[str, str] | None = None) -> Suggestions:
    """Slot-ins where a post has no more candidates than places, pools where it has more, and
    the rest at risk. posts also carries `places` (1 while the post has FTE free). `own` maps
    a person to the changed post that continues their own: that slot-in comes first (score
    100), because the job is theirs unless the change makes it a different one."""
    first = []
    if own:
        ids = set(people["employee_id"])
        places = posts.groupby("post_id", sort=False)["places"].sum().to_dict()
        first = [{"employee_id": e, "post_id": q, "score": 100} for e, q in sorted(own.items())
                 if e in ids and int(places.get(q, 0)) > 0]
    if first:
        done = {f["employee_id"] for f in first}
        taken = {f["post_id"] for f in first}
        people = people[~people["employee_id"].isin(done)]
        posts = posts.assign(places=np.where(posts["post_id"].isin(taken), 0, posts["places"]))
    found = _suggest(people, posts, grade_rank, threshold=threshold, duties=duties)
    slots = pd.concat([pd.DataFrame(first, columns=SLOT_COLUMNS), found.slot_ins],
                      ignore_index=True) if first else found.slot_ins
    return Suggestions(slot_ins=slots.astype({"score": "int64"}), pools=found.pools,
                       at_risk=found.at_risk)


def _suggest(people: pd.DataFrame, posts: pd.DataFrame, grade_rank: Mapping[str, int], *,
             threshold: int, duties: Mapping[tuple[str, str], int] | None) -> Suggestions:
    """Posts alike in title, grade, team and division are one group with as many places as
    posts (six Service Desk Analyst posts take six people), so that a tie does not pile every
    candidate onto the lowest post id."""
    posts = posts[posts["places"] > 0].copy()
    key = ["title", "grade", "team", "division"]
    posts["group"] = posts.groupby(key, sort=False).ngroup()
    i, j, score, _ = _pairs(_scored(people, posts, grade_rank, duties, at_least=threshold)
                            if len(people) and len(posts) else [])
    good = pd.DataFrame({"employee_id": people["employee_id"].to_numpy()[i],
                         "post_id": posts["post_id"].to_numpy()[j], "score": score})
    good = good.merge(posts[["post_id", "group"]], on="post_id")
    best = (good.sort_values(["employee_id", "score", "post_id"],
                             ascending=[True, False, True])
            .drop_duplicates("employee_id"))
    # Each group's candidates by score, then employee id; its places by post id.
    best = best[best["group"].notna()].sort_values(["group", "score", "employee_id"],
                                                   ascending=[True, False, True])
    rooms = posts.sort_values("post_id").groupby("group", sort=True)["post_id"].agg(list)
    group, who = best["group"].to_numpy(), best["employee_id"].to_numpy()
    score = best["score"].to_numpy()
    edges = [0, *(np.flatnonzero(group[1:] != group[:-1]) + 1).tolist(), len(best)]
    slots, pools = [], []
    for a, z in zip(edges[:-1], edges[1:], strict=True):
        if a == z:
            continue
        room = rooms[group[a]]
        if z - a <= len(room):
            slots += [{"employee_id": who[k], "post_id": q, "score": int(score[k])}
                      for k, q in zip(range(a, z), room, strict=False)]
        else:
            pools.append({"post_ids": room, "places": len(room),
                          "candidates": sorted(who[a:z])})
    placed = {s["employee_id"] for s in slots} | {e for p in pools for e in p["candidates"]}
    return Suggestions(
        slot_ins=pd.DataFrame(slots, columns=SLOT_COLUMNS),
        pools=pd.DataFrame(pools, columns=POOL_COLUMNS),
        at_risk=sorted(set(people["employee_id"]) - placed))


def redeployment(at_risk: pd.DataFrame, vacancies: pd.DataFrame, grade_rank: Mapping[str, int],
                 *, trial_start: dt.date) -> pd.DataFrame:
    """Each person at risk against each vacancy within one grade, people on family leave first
    (REDEPLOY_COLUMNS). at_risk: employee_id, grade, family_leave. vacancies: post_id,
    grade."""
    if not len(at_risk) or not len(vacancies):
        return pd.DataFrame(columns=REDEPLOY_COLUMNS)
    p = at_risk.assign(rank=at_risk["grade"].map(grade_rank)).dropna(subset=["rank"])
    v = vacancies.assign(rank=vacancies["grade"].map(grade_rank)).dropna(subset=["rank"])
    pairs = p.merge(v, how="cross", suffixes=("", "_post"))
    pairs["grade_gap"] = (pairs["rank_post"] - pairs["rank"]).astype(int)
    pairs = pairs[pairs["grade_gap"].abs() <= 1]
    pairs = pairs.assign(family_leave=pairs["family_leave"].astype(bool),
                         trial_ends=trial_start + dt.timedelta(days=TRIAL_DAYS - 1))
    pairs = pairs.sort_values(["family_leave", "grade_gap", "employee_id", "post_id"],
                              ascending=[False, True, True, True],
                              key=lambda s: s.abs() if s.name == "grade_gap" else s)
    return pairs[REDEPLOY_COLUMNS].reset_index(drop=True)


def places_left(posts: pd.DataFrame, taken_fte: Mapping[str, Decimal]) -> pd.Series:
    """1 for a post with any of its FTE still free, else 0: a post is one job of at most 1 FTE
    (planner.establishment.validation.MAX_FTE), so it has one place or none."""
    return pd.Series([1 if Decimal(str(f)) - taken_fte.get(p, Decimal(0)) > 0 else 0
                      for p, f in zip(posts["post_id"], posts["fte"], strict=True)],
                     index=posts.index, dtype="int64")


def suggestions_for(*, session: Session, actor: Actor, structure: str | int | Structure,
                    threshold: int | None = None) -> tuple[Suggestions, pd.DataFrame]:
    """The suggestions for the people of an option who still need an outcome, and the posts
    they were matched against (mapping.read)."""
    from planner.core.config import get_settings
    from planner.establishment.reference import grade_table
    from planner.people.mapping import AGENCY_CONTRACTS, available_posts, mapping_frame

    frame = mapping_frame(session=session, actor=actor, structure=structure)
    option_id = int(frame.attrs["structure_id"])
    posts = available_posts(session, option_id, frame)
    posts = posts.assign(places=places_left(posts, posts.attrs["taken"]))
    people = frame[(frame["outcome"] == "") & ~frame["contract"].isin(AGENCY_CONTRACTS)]
    grades = {name: band.sort_order for name, band in grade_table(session).items()}
    t = get_settings().slot_in_threshold if threshold is None else threshold
    duties = {(e, str(q)): int(d) for e, q, d in zip(
        frame["employee_id"], frame["option_post_id"], frame["duties_match"], strict=True)
        if d is not None and not pd.isna(d) and q}
    return suggest(people, posts, grades, threshold=t, duties=duties,
                   own=posts.attrs["own"]), posts


def redeployment_for(*, session: Session, actor: Actor, structure: str | int | Structure,
                     trial_start: dt.date) -> pd.DataFrame:
    """Each person mapped at risk in an option against the option's vacancies within one
    grade (planner.people.mapping.vacant_posts), people on maternity, adoption or shared
    parental leave first: they must be offered a suitable vacancy before anyone else
    (Maternity and Parental Leave etc. Regulations 1999 reg.10, Paternity and Adoption Leave
    Regulations 2002 reg.23, Shared Parental Leave Regulations 2014 reg.39; DOMAIN.md §4). `trial_ends`: the statutory four-week trial (ERA s.138(3)) from
    `trial_start`. Adds name and the vacancy's title (mapping.read)."""
    from planner.establishment.reference import grade_table
    from planner.people.mapping import mapping_frame, vacant_posts

    frame = mapping_frame(session=session, actor=actor, structure=structure)
    at_risk = frame[frame["outcome"] == "at-risk"]
    people = pd.DataFrame({"employee_id": at_risk["employee_id"],
                           "grade": [str(g).split("; ")[0] for g in at_risk["grade"]],
                           "family_leave": at_risk["on_family_leave"].astype(bool)})
    vacancies = vacant_posts(session, int(frame.attrs["structure_id"]), frame)
    grades = {name: band.sort_order for name, band in grade_table(session).items()}
    out = redeployment(people, vacancies[["post_id", "grade"]], grades, trial_start=trial_start)
    names = dict(zip(frame["employee_id"], frame["name"], strict=True))
    titles = dict(zip(vacancies["post_id"], vacancies["title"], strict=True))
    out.insert(1, "name", out["employee_id"].map(names))
    out.insert(3, "title", out["post_id"].map(titles))
    return out
