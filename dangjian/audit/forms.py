"""The audit-log search form: every filter the audit admin may use (AUD-07)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from dangjian.audit.models import AuditEvent

EVENT_TYPE_LABELS: dict[str, str] = {
    "login_success": "登录成功",
    "login_failure": "登录失败",
    "logout": "退出登录",
    "lockout": "账户锁定",
    "unlock": "账户解锁",
    "password_change": "修改密码",
    "password_reset": "重置密码",
    "session_kill": "终止会话",
    "token_issue": "签发令牌",
    "token_revoke": "吊销令牌",
    "account_create": "创建账户",
    "account_disable": "停用账户",
    "account_enable": "启用账户",
    "role_grant": "授予角色",
    "role_revoke": "撤销角色",
    "permission_change": "权限变更",
    "rule_change": "规则参数变更",
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "restructure": "组织调整",
    "import": "导入",
    "export": "导出",
    "reveal": "查看明文",
    "permission_denied": "拒绝访问",
    "key_rotate": "密钥轮换",
    "key_reencrypt": "数据重加密",
    "demo_load": "加载演示数据",
    "synthetic_generate": "生成测试数据",
    "audit_search": "查询审计日志",
    "audit_view": "查看审计记录",
    "audit_export": "导出审计日志",
    "audit_purge": "清理过期审计日志",
    "db_role_grant": "数据库应用角色授权",
    "backup_create": "创建加密备份",
    "backup_restore": "从备份恢复",
    "job_download": "下载导出/生成的文件",
    "backup_drill": "备份恢复演练",
}


def event_type_label(code: str) -> str:
    return EVENT_TYPE_LABELS.get(code, code)


class AuditFilterForm(forms.Form):
    """All fields optional; an empty form lists everything, newest first."""

    date_from = forms.DateField(label="开始日期", required=False)
    date_to = forms.DateField(label="结束日期", required=False)
    actor = forms.CharField(label="操作人", required=False, max_length=150)
    event_type = forms.CharField(label="事件类型", required=False, max_length=40)
    object_type = forms.CharField(label="对象类型", required=False, max_length=60)
    object_id = forms.CharField(label="对象ID", required=False, max_length=64)
    outcome = forms.ChoiceField(
        label="结果", required=False, choices=[("", "全部"), *AuditEvent.Outcome.choices]
    )
    ip = forms.CharField(label="来源IP", required=False, max_length=45)
    request_id = forms.CharField(label="请求ID", required=False, max_length=32)

    FIELDS = (
        "date_from",
        "date_to",
        "actor",
        "event_type",
        "object_type",
        "object_id",
        "outcome",
        "ip",
        "request_id",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "结束日期不能早于开始日期。")
        for name in ("actor", "event_type", "object_type", "object_id", "ip", "request_id"):
            if isinstance(cleaned.get(name), str):
                cleaned[name] = cleaned[name].strip()
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The non-empty filters, JSON-friendly (dates as ISO strings), for audit and export."""
        result: dict[str, Any] = {}
        for name in self.FIELDS:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            result[name] = value.isoformat() if isinstance(value, dt.date) else value
        return result
