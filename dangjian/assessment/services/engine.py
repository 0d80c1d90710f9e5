"""The computation of a round (issue 4 §3 and §5): computed points, totals, rank and stars.

``round_compute`` reads the round's criteria, sheets and scores in a fixed number of queries,
calls every indicator function used by the scheme ONCE for all branches (and the survey module
once per audience), then writes the computed fields of the scores and the results of the
sheets with one ``executemany`` UPDATE per table. The number of queries therefore depends on
the number of distinct indicator keys and survey audiences of the scheme, never on the number
of branches (asserted by ``tests/test_scale.py``).

Scoring rules (RULES.md "Branch star rating"):

* effective points of a score (``effective_points``): the scorer's ``points`` when set, else the
  computed points of an indicator / survey / count / deduction criterion, else ``None``
  ("未评分", counted as 0 and listed in the sheet's star note); always clamped to [0, max];
* deduction criteria start from full marks: max − Σ item points × times, floor 0;
* count criteria: ``count_value`` through the criterion's ``per_unit`` formula;
* indicator criteria: the indicator value through the criterion's formula; a branch the
  indicator returns nothing for gets no computed points;
* survey criteria: the survey score (0..100) through the formula (default: linear 0→0,
  100→max); fewer respondents than the survey's minimum → not counted (no computed points) and
  the detail says why;
* category total = Σ effective points of its non-bonus criteria (capped at the category's
  points); base = Σ categories (capped at the scheme's points); bonus = min(Σ bonus criteria,
  scheme bonus cap); total = base + bonus;
* veto: a score marked vetoed on a veto criterion → the sheet is vetoed (reason = the score's
  reason), its star is 0 while its total and rank stay;
* rank: total desc, then base total desc, then not vetoed before vetoed, then the category
  totals in the scheme's order desc, then the branch's path asc (the organisation tree's
  order) — every sheet gets a distinct rank;
* stars from the round's ``star_rules`` snapshot (thresholds, five-star needs an innovation
  project, optional quotas by rank): see ``dangjian.assessment.stars.apply_stars``.
"""

from __future__ import annotations

import importlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from dangjian.assessment.formulas import points_from_value
from dangjian.assessment.models import (
    AssessmentRound,
    Criterion,
    DeductionItem,
    Score,
    ScoreSheet,
    ScoringMethod,
)
from dangjian.assessment.stars import ZERO, Rated, apply_stars, q, rank
from dangjian.audit.services import audit_record
from dangjian.core.periods import Period
from dangjian.core.registries import IndicatorValue, indicators
from dangjian.core.scope import SYSTEM, assert_in_scope, has_permission

COMPUTED_METHODS = frozenset(
    {ScoringMethod.INDICATOR, ScoringMethod.SURVEY, ScoringMethod.COUNT, ScoringMethod.DEDUCTION}
)
SURVEY_DEFAULT_FORMULA = {"kind": "linear", "zero_at": 0, "full_at": 100}
COUNT_DEFAULT_FORMULA = {"kind": "per_unit", "points": 1, "direction": "deduct"}


def effective_points(score: Score) -> Decimal | None:
    """The points a score counts with: the scorer's, else the computed ones, else None."""
    return effective(score.criterion.method, score.points, score.computed_points, None)


def effective(
    method: str, points: Decimal | None, computed: Decimal | None, max_points: Decimal | None
) -> Decimal | None:
    value = points
    if value is None and method in COMPUTED_METHODS:
        value = computed
    if value is None:
        return None
    value = max(q(value), ZERO)
    return min(value, max_points) if max_points is not None else value


