"""The demo mine matches the article's figures and the rules, and its accounts work."""

from __future__ import annotations

import io
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dangjian.accounts.models import AdminRole, RoleAssignment, User
from dangjian.audit.models import AuditEvent
from dangjian.core.identity import citizen_id_birth_date, citizen_id_gender, validate_citizen_id
from dangjian.core.rules import rule
from dangjian.core.scope import restrict
from dangjian.demo.mine import DEMO_PASSWORD, load_demo_mine
from dangjian.orgs.models import Department, PartyOrg, Unit
from dangjian.people.models import PARTY_MEMBER_STATUSES, Person
from dangjian.people.services import PLAIN_FIELDS, SEALED_FIELDS, person_clean

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return load_demo_mine()


def test_structure_matches_the_article(demo):
    committee = PartyOrg.objects.get(kind="committee")
    assert committee.name == "钱营孜矿党委"
    branches = PartyOrg.objects.filter(kind="branch")
    assert branches.count() == 15
    assert all(b.parent_id == committee.pk for b in branches)
    assert PartyOrg.objects.filter(kind="group").count() == 35
    teams = Unit.objects.filter(kind="team")
    assert teams.count() == 55
    # every team covered by exactly one group; a group covers 1-3 teams
    for team in teams.prefetch_related("covering_groups"):
        assert len(team.covering_groups.all()) == 1, team.name  # type: ignore[attr-defined]
    for group in PartyOrg.objects.filter(kind="group").prefetch_related("covered_units"):
        assert 1 <= len(group.covered_units.all()) <= 3, group.name
        assert group.parent is not None and group.parent.kind == "branch"
    # materialised paths are consistent with the parent links
    for org in PartyOrg.objects.select_related("parent"):
        expected = (org.parent.path if org.parent else "") + f"{org.pk:08x}."
        assert org.path == expected
    for unit in Unit.objects.select_related("parent"):
        assert unit.path == (unit.parent.path if unit.parent else "") + f"{unit.pk:08x}."
    domains = set(Department.objects.filter(party_org=committee).values_list("domain", flat=True))
    assert domains == set(Department.Domain.values)


def test_workforce_members_and_targets(demo):
    persons = Person.objects.all()
    assert 3000 <= persons.count() <= 4000
    members = persons.filter(political_status__in=PARTY_MEMBER_STATUSES)
    assert members.count() == 466
    assert members.filter(political_status="probationary").exists()
    for status in ("applicant", "activist", "candidate"):
        assert persons.filter(political_status=status).exists()
    assert members.filter(lost_contact=True, lost_contact_on__isnull=False).exists()
    assert members.filter(is_mobile=True).exclude(mobile_destination="").exists()
    # no team without a Party member
    for team in Unit.objects.filter(kind="team"):
        assert members.filter(unit=team).exists(), team.name
    # each production unit: members >= 10% of its front-line workers
    target = float(rule("org.front_line_member_target"))
    production = Unit.objects.filter(kind="workshop", is_production=True)
    assert production.count() == 10
    for unit in production:
        in_unit = persons.filter(unit__path__startswith=unit.path)
        front_line = in_unit.filter(is_front_line=True)
        front_line_members = front_line.filter(political_status__in=PARTY_MEMBER_STATUSES)
        assert front_line.count() > 100
        assert front_line_members.count() >= target * front_line.count(), unit.name
    # members sit in a group of their own branch
    for person in members.select_related("party_group", "party_org")[:200]:
        assert person.party_group is not None
        assert person.party_group.path.startswith(person.party_org.path)
    ages = {p.birth_date.year for p in persons}
    assert min(ages) >= demo_year() - 61 and max(ages) <= demo_year() - 19


def demo_year() -> int:
    from django.utils import timezone

    return timezone.localdate().year


