"""Writes of assessment schemes (考核方案): drafts, categories, criteria, deductions, publishing.

Every write is keyword-only with ``actor`` first, runs in one transaction, re-checks the scope
of the row it wrote (``assert_in_scope``: a department-scoped grant edits only its own domain's
categories and criteria) and appends an audit event. A published (or retired) scheme is frozen:
every edit is refused; ``scheme_new_version`` copies it into a new draft (version + 1,
``based_on``) and publishing that draft retires the previous published version of the same
committee, year and organisation kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from dangjian.assessment.formulas import validate_formula
from dangjian.assessment.models import (
    AssessmentScheme,
    Category,
    Criterion,
    DeductionItem,
    EvidenceMethod,
    ScoringMethod,
)
from dangjian.audit.services import audit_record
from dangjian.core.registries import indicators
from dangjian.core.scope import assert_in_scope, has_permission, restrict
from dangjian.orgs.models import Department, PartyOrg

State = AssessmentScheme.State
SURVEY_AUDIENCES = {"members": "党员", "masses": "群众", "all": "党员和群众"}
FORMULA_METHODS = (ScoringMethod.INDICATOR, ScoringMethod.COUNT)
FROZEN_MESSAGE = (
    "方案“{name}”（第{version}版）已{state}，不能再修改；请先“生成新版本”，在新版本上修改。"
)


def _n(value: Decimal) -> str:
    """Points as people write them: 40, 2.5, 0.25."""
    return format(Decimal(value).normalize(), "f")


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _require(actor: Any, model: type[Any], action: str) -> None:
    if not has_permission(actor, model, action):
        raise PermissionDenied("您没有维护考核方案的权限。")


def _points(value: Any, field: str, label: str, *, allow_zero: bool = False) -> Decimal:
    try:
        points = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: f"{label}应为数字。"}) from None
    if points < 0 or (points == 0 and not allow_zero) or points > Decimal("1000"):
        low = "不小于 0" if allow_zero else "大于 0"
        raise ValidationError({field: f"{label}应{low}且不超过 1000。"})
    return points


def _locked_scheme(actor: Any, scheme_id: int, action: str = "change") -> AssessmentScheme:
    _require(actor, AssessmentScheme, action)
    scheme = (
        restrict(AssessmentScheme.objects.filter(pk=scheme_id), actor, action)
        .select_for_update()
        .first()
    )
    if scheme is None:
        raise Http404
    return scheme


def _editable(scheme: AssessmentScheme) -> None:
    if scheme.is_frozen:
        raise ValidationError(
            FROZEN_MESSAGE.format(
                name=scheme.name, version=scheme.version, state=scheme.get_state_display()
            )
        )


def _draft_of(actor: Any, scheme_id: int) -> AssessmentScheme:
    """The scheme, locked, which must be a draft the actor may change."""
    scheme = _locked_scheme(actor, scheme_id, "change")
    _editable(scheme)
    return scheme


def _next_version(party_org_id: int, year: int, org_kind: str) -> int:
    top = AssessmentScheme.objects.filter(
        party_org_id=party_org_id, year=year, org_kind=org_kind
    ).aggregate(top=Max("version"))["top"]
    return (top or 0) + 1


# --- schemes ----------------------------------------------------------------------------


@transaction.atomic
def scheme_create(
    *,
    actor: Any,
    party_org_id: int,
    name: str,
    year: int,
    org_kind: str = PartyOrg.Kind.BRANCH,
    bonus_cap: Any = 0,
    description: str = "",
) -> AssessmentScheme:
    """A new draft scheme (version after any existing one of that committee, year and kind)."""
    _require(actor, AssessmentScheme, "add")
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "请填写方案名称。"
    elif len(name) > 120:
        errors["name"] = "方案名称不能超过 120 个字。"
    this_year = timezone.localdate().year
    if not isinstance(year, int) or not 2000 <= year <= this_year + 2:
        errors["year"] = f"年度应在 2000 至 {this_year + 2} 之间。"
    if org_kind not in PartyOrg.Kind.values:
        errors["org_kind"] = "适用组织类型无效。"
    try:
        cap = _points(bonus_cap, "bonus_cap", "加分上限", allow_zero=True)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        cap = Decimal(0)
    org = PartyOrg.objects.filter(pk=party_org_id).first()
    if org is None:
        errors["party_org"] = "制定方案的党组织不存在。"
    if errors:
        raise ValidationError(errors)
    assert org is not None
    try:
        with transaction.atomic():
            scheme = AssessmentScheme.objects.create(
                party_org=org,
                name=name,
                year=year,
                org_kind=org_kind,
                version=_next_version(org.pk, year, org_kind),
                bonus_cap=cap,
                description=(description or "")[:4000],
            )
    except IntegrityError as exc:  # a concurrent create took the version number
        raise ValidationError("同一时间有人创建了同年度的方案，请重试。") from exc
    assert_in_scope(scheme, actor, "add")
    audit_record(
        "create",
        obj=scheme,
        actor=actor,
        changes={"name": name, "year": year, "org_kind": org_kind, "version": scheme.version},
    )
    return scheme


@transaction.atomic
def scheme_update(
    *, actor: Any, scheme_id: int, name: str, bonus_cap: Any, description: str = ""
) -> AssessmentScheme:
    scheme = _draft_of(actor, scheme_id)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError({"name": "请填写方案名称（不超过 120 个字）。"})
    cap = _points(bonus_cap, "bonus_cap", "加分上限", allow_zero=True)
    before = {"name": scheme.name, "bonus_cap": str(scheme.bonus_cap)}
    scheme.name, scheme.bonus_cap, scheme.description = name, cap, (description or "")[:4000]
    scheme.save(update_fields=["name", "bonus_cap", "description"])
    audit_record(
        "update",
        obj=scheme,
        actor=actor,
        changes={"before": before, "after": {"name": name, "bonus_cap": str(cap)}},
    )
    return scheme


@transaction.atomic
def scheme_delete(*, actor: Any, scheme_id: int) -> None:
    """Delete a draft nobody has used (a published scheme is kept for its rounds)."""
    _require(actor, AssessmentScheme, "change")
    scheme = _draft_of(actor, scheme_id)
    if scheme.rounds.exists():
        raise ValidationError("该方案已被考核轮次使用，不能删除。")
    audit_record(
        "delete", obj=scheme, actor=actor, changes={"name": scheme.name, "version": scheme.version}
    )
    DeductionItem.objects.filter(criterion__category__scheme=scheme).delete()
    Criterion.objects.filter(category__scheme=scheme).delete()
    Category.objects.filter(scheme=scheme).delete()
    scheme.delete()


# --- categories -------------------------------------------------------------------------


def _category_for(actor: Any, category_id: int, action: str = "change") -> Category:
    _require(actor, Category, action)
    category = (
        restrict(Category.objects.filter(pk=category_id), actor, action)
        .select_related("scheme")
        .first()
    )
    if category is None:
        raise Http404
    return category


@transaction.atomic
def category_save(
    *,
    actor: Any,
    scheme_id: int,
    code: str,
    name: str,
    domain: str,
    max_points: Any,
    category_id: int | None = None,
    sort_order: int | None = None,
) -> Category:
    """Add (``category_id`` None) or edit a category of a draft scheme."""
    _require(actor, Category, "change" if category_id else "add")
    scheme = _draft_of(actor, scheme_id)
    if category_id:
        category = _category_for(actor, category_id)
        if category.scheme_id != scheme.pk:
            raise Http404
    else:
        category = Category(scheme=scheme)
    errors: dict[str, str] = {}
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 10:
        errors["code"] = "请填写编号（不超过 10 个字符）。"
    elif Category.objects.filter(scheme=scheme, code=code).exclude(pk=category.pk).exists():
        errors["code"] = f"编号“{code}”已被本方案的其他大项使用。"
    if not name or len(name) > 60:
        errors["name"] = "请填写大项名称（不超过 60 个字）。"
    if domain not in Department.Domain.values:
        errors["domain"] = "请选择责任部门领域。"
    try:
        points = _points(max_points, "max_points", "分值")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        points = Decimal(0)
    if errors:
        raise ValidationError(errors)
    before = (
        {
            "code": category.code,
            "name": category.name,
            "domain": category.domain,
            "max_points": str(category.max_points),
        }
        if category.pk
        else None
    )
    category.code, category.name, category.domain, category.max_points = code, name, domain, points
    if sort_order is not None:
        category.sort_order = sort_order
    elif not category.pk:
        top = Category.objects.filter(scheme=scheme).aggregate(top=Max("sort_order"))["top"]
        category.sort_order = (top or 0) + 1 if top is not None else 0
    category.save()
    assert_in_scope(category, actor, "change" if before else "add")
    audit_record(
        "update" if before else "create",
        obj=category,
        actor=actor,
        changes={
            "scheme": scheme.pk,
            "before": before,
            "after": {"code": code, "name": name, "domain": domain, "max_points": str(points)},
        },
    )
    return category


@transaction.atomic
def category_delete(*, actor: Any, category_id: int) -> None:
    _require(actor, Category, "change")
    category = _category_for(actor, category_id)
    _draft_of(actor, category.scheme_id)
    audit_record(
        "delete",
        obj=category,
        actor=actor,
        changes={"scheme": category.scheme_id, "code": category.code, "name": category.name},
    )
    DeductionItem.objects.filter(criterion__category=category).delete()
    Criterion.objects.filter(category=category).delete()
    category.delete()


# --- criteria ---------------------------------------------------------------------------


def _criterion_for(actor: Any, criterion_id: int, action: str = "change") -> Criterion:
    _require(actor, Criterion, action)
    criterion = (
        restrict(Criterion.objects.filter(pk=criterion_id), actor, action)
        .select_related("category")
        .first()
    )
    if criterion is None:
        raise Http404
    return criterion


def criterion_errors(
    *,
    method: str,
    max_points: Decimal | None,
    evidence_methods: Iterable[str],
    indicator_key: str,
    survey_audience: str,
    formula: Any,
    is_veto: bool,
    is_bonus: bool,
) -> dict[str, str]:
    """Field errors of a criterion's scoring set-up (shared by save and publish)."""
    errors: dict[str, str] = {}
    if method not in ScoringMethod.values:
        errors["method"] = "请选择评分方式。"
    bad = [m for m in evidence_methods if m not in EvidenceMethod.values]
    if bad:
        errors["evidence_methods"] = f"考核方式“{'、'.join(map(str, bad))}”无效。"
    if method == ScoringMethod.INDICATOR:
        if not indicator_key:
            errors["indicator_key"] = "自动指标评分须选择一个指标。"
        elif indicator_key not in indicators():
            errors["indicator_key"] = f"指标“{indicator_key}”未注册（系统中没有这个指标）。"
    elif indicator_key:
        errors["indicator_key"] = "只有“自动指标”评分方式才能选择指标。"
    if method == ScoringMethod.SURVEY and survey_audience not in SURVEY_AUDIENCES:
        errors["survey_audience"] = "满意度测评须选择测评对象（党员、群众或全部）。"
    if method != ScoringMethod.SURVEY and survey_audience:
        errors["survey_audience"] = "只有“满意度测评”评分方式才能选择测评对象。"
    if formula:
        try:
            validate_formula(formula)
        except ValidationError as exc:
            errors["formula"] = "；".join(exc.messages)
    elif method in FORMULA_METHODS:
        errors["formula"] = f"“{ScoringMethod(method).label}”评分方式须填写计分公式。"
    if is_veto and is_bonus:
        errors["is_veto"] = "一票否决项不能同时是加分项。"
    if is_veto and max_points:
        errors["max_points"] = "一票否决项不计分，分值应为 0。"
    return errors


