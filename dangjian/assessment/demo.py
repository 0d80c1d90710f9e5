"""Demo assessment for the demo mine (registered as a demo loader, after the ledgers).

The article's scheme (6 categories, 67 criteria) for last year and this year; four finished
quarterly rounds — the quarters before the current one — scored the way the departments would:
automatic criteria from the demo ledgers (meetings, dues, development, transfers) through the
engine, manual ones with evidence methods and a reason for every deduction, a few bonus points,
one veto (a branch's safety accident), spot checks and model sites, an objection rejected and
one upheld; then published and final. The current quarter's round is open at the self-check
stage with most branches' reports in. Last year's annual evaluation and star members (双评) are
published, so the dashboard shows trends and stars right away.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.assessment.models import (
    AssessmentRound,
    Criterion,
    Objection,
    Score,
    ScoreSheet,
    ScoringMethod,
    SelfCheck,
    SpotCheck,
)
from dangjian.core.periods import Period
from dangjian.core.rules import rule
from dangjian.core.scope import SYSTEM
from dangjian.orgs.models import PartyOrg

HALF = Decimal("0.5")
CENT = Decimal("0.01")

PRACTICES = (
    "坚持“三会一课”制度，按月开展主题党日，把党建工作与安全生产、经营管理同部署同考核；"
    "落实党员安全责任区和党员先锋岗，组织党员带头开展隐患排查。"
)
HIGHLIGHTS = (
    "打造“{brand}”支部品牌，党员攻关小组解决生产难题{n}项；“党员+群众”结对帮扶覆盖全体困难职工。"
)
PROBLEMS = "个别党员参加组织生活不够主动；会议记录中研究生产问题多、思想政治工作记载偏少。"
PLANS = "下季度重点抓好党员积分管理和青年职工思想引导，补齐组织生活记录短板。"
MASS_QUESTIONS = (
    "该党员在本职岗位上发挥先锋模范作用的情况",
    "该党员遵章守纪、安全生产和岗位履责的表现",
    "该党员联系群众、帮助工友解决困难的情况",
)
BRANDS = ("安全先锋", "红色引擎", "铁军", "匠心", "创新", "连心桥", "红旗")


def _points(value: float) -> Decimal:
    """Half-point steps, as the departments score."""
    return (Decimal(str(value)) / HALF).quantize(Decimal("1"), ROUND_HALF_UP) * HALF


def _department_users() -> dict[str, Any]:
    from dangjian.demo.mine import DEPARTMENT_OF_ACCOUNT

    users = {u.username: u for u in User.objects.filter(username__in=DEPARTMENT_OF_ACCOUNT)}
    return {str(domain): users.get(name) for name, domain in DEPARTMENT_OF_ACCOUNT.items()}


def _quality(rng: random.Random, branches: list[PartyOrg]) -> dict[int, tuple[float, float]]:
    """Each branch's level and its trend per quarter (some improve, a few slip)."""
    return {
        b.pk: (rng.uniform(0.74, 0.95), rng.choice((0.02, 0.015, 0.01, 0.0, -0.02)))
        for b in branches
    }


