"""Reads of rounds and sheets for the round pages: every queryset passes ``restrict``.

Query counts do not grow with rows: progress is aggregated in one query per round, a sheet's
scores come with their criteria, deductions and attachments prefetched, and record links are
resolved with one query per model label.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from dangjian.assessment.models import (
    AssessmentRound,
    Category,
    DeductionItem,
    Objection,
    Score,
    ScoreAttachment,
    ScorerAssignment,
    ScoreSheet,
    SelfCheck,
    SpotCheck,
)
from dangjian.assessment.services.rounds import may_for_branch, scorable_ids, score_open
from dangjian.core.exports import register_export
from dangjian.core.scope import has_permission, restrict


def round_list(
    *, user: Any, q: str = "", year: str = "", state: str = "", kind: str = ""
) -> QuerySet[AssessmentRound]:
    qs = restrict(AssessmentRound.objects.select_related("scheme"), user, "view")
    if q:
        qs = qs.filter(name__icontains=q)
    if year.isdigit():
        qs = qs.filter(year=int(year))
    if state in AssessmentRound.State.values:
        qs = qs.filter(state=state)
    if kind in AssessmentRound.Kind.values:
        qs = qs.filter(kind=kind)
    # counted in a subquery: the scope filter joins the sheets, which would narrow a plain Count
    # to the user's own branches (a secretary would read "1 branch assessed")
    return qs.annotate(sheet_count=_sheet_count())


def _sheet_count(**conditions: Any) -> Any:
    rows = (
        ScoreSheet.objects.filter(round=OuterRef("pk"), **conditions)
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


ROUND_HEADERS = [
    "名称",
    "类型",
    "年度",
    "季度",
    "考核期开始",
    "考核期结束",
    "开始日期",
    "截止日期",
    "阶段",
    "参评支部数",
    "已提交自查",
    "结果公布时间",
]


def may_export_rounds(user: Any) -> bool:
    return has_permission(user, AssessmentRound, "view") and has_permission(
        user, ScoreSheet, "export"
    )


@register_export("assessment.rounds", "考核轮次")
def export_rounds(user: Any, params: dict[str, Any]) -> tuple[list[str], Any]:
    """The round list as filtered on the page, re-read through the owner's scope by the job."""
    if not may_export_rounds(user):
        return ROUND_HEADERS, []
    filters = {k: str(params.get(k, ""))[:40] for k in ("q", "year", "state")}
    rounds = (
        round_list(user=user, **filters)
        .annotate(submitted=_sheet_count(self_check__submitted_at__isnull=False))
        .order_by("-period_start", "-id")
    )
    rows = (
        [
            r.name,
            r.get_kind_display(),
            r.year,
            r.quarter or "",
            r.period_start,
            r.period_end,
            r.opens_on,
            r.closes_on,
            r.get_state_display(),
            getattr(r, "sheet_count", 0),
            getattr(r, "submitted", 0),
            r.published_at.strftime("%Y-%m-%d %H:%M") if r.published_at else "",
        ]
        for r in rounds.iterator()
    )
    return ROUND_HEADERS, rows


def round_get(*, user: Any, pk: int, action: str = "view") -> AssessmentRound | None:
    return (
        restrict(AssessmentRound.objects.select_related("scheme", "party_org"), user, action)
        .filter(pk=pk)
        .first()
    )


@dataclass
class SheetProgress:
    sheet: ScoreSheet
    submitted: bool
    categories: list[dict[str, Any]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(c["done"] for c in self.categories)

    @property
    def total(self) -> int:
        return sum(c["total"] for c in self.categories)


def round_progress(rnd: AssessmentRound, user: Any) -> list[SheetProgress]:
    """Each visible sheet with its self-check state and scoring progress per category."""
    sheets = list(
        restrict(ScoreSheet.objects.filter(round=rnd), user, "view")
        .select_related("self_check")
        .order_by("branch__path")
    )
    categories = list(Category.objects.filter(scheme=rnd.scheme_id).order_by("sort_order", "pk"))
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    rows = (
        restrict(Score.objects.filter(sheet__round=rnd), user, "view")
        .values("sheet_id", "criterion__category_id")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(points__isnull=False) | Q(computed_points__isnull=False)),
        )
        .order_by()
    )
    for row in rows:
        counts[(row["sheet_id"], row["criterion__category_id"])] = (row["done"], row["total"])
    result = []
    for sheet in sheets:
        check = getattr(sheet, "self_check", None)
        progress = SheetProgress(sheet, bool(check and check.submitted_at))
        for cat in categories:
            done, total = counts.get((sheet.pk, cat.pk), (0, 0))
            if total:
                progress.categories.append(
                    {
                        "name": cat.name,
                        "done": done,
                        "total": total,
                        "percent": round(100 * done / total),
                    }
                )
        result.append(progress)
    return result


def round_related(rnd: AssessmentRound, user: Any) -> dict[str, Any]:
    return {
        "assignments": list(
            restrict(ScorerAssignment.objects.filter(round=rnd), user, "view").select_related(
                "user", "branch", "category", "criterion"
            )
        ),
        "spot_checks": list(
            restrict(SpotCheck.objects.filter(round=rnd), user, "view")
            .select_related("sheet")
            .order_by("sheet__branch__path")
        ),
        "objections": list(
            restrict(Objection.objects.filter(sheet__round=rnd), user, "view")
            .select_related("sheet", "raised_by", "resolved_by")
            .prefetch_related("criteria")
        ),
    }


