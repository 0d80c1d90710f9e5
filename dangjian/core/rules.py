"""Read business rules (``core.Rule``) with their seeded defaults.

``DEFAULT_RULES`` is the single list of every rule the system knows, with the default from
``RULES.md``/``SECURITY.md`` and its source; a data migration seeds it, authorised users edit it.
"""

from __future__ import annotations

from typing import Any

# key: (category, name, default, unit, source)
DEFAULT_RULES: dict[str, tuple[str, str, Any, str, str]] = {
    # organisation (RULES.md "Organisations")
    "org.branch_min_full_members": (
        "org",
        "成立党支部最少正式党员数",
        3,
        "人",
        "《中国共产党支部工作条例(试行)》第六条",
    ),
    "org.branch_max_members": ("org", "党支部党员人数上限", 50, "人", "《支部工作条例》第六条"),
    "org.committee_required_full_members": (
        "org",
        "应设支部委员会的正式党员数",
        7,
        "人",
        "《支部工作条例》第十四条",
    ),
    "org.term_years": ("org", "支部委员会任期", 3, "年", "《支部工作条例》第十四条"),
    "org.term_reminder_days": ("org", "换届提前提醒天数", 60, "天", "企业惯例(local)"),
    "org.front_line_member_target": (
        "org",
        "生产单位一线党员占比目标",
        0.10,
        "比例",
        "矿党委目标(文章)",
    ),
    # security (SECURITY.md)
    "security.password_min_length": ("security", "密码最小长度", 8, "字符", "SECURITY.md AUTH-02"),
    "security.password_min_classes": ("security", "密码最少字符类别", 3, "类", "等保 8.1.4.1a"),
    "security.password_max_age_days": ("security", "密码有效期", 90, "天", "SECURITY.md AUTH-04"),
    "security.password_history": ("security", "不可重复使用的历史密码数", 5, "个", "AUTH-03"),
    "security.lockout_failures": ("security", "锁定前连续失败次数", 5, "次", "等保 8.1.4.1b"),
    "security.lockout_minutes": ("security", "账户锁定时长", 30, "分钟", "AUTH-05"),
    "security.ip_failures_per_hour": ("security", "每IP每小时登录失败上限", 100, "次", "AUTH-06"),
    "security.idle_timeout_minutes": ("security", "会话空闲超时", 30, "分钟", "SESS-01"),
    "security.absolute_session_hours": ("security", "会话绝对时长", 8, "小时", "SESS-02"),
    "security.inactive_account_days": ("security", "长期未用账户停用天数", 90, "天", "AC-06"),
    "security.audit_retention_days": (
        "security",
        "审计日志保留天数",
        365,
        "天",
        "网络安全法 23(3)",
    ),
    "security.reveal_alert_per_hour": ("security", "每小时查看明文告警阈值", 30, "次", "PI-09"),
    "security.export_row_cap": ("security", "单次导出行数上限", 1_000_000, "行", "PI-05"),
    "security.export_ttl_hours": ("security", "导出文件保留时长", 24, "小时", "PI-05/RIP-02"),
    "security.import_max_rows": ("security", "单次导入行数上限", 200_000, "行", "IN-05"),
    "security.import_background_rows": ("security", "转入后台导入的行数", 2_000, "行", "体验"),
    "security.api_requests_per_minute": (
        "security",
        "API每分钟请求上限(每用户/IP)",
        600,
        "次",
        "SECURITY.md IN-06",
    ),
    "security.api_token_days": ("security", "API令牌默认有效期", 180, "天", "AUTH-10/企业惯例"),
    "security.mfa_required": (
        "security",
        "强制多因素认证（三员及有明文查看/导出权限者）",
        True,
        "是/否",
        "SECURITY.md AUTH-07；等保 8.1.4.1d",
    ),
    "security.mfa_failures": ("security", "动态口令连续错误上限", 5, "次", "SECURITY.md AUTH-08"),
    "security.mfa_lock_minutes": ("security", "动态口令错误锁定时长", 15, "分钟", "AUTH-08"),
    "security.export_alert_per_hour": ("security", "每小时导出告警阈值", 10, "次", "PI-09"),
    "security.exports_per_hour": ("security", "每人每小时最多导出次数", 30, "次", "IN-06"),
    # organisational life (RULES.md "Organisational life"; frequencies are orglife.MeetingType)
    "orglife.silent_days": ("orglife", "支部无活动(沉默支部)预警天数", 30, "天", "RULES.md(local)"),
    "orglife.due_soon_days": ("orglife", "应开会议到期前预警天数", 7, "天", "RULES.md(local)"),
    "orglife.signin_token_hours": ("orglife", "签到二维码有效时长", 4, "小时", "企业惯例(local)"),
    # democratic appraisal (RULES.md "Organisational life"): share of 优秀, rounded down (floor)
    "appraisal.excellent_max_ratio": (
        "appraisal",
        "民主评议优秀等次占参评党员比例上限（向下取整）",
        "1/3",
        "比例",
        "《关于党员民主评议的意见》：优秀不超过参评党员的三分之一",
    ),
    # member development (RULES.md "Member development"; the steps are development.StepRule)
    "development.extension_min_months": ("development", "延长预备期最短", 6, "个月", "党章第七条"),
    "development.extension_max_months": ("development", "延长预备期最长", 12, "个月", "党章第七条"),
    "development.extension_max_count": ("development", "延长预备期次数上限", 1, "次", "党章第七条"),
    "development.due_soon_days": (
        "development",
        "发展步骤到期前提醒天数",
        14,
        "天",
        "企业惯例(local)",
    ),
    # dues (RULES.md "Dues"; brackets and categories are rule tables of the dues app)
    "dues.makeup_max_months": (
        "dues",
        "党费补交最长月数",
        6,
        "月",
        "《党费收缴、使用和管理的规定》",
    ),
    "dues.centre_single_payment_fen": (
        "dues",
        "一次性自愿交纳全额上缴中央的起点",
        100000,
        "分",
        "《党费收缴、使用和管理的规定》(1000元)",
    ),
    "dues.arrears_reminder_months": ("dues", "欠缴党费提醒月数", 1, "月", "企业惯例(local)"),
    # transfers, lost contact and lapse (RULES.md "Transfers, lost contact, lapse")
    "transfers.letter_valid_months": ("transfers", "组织关系介绍信有效期", 3, "月", "RULES.md"),
    "transfers.letter_valid_months_cross_province": (
        "transfers",
        "跨省组织关系介绍信有效期",
        6,
        "月",
        "RULES.md",
    ),
    "people.lost_contact_months": ("people", "失联党员认定月数", 6, "月", "RULES.md 失联"),
    "lapse.warn_months": ("lapse", "连续未参加组织生活/未交党费黄色预警月数", 3, "月", "RULES.md"),
    "lapse.escalate_months": ("lapse", "升级为红色预警(报党委)月数", 5, "月", "RULES.md"),
    "lapse.review_months": ("lapse", "视为自行脱党须支部大会讨论月数", 6, "月", "党章第九条"),
    "people.analytics_cache_minutes": (
        "people",
        "结构分析与首页统计缓存最长分钟数（0 为不缓存）",
        10,
        "分钟",
        "性能设计（docs/decisions.md）：人员或组织变更后立即重算，此为其他变更的最长滞后",
    ),
    # assessment (RULES.md "Branch star rating"); rounds and annual evaluations snapshot them
    "assessment.star_thresholds": (
        "assessment",
        "星级党支部分数线（星级: 最低分）",
        {"5": 90, "4": 80, "3": 70, "2": 60, "1": 0},
        "分",
        "RULES.md 星级党支部（示例）",
    ),
    "assessment.five_star_requires_innovation": (
        "assessment",
        "评五星须有创新项目",
        True,
        "是/否",
        "RULES.md 星级党支部",
    ),
    "assessment.star_quotas": (
        "assessment",
        "星级名额比例上限（启用名额时）",
        {"5": 0.10, "4": 0.40},
        "比例",
        "RULES.md 星级党支部（约10%五星，30–40%四星）",
    ),
    "assessment.notice_days": ("assessment", "考核结果公示天数", 5, "天", "RULES.md 程序"),
    "assessment.annual_weights": (
        "assessment",
        "年终总评季度权重",
        {"1": 0.25, "2": 0.25, "3": 0.25, "4": 0.25},
        "权重",
        "企业惯例(local)：四个季度平均",
    ),
    "assessment.star_member_weights": (
        "assessment",
        "星级党员评分权重（自评、支部、群众）",
        {"self": 1, "branch": 1, "masses": 1},
        "权重",
        "RULES.md 星级党员：三者平均(local)",
    ),
    "assessment.star_member_thresholds": (
        "assessment",
        "星级党员分数线（星级: 最低分）",
        {"5": 95, "4": 90, "3": 80, "2": 70, "1": 0},
        "分",
        "企业惯例(local)",
    ),
    "assessment.survey_min_respondents": (
        "assessment",
        "满意度测评计入得分的最少参评人数",
        5,
        "人",
        "企业惯例(local)",
    ),
}


def rule(key: str) -> Any:
    """Current value of a rule: the stored row, else the seeded default."""
    from dangjian.core.models import Rule

    row = Rule.objects.filter(key=key).values_list("value", flat=True).first()
    if row is not None:
        return row
    return DEFAULT_RULES[key][2]


def rules(*keys: str) -> dict[str, Any]:
    """Several rules in one query."""
    from dangjian.core.models import Rule

    stored = dict(Rule.objects.filter(key__in=keys).values_list("key", "value"))
    return {key: stored.get(key, DEFAULT_RULES[key][2]) for key in keys}


def seed_rules(rule_model: Any) -> None:
    """Insert missing rules with their defaults (used by the data migration and ``init``)."""
    existing = set(rule_model.objects.values_list("key", flat=True))
    rule_model.objects.bulk_create(
        [
            rule_model(key=k, category=c, name=n, value=v, unit=u, source=s)
            for k, (c, n, v, u, s) in DEFAULT_RULES.items()
            if k not in existing
        ]
    )
