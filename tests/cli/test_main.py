"""`python -m planner`: a real interface, exercised as a script would."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

import pytest

from planner.cli.main import build_parser, main, wrap_text
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
    from planner.core.auth import SYSTEM
    from planner.core.db import make_engine, read_session
    from planner.establishment.register import headline_metrics

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
    """The importer refuses to replace an establishment that options are built on (the demo's
    option is published, so only a demo reload may delete it)."""
    from planner.cli.demo import DEMO_AUTHOR, DEMO_OPTION_NAME
    from planner.core.db import make_engine, write_session
    from planner.structures.options import delete_option

    engine = make_engine(url)
    with write_session(engine) as s:
        delete_option(session=s, actor=DEMO_AUTHOR, structure=DEMO_OPTION_NAME,
                      demo_reload=True)
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


def test_users_deactivate_activate_role_and_reset_password(demo_db, capsys, monkeypatch):
    """Catches: no way to demote or deactivate anyone at all (issue 10)."""
    import io

    code, out = run(capsys, "users", "role", "hr", "union", "--db", demo_db, "--json")
    assert code == 0 and out["user"] == {"username": "hr", "role": "union", "active": True}
    code, out = run(capsys, "users", "deactivate", "manager", "--db", demo_db, "--json")
    assert code == 0 and out["user"]["active"] is False
    code, out = run(capsys, "users", "list", "--db", demo_db, "--json")
    assert {u["username"]: (u["role"], u["active"]) for u in out["users"]}["manager"] == \
        ("manager", False)
    code, out = run(capsys, "users", "activate", "manager", "--db", demo_db, "--json")
    assert out["user"]["active"] is True
    code, out = run(capsys, "users", "deactivate", "admin", "--db", demo_db, "--json")
    assert code == 2 and "last active administrator" in out["errors"][0]["message"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("another-long-password\n"))
    code, out = run(capsys, "users", "reset-password", "manager", "--password-stdin",
                    "--db", demo_db, "--json")
    assert code == 0
    code, out = run(capsys, "users", "role", "admin", "hr", "--user", "manager",
                    "--db", demo_db, "--json")
    assert code == 1  # a manager may not manage users


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
    # The make-up: what the headroom covers, the customer named (issue 17).
    assert env["customers"] == ["LGA"] and env["customer_posts"] == "income"
    assert env["customer_charges_pence"] == env["customer_income_pence"] == lga["spend_pence"]
    assert env["net_spend_pence"] == env["spend_pence"] - lga["spend_pence"]
    assert env["shared_cost_pence"] + env["own_cost_pence"] == env["net_spend_pence"]
    assert env["partner_headroom_pence"] == env["headroom_pence"]
    assert env["reconciling_pence"] == 0 and env["partners_over"] == []
    assert "LGA" in env["covers"] and env["headline"].startswith("Headroom £")
    assert main(["cost", "--db", demo_db]) == 0
    text = capsys.readouterr().out
    assert "Less customer income (LGA)" in text and "LGA (customer)" in text
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
    or a union rep reading an unpublished option's analysis. 15 at risk of 65 employees is
    data/demo/README.md's hand count from the demo's people mapping (5 at risk, 7 ring-fenced,
    3 voluntary redundancies)."""
    code, out = run(capsys, "equality", "--structure", DEMO_OPTION, "--db", demo_db, "--json")
    assert code == 0
    d = out["equality"]
    assert (d["suppressed"], d["threshold"], d["service_total"], d["at_risk_total"]) == (
        True, 10, 65, 15)
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
    # A union rep never reads a live option, published or not: the drafts only (issue 13).
    code, out = run(capsys, "equality", "--structure", DEMO_OPTION, "--db", demo_db, "--json",
                    "--user", "union")
    assert code == 1


