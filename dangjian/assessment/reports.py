"""Documents of a round: the notice (考核通报) as Word and PDF, the ranking and all scores as Excel.

The notice is assembled once (:func:`notice_data`) from the scoped selectors for the person who
downloads it, then written by :func:`write_notice_docx` / :func:`write_notice_pdf`. PDF text uses
reportlab's CID font ``STSong-Light`` like the ledgers (referenced, not embedded; extractable).
The Excel of every score (one row per branch × criterion, with evidence references) is a
background export (``assessment.scores``) whose rows come from ``restrict`` for the job owner;
every cell goes through ``safe_cell`` (formula injection).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dangjian.assessment.models import AssessmentRound, Score, ScoreSheet, SelfCheck
from dangjian.assessment.selectors import results as sel
from dangjian.core.excel import safe_cell
from dangjian.core.exports import register_export
from dangjian.core.scope import restrict

PDF_FONT = "STSong-Light"
SCORES_EXPORT = "assessment.scores"


@dataclass
class NoticeData:
    title: str
    issuer: str
    date_text: str
    summary: list[str]
    headers: list[str]
    rows: list[list[str]]
    highlights: list[str] = field(default_factory=list)
    model_sites: list[str] = field(default_factory=list)
    vetoes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    closing: str = ""


def _num(value: Any) -> str:
    if value is None:
        return "—"
    text = f"{Decimal(str(value)):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _problems(rnd: AssessmentRound, user: Any, limit: int = 8) -> list[str]:
    """Criteria on which the most branches lost points, with a sample of the reasons."""
    scores = (
        restrict(Score.objects.filter(sheet__round=rnd), user, "view")
        .select_related("criterion")
        .only(
            "points",
            "computed_points",
            "reason",
            "criterion__code",
            "criterion__title",
            "criterion__max_points",
            "criterion__is_bonus",
            "criterion__method",
            "sheet_id",
        )
    )
    lost: dict[int, list[Any]] = defaultdict(list)
    titles: dict[int, str] = {}
    for score in scores.iterator(chunk_size=2000):
        if score.criterion.is_bonus:
            continue
        points = sel.effective_points(score)
        if points is None or points >= score.criterion.max_points:
            continue
        titles[score.criterion_id] = f"{score.criterion.code} {score.criterion.title}"
        lost[score.criterion_id].append(score.reason.strip())
    ranked = sorted(lost.items(), key=lambda item: (-len(item[1]), titles[item[0]]))[:limit]
    out = []
    for criterion_id, reasons in ranked:
        sample = "；".join(dict.fromkeys(r for r in reasons if r))
        text = f"{titles[criterion_id]}：{len(reasons)}个支部失分"
        out.append(f"{text}（{sample[:120]}）" if sample else text)
    if not out:
        own = restrict(SelfCheck.objects.filter(sheet__round=rnd), user, "view").exclude(
            problems=""
        )
        out = [f"{c.sheet.branch_name}：{c.problems[:200]}" for c in own.select_related("sheet")]
    return out


def notice_data(rnd: AssessmentRound, user: Any) -> NoticeData:
    """The notice's content as ``user`` may see it (the published ranking of the round)."""
    results = sel.round_results(rnd, user)
    cats = results.categories
    rows: list[list[str]] = []
    totals: list[Decimal] = []
    star_counts: dict[int, int] = defaultdict(int)
    for row in results.rows:
        sheet = row.sheet
        marks = []
        if sheet.vetoed:
            marks.append("一票否决")
        if sheet.is_model_site:
            marks.append("示范点")
        rows.append(
            [
                str(sheet.rank or "—"),
                sheet.branch_name,
                *[_num(v) for v in row.cells],
                _num(sheet.total),
                row.stars or "—",
                "、".join(marks),
            ]
        )
        if sheet.total is not None:
            totals.append(sheet.total)
        star_counts[sheet.star or 0] += 1
    count = results.branches_total
    period = f"{rnd.period_start:%Y年%m月%d日}至{rnd.period_end:%Y年%m月%d日}"
    summary = [
        f"根据《{rnd.scheme.name}》，{rnd.party_org.name}组织对{count}个党支部{period}的"
        f"党建及各项工作进行了{rnd.get_kind_display()}，采取听取汇报、查阅资料、实地查看、"
        "走访座谈、满意度测评和系统记录相结合的方式逐项评分。现将结果通报如下。"
    ]
    if totals:
        average = sum(totals, Decimal(0)) / len(totals)
        summary.append(
            f"参加考核支部平均得分{_num(average.quantize(Decimal('0.01')))}分，"
            f"最高{_num(max(totals))}分，最低{_num(min(totals))}分。"
        )
    stars_text = "，".join(
        f"{n}星级党支部{star_counts[n]}个" for n in (5, 4, 3, 2, 1) if star_counts.get(n)
    )
    if stars_text:
        summary.append(f"评定{stars_text}。")
    highlights = []
    for index, cat in enumerate(cats):
        values: list[tuple[Decimal, str]] = [
            (cell, row.sheet.branch_name)
            for row in results.rows
            if (cell := row.cells[index]) is not None
        ]
        if not values or not cat.max_points:
            continue
        best = max(values, key=lambda v: v[0])
        mean = sum((v for v, _n in values), Decimal(0)) / len(values)
        highlights.append(
            f"{cat.name}（满分{_num(cat.max_points)}分）：平均{_num(mean.quantize(Decimal('0.01')))}分，"
            f"{best[1]}得分最高（{_num(best[0])}分）。"
        )
    model_sites = [r.sheet.branch_name for r in results.rows if r.sheet.is_model_site]
    vetoes = [
        f"{r.sheet.branch_name}：{r.sheet.veto_reason or '触发一票否决项'}，取消星级评定。"
        for r in results.rows
        if r.sheet.vetoed
    ]
    return NoticeData(
        title=f"关于{rnd.name}结果的通报",
        issuer=rnd.party_org.name,
        date_text=f"{timezone.localdate():%Y年%m月%d日}",
        summary=summary,
        headers=["名次", "党支部", *[c.name for c in cats], "总分", "星级", "备注"],
        rows=rows,
        highlights=highlights,
        model_sites=model_sites,
        vetoes=vetoes,
        problems=_problems(rnd, user),
        closing=(
            "希望各党支部对照考核细则查找差距、认真整改，巩固提升星级，"
            "推动党建工作由定性向定量转变。对考核结果有异议的，请在公示期内提出。"
        ),
    )


