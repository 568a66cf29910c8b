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
theirs), so the pairs grow with the posts of three grades, not with every post.
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


def _title_score(a: pd.Series, b: pd.Series) -> np.ndarray:
    pairs = pd.DataFrame({"a": a.str.lower().str.strip(), "b": b.str.lower().str.strip()})
    unique = pairs.drop_duplicates()
    ratio = {(x, y): SequenceMatcher(None, x, y).ratio()
             for x, y in zip(unique["a"], unique["b"], strict=True)}
    return np.array([round(ratio[(x, y)] * TITLE) for x, y in
                     zip(pairs["a"], pairs["b"], strict=True)], dtype=np.int64)


def match_scores(people: pd.DataFrame, posts: pd.DataFrame, grade_rank: Mapping[str, int],
                 duties: Mapping[tuple[str, str], int] | None = None) -> pd.DataFrame:
    """A score per (person, post) within one grade (SCORE_COLUMNS); `basis` says whether the
    score is the user's duties match or the proxy.

    people: employee_id, grade, team, division, title. posts: post_id, grade, team,
    division, title."""
    if not len(people) or not len(posts):
        return pd.DataFrame(columns=SCORE_COLUMNS)
    p = people[["employee_id", "grade", "team", "division", "title"]].copy()
    q = posts[["post_id", "grade", "team", "division", "title"]].copy()
    p["rank"] = p["grade"].map(grade_rank)
    q["rank"] = q["grade"].map(grade_rank)
    p, q = p.dropna(subset=["rank"]), q.dropna(subset=["rank"])
    blocks = [q.assign(rank=q["rank"] - d) for d in (-1, 0, 1)]
    pairs = p.merge(pd.concat(blocks, ignore_index=True), on="rank", suffixes=("", "_post"))
    if not len(pairs):
        return pd.DataFrame(columns=SCORE_COLUMNS)
    same_grade = (pairs["grade"] == pairs["grade_post"]).to_numpy()
    score = np.where(same_grade, GRADE_SAME, GRADE_ADJACENT)
    score += np.where((pairs["team"] == pairs["team_post"]).to_numpy(), TEAM,
                      np.where((pairs["division"] == pairs["division_post"]).to_numpy(),
                               DIVISION, 0))
    score += _title_score(pairs["title"].astype(str), pairs["title_post"].astype(str))
    out = pd.DataFrame({"employee_id": pairs["employee_id"].to_numpy(),
                        "post_id": pairs["post_id"].to_numpy(), "score": score,
                        "basis": "proxy"})
    if duties:
        given = [duties.get((e, q)) for e, q in zip(out["employee_id"], out["post_id"],
                                                     strict=True)]
        has = np.array([g is not None for g in given])
        out.loc[has, "score"] = [int(g) for g in given if g is not None]
        out.loc[has, "basis"] = "duties match"
    return out.sort_values(["employee_id", "post_id"]).reset_index(drop=True)


def suggest(people: pd.DataFrame, posts: pd.DataFrame, grade_rank: Mapping[str, int], *,
            threshold: int = 70, duties: Mapping[tuple[str, str], int] | None = None,
            own: Mapping[str, str] | None = None) -> Suggestions:
    """Slot-ins where a post has no more candidates than places, pools where it has more, and
    the rest at risk. posts also carries `places` (1 while the post has FTE free). `own` maps
    a person to the changed post that continues their own: that slot-in comes first (score
    100), because the job is theirs unless the change makes it a different one."""
    first = [{"employee_id": e, "post_id": q, "score": 100} for e, q in sorted((own or {}).items())
             if e in set(people["employee_id"])
             and int(posts.loc[posts["post_id"] == q, "places"].sum()) > 0]
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
    scores = match_scores(people, posts, grade_rank, duties)
    scores = scores.merge(posts[["post_id", "group"]], on="post_id")
    good = scores[scores["score"] >= threshold]
    best = (good.sort_values(["employee_id", "score", "post_id"],
                             ascending=[True, False, True])
            .drop_duplicates("employee_id"))
    slots, pools = [], []
    for group, chosen in best.groupby("group", sort=True):
        members = posts[posts["group"] == group].sort_values("post_id")
        room = list(members["post_id"])
        chosen = chosen.sort_values(["score", "employee_id"], ascending=[False, True])
        if len(chosen) <= len(room):
            slots += [{"employee_id": e, "post_id": q, "score": int(s)} for (e, s), q in
                      zip(zip(chosen["employee_id"], chosen["score"], strict=True), room,
                          strict=False)]
        else:
            pools.append({"post_ids": room, "places": len(room),
                          "candidates": sorted(chosen["employee_id"])})
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
