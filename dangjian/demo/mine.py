"""The demo mine from the article: 钱营孜矿党委 with 15 branches, 35 Party groups covering all
55 work teams, 466 Party members among about 3,200 employees, the political-work departments
and one demo account per role (see ``DEMO_ACCOUNTS``).

The data is random but reproducible (a fixed seed) and satisfies the article's figures and the
rules: every production unit's Party members are at least 10% of its front-line workers
(``org.front_line_member_target``) and no team is without a member. Rows are written with
bulk inserts; the loader writes one summary audit event.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import AdminRole, Role, RoleAssignment, User
from dangjian.accounts.services import security_rule_update
from dangjian.audit.services import audit_record
from dangjian.core.registries import demo_loaders
from dangjian.core.rules import rule
from dangjian.core.scope import SYSTEM
from dangjian.demo import names
from dangjian.demo.bulk import insert, next_id, tree_path
from dangjian.demo.wipe import reset_sequences, wipe_business_data
from dangjian.orgs.models import Department, OrgEvent, PartyOrg, Unit
from dangjian.people.models import Person, PoliticalStatus

DEMO_PASSWORD = "Dangjian@2026"  # noqa: S105 (demo data only; README documents it)
MFA_OFF_NOTICE = (
    "注意：演示环境已关闭多因素认证（安全参数“强制多因素认证”= 否），无需认证器即可登录；"
    "正式部署（dangjian init）默认开启。"
)
SEED = 20260101

COMMITTEE_NAME = "钱营孜矿党委"
MINE_NAME = "钱营孜煤矿"
MEMBER_TOTAL = 466
PROBATIONARY_TOTAL = 24


@dataclass(frozen=True)
class BranchSpec:
    branch: str
    unit: str
    unit_kind: str
    production: bool
    posts: str  # key of names.FRONT_LINE_POSTS
    headcount: int
    teams: tuple[str, ...]
    groups: int
    offices: tuple[str, ...] = ()  # extra 科室 of the 机关 branches (no teams)


_ZC = ("采煤一班", "采煤二班", "采煤三班", "检修班")
_JJ = ("掘进一班", "掘进二班", "掘进三班", "维修班")
BRANCHES: tuple[BranchSpec, ...] = (
    BranchSpec("综采一区党支部", "综采一区", "workshop", True, "fully_mechanised", 330, _ZC, 3),
    BranchSpec("综采二区党支部", "综采二区", "workshop", True, "fully_mechanised", 310, _ZC, 3),
    BranchSpec("掘进一区党支部", "掘进一区", "workshop", True, "heading", 290, _JJ, 3),
    BranchSpec("掘进二区党支部", "掘进二区", "workshop", True, "heading", 270, _JJ, 2),
    BranchSpec("掘进三区党支部", "掘进三区", "workshop", True, "heading", 250, _JJ, 2),
    BranchSpec(
        "机电区党支部",
        "机电区",
        "workshop",
        True,
        "electromechanical",
        260,
        ("供电班", "排水班", "提升班", "机修班"),
        3,
    ),
    BranchSpec(
        "运输区党支部",
        "运输区",
        "workshop",
        True,
        "transport",
        240,
        ("主运班", "辅运班", "轨道班", "信号班"),
        2,
    ),
    BranchSpec(
        "通风区党支部",
        "通风区",
        "workshop",
        True,
        "ventilation",
        210,
        ("通风班", "瓦斯检查班", "防尘班", "抽采班"),
        3,
    ),
    BranchSpec(
        "准备区党支部",
        "准备区",
        "workshop",
        True,
        "preparation",
        220,
        ("安装一班", "安装二班", "回撤班", "支护班"),
        2,
    ),
    BranchSpec(
        "选煤厂党支部",
        "选煤厂",
        "workshop",
        True,
        "washing",
        230,
        ("洗选一班", "洗选二班", "洗选三班", "装车班"),
        3,
    ),
    BranchSpec(
        "地测科党支部", "地测科", "department", False, "survey", 60, ("测量班", "地质班"), 1
    ),
    BranchSpec(
        "机关第一党支部",
        "调度指挥中心",
        "department",
        False,
        "office",
        150,
        ("调度一班", "调度二班", "调度三班"),
        2,
        ("综合办公室", "生产技术部", "机电管理部", "财务部", "企业管理部"),
    ),
    BranchSpec(
        "机关第二党支部",
        "信息通信中心",
        "department",
        False,
        "office",
        140,
        ("网络维护班", "通信班", "监控班"),
        2,
        (
            "政治工作部",
            "组织人事部",
            "宣传部",
            "纪委监察室",
            "工会",
            "团委",
            "武装保卫部",
            "培训中心",
        ),
    ),
    BranchSpec(
        "后勤服务党支部",
        "后勤服务中心",
        "department",
        False,
        "logistics",
        180,
        ("餐饮班", "物业班", "公寓班", "车队"),
        2,
    ),
    BranchSpec(
        "安监党支部",
        "安监处",
        "department",
        False,
        "safety",
        70,
        ("安全检查一班", "安全检查二班", "监测监控班"),
        2,
    ),
)

# Political-work departments (政工职能部门) of the committee, in the article's order.
DEPARTMENTS = (
    ("政治工作部", Department.Domain.POLITICAL_WORK),
    ("组织部（人事）", Department.Domain.ORGANISATION),
    ("宣传部", Department.Domain.PUBLICITY),
    ("纪委监察", Department.Domain.DISCIPLINE),
    ("工会", Department.Domain.UNION),
    ("团委", Department.Domain.YOUTH_LEAGUE),
    ("武装保卫部", Department.Domain.SECURITY),
    ("培训中心", Department.Domain.TRAINING),
)

UNIT_STAFF = 8  # 区长, 副区长, 技术员 … in each production unit's office (not front line)
FRONT_LINE_RATIOS = (0.112, 0.108, 0.121, 0.105, 0.117, 0.125, 0.11, 0.13, 0.106, 0.115)
STAFF_MEMBERS = 3  # Party members among a production unit's office staff (incl. secretary)
NON_PRODUCTION_WEIGHTS = {
    "地测科党支部": 10,
    "机关第一党支部": 32,
    "机关第二党支部": 34,
    "后勤服务党支部": 14,
    "安监党支部": 12,
}
MOBILE_DESTINATIONS = (
    "江苏省徐州市（援建项目）",
    "内蒙古鄂尔多斯市（对口支援）",
    "安徽省合肥市（挂职）",
)

# username: (display name, admin role, business role, where)
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "系统管理员", AdminRole.SYSTEM, ""),
    ("secadmin", "安全管理员", AdminRole.SECURITY, ""),
    ("auditor", "审计管理员", AdminRole.AUDIT, ""),
    ("shuji", "", "", "committee_leader"),
    ("zhenggong", "", "", "org_dept_staff"),
    # the departments that score their category of the assessment (六考一评)
    ("zuzhibu", "组织部干部", "", "dept_staff"),
    ("xuanchuan", "宣传部干部", "", "dept_staff"),
    ("jiwei", "纪委干部", "", "dept_staff"),
    ("gonghui", "工会干部", "", "dept_staff"),
    ("tuanwei", "团委干部", "", "dept_staff"),
    ("baowei", "武装保卫部干部", "", "dept_staff"),
    *((f"branch{i:02d}", "", "", "branch_secretary") for i in range(1, len(BRANCHES) + 1)),
    ("member001", "", "", "member"),
)


# the department (domain) of each department account above
DEPARTMENT_OF_ACCOUNT = {
    "zuzhibu": Department.Domain.ORGANISATION,
    "xuanchuan": Department.Domain.PUBLICITY,
    "jiwei": Department.Domain.DISCIPLINE,
    "gonghui": Department.Domain.UNION,
    "tuanwei": Department.Domain.YOUTH_LEAGUE,
    "baowei": Department.Domain.SECURITY,
}


@dataclass
class DemoSummary:
    branches: int = 0
    groups: int = 0
    teams: int = 0
    units: int = 0
    persons: int = 0
    members: int = 0
    accounts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "branches": self.branches,
            "groups": self.groups,
            "teams": self.teams,
            "units": self.units,
            "persons": self.persons,
            "members": self.members,
            "accounts": len(self.accounts),
        }


def split_evenly(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` sizes differing by at most one, larger first."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def member_quota() -> dict[str, int]:
    """Party members per branch: production units reach the target, the rest share the total."""
    target = float(rule("org.front_line_member_target"))
    quota: dict[str, int] = {}
    for spec, ratio in zip((b for b in BRANCHES if b.production), FRONT_LINE_RATIOS, strict=True):
        front_line = spec.headcount - UNIT_STAFF
        quota[spec.branch] = math.ceil(front_line * max(ratio, target)) + STAFF_MEMBERS
    remaining = MEMBER_TOTAL - sum(quota.values())
    weights = NON_PRODUCTION_WEIGHTS
    total_weight = sum(weights.values())
    shares = {name: remaining * w // total_weight for name, w in weights.items()}
    leftover = remaining - sum(shares.values())
    for name in list(shares)[:leftover]:
        shares[name] += 1
    quota.update(shares)
    return quota


class _Builder:
    def __init__(self, today: dt.date) -> None:
        self.rng = random.Random(SEED)
        self.today = today
        self.used_ids: set[str] = set()
        self.employee_seq = 0
        self.org_id = next_id(PartyOrg)
        self.unit_id = next_id(Unit)
        self.person_id = next_id(Person)
        self.orgs: list[PartyOrg] = []
        self.units: list[Unit] = []
        self.persons: list[Person] = []
        self.coverage: list[tuple[int, int]] = []  # (group id, team id)

    # ---- trees -------------------------------------------------------------------------
    def org(self, name: str, kind: str, parent: PartyOrg | None, **fields: Any) -> PartyOrg:
        pk, self.org_id = self.org_id, self.org_id + 1
        path, depth = tree_path(parent.path if parent else "", pk)
        org = PartyOrg(
            pk=pk,
            name=name,
            kind=kind,
            parent=parent,
            path=path,
            depth=depth,
            sort_order=len(self.orgs),
            **fields,
        )
        self.orgs.append(org)
        return org

    def unit(
        self, name: str, kind: str, parent: Unit | None, org: PartyOrg | None, production: bool
    ) -> Unit:
        pk, self.unit_id = self.unit_id, self.unit_id + 1
        path, depth = tree_path(parent.path if parent else "", pk)
        unit = Unit(
            pk=pk,
            name=name,
            kind=kind,
            parent=parent,
            path=path,
            depth=depth,
            sort_order=len(self.units),
            is_production=production,
            party_org=org,
        )
        self.units.append(unit)
        return unit

    # ---- people ------------------------------------------------------------------------
    def person(
        self,
        *,
        unit: Unit,
        org: PartyOrg,
        group: PartyOrg | None,
        post: str,
        front_line: bool,
        status: str,
        office: bool,
        min_age: int = 20,
        max_age: int = 60,
    ) -> Person:
        rng = self.rng
        female_share = 0.35 if office else 0.04
        gender = "F" if rng.random() < female_share else "M"
        if status in (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY):
            min_age = max(min_age, 23)
        birth = names.birth_date(rng, self.today, min_age, max_age)
        age = (self.today - birth).days // 365
        if status == PoliticalStatus.MASSES and age < 28 and rng.random() < 0.5:
            status = PoliticalStatus.LEAGUE_MEMBER
        education = names.pick_weighted(
            rng, names.EDUCATION_MIX["office" if office else "production"]
        )
        self.employee_seq += 1
        pk, self.person_id = self.person_id, self.person_id + 1
        person = Person(
            pk=pk,
            uid=uuid.UUID(int=rng.getrandbits(128), version=4),
            employee_no=f"QY{self.employee_seq:05d}",
            name=names.person_name(rng, gender),
            gender=gender,
            birth_date=birth,
            education=education,
            post=post,
            unit=unit,
            is_front_line=front_line,
            political_status=status,
            party_org=org,
            party_group=group,
        )
        if status == PoliticalStatus.FULL:
            earliest = birth + dt.timedelta(days=365 * 20)
            span = max((self.today - earliest).days - 400, 1)
            joined = earliest + dt.timedelta(days=rng.randrange(span))
            person.joined_party_on = joined
            person.regularised_on = joined + dt.timedelta(days=365)
        elif status == PoliticalStatus.PROBATIONARY:
            person.joined_party_on = self.today - dt.timedelta(days=rng.randrange(30, 340))
        person.citizen_id = names.citizen_id(rng, birth, gender, self.used_ids)
        person.phone = names.phone(rng)
        person.address = rng.choice(names.ADDRESSES) + f"{rng.randrange(1, 200)}号"
        self.persons.append(person)
        return person

    def post(self, family: str) -> str:
        return self.rng.choice(names.FRONT_LINE_POSTS[family])


def _statuses(rng: random.Random, members: int, probationary: int, others: int) -> list[str]:
    """Political statuses for a branch: members first, then development stages, then masses."""
    statuses = [str(PoliticalStatus.PROBATIONARY)] * probationary
    statuses += [str(PoliticalStatus.FULL)] * (members - probationary)
    rng.shuffle(statuses)
    return statuses + [str(PoliticalStatus.MASSES)] * others


@transaction.atomic
def ensure_reference_data() -> None:
    """The rows the data migrations seed (rules, roles, meeting types, development steps, dues
    brackets), inserted again where missing — e.g. after a test database flush. Never overwrites
    what authorised users edited."""
    from django.apps import apps

    from dangjian.accounts.roles import seed_roles
    from dangjian.core.models import Rule
    from dangjian.core.rules import seed_rules
    from dangjian.development.defaults import seed_steps
    from dangjian.dues.defaults import seed as seed_dues
    from dangjian.orglife.rules import seed_meeting_types

    seed_rules(Rule)
    if not Role.objects.exists():
        seed_roles(Role)
    seed_meeting_types(apps.get_model("orglife", "MeetingType"))
    seed_steps(apps.get_model("development", "StepRule"))
    seed_dues(apps)


def load_demo_mine(*, reset: bool = False, today: dt.date | None = None) -> DemoSummary:
    """Build the demo mine; with ``reset`` wipe the business data first (audit trail kept)."""
    started = timezone.now()
    if reset:
        wipe_business_data()
    elif PartyOrg.objects.exists():
        raise RuntimeError("数据库中已有组织数据；如需重新加载演示数据，请使用 --reset。")
    today = today or timezone.localdate()
    ensure_reference_data()
    b = _Builder(today)
    rng = b.rng

    committee = b.org(
        COMMITTEE_NAME,
        PartyOrg.Kind.COMMITTEE,
        None,
        code="QYZ",
        category="国有企业基层党委",
        unit_situation="国有控股企业，已建立党组织",
        established_on=dt.date(2009, 6, 18),
        has_committee=True,
    )
    mine = b.unit(MINE_NAME, Unit.Kind.MINE, None, committee, production=False)
    quota = member_quota()
    probationary = split_evenly(PROBATIONARY_TOTAL, len(BRANCHES))
    branches: list[PartyOrg] = []
    secretaries: dict[int, Person] = {}
    office_units: dict[str, Unit] = {}
    branch_members: dict[int, list[Person]] = {}

    for index, spec in enumerate(BRANCHES, start=1):
        term_start = dt.date(today.year - (index % 3), 3 + index % 9, 1)
        if index in (4, 11):  # two branches whose term ends soon: the rule check shows them
            term_start = today - dt.timedelta(days=3 * 365 - 40)
        branch = b.org(
            spec.branch,
            PartyOrg.Kind.BRANCH,
            committee,
            code=f"QYZ-{index:02d}",
            category="基层党支部",
            unit_situation=f"{spec.unit}{'（生产单位）' if spec.production else ''}",
            established_on=dt.date(2009, 7, 1),
            contact_phone=f"0561-49{index:02d}{rng.randrange(1000):03d}",
            term_started_on=term_start,
            term_ends_on=term_start.replace(year=term_start.year + 3),
        )
        branches.append(branch)
        home = b.unit(spec.unit, spec.unit_kind, mine, branch, spec.production)
        offices = [
            b.unit(name, Unit.Kind.DEPARTMENT, mine, branch, production=False)
            for name in spec.offices
        ]
        office_units.update({u.name: u for u in offices})
        teams = [
            b.unit(f"{spec.unit}{team}", Unit.Kind.TEAM, home, branch, spec.production)
            for team in spec.teams
        ]
        groups: list[PartyOrg] = []
        team_group: dict[int, PartyOrg] = {}
        position = 0
        for number, size in enumerate(split_evenly(len(teams), spec.groups), start=1):
            covered = teams[position : position + size]
            position += size
            group = b.org(
                f"{spec.unit}第{'一二三四五'[number - 1]}党小组",
                PartyOrg.Kind.GROUP,
                branch,
                code=f"QYZ-{index:02d}-{number}",
                category="党小组",
            )
            groups.append(group)
            for team in covered:
                team_group[team.pk] = group
                b.coverage.append((group.pk, team.pk))

        # --- people of this branch -------------------------------------------------------
        members = quota[spec.branch]
        office = not spec.production
        staff_units = offices or [home]
        staff_count = UNIT_STAFF if spec.production else max(len(offices) * 9, 10)
        team_count = spec.headcount - staff_count
        staff_members = STAFF_MEMBERS if spec.production else min(members // 2, staff_count)
        team_members = members - staff_members
        statuses_team = _statuses(
            rng, team_members, probationary[index - 1] // 2, team_count - team_members
        )
        statuses_staff = _statuses(
            rng,
            staff_members,
            probationary[index - 1] - probationary[index - 1] // 2,
            staff_count - staff_members,
        )
        # Office staff: the branch secretary first (a full member), then the others.
        statuses_staff[0] = PoliticalStatus.FULL
        created: list[Person] = []
        for i, status in enumerate(statuses_staff):
            unit = staff_units[i % len(staff_units)]
            if i == 0:
                post = "党支部书记"
            elif spec.production:
                post = names.UNIT_STAFF_POSTS[i % len(names.UNIT_STAFF_POSTS)]
            else:
                post = rng.choice(names.OFFICE_POSTS)
            person = b.person(
                unit=unit,
                org=branch,
                group=groups[i % len(groups)] if status != PoliticalStatus.MASSES else None,
                post=post,
                front_line=False,
                status=status,
                office=True,
                min_age=32 if i == 0 else 22,
            )
            created.append(person)
            if i == 0:
                secretaries[branch.pk] = person
        # Team workers: members spread round-robin so that every team has at least one.
        for i, status in enumerate(statuses_team):
            team = teams[i % len(teams)]
            is_member = status in (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)
            post = names.TEAM_LEAD_POSTS[0] if i < len(teams) else b.post(spec.posts)
            person = b.person(
                unit=team,
                org=branch,
                group=team_group[team.pk] if is_member else None,
                post=post,
                front_line=spec.production,
                status=status,
                office=office,
            )
            created.append(person)
        branch_members[branch.pk] = [p for p in created if p.is_party_member]
        secretary = secretaries[branch.pk]
        branch.secretary_name = secretary.name
        branch.contact_name = secretary.name
        full = sum(1 for p in created if p.political_status == PoliticalStatus.FULL)
        branch.has_committee = full >= int(rule("org.committee_required_full_members"))

    # Development pipeline among young masses: applicants, activists, candidates.
    masses = [
        p
        for p in b.persons
        if p.political_status in (PoliticalStatus.MASSES, PoliticalStatus.LEAGUE_MEMBER)
        and (today - p.birth_date).days < 40 * 365
    ]
    rng.shuffle(masses)
    for person, status in zip(
        masses,
        [PoliticalStatus.APPLICANT] * 40
        + [PoliticalStatus.ACTIVIST] * 25
        + [PoliticalStatus.CANDIDATE] * 12,
        strict=False,
    ):
        person.political_status = status

    # A few lost-contact and mobile members (non-production branches, so targets stay honest).
    others = [p for org in branches[10:] for p in branch_members[org.pk]][1:]
    rng.shuffle(others)
    for person in others[:2]:
        person.lost_contact = True
        person.lost_contact_on = today - dt.timedelta(days=rng.randrange(200, 330))
    for person, destination in zip(others[2:5], MOBILE_DESTINATIONS, strict=True):
        person.is_mobile = True
        person.mobile_destination = destination

    # The committee leadership and the political-work department staff (机关第二党支部).
    second_office = branches[12]
    leader = b.person(
        unit=office_units["政治工作部"],
        org=second_office,
        group=None,
        post="党委书记",
        front_line=False,
        status=PoliticalStatus.FULL,
        office=True,
        min_age=45,
        max_age=56,
    )
    political_staff = b.person(
        unit=office_units["政治工作部"],
        org=second_office,
        group=None,
        post="政治工作部干事",
        front_line=False,
        status=PoliticalStatus.FULL,
        office=True,
        min_age=28,
        max_age=45,
    )
    # Both count within the 466: two other office members of that branch become masses.
    for person in (leader, political_staff):
        person.party_group = next(o for o in b.orgs if o.parent is second_office)
    surplus = [
        p
        for p in b.persons
        if p.party_org is second_office
        and p.is_party_member
        and p not in (leader, political_staff, secretaries[second_office.pk])
        and not p.lost_contact
        and not p.is_mobile
        and p.unit.kind != Unit.Kind.TEAM
    ][:2]
    for person in surplus:
        person.political_status = PoliticalStatus.MASSES
        person.joined_party_on = None
        person.regularised_on = None
        person.party_group = None

    committee.secretary_name = leader.name
    committee.contact_name = political_staff.name
    committee.contact_phone = "0561-4900000"

    # ---- write -------------------------------------------------------------------------
    PartyOrg.objects.bulk_create(b.orgs)
    Unit.objects.bulk_create(b.units)
    PartyOrg.covered_units.through.objects.bulk_create(
        [PartyOrg.covered_units.through(partyorg_id=g, unit_id=t) for g, t in b.coverage]
    )
    OrgEvent.objects.bulk_create(
        [
            OrgEvent(
                org=o,
                kind=OrgEvent.Kind.CREATE,
                effective_on=o.established_on or dt.date(2009, 7, 1),
                new_name=o.name,
                new_parent=o.parent,
            )
            for o in b.orgs
        ]
    )
    Department.objects.bulk_create(
        [
            Department(name=name, domain=domain, party_org=committee, sort_order=i)
            for i, (name, domain) in enumerate(DEPARTMENTS)
        ]
    )
    political_dept = Department.objects.get(
        party_org=committee, domain=Department.Domain.POLITICAL_WORK
    )

    users = _create_accounts(
        committee=committee,
        branches=branches,
        political_dept=political_dept,
        people={
            "shuji": leader,
            "zhenggong": political_staff,
            "member001": next(
                p
                for p in b.persons
                if p.party_org is branches[0]
                and p.political_status == PoliticalStatus.FULL
                and p.is_front_line
            ),
            **{f"branch{i:02d}": secretaries[o.pk] for i, o in enumerate(branches, start=1)},
        },
    )
    insert(Person, b.persons)
    reset_sequences([PartyOrg, Unit, Person])
    for loader in demo_loaders():  # a year of records from the domain apps
        loader(today=today, rng=rng)

    summary = DemoSummary(
        branches=len(branches),
        groups=sum(1 for o in b.orgs if o.kind == PartyOrg.Kind.GROUP),
        teams=sum(1 for u in b.units if u.kind == Unit.Kind.TEAM),
        units=len(b.units),
        persons=len(b.persons),
        members=sum(1 for p in b.persons if p.is_party_member),
        accounts=[u.username for u in users],
    )
    switch_mfa_off_for_demo()
    summary.seconds = (timezone.now() - started).total_seconds()
    audit_record(
        "demo_load",
        obj=committee,
        actor=SYSTEM,
        changes={k: [None, v] for k, v in summary.as_dict().items()},
        reason="加载演示数据" + ("（重置）" if reset else ""),
    )
    from dangjian.core.periodic import refresh_statistics

    refresh_statistics()  # planner statistics for the bulk-loaded tables
    return summary


def switch_mfa_off_for_demo() -> None:
    """The demo is for trying the system without an authenticator app: MFA (AUTH-07) is off
    here, audited as a rule change; ``dangjian check --deploy`` warns while it stays off."""
    security_rule_update(actor=SYSTEM, key="security.mfa_required", value="0")
    sys.stdout.write(MFA_OFF_NOTICE + "\n")


def _create_accounts(
    *,
    committee: PartyOrg,
    branches: list[PartyOrg],
    political_dept: Department,
    people: dict[str, Person],
) -> list[User]:
    """The demo accounts, all with the one demo password, linked to their persons."""
    password = make_password(DEMO_PASSWORD)
    now = timezone.now()
    roles = {r.code: r for r in Role.objects.all()}
    departments = {d.domain: d for d in Department.objects.filter(party_org=committee)}
    users: list[User] = []
    assignments: list[RoleAssignment] = []
    first_user = next_id(User)
    for offset, (username, display, admin_role, role_code) in enumerate(DEMO_ACCOUNTS):
        person = people.get(username)
        user = User(
            pk=first_user + offset,
            username=username,
            display_name=display or (person.name if person else username),
            admin_role=admin_role,
            password=password,
            password_changed_at=now,
            must_change_password=False,
            is_demo=True,
        )
        users.append(user)
        if person is not None:
            person.user = user
        if not role_code:
            continue
        if role_code == "branch_secretary":
            org = branches[int(username[-2:]) - 1]
        elif role_code == "member":
            org = person.party_org if person else committee
        else:
            org = committee
        assignments.append(
            RoleAssignment(
                user=user,
                role=roles[role_code],
                party_org=org,
                department=(
                    political_dept
                    if role_code == "org_dept_staff"
                    else departments.get(DEPARTMENT_OF_ACCOUNT.get(username, ""))
                ),
                granted_by="demo",
            )
        )
    User.objects.bulk_create(users)
    RoleAssignment.objects.bulk_create(assignments)
    reset_sequences([User])
    return users
