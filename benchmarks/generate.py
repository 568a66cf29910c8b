"""A synthetic establishment of any size, valid against the import rules (DESIGN.md "Interchange
format"), for the benchmarks.

Everything is vectorised with numpy: the tree is built level by level (at most 8 levels), each
level's posts being shared out among some of the previous level's posts with spans of 3–12, so
50,000 posts take well under a second. The same seed gives the same establishment.

The shape, in numbers:
- one root post (SM3, filled by a permanent employee with an `annual_salary`);
- spans of 3–12 for every manager, about 7 on average; depth up to 8 levels;
- grades from data/grades.csv, every manager graded above each of their reports;
- ~70% of posts filled by permanent or fixed-term employees (a few as 0.5 + 0.5 job shares),
  ~15% covered by an interim or agency worker (day rate, no spinal point), ~15% vacant;
- employees on a spinal point inside their post's grade, senior grades (SM1–SM3) with an
  `annual_salary` as well; nobody works more FTE than their post has;
- ISO dates: ages 21–64 on 1 April 2026, nobody starting before 18, TUPE transferees with a
  continuous-service date from before their transfer.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd

from planner.core.config import DATA_DIR

POST_COLUMNS = ["post_id", "title", "division", "team", "reports_to", "grade", "fte", "partner",
                "funding", "notes"]
PEOPLE_COLUMNS = ["employee_id", "name", "post_id", "contract", "fte", "scp", "annual_salary",
                  "day_rate", "start_date", "continuous_service_date", "date_of_birth", "origin",
                  "tupe_transfer_date"]

MAX_DEPTH = 8
MIN_SPAN, MAX_SPAN, MEAN_SPAN = 3, 12, 7
REFERENCE_DATE = np.datetime64("2026-04-01", "D")
DAYS_A_YEAR = 365.25

DIVISIONS = ["Infrastructure", "Applications", "Service Desk", "Cyber Security", "Data & Insight",
             "Digital Services", "Architecture", "Programmes", "Commercial", "Business Support",
             "Networks", "End User Computing"]
TEAM_WORDS = ["Platforms", "Hosting", "Identity", "Telephony", "Integration", "Reporting",
              "Field Support", "Projects", "Change", "Licensing", "Procurement", "Testing",
              "Release", "Monitoring", "Storage", "Web", "Records", "Training"]
# Titles by grade band (0 Scale, 1 SO, 2 PO1–PO4, 3 PO5–PO8, 4 senior) and by whether the post
# manages others.
TITLES = {
    (0, False): ["Administrator", "Support Assistant", "Business Support Assistant"],
    (0, True): ["Supervisor", "Senior Administrator"],
    (1, False): ["IT Support Officer", "Service Desk Analyst", "Officer"],
    (1, True): ["Senior Support Officer", "Shift Supervisor"],
    (2, False): ["Senior IT Support Officer", "Analyst", "Engineer", "Developer"],
    (2, True): ["Team Leader", "Senior Engineer"],
    (3, False): ["Technical Architect", "Senior Project Manager", "Principal Engineer"],
    (3, True): ["Service Manager", "Operations Manager"],
    (4, False): ["Programme Director", "Chief Technology Adviser"],
    (4, True): ["Head of Service", "Assistant Director"],
}
PARTNERS = (["shared", "Brent", "Lewisham", "Southwark", "LGA"], [0.6, 0.13, 0.12, 0.1, 0.05])
FUNDING = (["base", "project"], [0.85, 0.15])
NOTES = (["", "Ring-fenced for the restructure", "Funded to March 2027", "Grant funded",
          "Hybrid: two days on site"], [0.9, 0.03, 0.03, 0.02, 0.02])
POST_FTES = (["1", "0.8", "0.6", "0.5"], [0.88, 0.04, 0.04, 0.04])
EMPLOYEE_ORIGINS = (["Brent", "Lewisham", "Southwark", "Capita by TUPE", "Southwark by TUPE"],
                    [0.45, 0.25, 0.1, 0.12, 0.08])
TUPE_DATES = {"Capita by TUPE": "2016-04-01", "Southwark by TUPE": "2017-04-01"}
SENIOR_SALARY = {"SM1": (80_000, 95_000), "SM2": (95_000, 115_000), "SM3": (115_000, 140_000)}
FIRST_NAMES = ["Ada", "Bola", "Ciaran", "Deepa", "Eilidh", "Femi", "Grace", "Hamza", "Imogen",
               "Jamal", "Kavita", "Liam", "Maryam", "Niall", "Olu", "Priya", "Quentin", "Rhian",
               "Sanjay", "Tomasz", "Uzma", "Viktor", "Wen", "Xavier", "Yasmin", "Zoe", "Aled",
               "Bronwen", "Chidi", "Dominika", "Emeka", "Fatima", "Gareth", "Hana", "Ivan",
               "Joanna", "Kwame", "Leila", "Marek", "Nadia"]
SURNAMES = ["Adebayo", "Bennett", "Chowdhury", "Doyle", "Evans", "Fernandes", "Gill", "Hughes",
            "Ibrahim", "Jones", "Kowalski", "Lewis", "Mensah", "Nowak", "Okafor", "Patel",
            "Quinn", "Roberts", "Shah", "Thomas", "Usman", "Vaughan", "Williams", "Xu", "Young",
            "Zielinski", "Ahmed", "Brown", "Campbell", "Davies", "Edwards", "Francis", "Green",
            "Hussain", "Iqbal", "Johnson", "Khan", "Lee", "Murphy", "Nguyen"]


def load_grades() -> pd.DataFrame:
    """The shipped grade table, in pay order (row position = rank)."""
    return pd.read_csv(DATA_DIR / "grades.csv", dtype={"grade": str, "family": str})


def _growth(n: int, depth: int) -> float:
    """The ratio g with 1 + g + … + g^(depth-1) = n (bisection)."""
    lo, hi = 1.0, float(n)
    for _ in range(100):
        mid = (lo + hi) / 2
        if sum(mid**k for k in range(depth)) < n:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def level_sizes(n_posts: int) -> list[int]:
    """Posts per level: the fewest levels whose growth gives spans of about 7 or fewer."""
    if n_posts < 4:
        raise ValueError("An establishment with spans of 3–12 needs at least 4 posts.")
    feasible: list[list[int]] = []
    for depth in range(2, MAX_DEPTH + 1):
        g = _growth(n_posts, depth)
        sizes = [1]
        for _ in range(depth - 2):
            sizes.append(max(MIN_SPAN, round(sizes[-1] * g)))
        sizes.append(n_posts - sum(sizes))
        ok = all(MIN_SPAN <= c <= MAX_SPAN * m for m, c in zip(sizes, sizes[1:], strict=False))
        if ok and g <= MEAN_SPAN:
            return sizes
        if ok:
            feasible.append(sizes)
    if not feasible:
        raise ValueError(f"Cannot shape {n_posts} posts into {MAX_DEPTH} levels of spans 3–12.")
    return feasible[0]


def _spans(rng: np.random.Generator, managers: int, children: int) -> np.ndarray:
    """`managers` spans, each 3–12, adding up to `children`."""
    extra = rng.multinomial(children - MIN_SPAN * managers, rng.dirichlet(np.full(managers, 3.0)))
    room = MAX_SPAN - MIN_SPAN
    while (over := int(np.maximum(extra - room, 0).sum())) > 0:
        extra = np.minimum(extra, room)
        free = np.flatnonzero(extra < room)
        extra[free] += rng.multinomial(over, np.full(free.size, 1.0 / free.size))
    return MIN_SPAN + extra


def _tree(rng: np.random.Generator, n_posts: int) -> tuple[np.ndarray, np.ndarray]:
    """(parent index or -1, level) per post, in breadth-first order."""
    sizes = level_sizes(n_posts)
    parent = np.full(n_posts, -1, dtype=np.int64)
    level = np.zeros(n_posts, dtype=np.int64)
    start = 0
    for k, (m, c) in enumerate(zip(sizes, sizes[1:], strict=False)):
        q = int(np.clip(round(c / MEAN_SPAN), -(-c // MAX_SPAN), min(m, c // MIN_SPAN)))
        managers = np.sort(rng.choice(m, size=q, replace=False)) + start
        child = slice(start + m, start + m + c)
        parent[child] = np.repeat(managers, _spans(rng, q, c))
        level[child] = k + 1
        start += m
    return parent, level


def _pick(rng: np.random.Generator, choices: tuple[list[str], list[float]], n: int) -> np.ndarray:
    values, p = choices
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p)]


def _iso(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), 6)).astype(object)


def generate(n_posts: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(posts, people) in the interchange format, every cell a string ('' for blank)."""
    rng = np.random.default_rng(seed)
    grades = load_grades()
    n_grades = len(grades)
    parent, level = _tree(rng, n_posts)
    depth = int(level.max()) + 1
    is_manager = np.zeros(n_posts, dtype=bool)
    is_manager[parent[parent >= 0]] = True

    # Grades: top of the pay order at the root, dropping 1–3 grades per level, never below the
    # floor that leaves room for the levels underneath (so every manager outranks their reports).
    rank = np.zeros(n_posts, dtype=np.int64)
    rank[0] = n_grades - 1
    drop = np.where(level == 1, rng.choice([1, 2], size=n_posts),
                    rng.choice([1, 2, 3], size=n_posts, p=[0.5, 0.35, 0.15]))
    division = np.zeros(n_posts, dtype=np.int64)
    team = np.zeros(n_posts, dtype=np.int64)
    for k in range(1, depth):
        at = np.flatnonzero(level == k)
        rank[at] = np.maximum(rank[parent[at]] - drop[at], depth - 1 - k)
        if k == 1:
            division[at] = np.arange(1, at.size + 1)
        else:
            division[at] = division[parent[at]]
        team[at] = rng.integers(1, len(TEAM_WORDS) + 1, size=at.size) if k == 2 else team[parent[at]]

    grade_names = grades["grade"].to_numpy(dtype=object)
    division_names = np.asarray(["Directorate"] + [
        DIVISIONS[i % len(DIVISIONS)] + ("" if i < len(DIVISIONS) else f" {i // len(DIVISIONS) + 1}")
        for i in range(int(division.max()))], dtype=object)
    team_names = np.asarray(["Management", *TEAM_WORDS], dtype=object)
    band = np.select([rank >= n_grades - 3, rank >= 12, rank >= 8, rank >= 6], [4, 3, 2, 1], 0)
    title = np.empty(n_posts, dtype=object)
    for (b, manages), pool in TITLES.items():
        at = np.flatnonzero((band == b) & (is_manager == manages))
        title[at] = np.asarray(pool, dtype=object)[rng.integers(0, len(pool), size=at.size)]
    title[0] = "Director of Shared Technology Services"

    post_ids = _ids("P", n_posts)
    post_fte = _pick(rng, POST_FTES, n_posts)
    post_fte[0] = "1"
    partner = _pick(rng, PARTNERS, n_posts)
    partner[0] = "shared"
    posts = pd.DataFrame({
        "post_id": post_ids,
        "title": title,
        "division": division_names[division],
        "team": np.where(level <= 1, "Management", team_names[team]),
        "reports_to": np.where(parent >= 0, post_ids[np.maximum(parent, 0)], ""),
        "grade": grade_names[rank],
        "fte": post_fte,
        "partner": partner,
        "funding": _pick(rng, FUNDING, n_posts),
        "notes": _pick(rng, NOTES, n_posts),
    }, columns=POST_COLUMNS).astype(str)
    people = _people(rng, posts, rank, grades)
    return posts, people


