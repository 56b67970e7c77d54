"""Generate a synthetic, compliant register for benchmarks.

    python bench/generate.py --placements 10000 [--seed 7] [--git | --commits 1000] [OUT]

writes ``OUT/records/`` (default ``bench/out/register-<placements>/``) with 20
schools, 60 providers and the given number of placements, modelled on the
example register in ``records/``: ``trust.yaml`` and ``calendar.yaml`` are
copied from it, the waiver is modelled on its waiver, and the calendar's
holidays are used to count school days. Every record is written to pass
``ap-lint check --today 2026-11-28`` with no errors: notice to parents at least
two school days before the first day, reviews at most the agreed interval
apart, provider visits and assurance no older than a year at the start and on
"today", agreements that cover the placement, CEO approval for unregistered
providers, which only ever teach part-time, attendance codes B/D/K where each
is allowed, and no pupil with two placements on the same weekday.

With ``--git`` OUT is also a git repository holding the register in one
commit; with ``--commits N`` its history of N commits builds the same register
up (placements added as decided, then reviewed one review at a time, then
ended), a few files a commit. Both are written by one ``git fast-import``.

The output is deterministic for a given seed and size (the commit ids too).
Files are written from string templates (not a YAML dumper) so 100,000
placements take seconds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import re
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import yaml

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_RECORDS = REPO / "records"
DEFAULT_OUT = REPO / "bench" / "out"
MARKER = ".bench-register"  # in OUT; the generator only ever replaces records/ in a folder that has it
TODAY = datetime.date(2026, 11, 28)  # the date the register is written to pass on
SCHOOL_COUNT = 20
PROVIDER_COUNT = 60
UNREGISTERED_EVERY = 4  # one provider in four is unregistered
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
SCHOOL_KINDS = ("independent-school", "ap-academy", "ap-free-school", "pupil-referral-unit", "special-school")
REGISTERED_KINDS = (*SCHOOL_KINDS, "fe-college")
UNREGISTERED_MAX_HOURS = 15  # below the 18 hours a week that counts as full-time
DEFAULT_REVIEW_WEEKS = 6

# --- names (all fictional) ---------------------------------------------------

PLACES = ("Ashbrook", "Birchfield", "Castlemere", "Dunholme", "Elmstead", "Fernleigh", "Glenwood", "Hartwell",
          "Ivybridge", "Juniper Vale", "Kingsmoor", "Larkhill", "Millbrook", "Netherby", "Orchard Park",
          "Pinecrest", "Queensmead", "Redcliffe", "Stonebridge", "Thornbury", "Upton Lea", "Westmoor",
          "Yewdale", "Alderley", "Bramwell", "Coldharbour", "Deepdale", "Eastbury", "Foxley", "Greenhithe")
FIRST_NAMES = ("Robin", "Casey", "Jordan", "Morgan", "Alex", "Sam", "Jo", "Kit", "Lee", "Avery", "Rowan", "Quinn",
               "Sasha", "Taylor", "Charlie", "Frankie", "Jamie", "Riley", "Drew", "Harper")
SURNAMES = ("Testwood", "Demoford", "Exampleby", "Placeholder", "Specimen", "Fictional", "Sampleton", "Mockridge",
            "Dummett", "Proxley", "Templeton", "Modelly", "Trialson", "Pilotson", "Draftwell", "Stubbins",
            "Fakenham", "Notreal", "Invento", "Madeup")
TITLES = ("Ms", "Mr", "Dr", "Mx", "Mrs")
COUNCILS = ("Northvale Council", "Eastmoor Borough Council", "Westfield County Council",
            "Southgate City Council", "Midshire Council")
KIND_WORDS = {
    "independent-school": "Independent School", "ap-academy": "Learning Centre", "ap-free-school": "AP Free School",
    "pupil-referral-unit": "Pupil Referral Unit", "special-school": "Special School", "fe-college": "College",
}
UNREGISTERED_WORDS = ("Farm Skills", "Boxing Academy", "Motor Project", "Arts Studio", "Outdoor Learning",
                      "Construction Skills", "Media Workshop", "Horse Care Centre")
SITE_IDS = ("main", "annexe", "town-centre", "workshop", "north-site", "sports-hall")
CHECKS_REQUIRED = ("enhanced-dbs", "barred-list")
CHECKS_OPTIONAL = ("identity", "right-to-work", "prohibition-from-teaching", "overseas")
TRAINING_TOPICS = ("Safeguarding level 2", "Prevent duty", "Trauma-informed practice", "Outdoor first aid",
                   "Supporting pupils with medical needs in school", "Working with 14-16 learners",
                   "De-escalation and positive handling", "Special educational needs awareness")
EXPERIENCE = (
    "Qualified teachers with long experience of small-group teaching for pupils who find a large school difficult.",
    "Staff have taught secondary-age pupils at risk of exclusion for many years and run small-group core classes.",
    "Vocational tutors with industry backgrounds who have run a school-link programme for several years.",
    "A qualified teacher leads the sessions with two experienced instructors who teach practical skills.",
)
QA_ROLES = ("Trust AP lead", "Deputy Principal", "Assistant Principal", "Trust safeguarding lead")

# --- placement text ----------------------------------------------------------

SUBJECTS = ("English", "maths", "science", "GCSE maths", "GCSE English", "key stage 3 English and maths",
            "reading and number work", "applied science")
RATIONALES = {
    "behaviour": (
        "Teaching in small classes with a consistent behaviour approach will let the pupil catch up on missed {s}.",
        "Small-group teaching will keep the pupil on track with {s} while they learn to manage their behaviour.",
        "A structured timetable with a key worker gives the pupil a fresh start and steady progress in {s}.",
        "Practical sessions with a qualified teacher build the pupil's engagement so they achieve more in {s}.",
    ),
    "medical": (
        "Short taught sessions at a quiet site let the pupil keep up with {s} while they cannot attend full time.",
        "Small-group teaching on a reduced timetable lets the pupil keep pace with {s} during their recovery.",
        "Three short mornings a week of teaching will let the pupil keep up with {s} until they can return.",
    ),
    "added-value": (
        "A level 1 vocational course gives the pupil a recognised qualification and applied practice in {s}.",
        "Practical sessions give the pupil a vocational award and real contexts for their work in {s}.",
        "A weekly taster course gives the pupil a level 1 qualification and regular practice in {s}.",
    ),
}
OBJECTIVES = ("Attend every timetabled session on time.", "Follow classroom routines without removal from lessons.",
              "Use the agreed strategies to manage conflict without leaving lessons.",
              "Complete the core English and maths work set by the school each week.",
              "Close the gap in reading and number work identified at the start.",
              "Reduce behaviour incidents in lessons at school.")
PROGRESS = {
    "behaviour": ("Settling in well, with no removals from lessons in the last three weeks.",
                  "Meeting the conflict-management objective most days and completing work independently.",
                  "Good progress in {s} and fewer behaviour incidents this half term.",
                  "Attendance has improved and the pupil is catching up on missed {s}."),
    "medical": ("Attending most sessions and keeping pace with the {s} work set by the school.",
                "Managing a longer day on two of the three days and keeping up with {s}.",
                "Missed a few sessions this half term but kept up with the {s} work sent home."),
    "added-value": ("Completed the first practical unit and is on track for the level 1 certificate.",
                    "Practical work assessed as secure and written assignments handed in on time.",
                    "Using measurement from the practical sessions in {s} lessons at school."),
}
REINTEGRATION = ("Phased return to the school, adding one day a week in mainstream lessons with a named mentor.",
                 "Return to the school full time after the half term, with weekly check-ins with the head of year.",
                 "Replace one session a week with mainstream lessons and return full time once incidents stay low.")
EXISTING_PROVISION = ("Adds one day a week of vocational study to the pupil's full GCSE timetable at the school, "
                      "replacing two option lessons.",
                      "Adds two short practical sessions a week to the pupil's timetable at the school, "
                      "in place of one option subject.",
                      "Adds a weekly practical course to the pupil's full timetable at the school, "
                      "alongside their GCSE lessons.")
FULL_TIME = (("09:00", "15:00"),)
PART_TIME = (("09:00", "12:00"), ("09:30", "12:30"), ("13:00", "15:30"), ("10:00", "12:30"), ("09:00", "15:00"),
             ("13:15", "15:15"))
STATUS_WEIGHTS = (("active", 45), ("completed", 20), ("planned", 15), ("ended-early", 10), ("withdrawn", 10))
REASON_WEIGHTS = (("behaviour", 40), ("added-value", 35), ("medical", 25))

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ,.;'()/\-]*")


def scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when that is safe, else a double-quoted string."""
    if _PLAIN.fullmatch(text) and text.lower() not in {"yes", "no", "on", "off", "true", "false", "null"}:
        return text
    return json.dumps(text)


