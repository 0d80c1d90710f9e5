"""Standard ledgers (标准化台帐): per branch and year, generated from the records.

Nothing is typed here: a ledger is assembled from the sections the domain apps register
(``dangjian.core.registries.register_ledger_section``). ``Ledger`` records each generated file
(who, which branch and year, which format, the background job that wrote it) and carries the
permissions and the scope: a branch secretary may generate only their own branch's ledger.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.models import Job
from dangjian.core.scope import ScopeSpec
from dangjian.orgs.models import PartyOrg


class Ledger(models.Model):
    class Format(models.TextChoices):
        DOCX = "docx", "Word (.docx)"
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel (.xlsx)"

    branch = models.ForeignKey(
        PartyOrg, verbose_name="党支部", on_delete=models.PROTECT, related_name="ledgers"
    )
    year = models.PositiveSmallIntegerField("年度")
    fmt = models.CharField("格式", max_length=4, choices=Format.choices)
    job = models.OneToOneField(Job, null=True, on_delete=models.SET_NULL, related_name="ledger")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    scope = ScopeSpec(org_path="branch__path")

    class Meta:
        verbose_name = "标准化台帐"
        verbose_name_plural = "标准化台帐"
        ordering = ["-created_at", "-id"]
        permissions = [("export_ledger", "下载标准化台帐")]

    def __str__(self) -> str:
        return f"{self.branch.name} {self.year}年度标准化台帐（{self.fmt}）"