def _people(rng: np.random.Generator, posts: pd.DataFrame, rank: np.ndarray,
            grades: pd.DataFrame) -> pd.DataFrame:
    n_posts = len(posts)
    post_fte = posts["fte"].astype(float).to_numpy()
    u = rng.random(n_posts)
    u[0] = 0.0  # the root is filled
    filled, covered = u < 0.70, (u >= 0.70) & (u < 0.85)
    job_share = filled & (post_fte == 1.0) & (rng.random(n_posts) < 0.04)
    job_share[0] = False

    # One row per occupant: employees (two for a job share), then interim/agency cover.
    emp_posts = np.sort(np.concatenate([np.flatnonzero(filled), np.flatnonzero(job_share)]))
    cover_posts = np.flatnonzero(covered)
    post_idx = np.concatenate([emp_posts, cover_posts])
    n = post_idx.size
    n_emp = emp_posts.size
    is_emp = np.arange(n) < n_emp
    fte = post_fte[post_idx].copy()
    fte[is_emp & job_share[post_idx]] = 0.5
    part_time = is_emp & ~job_share[post_idx] & (fte == 1.0) & (rng.random(n) < 0.08)
    part_time[post_idx == 0] = False
    fte[part_time] = 0.8

    contract = np.where(is_emp, np.where(rng.random(n) < 0.85, "permanent", "fixed_term"),
                        np.where(rng.random(n) < 0.55, "interim", "agency")).astype(object)
    contract[(post_idx == 0) & is_emp] = "permanent"

    r = rank[post_idx]
    lo, hi = grades["min_scp"].to_numpy()[r], grades["max_scp"].to_numpy()[r]
    scp = rng.integers(lo, hi + 1)
    grade = posts["grade"].to_numpy(dtype=object)[post_idx]
    salary = np.zeros(n, dtype=np.int64)
    for name, (low, high) in SENIOR_SALARY.items():
        at = is_emp & (grade == name)
        salary[at] = rng.integers(low // 100, high // 100 + 1, size=int(at.sum())) * 100
    day_rate = (250 + 25 * r + rng.integers(0, 12, size=n) * 10) // 5 * 5

    origin = np.where(is_emp, _pick(rng, EMPLOYEE_ORIGINS, n), "").astype(object)
    origin[(post_idx == 0) & is_emp] = "Brent"
    tupe = np.isin(origin, list(TUPE_DATES))
    tupe_date = np.full(n, REFERENCE_DATE)
    for who, when in TUPE_DATES.items():
        tupe_date[origin == who] = np.datetime64(when, "D")

    # Ages 21–64 on the reference date (TUPE transferees at least 30, so 18+ at transfer; the
    # director at least 40).
    min_age = np.where(tupe, 30.0, 21.0)
    min_age[post_idx == 0] = 40.0
    age_days = ((min_age + rng.random(n) * (65.0 - min_age)) * DAYS_A_YEAR).astype(np.int64)
    dob = REFERENCE_DATE - age_days
    adult = dob + int(18 * DAYS_A_YEAR) + 1
    earliest = np.maximum(adult, np.datetime64("1995-01-01", "D"))
    latest = REFERENCE_DATE - 30
    span = (latest - earliest).astype(np.int64)
    start = earliest + (rng.random(n) * span).astype(np.int64)
    recent = REFERENCE_DATE - rng.integers(30, 730, size=n)
    start = np.where(is_emp, start, recent)
    start = np.where(tupe, tupe_date, start)
    # Continuous service: from the start, or earlier (previous local-government service).
    back = (rng.random(n) * (start - adult).astype(np.int64)).astype(np.int64)
    earlier = tupe | (rng.random(n) < 0.3)
    css = np.where(earlier, start - back, start)

    senior = salary > 0
    people = pd.DataFrame({
        "employee_id": _ids("E", n),
        "name": np.char.add(np.char.add(
            np.asarray(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), size=n)], " "),
            np.asarray(SURNAMES)[rng.integers(0, len(SURNAMES), size=n)]).astype(object),
        "post_id": posts["post_id"].to_numpy(dtype=object)[post_idx],
        "contract": contract,
        "fte": np.where(fte == 1.0, "1", np.char.mod("%g", fte)).astype(object),
        "scp": np.where(is_emp, scp.astype(str), "").astype(object),
        "annual_salary": np.where(senior, salary.astype(str), "").astype(object),
        "day_rate": np.where(is_emp, "", day_rate.astype(str)).astype(object),
        "start_date": _iso(start),
        "continuous_service_date": np.where(is_emp, _iso(css), "").astype(object),
        "date_of_birth": _iso(dob),
        "origin": origin,
        "tupe_transfer_date": np.where(tupe, _iso(tupe_date), "").astype(object),
    }, columns=PEOPLE_COLUMNS).astype(str)
    return people