def sheet_get(*, user: Any, pk: int) -> ScoreSheet | None:
    return (
        restrict(ScoreSheet.objects.select_related("round__scheme", "branch"), user, "view")
        .filter(pk=pk)
        .first()
    )


def own_sheets(user: Any) -> QuerySet[ScoreSheet]:
    """Sheets whose self-check the user may write (branch secretaries, party-affairs workers)."""
    if not has_permission(user, SelfCheck, "change"):
        return ScoreSheet.objects.none()
    return (
        ScoreSheet.objects.filter(
            pk__in=restrict(SelfCheck.objects.all(), user, "change").values("sheet_id")
        )
        .select_related("round", "self_check")
        .order_by("-round__year", "-round__quarter", "-round_id")
    )


def may_self_check(user: Any, sheet: ScoreSheet) -> bool:
    return may_for_branch(user, SelfCheck, "change", sheet.branch.path)


def resolve_links(user: Any, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """URL of each (model label, pk) the user may view and that has a page; one query per label."""
    by_label: dict[str, set[int]] = defaultdict(set)
    for label, pk in pairs:
        by_label[str(label)].add(int(pk))
    urls: dict[tuple[str, int], str] = {}
    for label, pks in by_label.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        if not hasattr(model, "get_absolute_url") or getattr(model, "scope", None) is None:
            continue
        for obj in restrict(model._default_manager.filter(pk__in=pks), user, "view"):
            try:
                urls[(label, obj.pk)] = obj.get_absolute_url()
            except Exception:  # noqa: S112 (a page the model cannot build: show the label)
                continue
    return urls


def model_titles(labels: set[str]) -> dict[str, str]:
    titles = {}
    for label in labels:
        try:
            titles[label] = str(apps.get_model(label)._meta.verbose_name)
        except (LookupError, ValueError):
            titles[label] = label
    return titles


@dataclass
class ScoreRow:
    score: Score
    editable: bool
    links: list[tuple[str, int, str]]  # title, pk, url ("" = no page)
    computed_links: list[tuple[str, int, str]]


def sheet_rows(sheet: ScoreSheet, user: Any) -> tuple[list[tuple[Category, list[ScoreRow]]], bool]:
    """The sheet's visible scores grouped by category; a scorer sees only what they may score.

    Returns (groups, is_scorer).
    """
    scores = list(
        restrict(Score.objects.filter(sheet=sheet), user, "view")
        .select_related("criterion__category", "sheet", "scored_by")
        .prefetch_related(
            Prefetch(
                "criterion__deductions", queryset=DeductionItem.objects.order_by("sort_order", "pk")
            ),
            Prefetch("attachments", queryset=ScoreAttachment.objects.select_related("uploaded_by")),
        )
        .order_by("criterion__category__sort_order", "criterion__sort_order", "criterion_id")
    )
    scorable = scorable_ids(user, scores)
    manager = has_permission(user, AssessmentRound, "change")
    scorer = has_permission(user, Score, "change") and not manager
    if scorer and not may_self_check(user, sheet):
        scores = [s for s in scores if s.pk in scorable]
    pairs: list[tuple[str, int]] = []
    for s in scores:
        pairs += [(str(label), int(pk)) for label, pk in (s.computed_records or [])]
        pairs += [(str(label), int(pk)) for label, pk in (s.record_links or [])]
    urls = resolve_links(user, pairs)
    titles = model_titles({label for label, _ in pairs})
    groups: dict[int, tuple[Category, list[ScoreRow]]] = {}
    rnd = sheet.round
    for s in scores:
        cat = s.criterion.category

        def link_list(items: Any) -> list[tuple[str, int, str]]:
            return [
                (titles.get(str(label), str(label)), int(pk), urls.get((str(label), int(pk)), ""))
                for label, pk in (items or [])
            ]

        row = ScoreRow(
            score=s,
            editable=s.pk in scorable and score_open(rnd, s),
            links=link_list(s.record_links),
            computed_links=link_list(s.computed_records),
        )
        groups.setdefault(cat.pk, (cat, []))[1].append(row)
    return list(groups.values()), scorer or manager


def score_row(score_id: int, user: Any) -> ScoreRow | None:
    """One row of the sheet (after an HTMX save)."""
    s = (
        restrict(Score.objects.filter(pk=score_id), user, "view")
        .select_related("criterion__category", "sheet__round", "scored_by")
        .prefetch_related("criterion__deductions", "attachments")
        .first()
    )
    if s is None:
        return None
    pairs = [(str(a), int(b)) for a, b in (s.computed_records or [])] + [
        (str(a), int(b)) for a, b in (s.record_links or [])
    ]
    urls = resolve_links(user, pairs)
    titles = model_titles({label for label, _ in pairs})

    def link_list(items: Any) -> list[tuple[str, int, str]]:
        return [
            (titles.get(str(label), str(label)), int(pk), urls.get((str(label), int(pk)), ""))
            for label, pk in (items or [])
        ]

    return ScoreRow(
        score=s,
        editable=s.pk in scorable_ids(user, [s]) and score_open(s.sheet.round, s),
        links=link_list(s.record_links),
        computed_links=link_list(s.computed_records),
    )
