"""The scope filter: each persona sees exactly its subtree, itself, or everything."""

from __future__ import annotations

import pytest

from dangjian.core.scope import SYSTEM, restrict
from dangjian.people.models import Person


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("shuji", {"member_a", "masses_a", "member_b"}),
        ("zuzhi", {"member_a", "masses_a", "member_b"}),
        ("union", {"member_a", "masses_a", "member_b"}),
        ("secretary_a", {"member_a", "masses_a"}),
        ("worker_a", {"member_a", "masses_a"}),
        ("member_b", {"member_b"}),
        ("employee_a", {"masses_a"}),
        ("sysadmin", set()),
        ("secadmin", set()),
        ("auditor", set()),
    ],
)
def test_person_visibility_per_role(mine, role, expected):
    names = {getattr(mine, attr).pk: attr for attr in ("member_a", "masses_a", "member_b")}
    visible = restrict(Person.objects.all(), mine.users[role], "view")
    assert {names[p.pk] for p in visible} == expected


def test_reveal_only_for_holders(mine):
    assert restrict(Person.objects.all(), mine.users["worker_a"], "reveal").count() == 0
    assert restrict(Person.objects.all(), mine.users["secretary_a"], "reveal").count() == 2


def test_system_actor_is_unrestricted(mine):
    assert restrict(Person.objects.all(), SYSTEM, "change").count() == 3


def test_revoked_role_takes_effect_on_next_lookup(mine):
    user = mine.users["secretary_a"]
    assert restrict(Person.objects.all(), user, "view").count() == 2
    user.role_assignments.all().delete()
    fresh = type(user).objects.get(pk=user.pk)
    assert restrict(Person.objects.all(), fresh, "view").count() == 0


def test_grants_key_names_the_predicate(mine):
    from dangjian.accounts.models import RoleAssignment, User
    from dangjian.core.scope import SYSTEM, grants_key, scope_q
    from dangjian.core.testing import ROLES
    from dangjian.people.models import Person

    users = {role: User.objects.get(pk=mine.users[role].pk) for role in ROLES}
    keys = {role: grants_key(user) for role, user in users.items()}
    assert len(set(keys.values())) >= len(ROLES) - 2  # only administrators share "no grants"
    for a in ROLES:
        for b in ROLES:
            if keys[a] == keys[b]:
                assert str(scope_q(Person, users[a], "view")) == str(
                    scope_q(Person, users[b], "view")
                )
    # a second secretary of branch A, with the same roles: same key, same predicates
    twin = User.objects.create(username="twin_a")
    for assignment in RoleAssignment.objects.filter(user=mine.users["secretary_a"]):
        RoleAssignment.objects.create(
            user=twin,
            role=assignment.role,
            party_org=assignment.party_org,
            department=assignment.department,
        )
    secretary = User.objects.get(pk=mine.users["secretary_a"].pk)
    twin = User.objects.get(pk=twin.pk)
    assert grants_key(twin) == grants_key(secretary) == keys["secretary_a"]
    for action in ("view", "change", "export"):
        assert str(scope_q(Person, twin, action)) == str(scope_q(Person, secretary, action))
    assert grants_key(SYSTEM) == ("system",)
    hash(keys["shuji"])  # usable as a dictionary key
