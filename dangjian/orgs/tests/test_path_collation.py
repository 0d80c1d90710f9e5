"""Subtree ranges on the materialised path hold whatever the database's default collation:
the path columns compare byte by byte (``orgs.models.PathField``; PostgreSQL "C")."""

from __future__ import annotations

import pytest
from django.db import connection

from dangjian.orgs.models import PATH_END, PartyOrg, Unit, subtree_range

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [PartyOrg, Unit])
def test_subtree_range_is_the_prefix_set(mine, model):
    nodes = list(model.objects.values_list("pk", "path"))
    assert len(nodes) > 3
    deep = [path for _, path in nodes if path.count(".") >= 2]
    assert deep, "the tree must have children for the range to mean something"
    for _, path in nodes:
        in_range = set(model.objects.filter(**subtree_range(path)).values_list("pk", flat=True))
        by_prefix = {pk for pk, other in nodes if other.startswith(path)}
        assert in_range == by_prefix, path


@pytest.mark.parametrize("table", ["orgs_partyorg", "orgs_unit"])
def test_path_columns_compare_bytewise(table):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite compares text bytewise (BINARY) by default")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_name = 'path'",
            [table],
        )
        assert cursor.fetchone()[0] == "C"


def test_why_a_linguistic_collation_would_break_the_range():
    """Under an ICU collation the end of a range sorts before the children's paths."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL collations")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'")
        if cursor.fetchone() is None:
            pytest.skip("PostgreSQL built without ICU")
        child, end = "00000001.0000000a.", "00000001." + PATH_END
        cursor.execute(
            'SELECT %s < %s COLLATE "C", %s < %s COLLATE "und-x-icu"', [child, end, child, end]
        )
        assert cursor.fetchone() == (True, False)
