"""Party organisation tree, administrative unit tree, political-work departments, history.

Both trees use a materialised path (``path``: fixed-width hex ids joined by dots, root first):
a subtree is one indexed ``LIKE 'prefix%'`` predicate on any database, which is what the scope
filter needs on every query (see docs/decisions.md). Nothing is deleted: restructuring writes an
``OrgEvent`` and dissolved organisations keep their rows, so old records still show them.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from dangjian.core.scope import ScopeSpec

PATH_SEGMENT_WIDTH = 8


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}x}."


def path_ids(path: str) -> list[int]:
    """The ids on a materialised path, root first."""
    return [int(part, 16) for part in path.split(".") if part]


PATH_END = "~"  # sorts after every path character (lowercase hex digits and ".") in byte order


class PathField(models.CharField):  # type: ignore[type-arg]
    """A materialised path, compared byte by byte on every database.

    SQLite compares text bytewise (BINARY). On PostgreSQL the column gets the "C" collation:
    under a database's linguistic default (en_US.UTF-8, zh_CN.UTF-8, ICU) punctuation sorts
    before digits, so ``path + PATH_END`` would sort *before* the children and every subtree
    range (``subtree_range``) would miss them — and ordering by path would not be tree order.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


def subtree_range(path: str, via: str = "", end: str | None = None) -> dict[str, str]:
    """Filter keywords for the subtree under ``path`` (inclusive) as a range on the indexed
    path column — which the database serves from the index, where ``LIKE 'x%'`` scans every
    row. ``via`` names the relation to the tree, e.g. ``"party_org__"``. ``end`` is
    ``path + PATH_END``, given by callers that pass both bounds as statement parameters
    (``core.statements.Prepared``)."""
    return {f"{via}path__gte": path, f"{via}path__lt": path + PATH_END if end is None else end}


class TreeNode(models.Model):
    """Materialised-path tree behaviour shared by PartyOrg and Unit."""

    name = models.CharField("名称", max_length=120)
    path = PathField("路径", max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField("层级", default=0, editable=False)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def compute_path(self) -> None:
        parent = getattr(self, "parent", None)
        prefix = parent.path if parent is not None else ""
        self.path = prefix + path_segment(self.pk)
        self.depth = prefix.count(".")

    def is_descendant_of(self, other: TreeNode) -> bool:
        return self.path.startswith(other.path)


class PartyOrg(TreeNode):
    class Kind(models.TextChoices):
        COMMITTEE = "committee", "党委"
        GENERAL_BRANCH = "general_branch", "党总支"
        BRANCH = "branch", "党支部"
        GROUP = "group", "党小组"

    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField("组织代码", max_length=40, blank=True)
    category = models.CharField("党组织类别", max_length=60, blank=True)
    unit_situation = models.CharField("单位建立党组织情况", max_length=120, blank=True)
    secretary_name = models.CharField("书记", max_length=40, blank=True)
    contact_name = models.CharField("联系人", max_length=40, blank=True)
    contact_phone = models.CharField("联系电话", max_length=40, blank=True)
    established_on = models.DateField("成立日期", null=True, blank=True)
    has_committee = models.BooleanField("设支部委员会", default=False)
    term_started_on = models.DateField("本届任期开始", null=True, blank=True)
    term_ends_on = models.DateField("本届任期届满", null=True, blank=True)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    covered_units: models.ManyToManyField[Unit, Any] = models.ManyToManyField(
        "Unit", verbose_name="覆盖班队", blank=True, related_name="covering_groups"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    scope = ScopeSpec(org_path="path")

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["path"]
        indexes = [
            models.Index(
                fields=["path"], name="orgs_partyorg_path_like", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["kind", "dissolved_on"], name="orgs_partyorg_kind_active"),
        ]

    @property
    def is_active(self) -> bool:
        return self.dissolved_on is None or self.dissolved_on > timezone.localdate()

    @property
    def display_name(self) -> str:
        """The name as shown everywhere: dissolved organisations say so."""
        return self.name if self.is_active else f"{self.name}（已撤销）"

    def ancestor_ids(self) -> list[int]:
        """Ids of the ancestors, root first, read from the path (no queries)."""
        return path_ids(self.path)[:-1]


class Unit(TreeNode):
    class Kind(models.TextChoices):
        MINE = "mine", "矿/公司"
        WORKSHOP = "workshop", "区队/车间"
        DEPARTMENT = "department", "科室/部门"
        TEAM = "team", "班队/班组"

    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_production = models.BooleanField("生产单位", default=False)
    party_org = models.ForeignKey(
        PartyOrg,
        verbose_name="负责党组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)

    scope = ScopeSpec(org_path="party_org__path")

    class Meta:
        verbose_name = "行政单位"
        verbose_name_plural = "行政单位"
        ordering = ["path"]
        indexes = [
            models.Index(
                fields=["path"], name="orgs_unit_path_like", opclasses=["varchar_pattern_ops"]
            ),
        ]

    @property
    def display_name(self) -> str:
        return self.name if self.dissolved_on is None else f"{self.name}（已撤销）"


class Department(models.Model):
    """Political-work departments (政工职能部门), each owning a domain of Party work."""

    class Domain(models.TextChoices):
        POLITICAL_WORK = "political_work", "政治工作部"
        ORGANISATION = "organisation", "组织人事"
        PUBLICITY = "publicity", "宣传"
        DISCIPLINE = "discipline", "纪委监察"
        UNION = "union", "工会"
        YOUTH_LEAGUE = "youth_league", "团委"
        SECURITY = "security", "武装保卫"
        TRAINING = "training", "培训"

    name = models.CharField("名称", max_length=60)
    domain = models.CharField("职能领域", max_length=20, choices=Domain.choices)
    party_org = models.ForeignKey(
        PartyOrg, verbose_name="所属党委", on_delete=models.PROTECT, related_name="departments"
    )
    sort_order = models.PositiveIntegerField("排序", default=0)

    scope = ScopeSpec(org_path="party_org__path")

    class Meta:
        verbose_name = "政工职能部门"
        verbose_name_plural = "政工职能部门"
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["party_org", "domain"], name="orgs_department_domain")
        ]

    def __str__(self) -> str:
        return self.name


class OrgEvent(models.Model):
    """One restructuring step; together they give the organisation as it was at any date."""

    class Kind(models.TextChoices):
        CREATE = "create", "成立"
        RENAME = "rename", "更名"
        MOVE = "move", "调整隶属"
        MERGE = "merge", "合并"
        SPLIT = "split", "拆分"
        DISSOLVE = "dissolve", "撤销"
        TERM = "term", "换届"
        UPDATE = "update", "信息变更"

    org = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事项", max_length=20, choices=Kind.choices)
    effective_on = models.DateField("生效日期")
    old_name = models.CharField("原名称", max_length=120, blank=True)
    new_name = models.CharField("新名称", max_length=120, blank=True)
    old_parent = models.ForeignKey(
        PartyOrg, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_parent = models.ForeignKey(
        PartyOrg, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    related_org = models.ForeignKey(
        PartyOrg, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField("说明", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(org_path="org__path")

    class Meta:
        verbose_name = "组织调整记录"
        verbose_name_plural = "组织调整记录"
        ordering = ["effective_on", "id"]
        indexes = [models.Index(fields=["org", "effective_on"], name="orgs_event_org_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.org_id} {self.effective_on}"
