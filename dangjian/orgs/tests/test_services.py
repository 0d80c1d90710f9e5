"""Restructuring services: paths, refusals, people following, history "as it was"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import hold_date
from dangjian.orgs.models import OrgEvent, PartyOrg, Unit, path_segment
from dangjian.orgs.selectors import org_name_at, org_names_at
from dangjian.orgs.services import (
    org_create,
    org_dissolve,
    org_merge,
    org_move,
    org_rename,
    org_split,
    org_term_change,
    org_update,
    unit_update,
)
from dangjian.people.models import Person, PersonChange

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _still_today():
    with hold_date(TODAY):  # TODAY is read once, at collection
        yield


def _reload(*objs):
    for obj in objs:
        obj.refresh_from_db()


def test_create_refuses_wrong_parent_kind(mine):
    with pytest.raises(ValidationError) as exc:
        org_create(name="错小组", kind="group", parent=mine.committee, actor=SYSTEM)
    assert "党小组只能设在党支部之下" in str(exc.value)
    with pytest.raises(ValidationError):
        org_create(name="孤支部", kind="branch", parent=None, actor=SYSTEM)


def test_create_refuses_duplicate_sibling_name(mine):
    with pytest.raises(ValidationError) as exc:
        org_create(name="综采一队党支部", kind="branch", parent=mine.committee, actor=SYSTEM)
    assert "同名" in str(exc.value)


def test_move_updates_whole_subtree_paths_in_one_update(mine):
    general = org_create(
        name="生产党总支", kind="general_branch", parent=mine.committee, actor=SYSTEM
    )
    with CaptureQueriesContext(connection) as ctx:
        org_move(
            actor=mine.users["shuji"], org=mine.branch_a, new_parent=general, effective_on=TODAY
        )
    path_updates = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("UPDATE") and "path" in q["sql"]
    ]
    assert len(path_updates) == 1
    _reload(mine.branch_a, mine.group_a1, mine.branch_b)
    assert mine.branch_a.parent_id == general.pk
    assert mine.branch_a.path == general.path + path_segment(mine.branch_a.pk)
    assert mine.group_a1.path == mine.branch_a.path + path_segment(mine.group_a1.pk)
    assert (mine.branch_a.depth, mine.group_a1.depth) == (2, 3)
    assert mine.branch_b.path == mine.committee.path + path_segment(mine.branch_b.pk)
    event = OrgEvent.objects.get(org=mine.branch_a, kind="move")
    assert (event.old_parent_id, event.new_parent_id) == (mine.committee.pk, general.pk)
    # the branch secretary's scope follows the new path (grants are read fresh)
    assert mine.member_a in Person.objects.filter(party_org__path__startswith=mine.branch_a.path)


def test_move_refuses_cycle_and_kind_rules(mine):
    general = org_create(
        name="生产党总支", kind="general_branch", parent=mine.committee, actor=SYSTEM
    )
    with pytest.raises(ValidationError) as exc:
        org_move(actor=SYSTEM, org=mine.committee, new_parent=mine.group_a1, effective_on=TODAY)
    assert "根组织" in str(exc.value)
    org_move(actor=SYSTEM, org=mine.branch_a, new_parent=general, effective_on=TODAY)
    general.refresh_from_db()
    _reload(mine.branch_a)
    with pytest.raises(ValidationError) as exc:
        org_move(actor=SYSTEM, org=general, new_parent=mine.branch_a, effective_on=TODAY)
    assert "下级组织" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        org_move(actor=SYSTEM, org=mine.group_b1, new_parent=mine.committee, effective_on=TODAY)
    assert "党小组只能设在党支部之下" in str(exc.value)


def test_move_group_takes_its_members_to_the_new_branch(mine):
    org_move(actor=SYSTEM, org=mine.group_a1, new_parent=mine.branch_b, effective_on=TODAY)
    mine.member_a.refresh_from_db()
    assert mine.member_a.party_org_id == mine.branch_b.pk
    assert mine.member_a.party_group_id == mine.group_a1.pk
    change = PersonChange.objects.filter(person=mine.member_a, source="restructure").get()
    assert change.party_org_name == "掘进二队党支部"
    # a masses person of branch A outside the group stays
    mine.masses_a.refresh_from_db()
    assert mine.masses_a.party_org_id == mine.branch_a.pk


def test_move_out_of_scope_is_refused_and_rolled_back(mine):
    with pytest.raises(PermissionDenied):
        org_move(
            actor=mine.users["secretary_a"],
            org=mine.group_a1,
            new_parent=mine.branch_b,
            effective_on=TODAY,
        )
    mine.group_a1.refresh_from_db()
    assert mine.group_a1.parent_id == mine.branch_a.pk


def test_merge_moves_children_units_members_and_writes_history(mine):
    before_changes = PersonChange.objects.count()
    org_merge(
        actor=mine.users["zuzhi"],
        source=mine.branch_a,
        target=mine.branch_b,
        effective_on=TODAY,
        note="支部优化",
    )
    _reload(mine.branch_a, mine.group_a1, mine.workshop_a, mine.member_a, mine.masses_a)
    assert mine.branch_a.dissolved_on == TODAY
    assert mine.branch_a.merged_into_id == mine.branch_b.pk
    assert mine.branch_a.display_name == "综采一队党支部（已撤销）"
    assert mine.group_a1.parent_id == mine.branch_b.pk
    assert mine.group_a1.path.startswith(mine.branch_b.path)
    assert mine.workshop_a.party_org_id == mine.branch_b.pk
    assert mine.member_a.party_org_id == mine.branch_b.pk
    assert mine.member_a.party_group_id == mine.group_a1.pk
    assert mine.masses_a.party_org_id == mine.branch_b.pk
    moved = PersonChange.objects.filter(source="restructure")
    assert PersonChange.objects.count() == before_changes + 2
    assert set(moved.values_list("party_org_name", flat=True)) == {"掘进二队党支部"}
    assert moved.get(person=mine.member_a).changes["party_org"] == [
        mine.branch_a.pk,
        mine.branch_b.pk,
    ]
    assert OrgEvent.objects.filter(org=mine.branch_a, kind="merge", related_org=mine.branch_b)
    assert OrgEvent.objects.filter(org=mine.branch_b, kind="merge", related_org=mine.branch_a)
    assert AuditEvent.objects.filter(event_type="restructure", object_id=str(mine.branch_a.pk))


def test_merge_groups_moves_group_membership_and_coverage(mine):
    group_a2 = org_create(
        name="综采一队第二党小组", kind="group", parent=mine.branch_a, actor=SYSTEM
    )
    org_merge(actor=SYSTEM, source=mine.group_a1, target=group_a2, effective_on=TODAY)
    mine.member_a.refresh_from_db()
    assert mine.member_a.party_group_id == group_a2.pk
    assert mine.member_a.party_org_id == mine.branch_a.pk
    assert list(group_a2.covered_units.all()) == [mine.team_a1]
    assert not mine.group_a1.covered_units.exists()


def test_merge_refusals(mine):
    with pytest.raises(ValidationError, match="同类型"):
        org_merge(actor=SYSTEM, source=mine.group_a1, target=mine.branch_b, effective_on=TODAY)
    with pytest.raises(ValidationError, match="自身"):
        org_merge(actor=SYSTEM, source=mine.branch_a, target=mine.branch_a, effective_on=TODAY)
    with pytest.raises(ValidationError, match="晚于今天"):
        org_merge(
            actor=SYSTEM,
            source=mine.branch_a,
            target=mine.branch_b,
            effective_on=TODAY + dt.timedelta(days=1),
        )


def test_split_creates_sibling_with_selected_groups_units_and_members(mine):
    new = org_split(
        actor=mine.users["shuji"],
        source=mine.branch_a,
        new_name="综采一队第二党支部",
        effective_on=TODAY,
        child_ids=[mine.group_a1.pk],
        unit_ids=[mine.team_a1.pk],
        person_ids=[mine.masses_a.pk],
    )
    assert new.parent_id == mine.committee.pk and new.kind == "branch"
    _reload(mine.group_a1, mine.team_a1, mine.member_a, mine.masses_a, mine.workshop_a)
    assert mine.group_a1.parent_id == new.pk
    assert mine.group_a1.path == new.path + path_segment(mine.group_a1.pk)
    assert mine.team_a1.party_org_id == new.pk
    assert mine.workshop_a.party_org_id == mine.branch_a.pk
    assert mine.member_a.party_org_id == new.pk  # followed the group
    assert mine.masses_a.party_org_id == new.pk  # selected
    assert OrgEvent.objects.filter(org=mine.branch_a, kind="split", related_org=new).exists()
    assert PersonChange.objects.filter(source="restructure", party_org=new).count() == 2


def test_split_refuses_foreign_children(mine):
    with pytest.raises(ValidationError, match="不属于"):
        org_split(
            actor=SYSTEM,
            source=mine.branch_a,
            new_name="新支部",
            effective_on=TODAY,
            child_ids=[mine.group_b1.pk],
        )
    assert not PartyOrg.objects.filter(name="新支部").exists()


def test_dissolve_refused_while_members_or_children_remain(mine):
    with pytest.raises(ValidationError) as exc:
        org_dissolve(actor=SYSTEM, org=mine.branch_a, effective_on=TODAY)
    message = str(exc.value)
    assert "下级组织" in message and "人员" in message
    mine.branch_a.refresh_from_db()
    assert mine.branch_a.dissolved_on is None


def test_dissolve_empty_org_and_with_target(mine):
    empty = org_create(name="空党小组", kind="group", parent=mine.branch_a, actor=SYSTEM)
    org_dissolve(actor=SYSTEM, org=empty, effective_on=TODAY, note="无党员")
    empty.refresh_from_db()
    assert empty.dissolved_on == TODAY and not empty.is_active
    assert OrgEvent.objects.filter(org=empty, kind="dissolve").exists()
    org_dissolve(actor=SYSTEM, org=mine.branch_a, effective_on=TODAY, target=mine.branch_b)
    mine.member_a.refresh_from_db()
    assert mine.member_a.party_org_id == mine.branch_b.pk
    assert PartyOrg.objects.get(pk=mine.branch_a.pk).dissolved_on == TODAY


def test_rename_keeps_old_name_for_earlier_dates(mine):
    old_change = PersonChange.objects.filter(person=mine.member_a).earliest("changed_at")
    day = TODAY - dt.timedelta(days=10)
    org_rename(
        actor=mine.users["zuzhi"], org=mine.branch_a, new_name="综采一区党支部", effective_on=day
    )
    mine.branch_a.refresh_from_db()
    assert mine.branch_a.name == "综采一区党支部"
    assert org_name_at(mine.branch_a, day - dt.timedelta(days=1)) == "综采一队党支部"
    assert org_name_at(mine.branch_a, day) == "综采一区党支部"
    old_change.refresh_from_db()
    assert old_change.party_org_name == "综采一队党支部"
    event = OrgEvent.objects.get(org=mine.branch_a, kind="rename")
    assert (event.old_name, event.new_name) == ("综采一队党支部", "综采一区党支部")
    with pytest.raises(ValidationError, match="上次更名"):
        org_rename(
            actor=SYSTEM,
            org=mine.branch_a,
            new_name="再改",
            effective_on=day - dt.timedelta(days=1),
        )


def test_org_names_at_is_set_based(mine):
    d1, d2 = TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=5)
    org_rename(actor=SYSTEM, org=mine.branch_a, new_name="甲", effective_on=d1)
    org_rename(actor=SYSTEM, org=mine.branch_a, new_name="乙", effective_on=d2)
    ids = [mine.branch_a.pk, mine.branch_b.pk, mine.group_a1.pk]
    with CaptureQueriesContext(connection) as ctx:
        names = org_names_at(ids, d1 - dt.timedelta(days=1))
    assert len(ctx.captured_queries) == 1
    assert names == {
        mine.branch_a.pk: "综采一队党支部",
        mine.branch_b.pk: "掘进二队党支部",
        mine.group_a1.pk: "综采一队第一党小组",
    }
    assert org_names_at(ids, d1)[mine.branch_a.pk] == "甲"
    assert org_names_at(ids, TODAY)[mine.branch_a.pk] == "乙"


def test_dissolved_org_still_resolves_by_id(mine):
    empty = org_create(name="临时党小组", kind="group", parent=mine.branch_b, actor=SYSTEM)
    org_dissolve(actor=SYSTEM, org=empty, effective_on=TODAY)
    assert org_name_at(empty.pk, TODAY) == "临时党小组"
    assert PartyOrg.objects.get(pk=empty.pk).display_name == "临时党小组（已撤销）"


def test_term_change_defaults_to_rule_length(mine):
    start = TODAY - dt.timedelta(days=3)
    org = org_term_change(
        actor=SYSTEM, org=mine.branch_a, term_started_on=start, has_committee=True
    )
    assert org.term_ends_on == start.replace(year=start.year + 3)
    assert org.has_committee
    assert OrgEvent.objects.filter(org=org, kind="term").exists()
    with pytest.raises(ValidationError, match="党小组"):
        org_term_change(actor=SYSTEM, org=mine.group_a1, term_started_on=start, has_committee=False)


def test_update_profile_and_stale_version(mine):
    org = org_update(
        actor=mine.users["shuji"],
        org=mine.branch_a,
        data={"secretary_name": "赵书记", "contact_phone": "0561-1234567"},
        expected_version=mine.branch_a.version,
    )
    assert org.secretary_name == "赵书记"
    event = AuditEvent.objects.filter(event_type="update", object_id=str(org.pk)).latest("id")
    assert event.changes["secretary_name"] == ["", "赵书记"]
    from dangjian.orgs.services import StaleVersion

    with pytest.raises(StaleVersion):
        org_update(
            actor=SYSTEM, org=org, data={"secretary_name": "钱"}, expected_version=org.version - 1
        )
    with pytest.raises(ValidationError, match="任期届满"):
        org_update(
            actor=SYSTEM,
            org=org,
            data={"term_started_on": TODAY, "term_ends_on": TODAY - dt.timedelta(days=1)},
        )


def test_profile_changes_are_history_and_move_the_figures_version(mine):

    from dangjian.people.analytics import SNAPSHOT_FORMAT, snapshot_lookup
    from dangjian.people.models import AnalyticsSnapshot

    def version() -> str:
        found = snapshot_lookup(AnalyticsSnapshot, "k", timezone.localdate(), fmt=SNAPSHOT_FORMAT)
        return str(found.version)

    before = version()
    org = org_update(
        actor=SYSTEM, org=mine.branch_a, data={"has_committee": True, "term_ends_on": TODAY}
    )
    event = OrgEvent.objects.filter(org=org).latest("id")
    assert event.kind == OrgEvent.Kind.UPDATE
    assert event.note == "变更：设支部委员会、本届任期届满", event.note
    assert version() != before  # the home page and analytics recompute at once
    # a name alone is a rename, no second event
    count = OrgEvent.objects.filter(org=org).count()
    org_update(actor=SYSTEM, org=org, data={"name": "综采一队第一党支部"})
    assert list(OrgEvent.objects.filter(org=org).values_list("kind", flat=True))[count:] == [
        OrgEvent.Kind.RENAME
    ]
    # no change, no event
    org_update(actor=SYSTEM, org=org, data={"has_committee": True})
    assert OrgEvent.objects.filter(org=org).count() == count + 1


def test_update_refused_without_change_permission(mine):
    with pytest.raises(PermissionDenied):
        org_update(actor=mine.users["secretary_a"], org=mine.branch_a, data={"code": "X"})


def test_unit_move_updates_subtree(mine):
    workshop_c = Unit.objects.create(name="机电科", kind="department", parent=mine.mine)
    workshop_c.compute_path()
    workshop_c.save()
    unit_update(actor=SYSTEM, unit=mine.team_a1, data={"parent": workshop_c})
    mine.team_a1.refresh_from_db()
    assert mine.team_a1.path == workshop_c.path + path_segment(mine.team_a1.pk)
    with pytest.raises(ValidationError, match="下级单位之下"):
        unit_update(actor=SYSTEM, unit=mine.mine, data={"parent": mine.team_a1})
