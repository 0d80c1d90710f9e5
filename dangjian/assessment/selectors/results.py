"""Read side of the assessment results: rankings, score cards, history, trend, heatmap, warnings.

Every queryset passes ``restrict(qs, user, action)``: a branch secretary sees its own sheet
before publication and the announced ranking after it (the ``published`` ScopeSpec option), a
member sees published results only, a department scorer sees only its category's scores. On top
of the row scope, *results* (total, rank, star) of a round that is not yet public are shown
only to those who manage rounds (``change_assessmentround``): a sheet being scored is not a
result yet. Query counts do not depend on the number of branches.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import F, Q, QuerySet
from django.urls import NoReverseMatch, reverse

from dangjian.assessment.models import (
    AnnualEvaluation,
    AnnualResult,
    AssessmentRound,
    AssessmentScheme,
    Category,
    Score,
    ScoreAttachment,
    ScoreSheet,
)
from dangjian.core.scope import has_permission, org_paths_for, restrict

LOW_TOTAL = Decimal("60")
TOP_BOTTOM = 5  # trend lines: every branch up to 2×this, else the top and bottom ones

# record link model label → detail URL name (others are shown as text)
RECORD_URLS = {
    "orglife.meeting": "orglife:detail",
    "appraisal.appraisalround": "appraisal:detail",
    "development.developmentcase": "development:detail",
    "transfers.transfer": "transfers:detail",
}


# --- shapes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryHead:
    code: str
    name: str
    max_points: Decimal
    domain: str = ""


@dataclass
class ResultRow:
    sheet: ScoreSheet
    cells: list[Decimal | None]

    @property
    def stars(self) -> str:
        return stars(self.sheet.star)


@dataclass
class RoundResults:
    round: AssessmentRound
    categories: list[CategoryHead]
    rows: list[ResultRow]
    branches_total: int  # sheets in the round (for "共 M 个支部")
    results_visible: bool


@dataclass
class RecordLink:
    label: str
    text: str
    url: str = ""


@dataclass
class CardLine:
    score: Score
    points: Decimal | None
    evidence: list[str]
    links: list[RecordLink]
    attachments: int = 0


@dataclass
class CardCategory:
    head: CategoryHead
    points: Decimal | None
    lines: list[CardLine] = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        if self.points is None or not self.head.max_points:
            return None
        return round(float(self.points) / float(self.head.max_points) * 100, 1)


@dataclass
class ScoreCard:
    sheet: ScoreSheet
    categories: list[CardCategory]
    branches_total: int
    results_visible: bool
    scores_visible: bool

    @property
    def stars(self) -> str:
        return stars(self.sheet.star)

    def radar(self) -> dict[str, Any]:
        """ECharts option: one polygon of category subtotals against their maxima."""
        indicator = [
            {"name": c.head.name, "max": float(c.head.max_points)} for c in self.categories
        ]
        value = [float(c.points) if c.points is not None else 0 for c in self.categories]
        return {
            "tooltip": {},
            "radar": {"indicator": indicator, "radius": "62%"},
            "series": [
                {
                    "type": "radar",
                    "name": self.sheet.branch_name,
                    "data": [{"value": value, "name": "得分"}],
                    "areaStyle": {"opacity": 0.2},
                }
            ],
        }


@dataclass
class HistoryEntry:
    label: str
    year: int
    quarter: int | None
    total: Decimal | None
    rank: int | None
    star: int | None
    move: int  # star change since the previous entry (+ up, − down)
    sheet_id: int | None = None


@dataclass
class BranchHistory:
    branch_id: int
    name: str
    quarters: list[HistoryEntry] = field(default_factory=list)
    annual: list[HistoryEntry] = field(default_factory=list)


@dataclass
class Warning:
    sheet: ScoreSheet
    level: str  # danger | warning
    text: str


@dataclass
class HeatMap:
    categories: list[CategoryHead]
    branches: list[tuple[int, str]]  # (sheet id, branch name), top row first
    cells: list[list[Any]]  # [category index, branch index, % of max]

    def option(self, card_urls: list[str]) -> dict[str, Any]:
        return {
            "tooltip": {"position": "top"},
            "grid": {"left": 140, "right": 20, "top": 10, "bottom": 70},
            "xAxis": {"type": "category", "data": [c.name for c in self.categories]},
            "yAxis": {"type": "category", "data": [name for _pk, name in self.branches]},
            "visualMap": {
                "min": 0,
                "max": 100,
                "calculable": True,
                "orient": "horizontal",
                "left": "center",
                "bottom": 0,
                "inRange": {"color": ["#c0392b", "#f1c40f", "#27ae60"]},
            },
            "series": [
                {
                    "type": "heatmap",
                    "name": "得分率(%)",
                    "data": [{"value": cell, "url": card_urls[cell[1]]} for cell in self.cells],
                    "label": {"show": len(self.branches) <= 20},
                }
            ],
        }


def stars(star: int | None) -> str:
    return "★" * star if star else ""


# --- helpers ---------------------------------------------------------------------------------


def manages_rounds(user: Any) -> bool:
    """May see results of rounds before they are announced (the leading departments)."""
    return has_permission(user, AssessmentRound, "change")


def effective_points(score: Score) -> Decimal | None:
    """The points that count: the engine's rule (scorer's points over the computed ones)."""
    from dangjian.assessment.services.engine import effective_points as engine_points

    return engine_points(score)


def categories_of(scheme_id: int) -> list[CategoryHead]:
    """The categories of a round's scheme (its definition, shown with any visible result)."""
    return [
        CategoryHead(c.code, c.name, c.max_points, c.domain)
        for c in Category.objects.filter(scheme_id=scheme_id).order_by("sort_order", "id")
    ]


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _cells(sheet: ScoreSheet, categories: list[CategoryHead]) -> list[Decimal | None]:
    totals = sheet.category_totals or {}
    return [_decimal(totals.get(c.code)) for c in categories]


