"""The people mapping as a workbook: download it, edit it in Excel, upload it back (issue 12).

HR officers map a hundred people faster in a spreadsheet than in a grid, and they pass the
sheet round before it is agreed. The upload is the establishment import's: the same reader
(sizes, zip bombs, formula cells, bad bytes; every problem located by sheet, row and
column), and all or nothing: `save_mapping` checks every row before anything is written.

Only what was changed in the workbook is saved: each row is compared with what the download
held, so a download uploaded untouched changes nothing (a person mapped `unchanged` by default
stays a default, not a stored choice). The workbook carries the option's name and version on
its `about` sheet; an upload made after someone else changed the mapping is refused as stale,
never merged over their work.

The fund's pension strain figure is an individual cost: its column is in hr's download only
(mapping.costs), and an upload that fills it without that permission is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlmodel import Session

from planner.core.auth import Actor, can, require
from planner.core.errors import RowError, ValidationFailed
from planner.core.models import MAPPING_OUTCOMES, MAPPING_STATUSES, Structure
from planner.core.spreadsheets import Sheet, xlsx_bytes
from planner.establishment.readers import Layout, read_sheets
from planner.establishment.validation import money_pence
from planner.people.mapping import SHEET, mapping_frame, pools_frame, save_mapping
from planner.structures.option_history import check_version

# The mapping sheet: who the person is (read only), then what may be edited.
READ_ONLY = (
    "name",
    "contract",
    "grade",
    "team",
    "post_id",
    "title",
    "default_outcome",
    "option_title",
)
EDITABLE = (
    "outcome",
    "option_post_id",
    "pool",
    "status",
    "note",
    "duties_match",
    "on_family_leave",
    "lgps_member",
)
STRAIN = "pension_strain"  # the fund's figure in pounds; hr's download only
MAPPING_SHEET_COLUMNS = (
    "employee_id",
    "name",
    "contract",
    "grade",
    "team",
    "post_id",
    "title",
    "default_outcome",
    "outcome",
    "option_post_id",
    "option_title",
    "pool",
    "status",
    "note",
    "duties_match",
    "on_family_leave",
    "lgps_member",
    STRAIN,
)
ABOUT_COLUMNS = ("field", "value")
POSTS_COLUMNS = ("post_id", "title", "grade", "team", "fte")
POOLS_COLUMNS = ("pool", "posts")
LAYOUT = Layout(
    columns={
        SHEET: MAPPING_SHEET_COLUMNS,
        "about": ABOUT_COLUMNS,
        "posts": POSTS_COLUMNS,
        "pools": POOLS_COLUMNS,
    },
    required={SHEET: ("employee_id", "outcome"), "about": ABOUT_COLUMNS, "posts": (), "pools": ()},
    csv_names="Upload the mapping workbook (.xlsx) downloaded from the People mapping page.",
    upload_kinds="Upload the mapping workbook (.xlsx) downloaded from the People mapping page.",
    sheet_names="Unknown sheet: a mapping workbook has the sheets mapping, about, posts and "
    "pools, as downloaded.",
)
YES, NO = "yes", "no"


@dataclass(frozen=True)
class MappingUpload:
    """What an upload changed: the option's new version and the people whose rows changed."""

    structure_id: int
    version: int
    changed: tuple[str, ...]


def _yes_no(value: Any) -> str:
    return YES if bool(value) else NO


def _pounds(pence: Any) -> str:
    if pence is None or pd.isna(pence):
        return ""
    return format((Decimal(int(pence)) / 100).quantize(Decimal("0.01")), "f")


def _sheet_rows(frame: pd.DataFrame, costs: bool) -> pd.DataFrame:
    """The mapping as the workbook shows it: every cell text, a choice as its word."""
    out = pd.DataFrame(
        {
            c: frame[c].fillna("").astype(str)
            for c in (
                "employee_id",
                *READ_ONLY,
                "outcome",
                "option_post_id",
                "pool",
                "status",
                "note",
            )
        }
    )
    out["duties_match"] = [
        ("" if v is None or pd.isna(v) else str(int(v))) for v in frame["duties_match"]
    ]
    out["on_family_leave"] = [_yes_no(v) for v in frame["on_family_leave"]]
    out["lgps_member"] = [_yes_no(v) for v in frame["lgps_member"]]
    if costs:
        out[STRAIN] = [_pounds(v) for v in frame["strain_fund_pence"]]
    return out[[c for c in MAPPING_SHEET_COLUMNS if c in out.columns]]


