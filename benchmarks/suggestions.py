"""Suggestions benchmark (issue 12): `planner.people.suggestions.suggest` for 10,000 and 50,000
people being displaced, against a plain numpy computation of the same match-score arithmetic,
in the same run and on the same data. There is about one option post for every 4.5 people, on
Scale 1-6, SO1-2 and PO1-PO7, in 288 teams of 12 divisions with 360 titles. Everyone is scored
against every post within one grade of theirs. That is 5 million pairs at 10,000 people and
130 million at 50,000. Some people have a duties match entered by the user, and some have
their own continuing post. The plain version scores each grade's people against the posts
within one grade with numpy broadcasting. It uses a title table made with difflib's ratio for
the distinct title pairs that meet. Its scores must equal `match_scores`'s for every pair, or
the run fails. Target: suggestions for 50,000 people under 5 s.

Writes its section of benchmarks/results.md. Run: `.venv/bin/python -m benchmarks.suggestions`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import footer, log, samples_text, timed
from benchmarks.generate import DIVISIONS, TEAM_WORDS
from benchmarks.sections import update_section
from planner.people.suggestions import (
    DIVISION,
    GRADE_ADJACENT,
    GRADE_SAME,
    TEAM,
    TITLE,
    match_scores,
    suggest,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
SIZES = (10_000, 50_000)
TARGET_S = 5.0
THRESHOLD = 70
GRADES = [
    "Scale 1",
    "Scale 2",
    "Scale 3",
    "Scale 4",
    "Scale 5",
    "Scale 6",
    "SO1",
    "SO2",
    "PO1",
    "PO2",
    "PO3",
    "PO4",
    "PO5",
    "PO6",
    "PO7",
]
GRADE_RANK = {g: i for i, g in enumerate(GRADES)}
# More people on the middle scales than at the top, as in a council.
GRADE_WEIGHTS = np.array([3, 6, 9, 10, 10, 9, 8, 7, 7, 6, 5, 4, 3, 2, 1], dtype=float)
AREAS = [
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Schools",
    "Housing",
    "Adults",
    "Children",
    "Highways",
    "Libraries",
    "Parking",
    "Waste",
    "Planning",
    "Revenues",
    "Benefits",
]
# Title roles by grade band: Scale 1-3, Scale 4-6, SO1-2, PO1-PO4, PO5-PO7.
ROLES = [
    ["Assistant", "Clerk", "Administrator", "Support Worker"],
    ["Officer", "Senior Assistant", "Coordinator", "Technician"],
    ["Senior Officer", "Team Supervisor", "Specialist", "Adviser"],
    ["Analyst", "Team Leader", "Senior Adviser", "Project Officer"],
    ["Manager", "Service Manager", "Principal Officer", "Head of Unit"],
]
BAND = np.array([0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4])
CHECK_CHUNK = 5_000  # people per match_scores call when checking every pair


def data(n: int, seed: int = 12) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict]:
    """n people needing an outcome, about n / 4.5 option posts (half reshaped from a person's
    job, half new; 5% already filled), and the duties matches (0.5% of people) and own
    continuing posts (1%) that `suggestions_for` would pass."""
    rng = np.random.default_rng(seed)
    words = np.array(TEAM_WORDS, dtype=object)  # 18 specialities
    teams = np.array([f"{w} {a}" for w in TEAM_WORDS for a in AREAS], dtype=object)
    team_word = np.array([w for w in TEAM_WORDS for _ in AREAS], dtype=object)
    team_division = np.array(DIVISIONS, dtype=object)[rng.integers(0, len(DIVISIONS), len(teams))]
    p = GRADE_WEIGHTS / GRADE_WEIGHTS.sum()

    def jobs(k: int) -> dict[str, np.ndarray]:
        grade = rng.choice(len(GRADES), k, p=p)
        team = rng.integers(0, len(teams), k)
        band = BAND[grade]
        role = rng.integers(0, 4, k)
        spec = np.where(rng.random(k) < 0.7, team_word[team], rng.choice(words, k))
        title = np.array(
            [f"{s} {ROLES[b][r]}" for s, b, r in zip(spec, band, role, strict=True)], dtype=object
        )
        return {
            "grade": np.array(GRADES, dtype=object)[grade],
            "team": teams[team],
            "division": team_division[team],
            "title": title,
        }

    people = pd.DataFrame({"employee_id": [f"E{i:06d}" for i in range(n)], **jobs(n)})
    m = round(n / 4.5)
    reshaped = rng.choice(n, m // 2, replace=False)
    new = jobs(m - len(reshaped))
    posts = pd.DataFrame(
        {
            "post_id": [f"N{j:06d}" for j in range(m)],
            **{
                c: np.concatenate([people[c].to_numpy()[reshaped], new[c]])
                for c in ("grade", "team", "division", "title")
            },
            "places": (rng.random(m) >= 0.05).astype(np.int64),
        }
    )
    own = {
        people.at[int(i), "employee_id"]: posts.at[j, "post_id"]
        for j, i in enumerate(reshaped[: n // 100])
    }
    by_grade = posts.groupby("grade")["post_id"].agg(list)
    duties = {}
    for i in rng.choice(n, n // 200, replace=False):
        grade = GRADES[
            min(GRADE_RANK[people.at[int(i), "grade"]] + int(rng.integers(-1, 2)), len(GRADES) - 1)
        ]
        if grade in by_grade.index:
            ids = by_grade[grade]
            duties[(people.at[int(i), "employee_id"], ids[rng.integers(len(ids))])] = int(
                rng.integers(40, 101)
            )
    return people, posts, duties, own


def plain_scores(
    people: pd.DataFrame,
    posts: pd.DataFrame,
    rank: dict[str, int],
    duties: dict[tuple[str, str], int],
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every (person, post) pair within one grade and its score, with numpy: per grade, a
    matrix of that grade's people against the posts of the grades either side (person
    positions, post positions, scores)."""

    def codes(col: str) -> tuple[np.ndarray, np.ndarray]:
        both, _ = pd.factorize(pd.concat([people[col], posts[col]], ignore_index=True))
        return both[: len(people)], both[len(people) :]

    pg, qg = codes("grade")
    pt, qt = codes("team")
    pd_, qd = codes("division")
    pr = people["grade"].map(rank).to_numpy()
    qr = posts["grade"].map(rank).to_numpy()
    ptl, ptitles = pd.factorize(people["title"].str.lower().str.strip())
    qtl, qtitles = pd.factorize(posts["title"].str.lower().str.strip())
    table = np.full((len(ptitles), len(qtitles)), -1, dtype=np.int16)
    matcher = SequenceMatcher(None)
    ids = pd.DataFrame(list(duties), columns=["employee_id", "post_id"]).assign(
        score=list(duties.values())
    )
    ids = ids.merge(
        pd.DataFrame(
            {"employee_id": people["employee_id"].to_numpy(), "i": np.arange(len(people))}
        ),
        on="employee_id",
    )
    ids = ids.merge(
        pd.DataFrame({"post_id": posts["post_id"].to_numpy(), "j": np.arange(len(posts))}),
        on="post_id",
    )
    di, dj, dv = ids["i"].to_numpy(), ids["j"].to_numpy(), ids["score"].to_numpy(np.int16)
    local = np.full(len(posts), -1)
    out = []
    for r in np.unique(pr[~np.isnan(pr)]):
        i = np.flatnonzero(pr == r)
        j = np.flatnonzero(np.abs(qr - r) <= 1)
        if not len(j):
            continue
        ua = np.unique(ptl[i])
        for b in np.unique(qtl[j]):
            missing = ua[table[ua, b] < 0]
            if len(missing):
                matcher.set_seq2(qtitles[b])  # = SequenceMatcher(None, a, b) for each a
                for a in missing:
                    matcher.set_seq1(ptitles[a])
                    table[a, b] = round(matcher.ratio() * TITLE)
        score = np.where(pg[i, None] == qg[None, j], np.int16(GRADE_SAME), np.int16(GRADE_ADJACENT))
        score += np.where(
            pt[i, None] == qt[None, j],
            np.int16(TEAM),
            np.where(pd_[i, None] == qd[None, j], np.int16(DIVISION), np.int16(0)),
        )
        score += table[ptl[i, None], qtl[None, j]]
        local[j] = np.arange(len(j))
        pos = np.searchsorted(i, di)
        inside = (pos < len(i)) & (i[np.minimum(pos, len(i) - 1)] == di) & (local[dj] >= 0)
        score[pos[inside], local[dj[inside]]] = dv[inside]
        local[j] = -1
        out.append((i, j, score))
    return out


