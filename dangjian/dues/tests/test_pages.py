"""Dues pages: permission matrix (every URL × persona × object in/out of scope), page content,
HTMX fragments, payment and assessment forms, exports, flat query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core.scope import SYSTEM
from dangjian.core.testing import ROLES, hold_date
from dangjian.dues import services
from dangjian.dues.models import DuesBill, DuesPayment, month_index
from dangjian.dues.tests.helpers import assess

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _still_today():
    with hold_date(TODAY):  # TODAY is read once, at collection
        yield


@pytest.fixture
def dues(mine):
    assess(mine.member_a, TODAY.year, 4000)
    assess(mine.member_b, TODAY.year, 6000)
    services.bills_generate(actor=SYSTEM, year=TODAY.year, month=TODAY.month)
    pay_a = services.payment_record(
        actor=SYSTEM,
        person_id=mine.member_a.pk,
        months=[month_index(TODAY.year, TODAY.month)],
        paid_on=TODAY,
        kind="monthly",
    )
    pay_b = services.payment_record(
        actor=SYSTEM,
        person_id=mine.member_b.pk,
        months=[month_index(TODAY.year, TODAY.month)],
        paid_on=TODAY,
        kind="monthly",
        is_proxy=True,
        payer_name="王家属",
    )
    return {"a": pay_a, "b": pay_b}


LISTS = ["dues:rollup", "dues:bills", "dues:payments", "dues:arrears", "dues:disclosure"]
MANAGERS = {"shuji", "zuzhi", "union", "secretary_a", "worker_a"}
WRITERS = {"shuji", "zuzhi", "secretary_a", "worker_a"}


@pytest.mark.parametrize("role", ROLES)
def test_list_pages_matrix(mine, dues, role):
    client = mine.client(role)
    for name in LISTS:
        expected = 200 if role in MANAGERS else 403
        assert client.get(reverse(name)).status_code == expected, (name, role)
    expected = 200 if role in WRITERS else 403
    assert client.get(reverse("dues:assessments")).status_code == expected
    assert client.get(reverse("dues:mine")).status_code == (
        200 if role in MANAGERS | {"member_b"} else 403
    )
    assert client.get(reverse("dues:rules")).status_code == (200 if role in MANAGERS else 403)


# persona -> (payment in scope, payment out of scope) expected statuses for the detail page
DETAIL = {
    "shuji": ("a", 200, None, None),
    "zuzhi": ("a", 200, None, None),
    "union": ("a", 200, None, None),
    "secretary_a": ("a", 200, "b", 404),
    "worker_a": ("a", 200, "b", 404),
    "member_b": ("b", 200, "a", 404),
    "employee_a": (None, None, "a", 403),
    "sysadmin": (None, None, "a", 403),
    "secadmin": (None, None, "a", 403),
    "auditor": (None, None, "a", 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_detail_and_forms_matrix(mine, dues, role):
    client = mine.client(role)
    inside, in_status, outside, out_status = DETAIL[role]
    if inside:
        url = reverse("dues:payment_detail", args=[dues[inside].pk])
        assert client.get(url).status_code == in_status
    if outside:
        url = reverse("dues:payment_detail", args=[dues[outside].pk])
        assert client.get(url).status_code == out_status
    person_b = mine.member_b.pk
    person_a = mine.member_a.pk
    pay_a = client.get(reverse("dues:payment_new", args=[person_a])).status_code
    pay_b = client.get(reverse("dues:payment_new", args=[person_b])).status_code
    edit_a = client.get(reverse("dues:assessment_edit", args=[person_a, TODAY.year])).status_code
    edit_b = client.get(reverse("dues:assessment_edit", args=[person_b, TODAY.year])).status_code
    if role in ("shuji", "zuzhi"):
        assert (pay_a, pay_b, edit_a, edit_b) == (200, 200, 200, 200)
    elif role in ("secretary_a", "worker_a"):
        assert (pay_a, pay_b, edit_a, edit_b) == (200, 404, 200, 404)
    else:
        assert (pay_a, pay_b, edit_a, edit_b) == (403, 403, 403, 403)


def test_secretary_sees_only_own_branch_in_lists(mine, dues):
    client = mine.client("secretary_a")
    bills = client.get(reverse("dues:bills")).content.decode()
    assert mine.member_a.name in bills and mine.member_b.name not in bills
    payments = client.get(reverse("dues:payments")).content.decode()
    assert mine.member_a.name in payments and mine.member_b.name not in payments
    # guessing another branch as filter shows nothing and the roll-up for it is a 404
    resp = client.get(reverse("dues:bills"), {"org": mine.branch_b.pk})
    assert mine.member_b.name not in resp.content.decode()
    assert client.get(reverse("dues:rollup"), {"org": mine.branch_b.pk}).status_code == 404
    assert client.get(reverse("dues:disclosure"), {"org": mine.branch_b.pk}).status_code == 404


def test_member_own_page_shows_paid_up_month(mine, dues):
    page = mine.client("member_b").get(reverse("dues:mine")).content.decode()
    assert f"{TODAY.year}年{TODAY.month}月" in page
    assert "王家属代交" in page


def test_rollup_page_numbers(mine, dues):
    page = mine.client("shuji").get(reverse("dues:rollup")).content.decode()
    assert mine.branch_a.name in page and mine.branch_b.name in page
    assert "130.00" in page  # 40 (1% of 4000) + 90 (1.5% of 6000) yuan collected
    assert 'data-echarts="rollup-chart"' in page


def test_payment_form_records_a_proxy_makeup(mine):
    assess(mine.member_a, TODAY.year, 4000)
    services.bills_generate(actor=SYSTEM, year=TODAY.year, month=TODAY.month)
    client = mine.client("secretary_a")
    url = reverse("dues:payment_new", args=[mine.member_a.pk])
    current = month_index(TODAY.year, TODAY.month)
    resp = client.post(url, {"months": [current], "paid_on": TODAY.isoformat(), "kind": "makeup"})
    assert resp.status_code == 422
    assert "补交应包含" in resp.content.decode()
    resp = client.post(
        url,
        {
            "months": [current],
            "paid_on": TODAY.isoformat(),
            "kind": "monthly",
            "is_proxy": "1",
            "payer_name": "张某家属",
        },
    )
    assert resp.status_code == 302
    payment = DuesPayment.objects.get()
    assert payment.is_proxy and payment.payer_name == "张某家属"
    assert payment.recorded_by == mine.users["secretary_a"]


def test_assessment_form_preview_and_save(mine):
    client = mine.client("worker_a")
    url = reverse("dues:assessment_edit", args=[mine.member_a.pk, TODAY.year])
    from dangjian.dues.models import MemberCategory

    wage = MemberCategory.objects.get(code="wage").pk
    resp = client.post(
        url,
        {"category": wage, "c_post_wage": "3000.01", "preview": "1"},
        headers={"HX-Request": "true", "HX-Target": "assessment-form"},
    )
    text = resp.content.decode()
    assert resp.status_code == 200 and "30.00" in text and "<html" not in text
    resp = client.post(url, {"category": wage, "c_post_wage": "3000.001", "preview": "1"})
    assert resp.status_code == 422 and "最多保留两位小数" in resp.content.decode()
    resp = client.post(url, {"category": wage, "c_post_wage": "3000", "preview": "0"})
    assert resp.status_code == 302
    assert mine.member_a.dues_assessments.get().monthly_fen == 1500


def test_generate_button_is_idempotent(mine):
    assess(mine.member_a, TODAY.year, 4000)
    client = mine.client("secretary_a")
    for _ in range(2):
        resp = client.post(reverse("dues:bill_generate"), {"year": TODAY.year, "month": 1})
        assert resp.status_code == 302
    assert DuesBill.objects.count() == 1


def test_htmx_list_fragment(mine, dues):
    resp = mine.client("shuji").get(
        reverse("dues:bills"), headers={"HX-Request": "true", "HX-Target": "dues-table"}
    )
    text = resp.content.decode()
    assert 'id="dues-table"' in text and "<html" not in text


def _bulk(mine, n, start=0):
    from dangjian.core.testing import person_data
    from dangjian.people.services import person_create

    for i in range(n):
        p = person_create(actor=SYSTEM, data=person_data(mine, seq=100 + start + i))
        assess(p, TODAY.year, 3000 + i)
    services.bills_generate(actor=SYSTEM, year=TODAY.year, month=TODAY.month)


@pytest.mark.parametrize(
    "name", ["dues:bills", "dues:payments", "dues:arrears", "dues:rollup", "dues:assessments"]
)
def test_query_counts_flat(mine, name):
    client = mine.client("secretary_a")
    _bulk(mine, 3)
    client.get(reverse(name))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse(name))
    _bulk(mine, 30, start=10)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse(name))
    assert len(small) == len(large), name
