"""Generate the synthetic demo establishment: posts.csv, people.csv and equality.csv, next to
this file.

The structure is written out by hand below (divisions, teams, post titles and grades modelled
on the Brent-hosted shared ICT service described in ../shared/seeds); who sits in each post is
given by a fill code per post. Everything that is not written by hand (names, dates of birth,
start dates, spinal points, day rates) comes from one seeded random generator, so running the
script again writes byte-identical files:

    .venv/bin/python data/demo/make_demo.py

All names are invented. Dates are as at the demo's reference date, 2026-11-27. The equality
monitoring answers (equality.csv, employees only) are invented too, drawn from their own seeded
generator so that changing them never changes posts.csv or people.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20160401
AS_AT = dt.date(2026, 11, 27)
CAPITA_TRANSFER = dt.date(2016, 4, 1)
SOUTHWARK_TRANSFER = dt.date(2017, 11, 1)

POST_COLUMNS = ["post_id", "title", "division", "team", "reports_to", "grade", "fte", "partner",
                "funding", "notes"]
PEOPLE_COLUMNS = ["employee_id", "name", "post_id", "contract", "fte", "scp", "annual_salary",
                  "day_rate", "start_date", "continuous_service_date", "date_of_birth", "origin",
                  "tupe_transfer_date"]

# Inclusive spinal-point ranges, as in data/grades.csv (only the grades used here).
GRADES = {"SO1": (25, 28), "PO1": (31, 34), "PO2": (34, 37), "PO3": (37, 40), "PO4": (40, 43),
          "PO5": (43, 46), "PO6": (46, 49), "PO7": (49, 52), "SM1": (55, 60), "SM2": (60, 65),
          "SM3": (65, 70)}

# Fill codes, one character per post:
#   E permanent Brent employee          P permanent Brent employee at 0.8 FTE
#   H permanent Brent employee at 0.5 FTE on a 0.5 FTE post
#   J job share: two permanent Brent employees at 0.5 FTE each
#   C permanent, came from Capita by TUPE on 2016-04-01
#   S permanent, came from Southwark on 2017-11-01
#   F fixed-term Brent employee         X secondee from Lewisham
#   I interim on a day rate             A agency worker on a day rate
#   V vacant, nobody in post
DS = "Digital Services"
ISD = "Infrastructure & Service Delivery"
PTB = "Programmes, Transformation & Budget Management"
APP = "Applications"


@dataclass(frozen=True)
class Spec:
    key: str
    title: str
    division: str
    team: str
    manager: str  # key of the manager's spec (its first post); "" for the root
    grade: str
    fill: str  # one fill code per post; len(fill) posts are created
    partner: str = "shared"
    funding: str = "base"
    fte: str = "1"
    notes: str = ""


S = Spec
STRUCTURE: list[Spec] = [
    # --- Digital Services: leadership, business support, information security ---------------
    S("cdio", "Chief Digital & Information Officer", DS, "Leadership", "", "SM3", "E",
      notes="Leads the shared service for the three councils; reports to the joint committee."),
    S("bso", "Business Support Officer", DS, "Business Support", "cdio", "SO1", "E"),
    S("bso_pt", "Business Support Officer", DS, "Business Support", "cdio", "SO1", "H",
      fte="0.5", notes="Part-time post."),
    S("ism", "Information Security Manager", DS, "Information Security", "cdio", "PO7", "I",
      notes="PSN and Cyber Essentials compliance for all three councils."),
    S("sec", "Security Analyst", DS, "Information Security", "ism", "PO3", "EE"),
    # --- Infrastructure & Service Delivery ---------------------------------------------------
    S("h_isd", "Head of Infrastructure & Service Delivery", ISD, "Management", "cdio", "SM2",
      "E"),
    S("ttl_vdn", "Technical Team Leader (Voice & Data Network)", ISD, "Voice & Data Network",
      "h_isd", "PO6", "C"),
    S("isc_net", "IT Support Consultant (Networks Lead)", ISD, "Voice & Data Network",
      "ttl_vdn", "PO4", "E"),
    S("isc_tel", "IT Support Consultant (Telephony Lead)", ISD, "Voice & Data Network",
      "ttl_vdn", "PO4", "I", notes="Covering the cloud telephony replacement."),
    S("isc_vdn", "IT Support Consultant", ISD, "Voice & Data Network", "ttl_vdn", "PO3", "CE"),
    S("sitso_vdn2", "Senior IT Support Officer", ISD, "Voice & Data Network", "isc_net", "PO2",
      "CI"),
    S("sitso_vdn1", "Senior IT Support Officer", ISD, "Voice & Data Network", "isc_net", "PO1",
      "EV"),
    S("ttl_dc", "Technical Team Leader (Datacentre Support)", ISD, "Datacentre Support",
      "h_isd", "PO6", "E"),
    S("isc_email", "IT Support Consultant (Email Lead)", ISD, "Datacentre Support", "ttl_dc",
      "PO4", "C"),
    S("isc_db", "IT Support Consultant (Database Lead)", ISD, "Datacentre Support", "ttl_dc",
      "PO4", "I"),
    S("isc_ss", "IT Support Consultant (Server & Storage Lead)", ISD, "Datacentre Support",
      "ttl_dc", "PO4", "C"),
    S("isc_dc", "IT Support Consultant", ISD, "Datacentre Support", "ttl_dc", "PO3", "ECIA"),
    S("sitso_dc2", "Senior IT Support Officer", ISD, "Datacentre Support", "isc_ss", "PO2",
      "CE"),
    S("sitso_dc1", "Senior IT Support Officer", ISD, "Datacentre Support", "isc_ss", "PO1",
      "CIV"),
    S("ttl_cs", "Technical Team Leader (Client Support)", ISD, "Client Support", "h_isd", "PO6",
      "E"),
    S("tsc", "Technical Support Coordinator", ISD, "Client Support", "ttl_cs", "PO4", "JE",
      notes=""),
    S("isc_desk", "IT Support Consultant (Desktops Lead)", ISD, "Client Support", "ttl_cs",
      "PO4", "C"),
    S("isc_cs", "IT Support Consultant", ISD, "Client Support", "ttl_cs", "PO3", "E"),
    S("isc_lga", "IT Support Consultant (LGA)", ISD, "Client Support", "ttl_cs", "PO3", "E",
      partner="LGA", notes="Dedicated to the LGA contract; cost met by Brent."),
    S("sitso_cs2", "Senior IT Support Officer", ISD, "Client Support", "isc_desk", "PO2", "C"),
    S("sitso_cs1", "Senior IT Support Officer", ISD, "Client Support", "isc_desk", "PO1", "EA"),
    S("sitso_lga", "Senior IT Support Officer (LGA)", ISD, "Client Support", "isc_lga", "PO1",
      "I", partner="LGA", notes="Dedicated to the LGA contract; cost met by Brent."),
    S("iso", "IT Support Officer", ISD, "Client Support", "isc_desk", "SO1", "CEAV"),
    S("sdm", "Service Desk Manager", ISD, "Service Desk", "h_isd", "PO5", "E"),
    S("ssda", "Senior Service Desk Analyst", ISD, "Service Desk", "sdm", "PO1", "ES"),
    S("sda", "Service Desk Analyst", ISD, "Service Desk", "ssda", "SO1", "EEFAV"),
    S("sda_swk", "Service Desk Analyst (Southwark)", ISD, "Service Desk", "ssda", "SO1", "S",
      partner="Southwark", notes="On-site support at Southwark's offices."),
    S("psim", "Problem & Service Improvement Manager", ISD, "Service Improvement", "h_isd",
      "PO5", "E"),
    S("sia", "Service Improvement Analyst", ISD, "Service Improvement", "psim", "PO2", "I"),
    S("arch", "Technical Architect", ISD, "Architecture", "h_isd", "PO7", "E"),
    S("cloud", "Cloud Infrastructure Engineer", ISD, "Architecture", "arch", "PO4", "I",
      funding="project", notes="Data-centre exit project, funded to March 2027."),
    # --- Programmes, Transformation & Budget Management ---------------------------------------
    S("h_ptb", "Head of Programmes, Transformation & Budget Management", PTB, "Management",
      "cdio", "SM1", "E"),
    S("spm", "Senior Project Manager", PTB, "Programme Office", "h_ptb", "PO6", "EI"),
    S("pm", "Project Manager", PTB, "Programme Office", "spm", "PO5", "EI"),
    S("pm_swk", "Project Manager (Southwark Transition)", PTB, "Programme Office", "spm", "PO5",
      "I", partner="Southwark", funding="project",
      notes="Funded by Southwark for the transition into the shared service."),
    S("pso", "Project Support Officer", PTB, "Programme Office", "spm", "SO1", "V"),
    S("dcm", "Digital Channels & Mobile Working Manager", PTB, "Digital Channels", "h_ptb",
      "PO6", "E"),
    S("dd", "Digital Developer", PTB, "Digital Channels", "dcm", "PO3", "EE"),
    S("ef", "eForms Developer", PTB, "Digital Channels", "dcm", "PO2", "V", funding="project",
      notes="Online forms migration project."),
    S("fpm", "ICT Finance & Procurement Manager", PTB, "Finance & Contracts", "h_ptb", "PO5",
      "E"),
    S("fco", "Finance & Contract Officer", PTB, "Finance & Contracts", "fpm", "PO2", "EP"),
    S("proc", "Procurement Officer", PTB, "Finance & Contracts", "fpm", "PO1", "X",
      notes="Filled by secondment from Lewisham."),
    # --- Applications --------------------------------------------------------------------------
    S("h_app", "Head of Applications", APP, "Management", "cdio", "SM2", "I"),
    S("asm_sc", "Application Support Manager (Social Care & Education)", APP,
      "Social Care & Education", "h_app", "PO6", "E"),
    S("sasa_sc", "Senior Application Support Analyst", APP, "Social Care & Education", "asm_sc",
      "PO4", "E"),
    S("asa_sc", "Application Support Analyst", APP, "Social Care & Education", "sasa_sc", "PO3",
      "EE"),
    S("asa_lew", "Application Support Analyst (Lewisham Children's Social Care)", APP,
      "Social Care & Education", "sasa_sc", "PO3", "I", partner="Lewisham",
      notes="Lewisham-specific system; charged to Lewisham."),
    S("asm_rbh", "Application Support Manager (Revenues, Benefits & Housing)", APP,
      "Revenues, Benefits & Housing", "h_app", "PO6", "I"),
    S("sasa_rbh", "Senior Application Support Analyst", APP, "Revenues, Benefits & Housing",
      "asm_rbh", "PO4", "E"),
    S("asa_rbh", "Application Support Analyst", APP, "Revenues, Benefits & Housing", "sasa_rbh",
      "PO3", "EV"),
    S("aso_rbh", "Application Support Officer", APP, "Revenues, Benefits & Housing", "sasa_rbh",
      "SO1", "E"),
    S("asm_corp", "Application Support Manager (Corporate Systems)", APP, "Corporate Systems",
      "h_app", "PO6", "E"),
    S("sasa_oo", "Senior Application Support Analyst (oneOracle)", APP, "Corporate Systems",
      "asm_corp", "PO4", "I"),
    S("asa_corp", "Application Support Analyst", APP, "Corporate Systems", "asm_corp", "PO3",
      "EA"),
    S("ttl_app", "Technical Team Leader (Applications Support)", APP, "Integration & Data",
      "h_app", "PO6", "I"),
    S("idev", "Integration Developer", APP, "Integration & Data", "ttl_app", "PO4", "E"),
    S("idev_p", "Integration Developer", APP, "Integration & Data", "ttl_app", "PO3", "I",
      funding="project", notes="Education and social care integration project."),
    S("dba", "Database Administrator", APP, "Integration & Data", "ttl_app", "PO4", "E"),
    S("bim", "Business Intelligence Manager", APP, "Business Intelligence", "h_app", "PO5", "E"),
    S("bid", "Business Intelligence Developer", APP, "Business Intelligence", "bim", "PO3",
      "EE"),
    S("bia_lew", "Business Intelligence Analyst (Lewisham)", APP, "Business Intelligence",
      "bim", "PO2", "E", partner="Lewisham", notes="Charged to Lewisham."),
]

# Named by hand: the head of infrastructure is the demo's "manager" user (planner/cli/demo.py).
FIXED_NAMES = {"h_isd": "Marcus Obi"}

# Invented names, drawn within one naming tradition at a time so that first name and surname
# sit together plausibly; weights roughly reflect a London council's ICT workforce.
NAME_POOLS: list[tuple[int, list[str], list[str]]] = [
    (34, ["Aidan", "Alistair", "Bethan", "Callum", "Chloe", "Ciaran", "Darren", "Declan",
          "Eilidh", "Gareth", "Gemma", "Hannah", "Imogen", "Joanne", "Kieran", "Lydia",
          "Mairead", "Niamh", "Owen", "Rhiannon", "Rhys", "Ruth", "Siobhan", "Verity"],
     ["Brennan", "Carrington", "Cunningham", "Doherty", "Dunmore", "Ellison", "Fairbairn",
      "Fitzgerald", "Gallagher", "Greenhalgh", "Hadley", "Halloran", "Holloway", "Kirkwood",
      "Llewellyn", "Lomax", "MacAskill", "Marsden", "O'Donoghue", "Pemberton", "Ravenscroft",
      "Sedgwick", "Thornbury", "Treharne", "Wainwright", "Whitlock"]),
    (13, ["Anjali", "Arjun", "Deepa", "Gurpreet", "Harjit", "Kiran", "Lakshmi", "Naveen",
          "Nikhil", "Priya", "Rajesh", "Rohan", "Sanjay", "Sunita"],
     ["Anand", "Bhatt", "Dhillon", "Ghosh", "Jaswal", "Kapoor", "Malhotra", "Sahota", "Sethi",
      "Venkatesh"]),
    (12, ["Abdul", "Aisha", "Bilal", "Faisal", "Hamza", "Imran", "Mohammed", "Nadia", "Sadia",
          "Tariq", "Yasmin", "Zainab"],
     ["Ahmed", "Akhtar", "Chaudhry", "Chowdhury", "Haque", "Iqbal", "Mirza", "Rahman",
      "Rasheed", "Uddin"]),
    (13, ["Adaeze", "Adebayo", "Chidi", "Efua", "Emeka", "Femi", "Kofi", "Obinna", "Precious",
          "Tunde", "Yaw", "Amara"],
     ["Abara", "Adeyemi", "Agyeman", "Appiah", "Boateng", "Ekwueme", "Ibekwe", "Nnamdi",
      "Nwachukwu", "Okonjo", "Olawale", "Osei", "Quarshie", "Sarpong", "Yeboah"]),
    (10, ["Delroy", "Hyacinth", "Jermaine", "Jordan", "Keisha", "Leon", "Marcia", "Shanice",
          "Winston", "Tyrone"],
     ["Bailey", "Campbell", "Francis", "Grant", "McKenzie", "Powell", "Samuels", "Thompson"]),
    (4, ["Agnieszka", "Bartosz", "Karolina", "Marek", "Paulina", "Tomasz"],
     ["Kowal", "Mazur", "Nowak", "Wojcik"]),
    (2, ["Andrei", "Ioana", "Mihai"], ["Ionescu", "Petrescu", "Popescu"]),
    (1, ["Eszter", "Zoltan"], ["Horvath", "Szabo", "Varga"]),
    (4, ["Jun", "Mei", "Wei", "Hui"], ["Chan", "Lam", "Tsang", "Wong"]),
    (3, ["Elif", "Emre", "Mehmet", "Selin"], ["Aydin", "Demir", "Kaya", "Yilmaz"]),
    (4, ["Lucia", "Rafael", "Rosa", "Tiago", "Ines"],
     ["Costa", "Fernandes", "Moreno", "Rodrigues", "Sandoval"]),
]

# Day rates (pounds) by grade band for interims and agency workers.
DAY_RATES = {"SM": (700, 850), "PO7": (575, 650), "PO6": (525, 625), "PO5": (475, 550),
             "PO4": (425, 500), "PO3": (375, 450), "PO2": (325, 400), "PO1": (300, 360),
             "SO1": (200, 260)}


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _day_between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def _weekday_on_or_after(d: dt.date) -> dt.date:
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d


def _dob(rng: random.Random, grade: str) -> dt.date:
    """A date of birth giving an age at AS_AT in a range plausible for the grade."""
    lo_age, hi_age = (40, 62) if grade.startswith("SM") else (
        (30, 63) if grade in ("PO5", "PO6", "PO7") else (22, 63))
    youngest = _add_years(AS_AT, -lo_age)  # born on or before this date is at least lo_age
    oldest = _add_years(AS_AT, -(hi_age + 1)) + dt.timedelta(days=1)
    return _day_between(rng, oldest, youngest)


def build_posts() -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    """Posts in interchange columns, and each spec key's post ids."""
    rows: list[dict[str, str]] = []
    ids: dict[str, list[str]] = {}
    for spec in STRUCTURE:
        manager = ids[spec.manager][0] if spec.manager else ""
        for _ in spec.fill:
            post_id = f"ICT-{len(rows) + 1:03d}"
            ids.setdefault(spec.key, []).append(post_id)
            rows.append({
                "post_id": post_id, "title": spec.title, "division": spec.division,
                "team": spec.team, "reports_to": manager, "grade": spec.grade, "fte": spec.fte,
                "partner": spec.partner, "funding": spec.funding, "notes": spec.notes,
            })
    return rows, ids


