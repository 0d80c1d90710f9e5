"""Reads of surveys: scoped lists for managers, open surveys for a respondent, and results.

Results are aggregates only (no response is ever shown with anything about who gave it):
per question the mean on 1–5 and as 0–100, the distribution, choice counts, the free texts, and
overall 0–100 as the weighted mean of the scale questions. Below the survey's minimum number of
respondents nothing but the count is given, so small groups stay anonymous.

``scores_for``/``person_scores`` are the contract with the assessment engine: set-based, three
queries whatever the number of organisations or persons.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from dangjian.core.scope import SYSTEM, org_paths_for, restrict, scope_q
from dangjian.orgs.models import PartyOrg
from dangjian.surveys.eligibility import eligible_surveys, person_of
from dangjian.surveys.models import SCALE_MAX, SCALE_MIN, Participation, Question, Response, Survey

State = Survey.State


@dataclass(frozen=True)
class SurveyScore:
    """Overall 0–100 (None when not counted), respondents, and whether it counts."""

    score: float | None
    respondents: int
    counted: bool


NO_SURVEY = SurveyScore(None, 0, False)


def scale_to_100(mean: float) -> float:
    return round((mean - SCALE_MIN) / (SCALE_MAX - SCALE_MIN) * 100, 2)


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    mean: float | None = None  # 1–5
    score: float | None = None  # 0–100
    distribution: list[int] = field(default_factory=list)  # counts of 1..5
    choices: list[tuple[str, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def chart(self) -> dict[str, Any]:
        """An ECharts bar chart of the distribution (scale) or of the choices."""
        kind = self.question.kind
        if kind == Question.Kind.SCALE:
            labels = [f"{v}分" for v in range(SCALE_MIN, SCALE_MAX + 1)]
            values = self.distribution
        else:
            labels = [c for c, _ in self.choices]
            values = [n for _, n in self.choices]
        return {
            "grid": {"left": 40, "right": 16, "top": 16, "bottom": 28},
            "tooltip": {"trigger": "axis"},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": {"type": "value", "name": "人数", "minInterval": 1},
            "series": [{"type": "bar", "data": values, "name": "人数"}],
        }


@dataclass
class SurveyResults:
    survey: Survey
    respondents: int
    minimum: int
    score: float | None
    questions: list[QuestionResult]

    @property
    def counted(self) -> bool:
        return self.respondents >= self.minimum

    @property
    def shortfall_label(self) -> str:
        return f"参评人数不足（{self.respondents}/{self.minimum}）"


def _as_scale(value: Any) -> int | None:
    return value if type(value) is int and SCALE_MIN <= value <= SCALE_MAX else None


def _overall(pairs: Iterable[tuple[Decimal, float | None]]) -> float | None:
    total = weight_sum = Decimal(0)
    for weight, score in pairs:
        if score is None or weight <= 0:
            continue
        total += weight * Decimal(str(score))
        weight_sum += weight
    return round(float(total / weight_sum), 2) if weight_sum else None


def compute_results(
    survey: Survey, questions: Sequence[Question], answers: Sequence[dict[str, Any]]
) -> SurveyResults:
    """Aggregate answer sheets; below the minimum, no per-question figures at all."""
    respondents = len(answers)
    results = SurveyResults(survey, respondents, survey.min_respondents, None, [])
    if not results.counted:
        return results
    for question in questions:
        key = str(question.pk)
        given = [a[key] for a in answers if a.get(key) not in (None, "")]
        row = QuestionResult(question, answered=len(given))
        if question.kind == Question.Kind.SCALE:
            values = [v for v in map(_as_scale, given) if v is not None]
            counts = Counter(values)
            row.distribution = [counts.get(v, 0) for v in range(SCALE_MIN, SCALE_MAX + 1)]
            if values:
                row.mean = round(sum(values) / len(values), 2)
                row.score = scale_to_100(sum(values) / len(values))
        elif question.kind == Question.Kind.CHOICE:
            picked: Counter[str] = Counter(str(v) for v in given)
            row.choices = [(str(option), picked.get(str(option), 0)) for option in question.options]
        else:
            row.texts = sorted(str(v) for v in given)  # sorted: no order of submission
        results.questions.append(row)
    results.score = _overall(
        (q.question.weight, q.score)
        for q in results.questions
        if q.question.kind == Question.Kind.SCALE
    )
    return results


def survey_results(survey: Survey) -> SurveyResults:
    """Results of one survey (the caller has checked the user may see them): two queries."""
    questions = list(survey.questions.order_by("order"))
    answers = list(Response.objects.filter(survey=survey).values_list("answers", flat=True))
    return compute_results(survey, questions, answers)


def results_many(
    surveys: Sequence[Survey], *, scale_only: bool = False
) -> dict[int, SurveyResults]:
    """Results of many surveys in two queries (their questions, their answer sheets)."""
    ids = [s.pk for s in surveys]
    questions: dict[int, list[Question]] = {pk: [] for pk in ids}
    question_qs = Question.objects.filter(survey_id__in=ids).order_by("survey_id", "order")
    if scale_only:
        question_qs = question_qs.filter(kind=Question.Kind.SCALE)
    for question in question_qs:
        questions[question.survey_id].append(question)
    answers: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for survey_id, sheet in Response.objects.filter(survey_id__in=ids).values_list(
        "survey_id", "answers"
    ):
        answers[survey_id].append(sheet)
    return {s.pk: compute_results(s, questions[s.pk], answers[s.pk]) for s in surveys}


def _scores(surveys: Sequence[Survey]) -> dict[int, SurveyScore]:
    return {
        pk: SurveyScore(r.score if r.counted else None, r.respondents, r.counted)
        for pk, r in results_many(surveys, scale_only=True).items()
    }


def scores_for(
    context: str, subject_org_ids: Iterable[int], audience: str
) -> dict[int, SurveyScore]:
    """{org id: SurveyScore} of the surveys ``context`` ran about these organisations (any org
    without a survey: score None, 0 respondents, not counted). Three queries."""
    ids = sorted(set(subject_org_ids))
    result = dict.fromkeys(ids, NO_SURVEY)
    if not ids or not context:
        return result
    surveys = list(
        Survey.objects.filter(
            context=context,
            subject_org_id__in=ids,
            audience=audience,
            subject_person__isnull=True,
        )
        .exclude(state=State.DRAFT)
        .only("pk", "subject_org_id", "min_respondents")
    )
    scored = _scores(surveys)
    for survey in surveys:
        result[survey.subject_org_id] = scored[survey.pk]
    return result


def person_scores(context: str, person_ids: Iterable[int]) -> dict[int, SurveyScore]:
    """{person id: SurveyScore} of the mass evaluations ``context`` ran about these persons."""
    ids = sorted(set(person_ids))
    result = dict.fromkeys(ids, NO_SURVEY)
    if not ids or not context:
        return result
    surveys = list(
        Survey.objects.filter(context=context, subject_person_id__in=ids)
        .exclude(state=State.DRAFT)
        .only("pk", "subject_person_id", "min_respondents")
    )
    scored = _scores(surveys)
    for survey in surveys:
        assert survey.subject_person_id is not None
        result[survey.subject_person_id] = scored[survey.pk]
    return result


# --- managers ---------------------------------------------------------------------------------


def survey_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    state: str = "",
    audience: str = "",
    org_id: int | None = None,
) -> QuerySet[Survey]:
    qs = restrict(Survey.objects.all(), user, action).select_related(
        "subject_org", "subject_person"
    )
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(subject_org__name__icontains=q) | Q(context__icontains=q)
        )
    if state:
        qs = qs.filter(state=state)
    if audience:
        qs = qs.filter(audience=audience)
    if org_id:
        org = PartyOrg.objects.filter(pk=org_id).only("path").first()
        qs = qs.filter(subject_org__path__startswith=org.path) if org else qs.none()
    return qs.annotate(respondents=Count("responses"))


def survey_get(*, user: Any, pk: int, action: str = "view") -> Survey | None:
    return (
        restrict(Survey.objects.filter(pk=pk), user, action)
        .select_related("subject_org", "subject_person", "created_by")
        .first()
    )


def results_visible(survey: Survey) -> bool:
    """Per-question figures are shown once a survey is closed: while it is open, watching the
    results change after each answer would tell who answered what."""
    return survey.state == State.CLOSED


def orgs_for(*, user: Any, action: str = "add") -> QuerySet[PartyOrg]:
    """Organisations a user may run surveys about (form choices): branches and above."""
    qs = PartyOrg.objects.filter(
        kind__in=(PartyOrg.Kind.BRANCH, PartyOrg.Kind.GENERAL_BRANCH, PartyOrg.Kind.COMMITTEE),
        dissolved_on__isnull=True,
    )
    if user is SYSTEM:
        return qs.order_by("path")
    q = scope_q(Survey, user, action)
    if q is None:
        return qs.none()
    if q:
        cond = Q()
        paths = list(org_paths_for(user, Survey, action))
        for path in paths:
            cond |= Q(path__startswith=path)
        qs = qs.filter(cond) if paths else qs.none()
    return qs.order_by("path")


# --- respondents ------------------------------------------------------------------------------


def answerable(survey: Survey, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return survey.state == State.OPEN and survey.opens_on <= today <= survey.closes_on


def my_surveys(*, user: Any, today: dt.date | None = None) -> QuerySet[Survey]:
    """Open surveys the user's person may answer, with ``answered`` (already took part)."""
    today = today or timezone.localdate()
    person = person_of(user)
    if person is None:
        return Survey.objects.none()
    open_now = Survey.objects.filter(state=State.OPEN, opens_on__lte=today, closes_on__gte=today)
    return (
        eligible_surveys(person, open_now)
        .select_related("subject_org", "subject_person")
        .annotate(
            answered=Exists(
                Participation.objects.filter(survey=OuterRef("pk"), person_id=person.pk)
            )
        )
        .order_by("closes_on", "pk")
    )


def my_survey(*, user: Any, pk: int) -> Survey | None:
    """One survey the user may answer (eligible, whatever its state), else None (→ 404)."""
    person = person_of(user)
    if person is None:
        return None
    return (
        eligible_surveys(person, Survey.objects.filter(pk=pk))
        .select_related("subject_org", "subject_person")
        .first()
    )


def has_answered(*, user: Any, survey: Survey) -> bool:
    person = person_of(user)
    return bool(
        person and Participation.objects.filter(survey=survey, person_id=person.pk).exists()
    )


def eligible_count(survey: Survey) -> int:
    from dangjian.surveys.eligibility import eligible_persons

    return eligible_persons(survey).count()
