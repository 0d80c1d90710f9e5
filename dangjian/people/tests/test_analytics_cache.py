"""Structure analytics at scale (docs/decisions.md): the page's figures come from a snapshot
per data scope, recomputed as soon as persons or organisations change, after at most
``people.analytics_cache_minutes`` otherwise, and capped at ``DISPLAY_LIMIT`` rows per figure."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.urls import reverse

from dangjian.core.models import Rule
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import clear_of_midnight
from dangjian.people import analytics
from dangjian.people.models import AnalyticsSnapshot, Person
from dangjian.people.services import person_update

URL = reverse("people:analytics")


def _members_total(client) -> int:
    page = client.get(URL).content.decode()
    match = re.search(r"共 (\d+) 名党员", page)
    assert match, page[:500]
    return int(match.group(1))


def _spy(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = analytics.structure

    def counting(**kwargs):
        calls.append(1)
        return real(**kwargs)

    monkeypatch.setattr(analytics, "structure", counting)
    return calls


def test_second_view_is_served_from_the_snapshot(mine, monkeypatch):
    calls = _spy(monkeypatch)
    client = mine.client("shuji")
    first = client.get(URL).content.decode()
    second = client.get(URL).content.decode()
    assert len(calls) == 1
    assert AnalyticsSnapshot.objects.count() == 1
    assert 'data-testid="computed-at">数据更新于' in second
    strip = re.compile(r'nonce="[^"]*"|[A-Za-z0-9]{64}')  # CSP nonce, masked CSRF tokens
    assert strip.sub("", first) == strip.sub("", second)


def test_scopes_do_not_share_figures(mine):
    shuji, secretary = mine.client("shuji"), mine.client("secretary_a")
    assert _members_total(shuji) == 2
    assert _members_total(secretary) == 1
    assert _members_total(shuji) == 2
    assert AnalyticsSnapshot.objects.count() == 2


def test_person_change_through_the_service_shows_at_once(mine, monkeypatch):
    calls = _spy(monkeypatch)
    client = mine.client("shuji")
    assert _members_total(client) == 2
    person_update(
        actor=SYSTEM, person=mine.masses_a, data={"political_status": "activist"}
    )  # an activist is not a member: the count stays, but the data version moved
    assert _members_total(client) == 2
    assert len(calls) == 2
    person_update(actor=SYSTEM, person=mine.member_b, data={"political_status": "masses"})
    assert _members_total(client) == 1


def test_untraced_change_shows_after_the_maximum_age(mine):
    with time_machine.travel(clear_of_midnight(), tick=False) as traveller:
        client = mine.client("shuji")
        assert _members_total(client) == 2
        Person.objects.filter(pk=mine.member_b.pk).update(political_status="masses")
        traveller.shift(dt.timedelta(minutes=9))
        assert _members_total(client) == 2  # within people.analytics_cache_minutes (10)
        traveller.shift(dt.timedelta(minutes=2))
        assert _members_total(client) == 1


def test_new_day_recomputes(mine, monkeypatch):
    calls = _spy(monkeypatch)
    with time_machine.travel(dt.datetime(2026, 6, 1, 15, 55, tzinfo=dt.UTC), tick=False) as t:
        client = mine.client("shuji")
        client.get(URL)
        t.shift(dt.timedelta(minutes=6))  # 00:01 next day in Asia/Shanghai
        client.get(URL)
    assert len(calls) == 2


def test_rule_zero_turns_the_snapshot_off(mine, monkeypatch):
    Rule.objects.filter(key="people.analytics_cache_minutes").update(value=0)
    calls = _spy(monkeypatch)
    client = mine.client("shuji")
    client.get(URL)
    client.get(URL)
    assert len(calls) == 2
    assert not AnalyticsSnapshot.objects.exists()


def test_long_figures_are_capped_with_totals(mine, monkeypatch):
    monkeypatch.setattr(analytics, "DISPLAY_LIMIT", 1)
    page = analytics.page_structure(user=SYSTEM)
    full = analytics.structure(user=SYSTEM)
    assert len(full.groups) > 1
    assert len(page.data.groups) == 1
    assert page.totals["groups"] == len(full.groups)
    assert page.totals["front_line"] == len(full.front_line)
    cached = analytics.page_structure(user=SYSTEM)
    assert cached.cached and cached.totals == page.totals
    assert cached.data.groups == page.data.groups


def test_a_stored_snapshot_is_decoded_once_per_process(mine, monkeypatch):
    decodes: list[int] = []
    real = analytics._from_json

    def counted(*args, **kwargs):
        decodes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(analytics, "_from_json", counted)
    analytics._decoded.clear()
    user = mine.users["shuji"]
    computed = analytics.page_structure(user=user)  # computes and stores
    first = analytics.page_structure(user=user)  # decodes the stored snapshot
    second = analytics.page_structure(user=user)  # the same decoded page
    assert len(decodes) == 1 and first is second
    assert first.token == computed.token and first.data.members_total == 2
    person_update(actor=SYSTEM, person=mine.member_b, data={"political_status": "masses"})
    changed = analytics.page_structure(user=user)  # new data version: computed again
    assert changed.data.members_total == 1 and changed.token != first.token
    assert analytics.page_structure(user=user).data.members_total == 1
