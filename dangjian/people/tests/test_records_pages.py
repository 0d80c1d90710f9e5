"""Person list, detail, create/edit (inline validation, optimistic locking), reveal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from dangjian.audit.models import AuditEvent
from dangjian.core.testing import make_citizen_id, person_data
from dangjian.people import services
from dangjian.people.models import Person, PersonChange
from dangjian.people.selectors import person_filters, person_list

pytestmark = pytest.mark.django_db


def _form_post(person: Person, **overrides):
    """The edit form as a browser would post it (sealed inputs left blank)."""
    data = {
        "employee_no": person.employee_no,
        "name": person.name,
        "gender": person.gender,
        "ethnicity": person.ethnicity,
        "birth_date": person.birth_date.isoformat(),
        "education": person.education,
        "political_status": person.political_status,
        "party_org": person.party_org_id or "",
        "party_group": person.party_group_id or "",
        "joined_party_on": person.joined_party_on.isoformat() if person.joined_party_on else "",
        "regularised_on": person.regularised_on.isoformat() if person.regularised_on else "",
        "post": person.post,
        "citizen_id": "",
        "phone": "",
        "address": "",
        "membership_status": person.membership_status,
        "mobile_destination": person.mobile_destination,
        "unit": person.unit_id,
        "is_front_line": "on" if person.is_front_line else "",
        "is_employed": "on" if person.is_employed else "",
        "version": person.version,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != "" or k in ("citizen_id", "phone", "address")}


# --- list -----------------------------------------------------------------------------------


def test_list_shows_scope_masked_and_no_plaintext(mine):
    response = mine.client("secretary_a").get(reverse("people:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "张支部党员" in body and "李群众" in body
    assert "王二支部党员" not in body  # branch B is out of scope
    plain_id = mine.member_a.citizen_id
    assert plain_id not in body and mine.member_a.phone not in body
    assert plain_id[:4] + "*" * 10 + plain_id[-4:] in body
    assert "138****0001" in body


def test_list_search_by_exact_citizen_id_and_phone(mine):
    client = mine.client("shuji")
    by_id = client.get(reverse("people:list"), {"q": mine.member_b.citizen_id})
    assert "王二支部党员" in by_id.content.decode()
    assert "张支部党员" not in by_id.content.decode()
    by_phone = client.get(reverse("people:list"), {"q": mine.member_a.phone})
    assert "张支部党员" in by_phone.content.decode()
    assert "王二支部党员" not in by_phone.content.decode()
    # a secretary cannot find another branch's member even with the exact ID
    other = mine.client("secretary_a").get(reverse("people:list"), {"q": mine.member_b.citizen_id})
    assert "王二支部党员" not in other.content.decode()


def test_list_htmx_returns_only_the_table(mine):
    response = mine.client("shuji").get(
        reverse("people:list"),
        {"political_status": "masses"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="person-table",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="person-table"')
    assert "<html" not in body
    assert "李群众" in body and "张支部党员" not in body


def test_list_export_and_import_buttons_keep_query(mine):
    body = mine.client("secretary_a").get(reverse("people:list"), {"gender": "M"}).content.decode()
    try:
        export = reverse("people:export")
    except Exception:
        pytest.skip("people:export not routed yet")
    assert f'href="{export}?gender=M"' in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"party_org": "branch_b"}, {"member_b"}),
        ({"unit": "workshop_a"}, {"member_a", "masses_a"}),
        ({"party_group": "group_a1"}, {"member_a"}),
        ({"political_status": "party_member"}, {"member_a", "member_b"}),
        ({"political_status": "masses"}, {"masses_a"}),
        ({"gender": "F"}, {"member_b"}),
        ({"education": "bachelor"}, {"member_a", "masses_a", "member_b"}),
        ({"education": "master"}, set()),
        ({"is_front_line": "1"}, {"member_a", "masses_a", "member_b"}),
        ({"is_front_line": "0"}, set()),
        ({"age_min": "41"}, {"member_a", "masses_a", "member_b"}),
        ({"age_min": "42"}, set()),
        ({"age_max": "40"}, set()),
        ({"party_age_min": "15", "party_age_max": "15"}, {"member_a", "member_b"}),
        ({"party_age_min": "16"}, set()),
        ({"membership_status": "normal"}, {"member_a", "masses_a", "member_b"}),
        ({"lost_contact": "1"}, set()),
        ({"is_mobile": "0"}, {"member_a", "masses_a", "member_b"}),
        ({"age_min": "abc"}, {"member_a", "masses_a", "member_b"}),  # bad values ignored
    ],
)
def test_list_filters(mine, params, expected):
    # birth 1985-03-12, regularised 2011-07-01 → on 2026-08-01: age 41, 党龄 15
    resolved = {
        k: str(getattr(mine, v).pk) if k in ("party_org", "unit", "party_group") else v
        for k, v in params.items()
    }
    filters = person_filters(resolved)
    qs = person_list(user=mine.users["shuji"], today=dt.date(2026, 8, 1), **filters)
    names = {"张支部党员": "member_a", "李群众": "masses_a", "王二支部党员": "member_b"}
    assert {names[p.name] for p in qs} == expected


def test_list_sort_and_paginate(mine):
    client = mine.client("shuji")
    body = client.get(reverse("people:list"), {"sort": "-employee_no"}).content.decode()
    names = ["王二支部党员", "李群众", "张支部党员"]
    positions = [body.index(n) for n in names]
    assert positions == sorted(positions)
    assert "掘进二队党支部" in body and "▼" in body
    page = client.get(reverse("people:list"), {"per_page": "20", "page": "2"})
    assert page.status_code == 200  # out-of-range page falls back to the last page


# --- detail ---------------------------------------------------------------------------------


def test_detail_masks_and_shows_history_with_org_at_the_time(mine):
    services.person_update(
        actor=mine.users["shuji"],
        person=mine.member_a,
        data={"party_org": mine.branch_b, "party_group": mine.group_b1, "post": "班长"},
    )
    mine.branch_a.name = "改名后的支部"
    mine.branch_a.save()
    response = mine.client("shuji").get(reverse("people:detail", args=[mine.member_a.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert mine.member_a.citizen_id not in body
    assert "138****0001" in body
    assert "安徽" in body and "安徽省淮北市濉溪县" not in body  # address masked
    assert body.count('data-testid="history-row"') == 2
    # the creation entry still names the org as it was then
    assert "综采一队党支部" in body
    assert "综采一队党支部 → 掘进二队党支部" in body
    assert "班长" in body


def test_detail_reveal_button_only_with_permission(mine):
    url = reverse("people:detail", args=[mine.member_a.pk])
    assert "查看明文" in mine.client("secretary_a").get(url).content.decode()
    assert "查看明文" not in mine.client("worker_a").get(url).content.decode()


# --- reveal ---------------------------------------------------------------------------------


def test_reveal_with_reason_returns_plaintext_once_audited_not_cached(mine):
    client = mine.client("secretary_a")
    url = reverse("people:reveal", args=[mine.member_a.pk])
    form = client.get(url, {"field": "citizen_id"})
    assert form.status_code == 200 and "查看事由" in form.content.decode()
    response = client.post(url, {"field": "citizen_id", "reason": "核对组织关系转接"})
    assert response.status_code == 200
    assert mine.member_a.citizen_id in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(event_type="reveal", outcome="success")
    assert event.reason == "核对组织关系转接"
    assert event.object_id == str(mine.member_a.pk)
    assert event.actor_name == "secretary_a"
    assert mine.member_a.citizen_id not in str(event.changes)
    # nothing in the cache backend holds the plaintext
    store = getattr(cache, "_cache", {})
    assert all(mine.member_a.citizen_id.encode() not in bytes(v) for v in store.values())


def test_reveal_requires_reason(mine):
    url = reverse("people:reveal", args=[mine.member_a.pk])
    response = mine.client("secretary_a").post(url, {"field": "phone", "reason": " "})
    assert response.status_code == 400
    assert "请填写查看事由" in response.content.decode()
    assert mine.member_a.phone not in response.content.decode()
    assert not AuditEvent.objects.filter(event_type="reveal").exists()


def test_reveal_without_permission_403_and_denial_audited(mine):
    url = reverse("people:reveal", args=[mine.member_a.pk])
    response = mine.client("worker_a").post(url, {"field": "citizen_id", "reason": "想看看"})
    assert response.status_code == 403
    assert mine.member_a.citizen_id not in response.content.decode()
    assert AuditEvent.objects.filter(event_type="reveal", outcome="denied").count() == 1
    assert mine.client("worker_a").get(url).status_code == 403


def test_reveal_out_of_scope_404(mine):
    url = reverse("people:reveal", args=[mine.member_b.pk])
    response = mine.client("secretary_a").post(url, {"field": "citizen_id", "reason": "核对"})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(event_type="reveal", outcome="success").exists()


# --- create / edit --------------------------------------------------------------------------


def test_create_person(mine):
    birth = dt.date(1990, 5, 6)
    cid = make_citizen_id(birth, "F", 40)
    data = {
        "employee_no": "N0040",
        "name": "新职工",
        "gender": "F",
        "ethnicity": "汉族",
        "birth_date": "1990-05-06",
        "citizen_id": cid,
        "phone": "13900000040",
        "address": "安徽省淮北市相山区",
        "political_status": "masses",
        "membership_status": "normal",
        "unit": mine.team_a1.pk,
        "is_front_line": "on",
        "is_employed": "on",
    }
    response = mine.client("secretary_a").post(reverse("people:create"), data)
    assert response.status_code == 302, response.content.decode()
    person = Person.objects.get(employee_no="N0040")
    assert person.party_org == mine.branch_a  # derived from the unit
    assert person.citizen_id == cid and person.phone == "13900000040"
    assert AuditEvent.objects.filter(event_type="create", object_id=str(person.pk)).exists()


def test_create_rejects_bad_id_with_chinese_message_and_keeps_input(mine):
    data = {
        "employee_no": "N0041",
        "name": "错号",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1990-05-06",
        "citizen_id": "340321199005060001",
        "political_status": "masses",
        "membership_status": "normal",
        "unit": mine.team_a1.pk,
    }
    response = mine.client("secretary_a").post(reverse("people:create"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "身份证号校验位不正确" in body
    assert 'value="错号"' in body
    assert not Person.objects.filter(employee_no="N0041").exists()


def test_form_choices_only_from_scope(mine):
    body = mine.client("secretary_a").get(reverse("people:create")).content.decode()
    assert "综采一队党支部" in body and "综采一队一班" in body
    assert "掘进二队党支部" not in body and "掘进二队一班" not in body


def test_inline_validation_returns_field_message(mine):
    client = mine.client("secretary_a")
    url = reverse("people:validate")
    response = client.post(
        url,
        {"_field": "citizen_id", "citizen_id": "12345", "name": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "身份证号必须为18位" in response.content.decode()
    ok = client.post(
        url, {"_field": "citizen_id", "citizen_id": make_citizen_id(dt.date(1990, 1, 1), "M", 77)}
    )
    assert "invalid-feedback" not in ok.content.decode()
    dup = client.post(url, {"_field": "citizen_id", "citizen_id": mine.member_b.citizen_id})
    assert "已登记在其他人员名下" in dup.content.decode()
    phone = client.post(url, {"_field": "phone", "phone": "12345678901"})
    assert "手机号码应为11位" in phone.content.decode()
    birth = client.post(
        url,
        {
            "_field": "birth_date",
            "birth_date": "1991-01-01",
            "citizen_id": mine.member_b.citizen_id,
        },
    )
    assert "出生日期与身份证号不一致" in birth.content.decode()
    # editing: own ID is not a duplicate; blank sealed inputs mean "unchanged"
    edit_url = f"{url}?person={mine.member_a.pk}"
    own = client.post(edit_url, {"_field": "citizen_id", "citizen_id": mine.member_a.citizen_id})
    assert "invalid-feedback" not in own.content.decode()
    blank = client.post(edit_url, {"_field": "citizen_id", "citizen_id": ""})
    assert "invalid-feedback" not in blank.content.decode()
    assert client.post(f"{url}?person={mine.member_b.pk}", {"_field": "name"}).status_code == 404
    assert mine.client("union").post(url, {"_field": "name"}).status_code == 403


def test_edit_form_never_prefills_plaintext(mine):
    body = mine.client("secretary_a").get(reverse("people:edit", args=[mine.member_a.pk]))
    text = body.content.decode()
    assert body.status_code == 200
    assert mine.member_a.citizen_id not in text and mine.member_a.phone not in text
    assert "安徽省淮北市濉溪县" not in text
    assert "留空表示不修改" in text


def test_edit_blank_sealed_fields_keep_values(mine):
    person = mine.member_a
    cid, phone = person.citizen_id, person.phone
    response = mine.client("secretary_a").post(
        reverse("people:edit", args=[person.pk]), _form_post(person, post="综采班长")
    )
    assert response.status_code == 302, response.content.decode()
    person.refresh_from_db()
    assert person.post == "综采班长"
    assert person.citizen_id == cid and person.phone == phone
    assert person.version == 2
    change = PersonChange.objects.filter(person=person).first()
    assert change is not None
    assert change.changes == {"post": ["采煤工", "综采班长"]}


def test_edit_sealed_field_change_recorded_masked(mine):
    person = mine.member_a
    response = mine.client("secretary_a").post(
        reverse("people:edit", args=[person.pk]), _form_post(person, phone="13912345678")
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "13912345678"
    change = PersonChange.objects.filter(person=person).first()
    assert change is not None
    assert change.changes == {"phone": ["138****0001", "139****5678"]}
    assert "13912345678" not in str(
        AuditEvent.objects.filter(event_type="update").values("changes")
    )


def test_edit_stale_version_409_keeps_input(mine):
    person = mine.member_a
    stale = _form_post(person, post="我的修改")
    services.person_update(actor=mine.users["shuji"], person=person, data={"post": "他人修改"})
    response = mine.client("secretary_a").post(reverse("people:edit", args=[person.pk]), stale)
    assert response.status_code == 409
    body = response.content.decode()
    assert "该人员信息已被他人修改" in body
    assert 'value="我的修改"' in body
    person.refresh_from_db()
    assert person.post == "他人修改"
    assert f'name="version" value="{person.version}"' in body
    # submitting again after reviewing saves
    again = mine.client("secretary_a").post(
        reverse("people:edit", args=[person.pk]), {**stale, "version": person.version}
    )
    assert again.status_code == 302
    person.refresh_from_db()
    assert person.post == "我的修改"


def test_two_clients_no_lost_update(mine):
    person = mine.member_a
    first = mine.client("secretary_a")
    second = mine.client("worker_a")
    post_first = _form_post(person, post="甲")
    post_second = _form_post(person, ethnicity="回族")
    assert first.post(reverse("people:edit", args=[person.pk]), post_first).status_code == 302
    assert second.post(reverse("people:edit", args=[person.pk]), post_second).status_code == 409
    person.refresh_from_db()
    assert (person.post, person.ethnicity) == ("甲", "汉族")


def test_ac04_secretary_cannot_move_member_to_other_branch(mine):
    person = mine.member_a
    before = (person.party_org_id, person.party_group_id, person.version)
    # through the service: the write is re-checked inside the transaction
    with pytest.raises(PermissionDenied):
        services.person_update(
            actor=mine.users["secretary_a"],
            person=person,
            data={"party_org": mine.branch_b, "party_group": mine.group_b1},
        )
    person.refresh_from_db()
    assert (person.party_org_id, person.party_group_id, person.version) == before
    assert PersonChange.objects.filter(person=person).count() == 1
    # through the form: the foreign org is not even a valid choice
    response = mine.client("secretary_a").post(
        reverse("people:edit", args=[person.pk]),
        _form_post(person, party_org=mine.branch_b.pk, party_group=mine.group_b1.pk),
    )
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.party_org_id == before[0]


def test_ac04_moving_unit_to_foreign_branch_is_rolled_back(mine):
    person = mine.member_a
    with pytest.raises(PermissionDenied):
        services.person_update(
            actor=mine.users["secretary_a"],
            person=person,
            data={"unit": mine.team_b1, "party_group": None},
        )
    person.refresh_from_db()
    assert person.unit_id == mine.team_a1.pk and person.party_org_id == mine.branch_a.pk


def test_create_in_foreign_branch_refused(mine):
    data = person_data(None, seq=50, unit=mine.team_b1, party_org=mine.branch_b)
    with pytest.raises(PermissionDenied):
        services.person_create(actor=mine.users["secretary_a"], data=data)
    assert not Person.objects.filter(employee_no=data["employee_no"]).exists()


def test_list_org_filter_uses_tree_picker(mine):
    client = mine.client("shuji")
    response = client.get(reverse("people:list"), {"party_org": mine.branch_b.pk})
    body = response.content.decode()
    assert 'data-testid="org-filter"' in body
    assert f'name="party_org" value="{mine.branch_b.pk}"' in body
    assert 'value="掘进二队党支部"' in body  # the picker shows the chosen organisation
    assert body.count('data-testid="person-row"') == 1
    # a secretary choosing a foreign branch id sees nothing, not even its name
    other = mine.client("secretary_a").get(reverse("people:list"), {"party_org": mine.branch_b.pk})
    text = other.content.decode()
    assert "掘进二队党支部" not in text and 'data-testid="person-row"' not in text
