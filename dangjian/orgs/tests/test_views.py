"""Organisation pages × personas, restructure forms, picker, export, query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import Job
from dangjian.core.scope import SYSTEM
from dangjian.orgs.models import OrgEvent, PartyOrg
from dangjian.orgs.services import org_create

MANAGERS = ("shuji", "zuzhi", "sysadmin")


def row_names(html: str) -> list[str]:
    """Organisation names in the list table's first column."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr data-org="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', body)


NO_ORG_ACCESS = ("member_b", "employee_a", "secadmin", "auditor")


def page_urls(mine):
    a, b = mine.branch_a.pk, mine.branch_b.pk
    return {
        "tree": reverse("orgs:tree"),
        "list": reverse("orgs:list"),
        "children": reverse("orgs:tree_children", args=[mine.committee.pk]),
        "detail_a": reverse("orgs:detail", args=[a]),
        "detail_b": reverse("orgs:detail", args=[b]),
        "units": reverse("orgs:unit_tree"),
        "unit_list": reverse("orgs:unit_list"),
        "unit_detail": reverse("orgs:unit_detail", args=[mine.team_a1.pk]),
        "departments": reverse("orgs:department_list"),
        "create": reverse("orgs:create"),
        "edit_a": reverse("orgs:edit", args=[a]),
        "unit_create": reverse("orgs:unit_create"),
        "unit_edit": reverse("orgs:unit_edit", args=[mine.team_a1.pk]),
        **{
            f"restructure_{action}": reverse("orgs:restructure", args=[a, action])
            for action in ("rename", "move", "merge", "split", "dissolve", "term")
        },
    }


@pytest.mark.parametrize("role", MANAGERS)
def test_managers_open_every_page(mine, role):
    client = mine.client(role)
    for name, url in page_urls(mine).items():
        response = client.get(url)
        assert response.status_code == 200, (role, name, response.status_code)


def test_secretary_sees_own_branch_only(mine):
    client = mine.client("secretary_a")
    urls = page_urls(mine)
    tree = client.get(urls["tree"])
    assert tree.status_code == 200
    body = tree.content.decode()
    assert "综采一队党支部" in body and "掘进二队党支部" not in body
    assert client.get(urls["detail_a"]).status_code == 200
    assert client.get(urls["detail_b"]).status_code == 404
    assert client.get(reverse("orgs:tree_children", args=[mine.branch_b.pk])).status_code == 404
    assert client.get(reverse("orgs:unit_detail", args=[mine.team_b1.pk])).status_code == 404
    listing = client.get(urls["list"]).content.decode()
    assert row_names(listing) == ["综采一队党支部", "综采一队第一党小组"]
    # reading is allowed, managing is not
    assert client.get(urls["edit_a"]).status_code == 403
    assert client.get(urls["restructure_merge"]).status_code == 403
    assert client.get(urls["create"]).status_code == 403
    assert "org-actions" not in client.get(urls["detail_a"]).content.decode()


@pytest.mark.parametrize("role", NO_ORG_ACCESS)
def test_no_org_role_gets_403_on_pages_and_404_on_objects(mine, role):
    client = mine.client(role)
    urls = page_urls(mine)
    for name in ("tree", "list", "units", "unit_list", "departments", "create", "edit_a"):
        assert client.get(urls[name]).status_code == 403, (role, name)
    for name in ("detail_a", "detail_b", "unit_detail", "children"):
        assert client.get(urls[name]).status_code == 404, (role, name)


