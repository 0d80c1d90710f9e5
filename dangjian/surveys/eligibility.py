"""Who may answer a survey: the audience of the subject branch (members, masses or both).

* members — Party members (党籍正常) whose ``party_org`` lies in the subject branch's subtree;
* masses — non-members working in a unit whose ``Unit.party_org`` lies in that subtree;
* a survey about a person (``subject_person``) excludes that person.

Both directions are set-based: ``eligible_persons(survey)`` is one queryset, and
``eligible_surveys(person)`` filters surveys by the *ancestor paths* of the person's branch and of
their unit's branch (a subtree test turned around), so neither loops over rows.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dangjian.core.scope import ancestor_paths
from dangjian.people.models import PARTY_MEMBER_STATUSES, MembershipStatus, Person
from dangjian.surveys.models import Survey

ACTIVE_MEMBERSHIP = (MembershipStatus.NORMAL, MembershipStatus.RESTORED)
Audience = Survey.Audience


def is_member(person: Person) -> bool:
    return (
        person.political_status in PARTY_MEMBER_STATUSES
        and person.membership_status in ACTIVE_MEMBERSHIP
    )


def eligible_persons(survey: Survey) -> QuerySet[Person]:
    """Every person who may answer ``survey`` (for the participation rate)."""
    path = survey.subject_org.path
    members = Q(
        political_status__in=PARTY_MEMBER_STATUSES,
        membership_status__in=ACTIVE_MEMBERSHIP,
        party_org__path__startswith=path,
    )
    masses = ~Q(political_status__in=PARTY_MEMBER_STATUSES) & Q(
        unit__party_org__path__startswith=path
    )
    wanted = {Audience.MEMBERS: members, Audience.MASSES: masses}.get(
        Audience(survey.audience), members | masses
    )
    qs = Person.objects.filter(wanted, is_employed=True)
    if survey.subject_person_id:
        qs = qs.exclude(pk=survey.subject_person_id)
    return qs


def eligible_surveys(person: Person | None, qs: QuerySet[Survey] | None = None) -> QuerySet[Survey]:
    """The surveys (of ``qs``) ``person`` may answer, whatever their state or dates."""
    qs = Survey.objects.all() if qs is None else qs
    if person is None or not person.is_employed:
        return qs.none()
    if is_member(person):
        clause = Q(
            audience__in=(Audience.MEMBERS, Audience.ALL),
            subject_org__path__in=ancestor_paths(person.party_org.path),
        )
    elif person.political_status in PARTY_MEMBER_STATUSES:
        return qs.none()  # a member whose membership is suspended: neither member nor masses
    else:
        unit_org = person.unit.party_org
        if unit_org is None:
            return qs.none()
        clause = Q(
            audience__in=(Audience.MASSES, Audience.ALL),
            subject_org__path__in=ancestor_paths(unit_org.path),
        )
    return qs.filter(clause).exclude(subject_person_id=person.pk)


def person_of(user: Any) -> Person | None:
    """The Person behind an account (None for administrators and unlinked accounts)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return None
    return (
        Person.objects.filter(user_id=user.pk)
        .select_related("party_org", "unit__party_org")
        .first()
    )