def _names(rng: random.Random, count: int) -> list[str]:
    """Distinct invented full names; no first name or surname is used more than twice."""
    taken = set(FIXED_NAMES.values())
    used: dict[str, int] = {}
    for fixed in taken:
        for part in fixed.split():
            used[part] = used.get(part, 0) + 1
    weights = [w for w, _, _ in NAME_POOLS]
    out: list[str] = []
    while len(out) < count:
        _, firsts, lasts = rng.choices(NAME_POOLS, weights=weights)[0]
        first, last = rng.choice(firsts), rng.choice(lasts)
        name = f"{first} {last}"
        if name in taken or used.get(first, 0) >= 2 or used.get(last, 0) >= 2:
            continue
        taken.add(name)
        used[first] = used.get(first, 0) + 1
        used[last] = used.get(last, 0) + 1
        out.append(name)
    return out


def build_people(ids: dict[str, list[str]]) -> list[dict[str, str]]:
    rng = random.Random(SEED)
    slots: list[tuple[Spec, str, str]] = []  # (spec, post_id, code) per person
    for spec in STRUCTURE:
        for post_id, code in zip(ids[spec.key], spec.fill, strict=True):
            if code == "V":
                continue
            slots.append((spec, post_id, code))
            if code == "J":
                slots.append((spec, post_id, code))
    names = iter(_names(rng, len(slots)))
    people: list[dict[str, str]] = []
    n_emp = n_tmp = 0
    for spec, post_id, code in slots:
        grade = spec.grade
        lo, hi = GRADES[grade]
        dob = _dob(rng, grade)
        adult = _add_years(dob, 18)
        row = dict.fromkeys(PEOPLE_COLUMNS, "")
        if spec.key in FIXED_NAMES:
            row["name"] = FIXED_NAMES[spec.key]
            next(names)
        else:
            row["name"] = next(names)
        row["post_id"] = post_id
        row["date_of_birth"] = dob.isoformat()
        if code in "IA":
            n_tmp += 1
            row["employee_id"] = f"T{n_tmp:04d}"
            row["contract"] = "interim" if code == "I" else "agency"
            row["fte"] = "1"
            band = "SM" if grade.startswith("SM") else grade
            d_lo, d_hi = DAY_RATES[band]
            row["day_rate"] = str(rng.randrange(d_lo, d_hi + 1, 5))
            start = _weekday_on_or_after(
                _day_between(rng, max(dt.date(2024, 6, 1), adult), dt.date(2026, 10, 31)))
            row["start_date"] = start.isoformat()
            people.append(row)
            continue
        n_emp += 1
        row["employee_id"] = f"E{n_emp:04d}"
        row["scp"] = str(rng.randint(lo, hi))
        row["fte"] = {"J": "0.5", "H": "0.5", "P": "0.8"}.get(code, "1")
        row["contract"] = {"F": "fixed_term", "X": "secondment"}.get(code, "permanent")
        if code == "C":
            # Start with Brent on the transfer; continuous service from the original start
            # with Capita (or its predecessor), preserved by TUPE reg 4.
            row["origin"] = "Capita"
            row["tupe_transfer_date"] = CAPITA_TRANSFER.isoformat()
            row["start_date"] = CAPITA_TRANSFER.isoformat()
            earliest = max(adult, dt.date(1996, 1, 1))
            if earliest > dt.date(2015, 12, 31):  # too young to have joined Capita before 2016
                dob = _add_years(dob, -8)
                row["date_of_birth"] = dob.isoformat()
                earliest = max(_add_years(dob, 18), dt.date(1996, 1, 1))
            csd = _weekday_on_or_after(_day_between(rng, earliest, dt.date(2015, 12, 31)))
            row["continuous_service_date"] = csd.isoformat()
        elif code == "S":
            row["origin"] = "Southwark"
            row["tupe_transfer_date"] = SOUTHWARK_TRANSFER.isoformat()
            row["start_date"] = SOUTHWARK_TRANSFER.isoformat()
            earliest = max(adult, dt.date(2000, 1, 1))
            if earliest > dt.date(2017, 6, 30):
                dob = _add_years(dob, -8)
                row["date_of_birth"] = dob.isoformat()
                earliest = max(_add_years(dob, 18), dt.date(2000, 1, 1))
            csd = _weekday_on_or_after(_day_between(rng, earliest, dt.date(2017, 6, 30)))
            row["continuous_service_date"] = csd.isoformat()
        elif code == "X":
            # A Lewisham employee on secondment: continuous local-government service from
            # their Lewisham start date.
            row["origin"] = "Lewisham"
            row["start_date"] = "2025-09-01"
            earliest = max(adult, dt.date(2008, 1, 1))
            if earliest > dt.date(2023, 12, 31):
                dob = _add_years(dob, -8)
                row["date_of_birth"] = dob.isoformat()
                earliest = max(_add_years(dob, 18), dt.date(2008, 1, 1))
            csd = _weekday_on_or_after(_day_between(rng, earliest, dt.date(2023, 12, 31)))
            row["continuous_service_date"] = csd.isoformat()
        elif code == "F":
            row["origin"] = "Brent"
            row["start_date"] = row["continuous_service_date"] = "2025-10-06"
        else:
            row["origin"] = "Brent"
            start = _weekday_on_or_after(
                _day_between(rng, max(adult, dt.date(2003, 1, 1)), dt.date(2026, 9, 30)))
            csd = start
            if rng.random() < 0.15 and start > _add_years(adult, 3):
                # Earlier service with another council counts (Modification Order 1999).
                csd = _weekday_on_or_after(_day_between(rng, adult, _add_years(start, -1)))
            row["start_date"] = start.isoformat()
            row["continuous_service_date"] = csd.isoformat()
        people.append(row)
    return people


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


