"""Writes of surveys: keyword-only, one transaction, scope re-checked, audited.

``response_submit`` keeps the two halves of an answer apart: a ``Participation`` (who took
part: the one-response rule, a unique constraint) and a ``Response`` (what was answered: random
UUID key, no person, no user, no time). To leave no order to join them by, every submission
deletes the survey's answer sheets and writes them back, the new one among them, in a fresh
random order: afterwards the sheets' physical order, SQLite rowids and PostgreSQL transaction
ids say nothing about who answered first. The audit event names the survey and that *a*
response was recorded; it never carries the response id or the answers.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core.rules import rule
from dangjian.core.scope import assert_in_scope, has_permission, restrict
from dangjian.people.models import Person
from dangjian.surveys.eligibility import eligible_surveys, person_of
from dangjian.surveys.models import (
    SCALE_MAX,
    SCALE_MIN,
    TEXT_MAX,
    Participation,
    Question,
    Response,
    Survey,
)

MIN_RULE = "assessment.survey_min_respondents"  # the one source of the default minimum
MAX_QUESTIONS = 50
MAX_OPTIONS = 20
ALREADY_ANSWERED = "您已参加过本次测评，每人只能提交一次。"

# The default questionnaire of the assessment's satisfaction survey (满意度测评).
DEFAULT_QUESTIONS: tuple[dict[str, Any], ...] = (
    {"text": "您对本支部班子建设和支部书记履职尽责情况的满意程度", "kind": "scale", "weight": 1},
    {"text": "您对本支部“三会一课”等组织生活开展情况的满意程度", "kind": "scale", "weight": 1},
    {"text": "您对本支部党员教育管理和先锋模范作用发挥的满意程度", "kind": "scale", "weight": 1},
    {
        "text": "您对本支部围绕安全生产中心工作发挥战斗堡垒作用的满意程度",
        "kind": "scale",
        "weight": 1,
    },
    {"text": "您对本支部党风廉政建设和作风建设情况的满意程度", "kind": "scale", "weight": 1},
    {"text": "您对本支部联系服务职工群众、解决实际困难的满意程度", "kind": "scale", "weight": 1},
    {
        "text": "与上一季度相比，您认为本支部工作总体",
        "kind": "choice",
        "options": ["明显进步", "有所进步", "基本持平", "有所退步"],
        "weight": 0,
    },
    {"text": "您对本支部工作的意见和建议", "kind": "text", "weight": 0},
)


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _clean_questions(questions: Sequence[Mapping[str, Any]]) -> list[Question]:
    if not questions:
        raise ValidationError({"questions": "请至少设置一道题目。"})
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError({"questions": f"题目不能超过 {MAX_QUESTIONS} 道。"})
    cleaned: list[Question] = []
    for number, item in enumerate(questions, start=1):
        prefix = f"第 {number} 题"
        if not isinstance(item, Mapping):
            raise ValidationError({"questions": f"{prefix}格式无效。"})
        text = str(item.get("text") or "").strip()
        if not text or len(text) > 300:
            raise ValidationError({"questions": f"{prefix}题目不能为空，且不超过 300 字。"})
        kind = item.get("kind")
        if kind not in Question.Kind.values:
            raise ValidationError({"questions": f"{prefix}题型无效（应为 scale/choice/text）。"})
        options = item.get("options") or []
        if kind == Question.Kind.CHOICE:
            if not isinstance(options, list | tuple) or not 2 <= len(options) <= MAX_OPTIONS:
                raise ValidationError(
                    {"questions": f"{prefix}单选题应有 2 至 {MAX_OPTIONS} 个选项。"}
                )
            options = [str(o).strip() for o in options]
            if any(not o or len(o) > 100 for o in options) or len(set(options)) != len(options):
                raise ValidationError({"questions": f"{prefix}选项不能为空、重复或超过 100 字。"})
        elif options:
            raise ValidationError({"questions": f"{prefix}只有单选题可以设置选项。"})
        try:
            weight = Decimal(str(item.get("weight", 1)))
        except InvalidOperation:
            weight = Decimal(-1)
        if not weight.is_finite() or not Decimal(0) <= weight <= Decimal(100):
            raise ValidationError({"questions": f"{prefix}权重应在 0 至 100 之间。"})
        cleaned.append(
            Question(
                order=number,
                text=text,
                kind=kind,
                options=list(options),
                weight=weight.quantize(Decimal("0.01")),
            )
        )
    if not any(q.kind == Question.Kind.SCALE and q.weight > 0 for q in cleaned):
        raise ValidationError({"questions": "至少需要一道权重大于 0 的满意度（1–5分）题目。"})
    return cleaned


@transaction.atomic
def survey_create(
    *,
    actor: Any,
    title: str,
    context: str,
    subject_org_id: int,
    audience: str,
    questions: Sequence[Mapping[str, Any]] | None,
    opens_on: dt.date,
    closes_on: dt.date,
    min_respondents: int | None = None,
    subject_person_id: int | None = None,
    open_now: bool = False,
) -> Survey:
    """Create a survey (draft, or open at once with ``open_now``); ``questions=None`` gives the
    default questionnaire. A survey about a person is answered by that person's branch."""
    if not has_permission(actor, Survey, "add"):
        raise PermissionDenied("您没有发起满意度测评的权限。")
    from dangjian.surveys.selectors import orgs_for

    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title or len(title) > 120 or "\x00" in title:
        errors["title"] = "请填写标题（不超过 120 字）。"
    context = (context or "").strip()
    if len(context) > 80:
        errors["context"] = "用途标识不能超过 80 个字符。"
    if audience not in Survey.Audience.values:
        errors["audience"] = "参评对象无效。"
    if not isinstance(opens_on, dt.date) or not isinstance(closes_on, dt.date):
        errors["closes_on"] = "请填写开始和截止日期。"
    elif closes_on < opens_on:
        errors["closes_on"] = "截止日期不能早于开始日期。"
    if min_respondents is None:
        min_respondents = int(rule(MIN_RULE))
    if not isinstance(min_respondents, int) or not 1 <= min_respondents <= 10000:
        errors["min_respondents"] = "最少参评人数应在 1 至 10000 之间。"
    person = None
    if subject_person_id is not None:
        person = (
            restrict(Person.objects.filter(pk=subject_person_id), actor, "view")
            .select_related("party_org")
            .first()
        )
        if person is None:
            errors["subject_person"] = "被测评人不存在或不在您的数据范围内。"
    org = orgs_for(user=actor, action="add").filter(pk=subject_org_id).first()
    if org is None:
        errors["subject_org"] = "被测评组织不存在或不在您的数据范围内。"
    elif person is not None and not person.party_org.path.startswith(org.path):
        errors["subject_person"] = "被测评人须属于被测评组织。"
    if errors:
        raise ValidationError(errors)
    cleaned = _clean_questions(list(DEFAULT_QUESTIONS) if questions is None else questions)
    assert org is not None
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                title=title,
                context=context,
                subject_org=org,
                subject_person=person,
                audience=audience,
                opens_on=opens_on,
                closes_on=closes_on,
                min_respondents=min_respondents,
                state=Survey.State.OPEN if open_now else Survey.State.DRAFT,
                created_by=_user_or_none(actor),
            )
    except IntegrityError as exc:
        raise ValidationError({"context": "同一用途下已为该对象发起过测评。"}) from exc
    for question in cleaned:
        question.survey = survey
    Question.objects.bulk_create(cleaned)
    assert_in_scope(survey, actor, "add")
    audit_record(
        "create",
        obj=survey,
        actor=actor,
        changes={
            "subject_org": org.name,
            "subject_person": person.name if person else "",
            "audience": audience,
            "context": context,
            "questions": len(cleaned),
            "state": survey.state,
        },
    )
    return survey


