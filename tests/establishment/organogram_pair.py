"""Organogram pairs written for the tests from the published specification (issue 14): every
name invented, every quirk a real published file has, one at a time or all together."""

from __future__ import annotations

import csv
import io

from planner.establishment.organogram import JUNIOR_HEADERS, SENIOR_HEADERS

SENIOR = list(SENIOR_HEADERS)
JUNIOR = list(JUNIOR_HEADERS)


def senior_row(ref: str, name: str, grade: str, title: str, reports_to: str, *,
               fte: str = "1.00", floor: str = "", ceiling: str = "", unit: str = "Finance",
               function: str = "") -> list[str]:
    return [ref, name, grade, title, function or f"Leads {title.lower()}", "Department of Tests",
            "Department of Tests", unit, "N/D", "N/D", reports_to, "", fte, floor, ceiling, "",
            "Finance", "", "1"]


def junior_row(reports_to: str, grade: str, title: str, fte: str, *, lo: str = "",
               hi: str = "", unit: str = "Finance") -> list[str]:
    return ["Department of Tests", "Department of Tests", unit, reports_to, grade, lo, hi,
            title, fte, "Finance"]


def to_csv(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


# The small pair most tests read: three top posts (XX, xx, itself), a job share, N/D,
# Vacant and Eliminated holders, an invented name, reference 0, fractional junior FTE, a
# junior row under a post not in the file, one under the eliminated post, a blank and a 0 FTE,
# an NJC grade (PO3) and grades the NJC list does not know.
SENIOR_ROWS = [
    senior_row("A1", "N/D", "SCS3", "Director General", "XX", floor="140000", ceiling="144999"),
    senior_row("B1", "Sam Example", "SCS2", "Director of Finance", "A1", floor="100000",
               ceiling="104999"),
    senior_row("B2", "Vacant", "SCS2", "Director of Digital", "A1", floor="95000",
               ceiling="99999"),
    senior_row("B3", "Eliminated", "SCS1", "Deputy Director Estates", "A1"),
    senior_row("C1", "N/D", "SCS1", "Deputy Director Audit", "B3", floor="75000",
               ceiling="79999"),
    senior_row("C2", "Alex Placeholder", "SCS1", "Deputy Director Payroll", "B1",
               fte="0.50", floor="80000", ceiling="84999"),
    senior_row("C2", "Jo Specimen", "SCS1", "Deputy Director Payroll", "B1", fte="0.50",
               floor="80000", ceiling="84999"),
    senior_row("T2", "N/D", "SCS3", "Chief Executive of the Agency", "xx", floor="",
               ceiling=""),
    senior_row("T3", "N/D", "PO3", "Head of Standards", "T3"),
    senior_row("0", "N/D", "SCS1", "Paid but not in post", "A1", fte="1.00"),
]
JUNIOR_ROWS = [
    junior_row("B1", "G7", "Finance Business Partner", "3.50", lo="50000", hi="60000"),
    junior_row("B1", "EO", "Payments Officer", "1.00", lo="28000", hi="32000"),
    junior_row("C2", "EO", "Payroll Officer", "0.25", lo="28000", hi="32000"),
    junior_row("B3", "HEO", "Estates Officer", "2.00", lo="34000", hi="39000"),
    junior_row("Z9", "AO", "Administrative Officer", "1.60", lo="23000", hi="26000"),
    junior_row("T3", "PO3", "Standards Officer", "2", lo="", hi=""),
    junior_row("B2", "HEO", "Digital Analyst", "0", lo="34000", hi="39000"),
    junior_row("B2", "HEO", "Digital Analyst", "", lo="34000", hi="39000"),
]
SENIOR_FILE = ("senior.csv", to_csv(SENIOR, SENIOR_ROWS))
JUNIOR_FILE = ("junior.csv", to_csv(JUNIOR, JUNIOR_ROWS))
