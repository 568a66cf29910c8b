"""`python -m planner`: a real interface, exercised as a script would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from planner.cli import main
from tests.factories import csv_bytes, posts_frame


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture
def demo_db(database_url, capsys) -> str:
    code, out = run(capsys, "load-demo", "--db", database_url, "--json")
    assert code == 0 and out["demo_loaded"] is True and out["users_created"] == 4
    return database_url


def test_init_db_loads_reference_once(database_url, capsys):
    code, out = run(capsys, "init-db", "--db", database_url, "--json")
    assert code == 0 and out["loaded"]["grades"] == 19 and out["loaded"]["partners"] == 4
    code, out = run(capsys, "init-db", "--db", database_url, "--json")
    assert out["loaded"] == {"pay_spine": 0, "grades": 0, "partners": 0}


def test_load_demo_twice_keeps_data(demo_db, capsys):
    code, out = run(capsys, "load-demo", "--db", demo_db, "--json")
    assert code == 0 and out["demo_loaded"] is False and out["users_created"] == 0


def test_load_demo_force_replaces_the_demo_option(demo_db, capsys):
    """Catches: --force failing because the demo's own option blocks the import, or
    silently deleting an option someone else made."""
    code, out = run(capsys, "load-demo", "--db", demo_db, "--json", "--force")
    assert code == 0 and out["demo_loaded"] is True
    assert out["options_replaced"] == ["Option 1: single service desk"]
    code, out = run(capsys, "option", "create", "Option 2: mine", "--db", demo_db, "--json",
                    "--user", "manager")
    assert code == 0
    code, out = run(capsys, "load-demo", "--db", demo_db, "--json", "--force")
    assert code == 2 and out["ok"] is False and "Option 2: mine" in out["message"]
    code, out = run(capsys, "option", "list", "--db", demo_db, "--json")
    assert [s["name"] for s in out["structures"]] == [
        "Current establishment", "Option 1: single service desk", "Option 2: mine"]


def test_summary_json(demo_db, capsys):
    from planner.auth import SYSTEM
    from planner.db import make_engine, read_session
    from planner.establishment import headline_metrics

    code, out = run(capsys, "summary", "--db", demo_db, "--json")
    assert code == 0
    engine = make_engine(demo_db)
    with read_session(engine) as s:
        expected = headline_metrics(session=s, actor=SYSTEM).as_dict()
    engine.dispose()
    assert out["summary"] == expected


def test_summary_as_union_is_refused(demo_db, capsys):
    code, out = run(capsys, "summary", "--db", demo_db, "--json", "--user", "union")
    assert code == 1 and out["ok"] is False and "union" in out["message"]


def test_import_bad_file_exit_2_with_errors(demo_db, capsys, tmp_path):
    bad = tmp_path / "posts.csv"
    bad.write_bytes(csv_bytes(posts_frame([
        {"post_id": "P1", "title": "Head", "grade": "SM2"},
        {"post_id": "P2", "title": "Officer", "grade": "PO99", "reports_to": "P1"},
    ])))
    code, before = run(capsys, "summary", "--db", demo_db, "--json")
    code, out = run(capsys, "import", str(bad), "--db", demo_db, "--json")
    assert code == 2 and out["ok"] is False
    assert out["errors"][0]["sheet"] == "posts"
    assert out["errors"][0]["row"] == 3
    assert out["errors"][0]["column"] == "grade"
    code, after = run(capsys, "summary", "--db", demo_db, "--json")
    assert after == before


def _delete_demo_option(url: str) -> None:
    """The importer refuses to replace an establishment that options are built on."""
    from planner.db import make_engine, write_session
    from planner.demo import DEMO_AUTHOR, DEMO_OPTION_NAME
    from planner.options import delete_option

    engine = make_engine(url)
    with write_session(engine) as s:
        delete_option(session=s, actor=DEMO_AUTHOR, structure=DEMO_OPTION_NAME)
    engine.dispose()


def test_export_then_import_round_trip(demo_db, capsys, tmp_path):
    _delete_demo_option(demo_db)
    out_file = tmp_path / "est.xlsx"
    code, out = run(capsys, "export", "--format", "xlsx", str(out_file), "--db", demo_db, "--json")
    assert code == 0 and out_file.stat().st_size > 0
    code, before = run(capsys, "summary", "--db", demo_db, "--json")
    code, out = run(capsys, "import", str(out_file), "--db", demo_db, "--json")
    assert code == 0, out
    code, after = run(capsys, "summary", "--db", demo_db, "--json")
    assert after == before
    csv_dir = tmp_path / "csv"
    code, out = run(capsys, "export", "--format", "csv", str(csv_dir), "--db", demo_db, "--json")
    assert code == 0 and {p.rsplit("/", 1)[-1] for p in out["written"]} >= {"posts.csv", "people.csv"}


def test_users_add_and_list(database_url, capsys, monkeypatch):
    import io

    run(capsys, "init-db", "--db", database_url, "--json")
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password\n"))
    code, out = run(capsys, "users", "add", "jo", "--role", "hr", "--name", "Jo Bloggs",
                    "--password-stdin", "--db", database_url, "--json")
    assert code == 0 and out["user"] == {"username": "jo", "role": "hr", "email": None}
    code, out = run(capsys, "users", "list", "--db", database_url, "--json")
    assert [u["username"] for u in out["users"]] == ["jo"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, out = run(capsys, "users", "add", "kim", "--role", "hr", "--password-stdin",
                    "--db", database_url, "--json")
    assert code == 2 and out["errors"][0]["column"] == "password"


def test_module_entry_point_runs(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    proc = subprocess.run([sys.executable, "-m", "planner", "init-db", "--db", url],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Database ready" in proc.stdout


def test_hierarchy_json_on_the_demo(demo_db, capsys):
    code, out = run(capsys, "hierarchy", "--db", demo_db, "--json")
    h = out["hierarchy"]
    assert code == 0 and h["valid"] is True
    assert (h["posts"], h["roots"], h["layers"]) == (94, ["ICT-001"], 5)
    assert h["cycles"] == [] and h["unknown_managers"] == {}
    assert h["narrow_managers"] == ["ICT-004", "ICT-035", "ICT-044", "ICT-053", "ICT-055",
                                    "ICT-073", "ICT-078"]
    assert h["wide_managers"] == [] and h["span"]["max"] == 7


def test_hierarchy_accepts_declared_roots_and_refuses_union(demo_db, capsys):
    code, out = run(capsys, "hierarchy", "--db", demo_db, "--json", "--root", "ICT-001",
                    "--root", "ICT-002")
    assert code == 0 and out["hierarchy"]["valid"] is True
    code, out = run(capsys, "hierarchy", "--db", demo_db, "--json", "--user", "union")
    assert code == 1


# --- options and diff ------------------------------------------------------------------------


def test_option_create_list_and_diff(demo_db, capsys):
    code, out = run(capsys, "option", "create", "Option A", "--db", demo_db, "--json",
                    "--user", "manager")
    assert code == 0 and out["option"]["name"] == "Option A" and out["option"]["status"] == "draft"
    code, out = run(capsys, "option", "create", "Option B", "--from", "Option A", "--db", demo_db,
                    "--json", "--user", "hr")
    assert code == 0 and out["option"]["copied_from_id"] is not None
    code, out = run(capsys, "option", "list", "--db", demo_db, "--json")
    assert [(s["name"], s["kind"], s["posts"]) for s in out["structures"]] == [
        ("Current establishment", "baseline", 94),
        ("Option 1: single service desk", "option", 76),  # the demo's own
        ("Option A", "option", 94), ("Option B", "option", 94)]
    code, out = run(capsys, "diff", "baseline", "Option B", "--db", demo_db, "--json")
    assert code == 0 and out["diff"]["counts"]["unchanged"] == 94
    assert out["diff"]["deleted"] == [] and out["diff"]["people_in_deleted_posts"] == []


def test_option_import_then_diff_names_the_people_in_deleted_posts(demo_db, capsys, tmp_path):
    import pandas as pd

    run(capsys, "export", "--format", "csv", str(tmp_path), "--db", demo_db, "--json")
    posts = pd.read_csv(tmp_path / "posts.csv", dtype=str, keep_default_na=False)
    leaf = "ICT-094"  # a Business Intelligence Analyst: nobody reports to it, one person in it
    assert leaf in set(posts["post_id"]) and leaf not in set(posts["reports_to"])
    posts = posts[posts["post_id"] != leaf].copy()
    posts.loc[posts["post_id"] == "ICT-012", "grade"] = "PO5"
    edited = tmp_path / "edited" / "posts.csv"
    edited.parent.mkdir()
    edited.write_bytes(csv_bytes(posts))
    code, out = run(capsys, "option", "import", "Lean", str(edited), str(tmp_path / "people.csv"),
                    "--db", demo_db, "--json", "--user", "manager")
    assert code == 0, out
    imported = out["imported"]
    assert (imported["posts"], imported["deleted"], imported["regraded"], imported["new"]) == (
        93, 1, 1, 0)
    assert imported["notes"] and "people sheet was ignored" in imported["notes"][0]
    code, out = run(capsys, "diff", "baseline", "Lean", "--db", demo_db, "--json",
                    "--user", "hr")
    d = out["diff"]
    assert code == 0 and [r["post_id"] for r in d["deleted"]] == [leaf]
    assert [r["post_id"] for r in d["regraded"]] == ["ICT-012"]
    assert d["regraded"][0]["grade_after"] == "PO5"
    people = pd.read_csv(tmp_path / "people.csv", dtype=str, keep_default_na=False)
    expected = people[people["post_id"] == leaf]
    assert [(p["employee_id"], p["name"], p["post_id"]) for p in d["people_in_deleted_posts"]] == [
        (e, n, leaf) for e, n in zip(expected["employee_id"], expected["name"], strict=True)]


@pytest.mark.parametrize(("argv", "code"), [
    (["option", "create", "X"], 1),  # the default user is the system administrator
    (["option", "create", "X", "--user", "union"], 1),
    (["option", "list", "--user", "union"], 1),
    (["diff", "baseline", "baseline", "--user", "union"], 1),
    (["option", "create", "baseline", "--user", "hr"], 2),
    (["option", "create", "X", "--from", "Nowhere", "--user", "hr"], 2),
    (["diff", "baseline", "Nowhere"], 2),
])
def test_option_commands_refuse(demo_db, capsys, argv, code):
    got, out = run(capsys, *argv, "--db", demo_db, "--json")
    assert got == code and out["ok"] is False


def test_option_import_bad_file_exit_2_and_nothing_created(demo_db, capsys, tmp_path):
    bad = tmp_path / "posts.csv"
    bad.write_bytes(csv_bytes(posts_frame([
        {"post_id": "P1", "title": "Head", "grade": "SM2"},
        {"post_id": "P2", "title": "Officer", "grade": "PO99", "reports_to": "P9"},
    ])))
    code, out = run(capsys, "option", "import", "Bad", str(bad), "--db", demo_db, "--json",
                    "--user", "hr")
    assert code == 2
    assert {(e["row"], e["column"]) for e in out["errors"]} == {(3, "grade"), (3, "reports_to")}
    code, out = run(capsys, "option", "list", "--db", demo_db, "--json")
    assert [s["name"] for s in out["structures"]] == ["Current establishment",
                                                      "Option 1: single service desk"]


def test_cost_of_the_demo_against_its_envelope(demo_db, capsys):
    code, out = run(capsys, "cost", "--db", demo_db, "--json")
    assert code == 0
    cost = out["cost"]
    assert cost["months"] == 12 and cost["full_year_pence"] == cost["part_year_pence"]
    assert sum(d["full_year_pence"] for d in cost["by_division"]) == cost["full_year_pence"]
    assert sum(p["full_year_pence"] for p in cost["by_partner"]) == cost["full_year_pence"]
    assert sum(f["posts"] for f in cost["by_funding"]) == 94
    env = cost["envelope"]
    assert env["envelope_pence"] == 7_000_000_00 and env["spend_pence"] == cost["full_year_pence"]
    assert sum(p["spend_pence"] for p in env["partners"]) == env["spend_pence"]
    # The LGA (a customer) pays for its own posts: no envelope, not held against the partners'.
    lga = next(p for p in env["partners"] if p["partner"] == "LGA")
    assert lga["envelope_pence"] is None and lga["headroom_pence"] is None
    councils = [p for p in env["partners"] if p["envelope_pence"] is not None]
    assert [p["partner"] for p in councils] == ["Brent", "Lewisham", "Southwark"]
    assert sum(p["envelope_pence"] for p in councils) == 7_000_000_00
    assert env["headroom_pence"] == sum(p["headroom_pence"] for p in councils)
    assert env["headroom_pence"] == 7_000_000_00 - (env["spend_pence"] - lga["spend_pence"])
    code, out = run(capsys, "cost", "--db", demo_db, "--json", "--months", "5")
    assert out["cost"]["part_year_pence"] < out["cost"]["full_year_pence"]
    code, out = run(capsys, "cost", "--db", demo_db, "--json", "--user", "union")
    assert code == 1
    code, out = run(capsys, "cost", "--db", demo_db, "--json", "--structure", "No such")
    assert code == 2


def test_statutory_date_commands_are_wired_in(capsys, tmp_path):
    """The date rules answer through `python -m planner` without touching any database."""
    db = f"sqlite:///{tmp_path / 'never.db'}"
    code, out = run(capsys, "consultation-dates", "--proposed", "25", "--launch", "2026-02-05",
                    "--first-dismissal", "2026-03-01", "--json", "--db", db)
    assert code == 0
    plan = out["consultation"]
    assert plan["applies"] is True and plan["minimum_days"] == 30
    assert plan["earliest_first_dismissal"] == "2026-03-07"
    assert plan["breaches"] == ["First dismissal on 1 Mar 2026 is 24 days after the consultation "
                                "began; for 25 proposed dismissals s.188 requires at least 30."]
    code, out = run(capsys, "notice", "--start", "2014-01-06", "--end", "2026-11-27", "--json",
                    "--db", db)
    assert code == 0 and out["notice"]["statutory_notice_weeks"] == 12
    code, out = run(capsys, "tupe-dates", "--transfer", "2026-02-30", "--json", "--db", db)
    assert code == 2 and out["errors"][0]["column"] == "--transfer"
    assert not (tmp_path / "never.db").exists()


# --- equality --------------------------------------------------------------------------------

DEMO_OPTION = "Option 1: single service desk"


def test_equality_is_suppressed_unless_hr_or_admin_asks(demo_db, capsys):
    """Catches: the command printing small counts by default or to a manager, refusing hr,
    or a union rep reading an unpublished option's analysis. 24 at risk of 65 employees is
    data/demo/README.md's hand count (22 in deleted posts + 2 in regraded posts)."""
    code, out = run(capsys, "equality", "--structure", DEMO_OPTION, "--db", demo_db, "--json")
    assert code == 0
    d = out["equality"]
    assert (d["suppressed"], d["threshold"], d["service_total"], d["at_risk_total"]) == (
        True, 10, 65, 24)
    for r in d["table"]:
        for col in ("service", "at_risk"):
            if r[col] is None:
                assert r[f"{col}_text"] in ("<10", "*", "—")
            else:
                assert r[col] >= 10 and r[f"{col}_text"] == str(r[col])
        if r["ratio"] is not None:
            assert r["service"] is not None and r["at_risk"] is not None
    assert any(r["service_text"] == "<10" for r in d["table"])
    code, out = run(capsys, "equality", "--structure", DEMO_OPTION, "--db", demo_db, "--json",
                    "--user", "manager")
    assert code == 0 and out["equality"]["suppressed"] is True
    code, out = run(capsys, "equality", "--structure", DEMO_OPTION, "--db", demo_db, "--json",
                    "--user", "union")
    assert code == 1 and "published" in out["message"]