EQUALITY_COLUMNS = ["employee_id", "sex", "gender_reassignment", "disability", "ethnicity",
                    "religion_or_belief", "sexual_orientation", "marriage_civil_partnership",
                    "pregnancy_maternity"]
PREFER_NOT = "prefer not to say"
# (answer, weight) per question: a plausible mix for an inner-London council ICT service, with
# "prefer not to say" and blanks (unknown: never answered) in every question. "" is blank.
EQUALITY_ANSWERS: dict[str, list[tuple[str, int]]] = {
    "sex": [("Male", 62), ("Female", 30), (PREFER_NOT, 4), ("", 4)],
    "gender_reassignment": [("No", 84), ("Yes", 1), (PREFER_NOT, 8), ("", 7)],
    "disability": [("Not disabled", 76), ("Disabled", 10), (PREFER_NOT, 7), ("", 7)],
    "ethnicity": [("White British", 30), ("White other", 12), ("Black or Black British", 20),
                  ("Asian or Asian British", 22), ("Mixed", 5), ("Other ethnic group", 3),
                  (PREFER_NOT, 4), ("", 4)],
    "religion_or_belief": [("No religion", 34), ("Christian", 30), ("Muslim", 12),
                           ("Hindu", 8), ("Other religion", 3), (PREFER_NOT, 8), ("", 5)],
    "sexual_orientation": [("Heterosexual", 80), ("Gay or lesbian", 3), ("Bisexual", 2),
                           (PREFER_NOT, 10), ("", 5)],
    "marriage_civil_partnership": [("Married or in a civil partnership", 52),
                                   ("Not married or in a civil partnership", 40),
                                   (PREFER_NOT, 4), ("", 4)],
    "pregnancy_maternity": [("No", 88), ("Pregnant or on maternity leave", 3),
                            (PREFER_NOT, 4), ("", 5)],
}


