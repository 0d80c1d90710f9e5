"""Contribution registries: how upper floors learn about lower ones without imports.

Each app may ship ``nav.py`` (menu entries), and later ``indicators.py``, ``reminders.py``,
``search.py``. Orgs asks for restructure hooks, org rule checks and member counters, which
people (and others) register in their ``AppConfig.ready``. ``CoreConfig.ready`` imports the
modules, like Django's admin autodiscovery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    section: str  # 模块 shown as a heading in the left navigation
    label: str
    url_name: str
    icon: str = "•"
    order: int = 100
    visible: Callable[[Any], bool] = lambda user: user.is_authenticated

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_nav: list[NavItem] = []


def register_nav(*items: NavItem) -> None:
    _nav.extend(items)


def nav_for(user: Any) -> list[tuple[str, list[NavItem]]]:
    """Menu sections with the entries this user may open, in order."""
    sections: dict[str, list[NavItem]] = {}
    for item in sorted(_nav, key=lambda i: (i.order, i.label)):
        if item.visible(user):
            sections.setdefault(item.section, []).append(item)
    return list(sections.items())


# The menu per *access profile*: every ``visible`` predicate depends only on whether the user
# is signed in, the administrator role, the permissions of the user's grants (read fresh from
# the database on every request, AC-08) and whether an employee record is linked. Users with
# the same profile see the same entries, so they are worked out (predicates, URL reversal)
# once per process and profile, not once per request (docs/performance.md). Bounded.
@dataclass(frozen=True)
class NavLink:
    label: str
    url: str


_nav_links: dict[tuple[Any, ...], list[tuple[str, list[NavLink]]]] = {}
NAV_CACHE_SIZE = 2048
_UNKNOWN = object()


def has_linked_person(user: Any) -> bool:
    """Is an employee record linked to the account? From the grants query when it ran (no
    query of its own), else from the reverse relation."""
    person_id = getattr(user, "_scope_person_id", _UNKNOWN)
    if person_id is _UNKNOWN:  # administrators' grants do not read the employee record
        return getattr(user, "person", None) is not None
    return person_id is not None


def nav_profile(user: Any) -> tuple[Any, ...]:
    from django.urls import get_script_prefix, get_urlconf

    from dangjian.core.scope import _grants

    permissions = frozenset().union(*(grant.permissions for grant in _grants(user)))
    return (
        getattr(user, "admin_role", ""),
        permissions,
        has_linked_person(user),
        get_urlconf(),
        get_script_prefix(),
        len(_nav),
    )


def nav_links(user: Any) -> list[tuple[str, list[NavLink]]]:
    """The menu sections of ``user`` with their entries' labels and URLs (cached per profile;
    the template marks the current page's entry)."""
    key = nav_profile(user)
    links = _nav_links.get(key)
    if links is None:
        links = [
            (section, [NavLink(item.label, item.url) for item in items])
            for section, items in nav_for(user)
        ]
        if len(_nav_links) >= NAV_CACHE_SIZE:
            _nav_links.clear()
        _nav_links[key] = links
    return links


# --- organisation restructuring and rule checks (orgs asks, people and others answer) --------


class RestructureHook(Protocol):
    """Called inside the orgs service's transaction when people must follow an org change.

    ``person_ids``: the persons to move; ``None`` means every person attached to ``source``
    (as ``party_org`` or, for a group, as ``party_group``). ``group_ids``: groups that moved
    from ``source`` to ``target``; persons of those groups follow them.
    """

    def __call__(
        self,
        *,
        source: Any,
        target: Any,
        person_ids: list[int] | None,
        effective_on: dt.date,
        reason: str,
        actor: Any,
        group_ids: list[int] | None = None,
    ) -> None: ...


_restructure_hooks: list[RestructureHook] = []


def register_restructure_hook(func: RestructureHook) -> RestructureHook:
    if func not in _restructure_hooks:
        _restructure_hooks.append(func)
    return func


def restructure_hooks() -> list[RestructureHook]:
    return list(_restructure_hooks)


@dataclass(frozen=True)
class OrgWarning:
    """A rule check result shown as a badge: ``level`` is ``yellow`` or ``red``."""

    level: str
    code: str
    message: str


