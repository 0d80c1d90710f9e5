"""Deterministic synthetic data at scale: ``dangjian generate --persons N --seed S [--orgs M]``.

The same seed gives the same content (names, dates, identifiers, tree shape, primary keys);
only the random IVs inside the SM4-GCM seals differ, as they must. Shape, for M organisations:
committees → general branches (≈ 12 branches each) → branches → ≈ 3 Party groups each; the unit
tree mirrors it (mine per committee, workshop per branch, one team per group, each team covered
by its group). Persons fill the teams in contiguous blocks (front line) with ~10% office staff
in the workshops. Rows go in with bulk inserts in batches and explicit primary keys, so the
materialised paths are computed in the same pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from dangjian.accounts.models import Role, RoleAssignment, User
from dangjian.audit.services import audit_record
from dangjian.core import crypto
from dangjian.core.scope import SYSTEM
from dangjian.demo import names
from dangjian.demo.bulk import BATCH, fast_insert, insert, seal_into, tree_path
from dangjian.demo.mine import DEMO_PASSWORD
from dangjian.demo.wipe import reset_sequences, wipe_business_data
from dangjian.orgs.models import PartyOrg, Unit
from dangjian.people.models import Person, PoliticalStatus

REFERENCE_DATE = dt.date(2025, 1, 1)  # ages and Party dates are relative to a fixed day
STATUS_MIX = (
    (PoliticalStatus.MASSES, 70),
    (PoliticalStatus.LEAGUE_MEMBER, 10),
    (PoliticalStatus.APPLICANT, 3),
    (PoliticalStatus.ACTIVIST, 2),
    (PoliticalStatus.CANDIDATE, 1),
    (PoliticalStatus.PROBATIONARY, 1),
    (PoliticalStatus.FULL, 13),
)
BENCH_ACCOUNTS = ("bench_leader", "bench_secretary")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Shape:
    committees: int
    general_branches: int
    branches: int
    groups: int

    @property
    def orgs(self) -> int:
        return self.committees + self.general_branches + self.branches + self.groups

    @classmethod
    def for_counts(cls, persons: int, orgs: int | None) -> Shape:
        total = max(orgs or math.ceil(persons / 20), 5)
        committees = max(1, round(total / 2500))
        remaining = total - committees
        general = max(1, remaining // 50)
        branches = max(1, (remaining - general) // 4)
        groups = remaining - general - branches
        return cls(committees, general, branches, groups)


def _block(index: int, count: int, blocks: int) -> int:
    """Which of ``blocks`` contiguous blocks item ``index`` of ``count`` falls into."""
    return index * blocks // count


@transaction.atomic
def generate(
    *,
    persons: int,
    seed: int,
    orgs: int | None = None,
    reset: bool = False,
    progress: Progress | None = None,
    accounts: bool = True,
) -> dict[str, Any]:
    say = progress or (lambda message: None)
    started = timezone.now()
    if reset:
        wipe_business_data()  # snapshots of derived figures included
    elif PartyOrg.objects.exists():
        raise RuntimeError("数据库中已有组织数据；请使用 --reset 或新的数据库。")
    rng = random.Random(seed)
    shape = Shape.for_counts(persons, orgs)
    say(
        f"组织结构：{shape.committees} 个党委，{shape.general_branches} 个党总支，"
        f"{shape.branches} 个党支部，{shape.groups} 个党小组（共 {shape.orgs} 个）"
    )

    # ---- organisations and units (one pass, explicit ids) ----------------------------------
    org_rows: list[PartyOrg] = []
    unit_rows: list[Unit] = []
    coverage: list[tuple[int, int]] = []

    def add_org(name: str, kind: str, parent: PartyOrg | None) -> PartyOrg:
        pk = len(org_rows) + 1
        path, depth = tree_path(parent.path if parent else "", pk)
        org = PartyOrg(
            pk=pk, name=name, kind=kind, parent=parent, path=path, depth=depth, sort_order=pk
        )
        org_rows.append(org)
        return org

    def add_unit(name: str, kind: str, parent: Unit | None, org: PartyOrg, prod: bool) -> Unit:
        pk = len(unit_rows) + 1
        path, depth = tree_path(parent.path if parent else "", pk)
        unit = Unit(
            pk=pk,
            name=name,
            kind=kind,
            parent=parent,
            path=path,
            depth=depth,
            sort_order=pk,
            party_org=org,
            is_production=prod,
        )
        unit_rows.append(unit)
        return unit

    committees = [
        add_org(f"第{c + 1}煤矿党委", PartyOrg.Kind.COMMITTEE, None)
        for c in range(shape.committees)
    ]
    mines = [
        add_unit(f"第{c + 1}煤矿", Unit.Kind.MINE, None, committees[c], False)
        for c in range(shape.committees)
    ]
    generals = []
    for g in range(shape.general_branches):
        c = _block(g, shape.general_branches, shape.committees)
        generals.append(add_org(f"第{g + 1}党总支", PartyOrg.Kind.GENERAL_BRANCH, committees[c]))
    branch_rows: list[PartyOrg] = []
    workshops: list[Unit] = []
    for b in range(shape.branches):
        g = _block(b, shape.branches, shape.general_branches)
        c = _block(g, shape.general_branches, shape.committees)
        branch = add_org(f"第{b + 1}党支部", PartyOrg.Kind.BRANCH, generals[g])
        branch_rows.append(branch)
        workshops.append(
            add_unit(f"第{b + 1}区队", Unit.Kind.WORKSHOP, mines[c], branch, rng.random() < 0.7)
        )
    groups: list[PartyOrg] = []
    teams: list[Unit] = []
    for k in range(shape.groups):
        b = _block(k, shape.groups, shape.branches)
        group = add_org(f"第{b + 1}党支部第{k + 1}党小组", PartyOrg.Kind.GROUP, branch_rows[b])
        team = add_unit(
            f"第{b + 1}区队第{k + 1}班",
            Unit.Kind.TEAM,
            workshops[b],
            branch_rows[b],
            workshops[b].is_production,
        )
        groups.append(group)
        teams.append(team)
        coverage.append((group.pk, team.pk))
    say("写入组织与单位 …")
    insert(PartyOrg, org_rows, batch=BATCH)
    insert(Unit, unit_rows, batch=BATCH)
    through = PartyOrg.covered_units.through
    insert(
        through,
        (through(pk=i + 1, partyorg_id=g, unit_id=t) for i, (g, t) in enumerate(coverage)),
        batch=BATCH,
    )
    team_branch = [_block(k, shape.groups, shape.branches) for k in range(shape.groups)]

    # ---- persons ------------------------------------------------------------------------------
    used_ids: set[str] = set()
    statuses = [s for s, _ in STATUS_MIX]
    weights = [w for _, w in STATUS_MIX]
    ring = crypto.keyring()  # read once: sealing a million rows must not stat the key file

    def rows() -> Iterator[Person]:
        for i in range(persons):
            k = _block(i, persons, shape.groups)
            b = team_branch[k]
            office = rng.random() < 0.1
            status = rng.choices(statuses, weights=weights)[0]
            gender = "F" if rng.random() < (0.3 if office else 0.05) else "M"
            min_age = 23 if status in (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY) else 20
            birth = names.birth_date(rng, REFERENCE_DATE, min_age, 60)
            person = Person(
                pk=i + 1,
                uid=uuid.UUID(int=rng.getrandbits(128), version=4),
                employee_no=f"G{i + 1:08d}",
                name=names.person_name(rng, gender),
                gender=gender,
                birth_date=birth,
                education=names.pick_weighted(
                    rng, names.EDUCATION_MIX["office" if office else "production"]
                ),
                post=rng.choice(names.OFFICE_POSTS)
                if office
                else rng.choice(names.FRONT_LINE_POSTS["fully_mechanised"]),
                unit_id=workshops[b].pk if office else teams[k].pk,
                is_front_line=not office and workshops[b].is_production,
                political_status=status,
                party_org_id=branch_rows[b].pk,
                party_group_id=groups[k].pk
                if status in (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)
                else None,
            )
            if status == PoliticalStatus.FULL:
                joined = birth + dt.timedelta(days=365 * 20 + rng.randrange(365 * 2))
                person.joined_party_on = joined
                person.regularised_on = joined + dt.timedelta(days=365)
            elif status == PoliticalStatus.PROBATIONARY:
                person.joined_party_on = REFERENCE_DATE - dt.timedelta(days=rng.randrange(300))
            seal_into(person, "citizen_id", names.citizen_id(rng, birth, gender, used_ids), ring)
            seal_into(person, "phone", names.phone(rng), ring)
            yield person

    step = max(persons // 20, BATCH)
    last = [0]

    def report(done: int) -> None:
        if done - last[0] >= step or done == persons:
            last[0] = done
            elapsed = (timezone.now() - started).total_seconds()
            say(f"人员 {done}/{persons}（{done * 100 // max(persons, 1)}%，{elapsed:.0f} 秒）")

    fast_insert(Person, rows(), batch=BATCH, progress=report)
    used_ids.clear()
    reset_sequences([PartyOrg, Unit, Person, through])

    if accounts:
        _bench_accounts(committees[0], branch_rows[0])
    elapsed = (timezone.now() - started).total_seconds()
    result = {
        "persons": persons,
        "orgs": shape.orgs,
        "units": len(teams) + len(workshops) + len(mines),
        "seed": seed,
        "seconds": round(elapsed, 1),
    }
    audit_record(
        "synthetic_generate",
        obj=committees[0],
        actor=SYSTEM,
        changes={k: [None, v] for k, v in result.items() if k != "seconds"},
        reason="生成规模测试数据",
    )
    from dangjian.core.periodic import refresh_statistics

    refresh_statistics()  # planner statistics for the bulk-loaded tables
    return result


def _bench_accounts(committee: PartyOrg, branch: PartyOrg) -> None:
    """Two accounts for benchmarks: a committee leader and the first branch's secretary."""
    password = make_password(DEMO_PASSWORD)
    roles = {r.code: r for r in Role.objects.all()}
    for username, role, org in (
        (BENCH_ACCOUNTS[0], "committee_leader", committee),
        (BENCH_ACCOUNTS[1], "branch_secretary", branch),
    ):
        user = User.objects.create(
            username=username,
            password=password,
            password_changed_at=timezone.now(),
            is_demo=True,
            display_name=username,
        )
        RoleAssignment.objects.create(user=user, role=roles[role], party_org=org)


