"""Excel export of the audit log (registered with ``core.exports``), audit admin only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dangjian.audit.selectors import EXPORT_HEADERS, clean_filters, export_rows
from dangjian.core.exports import register_export


@register_export("audit.events", "审计日志")
def export_events(user: Any, params: dict[str, Any]) -> tuple[list[str], Iterable[Iterable[Any]]]:
    # The selector refuses anyone but the audit admin, whoever started the job.
    filters = clean_filters(params)
    rows = export_rows(user=user, filters=filters)
    return EXPORT_HEADERS, rows