def mapping_workbook(
    *,
    session: Session,
    actor: Actor,
    structure: str | int | Structure,
    now: dt.datetime | None = None,
) -> bytes:
    """The option's mapping as an xlsx workbook (mapping, about, posts, pools): mapping.read,
    with the strain column for mapping.costs only."""
    frame = mapping_frame(session=session, actor=actor, structure=structure)
    option = session.get(Structure, frame.attrs["structure_id"])
    assert option is not None
    costs = can(actor, "mapping.costs")
    rows = _sheet_rows(frame, costs)
    pools = pools_frame(session=session, actor=actor, structure=option.id)
    posts = _option_posts(session, option.id)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%d %b %Y %H:%M UTC")
    about = pd.DataFrame(
        [
            ("option", option.name),
            ("version", str(option.version)),
            ("downloaded", f"{stamp} by {actor.username}"),
            ("outcomes", ", ".join(MAPPING_OUTCOMES)),
            ("statuses", ", ".join(MAPPING_STATUSES)),
            (
                "how",
                "Change outcome, option_post_id, pool, status, note, duties_match (0-100), "
                "on_family_leave and lgps_member (yes or no)"
                + (f", {STRAIN} (the fund's figure in pounds)" if costs else "")
                + " on the mapping sheet, then upload the workbook on the People mapping page. "
                "Other columns are for reading; nothing is saved unless every row is valid; "
                "if the mapping changed after this download, download it again.",
            ),
        ],
        columns=list(ABOUT_COLUMNS),
    )
    widths = {
        "name": 22,
        "title": 30,
        "option_title": 30,
        "team": 24,
        "note": 40,
        "default_outcome": 16,
        "outcome": 20,
        "option_post_id": 16,
        "pool": 30,
    }
    return xlsx_bytes(
        {
            SHEET: Sheet(frame=rows, widths=widths, keep=("duties_match", STRAIN)),
            "about": Sheet(frame=about, widths={"field": 14, "value": 90}),
            "posts": Sheet(frame=posts, widths={"title": 34, "team": 26}),
            "pools": Sheet(
                frame=pools[["name", "post_ids"]]
                .rename(columns={"name": "pool", "post_ids": "posts"})
                .assign(posts=lambda f: f["posts"].map(", ".join)),
                widths={"pool": 40, "posts": 60},
            ),
        }
    )


def _option_posts(session: Session, option_id: int | None) -> pd.DataFrame:
    from planner.establishment.register import posts_frame

    posts = posts_frame(session, option_id)
    out = pd.DataFrame(
        {
            "post_id": posts["post_id"].astype(str),
            "title": posts["title"].astype(str),
            "grade": posts["grade"].astype(str),
            "team": posts["team"].fillna("").astype(str),
            "fte": [str(v) for v in posts["fte"]],
        }
    )
    return out.sort_values("post_id").reset_index(drop=True)


def read_mapping_upload(
    files: Sequence[tuple[str, bytes]],
) -> tuple[dict[str, pd.DataFrame], list[RowError]]:
    """The workbook's sheets as text, each row with `_row`, and every reading problem."""
    sheets, errors = read_sheets(files, LAYOUT)
    if not errors:
        for name in (SHEET, "about"):
            if name not in sheets:
                errors.append(
                    RowError(
                        name,
                        None,
                        "",
                        (
                            f"The {name} sheet is missing: upload the workbook as downloaded from the "
                            "People mapping page."
                        ),
                    )
                )
    return sheets, errors


def _flag(value: str) -> bool | None:
    v = value.strip().lower()
    if v in ("yes", "y", "true", "1"):
        return True
    if v in ("no", "n", "false", "0", ""):
        return False
    return None


