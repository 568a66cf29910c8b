"""Enforcement (issue 13 item 5): every public function of planner.publishing, called as a
union representative against a database holding names, pay, dates of birth and equality
answers, returns nothing of any person. A new public function must be classified here, or
this test fails: nobody adds a reader a union rep can reach without it being checked."""

from __future__ import annotations

import importlib
import inspect
import io
import json
import pkgutil
import re
import zipfile

import pandas as pd
import pytest
from sqlmodel import select

import planner.publishing
from planner.core.errors import PermissionDenied
from planner.core.models import Person
from planner.publishing import drafts as d
from planner.publishing import responses as r
from tests.publishing.conftest import OPTION, TODAY

# Called below as a union rep, their output scanned.
READERS = {"drafts.drafts_frame", "drafts.read_draft", "drafts.draft_changes",
           "responses.responses_frame", "responses.response_log_xlsx",
           "snapshot.build_snapshot", "drafts.checklist", "pack.pack_blocks",
           "pack.pack_docx", "pack.pack_pdf", "pack.pack_name"}
# Change things; a union rep may only respond (its own words), the rest refuse them.
WRITERS = {"drafts.publish", "drafts.withdraw", "responses.submit_response",
           "responses.reply_to_response"}
PAY_PENCE = 5_432_187  # a salary no grade has: £54,321.87


def _public_functions() -> set[str]:
    found = set()
    for info in pkgutil.iter_modules(planner.publishing.__path__):
        module = importlib.import_module(f"planner.publishing.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and fn.__module__ == module.__name__:
                found.add(f"{info.name}.{name}")
    return found


def test_every_public_function_is_classified():
    assert _public_functions() == READERS | WRITERS


def _text(value) -> str:
    if isinstance(value, bytes) and value.startswith(b"%PDF"):
        import pypdf

        return " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(value)).pages)
    if isinstance(value, list):  # the pack's blocks
        return json.dumps([[b.kind, b.text, b.header, b.rows] for b in value], default=str)
    if isinstance(value, bytes):
        with zipfile.ZipFile(io.BytesIO(value)) as z:
            return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if isinstance(value, pd.DataFrame):
        return value.to_json(date_format="iso", default_handler=str)
    if hasattr(value, "as_dict"):
        return json.dumps(value.as_dict(), default=str)
    return json.dumps(value, default=str)


def test_nothing_of_a_person_reaches_a_union_rep(world):
    with world.session() as s:
        person = s.exec(select(Person).where(Person.employee_ref == "E0002")).one()
        person.annual_salary_pence = PAY_PENCE  # a figure that could only come from one person
        s.add(person)
        s.commit()
        people = s.exec(select(Person)).all()
    with world.session() as s:
        draft = d.publish(session=s, actor=world.actors["hr"], structure=world.option_id,
                          note="First draft.", today=TODAY)
        r.submit_response(session=s, actor=world.actors["union"], draft_id=draft.id,
                          text="Please publish the selection criteria.", team="Service Desk")
        s.commit()
    union = world.actors["union"]
    outputs = {}
    with world.session() as s:
        outputs["drafts.drafts_frame"] = d.drafts_frame(session=s, actor=union)
        view = d.read_draft(session=s, actor=union, structure=OPTION)
        outputs["drafts.read_draft"] = view
        outputs["drafts.draft_changes"] = d.draft_changes(None, view.snapshot)
        log = r.responses_frame(session=s, actor=union, structure=OPTION)
        outputs["responses.responses_frame"] = log
        outputs["responses.response_log_xlsx"] = r.response_log_xlsx(log, option=OPTION)
        from planner.publishing import pack
        from planner.ui.drafts import pack_charts

        charts = pack_charts(view.snapshot)
        outputs["pack.pack_blocks"] = pack.pack_blocks(view, charts)
        outputs["pack.pack_docx"] = pack.pack_docx(view, charts)
        outputs["pack.pack_pdf"] = pack.pack_pdf(view, charts)
        outputs["pack.pack_name"] = pack.pack_name(view, "pdf")
        from planner.publishing.snapshot import build_snapshot
        from planner.structures.options import resolve_structure

        for name, call in (
                ("snapshot.build_snapshot", lambda: build_snapshot(
                    s, union, resolve_structure(s, OPTION), note="", today=TODAY)),
                ("drafts.checklist", lambda: d.checklist(session=s, actor=union,
                                                         structure=OPTION))):
            with pytest.raises(PermissionDenied):
                call()
            outputs[name] = None
    assert set(outputs) == READERS
    secrets = {"name": [p.name for p in people],
               "employee id": [p.employee_ref for p in people],
               "date of birth": [p.date_of_birth.isoformat() for p in people if p.date_of_birth]
               + [p.date_of_birth.strftime("%d %b %Y") for p in people if p.date_of_birth],
               "pay": [str(PAY_PENCE), "54,321.87", "54321.87"]}
    for name, value in outputs.items():
        if value is None:
            continue
        text = _text(value)
        for kind, values in secrets.items():
            leaked = [v for v in values if re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])",
                                                     text)]
            assert not leaked, f"{name} shows a {kind}: {leaked[:3]}"
    assert "First draft." in _text(outputs["drafts.read_draft"])  # the scan reads real text