@transaction.atomic
def criterion_save(
    *,
    actor: Any,
    category_id: int,
    code: str,
    title: str,
    standard: str,
    max_points: Any,
    method: str = ScoringMethod.MANUAL,
    criterion_id: int | None = None,
    evidence_required: str = "",
    evidence_methods: Iterable[str] = (),
    is_veto: bool = False,
    is_bonus: bool = False,
    indicator_key: str = "",
    survey_audience: str = "",
    formula: dict[str, Any] | None = None,
    sort_order: int | None = None,
) -> Criterion:
    """Add (``criterion_id`` None) or edit a criterion of a draft scheme's category."""
    _require(actor, Criterion, "change" if criterion_id else "add")
    category = _category_for(actor, category_id, "view")
    _draft_of(actor, category.scheme_id)
    if criterion_id:
        criterion = _criterion_for(actor, criterion_id)
        if criterion.category.scheme_id != category.scheme_id:
            raise Http404
    else:
        criterion = Criterion(category=category)
    errors: dict[str, str] = {}
    code, title, standard = (code or "").strip(), (title or "").strip(), (standard or "").strip()
    if not code or len(code) > 12:
        errors["code"] = "请填写编号（不超过 12 个字符）。"
    elif (
        Criterion.objects.filter(category__scheme_id=category.scheme_id, code=code)
        .exclude(pk=criterion.pk)
        .exists()
    ):
        errors["code"] = f"编号“{code}”已被本方案的其他细则使用。"
    if not title or len(title) > 200:
        errors["title"] = "请填写考核内容（不超过 200 个字）。"
    if not standard or len(standard) > 2000:
        errors["standard"] = "请填写评分标准（不超过 2000 个字）。"
    points: Decimal | None
    try:
        points = _points(max_points, "max_points", "分值", allow_zero=True)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        points = None
    if points is not None and points == 0 and not is_veto:
        errors["max_points"] = "分值应大于 0（只有一票否决项分值为 0）。"
    methods = list(dict.fromkeys(evidence_methods))
    errors.update(
        criterion_errors(
            method=method,
            max_points=points,
            evidence_methods=methods,
            indicator_key=indicator_key or "",
            survey_audience=survey_audience or "",
            formula=formula or {},
            is_veto=is_veto,
            is_bonus=is_bonus,
        )
    )
    if errors:
        raise ValidationError(errors)
    assert points is not None
    before = _criterion_fields(criterion) if criterion.pk else None
    criterion.category = category if criterion.category_id != category.pk else criterion.category
    criterion.code, criterion.title, criterion.standard = code, title, standard
    criterion.max_points, criterion.method = points, method
    criterion.evidence_required = (evidence_required or "")[:300]
    criterion.evidence_methods = methods
    criterion.is_veto, criterion.is_bonus = bool(is_veto), bool(is_bonus)
    criterion.indicator_key = indicator_key or ""
    criterion.survey_audience = survey_audience or ""
    criterion.formula = formula or {}
    if sort_order is not None:
        criterion.sort_order = sort_order
    elif not criterion.pk:
        top = Criterion.objects.filter(category=category).aggregate(top=Max("sort_order"))["top"]
        criterion.sort_order = 0 if top is None else top + 1
    criterion.save()
    assert_in_scope(criterion, actor, "change" if before else "add")
    audit_record(
        "update" if before else "create",
        obj=criterion,
        actor=actor,
        changes={"before": before, "after": _criterion_fields(criterion)},
    )
    return criterion