def _changes(
    sheet: pd.DataFrame, shown: pd.DataFrame, costs: bool, given: set[str]
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Each sheet row's cells that differ from the download, as save_mapping takes them."""
    errors: list[RowError] = []
    rows: list[dict[str, Any]] = []
    was = shown.set_index("employee_id")
    for rec in sheet.to_dict("records"):
        r, ref = int(rec["_row"]), rec["employee_id"].strip()

        def err(column: str, message: str, r: int = r, ref: str = ref) -> None:
            errors.append(RowError(SHEET, r, column, f"{ref}: {message}" if ref else message))

        if not ref:
            err("employee_id", "The employee_id is blank: every row names a person.")
            continue
        if ref not in was.index:
            rows.append({"employee_id": ref, "_row": r})  # save_mapping names the problem
            continue
        before = was.loc[ref]
        diff: dict[str, Any] = {}
        for col in ("outcome", "option_post_id", "pool", "status", "note"):
            if col in given and rec[col] != before[col]:
                diff[col] = rec[col]
        if "duties_match" in given and rec["duties_match"] != before["duties_match"]:
            text = rec["duties_match"].replace("%", "").strip()
            try:
                diff["duties_match"] = int(Decimal(text)) if text else None
                if text and Decimal(text) != int(Decimal(text)):
                    raise ValueError
            except (ArithmeticError, ValueError):
                err(
                    "duties_match",
                    f"{rec['duties_match']!r} is not a whole percentage from 0 to 100.",
                )
        for col in ("on_family_leave", "lgps_member"):
            if col in given and rec[col].strip().lower() != before[col]:
                flag = _flag(rec[col])
                if flag is None:
                    err(col, f"{rec[col]!r}: write yes or no.")
                elif _yes_no(flag) != before[col]:
                    diff[col] = flag
        if STRAIN in given and rec[STRAIN].strip() != before.get(STRAIN, ""):
            if not costs:
                err(
                    STRAIN,
                    "Only hr enters the pension fund's strain figure: leave this column out.",
                )
            elif not rec[STRAIN].strip():
                diff["strain_fund_pence"] = None
            else:
                pence = money_pence(rec[STRAIN])
                if pence is None:
                    err(
                        STRAIN,
                        f"{rec[STRAIN]!r} is not an amount in pounds (0 or more, "
                        "at most 2 decimal places).",
                    )
                else:
                    diff["strain_fund_pence"] = pence
        if diff:
            rows.append({"employee_id": ref, "_row": r, **diff})
    return rows, errors


def _about(sheet: pd.DataFrame) -> dict[str, tuple[str, int]]:
    return {
        str(f).strip().lower(): (str(v).strip(), int(r))
        for f, v, r in zip(sheet["field"], sheet["value"], sheet["_row"], strict=True)
    }


def upload_mapping(
    *,
    session: Session,
    actor: Actor,
    structure: str | int | Structure,
    files: Sequence[tuple[str, bytes]],
) -> MappingUpload:
    """Save the changes an edited mapping workbook holds, all or nothing (ValidationFailed with
    every problem by sheet, row and column); stale if the option changed since the download."""
    require(actor, "mapping.edit", "person_mapping")
    frame = mapping_frame(session=session, actor=actor, structure=structure)
    option = session.get(Structure, frame.attrs["structure_id"])
    assert option is not None and option.id is not None
    sheets, errors = read_mapping_upload(files)
    if errors:
        raise ValidationFailed(errors)
    about = _about(sheets["about"])
    name, name_row = about.get("option", ("", None))  # type: ignore[arg-type]
    if name != option.name:
        raise ValidationFailed(
            [
                RowError(
                    "about",
                    name_row,
                    "value",
                    (
                        f"This workbook is the mapping of {name or 'no option'}, not of {option.name}: "
                        "upload it on that option, or download this option's mapping."
                    ),
                )
            ]
        )
    version_text, version_row = about.get("version", ("", None))  # type: ignore[arg-type]
    if not version_text.isdigit():
        raise ValidationFailed(
            [
                RowError(
                    "about",
                    version_row,
                    "value",
                    ("The workbook's version is missing or changed: download the mapping again."),
                )
            ]
        )
    check_version(session, option, int(version_text))
    costs = can(actor, "mapping.costs")
    # The download's rows, compared as text: what the person saw is what they changed.
    full = frame if costs else frame.assign(strain_fund_pence=None)
    shown = _sheet_rows(full, costs)
    sheet = sheets[SHEET]
    # A column left out of the upload changes nothing (the reader fills it blank).
    given = set(sheet.attrs.get("given", sheet.columns))
    rows, errors = _changes(sheet, shown, costs, given)
    if errors:
        raise ValidationFailed(errors)
    changed = tuple(r["employee_id"] for r in rows)
    saved = save_mapping(
        session=session, actor=actor, structure=option, rows=rows, expected_version=option.version
    )
    return MappingUpload(structure_id=option.id, version=saved.version, changed=changed)
