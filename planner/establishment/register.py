"""The establishment register: every post, its status and incumbents, headline metrics, edits.

Reads go through `pd.read_sql` (ORM reads are ~7x slower at 10k+ posts) and all arithmetic is
vectorised, so the page stays responsive on a county council's 50,000 posts.

Length: the register's reads (posts, who is in them, the frame the page shows, its headline
figures, filters, search and pages) and its all-or-nothing edits share the same columns and
the one rule for who is in a post; split, each part would import the others' private helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Float, Integer, case, cast, func, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit
from planner.core.auth import Actor, require
from planner.core.errors import NotFound, RowError, StaleVersion, ValidationFailed
from planner.core.memo import remembered
from planner.core.memo import stamp as memo_stamp
from planner.core.models import Occupancy, Partner, Person, Post, Structure
from planner.core.values import FTE_UNITS, decimal_text
from planner.establishment.validation import validate_posts

EMPLOYEE_CONTRACTS = ("permanent", "fixed_term", "secondment")
COVER_CONTRACTS = ("interim", "agency")
STATUSES = ("Filled", "Covered by interim", "Vacant")
POST_COLUMNS = ["post_id", "title", "division", "team", "reports_to", "grade", "fte", "partner",
                "funding", "notes"]
EDITABLE_COLUMNS = POST_COLUMNS


def baseline_id(session: Session) -> int | None:
    """The id of the current establishment (the one baseline structure), if any."""
    return session.exec(select(Structure.id).where(Structure.kind == "baseline")).first()


def structure_version(session: Session, structure_id: int) -> int:
    """Bumped by every change to the structure: the UI's cache key."""
    version = session.exec(select(Structure.version).where(Structure.id == structure_id)).first()
    if version is None:
        raise NotFound(f"No structure with id {structure_id}.")
    return version


def structure_or_baseline(session: Session, structure_id: int | None) -> int:
    sid = structure_id if structure_id is not None else baseline_id(session)
    if sid is None:
        raise NotFound("There is no establishment yet: import one or load the demo data.")
    return sid


def posts_frame(session: Session, structure_id: int) -> pd.DataFrame:
    """Posts of a structure in interchange columns (str), plus `id` and `version`.

    Kept per structure version between read-only sessions (planner.core.memo): a page view
    asks for the same posts several times. Partner names are read into it, so they are in the
    key too (renaming a partner changes no structure's version)."""
    partners = tuple(session.connection().execute(
        sa_select(Partner.__table__.c.id, Partner.__table__.c.name)).all())
    return remembered(session, "posts_frame", structure_id,
                      lambda: _posts_frame(session, structure_id), partners)


def _posts_frame(session: Session, structure_id: int) -> pd.DataFrame:
    p = Post.__table__
    mgr = p.alias("mgr")
    q = (
        sa_select(p.c.id, p.c.post_ref.label("post_id"), p.c.title, p.c.division, p.c.team,
                  mgr.c.post_ref.label("reports_to"), p.c.grade, fte_units(p.c.fte).label("fte"),
                  Partner.__table__.c.name.label("partner"), p.c.funding, p.c.notes,
                  p.c.version)
        .select_from(p.outerjoin(mgr, p.c.reports_to_id == mgr.c.id)
                     .outerjoin(Partner.__table__, p.c.partner_id == Partner.__table__.c.id))
        .where(p.c.structure_id == structure_id)
        .order_by(p.c.id)
    )
    df = pd.read_sql(q, session.connection())
    df["reports_to"] = df["reports_to"].fillna("")
    df["partner"] = df["partner"].fillna("shared")
    df["fte"] = fte_unit_texts(df["fte"])
    return df


