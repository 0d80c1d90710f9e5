"""Transfers of a member's Party relationship (组织关系转接).

* ``internal``: between two organisations of the system. The sending branch starts it
  (``pending_out``), the sending side approves (``pending_in``), the receiving side accepts
  (``completed``): the person's ``party_org``/``party_group`` then change through
  ``people.services.person_update`` so ``PersonChange`` keeps the organisation history.
* ``outgoing``: to an organisation outside the system: an introduction letter (介绍信) with a
  number sequential per year, a validity (rules ``transfers.letter_valid_months``, 6 months
  across provinces) and the paid-up month (党费交至); the receipt (回执) closes it.
* ``incoming``: from outside: the other side's letter is registered and accepted into an
  organisation of the system (the person record must exist, e.g. created on hiring).
"""

from __future__ import annotations

from django.db import models

from dangjian.core.scope import ScopeSpec


class Transfer(models.Model):
    class Kind(models.TextChoices):
        INTERNAL = "internal", "系统内转接"
        OUTGOING = "outgoing", "转出系统外"
        INCOMING = "incoming", "从系统外转入"

    class Status(models.TextChoices):
        PENDING_OUT = "pending_out", "待转出审批"
        PENDING_IN = "pending_in", "待接收"
        AWAITING_RECEIPT = "awaiting_receipt", "待回执"
        COMPLETED = "completed", "已完成"
        REJECTED = "rejected", "已退回"
        CANCELLED = "cancelled", "已撤销"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    status = models.CharField("状态", max_length=20, choices=Status.choices)
    person = models.ForeignKey(
        "people.Person", verbose_name="党员", on_delete=models.PROTECT, related_name="transfers"
    )
    from_org = models.ForeignKey(
        "orgs.PartyOrg",
        verbose_name="转出组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
    )
    to_org = models.ForeignKey(
        "orgs.PartyOrg",
        verbose_name="接收组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    to_group = models.ForeignKey(
        "orgs.PartyOrg",
        verbose_name="编入党小组",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    external_org = models.CharField("系统外组织", max_length=200, blank=True)
    cross_province = models.BooleanField("跨省", default=False)
    reason = models.CharField("转接原因", max_length=200, blank=True)
    letter_no = models.CharField("介绍信编号", max_length=40, blank=True, db_index=True)
    letter_year = models.PositiveSmallIntegerField(null=True, blank=True)
    letter_seq = models.PositiveIntegerField(null=True, blank=True)
    issued_on = models.DateField("开具日期", null=True, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    paid_up_to = models.DateField("党费交至", null=True, blank=True)
    receipt_on = models.DateField("回执日期", null=True, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    requested_by = models.CharField("发起人", max_length=150, blank=True)
    requested_at = models.DateTimeField("发起时间", auto_now_add=True)
    approved_by = models.CharField("转出审批人", max_length=150, blank=True)
    approved_at = models.DateTimeField("转出审批时间", null=True, blank=True)
    accepted_by = models.CharField("接收人", max_length=150, blank=True)
    accepted_at = models.DateTimeField("接收时间", null=True, blank=True)
    completed_on = models.DateField("完成日期", null=True, blank=True)

    # The sending side sees it through from_org, the receiving side through to_org (``many``:
    # the restrict() predicate is an OR over two paths), the member through the person.
    scope = ScopeSpec(org_path="from_org__path", person="person_id")

    class Meta:
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter_year", "letter_seq"], name="transfers_letter_number_uniq"
            )
        ]
        indexes = [models.Index(fields=["status", "kind"], name="transfers_status_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person_id}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("transfers:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (
            self.Status.PENDING_OUT,
            self.Status.PENDING_IN,
            self.Status.AWAITING_RECEIPT,
        )


class LetterCounter(models.Model):
    """Last introduction-letter number issued per year (locked with select_for_update)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "介绍信编号"
        verbose_name_plural = "介绍信编号"

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