def _locked(actor: Any, survey_id: int) -> Survey:
    if not has_permission(actor, Survey, "change"):
        raise PermissionDenied("您没有管理满意度测评的权限。")
    survey = (
        restrict(Survey.objects.filter(pk=survey_id), actor, "change").select_for_update().first()
    )
    if survey is None:
        raise Http404
    return survey


@transaction.atomic
def survey_open(*, actor: Any, survey_id: int) -> Survey:
    survey = _locked(actor, survey_id)
    if survey.state != Survey.State.DRAFT:
        raise ValidationError("只有草稿状态的测评可以开始。")
    if survey.closes_on < timezone.localdate():
        raise ValidationError("截止日期已过，不能开始。")
    survey.state = Survey.State.OPEN
    survey.save(update_fields=["state"])
    audit_record("update", obj=survey, actor=actor, changes={"state": ["draft", "open"]})
    return survey


@transaction.atomic
def survey_close(*, actor: Any, survey_id: int) -> Survey:
    survey = _locked(actor, survey_id)
    if survey.state != Survey.State.OPEN:
        raise ValidationError("只有进行中的测评可以结束。")
    survey.state = Survey.State.CLOSED
    survey.closed_at = timezone.now()
    survey.save(update_fields=["state", "closed_at"])
    audit_record(
        "update",
        obj=survey,
        actor=actor,
        changes={"state": ["open", "closed"], "respondents": survey.responses.count()},
    )
    return survey


