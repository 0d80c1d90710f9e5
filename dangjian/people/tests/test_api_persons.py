"""Persons over the API: create/patch validation, optimistic locking, masking, query counts."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.testing import make_citizen_id, person_data
from dangjian.people.models import Person, PersonChange

ID_RE = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    caches["default"].clear()


def _post(client, body):
    return client.post("/api/v1/persons/", data=json.dumps(body), content_type="application/json")


def _patch(client, pk, body, **headers):
    return client.patch(
        f"/api/v1/persons/{pk}", data=json.dumps(body), content_type="application/json", **headers
    )


def _body(mine, seq=50, **overrides):
    birth = overrides.pop("birth", dt.date(1988, 8, 8))
    body = {
        "employee_no": f"A{seq:05d}",
        "name": "接口新增",
        "gender": "M",
        "birth_date": birth.isoformat(),
        "citizen_id": make_citizen_id(birth, "M", seq),
        "phone": f"139{seq:08d}",
        "address": "安徽省淮北市相山区",
        "unit": mine.team_a1.pk,
        "political_status": "full",
        "joined_party_on": "2012-07-01",
        "party_group": mine.group_a1.pk,
    }
    body.update(overrides)
    return body


def test_create_returns_masked_record_with_etag_and_history(mine):
    client = mine.client("secretary_a")
    body = _body(mine)
    response = _post(client, body)
    assert response.status_code == 201, response.content
    data = response.json()
    person = Person.objects.get(employee_no=body["employee_no"])
    assert data["id"] == person.pk
    assert response["ETag"] == '"1"' and data["version"] == 1
    assert response["Location"].endswith(f"/api/v1/persons/{person.pk}")
    assert data["citizen_id"] == body["citizen_id"][:4] + "*" * 10 + body["citizen_id"][-4:]
    assert data["phone"] == body["phone"][:3] + "****" + body["phone"][-4:]
    assert data["address"].startswith("安徽") and "淮北" not in data["address"]
    assert data["party_org_id"] == mine.branch_a.pk  # followed the unit
    assert person.citizen_id == body["citizen_id"]  # stored sealed, readable server side
    assert PersonChange.objects.get(person=person).source == "api"


def test_create_with_bad_citizen_id_is_422_naming_the_field(mine):
    body = _body(mine, citizen_id="340321198808080001")  # wrong check character
    response = _post(mine.client("secretary_a"), body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert {"field": "citizen_id", "message": "身份证号校验位不正确（GB 11643）。"} in detail
    assert not Person.objects.filter(employee_no=body["employee_no"]).exists()


def test_create_reports_every_field_problem(mine):
    body = _body(
        mine, birth_date="1970-01-01", phone="12345", employee_no=mine.member_a.employee_no
    )
    response = _post(mine.client("secretary_a"), body)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["detail"]}
    assert fields == {"birth_date", "phone", "employee_no"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"citizen_id": None}, "citizen_id"),
        ({"gender": "X"}, "gender"),
        ({"birth_date": "08/08/1988"}, "birth_date"),
        ({"name": "名" * 41}, "name"),
        ({"unit": "abc"}, "unit"),
    ],
)
def test_schema_errors_are_chinese_field_errors(mine, change, field):
    body = {**_body(mine), **change}
    if change.get("citizen_id", "") is None:
        body.pop("citizen_id")
    response = _post(mine.client("secretary_a"), body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["field"] for d in detail] == [field]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail[0]["message"])


def test_create_in_another_branch_unit_is_refused_without_hint(mine):
    body = _body(mine, unit=mine.team_b1.pk, party_group=None)
    response = _post(mine.client("secretary_a"), body)
    assert response.status_code == 422
    missing = _post(mine.client("secretary_a"), {**body, "unit": 987654})
    assert response.json() == missing.json()  # out of scope looks like nonexistent
    assert not Person.objects.filter(employee_no=body["employee_no"]).exists()


def test_create_cannot_mass_assign_protected_fields(mine):
    body = _body(mine, user=mine.users["shuji"].pk, version=99, uid="x", citizen_id_bidx="x")
    response = _post(mine.client("secretary_a"), body)
    assert response.status_code == 201
    person = Person.objects.get(employee_no=body["employee_no"])
    assert person.user_id is None and person.version == 1


def test_patch_changes_only_given_fields_and_bumps_version(mine):
    client = mine.client("secretary_a")
    before = Person.objects.get(pk=mine.member_a.pk)
    response = _patch(client, before.pk, {"post": "安全员"}, HTTP_IF_MATCH=f'"{before.version}"')
    assert response.status_code == 200, response.content
    after = Person.objects.get(pk=before.pk)
    assert after.post == "安全员" and after.name == before.name
    assert after.version == before.version + 1
    assert response["ETag"] == f'"{after.version}"' and response.json()["version"] == after.version
    assert after.citizen_id == before.citizen_id


def test_stale_patch_is_409_and_changes_nothing(mine):
    first, second = mine.client("secretary_a"), mine.client("shuji")
    person = Person.objects.get(pk=mine.member_a.pk)
    version = first.get(f"/api/v1/persons/{person.pk}").json()["version"]
    assert _patch(first, person.pk, {"post": "甲", "version": version}).status_code == 200
    history = PersonChange.objects.filter(person=person).count()
    response = _patch(second, person.pk, {"post": "乙", "version": version})
    assert response.status_code == 409
    assert "已被他人修改" in response.json()["detail"]
    current = Person.objects.get(pk=person.pk)
    assert current.post == "甲" and current.version == version + 1
    assert PersonChange.objects.filter(person=person).count() == history


def test_stale_if_match_is_412_and_changes_nothing(mine):
    client = mine.client("shuji")
    person = Person.objects.get(pk=mine.member_a.pk)
    etag = client.get(f"/api/v1/persons/{person.pk}")["ETag"]
    assert _patch(client, person.pk, {"post": "甲"}, HTTP_IF_MATCH=etag).status_code == 200
    response = _patch(client, person.pk, {"post": "乙"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert Person.objects.get(pk=person.pk).post == "甲"
    assert _patch(client, person.pk, {"post": "乙"}, HTTP_IF_MATCH="garbage").status_code == 412


def test_patch_without_version_is_428(mine):
    person = Person.objects.get(pk=mine.member_a.pk)
    response = _patch(mine.client("shuji"), person.pk, {"post": "丙"})
    assert response.status_code == 428
    assert Person.objects.get(pk=person.pk).post == person.post


def test_patch_null_on_required_field_is_422(mine):
    person = Person.objects.get(pk=mine.member_a.pk)
    response = _patch(
        mine.client("shuji"), person.pk, {"is_front_line": None, "version": person.version}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "is_front_line"


def test_patch_moving_member_to_foreign_branch_is_refused(mine):
    """AC-04 through the API: the other branch's organisation is not even resolvable."""
    person = Person.objects.get(pk=mine.member_a.pk)
    response = _patch(
        mine.client("secretary_a"),
        person.pk,
        {"party_org": mine.branch_b.pk, "party_group": None, "version": person.version},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "party_org"
    current = Person.objects.get(pk=person.pk)
    assert current.party_org_id == mine.branch_a.pk and current.version == person.version


def test_no_plaintext_identifier_in_any_response(mine):
    """Scan every body the API produces — even for a user who holds the reveal permission."""
    client = mine.client("shuji")  # holds people.reveal_person
    secrets = set()
    for seq in (1, 2, 3):
        data = person_data(None, seq=seq)
        secrets |= {data["citizen_id"], data["phone"], "安徽省淮北市濉溪县"}
    body = _body(mine, seq=77)
    secrets |= {body["citizen_id"], body["phone"], body["address"]}
    responses = [_post(client, body)]
    created = responses[0].json()["id"]
    for url in (
        "/api/v1/persons/",
        "/api/v1/persons/?limit=200",
        f"/api/v1/persons/?q={mine.member_a.citizen_id}",
        f"/api/v1/persons/?q={mine.member_a.phone}",
        f"/api/v1/persons/{mine.member_a.pk}",
        f"/api/v1/persons/{created}",
        "/api/v1/me",
        "/api/v1/orgs/",
        "/api/v1/units/",
    ):
        responses.append(client.get(url))
    version = Person.objects.get(pk=created).version
    responses.append(_patch(client, created, {"phone": "13712345678", "version": version}))
    secrets.add("13712345678")
    found = responses[3].json()
    assert found["count"] == 1  # the exact-ID search works without echoing the ID
    for response in responses:
        assert response.status_code in (200, 201), response.content
        text = response.content.decode()
        assert not ID_RE.search(text), text
        assert not PHONE_RE.search(text), text
        for secret in secrets:
            assert secret not in text


def _bulk_persons(mine, count: int, start: int) -> None:
    rows = []
    for i in range(start, start + count):
        person = Person(
            employee_no=f"Q{i:06d}",
            name=f"批量{i}",
            gender="M",
            birth_date=dt.date(1980, 1, 1),
            unit=mine.team_a1,
            party_org=mine.branch_a,
            party_group=mine.group_a1,
            political_status="full",
        )
        person.phone = f"135{i:08d}"
        rows.append(person)
    Person.objects.bulk_create(rows, batch_size=500)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/persons/?limit=100", "/api/v1/persons/?limit=100&party_org={branch_a}"],
)
def test_list_query_count_is_flat(mine, url):
    client = mine.client("secretary_a")
    url = url.format(branch_a=mine.branch_a.pk)
    _bulk_persons(mine, 10, 0)
    client.get(url)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.json()["count"] == 12
    _bulk_persons(mine, 990, 10)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.json()["count"] == 1002 and len(response.json()["items"]) == 100
    assert len(large) == len(small), [q["sql"] for q in large]


def test_detail_and_org_list_query_counts_are_flat(mine):
    client = mine.client("shuji")
    url = f"/api/v1/persons/{mine.member_a.pk}"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
        client.get("/api/v1/orgs/?limit=200")
    _bulk_persons(mine, 1000, 0)
    from dangjian.orgs.models import PartyOrg

    for i in range(50):
        PartyOrg.objects.create(name=f"临时小组{i}", kind="group", parent=mine.branch_a)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
        client.get("/api/v1/orgs/?limit=200")
    assert len(large) == len(small)
