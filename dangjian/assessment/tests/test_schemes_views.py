"""Scheme pages: permission matrix (roles × own committee / another committee), domain scope of
the union, editing through the pages (inline errors, frozen after publish, new version),
publish showing the problems, Excel export job, flat query count of the detail page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.assessment.models import AssessmentScheme, Category, Criterion
from dangjian.assessment.services import schemes as svc
from dangjian.assessment.testing import build_scheme
from dangjian.core.models import Job
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import ROLES
from dangjian.orgs.models import PartyOrg

pytestmark = pytest.mark.django_db


@pytest.fixture
def schemes(mine):
    own = svc.scheme_load_standard(actor=SYSTEM, party_org=mine.committee, year=2026)
    other_org = PartyOrg.objects.create(name="外矿党委", kind="committee")
    other = build_scheme(other_org)
    return own, other


# role → (list, own scheme, other committee's scheme)
EXPECTED = {
    "shuji": (200, 200, 200),  # the committee leader's role reaches every organisation
    "zuzhi": (200, 200, 404),
    "union": (200, 200, 404),  # through its own domain's categories only
    "secretary_a": (403, 403, 403),
    "worker_a": (403, 403, 403),
    "member_b": (403, 403, 403),
    "employee_a": (403, 403, 403),
    "sysadmin": (403, 403, 403),
    "secadmin": (403, 403, 403),
    "auditor": (403, 403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_read_pages(mine, schemes, role):
    own, other = schemes
    client = mine.client(role)
    got = (
        client.get(reverse("assessment:scheme_list")).status_code,
        client.get(reverse("assessment:scheme_detail", args=[own.pk])).status_code,
        client.get(reverse("assessment:scheme_detail", args=[other.pk])).status_code,
    )
    assert got == EXPECTED.get(role, (403, 403, 403)), role


WRITE_EXPECTED = {"shuji": 200, "zuzhi": 200}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_write_pages(mine, schemes, role):
    own, other = schemes
    draft = svc.scheme_new_version(actor=SYSTEM, scheme_id=own.pk)
    cat = Category.objects.get(scheme=draft, code="A")
    crit = Criterion.objects.get(category=cat, code="A01")
    client = mine.client(role)
    urls = [
        reverse("assessment:scheme_edit", args=[draft.pk]),
        reverse("assessment:scheme_category_edit", args=[draft.pk, cat.pk]),
        reverse("assessment:scheme_criterion_edit", args=[draft.pk, crit.pk]),
        reverse("assessment:scheme_criterion_add", args=[draft.pk, cat.pk]),
    ]
    want = WRITE_EXPECTED.get(role, 403 if role != "union" else 404)
    for url in urls:
        status = client.get(url).status_code
        assert status in ((want,) if want != 404 else (403, 404)), (role, url, status)
    # another committee's scheme is out of scope for everyone with the permission
    other_draft = svc.scheme_new_version(actor=SYSTEM, scheme_id=other.pk)
    status = client.get(reverse("assessment:scheme_edit", args=[other_draft.pk])).status_code
    assert status == {"shuji": 200, "zuzhi": 404}.get(role, 403), role
    if role != "shuji":
        resp = client.post(reverse("assessment:scheme_publish", args=[other_draft.pk]))
        assert resp.status_code == (404 if role == "zuzhi" else 403), role
        other_draft.refresh_from_db()
        assert other_draft.state == "draft"


def test_union_sees_only_its_categorys_criteria(mine, schemes):
    own, _ = schemes
    page = mine.client("union").get(reverse("assessment:scheme_detail", args=[own.pk]))
    html = page.content.decode()
    assert 'data-testid="category-D"' in html and "困难职工帮扶" in html
    assert 'data-testid="category-A"' not in html and "按期召开支部党员大会" not in html
    assert 'data-testid="scheme-export"' not in html  # no scheme permission: no export
    full = mine.client("shuji").get(reverse("assessment:scheme_detail", args=[own.pk]))
    text = full.content.decode()
    for code in "ABCDEF":
        assert f'data-testid="category-{code}"' in text
    assert "一票否决" in text and "加分项" in text
    assert "自动指标：支部党员大会按期召开率" in text
    assert "指标 80% 得 0 分，100% 得满分" in text


def test_list_search_filter_and_pagination(mine, schemes):
    client = mine.client("shuji")
    page = client.get(reverse("assessment:scheme_list"), {"q": "六考一评", "year": 2026})
    assert "基层党支部“六考一评”考核方案" in page.content.decode()
    page = client.get(reverse("assessment:scheme_list"), {"state": "retired"})
    assert "暂无考核方案" in page.content.decode()
    frag = client.get(
        reverse("assessment:scheme_list"),
        {"q": "x"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="scheme-table",
    )
    assert frag.status_code == 200 and "<html" not in frag.content.decode()


def test_create_edit_publish_and_new_version_through_the_pages(mine):
    client = mine.client("shuji")
    resp = client.post(
        reverse("assessment:scheme_create"),
        {"party_org": mine.committee.pk, "name": "", "year": 2026, "bonus_cap": "0"},
    )
    assert resp.status_code == 400 and "请填写方案名称" in resp.content.decode()
    resp = client.post(
        reverse("assessment:scheme_create"),
        {
            "party_org": mine.committee.pk,
            "name": "试点方案",
            "year": 2026,
            "bonus_cap": "0",
            "org_kind": "branch",
        },
    )
    scheme = AssessmentScheme.objects.get(name="试点方案")
    assert resp.status_code == 302
    # inline category form over HTMX: errors come back in the fragment (200 so HTMX swaps)
    add_cat = reverse("assessment:scheme_category_add", args=[scheme.pk])
    frag = client.post(
        add_cat,
        {"code": "", "name": "党建", "domain": "organisation", "max_points": "abc"},
        HTTP_HX_REQUEST="true",
    )
    body = frag.content.decode()
    assert frag.status_code == 200 and "请填写编号" in body and "分值应为数字" in body
    assert "<html" not in body
    resp = client.post(
        add_cat,
        {"code": "A", "name": "党建", "domain": "organisation", "max_points": "100"},
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 204 and resp["HX-Redirect"].endswith(f"/schemes/{scheme.pk}/")
    cat = Category.objects.get(scheme=scheme)
    add_crit = reverse("assessment:scheme_criterion_add", args=[scheme.pk, cat.pk])
    bad = client.post(
        add_crit,
        {
            "code": "A1",
            "title": "参会",
            "standard": "按比例",
            "max_points": "100",
            "method": "indicator",
            "indicator_key": "orglife.attendance_rate",
            "formula": '{"kind": "linear", "zero_at": 5, "full_at": 5}',
        },
    )
    assert bad.status_code == 400 and "zero_at 与 full_at 不能相等" in bad.content.decode()
    bad = client.post(
        add_crit,
        {
            "code": "A1",
            "title": "参会",
            "standard": "按比例",
            "max_points": "100",
            "method": "indicator",
            "indicator_key": "orglife.attendance_rate",
            "formula": "{x",
        },
    )
    assert "不是有效的 JSON" in bad.content.decode()
    detail = client.get(reverse("assessment:scheme_detail", args=[scheme.pk])).content.decode()
    assert "大项“A 党建”没有计分细则。" in detail
    # publishing with problems shows them and keeps the draft
    resp = client.post(reverse("assessment:scheme_publish", args=[scheme.pk]), follow=True)
    assert "没有计分细则" in resp.content.decode()
    client.post(
        add_crit,
        {
            "code": "A1",
            "title": "参会",
            "standard": "按比例",
            "max_points": "100",
            "method": "indicator",
            "indicator_key": "orglife.attendance_rate",
            "evidence_methods": ["documents", "system"],
            "formula": '{"kind": "linear", "zero_at": 60, "full_at": 100}',
        },
    )
    crit = Criterion.objects.get(category=cat)
    assert crit.evidence_methods == ["documents", "system"] and crit.formula["zero_at"] == 60
    client.post(reverse("assessment:scheme_publish", args=[scheme.pk]))
    scheme.refresh_from_db()
    assert scheme.state == "published"
    # frozen: editing is refused with the message, nothing changes
    resp = client.post(
        reverse("assessment:scheme_criterion_edit", args=[scheme.pk, crit.pk]),
        {"code": "A1", "title": "改", "standard": "改", "max_points": "100", "method": "manual"},
    )
    assert "不能再修改" in resp.content.decode()
    crit.refresh_from_db()
    assert crit.title == "参会"
    resp = client.post(reverse("assessment:scheme_new_version", args=[scheme.pk]))
    copy = AssessmentScheme.objects.get(based_on=scheme)
    assert resp["Location"].endswith(f"/schemes/{copy.pk}/") and copy.version == 2


def test_export_job_is_started_and_scoped(mine, schemes):
    own, _ = schemes
    from dangjian.core.exports import exporter

    resp = mine.client("shuji").post(reverse("assessment:scheme_export", args=[own.pk]))
    job = Job.objects.get(kind="export:assessment.scheme_criteria")
    assert resp.status_code == 302 and str(job.uid) in resp["Location"]
    found_headers, found = exporter("assessment.scheme_criteria")[1](
        mine.users["shuji"], job.params
    )
    headers = list(found_headers)
    rows = [list(r) for r in found]
    assert len(rows) == 67 and headers[0] == "大项编号"
    assert any(r[2] == "A01" and "支部党员大会" in r[7] for r in rows)
    _, none = exporter("assessment.scheme_criteria")[1](mine.users["union"], job.params)
    assert list(none) == []
    assert (
        mine.client("union").post(reverse("assessment:scheme_export", args=[own.pk])).status_code
        == 403
    )


def _detail_queries(mine, scheme) -> int:
    client = mine.client("shuji")
    client.get(reverse("assessment:scheme_detail", args=[scheme.pk]))  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("assessment:scheme_detail", args=[scheme.pk])).status_code == 200
    return len(ctx.captured_queries)


def test_detail_query_count_is_flat(mine):
    small = build_scheme(mine.committee, criteria_per_category=2)  # 12 criteria
    big = svc.scheme_load_standard(actor=SYSTEM, party_org=mine.committee, year=2027)  # 67
    assert Criterion.objects.filter(category__scheme=small).count() == 12
    assert _detail_queries(mine, small) == _detail_queries(mine, big)
    draft_small = svc.scheme_new_version(actor=SYSTEM, scheme_id=small.pk)
    draft_big = svc.scheme_new_version(actor=SYSTEM, scheme_id=big.pk)
    assert _detail_queries(mine, draft_small) == _detail_queries(mine, draft_big)
