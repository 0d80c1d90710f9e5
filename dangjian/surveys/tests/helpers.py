"""Test helpers: respondents with accounts (members or masses of a branch), a survey."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from dangjian.accounts.models import Role, RoleAssignment, User
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import MiniMine, password_hash, person_data
from dangjian.people.services import person_create
from dangjian.surveys import services
from dangjian.surveys.models import Survey


def respondents(
    mine: MiniMine, count: int, *, branch: Any = None, masses: bool = False, start: int = 200
) -> list[Any]:
    """``count`` persons of the branch (members, or masses working in its team), each with an
    account holding the member/employee role; returns the users."""
    branch = branch or mine.branch_a
    a = branch == mine.branch_a
    unit = mine.team_a1 if a else mine.team_b1
    group = mine.group_a1 if a else mine.group_b1
    role = Role.objects.get(code="employee" if masses else "member")
    users = []
    for i in range(count):
        extra: dict[str, Any] = (
            {"political_status": "masses", "joined_party_on": None, "regularised_on": None}
            if masses
            else {"party_group": group}
        )
        person = person_create(
            actor=SYSTEM,
            data=person_data(None, seq=start + i, unit=unit, party_org=branch, **extra),
        )
        user = User.objects.create(username=f"r{start + i}", password=password_hash())
        RoleAssignment.objects.create(user=user, role=role, party_org=branch)
        person.user = user
        person.save(update_fields=["user"])
        users.append(user)
    return users


def survey(
    mine: MiniMine,
    *,
    org: Any = None,
    audience: str = "all",
    context: str = "",
    state: str = "open",
    minimum: int | None = 3,
    questions: Any = None,
    person: Any = None,
    actor: Any = None,
) -> Survey:
    today = timezone.localdate()
    created = services.survey_create(
        actor=actor or mine.users["shuji"],
        title="支部工作满意度测评",
        context=context,
        subject_org_id=(org or mine.branch_a).pk,
        audience=audience,
        questions=questions,
        min_respondents=minimum,
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=5),
        subject_person_id=person.pk if person else None,
        open_now=state != "draft",
    )
    if state == "closed":
        services.survey_close(actor=actor or mine.users["shuji"], survey_id=created.pk)
        created.refresh_from_db()
    return created


def full_answers(s: Survey, scale: int = 4, choice: str | None = None, text: str = "") -> dict:
    answers: dict[str, Any] = {}
    for q in s.questions.order_by("order"):
        if q.kind == "scale":
            answers[str(q.pk)] = scale
        elif q.kind == "choice":
            answers[str(q.pk)] = choice or q.options[0]
        elif text:
            answers[str(q.pk)] = text
    return answers


def answer_all(s: Survey, users: list[Any], scales: list[int] | None = None) -> None:
    for i, user in enumerate(users):
        value = scales[i] if scales else 4
        services.response_submit(actor=user, survey_id=s.pk, answers=full_answers(s, value))
