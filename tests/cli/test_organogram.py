"""`python -m planner import-organogram` and `export-organogram` (issue 14): one command loads
a published pair, its --json carries every figure and assumption the page shows, a bad pair
exits 2 with every error at its file, row and heading, and the export writes the three files
that import back to the same posts."""

from __future__ import annotations

import json

from planner.cli.main import main
from tests.establishment.organogram_pair import JUNIOR_FILE, SENIOR, SENIOR_FILE, to_csv


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def pair(tmp_path, senior: bytes = SENIOR_FILE[1], junior: bytes = JUNIOR_FILE[1]):
    s, j = tmp_path / "senior.csv", tmp_path / "junior.csv"
    s.write_bytes(senior)
    j.write_bytes(junior)
    return str(s), str(j)


def test_one_command_loads_a_published_organogram(database_url, capsys, tmp_path):
    run(capsys, "init-db", "--db", database_url, "--json")
    code, out = run(capsys, "import-organogram", *pair(tmp_path), "--db", database_url, "--json")
    assert code == 0 and out["ok"] is True
    d = out["imported"]
    assert (d["senior_posts"], d["junior_posts"], d["people"], d["vacancies"]) == (7, 12, 7, 1)
    assert d["junior_fte"] == d["junior_fte_in_file"] == "10.35"
    assert sorted(d["top_posts"]) == ["A1", "T2", "T3"]
    assert d["band_cost_point"] == "max" and len(d["grades_added"]) == 7
    assert any("Costing 7 band grades at their maximum" in a for a in d["assumptions"])
    code, cost = run(capsys, "cost", "--db", database_url, "--json")
    assert code == 0 and any("band's maximum" in n for n in cost["cost"]["band_notes"])
    code, h = run(capsys, "hierarchy", "--db", database_url, "--json", "--root", "A1",
                  "--root", "T2", "--root", "T3")
    assert h["hierarchy"]["posts"] == 19


def test_the_text_output_lists_the_assumptions(database_url, capsys, tmp_path):
    run(capsys, "init-db", "--db", database_url, "--json")
    assert main(["import-organogram", *pair(tmp_path), "--db", database_url]) == 0
    text = capsys.readouterr().out
    assert "Imported the organogram: 19 posts (7 senior, 12 junior)" in text
    assert "Assumptions:" in text and "Eliminated: not created" in text


def test_a_bad_pair_exits_2_and_changes_nothing(database_url, capsys, tmp_path):
    run(capsys, "init-db", "--db", database_url, "--json")
    bad = to_csv(SENIOR, [["A1", "N/D", "SCS1", "Head", "XX", "", "", "", "", "", "XX", "",
                           "lots", "", "", "", "", "", ""]])
    code, out = run(capsys, "import-organogram", *pair(tmp_path, senior=bad), "--db",
                    database_url, "--json")
    assert code == 2 and out["ok"] is False
    assert out["errors"][0] == {"sheet": "senior.csv", "row": 2, "column": "FTE",
                                "message": "FTE 'lots' is not a number."}
    code, summary = run(capsys, "summary", "--db", database_url, "--json")
    assert code == 2 and "no establishment yet" in summary["message"]


def test_export_writes_the_pair_and_the_senior_salaries(database_url, capsys, tmp_path):
    run(capsys, "init-db", "--db", database_url, "--json")
    run(capsys, "import-organogram", *pair(tmp_path), "--db", database_url, "--json")
    out_dir = tmp_path / "out"
    code, out = run(capsys, "export-organogram", str(out_dir), "--db", database_url, "--json")
    assert code == 0 and out["exported"]["structure"] == "Current establishment"
    assert sorted(p.name for p in out_dir.iterdir()) == ["junior.csv", "senior.csv",
                                                         "senior_salaries.csv"]
    assert out["exported"]["names_published"] is False
    code, again = run(capsys, "import-organogram", str(out_dir / "senior.csv"),
                      str(out_dir / "junior.csv"), "--db", database_url, "--json")
    assert code == 0 and again["imported"]["posts"] == 19
    assert again["imported"]["junior_fte"] == "10.35"