def rounds_visible(user: Any, action: str = "view") -> QuerySet[AssessmentRound]:
    return restrict(AssessmentRound.objects.select_related("scheme", "party_org"), user, action)


def result_rounds(user: Any) -> QuerySet[AssessmentRound]:
    """Rounds whose results the user may read: announced ones, or all computed ones for leads."""
    qs = rounds_visible(user)
    if manages_rounds(user):
        return qs.filter(Q(is_public=True) | Q(computed_at__isnull=False))
    return qs.filter(is_public=True)


def round_get(user: Any, pk: int) -> AssessmentRound | None:
    return rounds_visible(user).filter(pk=pk).first()


def results_visible(rnd: AssessmentRound, user: Any) -> bool:
    return rnd.is_public or manages_rounds(user)


def sheets_visible(user: Any, action: str = "view") -> QuerySet[ScoreSheet]:
    return restrict(
        ScoreSheet.objects.select_related("round", "round__scheme", "branch"), user, action
    )


def sheet_get(user: Any, pk: int) -> ScoreSheet | None:
    return sheets_visible(user).filter(pk=pk).first()


def _ranked(qs: QuerySet[ScoreSheet]) -> QuerySet[ScoreSheet]:
    return qs.order_by(
        F("rank").asc(nulls_last=True), F("total").desc(nulls_last=True), "branch__path", "pk"
    )


# --- round results ---------------------------------------------------------------------------


def round_results(
    rnd: AssessmentRound, user: Any, *, q: str = "", star: int | None = None
) -> RoundResults:
    """The ranking of one round as this user may see it (two queries, whatever the size)."""
    categories = categories_of(rnd.scheme_id)
    visible = results_visible(rnd, user)
    qs = restrict(ScoreSheet.objects.filter(round=rnd), user, "view")
    if q:
        qs = qs.filter(branch_name__icontains=q)
    if star is not None and visible:
        qs = qs.filter(star=star) if star else qs.filter(Q(star__isnull=True) | Q(star=0))
    rows = [ResultRow(sheet, _cells(sheet, categories)) for sheet in _ranked(qs)]
    return RoundResults(
        round=rnd,
        categories=categories,
        rows=rows,
        branches_total=ScoreSheet.objects.filter(round=rnd).count(),
        results_visible=visible,
    )