OrgCheck = Callable[[list[int]], dict[int, list[OrgWarning]]]
_org_checks: list[OrgCheck] = []


def register_org_check(func: OrgCheck) -> OrgCheck:
    """A set-based check: ``(org_ids) -> {org_id: [OrgWarning]}``; constant queries per call."""
    if func not in _org_checks:
        _org_checks.append(func)
    return func


def org_warnings(org_ids: Iterable[int]) -> dict[int, list[OrgWarning]]:
    ids = sorted(set(org_ids))
    result: dict[int, list[OrgWarning]] = {pk: [] for pk in ids}
    if not ids:
        return result
    for check in _org_checks:
        for pk, found in check(ids).items():
            result.setdefault(pk, []).extend(found)
    for found in result.values():
        found.sort(key=lambda w: (w.level != "red", w.code))
    return result


@dataclass(frozen=True)
class MemberCounts:
    """Party members of an organisation's whole subtree (probationary + full, and full only)."""

    members: int = 0
    full: int = 0


OrgCounter = Callable[[list[int]], dict[int, MemberCounts]]
_org_counters: list[OrgCounter] = []


def register_org_counter(func: OrgCounter) -> OrgCounter:
    if func not in _org_counters:
        _org_counters.append(func)
    return func


def org_member_counts(org_ids: Iterable[int]) -> dict[int, MemberCounts]:
    """Member counts per organisation (subtree), from the app that owns persons."""
    ids = sorted(set(org_ids))
    if not ids or not _org_counters:
        return {pk: MemberCounts() for pk in ids}
    counts = _org_counters[0](ids)
    return {pk: counts.get(pk, MemberCounts()) for pk in ids}


# --- demo data ----------------------------------------------------------------------------
# Domain apps add a year of realistic records to the demo mine: ``register_demo_loader(order,
# func)`` where ``func(*, today, rng)`` runs after the mine (orgs, units, persons, accounts) is
# loaded, in ``order``. Loaders write through their app's services or bulk inserts.
DemoLoader = Callable[..., Any]
_demo_loaders: list[tuple[int, str, DemoLoader]] = []


def register_demo_loader(order: int, func: DemoLoader) -> DemoLoader:
    key = f"{func.__module__}.{func.__qualname__}"
    if all(existing != key for _, existing, _ in _demo_loaders):
        _demo_loaders.append((order, key, func))
    return func


def demo_loaders() -> list[DemoLoader]:
    return [func for _, _, func in sorted(_demo_loaders, key=lambda item: (item[0], item[1]))]


