"""The date commands through argparse: a parser built like planner.cli.main's (a `common` parent with
--json, --db, --user) catches wiring bugs (missing options, wrong dest names, results that are
not JSON-able) without touching planner/cli/main.py or a database."""

from __future__ import annotations

import argparse
import json

import pytest

from planner.cli import dates as cli_dates
from planner.core.errors import RowError, ValidationFailed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m planner")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL")
    common.add_argument("--json", action="store_true")
    common.add_argument("--user", metavar="NAME")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("summary", parents=[common])
    cli_dates.add_commands(sub, common)
    return parser


def run(*argv: str) -> tuple[dict, str] | None:
    result = cli_dates.dispatch(_parser().parse_args(list(argv)))
    if result is not None:
        json.dumps(result[0])  # JSON-able without a default= hook
    return result


def errors(*argv: str) -> list[RowError]:
    with pytest.raises(ValidationFailed) as exc:
        run(*argv)
    return exc.value.errors


def test_other_commands_are_not_ours() -> None:
    assert run("summary") is None


def test_consultation_dates_with_a_breach() -> None:
    result = run("consultation-dates", "--proposed", "25", "--launch", "2026-02-05",
                 "--first-dismissal", "2026-03-01", "--json")
    assert result is not None
    data, text = result
    plan = data["consultation"]
    assert plan["applies"] is True and plan["minimum_days"] == 30
    assert plan["earliest_first_dismissal"] == "2026-03-07"
    assert plan["hr1_deadline"] == "2026-01-30"
    assert plan["lawful"] is False
    assert plan["breaches"] == [
        "First dismissal on 1 Mar 2026 is 24 days after the consultation began; "
        "for 25 proposed dismissals s.188 requires at least 30."]
    assert "Breach: First dismissal on 1 Mar 2026" in text
    assert "HR1 to be received by: 30 Jan 2026" in text
    # s.188 applies: the protective award's cap per affected employee (s.189(4)) is stated.
    assert plan["protective_award_max_days"] == 90
    assert "up to 90 days' gross pay per affected employee (TULRCA s.189(4))" in text


def test_consultation_dates_without_first_dismissal() -> None:
    result = run("consultation-dates", "--proposed", "100", "--launch", "2026-03-01")
    assert result is not None
    data, text = result
    assert data["consultation"]["earliest_first_dismissal"] == "2026-04-15"
    assert data["consultation"]["hr1_deadline"] == "2026-03-01"
    assert "Earliest first dismissal: 15 Apr 2026" in text and "No breaches found." in text


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ((), "below 20, no statutory consultation period."),
        (("--local-minimum-days", "14"), "the local agreement sets 14 days."),
    ],
)
def test_consultation_dates_below_twenty(extra: tuple[str, ...], expected: str) -> None:
    result = run("consultation-dates", "--proposed", "12", "--launch", "2026-03-01", *extra)
    assert result is not None
    assert expected in result[1]
    assert "HR1" not in result[1]
    # No s.188, no protective award (issue 17).
    assert result[0]["consultation"]["protective_award_max_days"] is None
    assert "protective award" not in result[1].lower()


def test_consultation_dates_hr1_and_notices() -> None:
    result = run("consultation-dates", "--proposed", "25", "--launch", "2026-03-01",
                 "--first-dismissal", "2026-03-31", "--hr1-sent", "2026-03-01",
                 "--notices-issued", "2026-03-01")
    assert result is not None
    assert result[0]["consultation"]["breaches"] == [
        "HR1 was received on 1 Mar 2026, the same day as notices of dismissal were issued on "
        "1 Mar 2026; s.193 requires HR1 before any notice is given."]


def test_bad_launch_date() -> None:
    assert errors("consultation-dates", "--proposed", "25", "--launch", "2026-02-30") == [
        RowError("arguments", None, "--launch",
                 "'2026-02-30' is not a date; use YYYY-MM-DD, e.g. 2026-04-01.")]


def test_every_bad_argument_is_reported_at_once() -> None:
    found = errors("consultation-dates", "--proposed", "lots", "--launch", "1/3/2026",
                   "--first-dismissal", "20260331")
    assert [e.column for e in found] == ["--proposed", "--launch", "--first-dismissal"]
    assert all(e.sheet == "arguments" and e.row is None for e in found)


def test_negative_proposed_is_refused() -> None:
    assert [e.column for e in errors("consultation-dates", "--proposed", "-3",
                                     "--launch", "2026-03-01")] == ["--proposed"]


def test_tupe_dates() -> None:
    result = run("tupe-dates", "--transfer", "2026-04-01", "--eli-received", "2026-03-05")
    assert result is not None
    data, text = result
    tupe = data["tupe"]
    assert tupe["eli_deadline"] == "2026-03-04"
    assert tupe["eli_late"] is True  # 27 days before
    assert [m["due"] for m in tupe["milestones"]][:3] == ["2026-02-03", "2026-02-04",
                                                          "2026-03-04"]
    assert " 4 Feb 2026  Inform appropriate representatives" in text
    assert "late (TUPE reg 11(6))." in text


