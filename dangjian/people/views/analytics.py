"""Structure analytics page: ECharts charts with drill-down to the people list, tables under
every chart (accessible, and readable on a phone), and an Excel file of the figures.

The view only calls :func:`dangjian.people.analytics.structure` and shapes ECharts options;
clicking a bar or slice opens ``people:list`` with the figure's filters (people/analytics.js).
"""

from __future__ import annotations

import io
from collections.abc import Hashable
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from dangjian.audit.services import audit_record
from dangjian.core.excel import safe_cell
from dangjian.core.memo import remember
from dangjian.core.scope import has_permission, org_paths_for, scope_q
from dangjian.people.analytics import (
    DISPLAY_LIMIT,
    Figure,
    PageStructure,
    Structure,
    page_structure,
    structure,
)
from dangjian.people.models import Person

PALETTE = {"ok": "#c00000", "low": "#f0a020", "bar": "#c00000"}


def _require(user: Any) -> None:
    if not has_permission(user, Person, "view") or not _sees_many(user):
        raise PermissionDenied("您没有查看结构分析的权限。")


def _sees_many(user: Any) -> bool:
    """Self-scoped roles (members, employees) see only themselves: no structure to analyse."""
    q = scope_q(Person, user, "view")
    return q is not None and (not q or bool(org_paths_for(user, Person, "view")))


def _url(base: str, figure: Figure) -> str:
    return f"{base}?{urlencode(figure.drill)}"


def _bar(
    figures: list[Figure],
    base: str,
    *,
    unit: str = "人",
    target: float | None = None,
    horizontal: bool = False,
) -> dict[str, Any]:
    data = [
        {
            "value": f.value,
            "url": _url(base, f),
            "itemStyle": {"color": PALETTE["low"] if f.flag else PALETTE["bar"]},
        }
        for f in figures
    ]
    category = {
        "type": "category",
        "data": [f.label for f in figures],
        "axisLabel": {"interval": 0, "rotate": 0 if horizontal else 30},
    }
    value_axis: dict[str, Any] = {"type": "value", "name": unit, "minInterval": 1}
    series: dict[str, Any] = {
        "type": "bar",
        "data": data,
        "label": {"show": True, "position": "right" if horizontal else "top"},
    }
    if target is not None:
        series["markLine"] = {
            "symbol": "none",
            "lineStyle": {"color": "#333", "type": "dashed"},
            "label": {"formatter": f"目标 {target:g}%"},
            "data": [{"yAxis": target}],
        }
        value_axis.pop("minInterval")
    option: dict[str, Any] = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 24, "bottom": 8, "top": 32, "containLabel": True},
        "xAxis": value_axis if horizontal else category,
        "yAxis": category if horizontal else value_axis,
        "series": [series],
    }
    return option


def _pie(figures: list[Figure], base: str) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c}人 ({d}%)"},
        "legend": {"bottom": 0},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "65%"],
                "data": [
                    {"name": f.label, "value": f.value, "url": _url(base, f)} for f in figures
                ],
            }
        ],
    }


def _charts(data: Structure, base: str) -> dict[str, Any]:
    return {
        "front_line": _bar(data.front_line, base, unit="%", target=round(data.target * 100, 1)),
        "groups": _bar(data.groups, base, horizontal=True),
        "ages": _bar(data.ages, base),
        "party_ages": _bar(data.party_ages, base),
        "education": _bar(data.education, base),
        "gender": _pie(data.gender, base),
    }


# The figures' HTML per snapshot (its random token): the figures of a snapshot never change,
# so they are rendered once per process instead of once per request. Bounded.
_figures_html: dict[Hashable, str] = {}
FIGURES_CACHE_SIZE = 64


def _figures(page: PageStructure) -> str:
    data = page.data
    base = reverse("people:list")
    links = {
        name: [(f, _url(base, f)) for f in getattr(data, name)]
        for name in (
            "front_line",
            "blank_teams",
            "groups",
            "ages",
            "party_ages",
            "education",
            "gender",
        )
    }
    context = {
        "data": data,
        "target_percent": round(data.target * 100, 1),
        "below_target": page.below_target,
        "below_target_total": page.below_target_total,
        "totals": page.totals,
        "limit": DISPLAY_LIMIT,
        "computed_at": page.computed_at,
        "options": _charts(data, base),
        "links": links,
    }
    return render_to_string("people/analytics_figures.html", context)


@require_GET
def analytics_page(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    page = page_structure(user=request.user)
    if page.token:
        html = remember(_figures_html, page.token, lambda: _figures(page), FIGURES_CACHE_SIZE)
    else:
        html = _figures(page)
    context = {
        "page_title": "结构分析",
        "breadcrumbs": [("人员管理", None), ("结构分析", None)],
        "figures_html": html,
    }
    return render(request, "people/analytics.html", context)


@require_GET
def analytics_export(request: HttpRequest) -> HttpResponse:
    """The page's figures as a small workbook (no personal data), audited."""
    from openpyxl import Workbook

    _require(request.user)
    data = structure(user=request.user)
    workbook = Workbook(write_only=True)
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        (
            "一线党员占比",
            ["生产单位", "一线职工数", "党员占比(%)", f"低于目标{data.target * 100:g}%"],
            [[f.label, f.count, f.value, "是" if f.flag else ""] for f in data.front_line],
        ),
        ("空白班队", ["班队"], [[f.label] for f in data.blank_teams]),
        ("党小组党员数", ["党小组", "党员数"], [[f.label, f.value] for f in data.groups]),
        ("年龄结构", ["年龄段", "党员数"], [[f.label, f.value] for f in data.ages]),
        ("党龄结构", ["党龄", "党员数"], [[f.label, f.value] for f in data.party_ages]),
        ("学历结构", ["学历", "党员数"], [[f.label, f.value] for f in data.education]),
        ("性别结构", ["性别", "党员数"], [[f.label, f.value] for f in data.gender]),
    ]
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit_record(
        "export",
        obj=("export", "people.analytics", "结构分析"),
        changes={"columns": [t for t, _, _ in sheets], "rows": sum(len(r) for _, _, r in sheets)},
    )
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"结构分析-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = _disposition(as_attachment=True, filename=name)
    return response


def _disposition(*, as_attachment: bool, filename: str) -> str:
    return content_disposition_header(as_attachment=as_attachment, filename=filename) or ""