def _criterion_fields(criterion: Criterion) -> dict[str, Any]:
    return {
        "category": criterion.category_id,
        "code": criterion.code,
        "title": criterion.title,
        "max_points": str(criterion.max_points),
        "method": criterion.method,
        "is_veto": criterion.is_veto,
        "is_bonus": criterion.is_bonus,
        "indicator_key": criterion.indicator_key,
        "formula": criterion.formula,
        "survey_audience": criterion.survey_audience,
        "evidence_methods": criterion.evidence_methods,
    }


@transaction.atomic
def criterion_delete(*, actor: Any, criterion_id: int) -> None:
    _require(actor, Criterion, "change")
    criterion = _criterion_for(actor, criterion_id)
    _draft_of(actor, criterion.category.scheme_id)
    audit_record("delete", obj=criterion, actor=actor, changes=_criterion_fields(criterion))
    DeductionItem.objects.filter(criterion=criterion).delete()
    criterion.delete()


# --- deduction items --------------------------------------------------------------------


@transaction.atomic
def deduction_save(
    *,
    actor: Any,
    criterion_id: int,
    text: str,
    points: Any,
    deduction_id: int | None = None,
    sort_order: int | None = None,
) -> DeductionItem:
    """Add or edit a listed fault of a deduction criterion (每次扣 N 分)."""
    _require(actor, DeductionItem, "change" if deduction_id else "add")
    criterion = _criterion_for(actor, criterion_id, "view")
    _draft_of(actor, criterion.category.scheme_id)
    if deduction_id:
        item = (
            restrict(DeductionItem.objects.filter(pk=deduction_id), actor, "change")
            .filter(criterion=criterion)
            .first()
        )
        if item is None:
            raise Http404
    else:
        item = DeductionItem(criterion=criterion)
    errors: dict[str, str] = {}
    text = (text or "").strip()
    if not text or len(text) > 200:
        errors["text"] = "请填写扣分情形（不超过 200 个字）。"
    try:
        value = _points(points, "points", "每次扣分")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        value = Decimal(0)
    if not errors and value > criterion.max_points:
        errors["points"] = f"每次扣分 {value} 不能超过该细则的分值 {criterion.max_points}。"
    if errors:
        raise ValidationError(errors)
    before = {"text": item.text, "points": str(item.points)} if item.pk else None
    item.text, item.points = text, value
    if sort_order is not None:
        item.sort_order = sort_order
    elif not item.pk:
        item.sort_order = DeductionItem.objects.filter(criterion=criterion).count()
    item.save()
    assert_in_scope(item, actor, "change" if before else "add")
    audit_record(
        "update" if before else "create",
        obj=item,
        actor=actor,
        changes={
            "criterion": criterion.pk,
            "before": before,
            "after": {"text": text, "points": str(value)},
        },
    )
    return item


