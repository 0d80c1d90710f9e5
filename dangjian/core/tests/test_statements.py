"""``core.statements.Statement`` gives exactly the rows of the queryset it was built from, on
every call fresh from the database, and refuses builders it cannot parameterise."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.models import RoleAssignment, User
from dangjian.core.statements import Statement

FIELDS = (
    "role__code",
    "role__scope_kind",
    "role__permissions",  # a JSON field: needs the converters
    "party_org__path",
    "department__domain",
    "user__person__id",
)


def grants_of(user_id):
    return RoleAssignment.objects.filter(user_id=user_id).order_by("pk").values_list(*FIELDS)


def test_rows_equal_the_querysets_for_every_user(mine):
    statement = Statement(grants_of)
    users = list(User.objects.order_by("pk"))
    assert any(list(grants_of(u.pk)) for u in users)
    for user in users:
        assert statement.rows(user.pk) == list(grants_of(user.pk)), user.username
    assert statement.rows(987654321) == []


def test_every_call_reads_the_database(mine):
    statement = Statement(grants_of)
    user = mine.users["secretary_a"]
    before = statement.rows(user.pk)
    RoleAssignment.objects.filter(user=user).delete()
    with CaptureQueriesContext(connection) as ctx:
        assert statement.rows(user.pk) == [] != before
    assert len(ctx.captured_queries) == 1


def test_two_parameters_and_their_order(mine):
    statement = Statement(
        lambda user_id, code: (
            RoleAssignment.objects.filter(user_id=user_id, role__code=code)
            .order_by("pk")
            .values_list("role__code", "party_org__path")
        ),
        arity=2,
    )
    user = mine.users["secretary_a"]
    code = RoleAssignment.objects.filter(user=user).values_list("role__code", flat=True)[0]
    assert statement.rows(user.pk, code) == list(
        RoleAssignment.objects.filter(user=user, role__code=code)
        .order_by("pk")
        .values_list("role__code", "party_org__path")
    )
    assert statement.rows(user.pk, "no-such-role") == []
    with pytest.raises(TypeError):
        statement.rows(user.pk)


def test_an_argument_used_twice_or_not_at_all_is_refused(mine):
    twice = Statement(
        lambda a: RoleAssignment.objects.filter(user_id=a, role_id=a).values_list("pk")
    )
    with pytest.raises(ValueError):
        twice.rows(1)
    unused = Statement(lambda a: RoleAssignment.objects.values_list("pk"))
    with pytest.raises(ValueError):
        unused.rows(1)


@pytest.mark.django_db(transaction=True)
def test_each_thread_compiles_for_its_own_connection(mine):
    statement = Statement(grants_of)
    user = mine.users["shuji"]
    expected = list(grants_of(user.pk))
    results = []

    def read():
        try:
            results.append(statement.rows(user.pk))
        finally:
            connection.close()

    worker = threading.Thread(target=read)
    worker.start()
    worker.join()
    assert results == [expected]
    assert statement.rows(user.pk) == expected