SECTIONS = (
    ("一、总体情况", "summary"),
    ("二、考核排名", "table"),
    ("三、分项情况", "highlights"),
    ("四、示范点", "model_sites"),
    ("五、一票否决", "vetoes"),
    ("六、存在的主要问题", "problems"),
)
EMPTY = "无。"


def _lines(data: NoticeData, key: str) -> list[str]:
    value = getattr(data, key)
    if key == "model_sites" and value:
        return ["、".join(value) + "被确定为示范点，供各支部学习借鉴。"]
    return list(value) or [EMPTY]


def write_notice_docx(data: NoticeData) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"  # type: ignore[attr-defined]
    style.font.size = Pt(10.5)  # type: ignore[attr-defined]
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # type: ignore[attr-defined]
    heading = document.add_heading(data.title, level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for title, key in SECTIONS:
        document.add_heading(title, level=1)
        if key == "table":
            table = document.add_table(rows=1, cols=len(data.headers))
            table.style = "Table Grid"
            for cell, header in zip(table.rows[0].cells, data.headers, strict=True):
                cell.text = header
                for run in cell.paragraphs[0].runs:
                    run.bold = True
            for row in data.rows:
                for cell, value in zip(table.add_row().cells, row, strict=False):
                    cell.text = value
            continue
        for line in _lines(data, key):
            document.add_paragraph(line)
    document.add_paragraph(data.closing)
    sign = document.add_paragraph(f"{data.issuer}\n{data.date_text}")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.core_properties.title = data.title
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_notice_pdf(data: NoticeData) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    title = ParagraphStyle(
        "t", fontName=PDF_FONT, fontSize=17, leading=24, alignment=TA_CENTER, spaceAfter=8
    )
    heading = ParagraphStyle("h", fontName=PDF_FONT, fontSize=12, leading=17, spaceBefore=8)
    body = ParagraphStyle("b", fontName=PDF_FONT, fontSize=10, leading=15, wordWrap="CJK")
    cell = ParagraphStyle("c", fontName=PDF_FONT, fontSize=7.5, leading=9.5, wordWrap="CJK")
    right = ParagraphStyle("r", parent=body, alignment=TA_RIGHT)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=data.title,
        author=data.issuer,
    )

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    story: list[Any] = [para(data.title, title)]
    width = A4[0] - 30 * mm
    for heading_text, key in SECTIONS:
        story.append(para(heading_text, heading))
        if key == "table":
            n = len(data.headers)
            first, second = 10 * mm, 34 * mm
            rest = (width - first - second) / max(n - 2, 1)
            table = Table(
                [
                    [para(h, cell) for h in data.headers],
                    *[[para(v, cell) for v in r] for r in data.rows],
                ],
                colWidths=[first, second, *[rest] * (n - 2)],
                repeatRows=1,
            )
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2dede")),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ]
                )
            )
            story.append(table)
            continue
        story.extend(para(line) for line in _lines(data, key))
    story += [Spacer(1, 4 * mm), para(data.closing), Spacer(1, 6 * mm)]
    story += [para(data.issuer, right), para(data.date_text, right)]
    doc.build(story)
    return buffer.getvalue()


