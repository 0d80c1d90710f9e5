"""Person list filter choices scale (docs/performance.md): groups and units follow the chosen
organisation and are capped, so the page does not list 50,000 organisations."""

from __future__ import annotations

from django.urls import reverse

from dangjian.people.views import records

LIST = reverse("people:list")


def test_choices_follow_the_chosen_organisation(mine):
    client = mine.client("shuji")
    page = client.get(LIST).content.decode()
    assert f'<option value="{mine.group_a1.pk}"' in page
    assert f'<option value="{mine.group_b1.pk}"' in page
    narrowed = client.get(LIST, {"party_org": mine.branch_a.pk}).content.decode()
    assert f'<option value="{mine.group_a1.pk}"' in narrowed
    assert f'<option value="{mine.group_b1.pk}"' not in narrowed


def test_too_many_choices_ask_for_an_organisation_and_keep_the_filter(mine, monkeypatch):
    monkeypatch.setattr(records, "CHOICE_LIMIT", 1)
    client = mine.client("shuji")
    page = client.get(LIST, {"party_group": mine.group_a1.pk}).content.decode()
    assert 'data-testid="choices-capped"' in page
    assert 'id="f-group"' not in page
    assert f'<input type="hidden" name="party_group" value="{mine.group_a1.pk}">' in page
    uncapped = client.get(LIST).content.decode()
    monkeypatch.setattr(records, "CHOICE_LIMIT", 300)
    assert 'data-testid="choices-capped"' not in client.get(LIST).content.decode()
    assert uncapped != ""