def test_a_union_refusal_is_the_same_for_a_draft_and_a_missing_option(demo_db, capsys):
    """Catches: the command naming the unpublished option to a union rep, or answering a name
    that matches nothing differently (exit code or message), so drafts could be probed."""
    from planner.structures.options import NOT_READABLE

    code, _ = run(capsys, "option", "create", "Option B: working draft", "--db", demo_db,
                  "--json", "--user", "manager")
    assert code == 0
    answers = []
    for name in ("Option B: working draft", "OPTION B: WORKING DRAFT", "No such option",
                 "baseline", "99999"):
        code, out = run(capsys, "equality", "--structure", name, "--db", demo_db, "--json",
                        "--user", "union")
        answers.append((code, out["ok"], out["message"]))
    assert len(set(answers)) == 1 and answers[0][:2] == (1, False)  # one answer for all
    assert "working draft" not in answers[0][2] and "working draft" not in NOT_READABLE


def test_equality_unsuppressed_for_hr_matches_the_demo_answers(demo_db, capsys):
    """Catches: hr shown suppressed figures, groups that do not add up to the service, or
    answers miscounted against data/demo/equality.csv (counted here with the csv module)."""
    import csv
    from collections import Counter

    from planner.core.config import ROOT

    code, out = run(capsys, "equality", "--structure", DEMO_OPTION, "--db", demo_db, "--json",
                    "--user", "hr")
    assert code == 0
    d = out["equality"]
    assert d["suppressed"] is False and d["at_risk_total"] == 15  # the demo's mapping
    table = d["table"]
    for key in {r["characteristic"] for r in table}:
        rows = [r for r in table if r["characteristic"] == key]
        assert sum(r["service"] for r in rows) == 65, key
        assert sum(r["at_risk"] for r in rows) == 15, key
    with (ROOT / "data" / "demo" / "equality.csv").open(newline="", encoding="utf-8") as fh:
        answers = Counter(r["sex"] or "unknown" for r in csv.DictReader(fh))
    assert {r["category"]: r["service"] for r in table if r["characteristic"] == "sex"} == answers
    part = next(r for r in table if r["characteristic"] == "working_pattern"
                and r["category"] == "part-time")
    # E0022 (voluntary redundancy) and E0023 (at risk), a job share at 0.5 each, are at risk;
    # E0003 (0.5) is slotted into a new analyst post and E0049 (0.8) stays.
    assert (part["service"], part["at_risk"]) == (4, 2)
    code, text = main(["equality", "--structure", DEMO_OPTION, "--db", demo_db,
                       "--user", "admin"]), capsys.readouterr().out
    assert code == 0 and text.startswith(f"{DEMO_OPTION}: 15 of 65 employees at risk "
                                         "(unsuppressed)")


# --- the first ten minutes: options anywhere, help, errors, wrapping, demo sign-ins ----------

# Every command with the least it needs. A command missing here fails
# test_every_command_has_a_row: add its row so its options are tested in every position.
COMMAND_ARGS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("init-db",): (),
    ("load-demo",): ("--force",),
    ("import",): ("posts.csv",),
    ("export",): ("--format", "csv", "out"),
    ("summary",): (),
    ("hierarchy",): ("--root", "ICT-001"),
    ("template",): ("template.xlsx",),
    ("users", "add"): ("jo", "--role", "hr"),
    ("users", "list"): (),
    ("users", "deactivate"): ("jo",),
    ("users", "activate"): ("jo",),
    ("users", "role"): ("jo", "union"),
    ("users", "reset-password"): ("jo", "--password-stdin"),
    ("backup",): ("out.zip",),
    ("restore",): ("in.zip",),
    ("option", "create"): ("Option A",),
    ("option", "import"): ("Option A", "posts.csv"),
    ("option", "list"): (),
    ("option", "archive"): ("Option A",),
    ("option", "restore"): ("Option A",),
    ("option", "conflicts"): ("Option A",),
    ("diff",): ("baseline", "Option A"),
    ("consultation-dates",): ("--proposed", "25", "--launch", "2027-02-01"),
    ("tupe-dates",): ("--transfer", "2027-04-01"),
    ("notice",): ("--start", "2020-01-06", "--end", "2027-02-01"),
    ("cost",): ("--structure", "baseline"),
    ("equality",): ("--structure", "Option A"),
    ("mapping",): ("--structure", "Option A"),
    ("plan",): ("--structure", "Option A", "--years", "4"),
    ("publish",): ("--structure", "Option A", "--note", "First draft"),
    ("drafts",): (),
    ("draft", "show"): ("1",),
    ("import-organogram",): ("senior.csv", "junior.csv"),
    ("export-organogram",): ("out", "--structure", "Option A"),
    ("redundancy-pay",): ("--dob", "1970-06-01", "--start", "2006-04-01", "--relevant",
                          "2026-12-03", "--week-pay", "750"),
}
URL = "sqlite:////tmp/never-opened.db"
GLOBAL = ("--db", URL, "--json", "--user", "hr")


