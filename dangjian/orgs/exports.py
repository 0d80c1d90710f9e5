"""Excel export of the party-organisation list ("orgs.partyorgs"), scoped to the job's owner.

Rows stream in chunks: each chunk reads its member counts and rule warnings set-based, so
memory stays flat and the query count grows with chunks, not rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from dangjian.core.exports import register_export
from dangjian.core.registries import org_member_counts, org_warnings
from dangjian.orgs.models import PartyOrg
from dangjian.orgs.selectors import org_search

CHUNK = 500
HEADERS = [
    "组织名称",
    "组织类型",
    "上级组织",
    "组织代码",
    "党组织类别",
    "单位建立党组织情况",
    "书记",
    "联系人",
    "联系电话",
    "成立日期",
    "设支部委员会",
    "本届任期开始",
    "本届任期届满",
    "党员数",
    "正式党员数",
    "状态",
    "提醒",
]


def _chunks(qs: Any) -> Iterator[list[PartyOrg]]:
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


@register_export("orgs.partyorgs", "党组织")
def export_partyorgs(user: Any, params: dict[str, Any]) -> tuple[list[str], Iterable[Any]]:
    qs = org_search(
        user=user,
        q=str(params.get("q", "")),
        kind=str(params.get("kind", "")),
        active=str(params.get("active", "")),
        warning=str(params.get("warning", "")),
    )

    def rows() -> Iterator[list[Any]]:
        for chunk in _chunks(qs):
            ids = [org.pk for org in chunk]
            counts = org_member_counts(ids)
            warnings = org_warnings(ids)
            for org in chunk:
                yield [
                    org.name,
                    org.get_kind_display(),
                    org.parent.name if org.parent else "",
                    org.code,
                    org.category,
                    org.unit_situation,
                    org.secretary_name,
                    org.contact_name,
                    org.contact_phone,
                    org.established_on,
                    "是" if org.has_committee else "否",
                    org.term_started_on,
                    org.term_ends_on,
                    counts[org.pk].members,
                    counts[org.pk].full,
                    "正常" if org.is_active else f"已撤销（{org.dissolved_on:%Y-%m-%d}）",
                    "；".join(w.message for w in warnings.get(org.pk, [])),
                ]

    return HEADERS, rows()