def content_digest() -> str:
    """SHA-256 over the generated content in primary-key order (seals compared by blind index,
    since their IVs are random). Two runs with the same seed give the same digest."""
    digest = hashlib.sha256()
    tables: list[tuple[Any, tuple[str, ...]]] = [
        (PartyOrg.objects, ("pk", "name", "kind", "parent_id", "path", "depth")),
        (
            Unit.objects,
            ("pk", "name", "kind", "parent_id", "path", "party_org_id", "is_production"),
        ),
        (PartyOrg.covered_units.through.objects, ("partyorg_id", "unit_id")),
        (
            Person.objects,
            (
                "pk",
                "uid",
                "employee_no",
                "name",
                "gender",
                "birth_date",
                "education",
                "post",
                "unit_id",
                "is_front_line",
                "political_status",
                "party_org_id",
                "party_group_id",
                "joined_party_on",
                "regularised_on",
                "citizen_id_bidx",
                "phone_bidx",
            ),
        ),
    ]
    for manager, fields in tables:
        order = fields[0] if fields[0] == "pk" else "partyorg_id"
        qs = manager.order_by(order, *fields[1:2]).values_list(*fields)
        for row in qs.iterator(chunk_size=5000):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def database_label() -> str:
    return f"{connection.vendor}:{connection.settings_dict['NAME']}"
