"""``{% nav_menu %}``: the left navigation of the page shell.

The entries come from ``core.registries.nav_links`` (cached per access profile); this tag
only writes them out with the current page's entry marked, in one ``format_html`` per entry
instead of a template loop with two conditionals per entry (it runs on every page).
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

_ENTRY = '<li class="nav-item"><a class="nav-link py-1" href="{}">{}</a></li>'
_CURRENT = (
    '<li class="nav-item"><a class="nav-link py-1 active" aria-current="page" href="{}">{}</a></li>'
)
_SECTION = (
    '<div class="nav-section text-muted small fw-bold mt-3 mb-1 px-2">{}</div>'
    '<ul class="nav nav-pills flex-column">{}</ul>'
)


@register.simple_tag(takes_context=True)
def nav_menu(context: template.Context) -> SafeString:
    request = context.get("request")
    path = getattr(request, "path", "")
    sections = []
    for section, items in context.get("nav_sections") or []:
        entries = format_html_join(
            "",
            "{}",
            (
                (format_html(_CURRENT if item.url == path else _ENTRY, item.url, item.label),)
                for item in items
            ),
        )
        sections.append((section, entries))
    return format_html_join("", _SECTION, sections)