@transaction.atomic
def deduction_delete(*, actor: Any, deduction_id: int) -> None:
    _require(actor, DeductionItem, "change")
    item = (
        restrict(DeductionItem.objects.filter(pk=deduction_id), actor, "change")
        .select_related("criterion__category")
        .first()
    )
    if item is None:
        raise Http404
    _draft_of(actor, item.criterion.category.scheme_id)
    audit_record(
        "delete",
        obj=item,
        actor=actor,
        changes={"criterion": item.criterion_id, "text": item.text, "points": str(item.points)},
    )
    item.delete()


# --- validation, publishing, versions ---------------------------------------------------


def scheme_problems(scheme: AssessmentScheme) -> list[str]:
    """Everything that stops ``scheme`` from being published, precisely (3 queries)."""
    problems: list[str] = []
    categories = list(Category.objects.filter(scheme=scheme).order_by("sort_order", "pk"))
    criteria = list(Criterion.objects.filter(category__scheme=scheme).order_by("sort_order", "pk"))
    with_items = set(
        DeductionItem.objects.filter(criterion__category__scheme=scheme).values_list(
            "criterion_id", flat=True
        )
    )
    by_category: dict[int, list[Criterion]] = {c.pk: [] for c in categories}
    for criterion in criteria:
        by_category[criterion.category_id].append(criterion)
    if not categories:
        problems.append("方案还没有考核大项。")
    total = sum((c.max_points for c in categories), Decimal(0))
    if categories and total != scheme.total_points:
        diff = total - scheme.total_points
        problems.append(
            f"各大项分值合计 {_n(total)} 分，应为 {_n(scheme.total_points)} 分"
            f"（{'多' if diff > 0 else '少'} {_n(abs(diff))} 分）。"
        )
    has_bonus = False
    for category in categories:
        items = by_category[category.pk]
        label = f"大项“{category.code} {category.name}”"
        base = [c for c in items if not c.is_bonus and not c.is_veto]
        if not base:
            problems.append(f"{label}没有计分细则。")
        subtotal = sum((c.max_points for c in base), Decimal(0))
        if base and subtotal != category.max_points:
            diff = subtotal - category.max_points
            problems.append(
                f"{label}的细则分值合计 {_n(subtotal)} 分，与大项分值 {_n(category.max_points)} 分"
                f"不符（{'多' if diff > 0 else '少'} {_n(abs(diff))} 分）。"
            )
        for criterion in items:
            has_bonus = has_bonus or criterion.is_bonus
            where = f"{label}的细则“{criterion.code} {criterion.title}”"
            errors = criterion_errors(
                method=criterion.method,
                max_points=criterion.max_points,
                evidence_methods=criterion.evidence_methods or [],
                indicator_key=criterion.indicator_key,
                survey_audience=criterion.survey_audience,
                formula=criterion.formula,
                is_veto=criterion.is_veto,
                is_bonus=criterion.is_bonus,
            )
            for message in errors.values():
                problems.append(f"{where}：{message}")
            if criterion.method == ScoringMethod.DEDUCTION and criterion.pk not in with_items:
                problems.append(f"{where}：扣分项须列出扣分情形。")
            if not criterion.is_veto and criterion.max_points <= 0:
                problems.append(f"{where}：分值应大于 0。")
    if has_bonus and scheme.bonus_cap <= 0:
        problems.append("方案有加分项，须设置大于 0 的加分上限。")
    return problems