def build_equality(people: list[dict[str, str]]) -> list[dict[str, str]]:
    """Invented monitoring answers for every employee (not interims or agency workers)."""
    rng = random.Random(SEED + 2010)  # the Equality Act 2010; a stream of its own
    rows = []
    for person in people:
        if not person["employee_id"].startswith("E"):
            continue
        row = {"employee_id": person["employee_id"]}
        for column in EQUALITY_COLUMNS[1:]:
            answers, weights = zip(*EQUALITY_ANSWERS[column], strict=True)
            row[column] = rng.choices(answers, weights=weights)[0]
        if row["sex"] != "Female" and row["pregnancy_maternity"].startswith("Pregnant"):
            row["pregnancy_maternity"] = "No"
        rows.append(row)
    return rows


def main(out_dir: Path = HERE) -> tuple[Path, Path, Path]:
    """Write posts.csv, people.csv and equality.csv into out_dir; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    posts, ids = build_posts()
    people = build_people(ids)
    posts_path, people_path = out_dir / "posts.csv", out_dir / "people.csv"
    equality_path = out_dir / "equality.csv"
    _write(posts_path, POST_COLUMNS, posts)
    _write(people_path, PEOPLE_COLUMNS, people)
    _write(equality_path, EQUALITY_COLUMNS, build_equality(people))
    return posts_path, people_path, equality_path


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