# --- Excel ------------------------------------------------------------------------------------


def ranking_xlsx(rnd: AssessmentRound, user: Any) -> bytes:
    """The round's ranking (one row per visible branch): small, written in the request."""
    from openpyxl import Workbook

    data = notice_data(rnd, user)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="考核排名")
    sheet.append([safe_cell(data.title)])
    sheet.append([safe_cell(h) for h in data.headers])
    for row in data.rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


SCORE_HEADERS = [
    "考核轮次",
    "党支部",
    "考核大项",
    "细则编号",
    "考核细则",
    "分值",
    "评分方式",
    "自评分",
    "系统计算值",
    "系统计算得分",
    "得分",
    "考核方式",
    "佐证说明",
    "扣分/调整理由",
    "改动系统得分理由",
    "关联记录",
    "一票否决",
    "评分时间",
]


def scores_queryset(user: Any, round_id: int) -> Any:
    """Scores of the round's sheets the user may export, that the user may view."""
    sheets = restrict(ScoreSheet.objects.filter(round_id=round_id), user, "export")
    return (
        restrict(Score.objects.filter(sheet__in=sheets.values("pk")), user, "view")
        .select_related("sheet", "sheet__round", "criterion", "criterion__category")
        .order_by(
            "sheet__branch__path",
            "sheet_id",
            "criterion__category__sort_order",
            "criterion__sort_order",
            "pk",
        )
    )


def _score_row(score: Score) -> list[Any]:
    links = "；".join(f"{link.text}" for link in sel.record_links(score, limit=200))
    return [
        score.sheet.round.name,
        score.sheet.branch_name,
        score.criterion.category.name,
        score.criterion.code,
        score.criterion.title,
        float(score.criterion.max_points),
        score.criterion.get_method_display(),
        float(score.self_points) if score.self_points is not None else None,
        score.computed_value,
        float(score.computed_points) if score.computed_points is not None else None,
        float(p) if (p := sel.effective_points(score)) is not None else None,
        "、".join(sel.evidence_labels(score.evidence_methods)),
        score.evidence_note,
        score.reason,
        score.override_reason,
        links,
        "是" if score.vetoed else "",
        timezone.localtime(score.scored_at).strftime("%Y-%m-%d %H:%M") if score.scored_at else "",
    ]


@register_export(SCORES_EXPORT, "考核得分及佐证")
def export_scores(user: Any, params: dict[str, Any]) -> tuple[list[str], Iterable[Iterable[Any]]]:
    try:
        round_id = int(params.get("round", 0))
    except (TypeError, ValueError):
        round_id = 0
    rnd = sel.round_get(user, round_id) if round_id else None
    if rnd is None:
        return list(SCORE_HEADERS), []
    queryset = scores_queryset(user, rnd.pk)

    def rows() -> Iterator[list[Any]]:
        for score in queryset.iterator(chunk_size=2000):
            yield _score_row(score)

    return list(SCORE_HEADERS), rows()
