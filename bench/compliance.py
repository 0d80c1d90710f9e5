"""Compliance engine at scale, run by hand (never by pytest).

For each size N (default 15, 5,000 and 50,000 branches) a fresh database is created and
migrated, one committee with N branches is bulk-inserted, each branch with a few members and a
year of organisational life, and then

* ``compliance(active_orgs(), today=today)`` — every branch, the current and previous
  month / quarter / year slots (what the to-do centre, reminders and the board compute) — is
  timed over ``--repeat`` runs (median and max) and its SQL queries are counted;
* the orglife indicator functions (``indicators()`` keys starting with ``orglife.``) are timed
  the same way for all branches and the current quarter.

    python bench/compliance.py [--sizes 15,5000,50000] [--repeat 5] [--members 3]
                               [--postgres postgres://postgres@127.0.0.1:5432/bench_compliance]
                               [--profile]

SQLite: a fresh file in a temporary DANGJIAN_DATA_DIR per size (deleted afterwards unless
``--keep``). PostgreSQL: the database named in the URL is dropped and created again for every
size (``psql -h HOST -U USER``), then ANALYZEd after the load. Each size runs in its own
subprocess (settings are read once per process).

Data per branch (seeded, ``--seed``): ``--members`` party members (every fourth branch has a
probationary one, without a vote); a third of the branches have a branch committee. Over the
last twelve months: a theme day every month (8% skipped), a branch committee meeting every
month where there is a committee (10% skipped), a general meeting (10% skipped, 5% made up
late in the following month) and a party lecture (15% skipped) every quarter, the yearly
organisational-life meeting and member appraisal (20% skipped each) and heart-to-heart talks
(10% skipped); 3% of the branches are silent for the last 45 days. Every meeting invites all
members (90% present); quorum is judged as the app does.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
MARK = "RESULT "


# ---- parent: one subprocess per size ----------------------------------------------------------
def recreate_pg(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    dbname = parts.path.lstrip("/")
    base = ["psql", "-h", parts.hostname or "127.0.0.1", "-U", parts.username or "postgres"]
    if parts.port:
        base += ["-p", str(parts.port)]
    base += ["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c"]
    subprocess.run([*base, f'DROP DATABASE IF EXISTS "{dbname}"'], check=True)
    subprocess.run([*base, f'CREATE DATABASE "{dbname}"'], check=True)


def run_size(size: int, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"dangjian-compliance-{size}-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DANGJIAN_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="dangjian.settings",
        PYTHONPATH=str(REPO),
    )
    if args.postgres:
        recreate_pg(args.postgres)
        env["DATABASE_URL"] = args.postgres
    cmd = [
        PY,
        str(Path(__file__).resolve()),
        "--child",
        str(size),
        "--repeat",
        str(args.repeat),
        "--members",
        str(args.members),
        "--seed",
        str(args.seed),
    ]
    if args.profile:
        cmd.append("--profile")
    try:
        proc = subprocess.run(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            result = json.loads(line[len(MARK) :])
        else:
            print(line)
    if proc.returncode or result is None:
        raise SystemExit(f"size {size} failed (exit {proc.returncode})")
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| what | branches | meetings | median s | max s | queries | median s / 1,000 branches |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for name, m in r["timings"].items():
            lines.append(
                f"| {name} | {r['branches']:,} | {r['meetings']:,} | {m['median']:.3f} | "
                f"{m['max']:.3f} | {m['queries']} | "
                f"{m['median'] * 1000 / r['branches']:.3f} |"
            )
    return "\n".join(lines)


# ---- child: build, then measure -------------------------------------------------------------
def say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def build(size: int, members: int, rng: random.Random, today: dt.date) -> dict[str, int]:
    from django.db import transaction
    from django.utils import timezone

    from dangjian.core.periods import Period
    from dangjian.demo.bulk import fast_insert, insert, tree_path
    from dangjian.demo.wipe import reset_sequences
    from dangjian.orglife.models import Meeting, MeetingAttendance, MeetingType
    from dangjian.orglife.rules import seed_meeting_types
    from dangjian.orglife.services import quorum_result
    from dangjian.orgs.models import PartyOrg, Unit
    from dangjian.people.models import Person, PoliticalStatus

    seed_meeting_types(MeetingType)
    types = {t.code: t for t in MeetingType.objects.all()}
    started = time.perf_counter()
    path, depth = tree_path("", 1)
    committee = PartyOrg(pk=1, name="基准党委", kind=PartyOrg.Kind.COMMITTEE, path=path, depth=0)
    unit_path, _ = tree_path("", 1)
    branches: list[PartyOrg] = []
    for pk in range(2, size + 2):
        path, depth = tree_path(committee.path, pk)
        branches.append(
            PartyOrg(
                pk=pk,
                name=f"第{pk - 1}党支部",
                kind=PartyOrg.Kind.BRANCH,
                parent_id=committee.pk,
                path=path,
                depth=depth,
                has_committee=pk % 3 == 0,
            )
        )
    people: dict[int, list[tuple[int, bool]]] = {}

    def persons() -> Iterator[Person]:
        pk = 1
        for branch in branches:
            people[branch.pk] = []
            for j in range(members):
                voting = not (j == members - 1 and branch.pk % 4 == 0)
                people[branch.pk].append((pk, voting))
                yield Person(
                    pk=pk,
                    employee_no=f"B{pk:08d}",
                    name=f"党员{pk}",
                    gender="M",
                    birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=pk % 7000),
                    unit_id=1,
                    party_org_id=branch.pk,
                    political_status=PoliticalStatus.FULL
                    if voting
                    else PoliticalStatus.PROBATIONARY,
                    joined_party_on=dt.date(2010, 7, 1),
                    regularised_on=dt.date(2011, 7, 1) if voting else None,
                )
                pk += 1

    # the year of meetings: (code, period, day it is held)
    months = [Period.containing(today, "month")]
    while len(months) < 12:
        months.insert(0, months[0].previous())
    window = months[0].start
    quarters = sorted({Period.containing(m.start, "quarter") for m in months}, key=_start)
    years = sorted({Period.containing(m.start, "year") for m in months}, key=_start)
    plan: list[tuple[str, Any, dt.date, float]] = []  # code, period, day, skip probability
    plan += [("theme_day", m, m.start.replace(day=10), 0.08) for m in months]
    plan += [("branch_committee", m, m.start.replace(day=5), 0.10) for m in months]
    for q in quarters:
        middle = (q.start + dt.timedelta(days=40)).replace(day=1)
        plan.append(("branch_general", q, middle.replace(day=20), 0.10))
        plan.append(("party_lecture", q, middle.replace(day=25), 0.15))
    for y in years:
        plan.append(("org_life_meeting", y, dt.date(y.start.year, 12, 12), 0.20))
        plan.append(("member_appraisal", y, dt.date(y.start.year, 12, 16), 0.20))
        plan.append(("heart_talk", y, dt.date(y.start.year, 12, 3), 0.10))
    plan = [p for p in plan if window <= p[2] <= today]
    counts = {"meetings": 0, "attendances": 0}
    attendances: list[MeetingAttendance] = []

    def meetings() -> Iterator[Meeting]:
        pk = 1
        att_pk = 1
        for branch in branches:
            silent = rng.random() < 0.03
            for code, period, day, skip in plan:
                mt = types[code]
                if not mt.applies(branch.kind, branch.has_committee) or rng.random() < skip:
                    continue
                if code == "branch_general" and rng.random() < 0.05:
                    day = period.end + dt.timedelta(days=10)  # made up late
                if day > today or (silent and day > today - dt.timedelta(days=45)):
                    continue
                meeting = Meeting(
                    pk=pk,
                    org_id=branch.pk,
                    meeting_type_id=mt.pk,
                    title=f"{branch.name}{period.label}{mt.name}",
                    planned_at=timezone.make_aware(dt.datetime.combine(day, dt.time(15))),
                    held_on=day,
                    period_start=period.start,
                    period_end=period.end,
                    state=Meeting.State.ARCHIVED,
                    topic=mt.name,
                )
                rows = []
                for person_id, voting in people[branch.pk]:
                    present = rng.random() < 0.9
                    rows.append(
                        MeetingAttendance(
                            pk=att_pk,
                            meeting_id=pk,
                            person_id=person_id,
                            is_voting=voting,
                            status="present" if present else "leave",
                            method="qr" if present else "",
                        )
                    )
                    att_pk += 1
                meeting.invited_count = len(rows)
                meeting.present_count = sum(1 for r in rows if r.status == "present")
                meeting.quorate = quorum_result(mt, rows)[0]
                attendances.extend(rows)
                pk += 1
                yield meeting

    def drain(done: int) -> None:
        counts["meetings"] = done
        counts["attendances"] += len(attendances)
        fast_insert(MeetingAttendance, attendances, batch=20000)
        attendances.clear()

    with transaction.atomic():
        insert(PartyOrg, [committee])
        insert(Unit, [Unit(pk=1, name="基准矿", kind="mine", path=unit_path, depth=0)])
        insert(PartyOrg, branches, batch=2000)
        fast_insert(Person, persons(), batch=5000)
        # attendances of each batch of meetings go in right after it (foreign keys)
        fast_insert(Meeting, meetings(), batch=5000, progress=drain)
        reset_sequences([PartyOrg, Unit, Person, Meeting, MeetingAttendance])
    say(
        f"built {size:,} branches, {counts['meetings']:,} meetings, "
        f"{counts['attendances']:,} attendances in {time.perf_counter() - started:.0f} s"
    )
    return counts


def _start(period: Any) -> dt.date:
    return period.start  # type: ignore[no-any-return]


def measure(func: Callable[[], Any], repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:  # also warms the caches once
        func()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        seconds.append(time.perf_counter() - started)
    return {
        "median": statistics.median(seconds),
        "max": max(seconds),
        "queries": len(ctx.captured_queries),
    }


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from dangjian.core.periods import Period
    from dangjian.core.registries import indicators
    from dangjian.orglife.selectors.compliance import active_orgs, compliance
    from dangjian.orgs.models import PartyOrg

    size = args.child
    today = timezone.localdate()
    call_command("migrate", verbosity=0)
    counts = build(size, args.members, random.Random(args.seed), today)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    branch_ids = list(
        PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH).values_list("pk", flat=True)
    )
    quarter = Period.containing(today, "quarter")
    found = {k: v for k, v in sorted(indicators().items()) if k.startswith("orglife.")}

    def board() -> Any:
        items = compliance(active_orgs(), today=today)
        assert len(items) == size
        return items

    def all_indicators() -> None:
        for ind in found.values():
            assert len(ind.func(branch_ids, quarter)) == size

    timings = {"compliance (current + previous slots)": measure(board, args.repeat)}
    timings["orglife indicators (all, current quarter)"] = measure(all_indicators, args.repeat)
    for key, ind in found.items():
        timings[f"  {key}"] = measure(
            lambda ind=ind: ind.func(branch_ids, quarter), max(1, args.repeat // 2)
        )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        board()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    levels: dict[str, int] = {}
    for item in board():
        levels[item.level or "none"] = levels.get(item.level or "none", 0) + 1
    say(f"levels on {today}: {levels}")
    result = {
        "branches": size,
        "meetings": counts["meetings"],
        "attendances": counts["attendances"],
        "vendor": connection.vendor,
        "today": str(today),
        "levels": levels,
        "timings": timings,
    }
    print(MARK + json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="15,5000,50000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", default=None, help="database URL (dropped and recreated)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite data directories")
    parser.add_argument("--profile", action="store_true", help="cProfile one compliance run")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args)
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"{size:,} branches ({'PostgreSQL' if args.postgres else 'SQLite'}) …", flush=True)
        started = time.perf_counter()
        results.append(run_size(size, args))
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    print()
    print(table(results))
    queries = {
        name: {r["timings"][name]["queries"] for r in results} for name in results[0]["timings"]
    }
    steady = all(len(v) == 1 for v in queries.values())
    print(f"\nquery counts constant across sizes: {'yes' if steady else 'NO'} {queries}")
    if args.postgres:
        recreate_pg(args.postgres)  # leave an empty database behind, not gigabytes


if __name__ == "__main__":
    main()