def _score_round(
    rnd: AssessmentRound,
    *,
    rng: random.Random,
    quality: dict[int, float],
    scorers: dict[str, Any],
    veto_branch: int | None,
    innovators: set[int],
) -> None:
    """Self-checks and the departments' scores of one round (automatic criteria are left to
    the engine, which computes them from the records)."""
    sheets = list(rnd.sheets.all())
    for sheet in sheets:
        sheet.has_innovation = sheet.branch_id in innovators
    ScoreSheet.objects.bulk_update(sheets, ["has_innovation"])
    q_of = {s.pk: quality[s.branch_id] for s in sheets}
    branch_of = {s.pk: s.branch_id for s in sheets}
    now = timezone.now()
    checks = list(SelfCheck.objects.filter(sheet__round=rnd).select_related("sheet"))
    for check in checks:
        check.practices = PRACTICES
        check.highlights = HIGHLIGHTS.format(brand=rng.choice(BRANDS), n=rng.randint(2, 6))
        check.problems = PROBLEMS
        check.plans = PLANS
        check.submitted_at = now
    SelfCheck.objects.bulk_update(
        checks, ["practices", "highlights", "problems", "plans", "submitted_at"]
    )
    scores = list(Score.objects.filter(sheet__round=rnd).select_related("criterion__category"))
    deductions_of: dict[int, list[Any]] = {}
    for item in Criterion.objects.filter(category__scheme=rnd.scheme).prefetch_related(
        "deductions"
    ):
        deductions_of[item.pk] = list(item.deductions.all())
    for score in scores:
        criterion = score.criterion
        q = q_of[score.sheet_id]
        top = criterion.max_points
        score.self_points = top if rng.random() < 0.8 else _points(float(top) * 0.9)
        score.self_note = "已按要求完成，佐证材料见台账。"
        score.evidence_methods = list(criterion.evidence_methods or ["documents"])[:2]
        score.scored_by = scorers.get(criterion.category.domain)
        score.scored_at = now
        method = criterion.method
        if criterion.is_veto:
            if branch_of[score.sheet_id] == veto_branch:
                score.vetoed = True
                score.points = Decimal("0")
                score.reason = "本季度发生一起轻伤以上安全生产事故，按规定一票否决。"
            else:
                score.points = top
            continue
        if criterion.is_bonus:
            if rng.random() < q - 0.55:
                score.points = min(top, _points(float(top) * rng.uniform(0.3, 1.0)))
                score.reason = "经验做法被上级党委推广，按标准加分。"
            else:
                score.points = Decimal("0")
                score.reason = "本季度无加分事项。"
            continue
        if method == ScoringMethod.DEDUCTION:
            items = deductions_of.get(criterion.pk, [])
            chosen = [i for i in items if rng.random() > q + 0.05]
            score.deductions = [{"item": i.pk, "times": 1} for i in chosen]
            lost = sum((i.points for i in chosen), Decimal("0"))
            score.points = max(Decimal("0"), top - lost)
            if chosen:
                score.reason = "；".join(f"{i.text}（扣{i.points}分）" for i in chosen)
            continue
        if method == ScoringMethod.COUNT:
            score.count_value = rng.randint(0, 3) if q < 0.85 else rng.randint(0, 1)
            continue
        if method in (ScoringMethod.INDICATOR, ScoringMethod.SURVEY):
            continue  # computed by the engine from the ledgers / the surveys
        fraction = min(1.0, max(0.55, rng.gauss(q + 0.04, 0.07)))
        score.points = min(top, _points(float(top) * fraction))
        if score.points < top:
            score.reason = (
                f"查阅资料、实地查看发现“{criterion.title}”落实不到位，"
                f"按评分标准扣{top - score.points}分。"
            )
    # the round's blank score rows are replaced by the scored ones in one bulk insert (a
    # bulk_update of ten fields over a thousand rows is far slower on SQLite)
    Score.objects.filter(sheet__round=rnd).delete()
    for score in scores:
        score.pk = None
    Score.objects.bulk_create(scores, batch_size=500)


def _answer_surveys(
    context: str, *, rng: random.Random, level: dict[int, float], answered_on: dt.date
) -> None:
    """Members and masses answer the round's (or the star members') surveys anonymously:
    participation rows name who took part, the answer sheets name nobody."""
    from dangjian.surveys.eligibility import eligible_persons
    from dangjian.surveys.models import Participation, Response, Survey

    participations: list[Any] = []
    responses: list[Any] = []
    surveys = list(
        Survey.objects.filter(context=context)
        .select_related("subject_org")
        .prefetch_related("questions")
    )
    pool: dict[tuple[int, str], list[int]] = {}  # who may answer, per branch and audience
    for survey in surveys:
        key = (survey.subject_org_id, survey.audience)
        if key not in pool:
            pool[key] = list(eligible_persons(survey).values_list("pk", flat=True))
        eligible = [pk for pk in pool[key] if pk != survey.subject_person_id]
        if not eligible:
            continue
        quality = level.get(survey.subject_person_id or survey.subject_org_id, 0.85)
        count = min(len(eligible), rng.randint(6, 14) if not survey.subject_person_id else 5)
        for person_id in rng.sample(eligible, count):
            participations.append(
                Participation(survey=survey, person_id=person_id, answered_on=answered_on)
            )
        for _ in range(count):
            answers = {}
            for question in survey.questions.all():
                if question.kind == "scale":
                    answers[str(question.pk)] = max(1, min(5, round(rng.gauss(quality * 5.2, 0.6))))
            responses.append(Response(survey=survey, answers=answers))
    rng.shuffle(responses)
    Participation.objects.bulk_create(participations, batch_size=500)
    Response.objects.bulk_create(responses, batch_size=500)
    Survey.objects.filter(context=context).update(
        state=Survey.State.CLOSED, opens_on=answered_on, closes_on=answered_on
    )