@transaction.atomic
def scheme_publish(*, actor: Any, scheme_id: int) -> AssessmentScheme:
    """Validate, freeze and publish; the previous published version of the same key retires."""
    scheme = _draft_of(actor, scheme_id)
    problems = scheme_problems(scheme)
    if problems:
        raise ValidationError(problems)
    retired = list(
        AssessmentScheme.objects.select_for_update()
        .filter(
            party_org_id=scheme.party_org_id,
            year=scheme.year,
            org_kind=scheme.org_kind,
            state=State.PUBLISHED,
        )
        .exclude(pk=scheme.pk)
    )
    for old in retired:
        old.state = State.RETIRED
        old.save(update_fields=["state"])
        audit_record(
            "update",
            obj=old,
            actor=actor,
            changes={"state": [State.PUBLISHED, State.RETIRED], "replaced_by": scheme.pk},
        )
    scheme.state = State.PUBLISHED
    scheme.published_at = timezone.now()
    scheme.published_by = _user_or_none(actor)
    scheme.save(update_fields=["state", "published_at", "published_by"])
    assert_in_scope(scheme, actor, "change")
    audit_record(
        "update",
        obj=scheme,
        actor=actor,
        changes={
            "state": [State.DRAFT, State.PUBLISHED],
            "version": scheme.version,
            "retired": [old.pk for old in retired],
        },
    )
    return scheme