def test_anonymous_is_sent_to_login(mine, client):
    response = client.get(reverse("orgs:tree"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_unknown_restructure_action_is_404(mine):
    url = reverse("orgs:restructure", args=[mine.branch_a.pk, "explode"])
    assert mine.client("shuji").get(url).status_code == 404


def test_nav_shows_org_menu_only_to_org_roles(mine):
    assert "组织管理" in mine.client("zuzhi").get(reverse("orgs:tree")).content.decode()
    home = mine.client("employee_a").get("/")
    assert "orgs/departments" not in home.content.decode()


def test_detail_shows_profile_counts_warnings_and_history(mine):
    from dangjian.orgs.services import org_rename

    org_rename(
        actor=SYSTEM,
        org=mine.branch_a,
        new_name="综采一区党支部",
        effective_on=timezone.localdate() - dt.timedelta(days=2),
    )
    body = mine.client("shuji").get(reverse("orgs:detail", args=[mine.branch_a.pk])).content
    text = body.decode()
    assert "综采一队党支部 → 综采一区党支部" in text
    assert "测试矿党委 / 综采一区党支部" in text
    assert "正式党员 1" in text  # member count
    assert 'data-code="branch_too_small"' in text  # 1 full member < 3
    assert "org-actions" in text


def test_dissolved_org_still_shown_with_marker(mine):
    from dangjian.orgs.services import org_dissolve

    empty = org_create(name="临时党小组", kind="group", parent=mine.branch_a, actor=SYSTEM)
    org_dissolve(actor=SYSTEM, org=empty, effective_on=timezone.localdate())
    response = mine.client("shuji").get(reverse("orgs:detail", args=[empty.pk]))
    assert response.status_code == 200
    assert "临时党小组（已撤销）" in response.content.decode()
    listing = mine.client("shuji").get(reverse("orgs:list"), {"active": "0"}).content.decode()
    assert row_names(listing) == ["临时党小组（已撤销）"]


def test_sysadmin_moves_group_through_form(mine):
    client = mine.client("sysadmin")
    url = reverse("orgs:restructure", args=[mine.group_a1.pk, "move"])
    response = client.post(
        url, {"new_parent": mine.branch_b.pk, "effective_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    mine.group_a1.refresh_from_db()
    assert mine.group_a1.parent_id == mine.branch_b.pk
    assert OrgEvent.objects.filter(org=mine.group_a1, kind="move").exists()


def test_restructure_form_errors_are_inline_with_htmx(mine):
    client = mine.client("shuji")
    url = reverse("orgs:restructure", args=[mine.branch_a.pk, "dissolve"])
    response = client.post(
        url, {"effective_on": timezone.localdate().isoformat()}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith("<form")  # the fragment only
    assert "仍有下级组织" in text and 'data-field="target"' in text
    assert PartyOrg.objects.get(pk=mine.branch_a.pk).dissolved_on is None


def test_move_form_offers_only_allowed_parents_in_scope(mine):
    response = mine.client("shuji").get(
        reverse("orgs:restructure", args=[mine.group_a1.pk, "move"])
    )
    choices = response.context["form"].fields["new_parent"].queryset
    assert list(choices) == [mine.branch_b]


def test_create_form_htmx_success_redirects(mine):
    response = mine.client("zuzhi").post(
        reverse("orgs:create"),
        {"kind": "group", "parent": mine.branch_b.pk, "name": "掘进二队第二党小组"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204
    org = PartyOrg.objects.get(name="掘进二队第二党小组")
    assert response["HX-Redirect"] == reverse("orgs:detail", args=[org.pk])
    assert org.path.startswith(mine.branch_b.path)


def test_create_form_rejects_wrong_kind_inline(mine):
    response = mine.client("zuzhi").post(
        reverse("orgs:create"), {"kind": "group", "parent": mine.committee.pk, "name": "错"}
    )
    assert response.status_code == 200
    assert "所选上级组织不能设立该类型的组织" in response.content.decode()
    assert not PartyOrg.objects.filter(name="错").exists()


def test_edit_profile(mine):
    response = mine.client("shuji").post(
        reverse("orgs:edit", args=[mine.branch_b.pk]),
        {"name": "掘进二队党支部", "secretary_name": "孙书记", "version": mine.branch_b.version},
    )
    assert response.status_code == 302
    mine.branch_b.refresh_from_db()
    assert mine.branch_b.secretary_name == "孙书记"


def test_split_form_hides_persons_from_sysadmin(mine):
    url = reverse("orgs:restructure", args=[mine.branch_a.pk, "split"])
    assert "person_ids" not in mine.client("sysadmin").get(url).context["form"].fields
    persons = mine.client("shuji").get(url).context["form"].fields["person_ids"].queryset
    assert mine.masses_a in persons and mine.member_b not in persons


def test_picker_is_scoped_and_shows_full_path(mine):
    url = reverse("orgs:picker")
    text = mine.client("secretary_a").get(url, {"picker_q": "党"}).content.decode()
    assert "综采一队第一党小组" in text and "掘进二队" not in text
    assert "测试矿党委 / 综采一队党支部 / 综采一队第一党小组" in text
    assert "没有找到" in mine.client("member_b").get(url, {"picker_q": "党"}).content.decode()


def test_list_filters_by_kind_and_warning(mine):
    client = mine.client("shuji")
    text = client.get(reverse("orgs:list"), {"kind": "group"}).content.decode()
    assert row_names(text) == ["综采一队第一党小组", "掘进二队第一党小组"]
    text = client.get(reverse("orgs:list"), {"warning": "red"}).content.decode()
    assert row_names(text) == ["综采一队党支部", "掘进二队党支部"]  # 1 full member each
    text = client.get(reverse("orgs:list"), {"q": "掘进"}).content.decode()
    assert row_names(text) == ["掘进二队党支部", "掘进二队第一党小组"]
    text = client.get(reverse("orgs:list"), {"sort": "-name", "kind": "branch"}).content.decode()
    assert row_names(text) == sorted(["综采一队党支部", "掘进二队党支部"], reverse=True)


def test_export_job_contains_only_scope(mine, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    client = mine.client("secretary_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("orgs:export"), {"q": ""})
    assert response.status_code == 200
    job = Job.objects.get(kind="export:orgs.partyorgs")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    from django.conf import settings

    sheet = load_workbook(settings.PRIVATE_DIR / job.output_file, read_only=True).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["综采一队党支部", "综采一队第一党小组"]


def test_unit_pages_and_filter_by_org_picker(mine):
    client = mine.client("shuji")
    text = client.get(reverse("orgs:unit_list"), {"party_org": mine.branch_b.pk}).content.decode()
    assert "掘进二队一班" in text and "综采一队一班" not in text
    detail = client.get(reverse("orgs:unit_detail", args=[mine.team_a1.pk])).content.decode()
    assert "综采一队第一党小组" in detail


def test_unit_create_and_edit(mine):
    client = mine.client("sysadmin")
    response = client.post(
        reverse("orgs:unit_create"),
        {
            "name": "综采一队二班",
            "kind": "team",
            "parent": mine.workshop_a.pk,
            "party_org": mine.branch_a.pk,
            "is_production": "on",
        },
    )
    assert response.status_code == 302
    from dangjian.orgs.models import Unit

    unit = Unit.objects.get(name="综采一队二班")
    assert unit.path.startswith(mine.workshop_a.path)
    response = client.post(
        reverse("orgs:unit_edit", args=[unit.pk]),
        {
            "name": "综采一队二班",
            "kind": "team",
            "parent": mine.workshop_b.pk,
            "party_org": mine.branch_b.pk,
        },
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.path.startswith(mine.workshop_b.path) and not unit.is_production


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(mine, n):
    existing = PartyOrg.objects.filter(kind="branch").count()
    for i in range(existing, n):
        org_create(name=f"第{i}党支部", kind="branch", parent=mine.committee, actor=SYSTEM)


def test_list_and_detail_query_counts_flat_from_10_to_200_orgs(mine):
    client = mine.client("shuji")
    urls = [
        reverse("orgs:list") + "?per_page=100",
        reverse("orgs:detail", args=[mine.committee.pk]),
        reverse("orgs:tree"),
        reverse("orgs:tree_children", args=[mine.committee.pk]),
    ]
    _grow(mine, 10)
    client.get(urls[0])  # warm the session
    small = [_count_queries(client, url) for url in urls]
    _grow(mine, 200)
    large = [_count_queries(client, url) for url in urls]
    assert small == large
