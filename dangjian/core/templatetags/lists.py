"""List-page tags: ``{% options choices selected %}`` and ``{% sort_link key label %}``.

List pages render several drop-downs of choices on every request; one Python loop over
``format_html`` is far cheaper than a template ``{% for %}`` with an ``{% if %}`` per option
(docs/performance.md). Values and labels are escaped; ``selected`` matches by string.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from dangjian.core.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def options(choices: Iterable[Any], selected: Any = None, blank: str = "") -> SafeString:
    """``choices``: (value, label) pairs, or objects with ``pk`` and ``name``."""
    chosen = "" if selected is None else str(selected)
    pairs = [
        (choice.pk, choice.name) if hasattr(choice, "pk") else (choice[0], choice[1])
        for choice in choices
    ]
    head = format_html('<option value="">{}</option>', blank) if blank else ""
    body = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) == chosen else "", label) for value, label in pairs),
    )
    return format_html("{}{}", head, body)


@register.simple_tag(takes_context=True)
def sort_link(context: template.Context, key: str, label: str) -> SafeString:
    """A sortable column header of a list page (``core.listing.paginate_sorted``): the same
    link the former ``core/_sort_link.html`` include rendered, without an include per column."""
    listing = context.get("listing")
    current = getattr(listing, "sort", "")
    querystring = getattr(listing, "querystring", "")
    arrow = " ▲" if current == key else " ▼" if current == f"-{key}" else ""
    target = f"-{key}" if current == key else key
    return format_html(
        '<a class="text-reset text-decoration-none" href="?{}&sort={}">{}{}</a>',
        querystring,
        target,
        label,
        arrow,
    )
