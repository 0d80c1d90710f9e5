"""List-page tags: ``{% options choices selected %}``, ``{% sort_link key label %}`` and
``{% pagination %}``.

List pages render several drop-downs of choices on every request; one Python loop over
``format_html`` is far cheaper than a template ``{% for %}`` with an ``{% if %}`` per option
(docs/performance.md). Values and labels are escaped; ``selected`` matches by string.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from dangjian.core.html import format_html, format_html_join, join_safe
from dangjian.core.memo import remember

register = template.Library()


_options: dict[Hashable, SafeString] = {}


@register.simple_tag
def options(choices: Iterable[Any], selected: Any = None, blank: str = "") -> SafeString:
    """``choices``: (value, label) pairs, or objects with ``pk`` and ``name``. The HTML of a
    given list of choices with a given selection is made once per process (a filter form has
    several fixed drop-downs on every request)."""
    chosen = "" if selected is None else str(selected)
    pairs = tuple(
        (str(choice.pk), str(choice.name))
        if hasattr(choice, "pk")
        else (str(choice[0]), str(choice[1]))
        for choice in choices
    )

    def make() -> SafeString:
        head = format_html('<option value="">{}</option>', blank) if blank else ""
        body = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((value, " selected" if value == chosen else "", label) for value, label in pairs),
        )
        return format_html("{}{}", head, body)

    return remember(_options, (pairs, chosen, str(blank)), make, limit=2000)


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


_PAGER = (
    '<nav class="d-flex flex-wrap justify-content-between align-items-center gap-2 small" '
    'aria-label="分页"><span class="text-muted" data-testid="list-count">共 {} 条，第 {}/{} 页'
    '</span><ul class="pagination pagination-sm mb-0">{}</ul></nav>'
)
_PAGE_LINK = '<li class="page-item"><a class="page-link" href="?{}&sort={}&page={}">{}</a></li>'


@register.simple_tag(takes_context=True)
def pagination(context: template.Context) -> SafeString:
    """Count, page of pages and first/previous/next/last links of ``listing``
    (``core.listing.paginate_sorted``); the markup the former ``core/_pagination.html``
    include wrote, without an include on every list page."""
    listing = context.get("listing")
    if listing is None:
        return format_html("{}", "")
    page = listing.page
    paginator = page.paginator
    links = []
    targets = []
    if page.has_previous():
        targets += [(1, "首页"), (page.previous_page_number(), "上一页")]
    if page.has_next():
        targets += [(page.next_page_number(), "下一页"), (paginator.num_pages, "末页")]
    for number, label in targets:
        links.append(format_html(_PAGE_LINK, listing.querystring, listing.sort, number, label))
    return format_html(
        _PAGER, paginator.count, page.number, paginator.num_pages, join_safe("", links)
    )
