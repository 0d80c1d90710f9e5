"""The left navigation is rendered once per access profile, and is never stale or shared wrongly.

Every menu predicate depends on the signed-in state, the administrator role, the permissions
of the user's grants (read fresh on each request) and whether an employee record is linked;
``core.registries.nav_links`` caches by exactly those, so these tests compare the cached menu
with a fresh ``nav_for`` and change a user's roles between requests.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dangjian.accounts.models import Role, RoleAssignment
from dangjian.core import registries
from dangjian.core.registries import nav_for

pytestmark = pytest.mark.django_db

PERSONAS = ("shuji", "zuzhi", "union", "secretary_a", "worker_a", "member_b", "employee_a")


def _menu_links(html: str) -> list[str]:
    return re.findall(r'class="nav-link py-1(?: active" aria-current="page)?" href="([^"]+)"', html)


def _nav_block(content: str) -> str:
    start = content.index('id="sidenav"')
    return content[start : content.index("</nav>", start)]


@pytest.mark.parametrize("role", PERSONAS)
def test_cached_menu_equals_a_fresh_one(mine, role):
    registries._nav_links.clear()
    client = mine.client(role)
    for _ in range(2):  # the second request is served from the cache
        html = _nav_block(client.get("/").content.decode())
        user = mine.users[role]
        user.refresh_from_db()
        expected = [item.url for _, items in nav_for(user) for item in items]
        assert _menu_links(html) == expected


def test_profiles_are_not_shared_between_different_permissions(mine):
    registries._nav_links.clear()
    leader = _menu_links(_nav_block(mine.client("shuji").get("/").content.decode()))
    member = _menu_links(_nav_block(mine.client("member_b").get("/").content.decode()))
    assert reverse("people:analytics") in leader
    assert reverse("people:analytics") not in member
    assert len(registries._nav_links) == 2


def test_role_change_shows_in_the_next_request(mine):
    registries._nav_links.clear()
    client = mine.client("member_b")
    before = _menu_links(_nav_block(client.get("/").content.decode()))
    assert reverse("people:analytics") not in before
    RoleAssignment.objects.create(
        user=mine.users["member_b"],
        role=Role.objects.get(code="committee_leader"),
        party_org=mine.committee,
    )
    after = _menu_links(_nav_block(client.get("/").content.decode()))
    assert reverse("people:analytics") in after
    RoleAssignment.objects.filter(
        user=mine.users["member_b"], role__code="committee_leader"
    ).delete()
    again = _menu_links(_nav_block(client.get("/").content.decode()))
    assert again == before


def test_the_current_page_is_marked_active_and_only_it(mine):
    client = mine.client("shuji")
    url = reverse("people:list")
    html = _nav_block(client.get(url).content.decode())
    assert html.count('aria-current="page"') == 1
    assert f'class="nav-link py-1 active" aria-current="page" href="{url}"' in html
    other = _nav_block(client.get(reverse("people:analytics")).content.decode())
    assert f'class="nav-link py-1" href="{url}"' in other
