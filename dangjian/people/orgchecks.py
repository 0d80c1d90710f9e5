"""Member counts per organisation and the member-count rule checks (RULES.md "Organisations").

Set-based: one query reads the organisations asked about, ONE aggregate query counts Party
members grouped by their organisation's path (``Count`` with ``filter``), and the counts are
rolled up to every requested organisation whose path is a prefix. A branch therefore counts its
groups' members too. The number of queries does not depend on how many organisations are asked
about. Registered from ``PeopleConfig.ready`` with ``register_org_counter``/``register_org_check``.
"""

from __future__ import annotations

import os
from collections import defaultdict

from django.db.models import Count, Q

from dangjian.core.registries import (
    MemberCounts,
    OrgWarning,
    register_org_check,
    register_org_counter,
)
from dangjian.core.rules import rules
from dangjian.orgs.models import PATH_SEGMENT_WIDTH, PartyOrg
from dangjian.people.models import (
    PARTY_MEMBER_STATUSES,
    MembershipStatus,
    Person,
    PoliticalStatus,
)

# Members who no longer count towards a branch (RULES.md status values).
GONE = (MembershipStatus.EXPELLED, MembershipStatus.QUIT, MembershipStatus.DECEASED)
# Above this many separate subtrees, scan their common ancestor instead of OR-ing prefixes.
MAX_PREFIXES = 50
SEGMENT = PATH_SEGMENT_WIDTH + 1


def _roots(paths: list[str]) -> list[str]:
    """The minimal set of path prefixes covering all ``paths`` (nested ones dropped)."""
    roots: list[str] = []
    for path in sorted(set(paths)):
        if not roots or not path.startswith(roots[-1]):
            roots.append(path)
    if len(roots) > MAX_PREFIXES:
        common = os.path.commonprefix(roots)  # noqa: RUF071 (segment-aligned below)
        return [common[: len(common) - len(common) % SEGMENT]]
    return roots


def _counts_for_paths(org_paths: dict[int, str]) -> dict[int, MemberCounts]:
    """One aggregate query: members of each organisation's subtree."""
    if not org_paths:
        return {}
    match = Q()
    for root in _roots(list(org_paths.values())):
        match |= Q(party_org__path__startswith=root)
    rows = (
        Person.objects.filter(match)
        .exclude(membership_status__in=GONE)
        .filter(political_status__in=PARTY_MEMBER_STATUSES)
        .values("party_org__path")
        .annotate(
            members=Count("pk"),
            full=Count("pk", filter=Q(political_status=PoliticalStatus.FULL)),
        )
        .order_by()
    )
    by_path = {path: pk for pk, path in org_paths.items()}
    members: dict[int, int] = defaultdict(int)
    full: dict[int, int] = defaultdict(int)
    for row in rows:
        path = row["party_org__path"]
        for end in range(SEGMENT, len(path) + 1, SEGMENT):
            pk = by_path.get(path[:end])
            if pk is not None:
                members[pk] += row["members"]
                full[pk] += row["full"]
    return {pk: MemberCounts(members=members[pk], full=full[pk]) for pk in org_paths}


@register_org_counter
def member_counts(org_ids: list[int]) -> dict[int, MemberCounts]:
    paths = dict(PartyOrg.objects.filter(pk__in=org_ids).values_list("pk", "path"))
    return _counts_for_paths(paths)


@register_org_check
def member_count_warnings(org_ids: list[int]) -> dict[int, list[OrgWarning]]:
    """Branch too small, too large, or big enough to need a committee it does not have."""
    branches = {
        pk: (path, has_committee)
        for pk, path, has_committee in PartyOrg.objects.filter(
            pk__in=org_ids, kind=PartyOrg.Kind.BRANCH, dissolved_on__isnull=True
        ).values_list("pk", "path", "has_committee")
    }
    if not branches:
        return {}
    limits = rules(
        "org.branch_min_full_members",
        "org.branch_max_members",
        "org.committee_required_full_members",
    )
    min_full = int(limits["org.branch_min_full_members"])
    max_members = int(limits["org.branch_max_members"])
    committee_at = int(limits["org.committee_required_full_members"])
    counts = _counts_for_paths({pk: path for pk, (path, _) in branches.items()})
    result: dict[int, list[OrgWarning]] = {}
    for pk, (_, has_committee) in branches.items():
        found: list[OrgWarning] = []
        count = counts[pk]
        if count.full < min_full:
            found.append(
                OrgWarning(
                    "red",
                    "branch_too_small",
                    f"正式党员 {count.full} 名，少于 {min_full} 名，"
                    "不具备单独成立党支部的条件（可成立联合党支部）",
                )
            )
        if count.members > max_members:
            found.append(
                OrgWarning(
                    "yellow",
                    "branch_too_large",
                    f"党员 {count.members} 名，超过 {max_members} 名，宜分设党支部或党总支",
                )
            )
        if count.full >= committee_at and not has_committee:
            found.append(
                OrgWarning(
                    "yellow",
                    "committee_required",
                    f"正式党员 {count.full} 名（≥ {committee_at} 名），应设立支部委员会",
                )
            )
        if found:
            result[pk] = found
    return result
