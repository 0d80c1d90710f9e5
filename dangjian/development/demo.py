"""Demo records: people at every development stage in most branches, a few of them overdue.

For each of the first branches, a handful of 群众/共青团员 of working age get a case whose steps
are dated backwards from ``today`` with the step table's own windows (so every record obeys the
rules), stopping at a different step per person; a few stop just past a deadline so that the
reminders and the red rows show. Bulk inserts; the persons' political status follows the steps.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from dangjian.development.defaults import seed_steps
from dangjian.development.models import DevelopmentCase, StepRecord, StepRule
from dangjian.development.services import _refresh_case, probation_end, step_window
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import Person, PoliticalStatus

# the step each demo person has reached, cycling per branch (25 = regularised and archived)
REACHED = (1, 2, 3, 6, 7, 11, 16, 17, 21, 23, 25, 1)
PER_BRANCH = 4
BRANCHES = 12


def _dates(
    case: Any, steps: dict[int, StepRule], start: dt.date, until: int, rng: random.Random
) -> dict[int, dt.date]:
    """A plausible date for steps 1..``until``: inside each window, a few days after it opens."""
    done: dict[int, dt.date] = {1: start}
    for number in range(2, until + 1):
        window = step_window(steps[number], done, case)
        day = (window.earliest or start) + dt.timedelta(days=rng.randint(0, 6))
        if window.latest and day > window.latest:
            day = window.latest
        done[number] = day
    return done


def load(*, today: dt.date, rng: random.Random) -> None:
    seed_steps(StepRule)
    steps = {r.number: r for r in StepRule.objects.all()}
    branches = list(
        PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH, dissolved_on__isnull=True).order_by(
            "path"
        )[:BRANCHES]
    )
    adult = today.replace(year=today.year - 22)
    cases: list[DevelopmentCase] = []
    plans: list[tuple[DevelopmentCase, Person, dict[int, dt.date]]] = []
    status_of = {n: r.sets_status for n, r in steps.items() if r.sets_status}

    def status_after(reached: int) -> str:
        found = [status_of[n] for n in sorted(status_of) if n <= reached]
        return found[-1] if found else PoliticalStatus.MASSES

    for b_index, branch in enumerate(branches):
        pool: dict[str, list[Person]] = {}
        for person in Person.objects.filter(
            party_org__path__startswith=branch.path, is_employed=True, birth_date__lte=adult
        ).order_by("employee_no")[:400]:
            pool.setdefault(person.political_status, []).append(person)
        for p_index in range(PER_BRANCH):
            reached = REACHED[(b_index * PER_BRANCH + p_index) % len(REACHED)]
            # members stay members (the mine's 466): a probationary or full member's history is
            # written for an existing one; the stages before come from their own status or 群众
            target = status_after(reached)
            choices = [target]
            if target not in (PoliticalStatus.PROBATIONARY, PoliticalStatus.FULL):
                choices += [PoliticalStatus.MASSES, PoliticalStatus.LEAGUE_MEMBER]
            chosen = next((pool[c].pop() for c in choices if pool.get(c)), None)
            if chosen is None:
                continue
            person = chosen
            case = DevelopmentCase(person=person, branch=branch)
            # work backwards: probe the total span, then start early enough to end near today
            probe = _dates(case, steps, today, reached, random.Random(0))
            span = (max(probe.values()) - today).days
            overdue = (b_index + p_index) % 3 == 0 and reached in (1, 16, 23)
            end_gap = (40 if reached == 1 else 100) if overdue else rng.randint(5, 25)
            start = today - dt.timedelta(days=span + end_gap)
            done = _dates(case, steps, start, reached, rng)
            if max(done.values()) > today:
                continue
            _refresh_case(case, done, steps)
            cases.append(case)
            plans.append((case, person, done))
    DevelopmentCase.objects.bulk_create(cases)
    records: list[StepRecord] = []
    persons: list[Person] = []
    for case, person, done in plans:
        for number, day in sorted(done.items()):
            window = step_window(steps[number], {k: v for k, v in done.items() if k < number}, case)
            records.append(
                StepRecord(
                    case=case,
                    step=number,
                    completed_on=day,
                    hours=steps[number].min_hours,
                    window_earliest=window.earliest,
                    window_latest=window.latest,
                    on_time=not (window.latest and day > window.latest),
                    recorder_name="demo",
                )
            )
        for number in sorted(done):
            status = status_of.get(number)
            if status:
                person.political_status = status
                if status == PoliticalStatus.PROBATIONARY:
                    anchor = steps[number].interval_from
                    person.joined_party_on = done.get(anchor) if anchor else done[number]
                if status == PoliticalStatus.FULL:
                    person.regularised_on = probation_end(case, done, steps)
        persons.append(person)
    StepRecord.objects.bulk_create(records, batch_size=2000)
    Person.objects.bulk_update(
        persons, ["political_status", "joined_party_on", "regularised_on"], batch_size=1000
    )
