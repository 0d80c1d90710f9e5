"""``{% person_rows rows %}``: the body rows of the person list (``people:list``).

A page shows 20 rows of 11 cells. One ``core.html.format_html`` per row instead of a template
``{% for %}`` with a variable lookup per cell and four conditionals per row: the table costs a
small part of what it did (docs/performance.md, person list). Every value is escaped by
``format_html``; the rows come from ``people.views.records.person_row`` (masked already).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from dangjian.core.html import format_html, join_safe

register = template.Library()

_ROW = (
    '<tr data-testid="person-row">'
    '<td data-label="工号">{employee_no}</td>'
    '<td data-label="姓名"><a href="{url}" hx-boost="false">{name}</a></td>'
    '<td data-label="性别">{gender}</td>'
    '<td data-label="出生日期">{birth_date}</td>'
    '<td data-label="政治面貌">{political_status}</td>'
    '<td data-label="党组织">{party_org}{group}</td>'
    '<td data-label="单位">{unit}</td>'
    '<td data-label="岗位">{post}</td>'
    '<td data-label="身份证号" class="masked">{citizen_id}</td>'
    '<td data-label="手机号码" class="masked">{phone}</td>'
    '<td data-label="状态">{badges}</td>'
    "</tr>"
)
_GROUP = '<div class="small text-muted">{}</div>'
_MEMBERSHIP = '<span class="badge text-bg-secondary">{}</span>'
_FLAGS = (
    ("lost_contact", format_html('<span class="badge text-bg-danger">{}</span>', "失联")),
    ("is_mobile", format_html('<span class="badge text-bg-info">{}</span>', "流动")),
    ("is_front_line", format_html('<span class="badge text-bg-light border">{}</span>', "一线")),
)
_EMPTY = format_html(
    '<tr><td colspan="11" class="text-center text-muted py-4" data-testid="person-empty">'
    "{}</td></tr>",
    "没有符合条件的人员。",
)


def _row(p: dict[str, Any]) -> SafeString:
    badges = [format_html(_MEMBERSHIP, p["membership"])] if p["membership"] else []
    badges.extend(badge for key, badge in _FLAGS if p[key])
    return format_html(
        _ROW,
        employee_no=p["employee_no"],
        url=p["url"],
        name=p["name"],
        gender=p["gender"],
        birth_date=p["birth_date"],
        political_status=p["political_status"],
        party_org=p["party_org"],
        group=format_html(_GROUP, p["party_group"]) if p["party_group"] else "",
        unit=p["unit"],
        post=p["post"],
        citizen_id=p["citizen_id"],
        phone=p["phone"],
        badges=join_safe("", badges),
    )


@register.simple_tag
def person_rows(rows: Iterable[dict[str, Any]]) -> SafeString:
    html = join_safe("", (_row(p) for p in rows))
    return html or _EMPTY
