"""Person list filters scale (docs/performance.md): organisation, party group and unit are
chosen with the orgs app's tree pickers, which search on demand, so the page itself never lists
organisations or units (50,000 at 1M persons); group and unit matches follow the chosen
organisation and the user's scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

LIST = reverse("people:list")
ORG_PICKER = reverse("orgs:picker")
UNIT_PICKER = reverse("orgs:unit_picker")


def picked(html: str) -> list[str]:
    """Names offered by a picker's result list, in order."""
    import re

    return re.findall(r'data-org-label="([^"]+)"', html)


def test_page_lists_no_groups_or_units_but_offers_the_pickers(mine):
    page = mine.client("shuji").get(LIST).content.decode()
    assert f'<option value="{mine.group_a1.pk}"' not in page
    assert f'<option value="{mine.team_a1.pk}"' not in page
    for testid in ("org-filter", "group-filter", "unit-filter"):
        assert f'data-testid="{testid}"' in page
    assert f'hx-get="{UNIT_PICKER}"' in page
    assert 'hx-vals="{&quot;kind&quot;: &quot;group&quot;}"' in page
    assert 'hx-include="[data-org-picker-value][name=party_org]"' in page
    # the picker's stylesheet and script once, not once per picker
    assert page.count("orgs/picker.") == 1


def test_chosen_filters_show_their_names_and_keep_their_values(mine):
    client = mine.client("shuji")
    page = client.get(
        LIST,
        {"party_org": mine.branch_a.pk, "party_group": mine.group_a1.pk, "unit": mine.team_a1.pk},
    ).content.decode()
    assert f'name="party_org" value="{mine.branch_a.pk}"' in page
    assert f'name="party_group" value="{mine.group_a1.pk}"' in page
    assert f'name="unit" value="{mine.team_a1.pk}"' in page
    assert 'value="综采一队党支部"' in page
    assert 'value="综采一队第一党小组"' in page
    assert 'value="综采一队一班"' in page


def test_out_of_scope_choice_shows_no_name(mine):
    client = mine.client("secretary_a")
    page = client.get(
        LIST, {"party_group": mine.group_b1.pk, "unit": mine.team_b1.pk}
    ).content.decode()
    assert "掘进二队第一党小组" not in page
    assert "掘进二队一班" not in page
    assert 'data-testid="person-empty"' in page


def test_label_statements_only_for_chosen_filters(mine):
    client = mine.client("shuji")
    client.get(LIST)  # warm the session and menu caches

    def statements(params: dict) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST, params).status_code == 200
        return len(ctx.captured_queries)

    plain = statements({})
    by_org = statements({"party_org": mine.branch_a.pk})
    assert by_org == plain + 1
    # organisation and group names come from one statement; the unit's from one more
    both = statements({"party_org": mine.branch_a.pk, "party_group": mine.group_a1.pk})
    assert both == by_org
    assert statements({"party_org": mine.branch_a.pk, "unit": mine.team_a1.pk}) == by_org + 1


def test_group_picker_follows_the_chosen_organisation(mine):
    client = mine.client("shuji")
    everything = picked(client.get(ORG_PICKER, {"kind": "group"}).content.decode())
    assert everything == ["综采一队第一党小组", "掘进二队第一党小组"]
    narrowed = client.get(ORG_PICKER, {"kind": "group", "party_org": mine.branch_a.pk})
    assert picked(narrowed.content.decode()) == ["综采一队第一党小组"]
    # an unknown kind is ignored rather than an error
    assert len(picked(client.get(ORG_PICKER, {"kind": "x"}).content.decode())) == 5


def test_unit_picker_follows_organisation_and_scope(mine):
    shuji = mine.client("shuji")
    names = picked(shuji.get(UNIT_PICKER).content.decode())
    assert names == ["测试煤矿", "综采一队", "综采一队一班", "掘进二队", "掘进二队一班"]
    text = shuji.get(UNIT_PICKER, {"party_org": mine.branch_a.pk}).content.decode()
    assert picked(text) == ["综采一队", "综采一队一班"]
    assert "测试煤矿 / 综采一队 / 综采一队一班" in text
    assert picked(shuji.get(UNIT_PICKER, {"picker_q": "掘进"}).content.decode()) == [
        "掘进二队",
        "掘进二队一班",
    ]

    secretary = mine.client("secretary_a")
    assert "掘进" not in secretary.get(UNIT_PICKER).content.decode()
    # narrowing to an organisation outside the scope finds nothing (not the whole scope)
    outside = secretary.get(UNIT_PICKER, {"party_org": mine.branch_b.pk}).content.decode()
    assert picked(outside) == [] and "没有找到匹配的单位" in outside
    outside = secretary.get(ORG_PICKER, {"kind": "group", "party_org": mine.branch_b.pk})
    assert picked(outside.content.decode()) == []


@pytest.mark.parametrize("role", ["member_b", "employee_a", "secadmin", "auditor"])
def test_pickers_find_nothing_for_roles_without_organisation_access(mine, role):
    client = mine.client(role)
    for url in (ORG_PICKER, UNIT_PICKER):
        response = client.get(url, {"picker_q": "队"})
        assert response.status_code == 200
        assert picked(response.content.decode()) == [], (role, url)
