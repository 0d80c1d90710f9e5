"""Excel export of the development pipeline (``development.cases``), scoped to the job owner."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.utils import timezone

from dangjian.core.exports import register_export
from dangjian.development.models import DevelopmentCase
from dangjian.development.selectors import FILTER_PARAMS, case_filters, case_list

EXPORT_KEY = "development.cases"
HEADERS = [
    "工号",
    "姓名",
    "所在党支部",
    "当前阶段",
    "已完成至步骤",
    "下一步骤",
    "最早可办日期",
    "最迟办理日期",
    "是否超期",
    "状态",
    "延长预备期(月)",
]


def export_params(query: Mapping[str, Any]) -> dict[str, Any]:
    return {k: str(query.get(k))[:100] for k in FILTER_PARAMS if query.get(k) is not None}


def export_queryset(user: Any, params: Mapping[str, Any]) -> Any:
    filters = case_filters(params)
    return case_list(user=user, action="export", **filters).order_by("branch__path", "pk")


@register_export(EXPORT_KEY, "发展党员名单")
def export_cases(user: Any, params: dict[str, Any]) -> tuple[list[str], Iterable[Iterable[Any]]]:
    queryset = export_queryset(user, params)
    today = timezone.localdate()

    def rows() -> Iterator[list[Any]]:
        case: DevelopmentCase
        for case in queryset.iterator(chunk_size=2000):
            yield [
                case.person.employee_no,
                case.person.name,
                case.branch.name,
                case.get_current_stage_display(),
                case.last_step,
                case.next_step or "",
                case.next_earliest,
                case.next_latest,
                "是" if case.next_latest and case.next_latest < today else "否",
                case.get_state_display(),
                case.extension_months or "",
            ]

    return list(HEADERS), rows()
