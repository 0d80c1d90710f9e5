"""The assessment engine (六考一评): schemes, rounds, sheets, scores, stars, annual evaluation.

A scheme (``AssessmentScheme``, one per year, organisation kind and version) has categories
(``Category``, each owned by a political-work domain) with criteria (``Criterion``: maximum
points, standard, scoring method, evidence, veto and bonus flags, indicator key and the formula
from indicator value to points, all as data). A round (``AssessmentRound``) applies a published
scheme to a set of branches: one ``ScoreSheet`` per branch with one ``Score`` per criterion,
the branch's ``SelfCheck``, ``SpotCheck`` selections and ``Objection`` s. Results (totals,
rank, star) are written onto the sheets by the engine; the year ends with an
``AnnualEvaluation`` (``AnnualResult`` per branch, ``StarMemberRating`` per member).

Scopes: everything hangs on the assessed branch's path (``sheet__branch__path``) or the owning
committee's; scores also carry the category's domain, so a department scorer (a grant with a
department) sees only its own category. Versions (``version``) implement optimistic locking.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from dangjian.core.scope import ScopeSpec
from dangjian.orgs.models import Department, PartyOrg
from dangjian.people.models import Person

ZERO = Decimal("0")


class EvidenceMethod(models.TextChoices):
    """How a score was established (the article's evidence methods)."""

    REPORT = "report", "听取汇报"
    DOCUMENTS = "documents", "查阅资料"
    SITE = "site", "实地查看"
    WEBSITE = "website", "网站汇总"
    INTERVIEW = "interview", "走访座谈"
    SURVEY = "survey", "满意度测评"
    SYSTEM = "system", "系统记录"


class ScoringMethod(models.TextChoices):
    MANUAL = "manual", "评分（0至满分）"
    DEDUCTION = "deduction", "扣分项"
    COUNT = "count", "计数"
    INDICATOR = "indicator", "自动指标"
    SURVEY = "survey", "满意度测评"


class AssessmentScheme(models.Model):
    """考核方案: one version of the criteria for a year and organisation kind."""

    class State(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        RETIRED = "retired", "已停用"

    party_org = models.ForeignKey(
        PartyOrg, verbose_name="制定党委", on_delete=models.PROTECT, related_name="schemes"
    )
    name = models.CharField("方案名称", max_length=120)
    year = models.PositiveSmallIntegerField("年度")
    org_kind = models.CharField(
        "适用组织类型", max_length=20, choices=PartyOrg.Kind.choices, default="branch"
    )
    version = models.PositiveIntegerField("版本", default=1)
    based_on = models.ForeignKey(
        "self",
        verbose_name="来源版本",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="later_versions",
    )
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.DRAFT)
    total_points = models.DecimalField(
        "基本分", default=Decimal("100"), max_digits=6, decimal_places=2
    )
    bonus_cap = models.DecimalField("加分上限", default=ZERO, max_digits=6, decimal_places=2)
    description = models.TextField("说明", blank=True, max_length=4000)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    scope = ScopeSpec(org_path="party_org__path")

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["-year", "org_kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["party_org", "year", "org_kind", "version"],
                name="assessment_scheme_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"

    @property
    def is_frozen(self) -> bool:
        return self.state != self.State.DRAFT


class Category(models.Model):
    """考核大项 (党建, 宣传, 党风廉政, 工会, 共青团, 社会治安及武装保卫), owned by a domain."""

    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.CASCADE, related_name="categories"
    )
    code = models.CharField("编号", max_length=10)
    name = models.CharField("名称", max_length=60)
    domain = models.CharField("责任部门领域", max_length=20, choices=Department.Domain.choices)
    max_points = models.DecimalField("分值", max_digits=6, decimal_places=2)
    sort_order = models.PositiveIntegerField("排序", default=0)

    scope = ScopeSpec(org_path="scheme__party_org__path", domain="domain")

    class Meta:
        verbose_name = "考核大项"
        verbose_name_plural = "考核大项"
        ordering = ["scheme", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="assessment_category_code")
        ]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """考核细则 (one of the 67 款): points, standard, method, evidence and formula as data.

    ``formula`` turns an indicator value (or a survey score, or a count) into points, e.g.
    ``{"kind": "linear", "zero_at": 60, "full_at": 100}`` (fraction of max between the two
    values, either direction), ``{"kind": "steps", "steps": [[95, 1.0], [85, 0.8], [0, 0]]}``
    (first threshold the value reaches → fraction of max) or, for counts,
    ``{"kind": "per_unit", "points": 0.5, "direction": "deduct"}``.
    """

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField("编号", max_length=12)
    title = models.CharField("考核内容", max_length=200)
    standard = models.TextField("评分标准", max_length=2000)
    max_points = models.DecimalField("分值", max_digits=6, decimal_places=2)
    method = models.CharField(
        "评分方式", max_length=12, choices=ScoringMethod.choices, default=ScoringMethod.MANUAL
    )
    evidence_required = models.CharField("佐证材料要求", max_length=300, blank=True)
    evidence_methods = models.JSONField("考核方式", default=list, blank=True)
    is_veto = models.BooleanField("一票否决项", default=False)
    is_bonus = models.BooleanField("加分项", default=False)
    indicator_key = models.CharField("自动指标", max_length=80, blank=True)
    survey_audience = models.CharField(
        "测评对象", max_length=12, blank=True, help_text="members / masses / all"
    )
    formula = models.JSONField("计分公式", default=dict, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    scope = ScopeSpec(org_path="category__scheme__party_org__path", domain="category__domain")

    class Meta:
        verbose_name = "考核细则"
        verbose_name_plural = "考核细则"
        ordering = ["category__sort_order", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="assessment_criterion_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class DeductionItem(models.Model):
    """One listed fault of a deduction criterion and what it costs (每处/每次扣 N 分)."""

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="deductions")
    text = models.CharField("扣分情形", max_length=200)
    points = models.DecimalField("每次扣分", max_digits=6, decimal_places=2)
    sort_order = models.PositiveIntegerField("排序", default=0)

    scope = ScopeSpec(
        org_path="criterion__category__scheme__party_org__path",
        domain="criterion__category__domain",
    )

    class Meta:
        verbose_name = "扣分情形"
        verbose_name_plural = "扣分情形"
        ordering = ["criterion", "sort_order", "id"]

    def __str__(self) -> str:
        return self.text


class AssessmentRound(models.Model):
    """季度考核 / 专项考核 over a set of branches (one ScoreSheet each)."""

    class Kind(models.TextChoices):
        QUARTERLY = "quarterly", "季度考核"
        SPECIAL = "special", "专项考核"

    class State(models.TextChoices):
        DRAFT = "draft", "准备"
        SELF_CHECK = "self_check", "支部自查"
        SCORING = "scoring", "考核评分"
        REVIEW = "review", "审核"
        NOTICE = "notice", "公示"
        OBJECTIONS = "objections", "异议处理"
        FINAL = "final", "已定稿"

    party_org = models.ForeignKey(
        PartyOrg, verbose_name="组织考核的党委", on_delete=models.PROTECT, related_name="rounds"
    )
    scheme = models.ForeignKey(
        AssessmentScheme, verbose_name="考核方案", on_delete=models.PROTECT, related_name="rounds"
    )
    name = models.CharField("名称", max_length=120)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.QUARTERLY)
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度", null=True, blank=True)
    period_start = models.DateField("考核期开始")
    period_end = models.DateField("考核期结束")
    opens_on = models.DateField("开始日期")
    closes_on = models.DateField("截止日期")
    state = models.CharField("阶段", max_length=12, choices=State.choices, default=State.DRAFT)
    apply_quotas = models.BooleanField("启用星级名额比例", default=False)
    star_rules = models.JSONField(
        "星级规则（快照）", default=dict, blank=True, help_text="copied from the rules at creation"
    )
    notice_starts_on = models.DateField("公示开始", null=True, blank=True)
    notice_ends_on = models.DateField("公示结束", null=True, blank=True)
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    published_at = models.DateTimeField("结果发布时间", null=True, blank=True)
    finalised_at = models.DateTimeField("定稿时间", null=True, blank=True)
    note = models.TextField("说明", blank=True, max_length=4000)
    is_public = models.BooleanField("结果已公布", default=False)
    version = models.PositiveIntegerField("版本号", default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    # a branch sees the rounds it is assessed in; once published, everyone under the committee
    scope = ScopeSpec(
        org_path="sheets__branch__path",
        many=True,
        published="is_public",
        audience_path="party_org__path",
    )

    class Meta:
        verbose_name = "考核轮次"
        verbose_name_plural = "考核轮次"
        ordering = ["-year", "-quarter", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.state in (self.State.NOTICE, self.State.OBJECTIONS, self.State.FINAL)


class ScorerAssignment(models.Model):
    """Who scores what in a round: a department its category; a team member branches/criteria.

    Empty ``category``/``criterion``/``branch`` mean "all"; a user with no assignment in a
    round scores nothing in it (except the committee's leaders, whose role covers everything).
    """

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scorer_assignments"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    criterion = models.ForeignKey(
        Criterion, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    branch = models.ForeignKey(
        PartyOrg, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    note = models.CharField("说明", max_length=200, blank=True)

    scope = ScopeSpec(org_path="round__party_org__path")

    class Meta:
        verbose_name = "评分分工"
        verbose_name_plural = "评分分工"
        ordering = ["round", "id"]

    def __str__(self) -> str:
        return f"{self.round} · {self.user}"


class ScoreSheet(models.Model):
    """One branch in one round: its scores, self-check and (once computed) its result."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="sheets")
    branch = models.ForeignKey(
        PartyOrg, verbose_name="党支部", on_delete=models.PROTECT, related_name="score_sheets"
    )
    branch_name = models.CharField("支部名称（考核时）", max_length=120)
    total = models.DecimalField("总分", null=True, blank=True, max_digits=6, decimal_places=2)
    base_total = models.DecimalField(
        "基本分得分", null=True, blank=True, max_digits=6, decimal_places=2
    )
    bonus_total = models.DecimalField("加分", null=True, blank=True, max_digits=6, decimal_places=2)
    category_totals = models.JSONField("分项得分", default=dict, blank=True)
    rank = models.PositiveIntegerField("名次", null=True, blank=True)
    star = models.PositiveSmallIntegerField("星级", null=True, blank=True)
    star_by_score = models.PositiveSmallIntegerField("按分数星级", null=True, blank=True)
    star_note = models.CharField("星级说明", max_length=300, blank=True)
    vetoed = models.BooleanField("一票否决", default=False)
    veto_reason = models.CharField("否决原因", max_length=300, blank=True)
    has_innovation = models.BooleanField("有创新项目", default=False)
    is_model_site = models.BooleanField("示范点", default=False)
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本号", default=1)

    # a branch sees its own sheet; the results (not the scores) are public once announced
    scope = ScopeSpec(
        org_path="branch__path",
        published="round__is_public",
        audience_path="round__party_org__path",
    )

    class Meta:
        verbose_name = "考核评分表"
        verbose_name_plural = "考核评分表"
        ordering = ["round", "rank", "branch__path"]
        constraints = [
            models.UniqueConstraint(fields=["round", "branch"], name="assessment_sheet_once")
        ]

    def __str__(self) -> str:
        return f"{self.round.name} · {self.branch_name}"


class Score(models.Model):
    """One criterion on one sheet: the self-score, the computed value and the scorer's points."""

    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    # the branch's self-check
    self_points = models.DecimalField(
        "自评分", null=True, blank=True, max_digits=6, decimal_places=2
    )
    self_note = models.TextField("自评说明", blank=True, max_length=2000)
    # computed from indicators / surveys / counts
    computed_value = models.FloatField("指标值", null=True, blank=True)
    computed_points = models.DecimalField(
        "系统计算得分", null=True, blank=True, max_digits=6, decimal_places=2
    )
    computed_detail = models.CharField("计算说明", max_length=300, blank=True)
    computed_records = models.JSONField("依据记录", default=list, blank=True)
    # the scorer's judgement
    points = models.DecimalField("得分", null=True, blank=True, max_digits=6, decimal_places=2)
    deductions = models.JSONField(
        "扣分明细", default=list, blank=True, help_text='[{"item": id, "times": n}]'
    )
    count_value = models.IntegerField("计数", null=True, blank=True)
    reason = models.TextField("扣分/调整理由", blank=True, max_length=2000)
    override_reason = models.TextField("改动系统得分理由", blank=True, max_length=2000)
    evidence_methods = models.JSONField("考核方式", default=list, blank=True)
    evidence_note = models.TextField("佐证说明", blank=True, max_length=2000)
    record_links = models.JSONField(
        "关联记录", default=list, blank=True, help_text='[["orglife.meeting", pk], ...]'
    )
    vetoed = models.BooleanField("触发一票否决", default=False)
    reopened = models.BooleanField("异议重评", default=False)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored_at = models.DateTimeField("评分时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本号", default=1)

    scope = ScopeSpec(org_path="sheet__branch__path", domain="criterion__category__domain")

    class Meta:
        verbose_name = "考核得分"
        verbose_name_plural = "考核得分"
        ordering = ["sheet", "criterion__category__sort_order", "criterion__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "criterion"], name="assessment_score_once")
        ]

    def __str__(self) -> str:
        return f"{self.sheet} · {self.criterion.code}"


class ScoreAttachment(models.Model):
    """A file supporting a score or a self-score (checked by core uploads, random stored name)."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("文件", upload_to="assessment/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200)
    size = models.PositiveIntegerField("大小", default=0)
    by_branch = models.BooleanField("支部自查材料", default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    scope = ScopeSpec(
        org_path="score__sheet__branch__path", domain="score__criterion__category__domain"
    )

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["score", "id"]

    def __str__(self) -> str:
        return self.original_name


class SelfCheck(models.Model):
    """支部自查报告: main practices, highlights, problems and plans (self-scores are on Score)."""

    sheet = models.OneToOneField(ScoreSheet, on_delete=models.CASCADE, related_name="self_check")
    practices = models.TextField("主要做法", blank=True, max_length=8000)
    highlights = models.TextField("特色亮点", blank=True, max_length=8000)
    problems = models.TextField("存在问题", blank=True, max_length=8000)
    plans = models.TextField("下步打算", blank=True, max_length=8000)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField("版本号", default=1)

    scope = ScopeSpec(org_path="sheet__branch__path")

    class Meta:
        verbose_name = "支部自查"
        verbose_name_plural = "支部自查"

    def __str__(self) -> str:
        return f"{self.sheet} · 自查"


class SpotCheck(models.Model):
    """选点检查: a branch picked for on-site inspection, how and why; optional model site."""

    class Method(models.TextChoices):
        RANDOM = "random", "分层随机"
        RISK = "risk", "风险导向"
        MANUAL = "manual", "指定"

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="spot_checks")
    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="spot_checks")
    method = models.CharField("选取方式", max_length=10, choices=Method.choices)
    stratum = models.CharField("分层", max_length=60, blank=True)
    reason = models.CharField("选取理由", max_length=300)
    seed = models.CharField("随机种子", max_length=40, blank=True)
    visited_on = models.DateField("检查日期", null=True, blank=True)
    findings = models.TextField("检查情况", blank=True, max_length=4000)
    is_model_site = models.BooleanField("示范点", default=False)
    selected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    selected_at = models.DateTimeField("选取时间", auto_now_add=True)

    scope = ScopeSpec(org_path="sheet__branch__path")

    class Meta:
        verbose_name = "选点检查"
        verbose_name_plural = "选点检查"
        ordering = ["round", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "sheet"], name="assessment_spot_once")
        ]

    def __str__(self) -> str:
        return f"{self.sheet} · {self.get_method_display()}"


class Objection(models.Model):
    """异议: raised during the notice on some criteria of a sheet; upheld → only they reopen."""

    class State(models.TextChoices):
        OPEN = "open", "待处理"
        UPHELD = "upheld", "异议成立"
        REJECTED = "rejected", "异议不成立"

    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="objections")
    criteria = models.ManyToManyField(Criterion, verbose_name="异议细则", related_name="+")
    text = models.TextField("异议内容", max_length=4000)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    resolution = models.TextField("处理意见", blank=True, max_length=4000)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField("提出时间", auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)

    scope = ScopeSpec(org_path="sheet__branch__path")

    class Meta:
        verbose_name = "考核异议"
        verbose_name_plural = "考核异议"
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sheet} · 异议"


class AnnualEvaluation(models.Model):
    """年终总评: the year's result from its quarterly rounds, weights as data."""

    class State(models.TextChoices):
        DRAFT = "draft", "计算中"
        PUBLISHED = "published", "已发布"

    party_org = models.ForeignKey(
        PartyOrg, verbose_name="党委", on_delete=models.PROTECT, related_name="annual_evaluations"
    )
    year = models.PositiveSmallIntegerField("年度")
    weights = models.JSONField("季度权重", default=dict, blank=True, help_text='{"1": 0.25, ...}')
    star_rules = models.JSONField("星级规则（快照）", default=dict, blank=True)
    star_member_weights = models.JSONField("星级党员权重", default=dict, blank=True)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.DRAFT)
    is_public = models.BooleanField("已公布", default=False)
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope = ScopeSpec(
        org_path="results__branch__path",
        many=True,
        published="is_public",
        audience_path="party_org__path",
    )

    class Meta:
        verbose_name = "年终总评"
        verbose_name_plural = "年终总评"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["party_org", "year"], name="assessment_annual_once")
        ]

    def __str__(self) -> str:
        return f"{self.year}年度总评"