def _leaf_commands(parser: argparse.ArgumentParser,
                   path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _leaf_commands(child, (*path, name))
    return found or [path]


def test_every_command_has_a_row():
    """Catches: a new command whose --db/--json/--user nobody tried in both positions."""
    assert sorted(_leaf_commands(build_parser())) == sorted(COMMAND_ARGS)


def _positions(command: tuple[str, ...], rest: tuple[str, ...]) -> dict[str, list[str]]:
    db, json_flag, user = GLOBAL[:2], GLOBAL[2:3], GLOBAL[3:]
    return {
        "before": [*GLOBAL, *command, *rest],
        "after": [*command, *rest, *GLOBAL],
        "mixed": [*json_flag, *command, *db, *rest, *user],
        # between "option" and "create": the group's own parser takes them too
        "between": [*command[:1], *GLOBAL, *command[1:], *rest],
    }


@pytest.mark.parametrize("position", ["before", "after", "mixed", "between"])
@pytest.mark.parametrize("command", list(COMMAND_ARGS), ids=" ".join)
def test_global_options_before_or_after_every_command(command, position):
    """Catches: `--json cost` rejected, or a value given before the command reset to its
    default by the command's own copy of the option (argparse copies the subcommand's
    defaults over the top level's)."""
    argv = _positions(command, COMMAND_ARGS[command])[position]
    args = build_parser().parse_args(argv)
    assert (args.db, args.json, args.user) == (URL, True, "hr")
    assert args.command == command[0]


@pytest.mark.parametrize("command", list(COMMAND_ARGS), ids=" ".join)
def test_global_options_default_when_not_given(command):
    args = build_parser().parse_args([*command, *COMMAND_ARGS[command]])
    assert (args.db, args.json, args.user) == (None, False, None)


def test_help_lists_the_global_options_and_each_command_once():
    """Catches: `--help` printing the {init-db,load-demo,...} choices twice, or not saying
    that --db, --json and --user exist."""
    text = build_parser().format_help()
    assert "{" not in text
    for option in ("--db URL", "--json", "--user NAME"):
        assert text.count(option) == 2  # in the usage line and in the list
    for command in sorted({c[0] for c in COMMAND_ARGS}):
        assert len(re.findall(rf"^\s+{re.escape(command)}(\s|$)", text, re.M)) == 1, command


@pytest.mark.parametrize("position", ["before", "after"])
def test_json_and_user_before_or_after_cost_give_the_same_answer(demo_db, capsys, position):
    """The issue's own example, through main() on the demo: `--json cost --structure baseline`
    and `cost --structure baseline --json` print the same JSON; --user union is refused
    wherever it stands."""
    command = ["cost", "--structure", "baseline"]
    flags = ["--db", demo_db, "--json"]
    argv = [*flags, *command] if position == "before" else [*command, *flags]
    code, out = run(capsys, *argv)
    code_ref, ref = run(capsys, "cost", "--db", demo_db, "--json")
    assert code == code_ref == 0 and out == ref
    refused = [*flags, "--user", "union", *command] if position == "before" else [
        *command, *flags, "--user", "union"]
    code, out = run(capsys, *refused)
    assert code == 1 and out["ok"] is False


@pytest.mark.parametrize(("argv", "option"), [
    (["consultation-dates", "--proposed", "25", "--launch", "2027-02-30"], "--launch"),
    (["tupe-dates", "--transfer", "2027-02-30"], "--transfer"),
    (["notice", "--start", "2027-02-30", "--end", "2028-01-01"], "--start"),
    (["notice", "--start", "2020-01-01", "--end", "2028-01-01", "--dismissal", "2027-02-30"],
     "--dismissal"),
])
def test_a_bad_date_is_reported_once_in_one_sentence(capsys, argv, option):
    """Catches: the summary line ("1 error; first: arguments column --launch: ...") and the
    list repeating the same error, or a traceback."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.splitlines() == [
        f"error: {option}: '2027-02-30' is not a date; use YYYY-MM-DD, e.g. 2026-04-01."]


def test_several_bad_arguments_are_listed_once_each(capsys):
    code = main(["notice", "--start", "2027-02-30", "--end", "soon"])
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: 2 problems:",
        "  --start: '2027-02-30' is not a date; use YYYY-MM-DD, e.g. 2026-04-01.",
        "  --end: 'soon' is not a date; use YYYY-MM-DD, e.g. 2026-04-01."]


def test_a_refusal_is_printed_once_without_the_log_line(tmp_path):
    """Outside pytest nothing configures logging, so planner's "refused: ..." warning reached
    the terminal through Python's last-resort handler, under the CLI's own error line."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    script = ("import sys; from planner.cli.main import main; main(['init-db', '--db', sys.argv[1]]);"
              " sys.exit(main(['option', 'create', 'X', '--db', sys.argv[1]]))")
    proc = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True,
                          timeout=120)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and "may not" in lines[0]