def _finish(rnd: AssessmentRound, *, rng: random.Random, objections: bool) -> None:
    """Compute, publish, spot checks, objections, final (as the committee would)."""
    from dangjian.assessment.services.engine import round_compute

    round_compute(round_id=rnd.pk, actor=SYSTEM)
    sheets = list(rnd.sheets.order_by("rank"))
    published = timezone.make_aware(dt.datetime.combine(rnd.closes_on, dt.time(9, 0)))
    notice_days = int(rule("assessment.notice_days"))
    by_stratum: dict[bool, list[ScoreSheet]] = {True: [], False: []}
    for sheet in sheets:
        by_stratum["采" in sheet.branch_name or "掘" in sheet.branch_name].append(sheet)
    seed = f"demo-{rnd.year}-{rnd.quarter}"
    picker = random.Random(seed)
    spot = []
    for production, group in by_stratum.items():
        for sheet in picker.sample(group, min(2 if production else 1, len(group))):
            spot.append(
                SpotCheck(
                    round=rnd,
                    sheet=sheet,
                    method=SpotCheck.Method.RANDOM,
                    stratum="生产单位" if production else "辅助及地面单位",
                    reason="分层随机抽取实地检查",
                    seed=seed,
                    visited_on=rnd.closes_on - dt.timedelta(days=3),
                    findings="现场查看党员责任区、会议记录与活动阵地，情况与汇报一致。",
                    selected_at=published,
                )
            )
    best = sheets[0] if sheets else None
    if best is not None and all(s.sheet_id != best.pk for s in spot):
        spot.append(
            SpotCheck(
                round=rnd,
                sheet=best,
                method=SpotCheck.Method.MANUAL,
                reason="综合得分第一，拟树为示范点",
                visited_on=rnd.closes_on - dt.timedelta(days=2),
                findings="支部品牌特色鲜明，组织生活规范，可在全矿推广。",
                is_model_site=True,
            )
        )
    elif best is not None:
        for s in spot:
            if s.sheet_id == best.pk:
                s.is_model_site = True
    SpotCheck.objects.bulk_create(spot)
    if best is not None:
        best.is_model_site = True
        best.save(update_fields=["is_model_site"])
    if objections and len(sheets) >= 2:
        low = sheets[-1]
        disputed = (
            Score.objects.filter(sheet=low, points__isnull=False, criterion__is_bonus=False)
            .exclude(reason="")
            .select_related("criterion")
            .first()
        )
        if disputed is not None:
            objection = Objection.objects.create(
                sheet=low,
                text=f"对“{disputed.criterion.title}”扣分有异议：相关记录已在系统中补录，请复核。",
                state=Objection.State.UPHELD,
                resolution="经复核，支部已按期完成，原扣分依据不足，恢复该项得分。",
                resolved_at=published + dt.timedelta(days=3),
            )
            objection.criteria.add(disputed.criterion)
            disputed.points = disputed.criterion.max_points
            disputed.reason = ""
            disputed.evidence_note = "异议复核：查阅补录记录，情况属实。"
            disputed.save(update_fields=["points", "reason", "evidence_note"])
            round_compute(round_id=rnd.pk, actor=SYSTEM)
        other = sheets[-2]
        objection = Objection.objects.create(
            sheet=other,
            text="认为宣传思想工作得分偏低，信息报送数量应按全年计算。",
            state=Objection.State.REJECTED,
            resolution="考核办法明确按季度计算信息报送数量，维持原评分。",
            resolved_at=published + dt.timedelta(days=2),
        )
        publicity = Criterion.objects.filter(
            category__scheme=rnd.scheme, category__domain="publicity"
        ).first()
        if publicity is not None:
            objection.criteria.add(publicity)
    AssessmentRound.objects.filter(pk=rnd.pk).update(
        state=AssessmentRound.State.FINAL,
        is_public=True,
        published_at=published,
        notice_starts_on=rnd.closes_on,
        notice_ends_on=rnd.closes_on + dt.timedelta(days=notice_days),
        finalised_at=published + dt.timedelta(days=notice_days + 2),
    )


