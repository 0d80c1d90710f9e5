"""``core.statements.Statement`` gives exactly the rows of the queryset it was built from, on
every call fresh from the database, and refuses builders it cannot parameterise."""

from __future__ import annotations

import threading
from typing import Any, cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.models import RoleAssignment, User
from dangjian.core.statements import Prepared, PreparedQuery, Statement

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


def test_an_argument_used_twice_goes_into_both_places(mine):
    twice = Statement(
        lambda a: RoleAssignment.objects.filter(user_id=a, user__pk=a).values_list("pk")
    )
    user = mine.users["secretary_a"]
    expected = list(RoleAssignment.objects.filter(user=user).values_list("pk"))
    assert expected and twice.rows(user.pk) == expected


def test_an_argument_unused_or_changed_by_the_orm_is_refused(mine):
    unused = Statement(lambda a: RoleAssignment.objects.values_list("pk"))
    with pytest.raises(ValueError):
        unused.rows(1)
    # a LIKE pattern wraps (and would need to escape) the value: not a plain parameter
    pattern = Statement(
        lambda a: RoleAssignment.objects.filter(party_org__path__startswith=a).values_list("pk")
    )
    with pytest.raises(ValueError):
        pattern.rows("1.")


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


def roles_of(user_id, code=None):
    qs = RoleAssignment.objects.filter(user_id=user_id)
    if code is not None:
        qs = qs.filter(role__code=code)
    return qs


def test_prepared_rows_and_count_per_shape(mine):
    prepared = Prepared()
    user = mine.users["secretary_a"]
    code = RoleAssignment.objects.filter(user=user).values_list("role__code", flat=True)[0]
    for args in ((user.pk,), (user.pk, code), (user.pk, "no-such-role")):
        shape = len(args)  # with or without the role filter

        def build(*values):
            return roles_of(*values).order_by("pk").values_list(*FIELDS)

        expected = list(build(*args))
        for _ in range(2):
            assert prepared.rows(shape, build, args) == expected
            assert prepared.count(shape, build, args) == len(expected)
    assert prepared.count("none", lambda a: RoleAssignment.objects.none(), (1,)) == 0
    assert prepared.rows("none", lambda a: RoleAssignment.objects.none(), (1,)) == []


def test_prepared_keeps_at_most_maxsize_shapes(mine):
    prepared = Prepared(maxsize=2)
    user = mine.users["shuji"]
    for shape in range(5):
        assert prepared.rows(shape, lambda a: roles_of(a).values_list("pk"), (user.pk,))
    assert len(prepared._local.cache) == 2


def test_prepared_arguments_are_ids_or_text(mine):
    prepared = Prepared()
    with pytest.raises(TypeError):
        prepared.rows(
            "bool", lambda a: RoleAssignment.objects.filter(pk=a).values_list("pk"), (True,)
        )


def test_prepared_query_quacks_like_a_queryset_for_the_paginator(mine):
    from django.core.paginator import Paginator

    query = PreparedQuery(
        Prepared(), "all", lambda: RoleAssignment.objects.values_list("pk"), ()
    ).order_by("pk")
    paginator: Paginator[Any] = Paginator(cast(Any, query), 2)
    page = paginator.get_page(2)
    all_pks = list(RoleAssignment.objects.order_by("pk").values_list("pk"))
    assert paginator.count == len(all_pks) > 3
    assert cast(Any, page.object_list).values_list("pk") == all_pks[2:4]
    with pytest.raises(TypeError):
        query[1]  # type: ignore[index]


def test_prepared_objects_are_the_querysets_instances(mine):
    from dangjian.people.models import Person

    prepared = Prepared()

    def build(org_id):
        return (
            Person.objects.select_related("party_org", "unit")
            .only("name", "birth_date", "party_org__name", "unit__name")
            .filter(party_org_id=org_id)
            .order_by("pk")
        )

    for org in (mine.branch_a, mine.branch_b, mine.committee):
        expected = list(build(org.pk))
        with CaptureQueriesContext(connection) as ctx:
            found = prepared.objects("persons", build, [org.pk])
            seen = [
                (p.pk, p.name, p.birth_date, p.party_org.name, p.unit.name, p.get_deferred_fields())
                for p in found
            ]
        assert len(ctx.captured_queries) == 1  # related names came with the row
        assert seen == [
            (p.pk, p.name, p.birth_date, p.party_org.name, p.unit.name, p.get_deferred_fields())
            for p in expected
        ]
        assert all(p._state.db == "default" and not p._state.adding for p in found)
    assert prepared.objects("persons", build, [987654321]) == []
    with pytest.raises(TypeError):
        prepared.objects("values", lambda a: Person.objects.filter(pk=a).values_list("pk"), [1])
