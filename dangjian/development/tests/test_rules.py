"""Every development rule at its boundary: intervals (one day early refused, on the day accepted),
predecessors, maximum intervals with and without a reason, the absolute limit, training days or
hours, age >= 18, the probation extension (once, 6-12 months), revocation, political status."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.scope import SYSTEM
from dangjian.core.testing import person_data
from dangjian.development import services
from dangjian.development.models import DevelopmentCase, StepRecord, StepRule
from dangjian.development.tests.conftest import walk
from dangjian.people.models import Person, PersonChange
from dangjian.people.services import person_create

START = dt.date(2020, 1, 6)
FAR = dt.date(2030, 1, 1)


def _open(mine: Any, person: Any = None, day: dt.date = START) -> DevelopmentCase:
    return services.case_open(
        actor=mine.users["secretary_a"],
        person_id=(person or mine.masses_a).pk,
        applied_on=day,
        today=day,
    )


def _complete(mine: Any, case: DevelopmentCase, step: int, day: dt.date, **kw: Any) -> StepRecord:
    return services.step_complete(
        actor=mine.users["secretary_a"],
        case_id=case.pk,
        step=step,
        completed_on=day,
        today=FAR,
        **kw,
    )


def _messages(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


def test_seeded_table_has_25_steps_in_5_stages_with_sources(mine):
    rules = list(StepRule.objects.order_by("number"))
    assert [r.number for r in rules] == list(range(1, 26))
    assert {r.stage for r in rules} == {1, 2, 3, 4, 5}
    assert all(r.source for r in rules)
    assert StepRule.objects.get(number=7).interval_from == 3


def test_step2_within_one_month_boundary(mine):
    case = _open(mine, day=dt.date(2021, 1, 31))
    with pytest.raises(ValidationError) as exc:  # one day past the deadline, no reason
        _complete(mine, case, 2, dt.date(2021, 3, 1))
    assert "2021-02-28" in _messages(exc) and "超期原因" in _messages(exc)
    record = _complete(mine, case, 2, dt.date(2021, 2, 28))  # on the last day (month end)
    assert record.on_time and record.window_latest == dt.date(2021, 2, 28)


def test_step2_late_with_reason_is_recorded_as_late(mine):
    case = _open(mine)
    record = _complete(mine, case, 2, dt.date(2020, 2, 7), late_reason="书记外出学习")
    assert not record.on_time and record.late_reason == "书记外出学习"


def test_step_cannot_precede_its_predecessors(mine):
    case = _open(mine)
    with pytest.raises(ValidationError) as exc:
        _complete(mine, case, 3, dt.date(2020, 2, 1))
    assert "须先完成步骤2「党组织派人谈话」" in _messages(exc)
    with pytest.raises(ValidationError):
        _complete(mine, case, 12, dt.date(2021, 2, 1))
    assert not StepRecord.objects.filter(case=case, step__in=[3, 12]).exists()


def test_step_cannot_be_dated_before_a_predecessor(mine):
    case = _open(mine)
    _complete(mine, case, 2, dt.date(2020, 1, 20))
    with pytest.raises(ValidationError) as exc:
        _complete(mine, case, 3, dt.date(2020, 1, 19))
    assert "2020-01-20" in _messages(exc)
    _complete(mine, case, 3, dt.date(2020, 1, 20))


def test_candidate_one_year_after_activist_boundary(mine):
    case = _open(mine)
    dates = walk(case, mine.users["secretary_a"], 6, START)
    activist_on = dates[3]
    year_later = activist_on.replace(year=activist_on.year + 1)
    with pytest.raises(ValidationError) as exc:
        _complete(mine, case, 7, year_later - dt.timedelta(days=1))
    assert f"最早可于 {year_later:%Y-%m-%d} 办理" in _messages(exc)
    assert "满1年" in _messages(exc)
    _complete(mine, case, 7, year_later)


def test_training_three_days_or_24_hours(mine):
    case = _open(mine)
    walk(case, mine.users["secretary_a"], 10, START)
    day = case.next_earliest or START
    day = max(dt.date(2021, 3, 10), day)
    with pytest.raises(ValidationError) as exc:  # 2 days, 23 hours
        _complete(mine, case, 11, day, started_on=day - dt.timedelta(days=1), hours=23)
    assert "不少于3天或不少于24学时" in _messages(exc)
    _complete(mine, case, 11, day, started_on=day - dt.timedelta(days=2))  # 3 days
    other = _open(mine, _masses(mine, 31))
    walk(other, mine.users["secretary_a"], 10, START)
    _complete(mine, other, 11, day, hours=24)  # 24 hours


def _masses(mine: Any, seq: int, birth: dt.date = dt.date(1990, 5, 5)) -> Person:
    return person_create(
        actor=SYSTEM,
        data=person_data(
            mine,
            seq=seq,
            birth_date=birth,
            political_status="masses",
            joined_party_on=None,
            regularised_on=None,
        ),
    )


def test_public_notice_seven_days_before_the_volunteer_form(mine):
    case = _open(mine)
    dates = walk(case, mine.users["secretary_a"], 13, START)
    seventh = dates[12] + dt.timedelta(days=7)
    with pytest.raises(ValidationError) as exc:
        _complete(mine, case, 14, seventh - dt.timedelta(days=1))
    assert f"{seventh:%Y-%m-%d}" in _messages(exc)
    _complete(mine, case, 14, seventh)


def test_approval_within_three_months_at_most_six(mine):
    user = mine.users["secretary_a"]
    cases = [_open(mine), _open(mine, _masses(mine, 41)), _open(mine, _masses(mine, 42))]
    vote = None
    for case in cases:
        vote = walk(case, user, 16, START)[15]
    assert vote is not None
    three, six = services.add_months(vote, 3), services.add_months(vote, 6)
    assert _complete(mine, cases[0], 17, three).on_time  # last day of the normal window
    with pytest.raises(ValidationError) as exc:  # one day later: a reason is required
        _complete(mine, cases[1], 17, three + dt.timedelta(days=1))
    assert f"应于 {three:%Y-%m-%d} 前办理" in _messages(exc)
    late = _complete(mine, cases[1], 17, six, late_reason="上级党委换届")  # six months: with reason
    assert not late.on_time
    with pytest.raises(ValidationError) as exc:  # beyond six months: refused even with a reason
        _complete(mine, cases[2], 17, six + dt.timedelta(days=1), late_reason="任何原因")
    assert f"最长期限 {six:%Y-%m-%d}" in _messages(exc)


def test_applicant_must_be_18(mine):
    teen = _masses(mine, 51, birth=dt.date(2003, 6, 15))
    with pytest.raises(ValidationError) as exc:
        _open(mine, teen, day=dt.date(2021, 6, 14))
    assert "年满18周岁" in _messages(exc) and "2021-06-15" in _messages(exc)
    assert not DevelopmentCase.objects.filter(person=teen).exists()
    case = _open(mine, teen, day=dt.date(2021, 6, 15))
    assert case.last_step == 1


def test_future_dates_refused(mine):
    case = _open(mine)
    with pytest.raises(ValidationError) as exc:
        services.step_complete(
            actor=mine.users["secretary_a"],
            case_id=case.pk,
            step=2,
            completed_on=dt.date(2020, 1, 10),
            today=dt.date(2020, 1, 9),
        )
    assert "不能晚于今天" in _messages(exc)


def test_status_follows_the_stages_with_history(mine):
    user = mine.users["secretary_a"]
    person = mine.masses_a
    case = _open(mine)
    person.refresh_from_db()
    assert person.political_status == "applicant"
    expected = {3: "activist", 7: "candidate", 16: "candidate", 17: "probationary", 24: "full"}
    dates: dict[int, dt.date] = {}
    for step, status in expected.items():
        dates.update(walk_to(case, user, step))
        person.refresh_from_db()
        assert person.political_status == status, step
    assert person.joined_party_on == dates[15]  # 入党日期 = the branch meeting's vote
    assert person.regularised_on == services.add_months(dates[15], 12)  # end of probation
    changes = PersonChange.objects.filter(person=person, source="development")
    assert changes.count() == 5  # applicant, activist, candidate, probationary (+date), full
    walk_to(case, user, 25)
    case.refresh_from_db()
    assert case.state == "completed" and case.next_step is None


def walk_to(case: DevelopmentCase, user: Any, until: int) -> dict[int, dt.date]:
    done = dict(case.steps.values_list("step", "completed_on"))
    dates = dict(done)
    for number in range(max(done) + 1, until + 1):
        case.refresh_from_db()
        steps = services.step_rules()
        current = dict(case.steps.values_list("step", "completed_on"))
        window = services.step_window(steps[number], current, case)
        day = window.earliest or START
        services.step_complete(
            actor=user,
            case_id=case.pk,
            step=number,
            completed_on=day,
            today=FAR,
            hours=steps[number].min_hours,
        )
        dates[number] = day
    case.refresh_from_db()
    return dates


def _probationary_case(mine: Any) -> tuple[DevelopmentCase, dict[int, dt.date]]:
    case = _open(mine)
    dates = walk_to(case, mine.users["secretary_a"], 21)
    return case, dates


def test_probation_extension_once_and_6_to_12_months(mine):
    user = mine.users["secretary_a"]
    case, dates = _probationary_case(mine)
    decided = dates[21]
    for months in (5, 13):
        with pytest.raises(ValidationError) as exc:
            services.probation_extend(
                actor=user, case_id=case.pk, months=months, decided_on=decided, reason="考察"
            )
        assert "6至12个月" in _messages(exc)
    services.probation_extend(
        actor=user, case_id=case.pk, months=6, decided_on=decided, reason="需继续考察"
    )
    with pytest.raises(ValidationError) as exc:
        services.probation_extend(
            actor=user, case_id=case.pk, months=6, decided_on=decided, reason="再次"
        )
    assert "只能延长1次" in _messages(exc)
    # the branch meeting on regularisation moves by the extension, to the day
    walk_to(case, user, 22)
    end = services.add_months(services.add_months(dates[15], 12), 6)
    with pytest.raises(ValidationError) as exc:
        _complete(mine, case, 23, end - dt.timedelta(days=1))
    assert f"{end:%Y-%m-%d}" in _messages(exc) and "延长6个月" in _messages(exc)
    _complete(mine, case, 23, end)
    walk_to(case, user, 24)
    mine.masses_a.refresh_from_db()
    assert mine.masses_a.regularised_on == end


def test_extension_of_12_months_accepted_and_only_for_probationary(mine):
    user = mine.users["secretary_a"]
    early = _open(mine, _masses(mine, 61))
    with pytest.raises(ValidationError):  # not probationary yet
        services.probation_extend(
            actor=user, case_id=early.pk, months=6, decided_on=START, reason="x"
        )
    case, dates = _probationary_case(mine)
    services.probation_extend(
        actor=user, case_id=case.pk, months=12, decided_on=dates[21], reason="考察"
    )
    case.refresh_from_db()
    assert case.extension_months == 12 and case.extension_count == 1


def test_revoke_probationary_status(mine):
    user = mine.users["secretary_a"]
    case, dates = _probationary_case(mine)
    services.probation_revoke(
        actor=user, case_id=case.pk, decided_on=dates[21], reason="不履行党员义务"
    )
    case.refresh_from_db()
    person = Person.objects.get(pk=mine.masses_a.pk)
    assert case.state == "revoked" and person.political_status == "masses"
    assert person.joined_party_on is None
    with pytest.raises(ValidationError):
        _complete(mine, case, 22, dates[21])


def test_withdraw_only_before_probation(mine):
    user = mine.users["secretary_a"]
    case = _open(mine)
    services.case_withdraw(actor=user, case_id=case.pk, decided_on=START, reason="本人撤回申请")
    assert Person.objects.get(pk=mine.masses_a.pk).political_status == "masses"
    # a new case may be opened after the old one ended
    second = _open(mine, day=dt.date(2020, 3, 1))
    walk_to(second, user, 17)
    with pytest.raises(ValidationError):
        services.case_withdraw(actor=user, case_id=second.pk, decided_on=START, reason="x")


def test_one_active_case_and_only_non_members(mine):
    _open(mine)
    with pytest.raises(ValidationError) as exc:
        _open(mine)
    assert "已有进行中的发展档案" in _messages(exc)
    with pytest.raises(ValidationError) as exc:
        _open(mine, mine.member_a)
    assert "正式党员" in _messages(exc)


def test_scope_other_branch_refused(mine):
    with pytest.raises(ValidationError):  # member_b's branch is out of scope
        services.case_open(
            actor=mine.users["secretary_a"], person_id=mine.member_b.pk, applied_on=START
        )
    outsider = person_create(
        actor=SYSTEM,
        data=person_data(
            None,
            seq=71,
            unit=mine.team_b1,
            party_org=mine.branch_b,
            political_status="masses",
            joined_party_on=None,
            regularised_on=None,
        ),
    )
    case_b = services.case_open(actor=mine.users["shuji"], person_id=outsider.pk, applied_on=START)
    assert case_b.branch == mine.branch_b
    with pytest.raises(PermissionDenied):
        services.step_complete(
            actor=mine.users["secretary_a"], case_id=case_b.pk, step=2, completed_on=START
        )
    with pytest.raises(PermissionDenied):  # view-only department staff
        services.step_complete(
            actor=mine.users["union"], case_id=case_b.pk, step=2, completed_on=START
        )


def test_rule_edit_changes_the_behaviour_and_refreshes_cases(mine):
    case = _open(mine)
    assert case.next_latest == dt.date(2020, 2, 6)
    rule = StepRule.objects.get(number=2)
    with pytest.raises(PermissionDenied):
        services.steprule_update(actor=mine.users["secretary_a"], rule_id=rule.pk, data={})
    with pytest.raises(ValidationError):
        services.steprule_update(
            actor=mine.users["zuzhi"], rule_id=rule.pk, data={"predecessors": [5]}
        )
    services.steprule_update(actor=mine.users["zuzhi"], rule_id=rule.pk, data={"max_interval": 2})
    case.refresh_from_db()
    assert case.next_latest == dt.date(2020, 3, 6)
    assert _complete(mine, case, 2, dt.date(2020, 3, 6)).on_time