class AnnualResult(models.Model):
    """One branch's year: weighted quarters, rank, annual star and its move (晋位升级)."""

    evaluation = models.ForeignKey(
        AnnualEvaluation, on_delete=models.CASCADE, related_name="results"
    )
    branch = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, related_name="annual_results")
    branch_name = models.CharField("支部名称", max_length=120)
    quarter_totals = models.JSONField("各季度得分", default=dict, blank=True)
    score = models.DecimalField("年度得分", max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField("名次", null=True, blank=True)
    star = models.PositiveSmallIntegerField("年度星级", null=True, blank=True)
    previous_star = models.PositiveSmallIntegerField("上年星级", null=True, blank=True)
    movement = models.SmallIntegerField("升降", default=0)
    vetoed = models.BooleanField("一票否决", default=False)
    note = models.CharField("说明", max_length=300, blank=True)

    scope = ScopeSpec(
        org_path="branch__path",
        published="evaluation__is_public",
        audience_path="evaluation__party_org__path",
    )

    class Meta:
        verbose_name = "年度考核结果"
        verbose_name_plural = "年度考核结果"
        ordering = ["evaluation", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "branch"], name="assessment_annual_result_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} · {self.branch_name}"


class StarMemberRating(models.Model):
    """双评 · 星级党员: the member's own, the branch's and the masses' scores combined."""

    evaluation = models.ForeignKey(
        AnnualEvaluation, on_delete=models.CASCADE, related_name="star_members"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="star_ratings")
    branch = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, related_name="+")
    self_score = models.DecimalField(
        "自评分", null=True, blank=True, max_digits=6, decimal_places=2
    )
    branch_score = models.DecimalField(
        "支部评分", null=True, blank=True, max_digits=6, decimal_places=2
    )
    masses_score = models.DecimalField(
        "群众评分", null=True, blank=True, max_digits=6, decimal_places=2
    )
    masses_respondents = models.PositiveIntegerField("群众评议人数", default=0)
    combined = models.DecimalField(
        "综合得分", null=True, blank=True, max_digits=6, decimal_places=2
    )
    star = models.PositiveSmallIntegerField("星级", null=True, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    version = models.PositiveIntegerField("版本号", default=1)

    scope = ScopeSpec(
        org_path="branch__path",
        person="person_id",
        published="evaluation__is_public",
        audience_path="evaluation__party_org__path",
    )

    class Meta:
        verbose_name = "星级党员评定"
        verbose_name_plural = "星级党员评定"
        ordering = ["evaluation", "-combined", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "person"], name="assessment_star_member")
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} · {self.person_id}"