def posts_columns(session: Session, posts: pd.DataFrame, structure_id: int,
                  *columns: Any) -> pd.DataFrame:
    """`columns` (of the post table) for `posts` (`posts_frame` of the structure), row for row
    on its index: a reader that needs a column or two more takes them beside the kept frame
    rather than a second copy of its text (issue 16)."""
    p = Post.__table__
    read = pd.read_sql(sa_select(p.c.id, *columns).where(p.c.structure_id == structure_id)
                       .order_by(p.c.id), session.connection())
    if not np.array_equal(read["id"].to_numpy(dtype=np.int64),
                          posts["id"].to_numpy(dtype=np.int64)):
        raise RuntimeError("the structure's posts changed between two reads of one session")
    return read.drop(columns="id").set_axis(posts.index)


def fte_units(fte: Any) -> Any:
    """An FTE column as whole ten-thousandths (the column's four places), in SQL: read as an
    integer, not a Decimal made per row from SQLite's float (a third of a 50,000-post read)."""
    return cast(func.round(fte * FTE_UNITS), Integer)


def fte_unit_texts(units: pd.Series) -> pd.Series:
    """`fte_texts` of FTEs read as `fte_units`: the same text, once per distinct value."""
    codes, uniques = pd.factorize(units, use_na_sentinel=False)
    texts = np.array([decimal_text(Decimal(int(u)).scaleb(-4)) if pd.notna(u)
                      else decimal_text(u) for u in uniques], dtype=object)
    return pd.Series(texts[codes], index=units.index, name=units.name).astype(str)


