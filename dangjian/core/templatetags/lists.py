"""``{% options choices selected %}``: the ``<option>`` elements of a filter drop-down.

List pages render several drop-downs of choices on every request; one Python loop over
``format_html`` is far cheaper than a template ``{% for %}`` with an ``{% if %}`` per option
(docs/performance.md). Values and labels are escaped; ``selected`` matches by string.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def options(choices: Iterable[Any], selected: Any = None, blank: str = "") -> SafeString:
    """``choices``: (value, label) pairs, or objects with ``pk`` and ``name``."""
    chosen = "" if selected is None else str(selected)
    pairs = [
        (choice.pk, choice.name) if hasattr(choice, "pk") else (choice[0], choice[1])
        for choice in choices
    ]
    head = format_html('<option value="">{}</option>', blank) if blank else SafeString("")
    body = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) == chosen else "", label) for value, label in pairs),
    )
    return SafeString(head + body)