def clean_answers(questions: Sequence[Question], answers: Mapping[Any, Any]) -> dict[str, Any]:
    """Check every answer precisely; keys are question ids (int or text)."""
    if not isinstance(answers, Mapping):
        raise ValidationError({"__all__": "答卷格式无效。"})
    by_key = {str(q.pk): q for q in questions}
    given = {str(k).strip(): v for k, v in answers.items()}
    errors: dict[str, str] = {}
    unknown = sorted(set(given) - set(by_key))
    if unknown:
        errors["__all__"] = "答卷含有不属于本测评的题目。"
    cleaned: dict[str, Any] = {}
    for key, question in by_key.items():
        value = given.get(key)
        label = f"第 {question.order} 题"
        if question.kind == Question.Kind.SCALE:
            number: int | None = None
            if isinstance(value, int) and not isinstance(value, bool):
                number = value
            elif isinstance(value, str) and value.strip().isdigit():
                number = int(value.strip())
            if value in (None, ""):
                errors[key] = f"{label}：请选择 {SCALE_MIN}–{SCALE_MAX} 分。"
            elif number is None or not SCALE_MIN <= number <= SCALE_MAX:
                errors[key] = f"{label}：分值应为 {SCALE_MIN} 至 {SCALE_MAX} 的整数。"
            else:
                cleaned[key] = number
        elif question.kind == Question.Kind.CHOICE:
            if value in (None, ""):
                errors[key] = f"{label}：请选择一项。"
            elif not isinstance(value, str) or value not in question.options:
                errors[key] = f"{label}：所选项不在选项中。"
            else:
                cleaned[key] = value
        else:
            if value is None:
                continue
            if not isinstance(value, str):
                errors[key] = f"{label}：应为文字。"
            elif "\x00" in value:
                errors[key] = f"{label}：含有不允许的控制字符。"
            elif len(value.strip()) > TEXT_MAX:
                errors[key] = f"{label}：不能超过 {TEXT_MAX} 字。"
            elif value.strip():
                cleaned[key] = value.strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def response_submit(*, actor: Any, survey_id: int, answers: Mapping[Any, Any]) -> Survey:
    """Record the actor's anonymous answers; refuses the ineligible (404) and a second attempt."""
    if not has_permission(actor, Response, "add"):
        raise PermissionDenied("您没有参加满意度测评的权限。")
    person = person_of(actor)
    if person is None:  # an account with no person is eligible for no survey
        raise Http404
    survey = eligible_surveys(person, Survey.objects.filter(pk=survey_id)).first()
    if survey is None:
        raise Http404
    survey = Survey.objects.select_for_update().get(pk=survey.pk)  # one submission at a time
    today = timezone.localdate()
    if survey.state != Survey.State.OPEN or not survey.opens_on <= today <= survey.closes_on:
        raise ValidationError({"__all__": "本测评当前不在答题时间内。"})
    cleaned = clean_answers(list(survey.questions.order_by("order")), answers)
    try:
        with transaction.atomic():
            Participation.objects.create(survey=survey, person=person, answered_on=today)
    except IntegrityError as exc:  # already answered (or a concurrent double submit)
        raise ValidationError({"__all__": ALREADY_ANSWERED}) from exc
    _rewrite_shuffled(survey, cleaned)
    audit_record(
        "survey_response",
        obj=survey,
        actor=actor,
        changes={"response": "已记录一份匿名答卷"},
    )
    return survey


def _rewrite_shuffled(survey: Survey, new_answers: dict[str, Any]) -> None:
    """Write the survey's answer sheets back in a random order, the new one among them."""
    sheets = list(Response.objects.filter(survey=survey).values_list("id", "answers"))
    sheets.append((Response._meta.pk.get_default(), new_answers))  # type: ignore[union-attr]
    secrets.SystemRandom().shuffle(sheets)
    Response.objects.filter(survey=survey).delete()
    Response.objects.bulk_create(
        [Response(id=pk, survey=survey, answers=answers) for pk, answers in sheets]
    )