def test_equality_unsuppressed_for_hr_matches_the_demo_answers(demo_db, capsys):
    """Catches: hr shown suppressed figures, groups that do not add up to the service, or
    answers miscounted against data/demo/equality.csv (counted here with the csv module)."""
    import csv
    from collections import Counter

    from planner.config import ROOT

    code, out = run(capsys, "equality", "--structure", DEMO_OPTION, "--db", demo_db, "--json",
                    "--user", "hr")
    assert code == 0
    d = out["equality"]
    assert d["suppressed"] is False and d["at_risk_total"] == 24
    table = d["table"]
    for key in {r["characteristic"] for r in table}:
        rows = [r for r in table if r["characteristic"] == key]
        assert sum(r["service"] for r in rows) == 65, key
        assert sum(r["at_risk"] for r in rows) == 24, key
    with (ROOT / "data" / "demo" / "equality.csv").open(newline="", encoding="utf-8") as fh:
        answers = Counter(r["sex"] or "unknown" for r in csv.DictReader(fh))
    assert {r["category"]: r["service"] for r in table if r["characteristic"] == "sex"} == answers
    part = next(r for r in table if r["characteristic"] == "working_pattern"
                and r["category"] == "part-time")
    # E0003 (0.5), E0022 and E0023 (job share, 0.5 each) are at risk; E0049 (0.8) is not.
    assert (part["service"], part["at_risk"]) == (4, 3)
    code, text = main(["equality", "--structure", DEMO_OPTION, "--db", demo_db,
                       "--user", "admin"]), capsys.readouterr().out
    assert code == 0 and text.startswith(f"{DEMO_OPTION}: 24 of 65 employees at risk "
                                         "(unsuppressed)")


def test_summary_text_says_posts_without_an_employee_as_the_pages_do(demo_db, capsys):
    """Catches: the CLI calling the 30 "vacancies" while the pages call 7 "vacant"."""
    from planner.establishment import without_employee_sentence

    code, out = run(capsys, "summary", "--db", demo_db, "--json")
    m = out["summary"]
    assert main(["summary", "--db", demo_db]) == 0
    text = capsys.readouterr().out
    sentence = without_employee_sentence(m["vacancies_covered_by_interims"],
                                          m["vacant_uncovered"])
    assert sentence in text
    assert "Vacancies" not in text
