"""Import of the establishment from the interchange format (DESIGN.md "Interchange format").

All-or-nothing: the files are read and every rule is checked before anything is written, and
every problem comes back as a RowError (sheet, row, column, message) so HR can fix the whole
spreadsheet in one pass instead of one error per upload. Rows are numbered as Excel shows
them: the header is row 1, the first data row is row 2.

Uploads are untrusted: sizes and row counts are capped, an xlsx is checked as a zip (signature,
member count and uncompressed size) before openpyxl unpacks it, and formula cells are refused
rather than evaluated. Writes are SQLAlchemy Core bulk statements (executemany): SQLModel's
per-object add is ~30x slower at 50,000 rows. The baseline is replaced by upsert (posts by
post_id, people by employee_id keep their ids), and every structure option is rebased onto it
in the same transaction (planner.structures.rebase), so an import never orphans an option.

Length: one import's check and write (upserts, followers, audit) in the order they run, which
only reads right in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, delete, func, or_, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit, hooks
from planner.core.auth import Actor, require
from planner.core.db import insert_rows
from planner.core.errors import PermissionDenied, RowError, ValidationFailed
from planner.core.models import (
    EtoRationale,
    Occupancy,
    Partner,
    Person,
    PersonMapping,
    Post,
    Structure,
    TupeCohort,
    TupeMember,
)
from planner.core.progress import Progress, counted, part, report
from planner.core.values import decimal_text
from planner.establishment.partners import partner_set_errors, write_partners
from planner.establishment.readers import (
    PEOPLE_COLUMNS,
    Tables,
    read_upload,
)
from planner.establishment.reference import GradeBand, grade_table, partner_names
from planner.establishment.validation import (
    DATE_COLUMNS,
    column_values,
    money_pence,
    parse_dates,
    validate_people,
    validate_tables,
)

REBASED = "options_rebased"  # the audit key (and ImportSummary.rebased) of the options' rebase


@dataclass(frozen=True)
class ImportFollower:
    """What a higher floor does when the establishment is imported, registered at
    `planner.core.hooks.IMPORT`. Each step is optional. Every step runs inside the import's
    transaction, so a failure in any of them rolls the whole import back.

    - check(actor, tables): more errors for the upload, found before anything is written
      (the equality sheet).
    - before(session, structure_id): state read before the establishment changes (the
      options' view of the old posts).
    - posts_replaced(session, actor, state, structure_id, removed_post_ids): runs once the
      new posts are written and before removed posts are deleted. Returns results (each with
      `as_dict()`) that go into the import's audit event under `audit_key`.
    - recorded(session, actor, tables, event_id, results): runs once the import's own audit
      event is written (rebase events that point at it, TUPE cohorts, equality records).
    """

    check: Callable[[Actor, Tables], list[RowError]] | None = None
    before: Callable[[Session, int], Any] | None = None
    posts_replaced: Callable[[Session, Actor, Any, int, list[int]], list[Any]] | None = None
    recorded: Callable[[Session, Actor, Tables, int, list[Any]], None] | None = None
    audit_key: str = ""


def followers() -> list[ImportFollower]:
    """The registered followers, in order (planner.core.hooks)."""
    return hooks.hooks(hooks.IMPORT)


@dataclass(frozen=True)
class ImportSummary:
    structure_id: int
    posts: int
    people: int
    occupancies: int
    partners: int
    # Each option carried onto the new establishment (planner.structures.rebase.RebasedOption).
    rebased: tuple[Any, ...] = ()


# --- reading ---------------------------------------------------------------------------------


# --- validation ------------------------------------------------------------------------------


def current_people(session: Session, structure_id: int) -> pd.DataFrame:
    """The people in a structure's posts as a people sheet (text, interchange columns), one
    row per occupancy in the order they were written."""
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    q = (sa_select(pe.c.employee_ref, pe.c.name, p.c.post_ref, pe.c.contract, o.c.fte, pe.c.scp,
                   pe.c.annual_salary_pence, pe.c.day_rate_pence, pe.c.start_date,
                   pe.c.continuous_service_date, pe.c.date_of_birth, pe.c.origin,
                   pe.c.tupe_transfer_date)
         .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
         .where(p.c.structure_id == structure_id).order_by(o.c.id))

    def pounds(pence: int | None) -> str:
        return "" if pence is None else f"{pence // 100}.{pence % 100:02d}"

    def date(value: Any) -> str:
        if value is None:
            return ""
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()

    rows = [(ref, name, post, contract, decimal_text(fte), "" if scp is None else str(scp),
             pounds(salary), pounds(rate), date(start), date(cont), date(birth), origin or "",
             date(tupe))
            for ref, name, post, contract, fte, scp, salary, rate, start, cont, birth, origin, tupe
            in session.execute(q)]
    return pd.DataFrame(rows, columns=list(PEOPLE_COLUMNS), dtype=str)


def kept_people(tables: Tables, current: pd.DataFrame, *, keep_people: bool,
                grades: Mapping[str, GradeBand],
                today: dt.date) -> tuple[pd.DataFrame | None, list[RowError]]:
    """An upload without a people sheet, against the establishment's people (`current`).

    An import replaces the whole establishment, so posts alone would remove every person:
    refused unless the importer chose to keep them. Kept, each person stays in their post when
    the upload keeps its post_id, and is checked against the new post (grade, FTE) as if they
    were in the upload; a person whose post the upload removes is an error naming them (their
    employment is not ended by an import). Returns the people to write, or the errors.
    """
    if tables.people is not None or current.empty:
        return None, []
    n = current["employee_id"].nunique()
    if not keep_people:
        count = "1 person" if n == 1 else f"{n:,} people"
        return None, [RowError("people", None, "", (
            f"This upload has no people sheet, and the establishment has {count}: importing "
            "it would remove them. Add people.csv, or choose to keep the people."))]
    assert tables.posts is not None
    posts = set(column_values(tables.posts["post_id"]))
    errors = [RowError("people", None, "post_id", (
        f"{e} ({name}) is in post {post}, which this upload removes: add the post back, or "
        "upload a people sheet that says where they go."))
        for e, name, post in zip(column_values(current["employee_id"]), column_values(current["name"]),
                                 column_values(current["post_id"]), strict=True)
        if post not in posts]
    if errors:
        return None, errors
    people = current.assign(_row=range(2, len(current) + 2))
    who = dict(zip(column_values(people["_row"]), column_values(people["employee_id"]), strict=True))
    for e in validate_people(people, tables.posts, grades=grades, today=today):
        if e.sheet == "people":  # a kept person has no row in the upload: name them instead
            e = RowError("people", None, e.column, f"{who.get(e.row)} (kept): {e.message}")
        errors.append(e)
    return (None, errors) if errors else (people, [])


# --- writing ---------------------------------------------------------------------------------


def baseline(session: Session, *, create: bool = False) -> Structure | None:
    found = session.exec(select(Structure).where(Structure.kind == "baseline")).first()
    if found is None and create:
        found = Structure(name="Current establishment", kind="baseline", status="current",
                          description="The establishment as imported.")
        session.add(found)
        session.flush()
    return found


@dataclass(frozen=True)
class PreparedImport:
    """An upload read and checked by `prepare_import`, for `import_establishment` to write.

    Made outside the write transaction, so a large file's reading and checking do not hold
    SQLite's write lock (or a PostgreSQL transaction) while they run. It remembers who checked
    it and the establishment's version then: a change in between means checking again.
    """

    tables: Tables
    files: tuple[str, ...]
    username: str
    baseline_version: int | None


def prepare_import(*, session: Session, actor: Actor, files: Sequence[tuple[str, bytes]],
                   today: dt.date | None = None, keep_people: bool = False,
                   progress: Progress | None = None) -> PreparedImport:
    """Read and check an upload (every rule, every row), writing nothing: run it in a read
    session, then hand the result to `import_establishment` in the write session.

    `keep_people` is the explicit choice to import posts without a people sheet while the
    establishment has people: they stay in the posts the upload keeps (see `kept_people`).
    `progress` hears each stage (planner.core.progress); it reaches 1.0 when the upload passes.
    """
    require(actor, "establishment.import", "structure")
    names = [name.rsplit("/", 1)[-1] for name, _ in files]
    report(progress, 0.0, f"Reading {', '.join(names) or 'the upload'}…")
    tables, errors = read_upload(files)
    report(progress, 0.4, f"Checking {_sizes(tables)}…")
    today = today or dt.date.today()
    grades = grade_table(session)
    # Every sheet that could be read is checked, whatever else failed, so HR fixes the whole
    # upload in one pass; a sheet that could not be read has its reason in `errors` already
    # (so a missing posts sheet is only said when nothing else went wrong reading).
    if tables.posts is not None or not errors:
        errors += validate_tables(tables, grades=grades, partner_names=partner_names(session),
                                  today=today)
    if tables.partners is not None and not any(e.sheet == "partners" for e in errors):
        # What the new partner set would do to the stored one (needs a well-formed sheet).
        errors += partner_set_errors(session, tables.partners)
    current = baseline(session)
    if not errors and tables.people is None and current is not None:
        assert current.id is not None
        people, errors = kept_people(tables, current_people(session, current.id),
                                     keep_people=keep_people, grades=grades, today=today)
        if people is not None:
            tables.people = people
    for follower in followers():
        if follower.check is not None:
            errors += follower.check(actor, tables)
    if errors:
        raise ValidationFailed(errors)
    report(progress, 1.0, f"Checked {_sizes(tables)}: no problems found.")
    return PreparedImport(tables=tables, files=tuple(name for name, _ in files),
                          username=actor.username,
                          baseline_version=current.version if current is not None else None)


def _sizes(tables: Tables) -> str:
    """'50,000 posts and 43,656 people': what an upload holds, for progress sentences."""
    posts = counted(len(tables.posts) if tables.posts is not None else 0, "post")
    if tables.people is None:
        return posts
    return f"{posts} and {counted(len(tables.people), 'person', 'people')}"


def _checked(session: Session, actor: Actor, files: Sequence[tuple[str, bytes]],
             today: dt.date | None, keep_people: bool,
             prepared: PreparedImport | None,
             progress: Progress | None = None) -> PreparedImport:
    """The prepared upload, still valid in this transaction; or the upload checked here."""
    if prepared is None:
        return prepare_import(session=session, actor=actor, files=files, today=today,
                              keep_people=keep_people, progress=progress)
    if prepared.username != actor.username:
        raise PermissionDenied("This import was checked for another user; upload it again.",
                               user=actor, action="establishment.import", entity="structure")
    current = baseline(session)
    if (current.version if current is not None else None) != prepared.baseline_version:
        raise ValidationFailed([RowError("upload", None, "", (
            "The establishment changed while the files were being checked; nothing was "
            "imported. Import them again."))])
    return prepared


def import_establishment(*, session: Session, actor: Actor,
                         files: Sequence[tuple[str, bytes]] = (), today: dt.date | None = None,
                         keep_people: bool = False,
                         prepared: PreparedImport | None = None,
                         progress: Progress | None = None) -> ImportSummary:
    """Replace the baseline establishment with the upload and rebase every option onto it
    (planner.structures.rebase), or change nothing and say why (every error of every readable sheet).

    Given `prepared` (from `prepare_import` in a read session) it only writes, so the write
    transaction is held for the write alone; given `files`, it reads and checks them first
    (the first half of `progress`).
    """
    require(actor, "establishment.import", "structure")
    if prepared is None:
        prepared = _checked(session, actor, files, today, keep_people, None,
                            part(progress, 0.0, 0.45))
        progress = part(progress, 0.5, 1.0)
    else:
        prepared = _checked(session, actor, files, today, keep_people, prepared)
    tables = prepared.tables
    return _write(session, actor, tables, list(prepared.files), progress)


def _replaced_rows(session: Session, actor: Actor, sid: int,
                   tables: Tables) -> dict[str, list[dict[str, str]]]:
    """The rows of the establishment this upload changes or removes, as the export writes
    them (posts by post_id, people by employee_id and post), for the import's audit event:
    what an import replaced can always be read back, and re-imported, from the audit log."""
    from planner.establishment.exports import (
        export_tables,  # exports reads the interchange columns here
    )

    old = export_tables(session=session, actor=actor, structure_id=sid)
    out: dict[str, list[dict[str, str]]] = {}
    for sheet, keys in (("posts", ["post_id"]), ("people", ["employee_id", "post_id"])):
        frame = old[sheet]
        new = getattr(tables, sheet)
        if not len(frame):
            out[sheet] = []
            continue
        if new is None:
            out[sheet] = frame.to_dict("records")
            continue
        cols = [c for c in frame.columns if c in new.columns]
        merged = frame.merge(new[cols].astype(str), on=keys, how="left",
                             suffixes=("", "__new"), indicator=True)
        differs = merged["_merge"] == "left_only"
        for c in cols:
            if c not in keys:
                differs |= merged[c].astype(str) != merged[f"{c}__new"].astype(str)
        out[sheet] = merged.loc[differs, list(frame.columns)].to_dict("records")
    return out


def write_tables(session: Session, actor: Actor, tables: Tables,
                 names: list[str], progress: Progress | None = None) -> ImportSummary:
    """Write tables already checked (every rule of `prepare_import`) as the establishment:
    the write another format's import shares (planner.establishment.organogram_import)."""
    require(actor, "establishment.import", "structure")
    return _write(session, actor, tables, names, progress)


def _write(session: Session, actor: Actor, tables: Tables, names: list[str],
           progress: Progress | None = None) -> ImportSummary:
    """Replace the baseline by upsert, then rebase every option onto it (planner.structures.rebase).

    Posts matched by post_id and people matched by employee_id keep their ids, so option
    posts (`baseline_post_id`), ETO rationales and TUPE cohort members keep pointing at the
    same rows; what the upload no longer names is deleted once nothing points at it.
    """
    assert tables.posts is not None
    report(progress, 0.0, f"Writing {counted(len(tables.posts), 'post')}…")
    partners_written = write_partners(session, actor, tables.partners) if tables.partners is not None else 0
    structure = baseline(session, create=True)
    assert structure is not None and structure.id is not None
    sid = structure.id
    before: dict[str, Any] = {**_counts(session, sid),
                              "replaced": _replaced_rows(session, actor, sid, tables)}
    following = followers()
    states = [f.before(session, sid) if f.before is not None else None for f in following]

    partner_id = {name.lower(): pid for name, pid in
                  session.exec(sa_select(Partner.name, Partner.id)).all()}
    posts = tables.posts
    fte = posts["fte"].replace("", "1")
    post_rows = [
        {"structure_id": sid, "post_ref": r[0], "title": r[1], "division": r[2], "team": r[3],
         "grade": r[4], "fte": Decimal(r[5]), "partner_id": partner_id.get(r[6].lower()),
         "funding": (r[7] or "base").lower(), "notes": r[8], "version": 1}
        for r in zip(*(column_values(posts[c]) for c in ("post_id", "title", "division", "team",
                                                    "grade")),
                     column_values(fte), *(column_values(posts[c]) for c in ("partner", "funding", "notes")),
                     strict=True)
    ]
    conn = session.connection()
    ids, removed_posts, posts_changed = _upsert_posts(conn, sid, post_rows, posts)

    people = tables.people if tables.people is not None else pd.DataFrame(
        columns=[*PEOPLE_COLUMNS, "_row"])
    values = {c: column_values(people[c]) for c in PEOPLE_COLUMNS}
    dates = {c: parse_dates(values[c]) for c in DATE_COLUMNS}

    def pence(amounts: list[str]) -> list[int | None]:
        return [money_pence(v) if v else None for v in amounts]

    person_rows = [
        {"employee_ref": employee, "name": name, "contract": contract.lower(),
         "scp": int(scp) if scp else None, "annual_salary_pence": salary,
         "day_rate_pence": rate, "start_date": start, "continuous_service_date": cont,
         "date_of_birth": birth, "origin": origin, "tupe_transfer_date": tupe}
        for employee, name, contract, scp, salary, rate, start, cont, birth, origin, tupe in zip(
            values["employee_id"], values["name"], values["contract"], values["scp"],
            pence(values["annual_salary"]), pence(values["day_rate"]), dates["start_date"],
            dates["continuous_service_date"], dates["date_of_birth"], values["origin"],
            dates["tupe_transfer_date"], strict=True)
    ]

    after: dict[str, Any] = {
        "posts": len(post_rows), "people": len(person_rows),
        "occupancies": sum(1 for _ in column_values(people["employee_id"])),
        "partners": partners_written, "files": names,
        "posts_added": len(post_rows) - (before["posts"] - len(removed_posts)),
        "posts_changed": posts_changed, "posts_removed": len(removed_posts)}
    report(progress, 0.35, "Carrying the options onto the new establishment…")
    results: list[list[Any]] = [
        f.posts_replaced(session, actor, state, sid, removed_posts)
        if f.posts_replaced is not None else []
        for f, state in zip(following, states, strict=True)]

    # Now nothing in an option points at a removed baseline post: remove them.
    o, e, p = Occupancy.__table__, EtoRationale.__table__, Post.__table__
    in_structure = sa_select(p.c.id).where(p.c.structure_id == sid)
    conn.execute(delete(o).where(o.c.post_id.in_(in_structure)))
    eto_before = _eto_rows(conn)
    if removed_posts:
        gone = [{"b_id": i} for i in removed_posts]
        conn.execute(delete(e).where(e.c.baseline_post_id == bindparam("b_id")), gone)
        conn.execute(update(p).where(p.c.id == bindparam("b_id")).values(reports_to_id=None), gone)
        conn.execute(delete(p).where(p.c.id == bindparam("b_id")), gone)

    report(progress, 0.55, f"Writing {counted(len(person_rows), 'person', 'people')}…")
    person_ids, removed_people = _upsert_people(conn, person_rows)
    if removed_people:
        gone = [{"b_id": i} for i in removed_people]
        m = TupeMember.__table__
        conn.execute(delete(e).where(e.c.person_id == bindparam("b_id")), gone)
        conn.execute(delete(m).where(m.c.person_id == bindparam("b_id")), gone)
        # Their outcome in every option goes with them (people mapping, issue 12).
        pm = PersonMapping.__table__
        conn.execute(delete(pm).where(pm.c.person_id == bindparam("b_id")), gone)
        conn.execute(delete(o).where(o.c.person_id == bindparam("b_id")), gone)
        pe = Person.__table__
        conn.execute(delete(pe).where(pe.c.id == bindparam("b_id")), gone)
    # ETO rationales answer a change to one person's post: gone with the person or the post.
    left = {r["id"] for r in _eto_rows(conn)}
    eto_removed = [{k: v for k, v in r.items() if k != "id"} for r in eto_before
                   if r["id"] not in left]
    _drop_stale_members(conn)
    occupancy_rows = [
        {"person_id": person_ids[emp], "post_id": ids[post], "fte": Decimal(f or "1")}
        for emp, post, f in zip(column_values(people["employee_id"]), column_values(people["post_id"]),
                                column_values(people["fte"]), strict=True)
    ]
    insert_rows(conn, Occupancy.__table__, occupancy_rows)

    report(progress, 0.85, "Recording the import…")
    structure.version += 1
    session.add(structure)
    # The audit log is append-only, so the import's event is written once, whole, now; the
    # conflicts the rebase just raised then take its id (they were written without one).
    event = audit.record(session, actor=actor, action="import", entity="structure",
                         entity_id=str(sid), before=before, after={
                             **after, "people_removed": len(removed_people),
                             "eto_removed": eto_removed,
                             **{f.audit_key: [r.as_dict() for r in res]
                                for f, res in zip(following, results, strict=True)
                                if f.audit_key}})
    session.flush()
    assert event.id is not None
    for f, res in zip(following, results, strict=True):
        if f.recorded is not None:
            f.recorded(session, actor, tables, event.id, res)
    rebased = next((res for f, res in zip(following, results, strict=True)
                    if f.audit_key == REBASED), [])
    report(progress, 1.0, f"Imported {counted(len(post_rows), 'post')} and "
                          f"{counted(len(person_rows), 'person', 'people')}.")
    return ImportSummary(structure_id=sid, posts=len(post_rows), people=len(person_rows),
                         occupancies=len(occupancy_rows), partners=partners_written,
                         rebased=tuple(rebased))


_POST_FIELDS = ("title", "division", "team", "grade", "fte", "partner_id", "funding", "notes")
_PERSON_FIELDS = ("name", "contract", "scp", "annual_salary_pence", "day_rate_pence",
                  "start_date", "continuous_service_date", "date_of_birth", "origin",
                  "tupe_transfer_date")


def _upsert_posts(conn: Any, sid: int, rows: list[dict[str, Any]],
                  posts: pd.DataFrame) -> tuple[dict[str, int], list[int], int]:
    """Update the baseline posts the upload names (only those that changed, each with a new
    version), insert the new ones and set every changed reporting line. Returns post_id → id,
    the ids of the posts the upload no longer names (still present) and how many changed.

    New posts are written with their reporting line in the insert itself (their ids are
    reserved first, `_reserve_ids`), managers before their reports so each reference is to a
    row already there: an UPDATE of reports_to_id afterwards cost more than the insert."""
    t = Post.__table__
    cols = [t.c.id, t.c.post_ref, t.c.reports_to_id, *(t.c[c] for c in _POST_FIELDS)]
    existing = {r[1]: r for r in conn.execute(sa_select(*cols).where(t.c.structure_id == sid))}
    fresh = [r for r in rows if r["post_ref"] not in existing]
    ids = {ref: int(r[0]) for ref, r in existing.items()}
    ids.update(zip((r["post_ref"] for r in fresh), _reserve_ids(conn, t, len(fresh)),
                   strict=True))
    manager = dict(zip(column_values(posts["post_id"]), column_values(posts["reports_to"]), strict=True))
    changed = []
    for r in rows:
        old = existing.get(r["post_ref"])
        if old is None:
            continue
        mgr = ids[manager[r["post_ref"]]] if manager[r["post_ref"]] else None
        if tuple(r[c] for c in _POST_FIELDS) != tuple(old[3:]) or mgr != old[2]:
            changed.append({"b_id": int(old[0]), "b_mgr": mgr,
                            **{f"b_{c}": r[c] for c in _POST_FIELDS}})
    if fresh:
        new_rows = [{**r, "id": ids[r["post_ref"]],
                     "reports_to_id": ids[manager[r["post_ref"]]] if manager[r["post_ref"]] else None}
                    for r in fresh]
        insert_rows(conn, t, _managers_first(new_rows))
    if changed:
        conn.execute(update(t).where(t.c.id == bindparam("b_id")).values(
            reports_to_id=bindparam("b_mgr"), version=t.c.version + 1,
            **{c: bindparam(f"b_{c}") for c in _POST_FIELDS}), changed)
    wanted = {r["post_ref"] for r in rows}
    removed = sorted(int(r[0]) for ref, r in existing.items() if ref not in wanted)
    return ids, removed, len(changed)


def _managers_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The new posts ordered so each comes after the new post it reports to (a stable sort by
    depth among the new posts), as an immediate foreign key needs. The import's checks have
    refused reporting cycles, so every chain ends."""
    row_of = {r["id"]: r for r in rows}
    depth: dict[int, int] = {}
    for r in rows:
        chain, at = [], r["id"]
        while at in row_of and at not in depth:
            chain.append(at)
            at = row_of[at]["reports_to_id"]
        d = depth.get(at, -1)
        for i in reversed(chain):
            d += 1
            depth[i] = d
    return sorted(rows, key=lambda r: depth[r["id"]])


def _upsert_people(conn: Any, rows: list[dict[str, Any]]) -> tuple[dict[str, int], list[int]]:
    """Update the people the upload names (those that changed), insert new ones; returns
    employee_id → id and the ids of the people the upload no longer names."""
    t = Person.__table__
    existing = {r[1]: r for r in conn.execute(
        sa_select(t.c.id, t.c.employee_ref, *(t.c[c] for c in _PERSON_FIELDS)))}
    fresh = [r for r in rows if r["employee_ref"] not in existing]
    changed = [{"b_id": int(existing[r["employee_ref"]][0]),
                **{f"b_{c}": r[c] for c in _PERSON_FIELDS}}
               for r in rows if r["employee_ref"] in existing
               and tuple(r[c] for c in _PERSON_FIELDS) != tuple(existing[r["employee_ref"]][2:])]
    if changed:
        conn.execute(update(t).where(t.c.id == bindparam("b_id")).values(
            **{c: bindparam(f"b_{c}") for c in _PERSON_FIELDS}), changed)
    ids = {ref: int(r[0]) for ref, r in existing.items()}
    new_ids = _reserve_ids(conn, t, len(fresh))
    ids.update(zip((r["employee_ref"] for r in fresh), new_ids, strict=True))
    if fresh:
        insert_rows(conn, t, [{**r, "id": i} for r, i in zip(fresh, new_ids, strict=True)])
    wanted = {r["employee_ref"] for r in rows}
    removed = sorted(int(r[0]) for ref, r in existing.items() if ref not in wanted)
    return ids, removed


def _drop_stale_members(conn: Any) -> None:
    """Cohort membership follows each person's origin and transfer date (tupe.sync_after_import
    adds the joiners): a person whose new row names another transferor or date leaves the
    cohort they were in. The cohorts keep their milestones, ELI and measures."""
    m, pe, c = TupeMember.__table__, Person.__table__, TupeCohort.__table__
    stale = (sa_select(m.c.id).select_from(m.join(pe, m.c.person_id == pe.c.id)
                                            .join(c, m.c.cohort_id == c.c.id))
             .where(or_(pe.c.tupe_transfer_date.is_(None),
                        pe.c.tupe_transfer_date != c.c.transfer_date,
                        func.trim(pe.c.origin) != c.c.transferor)))
    ids = [r[0] for r in conn.execute(stale)]
    if ids:
        conn.execute(delete(m).where(m.c.id == bindparam("b_id")), [{"b_id": i} for i in ids])


def _eto_rows(conn: Any) -> list[dict[str, Any]]:
    """Every ETO rationale with the names a person reads (a few per option, never thousands):
    the import's audit event keeps the text of any it removes, so nothing goes unrecorded."""
    e, pe, p, s = (EtoRationale.__table__, Person.__table__, Post.__table__,
                   Structure.__table__)
    q = (sa_select(e.c.id, s.c.name, pe.c.employee_ref, p.c.post_ref, e.c.change,
                   e.c.rationale)
         .select_from(e.join(s, e.c.structure_id == s.c.id)
                      .join(pe, e.c.person_id == pe.c.id)
                      .join(p, e.c.baseline_post_id == p.c.id)))
    return [{"id": i, "option": name, "employee_id": ref, "post_id": post, "change": change,
             "rationale": text} for i, name, ref, post, change, text in conn.execute(q)]