def round_period(rnd: AssessmentRound) -> Period:
    """The round's assessment period as a ``Period`` (a calendar quarter/year when it is one)."""
    start, end = rnd.period_start, rnd.period_end
    for candidate in (
        Period.quarter(start.year, (start.month - 1) // 3 + 1),
        Period.year(start.year),
        Period.month(start.year, start.month),
    ):
        if (candidate.start, candidate.end) == (start, end):
            return candidate
    return Period(start, end, "custom", f"{start:%Y-%m-%d}至{end:%Y-%m-%d}")


def _survey_scores(context: str, org_ids: list[int], audience: str) -> dict[int, Any] | None:
    """``surveys.selectors.scores_for`` when the surveys app is installed, else None."""
    try:
        selectors = importlib.import_module("dangjian.surveys.selectors")
    except ImportError:
        return None
    result: dict[int, Any] = selectors.scores_for(context, org_ids, audience)
    return result


def bulk_set(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """UPDATE ``fields`` of many rows in ONE statement, whatever their number.

    ``rows``: ``(pk, value, ...)`` in the order of ``fields``. PostgreSQL: one
    ``UPDATE … FROM unnest(arrays)`` (one array per column); other databases: one
    ``executemany`` of a parameterised UPDATE (SQLite runs it in-process). Values go through
    each field's own ``get_db_prep_save`` so decimals and JSON are stored as ``save()`` would.
    """
    items = list(rows)
    if not items:
        return 0
    meta = model._meta
    quote = connection.ops.quote_name
    model_fields: list[Any] = [meta.get_field(name) for name in fields]
    pk_column: str = meta.pk.column  # type: ignore[union-attr]
    table = quote(meta.db_table)
    if connection.vendor == "postgresql":
        return _bulk_set_unnest(table, pk_column, model_fields, items)
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 (names from the model)
        table,
        ", ".join(f"{quote(f.column)} = %s" for f in model_fields),
        quote(pk_column),
    )
    params = [
        (
            *(
                f.get_db_prep_save(value, connection)
                for f, value in zip(model_fields, values, strict=True)
            ),
            pk,
        )
        for pk, *values in items
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(items)


def _bulk_set_unnest(
    table: str, pk_column: str, model_fields: list[Any], items: list[Sequence[Any]]
) -> int:
    """PostgreSQL: ``UPDATE t SET c = v.c … FROM unnest(%s::type[], …) AS v(…) WHERE t.pk = v.pk``.

    JSON columns travel as text arrays and are cast per row (``v.c::jsonb``)."""
    quote = connection.ops.quote_name
    columns: list[list[Any]] = [[row[0] for row in items]]
    casts = ["bigint[]"]
    setters = []
    for index, field in enumerate(model_fields, start=1):
        name = f"c{index}"
        if isinstance(field, models.JSONField):
            casts.append("text[]")
            columns.append(
                [
                    None if row[index] is None else json.dumps(row[index], cls=DjangoJSONEncoder)
                    for row in items
                ]
            )
            setters.append(f"{quote(field.column)} = v.{name}::jsonb")
        else:
            casts.append(f"{field.db_type(connection)}[]")
            columns.append([field.get_db_prep_save(row[index], connection) for row in items])
            setters.append(f"{quote(field.column)} = v.{name}")
    names = ", ".join(["pk", *(f"c{i}" for i in range(1, len(model_fields) + 1))])
    sql = (
        f"UPDATE {table} SET {', '.join(setters)} "  # noqa: S608 (names from the model)
        f"FROM unnest({', '.join(f'%s::{cast}' for cast in casts)}) AS v({names}) "
        f"WHERE {table}.{quote(pk_column)} = v.pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
    return len(items)


def _records(found: IndicatorValue) -> list[list[Any]]:
    return [[label, pk] for label, pk in found.records]


def _formula_points(
    formula: dict[str, Any], value: float | None, max_points: Decimal
) -> Decimal | None:
    if value is None:
        return None
    return _points_cached(json.dumps(formula, sort_keys=True), value, max_points)


@lru_cache(maxsize=65536)
def _points_cached(formula: str, value: float, max_points: Decimal) -> Decimal | None:
    """Many branches share a value (100 %, 0 days …): each (formula, value) is computed once."""
    try:
        return q(points_from_value(json.loads(formula), value, max_points))
    except ValidationError:  # an invalid formula scores nothing rather than stop the round
        return None


@transaction.atomic
def round_compute(*, round_id: int, actor: Any = SYSTEM) -> dict[str, Any]:
    """Compute every score and sheet result of a round; returns a summary."""
    rnd = AssessmentRound.objects.select_for_update().select_related("scheme").get(pk=round_id)
    if actor is not SYSTEM:
        if not has_permission(actor, AssessmentRound, "change"):
            raise PermissionDenied("您没有计算考核结果的权限。")
        assert_in_scope(rnd, actor, "change")
    scheme = rnd.scheme
    criteria = {
        c.pk: c
        for c in Criterion.objects.filter(category__scheme=scheme).select_related("category")
    }
    items: dict[int, dict[int, DeductionItem]] = defaultdict(dict)
    for item in DeductionItem.objects.filter(criterion__category__scheme=scheme):
        items[item.criterion_id][item.pk] = item
    categories = sorted(
        {c.category for c in criteria.values()}, key=lambda cat: (cat.sort_order, cat.pk)
    )
    sheets = list(
        ScoreSheet.objects.filter(round=rnd).values_list(
            "pk", "branch_id", "branch__path", "has_innovation"
        )
    )
    branch_ids = [branch_id for _, branch_id, _, _ in sheets]
    sheet_branch = {pk: branch_id for pk, branch_id, _, _ in sheets}

    # --- external sources, once each for all branches ---------------------------------------
    period = round_period(rnd)
    registry = indicators()
    indicator_values: dict[str, dict[int, IndicatorValue] | None] = {}
    for key in sorted({c.indicator_key for c in criteria.values() if c.method == "indicator"}):
        found = registry.get(key)
        indicator_values[key] = found.func(branch_ids, period) if found and branch_ids else None
    survey_values: dict[str, dict[int, Any] | None] = {}
    context = f"assessment.round:{rnd.pk}"
    for audience in sorted(
        {c.survey_audience or "all" for c in criteria.values() if c.method == "survey"}
    ):
        survey_values[audience] = (
            _survey_scores(context, branch_ids, audience) if branch_ids else {}
        )

    # --- scores -------------------------------------------------------------------------------
    computed_rows: list[tuple[Any, ...]] = []
    cat_sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    bonus_sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    unscored: dict[int, list[str]] = defaultdict(list)
    veto_reasons: dict[int, list[str]] = defaultdict(list)
    # the deduction lists (JSON) only where they count: decoding 335,000 of them costs seconds
    deduction_lists = dict(
        Score.objects.filter(
            sheet__round=rnd, criterion__method=ScoringMethod.DEDUCTION
        ).values_list("pk", "deductions")
    )
    scores = Score.objects.filter(sheet__round=rnd).values_list(
        "pk", "sheet_id", "criterion_id", "points", "count_value", "vetoed", "reason"
    )
    for pk, sheet_id, criterion_id, points, count_value, vetoed, reason in scores:
        crit = criteria[criterion_id]
        computed: Decimal | None = None
        if crit.method in COMPUTED_METHODS:
            branch_id = sheet_branch[sheet_id]
            value, computed, detail, records = _compute_one(
                crit,
                branch_id,
                deductions=deduction_lists.get(pk),
                count_value=count_value,
                items=items.get(crit.pk, {}),
                indicator_values=indicator_values,
                survey_values=survey_values,
            )
            computed_rows.append((pk, value, computed, detail[:300], records))
        eff = effective(crit.method, points, computed, crit.max_points)
        if eff is None:
            unscored[sheet_id].append(crit.code)
            eff = ZERO
        if crit.is_bonus:
            bonus_sums[sheet_id] += eff
        else:
            cat_sums[sheet_id][crit.category.code] += eff
        if vetoed and crit.is_veto:
            veto_reasons[sheet_id].append(f"{crit.code} {reason.strip() or crit.title}")

    # --- sheets -------------------------------------------------------------------------------
    scored_categories = [
        cat
        for cat in categories
        if any(c.category_id == cat.pk and not c.is_bonus for c in criteria.values())
    ]
    rated: list[Rated] = []
    results: dict[int, dict[str, Any]] = {}
    for pk, _branch_id, path, has_innovation in sheets:
        cat_totals = {
            cat.code: min(q(cat_sums[pk].get(cat.code, ZERO)), q(cat.max_points))
            for cat in scored_categories
        }
        base = min(q(sum(cat_totals.values(), ZERO)), q(scheme.total_points))
        bonus = min(q(bonus_sums[pk]), q(scheme.bonus_cap))
        total = base + bonus
        vetoed = bool(veto_reasons[pk])
        entry = Rated(
            key=pk,
            total=total,
            sort_key=(
                -total,
                -base,
                vetoed,
                tuple(-cat_totals.get(cat.code, ZERO) for cat in categories),
                path,
            ),
            vetoed=vetoed,
            has_innovation=has_innovation,
        )
        if vetoed:
            entry.notes.append("一票否决，不评星级")
        results[pk] = {
            "base": base,
            "bonus": bonus,
            "categories": {code: str(v) for code, v in cat_totals.items()},
            "veto": "；".join(veto_reasons[pk])[:300],
        }
        rated.append(entry)
    rank(rated)
    star_rules = rnd.star_rules or {}
    apply_stars(
        rated,
        thresholds=star_rules.get("assessment.star_thresholds")
        or {"5": 90, "4": 80, "3": 70, "2": 60, "1": 0},
        requires_innovation=bool(star_rules.get("assessment.five_star_requires_innovation")),
        quotas=star_rules.get("assessment.star_quotas") if rnd.apply_quotas else None,
    )
    now = timezone.now()
    sheet_rows = []
    for entry in rated:
        missing = unscored.get(entry.key, [])
        if missing:
            entry.notes.append(f"{len(missing)}项未评分（按0分计）")
        res = results[entry.key]
        sheet_rows.append(
            (
                entry.key,
                entry.total,
                res["base"],
                res["bonus"],
                res["categories"],
                entry.rank,
                entry.star,
                entry.star_by_score,
                entry.note,
                entry.vetoed,
                res["veto"],
                now,
            )
        )
    bulk_set(
        Score,
        ("computed_value", "computed_points", "computed_detail", "computed_records"),
        computed_rows,
    )
    bulk_set(
        ScoreSheet,
        (
            "total",
            "base_total",
            "bonus_total",
            "category_totals",
            "rank",
            "star",
            "star_by_score",
            "star_note",
            "vetoed",
            "veto_reason",
            "computed_at",
        ),
        sheet_rows,
    )
    AssessmentRound.objects.filter(pk=rnd.pk).update(computed_at=now)
    rnd.computed_at = now
    stars: dict[int, int] = defaultdict(int)
    for entry in rated:
        stars[entry.star] += 1
    vetoed_keys = sorted(e.key for e in rated if e.vetoed)
    summary: dict[str, Any] = {
        "round_id": rnd.pk,
        "sheets": len(rated),
        "computed_scores": len(computed_rows),
        "unscored": {pk: codes for pk, codes in unscored.items()},
        "vetoed": vetoed_keys,
        "stars": dict(sorted(stars.items(), reverse=True)),
        "computed_at": now.isoformat(),
    }
    audit_record(
        "update",
        obj=rnd,
        actor=actor,
        changes={
            "computed": {
                "sheets": summary["sheets"],
                "stars": {str(k): v for k, v in stars.items()},
                "vetoed": len(vetoed_keys),
            }
        },
        reason="计算考核结果",
    )
    return summary


def _compute_one(
    crit: Criterion,
    branch_id: int,
    *,
    deductions: Any,
    count_value: int | None,
    items: dict[int, DeductionItem],
    indicator_values: dict[str, dict[int, IndicatorValue] | None],
    survey_values: dict[str, dict[int, Any] | None],
) -> Computed:
    """(computed_value, computed_points, detail, records) of one computed criterion."""
    if crit.method == ScoringMethod.DEDUCTION:
        return _deduction(crit, deductions, items)
    if crit.method == ScoringMethod.COUNT:
        if count_value is None:
            return None, None, "未录入计数", []
        formula = crit.formula or COUNT_DEFAULT_FORMULA
        points = _formula_points(formula, float(count_value), crit.max_points)
        return float(count_value), points, f"计数 {count_value}", []
    if crit.method == ScoringMethod.INDICATOR:
        return _indicator(crit, indicator_values.get(crit.indicator_key), branch_id)
    return _survey(crit, survey_values.get(crit.survey_audience or "all"), branch_id)


Computed = tuple[float | None, Decimal | None, str, list[list[Any]]]


def _deduction(crit: Criterion, deductions: Any, items: dict[int, DeductionItem]) -> Computed:
    """Full marks minus Σ item points × times, floor 0 (unknown items are ignored)."""
    lost = ZERO
    parts: list[str] = []
    times_total = 0
    for entry in deductions if isinstance(deductions, list) else []:
        if not isinstance(entry, dict):
            continue
        item_id, times = _int(entry.get("item")), _int(entry.get("times", 1))
        item = items.get(item_id) if item_id is not None else None
        if item is None or not times or times < 0:
            continue
        lost += item.points * times
        times_total += times
        parts.append(f"{item.text}×{times}（-{q(item.points * times)}）")
    points = max(ZERO, q(crit.max_points - lost))
    detail = "；".join(parts) if parts else "无扣分情形"
    return float(times_total), points, f"满分{q(crit.max_points)}，{detail}", []


def _indicator(
    crit: Criterion, values: dict[int, IndicatorValue] | None, branch_id: int
) -> Computed:
    if values is None:
        return None, None, f"未知的自动指标：{crit.indicator_key or '未设置'}", []
    found = values.get(branch_id)
    if found is None:
        return None, None, "该支部无指标数据", []
    if not crit.formula:
        return found.value, None, f"指标值 {found.value:g}；未设置计分公式", _records(found)
    points = _formula_points(crit.formula, found.value, crit.max_points)
    detail = f"指标值 {found.value:g}" + (f"（{found.detail}）" if found.detail else "")
    if points is None:
        detail += "；计分公式无效"
    return found.value, points, detail, _records(found)


def _survey(crit: Criterion, values: dict[int, Any] | None, branch_id: int) -> Computed:
    """A survey score (0..100) through the formula; not counted below the minimum."""
    if values is None:
        return None, None, "满意度测评模块未启用", []
    result = values.get(branch_id)
    respondents = int(getattr(result, "respondents", 0) or 0)
    if result is None or not result.counted or result.score is None:
        value = float(result.score) if result is not None and result.score is not None else None
        if respondents:
            detail = f"参评 {respondents} 人，未达到最少参评人数，测评结果不计分"
        else:
            detail = "暂无测评结果（无人参评）"
        return value, None, detail, []
    score = float(result.score)
    formula = crit.formula or SURVEY_DEFAULT_FORMULA
    points = _formula_points(formula, score, crit.max_points)
    return score, points, f"满意度 {score:.1f} 分（参评 {respondents} 人）", []


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