@pytest.mark.parametrize(("text", "width", "expected"), [
    ("Breach: first dismissal on 2027-02-01 is 2 days after the consultation began.", 40,
     "Breach: first dismissal on 2027-02-01 is\n  2 days after the consultation began."),
    ("  Brent: spend £1,000.00, envelope £2,000.00, headroom £1,000.00", 40,
     "  Brent: spend £1,000.00, envelope\n    £2,000.00, headroom £1,000.00"),
    # post ids are not split at their hyphen
    ("Narrow (< 3): ICT-004, ICT-035, ICT-044", 22, "Narrow (< 3): ICT-004,\n  ICT-035, ICT-044"),
    # a table row (cells aligned with runs of spaces) is never wrapped
    ("  manager  demo-manager-2026  manager  Marcus Obi", 20,
     "  manager  demo-manager-2026  manager  Marcus Obi"),
    ("short\n\nlines", 10, "short\n\nlines"),
])
def test_wrap_text(text, width, expected):
    assert wrap_text(text, width) == expected


def test_text_wraps_to_the_terminal_and_json_does_not(capsys, monkeypatch):
    """Catches: prose printed as one long line whatever the terminal, or JSON broken by the
    wrapping (it must stay parseable and byte-for-byte what --json always printed)."""
    monkeypatch.setenv("COLUMNS", "50")
    argv = ["consultation-dates", "--proposed", "25", "--launch", "2027-01-30",
            "--first-dismissal", "2027-02-01"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= 50
    assert "for 25 proposed\n  dismissals" in text or "25\n  proposed" in text
    assert main([*argv, "--json"]) == 0
    raw = capsys.readouterr().out
    assert max(len(line) for line in raw.splitlines()) > 50
    assert json.loads(raw)["consultation"]["applies"] is True


def _readme_demo_users() -> list[tuple[str, str, str, str]]:
    """The README's "Demo users" table: (user, password, role, sees)."""
    from planner.core.config import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Demo users", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    cells = [[c.strip() for c in row.strip("|").split(" | ")] for row in rows]
    return [(u.strip("`"), p.strip("`"), r, s) for u, p, r, s in cells]


def test_the_readme_demo_users_are_the_demo_modules():
    from planner.cli.demo import DEMO_USERS

    assert _readme_demo_users() == [(u.username, u.password, u.role, u.sees) for u in DEMO_USERS]


def test_load_demo_prints_the_sign_ins_the_readme_lists(database_url, capsys):
    """`make run` runs `load-demo`: a newcomer reads the sign-ins in the terminal, the same
    ones as the README (both from planner.cli.demo.DEMO_USERS), each on one line."""
    for _ in range(2):  # first run, and every later run that keeps the data
        assert main(["load-demo", "--db", database_url]) == 0
        text = capsys.readouterr().out
        table = text.split("Demo sign-ins", 1)[1].splitlines()[2:]
        assert [tuple(line.split()[:3]) for line in table] == [
            (u, p, r) for u, p, r, _ in _readme_demo_users()]


def test_load_demo_leaves_out_a_sign_in_that_no_longer_works(demo_db, capsys):
    """An administrator changed hr's password and retired union: printing them would send a
    newcomer to a sign-in that fails."""
    from sqlmodel import select as sql_select

    from planner.core.auth import hash_password
    from planner.core.db import make_engine, write_session
    from planner.core.models import User

    engine = make_engine(demo_db)
    with write_session(engine) as s:
        for user in s.exec(sql_select(User)).all():
            if user.username == "hr":
                user.password_hash = hash_password("a-new-password-2027")
            if user.username == "union":
                user.active = False
            s.add(user)
    engine.dispose()
    code, out = run(capsys, "load-demo", "--db", demo_db, "--json")
    assert code == 0 and out["sign_ins"] == ["manager", "admin"]
    assert main(["load-demo", "--db", demo_db]) == 0
    text = capsys.readouterr().out
    assert "demo-manager-2026" in text and "demo-hr-2026" not in text


def test_two_councils_at_60_40_from_the_outside(database_url, tmp_path):
    """Issue 17's acceptance, through the command line as a new user would: init the database,
    import an establishment whose partners sheet names two councils at 60/40, and the shared
    cost splits 60/40 with no other partner named (not the seeded Brent, Lewisham, Southwark
    or LGA); its export imports back unchanged (same partners, same cost)."""
    from fractions import Fraction

    from planner.structures.costing import largest_remainder
    from tests.establishment.test_importer import PEOPLE, TWO_COUNCILS, frame, two_council_posts

    def cli(*argv: str) -> dict:
        proc = subprocess.run([sys.executable, "-m", "planner", *argv, "--db", database_url,
                               "--json"], capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(proc.stdout)

    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "posts.csv").write_bytes(csv_bytes(frame(two_council_posts())))
    (upload / "people.csv").write_bytes(csv_bytes(frame(PEOPLE)))
    (upload / "partners.csv").write_bytes(csv_bytes(frame(TWO_COUNCILS)))
    cli("init-db")
    cli("import", *(str(upload / n) for n in ("posts.csv", "people.csv", "partners.csv")))

    def position() -> dict:
        return cli("cost", "--structure", "baseline")["cost"]

    cost = position()
    env = cost["envelope"]
    named = {p["partner"] for p in env["partners"]} | {p["partner"] for p in cost["by_partner"]}
    assert named == {"Northshire", "Southby", "shared"}
    shares = {p["partner"]: p["shared_cost_pence"] for p in env["partners"]}
    shared = sum(shares.values())
    assert shared > 0 and shared == env["shared_cost_pence"]
    assert [shares["Northshire"], shares["Southby"]] == largest_remainder(
        shared, [Fraction(60), Fraction(40)])
    assert env["spend_pence"] == cost["full_year_pence"] == shared + env["own_cost_pence"]

    out = tmp_path / "export"
    cli("export", "--format", "csv", str(out))
    cli("import", *(str(out / n) for n in ("posts.csv", "people.csv", "partners.csv")))
    again = position()
    assert again == cost
    assert cli("export", "--format", "csv", str(tmp_path / "again"))
    for name in ("posts.csv", "people.csv", "partners.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()


def test_cost_names_customers_outside_the_envelope(demo_db, capsys, monkeypatch):
    """Catches: `cost` not saying that the LGA's posts sit outside the envelope when the
    customer_posts setting says so (issue 17 item 8)."""
    from planner.core.config import get_settings

    monkeypatch.setenv("PLANNER_CUSTOMER_POSTS", "outside")
    get_settings.cache_clear()
    try:
        code, out = run(capsys, "cost", "--db", demo_db, "--json")
        env = out["cost"]["envelope"]
        assert code == 0 and env["customer_posts"] == "outside"
        assert env["outside_envelope"] == ["LGA"] and env["customer_income_pence"] == 0
        assert env["headroom_pence"] == env["envelope_pence"] - env["net_spend_pence"]
        assert main(["cost", "--db", demo_db]) == 0
        text = capsys.readouterr().out
        assert "Outside the envelope: posts charged to customers (LGA)" in text
        assert "LGA (customer): charged" in text and "outside the envelope" in text
    finally:
        monkeypatch.delenv("PLANNER_CUSTOMER_POSTS")
        get_settings.cache_clear()


def test_option_archive_list_all_restore_and_conflicts(demo_db, capsys, tmp_path):
    """Catches: archive/restore not wired to the services, an archived option still listed
    without --all, or an import while options exist refused instead of rebasing them."""
    code, out = run(capsys, "option", "create", "Option 2", "--db", demo_db, "--json",
                    "--user", "manager")
    assert code == 0
    code, out = run(capsys, "option", "archive", "Option 2", "--db", demo_db, "--json",
                    "--user", "manager")
    assert code == 0 and out["option"]["archived"] is True
    code, out = run(capsys, "option", "list", "--db", demo_db, "--json")
    assert "Option 2" not in {r["name"] for r in out["structures"]}
    code, out = run(capsys, "option", "list", "--all", "--db", demo_db, "--json")
    assert {r["name"]: r["archived"] for r in out["structures"]}["Option 2"] is True
    code, out = run(capsys, "option", "archive", "Option 2", "--db", demo_db, "--json",
                    "--user", "union")
    assert code == 1

    book = tmp_path / "establishment.xlsx"
    assert run(capsys, "export", str(book), "--db", demo_db, "--json")[0] == 0
    code, out = run(capsys, "import", str(book), "--db", demo_db, "--json", "--user", "hr")
    assert code == 0
    rebased = {r["name"]: r for r in out["imported"]["options_rebased"]}
    assert set(rebased) == {"Option 1: single service desk", "Option 2"}
    assert rebased["Option 2"]["archived"] is True and rebased["Option 2"]["conflicts"] == 0
    code, out = run(capsys, "option", "conflicts", "Option 2", "--db", demo_db, "--json",
                    "--user", "manager")
    assert code == 0 and out["conflicts"] == []
    code, out = run(capsys, "option", "restore", "Option 2", "--db", demo_db, "--json",
                    "--user", "hr")
    assert code == 0 and out["option"]["archived"] is False


def _establishment_files(tmp_path) -> tuple[str, str]:
    from tests.establishment.test_importer import PEOPLE, POSTS, frame

    posts, people = tmp_path / "posts.csv", tmp_path / "people.csv"
    posts.write_bytes(csv_bytes(frame(POSTS)))
    people.write_bytes(csv_bytes(frame(PEOPLE)))
    return str(posts), str(people)


def test_import_of_posts_alone_keeps_the_people_only_when_asked(database_url, capsys, tmp_path):
    """Issue 10: posts.csv alone deleted every person; now refused, or kept by --keep-people."""
    posts, people = _establishment_files(tmp_path)
    run(capsys, "init-db", "--db", database_url, "--json")
    code, out = run(capsys, "import", posts, people, "--db", database_url, "--json")
    assert code == 0 and out["imported"]["people"] == 5
    code, out = run(capsys, "import", posts, "--db", database_url, "--json")
    assert code == 2 and out["errors"][0]["message"].startswith(
        "This upload has no people sheet, and the establishment has 5 people")
    code, out = run(capsys, "import", posts, "--keep-people", "--db", database_url, "--json")
    assert code == 0 and out["imported"]["people"] == 5 and out["imported"]["occupancies"] == 5


def test_import_checks_the_files_before_taking_the_write_lock(database_url, backend, capsys,
                                                               tmp_path, monkeypatch):
    """Issue 10: a large file was read and checked inside the write transaction, so everyone
    else's saves waited (SQLite: "database is locked"). Another writer must get in while the
    check runs."""
    import sqlite3
    from contextlib import contextmanager

    from sqlalchemy.engine import make_url

    import planner.cli.main
    import planner.establishment.importer

    posts, people = _establishment_files(tmp_path)
    run(capsys, "init-db", "--db", database_url, "--json")
    open_writes = []
    real_write_session, real_validate = planner.cli.main.write_session, planner.establishment.importer.validate_tables

    @contextmanager
    def write_session(engine):
        open_writes.append(1)
        try:
            with real_write_session(engine) as session:
                yield session
        finally:
            open_writes.pop()

    seen = []

    def validate_tables(*args, **kwargs):
        seen.append(len(open_writes))
        if backend == "sqlite":  # a real second writer, with no patience for a held lock
            other = sqlite3.connect(make_url(database_url).database, timeout=0.2,
                                    isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE partner SET kind = kind")
            other.execute("COMMIT")
            other.close()
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(planner.cli.main, "write_session", write_session)
    monkeypatch.setattr(planner.establishment.importer, "validate_tables", validate_tables)
    code, out = run(capsys, "import", posts, people, "--db", database_url, "--json")
    assert code == 0, out
    assert seen == [0]


def test_a_union_rep_reads_equality_figures_only_in_the_drafts(demo_db, capsys):
    """Catches: the command printing a live option's equality figures to a union rep (issue
    13: they read only what a published draft froze, suppressed as it was written)."""
    code, out = run(capsys, "equality", "--structure", DEMO_OPTION, "--db", demo_db, "--json",
                    "--user", "union")
    assert code == 1 and "A union may not" in out["message"]
    code, out = run(capsys, "draft", "show", "2", "--db", demo_db, "--json", "--user", "union")
    analysis = out["draft"]["snapshot"]["equality"]["analysis"]
    assert code == 0 and analysis["suppressed"] is True
    assert all(r["service"] is None or r["service"] >= 10 for r in analysis["table"])


def test_summary_text_says_posts_without_an_employee_as_the_pages_do(demo_db, capsys):
    """Catches: the CLI calling the 30 "vacancies" while the pages call 7 "vacant"."""
    from planner.establishment.register import without_employee_sentence

    code, out = run(capsys, "summary", "--db", demo_db, "--json")
    m = out["summary"]
    assert main(["summary", "--db", demo_db]) == 0
    text = capsys.readouterr().out
    sentence = without_employee_sentence(m["vacancies_covered_by_interims"],
                                          m["vacant_uncovered"])
    assert sentence in text
    assert "Vacancies" not in text


def test_mapping_from_the_command_line(demo_db, capsys):
    """Catches: the mapping command missing, per-person exit costs printed for a manager, or
    the mapping shown to a union rep at all (names never leave management)."""
    code, out = run(capsys, "mapping", "--structure", "Option 1: single service desk",
                    "--db", demo_db, "--json")
    assert code == 0
    m = out["mapping"]
    assert sum(m["counts"].values()) == len(m["people"])
    assert m["bench"]["total"] == m["counts"].get("unmapped", 0) + m["counts"].get(
        "at-risk", 0) + m["counts"].get("ring-fenced", 0)
    assert sum(m["exit"]["by_partner_pence"].values()) == m["exit"]["total_pence"]
    # The demo ships mapped: 8 leaving, and the redeployment list the page's bench shows.
    assert (m["exit"]["people_leaving"], m["counts"]["at-risk"]) == (8, 5)
    assert m["redeployment"] and {r["employee_id"] for r in m["redeployment"]} <= {
        "E0007", "E0013", "E0023", "E0024", "E0026"}
    assert all(abs(r["grade_gap"]) <= 1 and r["trial_ends"] for r in m["redeployment"])
    code, out = run(capsys, "mapping", "--structure", "Option 1: single service desk",
                    "--db", demo_db, "--json", "--user", "manager")
    assert code == 0 and "people" not in out["mapping"]["exit"]
    code, out = run(capsys, "mapping", "--structure", "Option 1: single service desk",
                    "--db", demo_db, "--json", "--user", "union")
    assert code == 1 and "people" not in out and "Uma" not in json.dumps(out)


def test_publish_and_read_drafts_from_the_command_line(demo_db, capsys):
    """Catches: publish not refusing with the checklist, or drafts/draft show not printing what
    the union reads (the snapshot, never a name). The demo ships with drafts 1 and 2."""
    code, out = run(capsys, "drafts", "--db", demo_db, "--json", "--user", "union")
    assert code == 0 and [(r["number"], r["status"], r["responses"]) for r in out["drafts"]] == [
        (1, "published", 1), (2, "published", 0)]
    code, out = run(capsys, "draft", "show", "2", "--db", demo_db, "--json", "--user", "union")
    assert code == 0
    assert len(out["draft"]["changes_since_previous"]["regraded"]) == 6
    assert out["draft"]["snapshot"]["counts"]["posts"] == 76
    assert "E0002" not in json.dumps(out) and "Faisal" not in json.dumps(out)
    code, text = main(["draft", "show", "2", "--db", demo_db, "--user", "union"]), \
        capsys.readouterr().out
    assert code == 0 and "draft 2" in text and "6 regraded" in text
    code, out = run(capsys, "publish", "--structure", DEMO_OPTION, "--db", demo_db, "--json",
                    "--user", "union")
    assert code == 1
    code, out = run(capsys, "option", "create", "Option B", "--db", demo_db, "--json",
                    "--user", "manager")
    code, out = run(capsys, "publish", "--structure", "Option B", "--note", "First draft.",
                    "--db", demo_db, "--json", "--user", "hr")
    assert code == 2 and "stage 1" in out["message"]  # its equality analysis is not signed off
    code, out = run(capsys, "publish", "--structure", DEMO_OPTION, "--note", "Draft 3.",
                    "--db", demo_db, "--json", "--user", "hr")
    assert code == 0 and out["draft"]["number"] == 3


def test_import_and_export_say_their_stages_on_stderr_not_in_json(demo_db, capsys, tmp_path):
    """Issue 16: a long import or export says what it is doing on stderr; --json's stdout
    stays one JSON document and stderr stays quiet."""
    out_file = tmp_path / "establishment.xlsx"
    assert main(["export", str(out_file), "--db", demo_db]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Wrote")
    stages = captured.err.splitlines()
    assert stages[0] == "[  0%] Reading the establishment…"
    assert stages[-1].startswith("[100%] Exported ")
    assert main(["import", str(out_file), "--db", demo_db]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Imported: ")
    stages = captured.err.splitlines()
    assert stages[0] == "[  0%] Reading establishment.xlsx…"
    assert any(s.startswith("[ 50%] Writing ") for s in stages)
    assert stages[-1].startswith("[100%] Imported ")
    assert main(["import", str(out_file), "--db", demo_db, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["ok"] is True and captured.err == ""
