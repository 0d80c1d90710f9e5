"""Synthetic scale data is deterministic, valid and shaped as asked."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.core.identity import citizen_id_birth_date, citizen_id_gender, validate_citizen_id
from dangjian.demo.synthetic import Shape, content_digest
from dangjian.orgs.models import PartyOrg, Unit
from dangjian.people.models import Person

pytestmark = pytest.mark.django_db


def run_generate(**options) -> str:
    out = io.StringIO()
    call_command("generate", digest=True, stdout=out, **options)
    match = re.search(r"digest ([0-9a-f]{64})", out.getvalue())
    assert match, out.getvalue()
    return match.group(1)


def test_same_seed_gives_same_content():
    first = run_generate(persons=2000, seed=1)
    assert Person.objects.count() == 2000
    assert PartyOrg.objects.count() >= 2000 / 20
    second = run_generate(persons=2000, seed=1, reset=True)
    assert first == second
    third = run_generate(persons=2000, seed=2, reset=True)
    assert third != first
    assert content_digest() == third


def test_generated_rows_are_valid():
    run_generate(persons=1500, seed=7, orgs=120)
    assert PartyOrg.objects.count() == 120
    assert Person.objects.values("citizen_id_bidx").distinct().count() == 1500
    for person in Person.objects.select_related("party_org", "party_group", "unit")[:300]:
        cid = validate_citizen_id(person.citizen_id)
        assert citizen_id_birth_date(cid) == person.birth_date
        assert citizen_id_gender(cid) == person.gender
        assert person.unit.path.startswith(
            Unit.objects.get(kind="mine", party_org__path=person.party_org.path[:9]).path
        )
        if person.is_party_member:
            assert person.party_group is not None
            assert person.party_group.path.startswith(person.party_org.path)
    for org in PartyOrg.objects.select_related("parent")[:500]:
        assert org.path == (org.parent.path if org.parent else "") + f"{org.pk:08x}."
    # every team is covered by its group
    teams = Unit.objects.filter(kind="team")[:100]
    assert all(t.covering_groups.count() == 1 for t in teams)  # type: ignore[attr-defined]


def test_generate_refuses_existing_data_without_reset():
    run_generate(persons=100, seed=1)
    with pytest.raises(CommandError):
        call_command("generate", persons=100, seed=1, stdout=io.StringIO())


@pytest.mark.parametrize("persons", [1000, 20_000, 1_000_000])
def test_shape_has_enough_organisations(persons):
    shape = Shape.for_counts(persons, None)
    assert shape.orgs >= persons / 20
    assert shape.groups >= shape.branches >= shape.general_branches >= shape.committees >= 1


def test_reset_drops_derived_snapshots(db):
    """Snapshots of derived figures have no foreign key into the data; a reset still drops
    them, so a regenerated set never shows the previous set's figures."""
    from django.utils import timezone

    from dangjian.dashboard.models import HomeSnapshot
    from dangjian.demo.wipe import wipe_business_data
    from dangjian.people.models import AnalyticsSnapshot

    for model in (AnalyticsSnapshot, HomeSnapshot):
        model.objects.create(scope_key="x", version="v", computed_at=timezone.now(), data={})
    wipe_business_data()
    assert not AnalyticsSnapshot.objects.exists()
    assert not HomeSnapshot.objects.exists()