def star_distribution(results: RoundResults) -> list[tuple[str, int]]:
    counts = Counter(row.sheet.star or 0 for row in results.rows)
    return [(f"{n}星" if n else "无星", counts.get(n, 0)) for n in (5, 4, 3, 2, 1, 0)]


# --- score card ------------------------------------------------------------------------------


def _record_link(item: Any) -> RecordLink | None:
    try:
        label, pk = str(item[0]), int(item[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    try:
        model = apps.get_model(label)
        text = f"{model._meta.verbose_name} #{pk}"
    except (LookupError, ValueError):
        text = f"{label} #{pk}"
    url = ""
    if label in RECORD_URLS:
        try:
            url = reverse(RECORD_URLS[label], args=[pk])
        except NoReverseMatch:
            url = ""
    return RecordLink(label=label, text=text, url=url)


def record_links(score: Score, limit: int = 50) -> list[RecordLink]:
    """The scorer's record links and the engine's computed records, deduplicated."""
    seen: set[tuple[str, int]] = set()
    out: list[RecordLink] = []
    for item in [*(score.record_links or []), *(score.computed_records or [])]:
        link = _record_link(item)
        if link is None:
            continue
        key = (link.label, int(item[1]))
        if key in seen:
            continue
        seen.add(key)
        out.append(link)
        if len(out) >= limit:
            break
    return out


def evidence_labels(codes: Iterable[str]) -> list[str]:
    from dangjian.assessment.models import EvidenceMethod

    labels = dict(EvidenceMethod.choices)
    return [str(labels.get(code, code)) for code in codes or ()]


def score_card(sheet: ScoreSheet, user: Any) -> ScoreCard:
    """One branch's card: category subtotals, every visible criterion's points and evidence."""
    rnd = sheet.round
    visible = results_visible(rnd, user)
    heads = categories_of(rnd.scheme_id)
    scores_qs = restrict(Score.objects.filter(sheet=sheet), user, "view").select_related(
        "criterion", "criterion__category"
    )
    scores = list(
        scores_qs.order_by("criterion__category__sort_order", "criterion__sort_order", "pk")
    )
    attachment_counts: Counter[int] = Counter(
        restrict(ScoreAttachment.objects.filter(score__sheet=sheet), user, "view").values_list(
            "score_id", flat=True
        )
    )
    by_code: dict[str, list[CardLine]] = defaultdict(list)
    for s in scores:
        by_code[s.criterion.category.code].append(
            CardLine(
                score=s,
                points=effective_points(s),
                evidence=evidence_labels(s.evidence_methods),
                links=record_links(s),
                attachments=attachment_counts.get(s.pk, 0),
            )
        )
    totals = sheet.category_totals or {}
    categories = []
    for head in heads:
        lines = by_code.get(head.code, [])
        points = _decimal(totals.get(head.code)) if visible else None
        if points is None and lines and all(line.points is not None for line in lines):
            points = sum((line.points for line in lines if line.points is not None), Decimal(0))
        categories.append(CardCategory(head=head, points=points, lines=lines))
    return ScoreCard(
        sheet=sheet,
        categories=categories,
        branches_total=ScoreSheet.objects.filter(round=rnd).count(),
        results_visible=visible,
        scores_visible=bool(scores) or has_permission(user, Score, "view"),
    )


# --- history, trend, heatmap, warnings -------------------------------------------------------


def _round_label(rnd: AssessmentRound) -> str:
    if rnd.quarter:
        return f"{rnd.year}年Q{rnd.quarter}"
    return rnd.name


def branch_history(branch_ids: Iterable[int], user: Any) -> dict[int, BranchHistory]:
    """Quarterly totals and stars per branch (results the user may read), annual stars, moves."""
    ids = sorted(set(branch_ids))
    out: dict[int, BranchHistory] = {}
    if not ids:
        return out
    rounds = result_rounds(user).filter(kind=AssessmentRound.Kind.QUARTERLY)
    sheets = (
        restrict(ScoreSheet.objects.filter(branch_id__in=ids), user, "view")
        .filter(round__in=rounds.values("pk"))
        .select_related("round")
        .order_by("branch_id", "round__year", "round__quarter", "round_id")
    )
    for sheet in sheets:
        hist = out.setdefault(sheet.branch_id, BranchHistory(sheet.branch_id, sheet.branch_name))
        previous = hist.quarters[-1].star if hist.quarters else None
        move = (sheet.star or 0) - (previous or 0) if hist.quarters else 0
        hist.quarters.append(
            HistoryEntry(
                label=_round_label(sheet.round),
                year=sheet.round.year,
                quarter=sheet.round.quarter,
                total=sheet.total,
                rank=sheet.rank,
                star=sheet.star,
                move=move,
                sheet_id=sheet.pk,
            )
        )
    annual = restrict(AnnualResult.objects.filter(branch_id__in=ids), user, "view").select_related(
        "evaluation"
    )
    if not has_permission(user, AnnualEvaluation, "change"):
        annual = annual.filter(evaluation__is_public=True)
    for result in annual.order_by("branch_id", "evaluation__year"):
        hist = out.setdefault(result.branch_id, BranchHistory(result.branch_id, result.branch_name))
        hist.annual.append(
            HistoryEntry(
                label=f"{result.evaluation.year}年度",
                year=result.evaluation.year,
                quarter=None,
                total=result.score,
                rank=result.rank,
                star=result.star,
                move=result.movement,
            )
        )
    return out


def trend(party_org: Any, user: Any, rounds: int = 8) -> dict[str, Any]:
    """Totals of the last ``rounds`` quarterly rounds: labels and one series per branch.

    More than 2×TOP_BOTTOM branches: only the top and bottom ones of the latest round.
    """
    recent = list(
        result_rounds(user)
        .filter(party_org=party_org, kind=AssessmentRound.Kind.QUARTERLY)
        .order_by("-year", "-quarter", "-pk")[:rounds]
    )
    recent.reverse()
    labels = [_round_label(r) for r in recent]
    index = {r.pk: i for i, r in enumerate(recent)}
    rows = (
        restrict(ScoreSheet.objects.filter(round_id__in=list(index)), user, "view")
        .order_by("branch__path", "round_id")
        .values_list("round_id", "branch_id", "branch_name", "total")
    )
    series: dict[int, dict[str, Any]] = {}
    for round_id, branch_id, name, total in rows:
        entry = series.setdefault(
            branch_id, {"name": name, "branch_id": branch_id, "data": [None] * len(recent)}
        )
        entry["name"] = name  # the latest name
        entry["data"][index[round_id]] = float(total) if total is not None else None
    chosen = list(series.values())
    if len(chosen) > 2 * TOP_BOTTOM and recent:

        def latest(entry: dict[str, Any]) -> float:
            value = entry["data"][-1]
            return value if value is not None else -1.0

        chosen.sort(key=latest, reverse=True)
        chosen = chosen[:TOP_BOTTOM] + chosen[-TOP_BOTTOM:]
    return {"labels": labels, "series": chosen, "branches": len(series)}


def trend_option(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "bottom": 0},
        "grid": {"left": 40, "right": 20, "top": 20, "bottom": 50},
        "xAxis": {"type": "category", "data": data["labels"]},
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": [
            {"type": "line", "name": s["name"], "data": s["data"], "connectNulls": True}
            for s in data["series"]
        ],
    }