def check(people: pd.DataFrame, posts: pd.DataFrame, duties: dict) -> int:
    """`match_scores` against the plain scores for every pair, CHECK_CHUNK people at a time
    (to keep memory low); the number of pairs checked. Stops the run at the first difference.
    The ids are zero-padded, so their order is the rows' order, which is how `match_scores`
    sorts its pairs."""
    pairs = 0
    for start in range(0, len(people), CHECK_CHUNK):
        some = people.iloc[start : start + CHECK_CHUNK]
        ours = match_scores(some, posts, GRADE_RANK, duties)
        blocks = plain_scores(some, posts, GRADE_RANK, duties)
        i = np.concatenate([np.repeat(i, len(j)) for i, j, _ in blocks])
        j = np.concatenate([np.tile(j, len(i)) for i, j, _ in blocks])
        score = np.concatenate([s.ravel() for *_, s in blocks])
        order = np.argsort(i * len(posts) + j, kind="stable")
        i, j, score = i[order], j[order], score[order]
        same = (
            len(ours) == len(score)
            and (ours["employee_id"].to_numpy() == some["employee_id"].to_numpy()[i]).all()
            and (ours["post_id"].to_numpy() == posts["post_id"].to_numpy()[j]).all()
            and (ours["score"].to_numpy() == score).all()
        )
        if not same:
            raise SystemExit(
                f"scores differ for people {start:,}-{start + len(some) - 1:,}: "
                f"{len(ours):,} pairs from match_scores, {len(score):,} plain"
            )
        pairs += len(ours)
    return pairs


