"""Scheme services: drafts, frozen after publish, publish validation, versions, standard scheme."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.assessment.models import AssessmentScheme, Category, Criterion, DeductionItem
from dangjian.assessment.services import schemes as svc
from dangjian.assessment.testing import build_scheme
from dangjian.audit.models import AuditEvent
from dangjian.core.registries import indicators
from dangjian.core.scope import SYSTEM

pytestmark = pytest.mark.django_db


def _draft(mine, actor=SYSTEM, **kw):
    return svc.scheme_create(
        actor=actor, party_org_id=mine.committee.pk, name="测试方案", year=2026, **kw
    )


def _category(scheme, code="A", points=60, domain="organisation", actor=SYSTEM):
    return svc.category_save(
        actor=actor,
        scheme_id=scheme.pk,
        code=code,
        name=f"大项{code}",
        domain=domain,
        max_points=points,
    )


def _criterion(category, code, points, actor=SYSTEM, **kw):
    return svc.criterion_save(
        actor=actor,
        category_id=category.pk,
        code=code,
        title=f"细则{code}",
        standard="按要求评分",
        max_points=points,
        **kw,
    )


def _valid(mine):
    scheme = _draft(mine)
    a = _category(scheme, "A", 60)
    b = _category(scheme, "B", 40, domain="union")
    _criterion(a, "A1", 30)
    _criterion(
        a,
        "A2",
        30,
        method="indicator",
        indicator_key="orglife.attendance_rate",
        formula={"kind": "linear", "zero_at": 60, "full_at": 100},
    )
    d = _criterion(b, "B1", 40, method="deduction")
    svc.deduction_save(actor=SYSTEM, criterion_id=d.pk, text="每缺一次", points="0.5")
    return scheme


def test_create_draft_with_next_version_and_audit(mine):
    first = _draft(mine)
    second = _draft(mine)
    assert (first.state, first.version, second.version) == ("draft", 1, 2)
    assert AuditEvent.objects.filter(event_type="create", object_id=str(first.pk)).exists()
    with pytest.raises(ValidationError) as info:
        svc.scheme_create(actor=SYSTEM, party_org_id=mine.committee.pk, name="", year=1990)
    assert set(info.value.message_dict) == {"name", "year"}


def test_publish_validates_sums_precisely(mine):
    scheme = _draft(mine)
    a = _category(scheme, "A", 60)
    _category(scheme, "B", 30, domain="union")
    _criterion(a, "A1", 25)
    with pytest.raises(ValidationError) as info:
        svc.scheme_publish(actor=SYSTEM, scheme_id=scheme.pk)
    messages = info.value.messages
    assert "各大项分值合计 90 分，应为 100 分（少 10 分）。" in messages
    assert "大项“A 大项A”的细则分值合计 25 分，与大项分值 60 分不符（少 35 分）。" in messages
    assert "大项“B 大项B”没有计分细则。" in messages
    scheme.refresh_from_db()
    assert scheme.state == "draft"


def test_publish_checks_indicators_formulas_deductions_and_bonus_cap(mine):
    scheme = _draft(mine)
    a = _category(scheme, "A", 100)
    _criterion(a, "A1", 50, method="deduction")
    _criterion(
        a,
        "A2",
        50,
        method="indicator",
        indicator_key="orglife.attendance_rate",
        formula={"kind": "linear", "zero_at": 60, "full_at": 100},
    )
    _criterion(a, "A3", 2, is_bonus=True)
    # a registered indicator vanishing later (e.g. data changed behind the service)
    Criterion.objects.filter(code="A2").update(indicator_key="nope.gone", formula={"kind": "x"})
    with pytest.raises(ValidationError) as info:
        svc.scheme_publish(actor=SYSTEM, scheme_id=scheme.pk)
    text = "\n".join(info.value.messages)
    assert "细则“A1 细则A1”：扣分项须列出扣分情形。" in text
    assert "细则“A2 细则A2”：指标“nope.gone”未注册" in text
    assert "计分公式类型“x”无效" in text
    assert "方案有加分项，须设置大于 0 的加分上限。" in text
    # bonus and veto criteria are outside the category's sum
    assert "细则分值合计" not in text


def test_criterion_save_field_errors(mine):
    scheme = _draft(mine)
    a = _category(scheme, "A", 100)
    with pytest.raises(ValidationError) as info:
        _criterion(a, "A1", 5, method="indicator", indicator_key="no.such")
    assert "未注册" in info.value.message_dict["indicator_key"][0]
    assert "须填写计分公式" in info.value.message_dict["formula"][0]
    with pytest.raises(ValidationError) as info:
        _criterion(a, "A1", 5, method="survey")
    assert "测评对象" in info.value.message_dict["survey_audience"][0]
    with pytest.raises(ValidationError) as info:
        _criterion(a, "A1", 5, is_veto=True)
    assert "分值应为 0" in info.value.message_dict["max_points"][0]
    with pytest.raises(ValidationError) as info:
        _criterion(a, "A1", 0)
    assert "分值应大于 0" in info.value.message_dict["max_points"][0]
    with pytest.raises(ValidationError) as info:
        _criterion(a, "A1", 5, evidence_methods=["telepathy"])
    assert "telepathy" in info.value.message_dict["evidence_methods"][0]
    _criterion(a, "A1", 5)
    with pytest.raises(ValidationError, match="已被本方案的其他细则使用"):
        _criterion(a, "A1", 5)


def test_publish_freezes_every_edit(mine):
    scheme = _valid(mine)
    published = svc.scheme_publish(actor=SYSTEM, scheme_id=scheme.pk)
    assert published.state == "published" and published.published_at
    cat = Category.objects.get(scheme=scheme, code="A")
    crit = Criterion.objects.get(category__scheme=scheme, code="A1")
    item = DeductionItem.objects.get(criterion__category__scheme=scheme)
    frozen = "已发布，不能再修改"
    attempts = [
        lambda: _category(scheme, "C", 1),
        lambda: svc.category_delete(actor=SYSTEM, category_id=cat.pk),
        lambda: _criterion(cat, "A9", 1),
        lambda: svc.criterion_save(
            actor=SYSTEM,
            category_id=cat.pk,
            criterion_id=crit.pk,
            code="A1",
            title="改",
            standard="改",
            max_points=30,
        ),
        lambda: svc.criterion_delete(actor=SYSTEM, criterion_id=crit.pk),
        lambda: svc.deduction_save(
            actor=SYSTEM, criterion_id=item.criterion_id, text="x", points=1
        ),
        lambda: svc.deduction_delete(actor=SYSTEM, deduction_id=item.pk),
        lambda: svc.scheme_update(actor=SYSTEM, scheme_id=scheme.pk, name="x", bonus_cap=0),
        lambda: svc.scheme_publish(actor=SYSTEM, scheme_id=scheme.pk),
        lambda: svc.scheme_delete(actor=SYSTEM, scheme_id=scheme.pk),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match=frozen):
            attempt()
    crit.refresh_from_db()
    assert crit.title == "细则A1"


def test_new_version_copies_everything_and_publishing_retires_the_old(mine):
    scheme = svc.scheme_publish(actor=SYSTEM, scheme_id=_valid(mine).pk)
    copy = svc.scheme_new_version(actor=SYSTEM, scheme_id=scheme.pk)
    assert (copy.state, copy.version, copy.based_on_id) == ("draft", 2, scheme.pk)
    old = list(
        Criterion.objects.filter(category__scheme=scheme)
        .order_by("code")
        .values_list("code", "max_points", "method", "indicator_key", "formula", "category__code")
    )
    new = list(
        Criterion.objects.filter(category__scheme=copy)
        .order_by("code")
        .values_list("code", "max_points", "method", "indicator_key", "formula", "category__code")
    )
    assert old == new and len(new) == 3
    assert DeductionItem.objects.filter(criterion__category__scheme=copy).count() == 1
    with pytest.raises(ValidationError, match="已有草稿"):
        svc.scheme_new_version(actor=SYSTEM, scheme_id=scheme.pk)
    # edit the copy, publish it: the old version retires, its criteria untouched
    crit = Criterion.objects.get(category__scheme=copy, code="A1")
    svc.criterion_save(
        actor=SYSTEM,
        category_id=crit.category_id,
        criterion_id=crit.pk,
        code="A1",
        title="新标题",
        standard="新标准",
        max_points=30,
    )
    svc.scheme_publish(actor=SYSTEM, scheme_id=copy.pk)
    scheme.refresh_from_db()
    assert scheme.state == "retired"
    assert Criterion.objects.get(category__scheme=scheme, code="A1").title == "细则A1"
    assert AuditEvent.objects.filter(
        object_id=str(scheme.pk), event_type="update", changes__replaced_by=copy.pk
    ).exists()


def test_permissions_and_domain_scope(mine):
    users = mine.users
    with pytest.raises(PermissionDenied):
        _draft(mine, actor=users["secretary_a"])
    with pytest.raises(PermissionDenied):
        _draft(mine, actor=users["union"])
    scheme = _draft(mine, actor=users["shuji"])
    # the org department's staff is narrowed to its domain: it edits 党建, not the union's part
    a = _category(scheme, "A", 60, actor=users["zuzhi"])
    assert a.domain == "organisation"
    with pytest.raises(PermissionDenied):
        _category(scheme, "B", 40, domain="union", actor=users["zuzhi"])
    assert not Category.objects.filter(scheme=scheme, code="B").exists()
    b = _category(scheme, "B", 40, domain="union", actor=users["shuji"])
    from django.http import Http404

    with pytest.raises(Http404):
        _criterion(b, "B1", 40, actor=users["zuzhi"])
    _criterion(b, "B1", 40, actor=users["shuji"])


def test_delete_draft_and_its_parts(mine):
    scheme = _valid(mine)
    item = DeductionItem.objects.get(criterion__category__scheme=scheme)
    svc.deduction_delete(actor=SYSTEM, deduction_id=item.pk)
    crit = Criterion.objects.get(category__scheme=scheme, code="A1")
    svc.criterion_delete(actor=SYSTEM, criterion_id=crit.pk)
    svc.category_delete(actor=SYSTEM, category_id=crit.category_id)
    assert not Criterion.objects.filter(category__scheme=scheme, code="A2").exists()
    svc.scheme_delete(actor=SYSTEM, scheme_id=scheme.pk)
    assert not AssessmentScheme.objects.filter(pk=scheme.pk).exists()


def test_standard_scheme_publishes_cleanly(mine):
    scheme = svc.scheme_load_standard(actor=SYSTEM, party_org=mine.committee, year=2026)
    assert scheme.state == "published" and scheme.bonus_cap == Decimal("5")
    cats = list(Category.objects.filter(scheme=scheme).order_by("sort_order"))
    assert [c.name for c in cats] == [
        "党建工作",
        "宣传思想工作",
        "党风廉政建设",
        "工会工作",
        "共青团工作",
        "社会治安及武装保卫",
    ]
    assert [c.domain for c in cats] == [
        "organisation",
        "publicity",
        "discipline",
        "union",
        "youth_league",
        "security",
    ]
    assert sum(c.max_points for c in cats) == Decimal("100")
    criteria = list(Criterion.objects.filter(category__scheme=scheme))
    assert len(criteria) == 67
    on_indicators = [c for c in criteria if c.method == "indicator"]
    assert len(on_indicators) >= 20
    registered = indicators()
    assert all(c.indicator_key in registered and c.formula for c in on_indicators)
    assert len({c.indicator_key for c in on_indicators}) >= 18
    vetoes = {c.category.code for c in criteria if c.is_veto}
    assert {"A", "C", "F"} <= vetoes
    assert any(c.is_bonus for c in criteria)
    surveys = {c.survey_audience for c in criteria if c.method == "survey"}
    assert surveys == {"members", "masses"}
    for c in criteria:
        if c.method == "deduction":
            assert c.deductions.exists(), c.code
        assert c.evidence_methods, c.code
    titles = "".join(c.title + c.standard for c in criteria)
    for word in (
        "党员大会",
        "党课",
        "主题党日",
        "组织生活会",
        "民主评议",
        "发展党员",
        "党费",
        "组织关系",
        "安全责任区",
        "隐患",
        "领导班子",
        "人才",
        "意识形态",
        "网站",
        "廉洁教育",
        "职代会",
        "困难职工",
        "青年安全监督岗",
        "青年突击队",
        "矛盾纠纷",
        "综合治理",
    ):
        assert word in titles, word
    # loading again gives version 2, which retires the first
    again = svc.scheme_load_standard(actor=SYSTEM, party_org=mine.committee, year=2026)
    scheme.refresh_from_db()
    assert again.version == 2 and scheme.state == "retired"


def test_build_scheme_helper_is_valid(mine):
    scheme = build_scheme(mine.committee, publish=False)
    assert svc.scheme_problems(scheme) == []