# --- calendar ----------------------------------------------------------------

class SchoolDays:
    """Monday-to-Friday days outside the register calendar's holidays, for date arithmetic."""

    def __init__(self, holidays: list[dict[str, object]], first: datetime.date, last: datetime.date) -> None:
        ranges = [(_as_date(h["from"]), _as_date(h["to"])) for h in holidays if "from" in h and "to" in h]
        self.days: list[datetime.date] = []
        day = first
        while day <= last:
            if day.weekday() < 5 and not any(lo <= day <= hi for lo, hi in ranges):
                self.days.append(day)
            day += datetime.timedelta(days=1)
        self.index = {d: i for i, d in enumerate(self.days)}

    def on_or_before(self, day: datetime.date) -> int:
        """Index of the last school day on or before ``day``."""
        while day not in self.index:
            day -= datetime.timedelta(days=1)
        return self.index[day]

    def on_or_after(self, day: datetime.date) -> int:
        while day not in self.index:
            day += datetime.timedelta(days=1)
        return self.index[day]

    def pick(self, rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date:
        """A random school day from ``lo`` to ``hi``."""
        return self.days[rng.randint(self.on_or_after(lo), self.on_or_before(hi))]


def _as_date(value: object) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))


def weekday_on_or_before(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def days(count: int) -> datetime.timedelta:
    return datetime.timedelta(days=count)


# --- the register model ------------------------------------------------------

@dataclass
class School:
    id: str
    name: str
    urn: str
    council: str
    principal: str


@dataclass
class Provider:
    id: str
    name: str
    registered: bool
    kind: str
    sites: list[str]
    waived_staff: bool = False


@dataclass
class Pupil:
    ref: str
    year_group: int
    flags: dict[str, bool]
    days_used: set[str] = field(default_factory=set)


@dataclass
class ExampleRegister:
    """What the generator reads from the example register in records/."""

    trust_text: str
    calendar_text: str
    executive_principal: str
    holidays: list[dict[str, object]]
    waiver_rule: str | None


def read_examples(records: Path = EXAMPLE_RECORDS, checks: Path = REPO / "rules" / "checks") -> ExampleRegister:
    """Read the example register's trust, calendar and waiver, which the generated register is modelled on."""
    trust_text = (records / "trust.yaml").read_text("utf-8")
    calendar_text = (records / "calendar.yaml").read_text("utf-8")
    trust = yaml.safe_load(trust_text)
    calendar = yaml.safe_load(calendar_text) or {}
    waiver_rule = None
    rule_ids = {p.stem for p in checks.glob("*.yaml")}
    for path in sorted((records / "waivers").glob("*.yaml")):
        rule = (yaml.safe_load(path.read_text("utf-8")) or {}).get("rule")
        if rule in rule_ids:  # a waiver of a rule the pack does not have would itself be an error
            waiver_rule = rule
            break
    return ExampleRegister(trust_text, calendar_text, trust["executive_principal"]["name"],
                           list(calendar.get("holidays") or []), waiver_rule)


def person(rng: random.Random) -> str:
    return f"{rng.choice(TITLES)} {rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def make_schools() -> list[School]:
    schools = []
    for i in range(SCHOOL_COUNT):
        place = PLACES[i]
        name = f"{place} Academy"
        schools.append(School(slug(place), name, f"99{3100 + i:04d}", COUNCILS[i % len(COUNCILS)],
                              f"{TITLES[i % len(TITLES)]} {FIRST_NAMES[i]} {SURNAMES[i]}"))
    return schools


def make_providers(waiver_rule: str | None) -> list[Provider]:
    providers = []
    for i in range(PROVIDER_COUNT):
        place = PLACES[(i * 7 + 3) % len(PLACES)]
        if i % UNREGISTERED_EVERY == UNREGISTERED_EVERY - 1:
            name = f"{place} {UNREGISTERED_WORDS[i % len(UNREGISTERED_WORDS)]}"
            registered, kind = False, "non-school"
        else:
            kind = REGISTERED_KINDS[i % len(REGISTERED_KINDS)]
            name = f"{place} {KIND_WORDS[kind]}"
            registered = True
        provider_id = f"{slug(name)}-{i + 1:02d}"
        sites = list(SITE_IDS[:1 + i % 3])
        waived = waiver_rule is not None and not registered and i < 20  # a few, as in the example register
        providers.append(Provider(provider_id, name, registered, kind, sites, waived))
    return providers


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def school_text(school: School) -> str:
    return (f"# School: {school.name} (fictional, generated)\n"
            f"id: {school.id}\nname: {school.name}\nurn: \"{school.urn}\"\n"
            f"local_authority: {school.council}\nprincipal:\n  name: {school.principal}\n")


def provider_text(provider: Provider, rng: random.Random) -> str:
    """A provider whose agreement, assurance and visits cover every placement the generator makes."""
    out = [f"# Provider: {provider.name} (fictional, generated)\n", f"id: {provider.id}\nname: {provider.name}\n"]
    if provider.registered:
        judgement = rng.choice(("outstanding", "good", "good", "requires-improvement", "not-yet-inspected"))
        urn = f"99{5000 + int(provider.id.rsplit('-', 1)[1]):04d}"
        out.append(f"registration:\n  status: registered\n  kind: {provider.kind}\n  urn: \"{urn}\"\n")
        out.append(f"ofsted:\n  judgement: {judgement}\n")
        if judgement != "not-yet-inspected":
            out.append(f"  inspected_on: {datetime.date(2022, 1, 10) + days(rng.randint(0, 1100))}\n")
    else:
        out.append("registration:\n  status: unregistered\n  kind: non-school\n")
    out.append("sites:\n")
    for n, site in enumerate(provider.sites):
        out.append(f"  - id: {site}\n    address: {n + 1} Example Road, {provider.name.split()[0]}\n"
                   f"    postcode: EX{n + 1} {rng.randint(1, 9)}ZZ\n")
    out.append(f"contact:\n  role: Education Coordinator\n  email: office@{provider.id}.example.org\n")
    # Signed before the first placement (2025-09) and running past the last planned end (2027-07).
    signed = datetime.date(2025, 6, 2) + days(rng.randint(0, 85))
    expires = rng.choice((datetime.date(2027, 8, 31), datetime.date(2028, 7, 31)))
    out.append(f"agreement:\n  signed_on: {signed}\n  expires_on: {expires}\n")
    # Received before the first live placement starts (2026-09-02) and under a year old on every start.
    received = datetime.date(2026, 6, 1) + days(rng.randint(0, 88))
    checks = [*CHECKS_REQUIRED, *(c for c in CHECKS_OPTIONAL if rng.random() < 0.7)]
    out.append(f"safeguarding:\n  designated_lead:\n    name: {person(rng)}\n"
               f"    trained_on: {datetime.date(2025, 5, 1) + days(rng.randint(0, 400))}\n"
               f"  written_assurance:\n    received_on: {received}\n    checks:\n")
    out.extend(f"      - {check}\n" for check in checks)
    if not provider.waived_staff:
        topics = rng.sample(TRAINING_TOPICS, rng.randint(1, 3))
        out.append(f"staff:\n  qualified_teacher: {'true' if rng.random() < 0.8 else 'false'}\n  training:\n")
        for topic in topics:
            out.append(f"    - topic: {topic}\n      completed_on: {datetime.date(2025, 9, 1) + days(rng.randint(0, 400))}\n")
        out.append(f"  experience: {scalar(rng.choice(EXPERIENCE))}\n")
    # An older visit (sometimes with concerns), one over the summer before the first live start, and
    # sometimes one this autumn: the latest is always satisfactory and under a year old.
    visits = [(datetime.date(2025, 6, 2) + days(rng.randint(0, 120)), rng.choice(("satisfactory", "concerns")))]
    visits.append((weekday_on_or_before(datetime.date(2026, 6, 1) + days(rng.randint(0, 88))), "satisfactory"))
    if rng.random() < 0.5:
        visits.append((weekday_on_or_before(datetime.date(2026, 10, 1) + days(rng.randint(0, 55))), "satisfactory"))
    out.append("quality_assurance:\n  visits:\n")
    for date, outcome in visits:
        out.append(f"    - date: {date}\n      by: {rng.choice(QA_ROLES)}\n      outcome: {outcome}\n")
    return "".join(out)


def waiver_text(provider: Provider, rule: str, approver: str) -> str:
    return (f"# Waiver: {rule}, {provider.name} (fictional, generated)\n"
            f"id: {provider.id}-staff-2026\nrule: {rule}\nrecord: {provider.id}\n"
            "reason: Certificates for the instructors' qualifications are being reissued by the awarding body; "
            "the trust AP lead will check them at the next quality-assurance visit.\n"
            f"approved_by:\n  name: {approver}\napproved_on: 2026-09-01\nexpires_on: 2027-07-31\n")


class PlacementWriter:
    """Makes compliant placements one by one (the random draws are in a fixed order, so output is seeded)."""

    def __init__(self, rng: random.Random, calendar: SchoolDays, schools: list[School], providers: list[Provider],
                 executive_principal: str) -> None:
        self.rng = rng
        self.calendar = calendar
        self.schools = schools
        self.providers = providers
        self.registered = [p for p in providers if p.registered]
        self.school_kind = [p for p in providers if p.registered and p.kind in SCHOOL_KINDS]
        self.executive_principal = executive_principal
        self.numbers: dict[tuple[str, int], int] = {}
        self.next_ref = 100001
        self.pupils_with_free_days: list[Pupil] = []

    def pupil(self) -> tuple[Pupil, bool]:
        """A new pupil, or (about one time in 20) one who already has a placement on other weekdays."""
        rng = self.rng
        if self.pupils_with_free_days and rng.random() < 0.05:
            return self.pupils_with_free_days.pop(rng.randrange(len(self.pupils_with_free_days))), True
        flags = {"ehc_plan": rng.random() < 0.1, "looked_after": rng.random() < 0.08, "sen_support": rng.random() < 0.2}
        pupil = Pupil(f"CRST-P-{self.next_ref}", rng.randint(5, 11), {k: v for k, v in flags.items() if v})
        self.next_ref += 1
        return pupil, False

    def timetable(self, provider: Provider, full_time: bool, pupil: Pupil) -> list[tuple[str, str, str]]:
        rng = self.rng
        free = [d for d in DAYS if d not in pupil.days_used]
        if full_time and not pupil.days_used:
            chosen = list(DAYS[:rng.choice((4, 5))])
            block = FULL_TIME[0]
            return [(d, *block) for d in chosen]
        count = rng.randint(1, min(3, len(free)))
        chosen = sorted(rng.sample(free, count), key=DAYS.index)
        sessions = [(d, *rng.choice(PART_TIME)) for d in chosen]
        if not provider.registered:
            while hours(sessions) > UNREGISTERED_MAX_HOURS:
                sessions.pop()
        return sessions

    def next_id(self, school: School, start: datetime.date) -> str:
        key = (school.id, start.year)
        number = self.numbers.get(key, 0) + 1
        self.numbers[key] = number
        return f"{school.id}-{start.year}-{number:03d}"

    def dates(self, status: str) -> tuple[datetime.date, datetime.date, datetime.date | None]:
        """Start, planned end and (for finished placements) end date, all school days."""
        rng, cal = self.rng, self.calendar
        ended = None
        if status == "active":
            start = cal.pick(rng, datetime.date(2026, 9, 2), datetime.date(2026, 11, 20))
            end = cal.pick(rng, datetime.date(2027, 2, 1), datetime.date(2027, 7, 16))
        elif status == "planned":
            start = cal.pick(rng, datetime.date(2026, 11, 30), datetime.date(2027, 3, 19))
            end = cal.pick(rng, start + days(70), min(start + days(210), datetime.date(2027, 7, 16)))
        elif status == "withdrawn":
            start = cal.pick(rng, datetime.date(2026, 9, 15), datetime.date(2027, 1, 29))
            end = cal.pick(rng, start + days(70), min(start + days(210), datetime.date(2027, 7, 16)))
        elif status == "completed":
            start = cal.pick(rng, datetime.date(2025, 9, 3), datetime.date(2026, 3, 20))
            end = cal.pick(rng, start + days(56), min(start + days(210), datetime.date(2026, 7, 17)))
            ended = end
        else:  # ended-early
            start = cal.pick(rng, datetime.date(2025, 9, 3), datetime.date(2026, 6, 30))
            end = cal.pick(rng, start + days(84), start + days(280))
            ended = cal.pick(rng, start + days(21), min(end - days(7), TODAY - days(7)))
        return start, end, ended

    def reviews(self, start: datetime.date, stop: datetime.date, weeks: int) -> list[datetime.date]:
        """Review dates from the start up to ``stop``, never more than ``weeks`` apart (and the last within it)."""
        found: list[datetime.date] = []
        cursor = start
        longest = weeks * 7 - 1
        while True:
            following = weekday_on_or_before(cursor + days(self.rng.randint(longest - 13, longest)))
            if following > stop:
                return found
            found.append(following)
            cursor = following

    def placement(self) -> tuple[str, str, str]:
        """The school folder, id and text of one new placement."""
        rng = self.rng
        status = weighted(rng, STATUS_WEIGHTS)
        pupil, second = self.pupil()
        reason = "added-value" if second else weighted(rng, REASON_WEIGHTS)
        school = self.schools[rng.randrange(len(self.schools))]
        la_arranged = reason == "medical" and rng.random() < 0.3
        if la_arranged:
            provider = rng.choice(self.registered)
        elif reason == "behaviour" and rng.random() < 0.4:
            provider = rng.choice(self.school_kind)
        else:
            provider = rng.choice(self.providers)
        full_time = provider.registered and reason == "behaviour" and rng.random() < 0.6
        sessions = self.timetable(provider, full_time, pupil)
        if not second and len(sessions) <= 3:
            pupil.days_used.update(s[0] for s in sessions)
            self.pupils_with_free_days.append(pupil)
        start, planned_end, ended = self.dates(status)
        placement_id = self.next_id(school, start)
        subject = rng.choice(SUBJECTS)
        weeks = rng.choice((4, 5, DEFAULT_REVIEW_WEEKS, DEFAULT_REVIEW_WEEKS))
        cal = self.calendar

        if reason == "behaviour":
            # Notice to parents at least two school days before the first day, and given by "today".
            notice_index = cal.index[start] - rng.randint(2, 8)
            parents_on = min(cal.days[notice_index], cal.days[cal.on_or_before(TODAY - days(1))])
            decided = weekday_on_or_before(parents_on - days(rng.randint(0, 3)))
            la_on = min(parents_on + days(rng.randint(0, 2)), start, TODAY)
        else:
            decided = weekday_on_or_before(min(start - days(rng.randint(5, 60)), TODAY - days(1)))
        code = "K" if la_arranged else ("D" if provider.kind in SCHOOL_KINDS and rng.random() < 0.6 else "B")

        out = [f"# Placement: {reason}, {school.name}, at {provider.name} ({status}; generated)\n",
               f"id: {placement_id}\nschool: {school.id}\npupil:\n  ref: {pupil.ref}\n  year_group: {pupil.year_group}\n"]
        out.extend(f"  {flag}: true\n" for flag in pupil.flags)
        out.append(f"reason: {reason}\nrationale: {scalar(rng.choice(RATIONALES[reason]).format(s=subject))}\n"
                   f"provider: {provider.id}\nsite: {rng.choice(provider.sites)}\n")
        if la_arranged:
            out.append(f"arranged_by: local-authority\ndecision:\n  by: local-authority\n  name: {school.council}\n"
                       f"  date: {decided}\n")
        else:
            out.append(f"decision:\n  by: principal\n  name: {school.principal}\n  date: {decided}\n")
        if reason == "behaviour":
            out.append(f"notice:\n  parents_on: {parents_on}\n  local_authority_on: {la_on}\nobjectives:\n")
            out.extend(f"  - {scalar(objective)}\n" for objective in rng.sample(OBJECTIVES, rng.randint(2, 4)))
        out.append("timetable:\n")
        out.extend(f"  - day: {day}\n    start: \"{begin}\"\n    end: \"{finish}\"\n" for day, begin, finish in sessions)
        out.append(f"start_date: {start}\nplanned_end_date: {planned_end}\n")
        if weeks != DEFAULT_REVIEW_WEEKS or rng.random() < 0.3:
            out.append(f"review_every_weeks: {weeks}\n")
        review_dates = []
        if status == "active":
            review_dates = self.reviews(start, TODAY, weeks)
        elif ended is not None:
            review_dates = self.reviews(start, ended, weeks)
        if review_dates:
            out.append("reviews:\n")
            for n, date in enumerate(review_dates):
                last = n == len(review_dates) - 1
                decision = ("reintegrate" if status == "completed" else "end") if last and ended else "continue"
                progress = scalar(rng.choice(PROGRESS[reason]).format(s=subject))
                out.append(f"  - date: {date}\n    attendance_percent: {rng.randint(60, 100)}\n"
                           f"    progress: {progress}\n    decision: {decision}\n")
        if reason == "behaviour":
            target = planned_end if rng.random() < 0.6 else cal.days[cal.on_or_before(planned_end - days(14))]
            out.append(f"reintegration:\n  plan: {scalar(rng.choice(REINTEGRATION))}\n  target_date: {target}\n")
        elif reason == "medical":
            received = weekday_on_or_before(decided - days(rng.randint(0, 20)))
            out.append(f"medical_evidence:\n  reference: MIS-DOC-{rng.randint(1000, 99999)}\n  received_on: {received}\n")
        else:
            out.append(f"existing_provision: {scalar(rng.choice(EXISTING_PROVISION))}\n")
        out.append(f"attendance_code: {code}\n")
        if not provider.registered:
            approved = weekday_on_or_before(decided - days(rng.randint(0, 4)))
            out.append(f"ceo_approval:\n  name: {self.executive_principal}\n  date: {approved}\n")
        out.append(f"status: {status}\n")
        if ended is not None:
            outcome = "reintegrated" if status == "completed" else rng.choice(("moved-school", "other", "reintegrated"))
            out.append(f"ended:\n  date: {ended}\n  outcome: {outcome}\n")
        return school.id, placement_id, "".join(out)


def hours(sessions: Sequence[tuple[str, str, str]]) -> float:
    total = 0
    for _, begin, finish in sessions:
        total += (int(finish[:2]) * 60 + int(finish[3:])) - (int(begin[:2]) * 60 + int(begin[3:]))
    return total / 60


def weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    total = sum(weight for _, weight in choices)
    pick = rng.randrange(total)
    for value, weight in choices:
        if pick < weight:
            return value
        pick -= weight
    raise AssertionError("unreachable")


def prepare(out: Path) -> Path:
    """Make ``out`` ready for a fresh register; refuse a folder the generator did not make."""
    records = out / "records"
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SystemExit(f"generate: {out} is not empty and was not made by bench/generate.py; "
                         "name an empty or new folder.")
    if records.exists():
        shutil.rmtree(records)
    if (out / MARKER).exists() and (out / ".git").is_dir():
        shutil.rmtree(out / ".git")  # the generator's own history of an earlier register
    out.mkdir(parents=True, exist_ok=True)
    return records


GIT_ENV = {"GIT_AUTHOR_NAME": "Register Editor", "GIT_AUTHOR_EMAIL": "editor@example.invalid",
           "GIT_COMMITTER_NAME": "Register Editor", "GIT_COMMITTER_EMAIL": "editor@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
ONE_COMMIT_DATE = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.timezone.utc)
ONE_COMMIT_MESSAGE = "Register as generated for benchmarks"
BASE_DATE = datetime.datetime(2025, 1, 6, 9, 0, tzinfo=datetime.timezone.utc)  # the long history's first commit
EARLY_STATUS = {"completed": "active", "ended-early": "active", "withdrawn": "planned"}


def git_env() -> dict[str, str]:
    """The environment the generator runs git in: a fixed author, and no user or system configuration."""
    return {**os.environ, **GIT_ENV}


def run_git(out: Path, *args: str) -> str:
    """Run git in ``out``; its output (stops with a one-line message when git fails)."""
    if shutil.which("git") is None:
        raise SystemExit("generate: git is not installed; install it, or generate without --git and --commits.")
    result = subprocess.run(["git", *args], cwd=out, env=git_env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"generate: git {' '.join(args)} failed in {out}: {result.stderr.strip()}")
    return result.stdout


class FastImport:
    """Feeds ``git fast-import``: blobs as files are written, commits once their files are known.

    One ``git fast-import`` process writes every version of every file and
    every commit, which takes seconds where 1,000 ``git commit`` processes
    would take minutes.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.process = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=out, env=git_env(),
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert self.process.stdin is not None
        self.stream = self.process.stdin
        self.marks = 0
        self.commits = 0

    def _data(self, data: bytes) -> None:
        self.stream.write(b"data %d\n" % len(data))
        self.stream.write(data)
        self.stream.write(b"\n")

    def blob(self, text: str) -> int:
        """Store ``text`` as a blob; its mark, for :meth:`commit`."""
        self.marks += 1
        self.stream.write(b"blob\nmark :%d\n" % self.marks)
        self._data(text.encode("utf-8"))
        return self.marks

    def commit(self, message: str, when: datetime.datetime, files: Sequence[tuple[str, int]],
               parent: str | None = None) -> None:
        """Commit ``files`` (path in the repository, blob mark) on ``main``, after ``parent`` when given."""
        stamp = f"{int(when.timestamp())} +0000"
        self.stream.write(f"commit refs/heads/main\n"
                          f"author {GIT_ENV['GIT_AUTHOR_NAME']} <{GIT_ENV['GIT_AUTHOR_EMAIL']}> {stamp}\n"
                          f"committer {GIT_ENV['GIT_COMMITTER_NAME']} <{GIT_ENV['GIT_COMMITTER_EMAIL']}> {stamp}\n"
                          .encode("utf-8"))
        self._data(message.encode("utf-8"))
        if parent is not None and self.commits == 0:
            self.stream.write(f"from {parent}\n".encode("ascii"))
        self.stream.write(b"".join(b"M 100644 :%d %s\n" % (mark, path.encode("utf-8")) for path, mark in files))
        self.stream.write(b"\n")
        self.commits += 1

    def finish(self) -> None:
        """End the import, then make the index match the new HEAD (the files on disk already do)."""
        self.stream.write(b"done\n")
        self.stream.close()
        assert self.process.stderr is not None
        with self.process.stderr:
            error = self.process.stderr.read().decode("utf-8", "replace").strip()
        if self.process.wait() != 0:
            raise SystemExit(f"generate: git fast-import failed in {self.out}: {error}")
        run_git(self.out, "reset", "--quiet")


@dataclass(frozen=True)
class Version:
    """One version of a placement file in the long history: when it was committed, and its blob."""

    date: str
    order: int
    step: int
    path: str
    mark: int


def placement_versions(text: str) -> list[tuple[str, str]]:
    """The versions a placement's file went through, oldest first, as (date, text); the last is ``text``.

    The first version is the placement as decided (its decision date): every
    term it was agreed with, no reviews yet, and the status it had then
    (``active`` for a finished placement, ``planned`` for a withdrawn one).
    Each review is then added on its date, and a finished placement gets its
    status and ending on the date it ended. Past reviews are never altered and
    the terms and dates that may not change never do, so the history passes
    the history rules.
    """
    lines = text.splitlines(keepends=True)
    decided = ""
    reviews: list[tuple[str, str]] = []  # (date, text of the review)
    head: list[str] = []
    tail: list[str] = []
    status_line = ""
    ended = ""
    index = 0
    section = ""
    while index < len(lines):
        line = lines[index]
        if not line.startswith(" "):
            section = line.split(":", 1)[0]
        if section == "decision" and line.startswith("  date: "):
            decided = line.split(": ", 1)[1].strip()
        if section == "reviews" and line.startswith("  - date: "):
            chunk = [line]
            while index + 1 < len(lines) and lines[index + 1].startswith("    "):
                index += 1
                chunk.append(lines[index])
            reviews.append((line.split(": ", 1)[1].strip(), "".join(chunk)))
        elif section == "status":
            status_line = line
        elif section == "ended":
            if line.startswith("  date: "):
                ended = line.split(": ", 1)[1].strip()
        elif section == "reviews":
            pass
        elif reviews or status_line:
            tail.append(line)
        else:
            head.append(line)
        index += 1
    status = status_line.split(":", 1)[1].strip()
    early = f"status: {EARLY_STATUS.get(status, status)}\n"
    start = next((line.split(": ", 1)[1].strip() for line in head + tail if line.startswith("start_date: ")), decided)
    versions: list[tuple[str, str]] = []
    for count in range(len(reviews) + 1):
        listed = ["reviews:\n", *(r for _, r in reviews[:count])] if count else []
        versions.append((reviews[count - 1][0] if count else decided, "".join([*head, *listed, *tail, early])))
    if versions[-1][1] != text:
        if not ended:  # withdrawn: halfway from the decision to the start (or today, when that is sooner)
            first = datetime.date.fromisoformat(decided)
            last = min(datetime.date.fromisoformat(start), TODAY)
            ended = (first + (last - first) / 2).isoformat() if last > first else decided
        versions.append((ended, text))
    return versions


def write_history(importer: FastImport, base: Sequence[tuple[str, int]], versions: list[Version],
                  commits: int) -> int:
    """Commit the register's files as a history of at most ``commits`` commits; the number made.

    The first commit holds the trust, calendar, schools, providers and
    waivers; then the placement versions, in date order, are shared out
    evenly: a few files a commit, each commit dated on its latest version.
    """
    versions.sort(key=lambda v: (v.date, v.order, v.step))
    commits = max(1, min(commits, len(versions) + 1))
    rest = commits - 1
    importer.commit("Set up the register: trust, calendar, schools and providers", BASE_DATE, base)
    for number in range(rest):
        chunk = versions[number * len(versions) // rest:(number + 1) * len(versions) // rest]
        latest = datetime.datetime.fromisoformat(chunk[-1].date).replace(tzinfo=datetime.timezone.utc)
        when = max(BASE_DATE, latest + datetime.timedelta(hours=9)) + datetime.timedelta(seconds=number + 1)
        new = sum(1 for v in chunk if v.step == 0)
        message = f"Register update {number + 1}: {new} new placement(s), {len(chunk) - new} change(s)"
        importer.commit(message, when, [(v.path, v.mark) for v in chunk])
    return commits


def add_commits(out: Path, count: int, label: str, files_per_commit: int = 3) -> list[str]:
    """Commit ``count`` new commits on top of the register in ``out``, each rewriting a few placements' rationale.

    The new rationales are other compliant sentences for the same reason; the
    files on disk are updated too, so the working tree stays clean. ``label``
    seeds the choice and names the commits, so each label makes new commits.
    Returns the files changed (relative to ``out``).
    """
    rng = random.Random(f"{label}:{count}")
    placements = sorted((out / "records" / "placements").glob("*/*.yaml"))
    head_commit = run_git(out, "rev-parse", "HEAD").strip()
    importer = FastImport(out)
    changed: dict[str, str] = {}
    when = datetime.datetime.fromtimestamp(int(run_git(out, "log", "-1", "--format=%ct").strip()), datetime.timezone.utc)
    for number in range(count):
        files = []
        for path in rng.sample(placements, min(files_per_commit, len(placements))):
            relative = path.relative_to(out).as_posix()
            text = changed.get(relative) or path.read_text("utf-8")
            reason = re.search(r"^reason: (\S+)$", text, re.MULTILINE)
            sentence = rng.choice(RATIONALES[reason.group(1) if reason else "behaviour"]).format(s=rng.choice(SUBJECTS))
            text = re.sub(r"^rationale: .*$", lambda _: f"rationale: {scalar(sentence)}", text, count=1,
                          flags=re.MULTILINE)
            changed[relative] = text
            files.append((relative, importer.blob(text)))
        when += datetime.timedelta(minutes=1)
        importer.commit(f"{label}: rationale rewritten ({number + 1} of {count})", when, files, parent=head_commit)
    for relative, text in changed.items():
        (out / relative).write_text(text, "utf-8")
    importer.finish()
    return sorted(changed)


def generate(out: Path, placements: int, seed: int = 7, examples: ExampleRegister | None = None,
             git: bool = False, commits: int | None = None) -> dict[str, int]:
    """Write a register with ``placements`` placements into ``out/records``; return the count of each kind.

    With ``git``, ``out`` also becomes a git repository with the register in
    one commit; with ``commits``, in a long history of that many commits
    (placements added and reviewed over time; the last commit is the same
    register). The history is made with one ``git fast-import``.
    """
    examples = examples or read_examples()
    records = prepare(out)
    rng = random.Random(seed)
    calendar = SchoolDays(examples.holidays, datetime.date(2025, 1, 1), datetime.date(2028, 12, 31))
    schools = make_schools()
    providers = make_providers(examples.waiver_rule)
    importer = None
    if git or commits is not None:
        run_git(out, "init", "--quiet", "--initial-branch", "main")
        importer = FastImport(out)
    tracked: list[tuple[str, int]] = []
    versions: list[Version] = []

    def write(path: Path, text: str) -> None:
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(text)
        if importer is not None and (commits is None or path.parent.parent.name != "placements"):
            tracked.append((path.relative_to(out).as_posix(), importer.blob(text)))

    for folder in ("schools", "providers", "waivers"):
        (records / folder).mkdir(parents=True)
    write(records / "trust.yaml", examples.trust_text)
    write(records / "calendar.yaml", examples.calendar_text)
    for school in schools:
        write(records / "schools" / f"{school.id}.yaml", school_text(school))
        (records / "placements" / school.id).mkdir(parents=True)
    waivers = 0
    for provider in providers:
        write(records / "providers" / f"{provider.id}.yaml", provider_text(provider, rng))
        if provider.waived_staff and examples.waiver_rule:
            text = waiver_text(provider, examples.waiver_rule, examples.executive_principal)
            write(records / "waivers" / f"{provider.id}-staff-2026.yaml", text)
            waivers += 1
    writer = PlacementWriter(rng, calendar, schools, providers, examples.executive_principal)
    placements_dir = records / "placements"
    for order in range(placements):
        school_id, placement_id, text = writer.placement()
        path = placements_dir / school_id / f"{placement_id}.yaml"
        write(path, text)
        if importer is not None and commits is not None:
            relative = path.relative_to(out).as_posix()
            for step, (date, version) in enumerate(placement_versions(text)):
                versions.append(Version(date, order, step, relative, importer.blob(version)))
    (out / MARKER).write_text(json.dumps({"placements": placements, "seed": seed, "commits": commits}) + "\n",
                              "utf-8")
    if importer is not None:
        if commits is None:
            importer.commit(ONE_COMMIT_MESSAGE, ONE_COMMIT_DATE, tracked)
        else:
            write_history(importer, tracked, versions, commits)
        importer.finish()
    return {"trust": 1, "calendar": 1, "school": len(schools), "provider": len(providers),
            "placement": placements, "waiver": waivers}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic, compliant AP register for benchmarks.")
    parser.add_argument("out", nargs="?", type=Path,
                        help="folder to write records/ into (default: bench/out/register-<placements>)")
    parser.add_argument("--placements", type=int, default=1000, help="number of placements (default 1000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--git", action="store_true", help="also make OUT a git repository holding the register")
    parser.add_argument("--commits", type=int, default=None, metavar="N",
                        help="make OUT a git repository whose history of N commits builds the register up "
                             "(placements added, reviewed and ended over time)")
    args = parser.parse_args(argv)
    if args.placements < 0:
        parser.error("--placements must be 0 or more")
    if args.commits is not None and args.commits < 1:
        parser.error("--commits must be 1 or more")
    out = args.out or DEFAULT_OUT / f"register-{args.placements}"
    began = time.perf_counter()
    counts = generate(out, args.placements, args.seed, git=args.git, commits=args.commits)
    elapsed = time.perf_counter() - began
    summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    history = ""
    if args.git or args.commits is not None:
        history = f" ({run_git(out, 'rev-list', '--count', 'HEAD').strip()} commits)"
    print(f"Wrote {summary} to {out}/records{history} in {elapsed:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
