"""Default meeting-type rules from RULES.md ("Organisational life"), seeded by migration.

Each entry: code, name, frequency, org kinds, requires a branch committee, counts for
compliance, quorum rule, quorum share (strictly more than), source, note. Code never reads
these literals: it reads the ``MeetingType`` rows, which authorised users may edit.
"""

from __future__ import annotations

from typing import Any

DEFAULT_MEETING_TYPES: list[dict[str, Any]] = [
    {
        "code": "branch_general",
        "name": "支部党员大会",
        "frequency": "quarter",
        "applies_to": ["branch"],
        "requires_committee": False,
        "quorum": "voting_members",
        "quorum_share": "0.5",
        "source": "《中国共产党支部工作条例(试行)》第十二条、第十九条：每季度召开一次；"
        "有表决权的到会人数须超过应到会人数的半数",
        "note": "预备党员没有表决权",
    },
    {
        "code": "branch_committee",
        "name": "支部委员会",
        "frequency": "month",
        "applies_to": ["branch"],
        "requires_committee": True,
        "quorum": "invitees",
        "quorum_share": "0.5",
        "source": "《支部工作条例》第十九条：一般每月召开一次；到会委员超过半数方能召开",
        "note": "仅设支部委员会的支部",
    },
    {
        "code": "group_meeting",
        "name": "党小组会",
        "frequency": "month",
        "applies_to": ["group"],
        "requires_committee": False,
        "quorum": "none",
        "quorum_share": "0.5",
        "source": "《支部工作条例》第十九条：党小组会一般每月召开一次",
        "note": "",
    },
    {
        "code": "party_lecture",
        "name": "党课",
        "frequency": "quarter",
        "applies_to": ["branch", "committee"],
        "requires_committee": False,
        "quorum": "none",
        "quorum_share": "0.5",
        "source": "企业惯例(local)：每季度一次；中央要求支部书记每年至少讲一次党课",
        "note": "支部书记每年至少讲一次",
    },
    {
        "code": "theme_day",
        "name": "主题党日",
        "frequency": "month",
        "applies_to": ["branch"],
        "requires_committee": False,
        "quorum": "none",
        "quorum_share": "0.5",
        "source": "《支部工作条例》第二十条：每月相对固定一天开展主题党日",
        "note": "",
    },
    {
        "code": "org_life_meeting",
        "name": "组织生活会",
        "frequency": "year",
        "applies_to": ["branch"],
        "requires_committee": False,
        "quorum": "none",
        "quorum_share": "0.5",
        "source": "《支部工作条例》第二十一条：一般每年召开一次（通常第四季度）",
        "note": "会前开展谈心谈话、征求意见",
    },
    {
        "code": "member_appraisal",
        "name": "民主评议党员",
        "frequency": "year",
        "applies_to": ["branch"],
        "requires_committee": False,
        "quorum": "none",
        "quorum_share": "0.5",
        "source": "《支部工作条例》第二十一条：每年开展一次民主评议党员",
        "note": "优秀不超过党员总数的三分之一",
    },
    {
        "code": "heart_talk",
        "name": "谈心谈话",
        "frequency": "year",
        "applies_to": ["branch"],
        "requires_committee": False,
        "quorum": "none",
        "quorum_share": "0.5",
        "source": "《支部工作条例》第二十一条：党员之间每年至少谈心谈话一次",
        "note": "每名党员每年至少一次",
    },
]


def seed_meeting_types(model: Any) -> None:
    """Insert the missing default meeting types (used by the data migration and tests)."""
    existing = set(model.objects.values_list("code", flat=True))
    model.objects.bulk_create(
        [
            model(sort_order=index, **row)
            for index, row in enumerate(DEFAULT_MEETING_TYPES)
            if row["code"] not in existing
        ]
    )