def category_heatmap(rnd: AssessmentRound, user: Any) -> HeatMap:
    """Category subtotals as % of their maximum, one row per visible branch (ranking order)."""
    categories = categories_of(rnd.scheme_id)
    qs = _ranked(restrict(ScoreSheet.objects.filter(round=rnd), user, "view"))
    branches: list[tuple[int, str]] = []
    cells: list[list[Any]] = []
    for y, (pk, name, totals) in enumerate(qs.values_list("pk", "branch_name", "category_totals")):
        branches.append((pk, name))
        for x, cat in enumerate(categories):
            value = _decimal((totals or {}).get(cat.code))
            pct = None
            if value is not None and cat.max_points:
                pct = round(float(value) / float(cat.max_points) * 100, 1)
            cells.append([x, y, pct])
    return HeatMap(categories=categories, branches=branches, cells=cells)


def previous_round(rnd: AssessmentRound, user: Any) -> AssessmentRound | None:
    """The quarterly round of the same committee just before ``rnd`` whose results are readable."""
    qs = result_rounds(user).filter(party_org_id=rnd.party_org_id, kind=rnd.kind).exclude(pk=rnd.pk)
    quarter = rnd.quarter or 0
    qs = qs.filter(Q(year__lt=rnd.year) | Q(year=rnd.year, quarter__lt=quarter))
    return qs.order_by("-year", "-quarter", "-pk").first()