# --- indicators (for the assessment engine) ---------------------------------------------
# ``indicators.py`` of a domain app registers functions
# ``(branch_ids, period) -> {branch_id: IndicatorValue}``, computed with set-based queries
# (query count independent of the number of branches). ``records`` names the rows behind the
# number as (model label, pk) pairs so a scorer can open them.
@dataclass(frozen=True)
class IndicatorValue:
    value: float
    records: tuple[tuple[str, int], ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Indicator:
    key: str  # stable, e.g. "orglife.meetings_on_schedule"
    title: str
    unit: str
    func: Callable[..., dict[int, IndicatorValue]]


_indicators: dict[str, Indicator] = {}


def register_indicator(key: str, title: str, unit: str = "") -> Callable[..., Any]:
    def decorator(func: Callable[..., dict[int, IndicatorValue]]) -> Any:
        _indicators[key] = Indicator(key, title, unit, func)
        return func

    return decorator


def indicators() -> dict[str, Indicator]:
    return dict(_indicators)


# --- reminders (for the to-do centre) -------------------------------------------------------
# ``reminders.py`` of a domain app registers rules ``(today) -> Iterable[DueItem]``. The
# reminders engine runs them periodically, upserts one reminder per ``key`` (so running twice
# creates nothing new), notifies the people responsible and resolves items no longer produced.
@dataclass(frozen=True)
class DueItem:
    key: str  # stable and unique, e.g. "orglife.meeting_due:12:2026-Q4:branch_general"
    category: str  # app label, e.g. "orglife"
    title: str  # Chinese, shown in the to-do list
    due_on: dt.date
    level: str = "info"  # info | yellow | red
    org_id: int | None = None  # the organisation responsible (its secretaries are notified)
    person_id: int | None = None  # the person concerned (their own account is notified)
    url: str = ""


ReminderRule = Callable[[dt.date], Iterable[DueItem]]
_reminder_rules: dict[str, ReminderRule] = {}


def register_reminder_rule(key: str) -> Callable[[ReminderRule], ReminderRule]:
    def decorator(func: ReminderRule) -> ReminderRule:
        _reminder_rules[key] = func
        return func

    return decorator


def reminder_rules() -> dict[str, ReminderRule]:
    return dict(_reminder_rules)


# --- member activity (for the lapse watch) --------------------------------------------------
# Apps that record a member's participation register ``(person_ids) -> {person_id: last date}``
# under a kind: "orglife" (last organisational life attended), "dues" (end of the paid-up
# month). The lapse watch (no organisational life or no dues for 3/5/6 months) reads them.
ActivityProvider = Callable[[list[int]], dict[int, dt.date]]
_activity: dict[str, ActivityProvider] = {}


def register_member_activity(kind: str) -> Callable[[ActivityProvider], ActivityProvider]:
    def decorator(func: ActivityProvider) -> ActivityProvider:
        _activity[kind] = func
        return func

    return decorator


def member_last_activity(kind: str, person_ids: list[int]) -> dict[int, dt.date] | None:
    """Last activity per person, or None when no app provides that kind."""
    provider = _activity.get(kind)
    return None if provider is None else provider(person_ids)


# --- standard ledgers (标准化台帐) ------------------------------------------------------------
# Each domain app contributes the section of a branch's yearly ledger built from its own
# records: ``register_ledger_section(order, key, title, func)`` with ``func(branch, year) ->
# (headers, rows)``. The ledgers app checks the user's scope on the branch before calling it.
# A ``fallback`` section (a placeholder another app owns) never replaces a real one, and a real
# one replaces a fallback registered under the same key, whatever the import order.
LedgerSectionFunc = Callable[[Any, int], tuple[list[str], list[list[Any]]]]


@dataclass(frozen=True)
class LedgerSection:
    order: int
    key: str
    title: str
    func: LedgerSectionFunc
    fallback: bool = False


_ledger_sections: dict[str, LedgerSection] = {}


def register_ledger_section(
    order: int, key: str, title: str, func: LedgerSectionFunc, *, fallback: bool = False
) -> LedgerSectionFunc:
    existing = _ledger_sections.get(key)
    if existing is not None and fallback and not existing.fallback:
        return func
    _ledger_sections[key] = LedgerSection(order, key, title, func, fallback)
    return func


def ledger_sections() -> list[LedgerSection]:
    return sorted(_ledger_sections.values(), key=lambda s: (s.order, s.key))


# --- periodic jobs (run by ``dangjian scheduler``, started by ``dangjian serve``) -----------
# A periodic job is a function that does its work quickly or enqueues a django-tasks task for
# the worker; ``every_minutes`` is its interval. The scheduler runs each job once at start-up.
@dataclass(frozen=True)
class PeriodicJob:
    key: str
    every_minutes: int
    func: Callable[[], Any]


_periodic: dict[str, PeriodicJob] = {}


def register_periodic(key: str, every_minutes: int) -> Callable[[Callable[[], Any]], Any]:
    def decorator(func: Callable[[], Any]) -> Any:
        _periodic[key] = PeriodicJob(key, every_minutes, func)
        return func

    return decorator


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_periodic.values(), key=lambda job: job.key)


# --- files that are records (backups) -------------------------------------------------------
# A folder under PRIVATE_DIR whose files are records (evidence, minutes photos), not generated
# or temporary, with the names (relative to the folder) the database refers to: backups carry
# these folders and the restore drill checks that every referenced file came back.
_record_files: dict[str, Callable[[], Iterable[str]]] = {}


def register_record_files(folder: str, referenced: Callable[[], Iterable[str]]) -> None:
    _record_files[folder] = referenced


def record_file_folders() -> dict[str, Callable[[], Iterable[str]]]:
    return dict(sorted(_record_files.items()))