def run(repeat: int, sizes: tuple[int, ...] = SIZES) -> str:
    started = time.perf_counter()
    rows = [
        "| people | posts | pairs scored | suggest (s) | plain numpy (s) | ratio "
        "| slot-ins / pools / at risk | samples (suggest) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    verdict = "not measured"
    for n in sizes:
        people, posts, duties, own = data(n)
        log(f"{n:,} people, {len(posts):,} posts")
        ours, result = timed(
            lambda a=people, b=posts, d=duties, o=own: suggest(
                a, b, GRADE_RANK, threshold=THRESHOLD, duties=d, own=o
            ),
            repeat,
        )
        log(f"  suggest {statistics.median(ours):.3f} s")
        base, _ = timed(
            lambda a=people, b=posts, d=duties: plain_scores(a, b, GRADE_RANK, d), repeat
        )
        log(f"  plain {statistics.median(base):.3f} s; checking every pair")
        pairs = check(people, posts, duties)
        ratio = statistics.median(ours) / statistics.median(base)
        outcome = f"{len(result.slot_ins):,} / {len(result.pools):,} / {len(result.at_risk):,}"
        rows.append(
            f"| {n:,} | {len(posts):,} | {pairs:,} | {statistics.median(ours):.3f} "
            f"| {statistics.median(base):.3f} | {ratio:.1f}× | {outcome} "
            f"| {samples_text(ours)} |"
        )
        if n == SIZES[-1]:
            took = statistics.median(ours)
            verdict = ("**met**" if took < TARGET_S else "**missed**") + (
                f" ({took:.2f} s at {n:,})"
            )
    return "\n".join(
        [
            "## Mapping suggestions (issue 12)",
            "",
            "`planner.people.suggestions.suggest`: match scores for every person against every",
            "option post within one grade, each person's best post at or above the 70% threshold,",
            "slot-ins, pools and the people at risk, with duties matches for 0.5% of people and",
            "own continuing posts for 1%. It runs against plain numpy scoring the same pairs",
            "(per grade, by broadcasting, with a difflib title table). `match_scores` and the",
            "plain version give the same score for every pair. Synthetic data: about one post",
            "per 4.5 people, 15 grades (Scale 1 to PO7), 288 teams in 12 divisions, 360 titles.",
            "The plain version keeps every pair's score. `suggest` keeps only each person's",
            "best pairs, so it can be the faster of the two. Both spend much of their time",
            "in difflib, on the distinct title pairs (about 67,000 at 50,000 people).",
            f"Medians of {repeat} runs, in seconds. Target: suggestions for 50,000 people under "
            f"5 s: {verdict}.",
            "",
            *rows,
            "",
            footer(started),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="comma-separated numbers of people (default 10000,50000)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    text = run(args.repeat, tuple(int(s) for s in args.sizes.split(",") if s.strip()))
    update_section(args.out, "suggestions", text)
    print(text)


if __name__ == "__main__":
    main()