def warnings(results: RoundResults, user: Any, *, org_checks: bool = True) -> list[Warning]:
    """Branches to look at: vetoed, below 60, star dropped since the last round, org rules."""
    out: list[Warning] = []
    if not results.results_visible:
        return out
    before = previous_round(results.round, user)
    old_stars: dict[int, int | None] = {}
    if before is not None:
        old_stars = dict(
            restrict(ScoreSheet.objects.filter(round=before), user, "view").values_list(
                "branch_id", "star"
            )
        )
    rows = results.rows
    found: dict[int, list[str]] = {}
    for row in rows:
        s = row.sheet
        if s.vetoed:
            out.append(Warning(s, "danger", f"一票否决：{s.veto_reason or '触发否决项'}"))
        if s.total is not None and s.total < LOW_TOTAL:
            out.append(Warning(s, "danger", f"总分 {s.total} 低于 {LOW_TOTAL} 分"))
        if s.branch_id in old_stars:
            old = old_stars[s.branch_id] or 0
            if (s.star or 0) < old:
                out.append(Warning(s, "warning", f"星级下降：{old}星 → {s.star or 0}星"))
    if org_checks and rows:
        from dangjian.core.registries import org_warnings

        for branch_id, items in org_warnings([r.sheet.branch_id for r in rows]).items():
            found[branch_id] = [w.message for w in items if w.level == "red"]
        for row in rows:
            for message in found.get(row.sheet.branch_id, [])[:3]:
                out.append(Warning(row.sheet, "warning", message))
    return out


# --- annual, latest, mine --------------------------------------------------------------------


def annual_evaluations(user: Any) -> QuerySet[AnnualEvaluation]:
    qs = restrict(AnnualEvaluation.objects.select_related("party_org"), user, "view")
    if not has_permission(user, AnnualEvaluation, "change"):
        qs = qs.filter(is_public=True)
    return qs.order_by("-year", "-pk")


def annual_results(evaluation: AnnualEvaluation, user: Any) -> list[AnnualResult]:
    qs = restrict(AnnualResult.objects.filter(evaluation=evaluation), user, "view")
    return list(qs.order_by(F("rank").asc(nulls_last=True), "branch__path", "pk"))


def latest_round(user: Any, party_org: Any = None) -> AssessmentRound | None:
    qs = result_rounds(user)
    if party_org is not None:
        qs = qs.filter(party_org=party_org)
    return qs.order_by("-year", F("quarter").desc(nulls_last=True), "-pk").first()


def my_branch_ids(user: Any) -> list[int]:
    """The branches the user belongs to or leads (not the ones announced to them)."""
    from dangjian.orgs.models import PartyOrg

    paths = set(org_paths_for(user, ScoreSheet, "view"))
    person = getattr(user, "person", None)
    if person is not None and getattr(person, "party_org_id", None):
        paths.add(person.party_org.path)
    if not paths:
        return []
    return list(PartyOrg.objects.filter(path__in=paths, kind="branch").values_list("pk", flat=True))


def my_sheets(user: Any) -> list[ScoreSheet]:
    ids = my_branch_ids(user)
    if not ids:
        return []
    qs = sheets_visible(user).filter(branch_id__in=ids)
    return list(qs.order_by("-round__year", F("round__quarter").desc(nulls_last=True), "-round_id"))


def schemes_visible(user: Any) -> QuerySet[AssessmentScheme]:
    return restrict(AssessmentScheme.objects.select_related("party_org"), user, "view")
