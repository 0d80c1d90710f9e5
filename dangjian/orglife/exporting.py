"""Excel export of the meeting list ("orglife.meetings"), scoped to the job's owner."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from dangjian.core.exports import register_export

HEADERS = [
    "会议名称",
    "党组织",
    "会议类型",
    "召开时间",
    "地点",
    "计入周期",
    "状态",
    "应到",
    "实到",
    "达到法定人数",
    "议题",
]
CHUNK = 1000


@register_export("orglife.meetings", "组织生活会议")
def export_meetings(user: Any, params: dict[str, Any]) -> tuple[list[str], Iterable[Any]]:
    from dangjian.orglife.views import _filtered

    filters = {key: str(params.get(key, "")) for key in ("q", "org", "type", "state", "period")}
    qs = _filtered(user, filters)

    def rows() -> Iterator[list[Any]]:
        last = 0
        while True:
            chunk = list(qs.filter(pk__gt=last).order_by("pk")[:CHUNK])
            if not chunk:
                return
            for m in chunk:
                yield [
                    m.title,
                    m.org.name,
                    m.meeting_type.name,
                    m.planned_at.strftime("%Y-%m-%d %H:%M"),
                    m.location,
                    f"{m.period_start:%Y-%m-%d}至{m.period_end:%Y-%m-%d}",
                    m.get_state_display(),
                    m.invited_count,
                    m.present_count,
                    {True: "是", False: "否", None: "—"}[m.quorate],
                    m.topic,
                ]
            last = chunk[-1].pk

    return HEADERS, rows()
