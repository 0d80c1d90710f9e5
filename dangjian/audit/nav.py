"""Menu entry of the audit log: only the audit administrator sees it (三员分立)."""

from dangjian.audit.selectors import is_audit_admin
from dangjian.core.registries import NavItem, register_nav

register_nav(
    NavItem(
        section="安全审计",
        label="审计日志",
        url_name="audit:event_list",
        icon="🛡",
        order=900,
        visible=is_audit_admin,
    )
)