def _reserve_ids(conn: Any, table: Any, n: int) -> list[int]:
    """The ids the database gives the next `n` rows of `table`, in order, taken now so rows
    can be inserted with their ids (and references between them) in one executemany.

    They are the ids a plain insert would have given: on SQLite one more than the largest
    (the rowid rule; the write transaction holds the lock), on PostgreSQL the id sequence's
    next values, drawn from it, so no other insert can take them. Faster than
    INSERT … RETURNING on both backends: SQLAlchemy sends RETURNING through its
    "insertmanyvalues" batches, which psycopg re-parses placeholder by placeholder and which
    SQLite runs one row per statement when the parameter order must be kept.
    """
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        drawn = conn.execute(text(
            "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": n})
        return sorted(int(i) for (i,) in drawn)
    last = conn.execute(sa_select(func.max(table.c.id))).scalar()
    start = int(last or 0) + 1
    return list(range(start, start + n))


def _counts(session: Session, sid: int) -> dict[str, int]:
    p, o = Post.__table__, Occupancy.__table__
    posts = session.exec(sa_select(func.count()).select_from(p).where(p.c.structure_id == sid)).one()
    occ = session.exec(sa_select(func.count()).select_from(o.join(p, o.c.post_id == p.c.id))
                       .where(p.c.structure_id == sid)).one()
    return {"posts": int(posts[0]), "occupancies": int(occ[0])}


