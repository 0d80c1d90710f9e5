"""Contribution registries: how upper floors learn about lower ones without imports.

Each app may ship ``nav.py`` (menu entries), and later ``indicators.py``, ``reminders.py``,
``search.py``. ``CoreConfig.ready`` imports them all, like Django's admin autodiscovery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