@transaction.atomic
def scheme_new_version(*, actor: Any, scheme_id: int) -> AssessmentScheme:
    """Copy a scheme (categories, criteria, deduction items) into a new draft, version + 1."""
    _require(actor, AssessmentScheme, "add")
    source = _locked_scheme(actor, scheme_id, "view")
    pending = AssessmentScheme.objects.filter(
        party_org_id=source.party_org_id,
        year=source.year,
        org_kind=source.org_kind,
        state=State.DRAFT,
    ).first()
    if pending is not None:
        raise ValidationError(
            f"已有草稿“{pending.name}”（第{pending.version}版），请在该草稿上修改或先删除它。"
        )
    copy = AssessmentScheme.objects.create(
        party_org_id=source.party_org_id,
        name=source.name,
        year=source.year,
        org_kind=source.org_kind,
        version=_next_version(source.party_org_id, source.year, source.org_kind),
        based_on=source,
        total_points=source.total_points,
        bonus_cap=source.bonus_cap,
        description=source.description,
    )
    categories = list(Category.objects.filter(scheme=source).order_by("pk"))
    new_categories = Category.objects.bulk_create(
        Category(
            scheme=copy,
            code=c.code,
            name=c.name,
            domain=c.domain,
            max_points=c.max_points,
            sort_order=c.sort_order,
        )
        for c in categories
    )
    category_map = {old.pk: new.pk for old, new in zip(categories, new_categories, strict=True)}
    criteria = list(Criterion.objects.filter(category__scheme=source).order_by("pk"))
    new_criteria = Criterion.objects.bulk_create(
        Criterion(
            category_id=category_map[c.category_id],
            code=c.code,
            title=c.title,
            standard=c.standard,
            max_points=c.max_points,
            method=c.method,
            evidence_required=c.evidence_required,
            evidence_methods=c.evidence_methods,
            is_veto=c.is_veto,
            is_bonus=c.is_bonus,
            indicator_key=c.indicator_key,
            survey_audience=c.survey_audience,
            formula=c.formula,
            sort_order=c.sort_order,
        )
        for c in criteria
    )
    if new_criteria and new_criteria[0].pk is None:  # backends without RETURNING
        found = dict(Criterion.objects.filter(category__scheme=copy).values_list("code", "pk"))
        for new in new_criteria:
            new.pk = found[new.code]
    criterion_map = {old.pk: new.pk for old, new in zip(criteria, new_criteria, strict=True)}
    DeductionItem.objects.bulk_create(
        DeductionItem(
            criterion_id=criterion_map[d.criterion_id],
            text=d.text,
            points=d.points,
            sort_order=d.sort_order,
        )
        for d in DeductionItem.objects.filter(criterion__category__scheme=source).order_by("pk")
    )
    assert_in_scope(copy, actor, "add")
    audit_record(
        "create",
        obj=copy,
        actor=actor,
        changes={"based_on": source.pk, "version": copy.version, "criteria": len(criteria)},
    )
    return copy


