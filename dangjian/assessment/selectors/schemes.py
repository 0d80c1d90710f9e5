"""Reads of assessment schemes, every queryset through ``restrict``.

A grant with ``view_assessmentscheme`` sees the schemes of its subtree; a department scorer
(``dept_staff``: criteria and categories of its domain only, no scheme permission) sees the
schemes that hold a category of its domain, and inside them only its own categories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from dangjian.assessment.formulas import describe
from dangjian.assessment.models import AssessmentScheme, Category, Criterion, DeductionItem
from dangjian.core.exports import register_export
from dangjian.core.registries import indicators
from dangjian.core.scope import has_permission, restrict


def can_view(user: Any) -> bool:
    return has_permission(user, AssessmentScheme, "view") or has_permission(user, Category, "view")


def scheme_list(
    *, user: Any, q: str = "", year: int | None = None, state: str = ""
) -> QuerySet[AssessmentScheme]:
    if has_permission(user, AssessmentScheme, "view"):
        qs = restrict(AssessmentScheme.objects.all(), user, "view")
    else:
        visible = restrict(Category.objects.all(), user, "view").values("scheme_id")
        qs = AssessmentScheme.objects.filter(pk__in=visible)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(party_org__name__icontains=q))
    if year:
        qs = qs.filter(year=year)
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("party_org").annotate(
        criteria_count=Count("categories__criteria", distinct=True)
    )


def scheme_get(*, user: Any, pk: int, action: str = "view") -> AssessmentScheme | None:
    if action == "view":
        return scheme_list(user=user).filter(pk=pk).first()
    return (
        restrict(AssessmentScheme.objects.filter(pk=pk), user, action)
        .select_related("party_org", "based_on", "published_by")
        .first()
    )


@dataclass
class CriterionRow:
    criterion: Criterion
    indicator_title: str = ""
    formula_text: str = ""
    evidence_labels: list[str] = field(default_factory=list)


@dataclass
class CategoryBlock:
    category: Category
    rows: list[CriterionRow]
    base_points: Any = 0
    bonus_points: Any = 0


def scheme_tree(*, user: Any, scheme: AssessmentScheme) -> list[CategoryBlock]:
    """Categories with their criteria and deduction items visible to ``user`` (3 queries)."""
    from dangjian.assessment.models import EvidenceMethod

    labels = dict(EvidenceMethod.choices)
    registry = indicators()
    criteria = restrict(Criterion.objects.all(), user, "view").prefetch_related(
        Prefetch(
            "deductions",
            queryset=restrict(DeductionItem.objects.all(), user, "view").order_by(
                "sort_order", "pk"
            ),
        )
    )
    categories = (
        restrict(Category.objects.filter(scheme=scheme), user, "view")
        .order_by("sort_order", "pk")
        .prefetch_related(
            Prefetch("criteria", queryset=criteria.order_by("sort_order", "pk"), to_attr="rows")
        )
    )
    blocks = []
    for category in categories:
        rows = []
        for criterion in category.rows:  # type: ignore[attr-defined]
            indicator = registry.get(criterion.indicator_key)
            rows.append(
                CriterionRow(
                    criterion,
                    indicator.title if indicator else criterion.indicator_key,
                    describe(criterion.formula, indicator.unit if indicator else ""),
                    [labels.get(m, m) for m in criterion.evidence_methods or []],
                )
            )
        base = sum((r.criterion.max_points for r in rows if not r.criterion.is_bonus), start=0)
        bonus = sum((r.criterion.max_points for r in rows if r.criterion.is_bonus), start=0)
        blocks.append(CategoryBlock(category, rows, base, bonus))
    return blocks


def criteria_rows(*, user: Any, scheme: AssessmentScheme) -> list[list[Any]]:
    """The criteria of a scheme as spreadsheet rows (the Excel export)."""
    rows = []
    for block in scheme_tree(user=user, scheme=scheme):
        for row in block.rows:
            c = row.criterion
            rows.append(
                [
                    block.category.code,
                    block.category.name,
                    c.code,
                    c.title,
                    float(c.max_points),
                    c.get_method_display(),
                    c.standard,
                    row.indicator_title if c.indicator_key else "",
                    row.formula_text,
                    "、".join(row.evidence_labels),
                    c.evidence_required,
                    "是" if c.is_veto else "",
                    "是" if c.is_bonus else "",
                    "；".join(f"{d.text}（扣{d.points}分）" for d in c.deductions.all()),
                ]
            )
    return rows


CRITERIA_HEADERS = [
    "大项编号",
    "大项",
    "细则编号",
    "考核内容",
    "分值",
    "评分方式",
    "评分标准",
    "自动指标",
    "计分公式",
    "考核方式",
    "佐证材料",
    "一票否决",
    "加分项",
    "扣分情形",
]


@register_export("assessment.scheme_criteria", "考核方案细则")
def export_criteria(user: Any, params: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Registered with core.exports: the job re-reads the scheme through the owner's scope."""
    try:
        pk = int(params.get("scheme", 0))
    except (TypeError, ValueError):
        pk = 0
    scheme = scheme_get(user=user, pk=pk)
    if scheme is None or not has_permission(user, AssessmentScheme, "view"):
        return CRITERIA_HEADERS, []
    return CRITERIA_HEADERS, criteria_rows(user=user, scheme=scheme)
