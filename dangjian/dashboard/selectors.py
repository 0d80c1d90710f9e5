"""What the home page shows: the key figures of the user's scope and what they must do now.

Read-only views over other apps' scoped selectors; every count goes through ``restrict``.
The business home's figures and organisation warnings read the whole scope (every person in
it, the rule checks of its organisations), so they are kept per *data scope* in
``HomeSnapshot`` and recomputed when the data version changes (docs/decisions.md, the same
design as the structure analytics); the to-do centre's reminders are read live per request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from dangjian.core.rules import rule
from dangjian.core.scope import has_permission, restrict
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import PARTY_MEMBER_STATUSES, Person, PoliticalStatus

ORG_CHECK_LIMIT = 5000  # organisations of the scope whose rule checks run
WARNING_LIMIT = 20  # organisation warnings listed on the page; the organisation list has all
SNAPSHOT_FORMAT = "2"  # part of the data version: bump when the stored JSON changes shape


@dataclass
class Figure:
    label: str
    value: Any
    url: str = ""
    hint: str = ""


@dataclass
class Todo:
    level: str  # danger | warning | info
    text: str
    url: str = ""


@dataclass
class Home:
    kind: str  # business | self | admin
    figures: list[Figure] = field(default_factory=list)
    todos: list[Todo] = field(default_factory=list)
    person: Person | None = None
    reminders: dict[str, Any] = field(default_factory=dict)  # the to-do centre
    warnings_total: int = 0  # organisation rule warnings found; ``todos`` lists WARNING_LIMIT
    computed_at: dt.datetime | None = None  # when the business figures were computed
    cached: bool = False  # read from the scope's snapshot

    @property
    def warnings_shown(self) -> int:
        return min(self.warnings_total, WARNING_LIMIT)


def _people_url(**params: Any) -> str:
    from urllib.parse import urlencode

    try:
        base = reverse("people:list")
    except Exception:
        return ""
    return f"{base}?{urlencode(params)}" if params else base


def _business_figures(user: Any) -> Home:
    """Compute the business home's figures and warnings for ``user`` (reads the whole scope:
    an aggregate over every person in it and the organisation rule checks)."""
    home = Home(kind="business")
    persons = restrict(Person.objects.all(), user, "view")
    stats = persons.aggregate(
        total=Count("id"),
        members=Count("id", filter=Q(political_status__in=PARTY_MEMBER_STATUSES)),
        probationary=Count("id", filter=Q(political_status=PoliticalStatus.PROBATIONARY)),
        front_line=Count("id", filter=Q(is_front_line=True)),
        front_line_members=Count(
            "id", filter=Q(is_front_line=True, political_status__in=PARTY_MEMBER_STATUSES)
        ),
        lost=Count("id", filter=Q(lost_contact=True)),
        mobile=Count("id", filter=Q(is_mobile=True)),
        pipeline=Count(
            "id",
            filter=Q(
                political_status__in=[
                    PoliticalStatus.APPLICANT,
                    PoliticalStatus.ACTIVIST,
                    PoliticalStatus.CANDIDATE,
                ]
            ),
        ),
    )
    branches = restrict(PartyOrg.objects.all(), user, "view").filter(
        kind=PartyOrg.Kind.BRANCH, dissolved_on__isnull=True
    )
    target = float(rule("org.front_line_member_target"))
    ratio = (stats["front_line_members"] / stats["front_line"]) if stats["front_line"] else 0.0
    home.figures = [
        Figure("党支部", branches.count()),
        Figure("职工总数", stats["total"], _people_url()),
        Figure("党员", stats["members"], _people_url(political_status="full")),
        Figure("预备党员", stats["probationary"], _people_url(political_status="probationary")),
        Figure("入党积极分子等", stats["pipeline"]),
        Figure(
            "一线党员占比",
            f"{ratio:.1%}",
            hint=f"目标 ≥ {target:.0%}",
        ),
    ]
    if stats["front_line"] and ratio < target:
        home.todos.append(
            Todo("warning", f"一线职工中党员占比 {ratio:.1%}，低于 {target:.0%} 的目标。")
        )
    if stats["lost"]:
        home.todos.append(
            Todo(
                "danger",
                f"{stats['lost']} 名党员处于失联状态，请及时联系。",
                _people_url(lost_contact="1"),
            )
        )
    if stats["mobile"]:
        home.todos.append(
            Todo(
                "info",
                f"{stats['mobile']} 名流动党员，请落实教育管理。",
                _people_url(is_mobile="1"),
            )
        )
    from dangjian.core import registries

    warnings_for = getattr(registries, "org_warnings", None)
    org_todos: list[Todo] = []
    if warnings_for is not None:
        org_ids = list(
            restrict(PartyOrg.objects.all(), user, "view")
            .filter(dissolved_on__isnull=True)
            .values_list("id", flat=True)[:ORG_CHECK_LIMIT]
        )
        names = dict(PartyOrg.objects.filter(id__in=org_ids).values_list("id", "name"))
        for org_id, items in warnings_for(org_ids).items():
            for warning in items:
                level = "danger" if getattr(warning, "level", "") == "red" else "warning"
                org_todos.append(Todo(level, f"{names.get(org_id, '')}：{warning.message}"))
    org_todos.sort(key=_urgency)  # red first, then in the tree's order
    home.warnings_total = len(org_todos)
    home.todos += org_todos[:WARNING_LIMIT]
    home.todos.sort(key=_urgency)
    return home


def _urgency(todo: Todo) -> int:
    return {"danger": 0, "warning": 1, "info": 2}[todo.level]


def _to_json(home: Home) -> dict[str, Any]:
    assert home.computed_at is not None
    return {
        "computed_at": home.computed_at.isoformat(),
        "figures": [[f.label, f.value, f.url, f.hint] for f in home.figures],
        "todos": [[t.level, t.text, t.url] for t in home.todos],
        "warnings_total": home.warnings_total,
    }


def _from_json(raw: dict[str, Any]) -> Home:
    return Home(
        kind="business",
        figures=[Figure(*f) for f in raw["figures"]],
        todos=[Todo(*t) for t in raw["todos"]],
        warnings_total=raw["warnings_total"],
        computed_at=dt.datetime.fromisoformat(raw["computed_at"]),
        cached=True,
    )


def _business_home(user: Any) -> Home | None:
    """The business home from the snapshot of the user's data scope when it names the current
    data and is younger than ``people.analytics_cache_minutes``, else computed and stored.
    None when the user sees no organisation (they get the personal home).

    Snapshots are stored only for scopes with organisations, and the scope digest and the data
    version together fix which organisations the user sees, so a current snapshot also answers
    "does this user see any organisation" without a query."""
    from django.db import IntegrityError, transaction

    from dangjian.dashboard.models import HomeSnapshot
    from dangjian.people.analytics import scope_key, snapshot_lookup

    now = timezone.now()
    key = scope_key(user)
    found = snapshot_lookup(HomeSnapshot, key, timezone.localdate(), fmt=SNAPSHOT_FORMAT)
    if found.max_age > 0 and found.snapshot is not None and found.snapshot_version == found.version:
        cached = _from_json(found.snapshot)
        assert cached.computed_at is not None
        if dt.timedelta(0) <= now - cached.computed_at < dt.timedelta(minutes=found.max_age):
            return cached
    if not restrict(PartyOrg.objects.all(), user, "view").exists():
        return None
    home = _business_figures(user)
    home.computed_at = now
    if found.max_age <= 0:
        return home
    version = found.version
    try:  # replace, in the same two statements whether or not a snapshot existed
        with transaction.atomic():
            HomeSnapshot.objects.filter(scope_key=key).delete()
            HomeSnapshot.objects.create(
                scope_key=key, version=version, computed_at=now, data=_to_json(home)
            )
    except IntegrityError:  # another process stored the same scope first: theirs is as good
        pass
    return home


def _self_home(user: Any) -> Home:
    home = Home(kind="self")
    home.person = (
        restrict(Person.objects.select_related("party_org", "unit", "party_group"), user, "view")
        .filter(user=user)
        .first()
    )
    if home.person is None:
        home.todos.append(Todo("info", "您的账户尚未关联人员档案，请联系本支部党务工作者。"))
    return home


def _admin_home(user: Any) -> Home:
    from dangjian.accounts.models import User
    from dangjian.audit.models import AuditEvent

    home = Home(kind="admin")
    now = timezone.now()
    if user.admin_role == "audit":
        today = now - dt.timedelta(days=1)
        recent = AuditEvent.objects.filter(occurred_at__gte=today).aggregate(
            total=Count("id"),
            failures=Count("id", filter=Q(event_type="login_failure")),
            denied=Count("id", filter=Q(outcome="denied")),
        )
        home.figures = [
            Figure("近24小时审计事件", recent["total"]),
            Figure("近24小时登录失败", recent["failures"]),
            Figure("近24小时越权拒绝", recent["denied"]),
        ]
    else:
        accounts = User.objects.aggregate(
            total=Count("id"),
            active=Count("id", filter=Q(is_active=True)),
            locked=Count("id", filter=Q(locked_until__gt=now)),
            must_change=Count("id", filter=Q(must_change_password=True)),
        )
        home.figures = [
            Figure("账户总数", accounts["total"]),
            Figure("启用账户", accounts["active"]),
            Figure("锁定中账户", accounts["locked"]),
            Figure("待修改初始密码", accounts["must_change"]),
        ]
        if accounts["locked"] and user.admin_role == "security":
            home.todos.append(Todo("warning", f"{accounts['locked']} 个账户因登录失败被锁定。"))
        if user.admin_role == "security":  # PI-09: anomalous bulk access of the last day
            from dangjian.accounts.alerts import recent_alerts

            home.todos[:0] = [
                Todo(
                    "danger",
                    f"异常访问告警：{alert.username} 截至"
                    f" {timezone.localtime(alert.at):%m-%d %H:%M} 的一小时内{alert.label}"
                    f" {alert.count} 次（阈值 {alert.threshold}）。",
                )
                for alert in recent_alerts(actor=user)
            ]
    return home


def home_for(user: Any) -> Home:
    if user.admin_role:
        return _admin_home(user)
    business = _business_home(user) if has_permission(user, PartyOrg, "view") else None
    return _with_reminders(business or _self_home(user), user)


def _with_reminders(home: Home, user: Any) -> Home:
    """The to-do list fed by the reminders engine (open reminders of the user's scope)."""
    from dangjian.reminders.selectors import todo_summary

    home.reminders = todo_summary(user=user)
    return home