def scheme_load_standard(
    *, actor: Any, party_org: PartyOrg, year: int, publish: bool = True
) -> AssessmentScheme:
    """The article's scheme (6 categories, 67 criteria, 100 points + capped bonus items),
    created through the services above and published."""
    from dangjian.assessment import scheme_data

    with transaction.atomic():
        scheme = scheme_create(
            actor=actor,
            party_org_id=party_org.pk,
            name=scheme_data.NAME.format(year=year),
            year=year,
            bonus_cap=scheme_data.BONUS_CAP,
            description=scheme_data.DESCRIPTION,
        )
        for c_order, cat in enumerate(scheme_data.CATEGORIES):
            category = category_save(
                actor=actor,
                scheme_id=scheme.pk,
                code=cat["code"],
                name=cat["name"],
                domain=cat["domain"],
                max_points=cat["points"],
                sort_order=c_order,
            )
            for order, item in enumerate(cat["criteria"]):
                criterion = criterion_save(
                    actor=actor,
                    category_id=category.pk,
                    code=item["code"],
                    title=item["title"],
                    standard=item["standard"],
                    max_points=item.get("points", 0),
                    method=item.get("method", ScoringMethod.MANUAL),
                    evidence_required=item.get("evidence", ""),
                    evidence_methods=item.get("methods", ("report", "documents")),
                    is_veto=item.get("veto", False),
                    is_bonus=item.get("bonus", False),
                    indicator_key=item.get("indicator", ""),
                    survey_audience=item.get("audience", ""),
                    formula=item.get("formula"),
                    sort_order=order,
                )
                for d_order, (text, points) in enumerate(item.get("deductions", ())):
                    deduction_save(
                        actor=actor,
                        criterion_id=criterion.pk,
                        text=text,
                        points=points,
                        sort_order=d_order,
                    )
        if publish:
            scheme = scheme_publish(actor=actor, scheme_id=scheme.pk)
    return scheme