def test_generated_identities_are_valid_and_sealed(demo):
    sample = random.Random(5).sample(list(Person.objects.select_related("unit")), 150)
    for person in sample:
        citizen_id = validate_citizen_id(person.citizen_id)
        assert citizen_id_birth_date(citizen_id) == person.birth_date
        assert citizen_id_gender(citizen_id) == person.gender
        data = {f: getattr(person, f) for f in PLAIN_FIELDS}
        data.update({f: getattr(person, f) for f in SEALED_FIELDS})
        person_clean(data, instance=person)  # raises ValidationError on any bad field
    ids = [p.citizen_id for p in sample]
    assert len(set(ids)) == len(ids)
    # the raw table holds no plaintext identifier
    with connection.cursor() as cursor:
        cursor.execute("SELECT citizen_id_sealed, phone_sealed FROM people_person")
        raw = b"".join(bytes(a) + bytes(b) for a, b in cursor.fetchall())
    for person in sample[:20]:
        assert person.citizen_id.encode() not in raw
        assert person.phone.encode() not in raw


def test_demo_accounts_and_roles(demo):
    users = {u.username: u for u in User.objects.all()}
    expected = ["admin", "secadmin", "auditor", "shuji", "zhenggong", "member001"]
    expected += [f"branch{i:02d}" for i in range(1, 16)]
    expected += ["zuzhibu", "xuanchuan", "jiwei", "gonghui", "tuanwei", "baowei"]
    assert set(users) == set(expected)
    for user in users.values():
        assert user.is_demo and not user.must_change_password and user.is_active
    assert users["admin"].check_password(DEMO_PASSWORD)
    assert users["admin"].admin_role == AdminRole.SYSTEM
    assert users["secadmin"].admin_role == AdminRole.SECURITY
    assert users["auditor"].admin_role == AdminRole.AUDIT

    def roles(username: str) -> list[tuple[str, str, str | None]]:
        return [
            (
                a.role.code,
                a.party_org.name if a.party_org else "",
                a.department.domain if a.department else None,
            )
            for a in RoleAssignment.objects.filter(user=users[username]).select_related(
                "role", "party_org", "department"
            )
        ]

    assert roles("shuji") == [("committee_leader", "钱营孜矿党委", None)]
    assert roles("zhenggong") == [("org_dept_staff", "钱营孜矿党委", "political_work")]
    assert roles("gonghui") == [("dept_staff", "钱营孜矿党委", "union")]
    assert roles("baowei") == [("dept_staff", "钱营孜矿党委", "security")]
    branches = list(PartyOrg.objects.filter(kind="branch").order_by("sort_order"))
    assert branches[0].name == "综采一区党支部"
    for i, branch in enumerate(branches, start=1):
        assert roles(f"branch{i:02d}") == [("branch_secretary", branch.name, None)]
        assert users[f"branch{i:02d}"].person.post == "党支部书记"
    member = users["member001"]
    assert roles("member001")[0][0] == "member"
    assert member.person.is_party_member
    # scopes work end to end: branch01 sees exactly branch 1's people, member001 only self
    visible = restrict(Person.objects.all(), users["branch01"], "view")
    assert visible.count() == Person.objects.filter(party_org=branches[0]).count() > 100
    assert list(restrict(Person.objects.all(), member, "view")) == [member.person]
    assert restrict(Person.objects.all(), users["admin"], "view").count() == 0


def test_demo_command_reset_keeps_audit_and_refuses_double_load():
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "Dangjian@2026" in out.getvalue()
    assert "466" in out.getvalue()
    first_person_count = Person.objects.count()
    audit_before = AuditEvent.objects.count()
    first_event_id = AuditEvent.objects.order_by("id").values_list("id", flat=True)[0]
    assert AuditEvent.objects.filter(event_type="demo_load").count() == 1
    with pytest.raises(CommandError):
        call_command("demo", stdout=io.StringIO())
    Person.objects.filter(pk=Person.objects.order_by("pk").values_list("pk", flat=True)[0]).update(
        name="改动"
    )
    call_command("demo", reset=True, stdout=io.StringIO())
    assert Person.objects.count() == first_person_count
    assert not Person.objects.filter(name="改动").exists()
    assert PartyOrg.objects.filter(kind="branch").count() == 15
    assert User.objects.filter(username="branch15").count() == 1
    # the audit trail is kept: every earlier event survives, one more demo_load is added
    assert AuditEvent.objects.count() > audit_before
    assert AuditEvent.objects.filter(event_type="demo_load").count() == 2
    assert AuditEvent.objects.order_by("id").values_list("id", flat=True)[0] == first_event_id
