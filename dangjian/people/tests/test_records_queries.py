"""Query counts of the list and detail pages do not grow with the number of persons."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core import crypto
from dangjian.core.testing import make_citizen_id
from dangjian.people.models import Person

pytestmark = pytest.mark.django_db


def bulk_persons(mine, count: int, start: int = 100) -> None:
    """Persons in branch A, sealed the same way the model does, inserted in one go."""
    table = Person._meta.db_table
    rows = []
    for i in range(start, start + count):
        birth = dt.date(1970, 1, 1) + dt.timedelta(days=i * 7)
        cid = make_citizen_id(birth, "M", i % 400)
        phone = f"139{i:08d}"
        uid = uuid.uuid4()
        rows.append(
            Person(
                uid=uid,
                employee_no=f"B{i:06d}",
                name=f"批量{i}",
                gender="M",
                birth_date=birth,
                education="senior",
                citizen_id_sealed=crypto.seal(cid, f"{table}:{uid}:citizen_id"),
                citizen_id_bidx=crypto.blind_index(cid, "citizen_id"),
                phone_sealed=crypto.seal(phone, f"{table}:{uid}:phone"),
                phone_bidx=crypto.blind_index(phone, "phone"),
                address_sealed=crypto.seal("安徽省淮北市", f"{table}:{uid}:address"),
                post="采煤工",
                unit=mine.team_a1,
                is_front_line=True,
                political_status="full" if i % 3 == 0 else "masses",
                party_org=mine.branch_a,
                party_group=mine.group_a1 if i % 3 == 0 else None,
                joined_party_on=dt.date(2005, 7, 1) if i % 3 == 0 else None,
                regularised_on=dt.date(2006, 7, 1) if i % 3 == 0 else None,
            )
        )
    Person.objects.bulk_create(rows, batch_size=500)


def count_queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["secretary_a", "shuji"])
def test_list_and_detail_query_counts_flat_from_10_to_1000(mine, role):
    client = mine.client(role)
    list_url = reverse("people:list")
    detail_url = reverse("people:detail", args=[mine.member_a.pk])
    filtered = {"political_status": "party_member", "party_org": mine.branch_a.pk, "sort": "name"}

    bulk_persons(mine, 10)
    small = (
        count_queries(client, list_url),
        count_queries(client, list_url, filtered),
        count_queries(client, detail_url),
    )
    assert Person.objects.count() == 13

    bulk_persons(mine, 990, start=1000)
    assert Person.objects.count() == 1003
    large = (
        count_queries(client, list_url),
        count_queries(client, list_url, filtered),
        count_queries(client, detail_url),
    )
    assert small == large
    body = client.get(list_url).content.decode()
    assert body.count('data-testid="person-row"') == 20  # a full page at 1,000 rows


def test_detail_person_with_names_only_needs_no_further_reads(mine):
    """The detail page reads only the names of the organisation, group and unit: everything
    the page shows is there without a deferred-field read."""
    from dangjian.people import selectors

    person = selectors.person_get(user=mine.users["shuji"], pk=mine.member_a.pk, names_only=True)
    assert person is not None
    with CaptureQueriesContext(connection) as ctx:
        shown = [getattr(person, f.name) for f in Person._meta.concrete_fields]
        assert person.party_org and person.party_group and person.unit
        shown += [person.party_org.name, person.party_group.name, person.unit.name]
        shown += [person.citizen_id, person.phone, person.address]
    assert len(ctx.captured_queries) == 0
    assert shown[-6:-3] == ["综采一队党支部", "综采一队第一党小组", "综采一队一班"]
    assert person.citizen_id == mine.member_a.citizen_id
