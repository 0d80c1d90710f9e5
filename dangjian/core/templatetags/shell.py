"""``{% nav_menu %}``: the left navigation of the page shell.

The entries come from ``core.registries.nav_links`` (cached per access profile); this tag
only writes them out with the current page's entry marked: each entry's HTML is made once per
process (``core.html.format_html``) instead of a template loop with two conditionals per entry
on every page.
"""

from __future__ import annotations

from collections.abc import Hashable

from django import template
from django.utils.safestring import SafeString

from dangjian.core.html import format_html, format_html_join, join_safe
from dangjian.core.memo import remember
from dangjian.core.routes import asset as _asset
from dangjian.core.routes import route as _route

register = template.Library()

_ENTRY = '<li class="nav-item"><a class="nav-link py-1" href="{}">{}</a></li>'
_CURRENT = (
    '<li class="nav-item"><a class="nav-link py-1 active" aria-current="page" href="{}">{}</a></li>'
)
_SECTION = (
    '<div class="nav-section text-muted small fw-bold mt-3 mb-1 px-2">{}</div>'
    '<ul class="nav nav-pills flex-column">{}</ul>'
)


_entries: dict[Hashable, SafeString] = {}


def _entry(url: str, label: str, current: bool) -> SafeString:
    """One menu entry's HTML, made once per (URL, label, current) in this process: it depends
    on nothing else, and every page writes some 50 of them."""
    template = _CURRENT if current else _ENTRY
    return remember(_entries, (url, label, current), lambda: format_html(template, url, label))


@register.simple_tag(takes_context=True)
def nav_menu(context: template.Context) -> SafeString:
    request = context.get("request")
    path = getattr(request, "path", "")
    sections = []
    for section, items in context.get("nav_sections") or []:
        entries = join_safe("", (_entry(item.url, item.label, item.url == path) for item in items))
        sections.append((section, entries))
    return format_html_join("", _SECTION, sections)


@register.simple_tag(name="route")
def route_tag(name: str) -> str:
    """``{% route "app:name" %}``: ``{% url %}`` for a route without arguments, reversed once
    per process (``core.routes.route``)."""
    return _route(name)


@register.simple_tag(name="asset")
def asset_tag(path: str) -> str:
    """``{% asset "core/app.js" %}``: ``{% static %}`` looked up once per process."""
    return _asset(path)
