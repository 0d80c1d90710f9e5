"""``{% tree_picker %}``: the organisation / unit tree picker of filter forms and forms.

    {% load pickers %}
    {% tree_picker "party_org" filters.party_org org_label "党组织（含下级）" %}
    {% tree_picker "party_group" filters.party_group group_label "党小组" kind="group"
                   within="party_org" %}  (one line in a template)
    {% tree_picker "unit" filters.unit unit_label "单位" units=True within="party_org" %}

A hidden input carries the chosen id; typing in (or focusing) the search box asks
``orgs:picker`` (or ``orgs:unit_picker`` with ``units=True``) for the user's scoped matches,
shown with their full path (partial ``results`` of ``orgs/_org_picker.html``). ``kind`` narrows
to one kind of organisation, ``within`` to the subtree chosen in the form's field of that name.
Behaviour: static ``orgs/picker.js`` and ``orgs/orgs.css``, which the page loads once (CSP: no
inline script). Written with ``core.html.format_html``: a filter form has up to three pickers
and an include costs ten times as much (docs/performance.md, person list).
"""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.safestring import SafeString

from dangjian.core.html import format_html
from dangjian.core.routes import route

register = template.Library()

_PICKER = (
    '<div class="org-picker position-relative" data-org-picker>{label}'
    '<input type="hidden" name="{name}" value="{value}" data-org-picker-value>'
    '<div class="input-group">'
    '<input type="search" class="form-control" id="picker-{name}" name="picker_q" '
    'autocomplete="off" value="{text}" placeholder="{placeholder}" data-org-picker-label '
    'hx-get="{url}" hx-trigger="input changed delay:300ms, focus" '
    'hx-target="next [data-org-picker-results]" hx-swap="innerHTML" '
    'hx-params="{params}"{include}{vals}>'
    '<button class="btn btn-outline-secondary" type="button" data-org-picker-clear '
    'title="清除">×</button>'
    "</div>"
    '<div class="list-group position-absolute w-100 shadow-sm org-picker-results" '
    "data-org-picker-results></div>"
    "</div>"
)
_LABEL = '<label class="form-label small" for="picker-{}">{}</label>'
_INCLUDE = ' hx-include="[data-org-picker-value][name={}]"'
_VALS = ' hx-vals="{}"'


@register.simple_tag
def tree_picker(
    name: str,
    value: Any = None,
    label: str = "",
    field_label: str = "",
    *,
    kind: str = "",
    within: str = "",
    units: bool = False,
) -> SafeString:
    params = ",".join(p for p in ("picker_q", "kind", within) if p)
    return format_html(
        _PICKER,
        name=name,
        value="" if value is None else value,
        text=label or "",
        label=format_html(_LABEL, name, field_label) if field_label else "",
        placeholder="输入单位名称搜索" if units else "输入组织名称搜索",
        url=route("orgs:unit_picker" if units else "orgs:picker"),
        params=params,
        include=format_html(_INCLUDE, within) if within else "",
        vals=format_html(_VALS, json.dumps({"kind": kind})) if kind else "",
    )