def test_tupe_dates_inform_weeks() -> None:
    result = run("tupe-dates", "--transfer", "2026-04-01", "--inform-weeks", "12")
    assert result is not None
    assert result[0]["tupe"]["milestones"][1]["due"] == "2026-01-07"
    assert [e.column for e in errors("tupe-dates", "--transfer", "2026-04-01",
                                     "--inform-weeks", "0")] == ["--inform-weeks"]


def test_bad_transfer_date() -> None:
    assert [e.column for e in errors("tupe-dates", "--transfer", "soon")] == ["--transfer"]


@pytest.mark.parametrize(
    ("start", "end", "weeks", "years"),
    [
        ("2025-01-15", "2025-02-14", 1, 0),  # one month
        ("2020-03-01", "2022-02-28", 2, 2),
        ("2010-06-01", "2021-05-31", 11, 11),
        ("2010-06-01", "2022-05-31", 12, 12),
        ("2000-06-01", "2020-05-31", 12, 20),
    ],
)
def test_notice(start: str, end: str, weeks: int, years: int) -> None:
    result = run("notice", "--start", start, "--end", end)
    assert result is not None
    assert result[0]["notice"]["statutory_notice_weeks"] == weeks
    assert result[0]["notice"]["complete_years"] == years


def test_notice_with_dismissal_date() -> None:
    result = run("notice", "--start", "2010-06-01", "--end", "2026-01-05",
                 "--dismissal", "2026-03-31")
    assert result is not None
    data, text = result
    assert data["notice"]["latest_notice_date"] == "2026-01-06"  # 12 weeks before
    assert "give notice by 6 Jan 2026" in text


def test_notice_end_before_start() -> None:
    assert [e.column for e in errors("notice", "--start", "2026-03-01",
                                     "--end", "2026-02-01")] == ["--end"]


@pytest.mark.parametrize(("argv", "weeks", "statutory", "total"), [
    # Born 1 Jun 1970, from 1 Apr 2006, leaving 3 Dec 2026: 20 years (capped); 15 from age 41
    # at 1.5 and 5 at 1 = 27.5 weeks × £750 (under the £751 cap) = £20,625.
    (("--dob", "1970-06-01", "--start", "2006-04-01", "--relevant", "2026-12-03",
      "--week-pay", "750"), "27.5", 2_062_500, 2_062_500),
    # Born 1 Jan 1980, from 1 Jan 2020, leaving 1 May 2026: 6 years; the earliest at age 40
    # (1 week), then 5 at 41+ (1.5) = 8.5 weeks × £751 cap = £6,383.50. Actual pay (£900) ×
    # 1.5: 12.75 weeks × £900 = £11,475 in all.
    (("--dob", "1980-01-01", "--start", "2020-01-01", "--relevant", "2026-05-01",
      "--week-pay", "900", "--actual-pay", "--multiplier", "1.5"), "8.5", 638_350, 1_147_500),
    # The same on 5 Apr 2026, a day before the cap rises: £719 a week. 6 years: 8.5 × £719.
    (("--dob", "1980-01-01", "--start", "2020-01-01", "--relevant", "2026-04-05",
      "--week-pay", "900"), "8.5", 611_150, 611_150),
    # Under two complete years (3 Jan 2025 to 1 Jan 2027, both days counted): nothing.
    (("--dob", "1990-01-01", "--start", "2025-01-03", "--relevant", "2027-01-01",
      "--week-pay", "500"), "0", 0, 0),
    # 2 Jan 2025 to 1 Jan 2027 is two complete years (ERA s.211): 2 × 1 week × £500.
    (("--dob", "1990-01-01", "--start", "2025-01-02", "--relevant", "2027-01-01",
      "--week-pay", "500"), "2", 100_000, 100_000),
])
def test_redundancy_pay(argv, weeks, statutory, total) -> None:
    """Catches: ERA s.162 counted forwards instead of back, the cap of the wrong year, or the
    council's discretion applied to the statutory figure."""
    out = run("redundancy-pay", *argv)
    assert out is not None
    pay = out[0]["redundancy_pay"]
    assert (pay["weeks"], pay["statutory_pence"], pay["total_pence"]) == (weeks, statutory, total)
    assert "free of tax" in out[1]


def test_redundancy_pay_reports_every_bad_argument() -> None:
    found = errors("redundancy-pay", "--dob", "x", "--start", "2020-01-01", "--relevant",
                   "2019-05-01", "--week-pay", "-3")
    assert {e.column for e in found} == {"--dob", "--week-pay", "--relevant"}
