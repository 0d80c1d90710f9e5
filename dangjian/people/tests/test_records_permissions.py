"""Permission matrix of the person record pages (AC-01..04): every URL × persona × a person in
and out of the persona's scope → 200 / 403 / 404. Admins never see person data (三员)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dangjian.core.registries import nav_for

pytestmark = pytest.mark.django_db

# For each persona: the person that is "in" scope and one that is "out".
SUBJECTS = {
    "shuji": ("member_a", None),
    "zuzhi": ("member_a", None),
    "union": ("member_a", None),
    "secretary_a": ("member_a", "member_b"),
    "worker_a": ("member_a", "member_b"),
    "member_b": ("member_b", "member_a"),
    "employee_a": ("masses_a", "member_a"),
    "sysadmin": (None, "member_a"),
    "secadmin": (None, "member_a"),
    "auditor": (None, "member_a"),
}

# url name -> persona -> (status in scope, status out of scope); list/create have no object.
MATRIX: dict[str, dict[str, Any]] = {
    "list": {
        "shuji": 200,
        "zuzhi": 200,
        "union": 200,
        "secretary_a": 200,
        "worker_a": 200,
        "member_b": 200,
        "employee_a": 200,
        "sysadmin": 403,
        "secadmin": 403,
        "auditor": 403,
    },
    "create": {
        "shuji": 200,
        "zuzhi": 200,
        "union": 403,
        "secretary_a": 200,
        "worker_a": 200,
        "member_b": 403,
        "employee_a": 403,
        "sysadmin": 403,
        "secadmin": 403,
        "auditor": 403,
    },
    "detail": {
        "shuji": (200, None),
        "zuzhi": (200, None),
        "union": (200, None),
        "secretary_a": (200, 404),
        "worker_a": (200, 404),
        "member_b": (200, 404),
        "employee_a": (200, 404),
        "sysadmin": (None, 403),
        "secadmin": (None, 403),
        "auditor": (None, 403),
    },
    "edit": {
        "shuji": (200, None),
        "zuzhi": (200, None),
        "union": (403, None),
        "secretary_a": (200, 404),
        "worker_a": (200, 404),
        "member_b": (403, 403),
        "employee_a": (403, 403),
        "sysadmin": (None, 403),
        "secadmin": (None, 403),
        "auditor": (None, 403),
    },
    "reveal": {  # GET of the reason form
        "shuji": (200, None),
        "zuzhi": (200, None),
        "union": (403, None),
        "secretary_a": (200, 404),
        "worker_a": (403, 404),
        "member_b": (403, 404),
        "employee_a": (403, 404),
        "sysadmin": (None, 403),
        "secadmin": (None, 403),
        "auditor": (None, 403),
    },
    "reveal_post": {
        "shuji": (200, None),
        "zuzhi": (200, None),
        "union": (403, None),
        "secretary_a": (200, 404),
        "worker_a": (403, 404),
        "member_b": (403, 404),
        "employee_a": (403, 404),
        "sysadmin": (None, 403),
        "secadmin": (None, 403),
        "auditor": (None, 403),
    },
}

CASES: list[tuple[str, str, str | None, int]] = []
for url_name, per_role in MATRIX.items():
    for role, expected in per_role.items():
        if isinstance(expected, tuple):
            for which, status in zip(("in", "out"), expected, strict=True):
                if status is not None:
                    CASES.append((url_name, role, which, status))
        else:
            CASES.append((url_name, role, None, expected))


@pytest.mark.parametrize(("url_name", "role", "which", "expected"), CASES)
def test_matrix(mine, url_name, role, which, expected):
    client = mine.client(role)
    subject: Any = None
    if which is not None:
        subject = getattr(mine, str(SUBJECTS[role][0 if which == "in" else 1]))
    if url_name == "reveal_post":
        response = client.post(
            reverse("people:reveal", args=[subject.pk]),
            {"field": "citizen_id", "reason": "权限矩阵测试"},
        )
    elif url_name == "reveal":
        response = client.get(reverse("people:reveal", args=[subject.pk]), {"field": "phone"})
    else:
        args = [subject.pk] if subject is not None else []
        response = client.get(reverse(f"people:{url_name}", args=args))
    assert response.status_code == expected
    if subject is not None and expected != 200:
        body = response.content.decode()
        assert subject.name not in body
        assert subject.citizen_id not in body


def test_anonymous_redirected_to_login(client, mine):
    for url in (
        reverse("people:list"),
        reverse("people:create"),
        reverse("people:detail", args=[mine.member_a.pk]),
        reverse("people:edit", args=[mine.member_a.pk]),
        reverse("people:reveal", args=[mine.member_a.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_missing_person_is_404_like_out_of_scope(mine):
    client = mine.client("secretary_a")
    assert client.get(reverse("people:detail", args=[999999])).status_code == 404
    assert client.get(reverse("people:detail", args=[mine.member_b.pk])).status_code == 404


def test_list_contents_per_persona(mine):
    expected = {
        "member_b": {"王二支部党员"},
        "employee_a": {"李群众"},
        "secretary_a": {"张支部党员", "李群众"},
    }
    every = {"张支部党员", "李群众", "王二支部党员"}
    for role, names in expected.items():
        body = mine.client(role).get(reverse("people:list")).content.decode()
        assert {n for n in every if n in body} == names


def test_self_scope_sees_history_only_with_permission(mine):
    own_b = mine.client("member_b").get(reverse("people:detail", args=[mine.member_b.pk]))
    assert own_b.content.decode().count('data-testid="history-row"') == 1
    own_e = mine.client("employee_a").get(reverse("people:detail", args=[mine.masses_a.pk]))
    assert 'data-testid="history-row"' not in own_e.content.decode()
    assert 'data-testid="person-edit"' not in own_b.content.decode()
    shuji = mine.client("shuji").get(reverse("people:detail", args=[mine.member_b.pk]))
    assert 'data-testid="person-edit"' in shuji.content.decode()


def test_post_only_validate_and_unsafe_methods(mine):
    client = mine.client("secretary_a")
    assert client.get(reverse("people:validate")).status_code == 405
    assert client.delete(reverse("people:detail", args=[mine.member_a.pk])).status_code == 405
    assert client.post(reverse("people:list")).status_code == 405


def test_csrf_enforced_on_reveal(mine):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(mine.users["secretary_a"])
    response = client.post(
        reverse("people:reveal", args=[mine.member_a.pk]), {"field": "phone", "reason": "核对"}
    )
    assert response.status_code == 403
    assert mine.member_a.phone not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("shuji", {"人员名册", "人员导入", "结构分析"}),
        ("union", {"人员名册", "结构分析"}),
        ("secretary_a", {"人员名册", "人员导入", "结构分析"}),
        ("member_b", {"人员名册"}),
        ("sysadmin", set()),
        ("auditor", set()),
    ],
)
def test_menu_entries_follow_permissions(mine, role, expected):
    sections = dict(nav_for(mine.users[role]))
    labels = {item.label for item in sections.get("人员管理", [])}
    routes = {"人员导入": "people:import", "结构分析": "people:analytics"}
    for label, name in routes.items():
        try:
            reverse(name)
        except Exception:
            expected = expected - {label}
    assert labels == expected
