"""Home page at scale (docs/decisions.md): the business figures and organisation warnings come
from a snapshot per data scope, recomputed as soon as persons, organisations or rules change,
after at most ``people.analytics_cache_minutes`` otherwise; never shared across scopes."""

from __future__ import annotations

import datetime as dt

import time_machine

from dangjian.core.models import Rule
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import clear_of_midnight, person_data
from dangjian.dashboard import selectors
from dangjian.dashboard.models import HomeSnapshot
from dangjian.people.models import Person
from dangjian.people.services import person_create, person_update


def _home(client):
    return client.get("/").context["home"]


def _figures(client) -> dict[str, object]:
    return {f.label: f.value for f in _home(client).figures}


def _spy(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = selectors._business_figures

    def counting(user):
        calls.append(1)
        return real(user)

    monkeypatch.setattr(selectors, "_business_figures", counting)
    return calls


def test_second_view_is_served_from_the_snapshot(mine, monkeypatch):
    calls = _spy(monkeypatch)
    client = mine.client("shuji")
    first = client.get("/")
    second = client.get("/")
    assert len(calls) == 1
    assert HomeSnapshot.objects.count() == 1
    assert not first.context["home"].cached
    assert second.context["home"].cached
    assert 'data-testid="computed-at"' in second.content.decode()
    assert "数据更新于" in second.content.decode()
    for name in ("figures", "todos", "warnings_total"):
        assert getattr(second.context["home"], name) == getattr(first.context["home"], name)


def test_branch_secretary_never_sees_the_committees_figures(mine):
    committee, secretary = mine.client("shuji"), mine.client("secretary_a")
    assert _figures(committee)["职工总数"] == 3  # the committee's snapshot is stored first
    home = _home(secretary)
    assert not home.cached  # not the committee's row: a snapshot of the secretary's own scope
    numbers = {f.label: f.value for f in home.figures}
    assert (numbers["职工总数"], numbers["党员"], numbers["党支部"]) == (2, 1, 1)
    assert _figures(secretary)["职工总数"] == 2  # and from the secretary's snapshot
    texts = " ".join(t.text for t in _home(secretary).todos)
    assert mine.branch_a.name in texts
    assert mine.branch_b.name not in texts  # branch B's warning is the committee's only
    assert mine.branch_b.name in " ".join(t.text for t in _home(committee).todos)
    assert _figures(committee)["职工总数"] == 3
    assert HomeSnapshot.objects.count() == 2
    assert len(set(HomeSnapshot.objects.values_list("scope_key", flat=True))) == 2


def test_added_person_shows_on_the_next_request(mine, monkeypatch):
    calls = _spy(monkeypatch)
    client = mine.client("shuji")
    assert _figures(client)["职工总数"] == 3
    assert _figures(client)["职工总数"] == 3
    assert len(calls) == 1
    person_create(actor=SYSTEM, data=person_data(mine, seq=40))
    assert _figures(client)["职工总数"] == 4
    assert _figures(client)["党员"] == 3
    assert len(calls) == 2


def test_person_update_through_the_service_shows_at_once(mine):
    secretary = mine.client("secretary_a")
    assert not any("失联" in t.text for t in _home(secretary).todos)
    person_update(
        actor=SYSTEM,
        person=mine.member_a,
        data={"lost_contact": True, "lost_contact_on": mine.member_a.joined_party_on},
    )
    assert any("失联" in t.text for t in _home(secretary).todos)


def test_rule_change_recomputes_the_warnings(mine):
    client = mine.client("shuji")
    assert any("少于 3 名" in t.text for t in _home(client).todos)
    row = Rule.objects.get(key="org.branch_min_full_members")
    row.value = 1
    row.save()  # as the rule pages do (updated_at moves)
    todos = _home(client).todos
    assert not any("少于" in t.text for t in todos)


def test_untraced_change_shows_after_the_maximum_age(mine):
    with time_machine.travel(clear_of_midnight(), tick=False) as traveller:
        client = mine.client("shuji")
        assert _figures(client)["党员"] == 2
        Person.objects.filter(pk=mine.member_b.pk).update(political_status="masses")
        traveller.shift(dt.timedelta(minutes=9))
        assert _figures(client)["党员"] == 2  # within people.analytics_cache_minutes (10)
        traveller.shift(dt.timedelta(minutes=2))
        assert _figures(client)["党员"] == 1


def test_new_day_recomputes(mine, monkeypatch):
    calls = _spy(monkeypatch)
    with time_machine.travel(dt.datetime(2026, 6, 1, 15, 55, tzinfo=dt.UTC), tick=False) as t:
        client = mine.client("shuji")
        client.get("/")
        t.shift(dt.timedelta(minutes=6))  # 00:01 next day in Asia/Shanghai
        client.get("/")
    assert len(calls) == 2


def test_rule_zero_turns_the_snapshot_off(mine, monkeypatch):
    Rule.objects.filter(key="people.analytics_cache_minutes").update(value=0)
    calls = _spy(monkeypatch)
    client = mine.client("shuji")
    client.get("/")
    assert not _home(client).cached
    assert len(calls) == 2
    assert not HomeSnapshot.objects.exists()


def test_organisation_warnings_are_capped_with_the_total(mine, monkeypatch):
    monkeypatch.setattr(selectors, "WARNING_LIMIT", 1)
    client = mine.client("shuji")
    for response in (client.get("/"), client.get("/")):  # computed, then from the snapshot
        home = response.context["home"]
        org_todos = [t for t in home.todos if "党支部：" in t.text]
        assert home.warnings_total == 2  # branches A and B: too few full members
        assert len(org_todos) == 1
        body = response.content.decode()
        assert 'data-testid="more-warnings"' in body
        assert "共 2 条组织预警" in body
        assert "warning=any" in body
