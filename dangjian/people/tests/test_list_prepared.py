"""The person list's prepared statements (``selectors.person_list_prepared``, compiled once per
shape) give exactly what the plain ``person_list`` queryset gives — count and page rows — for
every role and filter, read fresh every time."""

from __future__ import annotations

import pytest

from dangjian.accounts.models import RoleAssignment, User
from dangjian.core.statements import PreparedQuery
from dangjian.core.testing import ROLES
from dangjian.people import selectors
from dangjian.people.models import Person
from dangjian.people.views.records import LIST_COLUMNS

pytestmark = pytest.mark.django_db

ORDER = ("employee_no", "pk")


def filter_cases(mine):
    return [
        {},
        {"party_org": mine.branch_a.pk},
        {"party_org": mine.branch_b.pk},
        {"party_org": mine.committee.pk, "gender": "M"},
        {"unit": mine.workshop_a.pk},
        {"unit": mine.team_b1.pk, "party_org": mine.committee.pk},
        {"party_group": mine.group_a1.pk},
        {"political_status": "full"},
        {"political_status": "party_member"},
        {"education": "senior", "is_front_line": True},
        {"is_front_line": False},
        {"membership_status": "normal", "lost_contact": False},
        {"age_min": 20, "age_max": 60},
        {"party_age_min": 1},
        {"party_org": 987654321},  # no such organisation
        {"party_group": 0, "unit": 0, "party_org": 0},  # falsy ids: no filter, as person_list
        {"age_min": 0, "is_mobile": False},  # falsy but real filters
    ]


def both(user, filters):
    """The prepared query and the plain queryset for ``filters`` as the list page builds them
    (chosen nodes as nodes, others as ids)."""
    chosen = selectors.chosen_nodes(user=user, filters=filters)
    query = {**filters, **{k: chosen[k] for k in ("party_org", "unit") if k in chosen}}
    return (
        selectors.person_list_prepared(user=user, **query),
        selectors.person_list(user=user, **query),
    )


def test_count_and_rows_equal_the_querysets_for_every_role_and_filter(mine):
    seen_rows = 0
    for role in ROLES:
        for filters in filter_cases(mine):
            for _ in range(2):  # compiled, then from the compiled statement
                user = User.objects.get(pk=mine.users[role].pk)  # a request's fresh user
                prepared, plain = both(user, filters)
                assert isinstance(prepared, PreparedQuery)
                expected = list(plain.order_by(*ORDER)[:20].values_list(*LIST_COLUMNS))
                assert prepared.count() == plain.count(), (role, filters)
                assert prepared.order_by(*ORDER)[:20].values_list(*LIST_COLUMNS) == expected, (
                    role,
                    filters,
                )
                seen_rows += len(expected)
    assert seen_rows > 0


def test_same_shape_other_values_give_other_rows(mine):
    user = mine.users["shuji"]
    a, _ = both(user, {"party_org": mine.branch_a.pk})
    b, _ = both(user, {"party_org": mine.branch_b.pk})
    assert a.shape == b.shape
    rows_a = a.order_by(*ORDER).values_list("pk")
    rows_b = b.order_by(*ORDER).values_list("pk")
    assert rows_a and rows_b and not set(rows_a) & set(rows_b)


def test_pages_and_orders(mine):
    user = mine.users["shuji"]
    prepared, plain = both(user, {})
    for order in (("name", "pk"), ("-birth_date", "pk"), ("party_org__path", "pk")):
        for start, stop in ((0, 2), (2, 4), (1, 3)):
            assert prepared.order_by(*order)[start:stop].values_list("pk") == list(
                plain.order_by(*order)[start:stop].values_list("pk")
            )
    # a slice of a slice, as Django's queryset does it
    assert prepared.order_by(*ORDER)[1:4][1:2].values_list("pk") == list(
        plain.order_by(*ORDER)[1:4][1:2].values_list("pk")
    )


def test_every_call_reads_the_database(mine):
    user = mine.users["shuji"]
    prepared, _ = both(user, {"party_org": mine.branch_a.pk})
    before = prepared.count()
    Person.objects.filter(pk=mine.member_a.pk).update(party_org=mine.branch_b)
    assert prepared.count() == before - 1
    assert mine.member_a.pk not in {pk for (pk,) in prepared.order_by(*ORDER).values_list("pk")}


def test_a_revoked_role_takes_effect_at_once(mine):
    secretary = User.objects.get(pk=mine.users["secretary_a"].pk)
    prepared, _ = both(secretary, {})
    assert prepared.count() > 0
    RoleAssignment.objects.filter(user=secretary).delete()
    fresh = User.objects.get(pk=secretary.pk)
    prepared, _ = both(fresh, {})
    assert prepared.count() == 0
    assert prepared.order_by(*ORDER)[:20].values_list("pk") == []


def test_out_of_scope_chosen_node_finds_nobody(mine):
    secretary = mine.users["secretary_a"]
    prepared, plain = both(secretary, {"party_org": mine.branch_b.pk})
    assert prepared.count() == plain.count() == 0


def test_a_search_is_not_prepared(mine):
    user = mine.users["shuji"]
    result = selectors.person_list_prepared(user=user, q=mine.member_a.name)
    assert not isinstance(result, PreparedQuery)
    assert mine.member_a.pk in set(result.values_list("pk", flat=True))


def test_person_get_and_history_equal_the_querysets_for_every_role(mine):
    from dangjian.core.scope import restrict
    from dangjian.people.models import PersonChange

    persons = list(Person.objects.order_by("pk"))
    assert len(persons) > 2
    seen_history = 0
    for role in ROLES:
        for action in ("view", "change"):
            user = User.objects.get(pk=mine.users[role].pk)
            visible = set(restrict(Person.objects.all(), user, action).values_list("pk", flat=True))
            for person in persons:
                for names_only in (False, True):
                    got = selectors.person_get(
                        user=user, pk=person.pk, action=action, names_only=names_only
                    )
                    assert (got is not None) == (person.pk in visible), (role, action, person)
                    if got is not None:
                        assert (got.pk, got.name, got.party_org.name, got.unit.name) == (
                            person.pk,
                            person.name,
                            person.party_org.name,
                            person.unit.name,
                        )
                        expected = list(
                            restrict(PersonChange.objects.filter(person=person), user, "view")[:50]
                        )
                        assert selectors.person_history(user=user, person=got) == expected
                        seen_history += len(expected)
    assert seen_history > 0