def fte_texts(values: pd.Series) -> pd.Series:
    """`decimal_text` of each value, worked out once per distinct value: 50,000 posts have a
    handful of FTEs, so this is a lookup, not 50,000 Decimal round trips."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    texts = np.array([decimal_text(u) for u in uniques], dtype=object)
    return pd.Series(texts[codes], index=values.index, name=values.name).astype(str)


def _joined(occ: pd.DataFrame, column: str, name: str, *, unique: bool = False) -> pd.Series:
    """Per post (`pk`), the occupants' `column` values joined with "; " in the rows' order
    (first occurrence only when `unique`; blanks left out). Most posts have one occupant: they
    take their value as it is, and only the few with several are joined in Python, so 50,000
    posts cost a vector operation, not 40,000 calls of a lambda."""
    part = occ[["pk", column]]
    part = part[part[column].notna() & (part[column].astype(str) != "")]
    if unique:
        part = part.drop_duplicates()
    several = part["pk"].duplicated(keep=False).to_numpy()
    one = part[~several].set_index("pk")[column].astype(str)
    many = part[several]
    if len(many):
        joined = many.groupby("pk", sort=False)[column].agg(lambda s: "; ".join(map(str, s)))
        one = pd.concat([one, joined])
    return one.rename(name)


def occupant_rows(session: Session, sid: int, posts: pd.DataFrame,
                  columns: Sequence[Any]) -> pd.DataFrame:
    """One row per person in a post of structure `sid` (`columns` of Occupancy and Person),
    with `post` (the structure's post id) and `carried`.

    In an option, a post continuing a baseline post (`posts.baseline_post_id` ≥ 0) carries
    that post's occupants; if several continue it, the first (lowest id) carries them, and not
    when people were placed in that option post directly (DOMAIN.md §5: costing, the
    organogram export and anyone else reading who is in an option's posts, one rule).

    Kept between read-only sessions (planner.core.memo) per version of the structure and of
    the baseline (whose people an option's posts carry), and per set of columns."""
    base_id = baseline_id(session)
    extra = (memo_stamp(session, base_id) if base_id is not None else None,
             tuple(str(c) for c in columns))
    return remembered(session, "occupant_rows", sid,
                      lambda: _occupant_rows(session, sid, posts, columns), *extra)


# The baseline's posts as _occupant_rows needs them: none continues another.
_NO_CONTINUING = pd.DataFrame({"id": pd.Series([], dtype="int64"),
                               "baseline_post_id": pd.Series([], dtype="int64")})


def _occupant_rows(session: Session, sid: int, posts: pd.DataFrame,
                   columns: Sequence[Any]) -> pd.DataFrame:
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    base = sa_select(o.c.post_id.label("source_post"), *columns).select_from(
        o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
    direct = pd.read_sql(base.where(p.c.structure_id == sid).order_by(o.c.id),
                         session.connection())
    direct["post"] = direct["source_post"]
    direct["carried"] = False
    continuing = posts[posts["baseline_post_id"] >= 0]
    if continuing.empty:
        return direct
    carrier = continuing.groupby("baseline_post_id")["id"].min()
    carrier = carrier[~carrier.isin(direct["post"])]
    base_id = baseline_id(session)
    if base_id is None or base_id == sid:  # pragma: no cover - only options continue posts
        return direct
    # The baseline's own rows (kept per its version), not a second read of the same people:
    # each option's read was a third of a second at 50,000 posts (issue 16).
    everyone = occupant_rows(session, base_id, _NO_CONTINUING, columns)
    carried = everyone[everyone["source_post"].isin(continuing["baseline_post_id"])]
    carried = carried.drop(columns=["post", "carried"]).reset_index(drop=True)
    carried["post"] = carried["source_post"].map(carrier)
    carried = carried[carried["post"].notna()].astype({"post": np.int64})
    carried["carried"] = True
    if direct.empty:  # an option's people are all carried: keep their columns' own types
        # (joined to an empty frame of objects every number and text became an object:
        # four times the memory at 50,000 posts, kept per structure version; issue 16)
        return carried.reset_index(drop=True)
    return pd.concat([direct, carried], ignore_index=True)


def establishment_frame(*, session: Session, actor: Actor,
                        structure_id: int | None = None) -> pd.DataFrame:
    """One row per post with its status, incumbents and their FTE.

    Status (DESIGN.md): Filled when an employee occupies it; Covered by interim when only an
    interim or agency worker does; Vacant when nobody does.
    """
    require(actor, "establishment.read", "post")
    sid = structure_or_baseline(session, structure_id)
    posts = posts_frame(session, sid)
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    q = (
        sa_select(o.c.post_id.label("pk"), o.c.fte.label("occ_fte"), pe.c.name, pe.c.contract,
                  pe.c.origin, pe.c.employee_ref, pe.c.tupe_transfer_date)
        .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
        .where(p.c.structure_id == sid)
        .order_by(o.c.post_id, pe.c.employee_ref)
    )
    occ = pd.read_sql(q, session.connection())
    occ["occ_fte"] = occ["occ_fte"].astype(float)
    occ["is_employee"] = occ["contract"].isin(EMPLOYEE_CONTRACTS)
    occ["origin"] = occ["origin"].fillna("").astype(str)
    occ["tupe"] = occ["tupe_transfer_date"].notna()
    emp = occ[occ.is_employee]
    cover = occ[~occ.is_employee]
    sums = emp.groupby("pk", sort=False).agg(staff_fte=("occ_fte", "sum"), tupe=("tupe", "any"))
    by_emp = sums.join([_joined(emp, "name", "incumbents"),
                        _joined(emp, "contract", "contracts", unique=True),
                        _joined(emp, "origin", "origin", unique=True)])[
        ["incumbents", "staff_fte", "contracts", "origin", "tupe"]]
    by_cover = cover.groupby("pk", sort=False).agg(interim_fte=("occ_fte", "sum")).join(
        [_joined(cover, "name", "interim"),
         _joined(cover, "contract", "interim_contracts", unique=True)])[
        ["interim", "interim_fte", "interim_contracts"]]
    df = posts.join(by_emp, on="id").join(by_cover, on="id")
    for col in ("incumbents", "contracts", "origin", "interim", "interim_contracts"):
        df[col] = df[col].fillna("")
    df["tupe"] = df["tupe"].astype("boolean").fillna(False).astype(bool)
    df["staff_fte"] = df["staff_fte"].fillna(0.0).round(4)
    df["interim_fte"] = df["interim_fte"].fillna(0.0).round(4)
    has_emp = df["incumbents"] != ""
    has_cover = df["interim"] != ""
    df["status"] = "Vacant"
    df.loc[has_cover, "status"] = "Covered by interim"
    df.loc[has_emp, "status"] = "Filled"
    df["fte_value"] = df["fte"].astype(float)
    return df


@dataclass(frozen=True)
class Metrics:
    posts: int
    establishment_fte: float
    staff_in_post_fte: float
    vacancies: int
    vacancies_covered_by_interims: int
    vacant_uncovered: int
    interims: int
    employees: int
    people_by_origin: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "posts": self.posts, "establishment_fte": self.establishment_fte,
            "staff_in_post_fte": self.staff_in_post_fte, "vacancies": self.vacancies,
            "vacancies_covered_by_interims": self.vacancies_covered_by_interims,
            "vacant_uncovered": self.vacant_uncovered, "interims": self.interims,
            "employees": self.employees, "people_by_origin": dict(self.people_by_origin),
        }


def headline_metrics(*, session: Session, actor: Actor, structure_id: int | None = None,
                     frame: pd.DataFrame | None = None) -> Metrics:
    """The figures HR quotes: posts, FTE, vacancies (with and without interim cover), origins.

    A vacancy is a post with no employee in it; interims cover vacancies, they do not fill them.
    Without `frame`, the figures come from three narrow reads instead of the whole
    establishment frame (issue 16: 2.9 s at 50,000 posts), with the same arithmetic in the
    same order, so they are the frame's to the last digit (tests/establishment checks).
    """
    require(actor, "establishment.read", "post")
    sid = structure_or_baseline(session, structure_id)
    if frame is not None:
        fte_value, staff_fte, status = frame["fte_value"], frame["staff_fte"], frame["status"]
    else:
        fte_value, staff_fte, status = _post_figures(session, sid)
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    # People (each once, however many posts they hold) by contract and origin.
    people = pd.read_sql(
        sa_select(pe.c.contract, pe.c.origin, func.count(pe.c.id.distinct()).label("n"))
        .select_from(pe.join(o, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
        .where(p.c.structure_id == sid).group_by(pe.c.contract, pe.c.origin),
        session.connection(),
    )
    is_employee = people["contract"].isin(EMPLOYEE_CONTRACTS)
    employees = people[is_employee]
    origins = (employees.assign(origin=employees["origin"].fillna("").replace("", "Unknown"))
               .groupby("origin")["n"].sum().sort_index())
    counts = status.value_counts()
    covered = int(counts.get("Covered by interim", 0))
    vacant = int(counts.get("Vacant", 0))
    return Metrics(
        posts=len(status),
        establishment_fte=round(float(fte_value.sum()), 2),
        staff_in_post_fte=round(float(staff_fte.sum()), 2),
        vacancies=covered + vacant,
        vacancies_covered_by_interims=covered,
        vacant_uncovered=vacant,
        interims=int(people.loc[~is_employee, "n"].sum()),
        employees=int(employees["n"].sum()),
        people_by_origin={str(k): int(v) for k, v in origins.items()},
    )


def _post_figures(session: Session, sid: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per post of `sid`, in post order: establishment_frame's `fte_value`, `staff_fte` and
    `status`, read as numbers only (a blank name holds no post there, so here neither)."""
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    conn = session.connection()
    posts = pd.read_sql(sa_select(p.c.id, type_coerce(p.c.fte, Float).label("fte"))
                        .where(p.c.structure_id == sid).order_by(p.c.id), conn)
    occ = pd.read_sql(
        sa_select(o.c.post_id.label("pk"), type_coerce(o.c.fte, Float).label("occ_fte"),
                  case((pe.c.contract.in_(EMPLOYEE_CONTRACTS), 1), else_=0).label("employee"),
                  case((pe.c.name.is_not(None) & (pe.c.name != ""), 1), else_=0).label("named"))
        .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
        .where(p.c.structure_id == sid)
        .order_by(o.c.post_id, pe.c.employee_ref),
        conn)
    is_employee = occ["employee"].to_numpy() == 1
    named = occ["named"].to_numpy() == 1
    staff = (pd.Series(_stored_fte(occ["occ_fte"]).to_numpy()[is_employee],
                       index=occ["pk"].to_numpy()[is_employee])
             .groupby(level=0, sort=False).sum())
    ids = pd.Index(posts["id"])
    staff_fte = pd.Series(staff.reindex(ids).fillna(0.0).round(4).to_numpy(), index=posts.index)
    has_emp = ids.isin(occ["pk"].to_numpy()[is_employee & named])
    has_cover = ids.isin(occ["pk"].to_numpy()[~is_employee & named])
    status = np.where(has_emp, "Filled", np.where(has_cover, "Covered by interim", "Vacant"))
    return _stored_fte(posts["fte"]), staff_fte, pd.Series(status, index=posts.index)


def _stored_fte(values: pd.Series) -> pd.Series:
    """FTEs as the NUMERIC(6,4) column gives them (SQLite's stored float rounded to four
    places, then float), worked out once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    exact = np.array([float(f"{u:.4f}") for u in uniques], dtype=float)
    return pd.Series(exact[codes], index=values.index, name=values.name)


FILTERS = ("division", "team", "grade", "status", "contracts", "origin")


def filter_frame(df: pd.DataFrame, **chosen: list[str] | None) -> pd.DataFrame:
    """Keep rows matching every non-empty choice; multi-valued cells ('a; b') match any part."""
    mask = pd.Series(True, index=df.index)
    for col, values in chosen.items():
        if col not in FILTERS:
            raise KeyError(f"unknown filter {col!r}")
        if not values:
            continue
        if col in ("contracts", "origin"):
            parts = df[col].str.split("; ")
            mask &= parts.map(lambda xs, v=set(values): bool(v.intersection(xs)))
        else:
            mask &= df[col].isin(values)
    return df[mask]


def filter_options(df: pd.DataFrame) -> dict[str, list[str]]:
    """The distinct values offered by each filter (blank excluded)."""
    out: dict[str, list[str]] = {}
    for col in FILTERS:
        # Each distinct value split once (a few hundred), not 50,000 rows split and exploded.
        vals = df[col].dropna().unique()
        if col in ("contracts", "origin"):
            vals = {part for v in vals for part in str(v).split("; ")}
        out[col] = sorted({v for v in vals if v})
    return out


# The register shows a page of posts at a time: 50,000 rows sent to the browser are 11.7 MB and
# a frozen tab (issue 16); the whole filtered register is a download instead.
REGISTER_PAGE_ROWS = 500
SEARCH_COLUMNS = ("post_id", "title", "division", "team", "grade", "reports_to", "incumbents",
                  "interim")


def search_text(df: pd.DataFrame, columns: Sequence[str] = SEARCH_COLUMNS) -> pd.Series:
    """Each row's searchable text, lower case (the columns' text joined by tabs): built a
    column at a time, as joining 50,000 rows one by one took seconds."""
    if df.empty:
        return pd.Series([], index=df.index, dtype=str)
    cols = list(columns)
    out = df[cols[0]].astype(str).fillna("")
    for col in cols[1:]:
        out = out + "\t" + df[col].astype(str).fillna("")  # a missing value reads as blank
    return out.str.lower()


def search_frame(df: pd.DataFrame, text: str, columns: Sequence[str] = SEARCH_COLUMNS,
                 hay: pd.Series | None = None) -> pd.DataFrame:
    """Rows in which every word of `text` appears (any case) in a post's id, title, division,
    team, grade, manager or holders' names (or the `columns` given); all rows for a blank
    search. `hay`: search_text of a frame `df` is a part of, when the caller keeps it."""
    words = [w for w in (text or "").lower().split() if w]
    if not words or df.empty:
        return df
    hay = search_text(df, columns) if hay is None else hay.loc[df.index]
    mask = pd.Series(True, index=df.index)
    for word in words:
        mask &= hay.str.contains(word, regex=False)
    return df[mask]


@dataclass(frozen=True)
class RegisterPage:
    """One page of the (filtered) register: its rows, and where they sit in the whole."""

    rows: pd.DataFrame
    page: int  # 1-based, clamped to the pages there are
    pages: int
    first: int  # 1-based row number of the first row shown (0 when there are none)
    last: int
    total: int  # rows in the filtered register


def register_page(df: pd.DataFrame, page: int = 1,
                  size: int = REGISTER_PAGE_ROWS) -> RegisterPage:
    """Page `page` of `df` (`size` rows a page); a page past the end shows the last one."""
    total = len(df)
    pages = max(1, -(-total // size))
    page = min(max(1, int(page or 1)), pages)
    start = (page - 1) * size
    rows = df.iloc[start:start + size]
    return RegisterPage(rows=rows, page=page, pages=pages, first=start + 1 if total else 0,
                        last=start + len(rows), total=total)


# --- editing ------------------------------------------------------------------------------


@dataclass
class PostEdits:
    """A batch of post edits, as the establishment editor produces them."""

    added: list[dict[str, str]] = field(default_factory=list)
    updated: dict[str, dict[str, str]] = field(default_factory=dict)  # post_id -> changed cols
    deleted: list[str] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)  # post_id -> version the user saw

    def is_empty(self) -> bool:
        return not (self.added or self.updated or self.deleted)


def edits_from_editor(original: pd.DataFrame, state: dict[str, Any]) -> PostEdits:
    """Turn st.data_editor's delta (edited_rows / added_rows / deleted_rows) into PostEdits.

    `original` is the frame given to the editor (positional rows, with `post_id` and
    `version`); the delta refers to it by position. Pure, so it is tested without Streamlit.
    """
    edits = PostEdits()
    for pos, changes in (state.get("edited_rows") or {}).items():
        row = original.iloc[int(pos)]
        clean = {c: _cell(v) for c, v in changes.items() if c in EDITABLE_COLUMNS}
        if clean:
            edits.updated[str(row["post_id"])] = clean
            edits.versions[str(row["post_id"])] = int(row["version"])
    for added in state.get("added_rows") or []:
        clean = {c: _cell(v) for c, v in added.items() if c in EDITABLE_COLUMNS}
        if any(v for v in clean.values()):
            edits.added.append(clean)
    for pos in state.get("deleted_rows") or []:
        row = original.iloc[int(pos)]
        edits.deleted.append(str(row["post_id"]))
        edits.versions[str(row["post_id"])] = int(row["version"])
        edits.updated.pop(str(row["post_id"]), None)
    return edits


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(frozen=True)
class EditResult:
    added: int
    updated: int
    deleted: int


def apply_post_edits(*, session: Session, actor: Actor, edits: PostEdits,
                     structure_id: int | None = None) -> EditResult:
    """Apply a batch of post edits all-or-nothing, with the importer's validation.

    Refused, with every reason: a change to a post someone else saved meanwhile (no lost
    updates), deleting a post that has occupants or that others report to (an orphan), a
    reporting cycle (the chain named), and anything the import would reject.
    """
    from planner.establishment.reference import grade_table, partner_names

    require(actor, "establishment.edit", "post")
    sid = structure_or_baseline(session, structure_id)
    if edits.is_empty():
        return EditResult(0, 0, 0)
    # Lock the structure row (PostgreSQL) before reading versions, so two saves cannot both
    # pass the version check; SQLite write sessions already hold the lock (BEGIN IMMEDIATE).
    session.exec(select(Structure.id).where(Structure.id == sid).with_for_update()).one()
    current = posts_frame(session, sid)
    by_ref = current.set_index("post_id", drop=False)
    sheet = "establishment"
    errors: list[RowError] = []

    stale = [ref for ref, seen in edits.versions.items()
             if ref in by_ref.index and int(by_ref.at[ref, "version"]) != seen]
    missing = [ref for ref in [*edits.updated, *edits.deleted] if ref not in by_ref.index]
    if stale or missing:
        changed = ", ".join(sorted(stale + missing))
        raise StaleVersion(
            f"Someone else changed {changed} since you opened the table; nothing was saved. "
            "Reload to see their changes, then make yours again.")

    occupied = _occupied_refs(session, sid)
    deleted = set(edits.deleted)
    for ref in edits.deleted:
        if ref in occupied:
            errors.append(RowError(sheet, _pos(current, ref), "post_id",
                                   f"{ref} has occupants; move or end their occupancy before "
                                   "deleting the post."))
    proposed = current.drop(columns=["id", "version"]).set_index("post_id", drop=False)
    for ref, changes in edits.updated.items():
        for col, val in changes.items():
            proposed.at[ref, col] = val
    proposed = proposed.drop(index=list(deleted))
    reports = proposed[proposed["reports_to"].isin(deleted)]
    for ref, manager in zip(reports["post_id"], reports["reports_to"], strict=True):
        errors.append(RowError(sheet, _pos(current, ref), "reports_to",
                               f"{ref} reports to {manager}, which you are deleting; move it to "
                               "another manager first."))
    added = pd.DataFrame(edits.added, columns=POST_COLUMNS, dtype=object).fillna("")
    added["fte"] = added["fte"].replace("", "1")
    added["partner"] = added["partner"].replace("", "shared")
    added["funding"] = added["funding"].replace("", "base")
    proposed = pd.concat([proposed.reset_index(drop=True), added], ignore_index=True)
    proposed = proposed[POST_COLUMNS].fillna("").astype(str)
    proposed["_row"] = proposed.index + 1
    errors += validate_posts(proposed, grades=grade_table(session),
                             partner_names=partner_names(session), sheet=sheet)
    errors += _occupancy_fte_errors(session, sid, edits, current, sheet)
    if errors:
        raise ValidationFailed(errors)

    return _write_edits(session, actor, sid, edits, current)


def _pos(current: pd.DataFrame, ref: str) -> int | None:
    hits = current.index[current["post_id"] == ref]
    return int(hits[0]) + 1 if len(hits) else None


def _occupied_refs(session: Session, sid: int) -> set[str]:
    q = (select(Post.post_ref).join(Occupancy, Occupancy.post_id == Post.id)
         .where(Post.structure_id == sid).distinct())
    return set(session.exec(q).all())


def _occupancy_fte_errors(session: Session, sid: int, edits: PostEdits, current: pd.DataFrame,
                          sheet: str) -> list[RowError]:
    refs = [ref for ref, ch in edits.updated.items() if "fte" in ch]
    if not refs:
        return []
    q = (select(Post.post_ref, func.sum(Occupancy.fte)).join(Occupancy, Occupancy.post_id == Post.id)
         .where(Post.structure_id == sid, Post.post_ref.in_(refs)).group_by(Post.post_ref))
    errors = []
    for ref, total in session.exec(q).all():
        try:
            new = Decimal(edits.updated[ref]["fte"])
        except ArithmeticError:
            continue  # already reported by validate_posts
        if Decimal(str(total)) > new:
            errors.append(RowError(sheet, _pos(current, ref), "fte",
                                   f"{ref}'s occupants work {decimal_text(total)} FTE, more than "
                                   f"the {decimal_text(new)} FTE you set."))
    return errors


def _post_values(row: dict[str, str], partners: dict[str, int]) -> dict[str, Any]:
    return {
        "title": row["title"], "division": row.get("division", ""), "team": row.get("team", ""),
        "grade": row["grade"], "fte": Decimal(row.get("fte") or "1"),
        # validate_posts matches partner names case-insensitively ("brent" is Brent), so here too.
        "partner_id": None if row.get("partner", "shared").lower() in ("", "shared")
        else partners[row["partner"].lower()],
        "funding": row.get("funding") or "base", "notes": row.get("notes", ""),
    }


def _write_edits(session: Session, actor: Actor, sid: int, edits: PostEdits,
                 current: pd.DataFrame) -> EditResult:
    partners = {p.name.lower(): p.id for p in session.exec(select(Partner)).all()}
    posts = {p.post_ref: p for p in session.exec(select(Post).where(Post.structure_id == sid))}

    def snapshot(post: Post) -> dict[str, Any]:
        mgr = session.get(Post, post.reports_to_id) if post.reports_to_id else None
        partner = next((n for n, i in partners.items() if i == post.partner_id), "shared")
        return {"post_id": post.post_ref, "title": post.title, "division": post.division,
                "team": post.team, "reports_to": mgr.post_ref if mgr else "",
                "grade": post.grade, "fte": post.fte, "partner": partner,
                "funding": post.funding, "notes": post.notes}

    # A renamed post is known by its new id from here on, so reports moved to it in the same
    # batch (and new posts placed under it) find it.
    for ref, changes in edits.updated.items():
        if changes.get("post_id") and changes["post_id"] != ref:
            posts[changes["post_id"]] = posts[ref]
    new_posts: list[tuple[Post, dict[str, str]]] = []
    for row in edits.added:
        full = {c: row.get(c, "") for c in POST_COLUMNS}
        post = Post(structure_id=sid, post_ref=full["post_id"], **_post_values(full, partners))
        session.add(post)
        new_posts.append((post, full))
        posts[post.post_ref] = post
    session.flush()
    for post, full in new_posts:
        post.reports_to_id = posts[full["reports_to"]].id if full["reports_to"] else None

    for ref, changes in edits.updated.items():
        post = posts[ref]
        before = snapshot(post)
        merged = {**before, **{k: str(v) for k, v in before.items()}, **changes}
        for key, value in _post_values(merged, partners).items():
            setattr(post, key, value)
        if "post_id" in changes:
            post.post_ref = changes["post_id"]
        if "reports_to" in changes:
            post.reports_to_id = posts[changes["reports_to"]].id if changes["reports_to"] else None
        post.version += 1
        session.add(post)
        session.flush()
        audit.record(session, actor=actor, action="update", entity="post", entity_id=str(post.id),
                     before=before, after=snapshot(post))

    # Snapshots first (they name each manager), then cut the reporting lines between the
    # deleted posts, so a manager and its reports can go in one save in any order.
    gone = [(posts[ref], snapshot(posts[ref])) for ref in edits.deleted]
    for post, _before in gone:
        post.reports_to_id = None
        session.add(post)
    session.flush()
    for post, before in gone:
        post_id = post.id
        session.delete(post)
        session.flush()
        audit.record(session, actor=actor, action="delete", entity="post",
                     entity_id=str(post_id), before=before)

    for post, _full in new_posts:
        session.add(post)
        session.flush()
        audit.record(session, actor=actor, action="create", entity="post", entity_id=str(post.id),
                     after=snapshot(post))

    structure = session.get(Structure, sid)
    assert structure is not None
    structure.version += 1
    session.add(structure)
    session.flush()
    return EditResult(added=len(edits.added), updated=len(edits.updated), deleted=len(edits.deleted))


WITHOUT_EMPLOYEE = "Without an employee"


def without_employee_sentence(covered: int, vacant: int) -> str:
    """'30 posts without an employee: 23 covered by interim, 7 vacant.' One wording for the
    pair every page and the CLI show, so "covered" and "vacant" add up to the total and
    "Vacant" always means what the status says: nobody in the post at all."""
    total = covered + vacant
    noun = "post" if total == 1 else "posts"
    return (f"{total:,} {noun} without an employee: {covered:,} covered by interim, "
            f"{vacant:,} vacant.")
