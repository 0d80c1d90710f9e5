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