def load(*, today: dt.date, rng: random.Random) -> None:
    from dangjian.assessment.services.rounds import round_advance, round_create
    from dangjian.assessment.services.schemes import scheme_load_standard

    committee = PartyOrg.objects.filter(parent__isnull=True).order_by("path").first()
    if committee is None:
        return
    branches = list(PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH).order_by("path"))
    current = Period.containing(today, "quarter")
    quarters: list[Period] = []
    period = current
    for _ in range(4):
        period = period.previous()
        quarters.insert(0, period)
    schemes = {
        year: scheme_load_standard(actor=SYSTEM, party_org=committee, year=year, publish=True)
        for year in sorted({q.start.year for q in [*quarters, current]})
    }
    levels = _quality(rng, branches)
    scorers = _department_users()
    innovators = {b.pk for b in rng.sample(branches, min(4, len(branches)))}
    veto_round = 1  # the second finished quarter: one branch has a safety accident
    veto_branch = rng.choice(branches).pk if branches else None
    branch_ids = [b.pk for b in branches]
    for index, quarter in enumerate(quarters):
        year, number = quarter.start.year, (quarter.start.month - 1) // 3 + 1
        rnd = round_create(
            actor=SYSTEM,
            scheme_id=schemes[year].pk,
            name=f"{year}年第{number}季度“六考一评”考核",
            kind=AssessmentRound.Kind.QUARTERLY,
            year=year,
            quarter=number,
            period_start=quarter.start,
            period_end=quarter.end,
            opens_on=quarter.end + dt.timedelta(days=1),
            closes_on=quarter.end + dt.timedelta(days=15),
            branch_ids=branch_ids,
        )
        quality = {pk: min(0.99, level + trend * index) for pk, (level, trend) in levels.items()}
        round_advance(
            actor=SYSTEM,
            round_id=rnd.pk,
            to_state=AssessmentRound.State.SELF_CHECK,
            today=rnd.opens_on,
        )
        _answer_surveys(
            f"assessment.round:{rnd.pk}",
            rng=rng,
            level=quality,
            answered_on=rnd.opens_on + dt.timedelta(days=5),
        )
        _score_round(
            rnd,
            rng=rng,
            quality=quality,
            scorers=scorers,
            veto_branch=veto_branch if index == veto_round else None,
            innovators=innovators,
        )
        _finish(rnd, rng=rng, objections=index == len(quarters) - 1)
    # the current quarter: open, at the self-check stage, most reports already in
    year, number = current.start.year, (current.start.month - 1) // 3 + 1
    rnd = round_create(
        actor=SYSTEM,
        scheme_id=schemes[year].pk,
        name=f"{year}年第{number}季度“六考一评”考核",
        kind=AssessmentRound.Kind.QUARTERLY,
        year=year,
        quarter=number,
        period_start=current.start,
        period_end=current.end,
        opens_on=today - dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=20),
        branch_ids=branch_ids,
    )
    round_advance(
        actor=SYSTEM, round_id=rnd.pk, to_state=AssessmentRound.State.SELF_CHECK, today=today
    )
    checks = list(SelfCheck.objects.filter(sheet__round=rnd).order_by("sheet__branch__path"))
    now = timezone.now()
    for check in checks[: max(0, len(checks) - 4)]:
        check.practices = PRACTICES
        check.highlights = HIGHLIGHTS.format(brand=rng.choice(BRANDS), n=rng.randint(2, 6))
        check.problems = PROBLEMS
        check.plans = PLANS
        check.submitted_at = now
    SelfCheck.objects.bulk_update(
        checks, ["practices", "highlights", "problems", "plans", "submitted_at"]
    )
    final = {pk: min(0.99, level + trend * 3) for pk, (level, trend) in levels.items()}
    _annual(committee=committee, year=quarters[0].start.year, rng=rng, level=final)


def _mass_evaluation(
    evaluation: Any, ratings: list[Any], *, rng: random.Random, level: dict[int, float]
) -> None:
    """群众评议 of every rated member: one small survey each, answered by five colleagues."""
    from dangjian.surveys.models import Question, Survey

    context = f"assessment.star_members:{evaluation.pk}"
    day = dt.date(evaluation.year, 12, 20)
    surveys = Survey.objects.bulk_create(
        [
            Survey(
                title=f"{evaluation.year}年度星级党员群众评议",
                context=context,
                subject_org_id=r.branch_id,
                subject_person_id=r.person_id,
                audience="masses",
                opens_on=day,
                closes_on=day,
                min_respondents=int(rule("assessment.survey_min_respondents")),
                state=Survey.State.OPEN,
            )
            for r in ratings
        ],
        batch_size=500,
    )
    Question.objects.bulk_create(
        [
            Question(survey=s, order=i, text=text, kind="scale", weight=1)
            for s in surveys
            for i, text in enumerate(MASS_QUESTIONS, start=1)
        ],
        batch_size=1000,
    )
    person_level = {
        r.person_id: level.get(r.branch_id, 0.85) + rng.uniform(-0.05, 0.08) for r in ratings
    }
    _answer_surveys(context, rng=rng, level=person_level, answered_on=day)


def _annual(*, committee: PartyOrg, year: int, rng: random.Random, level: dict[int, float]) -> None:
    """Last year's 年终总评 and star members, published together."""
    from dangjian.assessment.models import StarMemberRating
    from dangjian.assessment.services.annual import (
        annual_compute,
        annual_publish,
        star_members_compute,
        star_members_prepare,
    )

    evaluation = annual_compute(actor=SYSTEM, party_org_id=committee.pk, year=year)
    star_members_prepare(actor=SYSTEM, evaluation_id=evaluation.pk)
    ratings = list(StarMemberRating.objects.filter(evaluation=evaluation))
    _mass_evaluation(evaluation, ratings, rng=rng, level=level)
    for rating in ratings:
        rating.self_score = _points(rng.uniform(85, 99))
        rating.branch_score = _points(rng.uniform(70, 98))
    StarMemberRating.objects.bulk_update(ratings, ["self_score", "branch_score"], batch_size=500)
    star_members_compute(evaluation_id=evaluation.pk)
    annual_publish(actor=SYSTEM, evaluation_id=evaluation.pk)