# --- files ------------------------------------------------------------------------------------


def to_csv_files(posts: pd.DataFrame, people: pd.DataFrame) -> list[tuple[str, bytes]]:
    """posts.csv and people.csv as the importer receives them (UTF-8, header row)."""
    return [("posts.csv", posts.to_csv(index=False).encode("utf-8")),
            ("people.csv", people.to_csv(index=False).encode("utf-8"))]


NUMERIC = {"fte", "scp", "annual_salary", "day_rate"}
DATES = {"start_date", "continuous_service_date", "date_of_birth", "tupe_transfer_date"}


def _typed_column(name: str, values: pd.Series) -> list:
    """Cells as a spreadsheet user would type them: numbers, real dates, empty cells."""
    blank = (values == "").to_numpy()
    if name in NUMERIC:
        nums = pd.to_numeric(values.where(~blank), errors="raise").to_numpy(dtype=float)
        out = [int(x) if x.is_integer() else x for x in nums.tolist()]
    elif name in DATES:
        out = [dt.date.fromisoformat(x) if x else None for x in values.tolist()]
    else:
        out = values.tolist()
    return [None if b else v for v, b in zip(out, blank.tolist(), strict=True)]


def to_xlsx_file(posts: pd.DataFrame, people: pd.DataFrame, *,
                 typed: bool = True) -> list[tuple[str, bytes]]:
    """One workbook, sheets `posts` and `people` (openpyxl write-only mode).

    With `typed` (the default) numbers are numbers and dates are Excel dates, as in a workbook
    someone kept by hand; otherwise every cell is the CSV text.
    """
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for sheet, frame in (("posts", posts), ("people", people)):
        ws = wb.create_sheet(sheet)
        ws.append(list(frame.columns))
        if typed:
            cols = [_typed_column(c, frame[c]) for c in frame.columns]
        else:
            cols = [[v if v != "" else None for v in frame[c].tolist()] for c in frame.columns]
        for row in zip(*cols, strict=True):
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return [("establishment.xlsx", buf.getvalue())]
