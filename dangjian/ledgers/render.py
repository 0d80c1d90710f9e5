"""Write an assembled ledger as Word (.docx), PDF or Excel (.xlsx).

PDF fonts: reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1, ``UniGB-UCS2-H``) is
*referenced*, not embedded: no font file is needed on the server and every conforming PDF
reader renders it with its Chinese fallback font (see docs/decisions.md). Text stays
extractable (searchable, copyable) because the encoding maps to Unicode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dangjian.core.excel import safe_cell
from dangjian.ledgers.selectors import LedgerData

EMPTY = "暂无记录"
PDF_FONT = "STSong-Light"


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _subtitle(data: LedgerData) -> str:
    return f"生成时间：{data.generated_at:%Y-%m-%d %H:%M}（由系统记录自动生成）"


def write_xlsx(data: LedgerData, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    cover = workbook.active
    cover.title = "封面"  # type: ignore[union-attr]
    cover.append([data.title])  # type: ignore[union-attr]
    cover.append([_subtitle(data)])  # type: ignore[union-attr]
    cover["A1"].font = Font(bold=True, size=14)  # type: ignore[index]
    for index, section in enumerate(data.sections, start=1):
        sheet = workbook.create_sheet(title=f"{index}.{section.title}"[:31])
        sheet.append([section.title])
        sheet["A1"].font = Font(bold=True)
        if not section.rows:
            sheet.append([EMPTY])
            continue
        sheet.append(section.headers)
        for row in section.rows:
            sheet.append([safe_cell(_cell(v)) for v in row])
    workbook.save(path)


def write_docx(data: LedgerData, path: Path) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    style = document.styles["Normal"]
    style.font.name = "SimSun"  # type: ignore[attr-defined]
    style.font.size = Pt(9)  # type: ignore[attr-defined]
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # type: ignore[attr-defined]
    document.add_heading(data.title, level=0)
    document.add_paragraph(_subtitle(data))
    for index, part in enumerate(data.sections, start=1):
        document.add_heading(f"{index}. {part.title}", level=1)
        if not part.rows:
            document.add_paragraph(EMPTY)
            continue
        table = document.add_table(rows=1, cols=len(part.headers))
        table.style = "Table Grid"
        for cell, header in zip(table.rows[0].cells, part.headers, strict=True):
            cell.text = header
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in part.rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=False):
                cell.text = _cell(value)
    document.core_properties.title = data.title
    document.save(str(path))


def write_pdf(data: LedgerData, path: Path) -> None:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    title = ParagraphStyle("title", fontName=PDF_FONT, fontSize=16, leading=22, spaceAfter=4)
    heading = ParagraphStyle("h", fontName=PDF_FONT, fontSize=12, leading=16, spaceBefore=8)
    body = ParagraphStyle("b", fontName=PDF_FONT, fontSize=8, leading=10, wordWrap="CJK")
    page = landscape(A4)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=page,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=data.title,
        author="党建精细管控平台",
    )

    def para(value: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(_cell(value)), style)

    story: list[Any] = [para(data.title, title), para(_subtitle(data))]
    width = page[0] - 24 * mm
    for index, part in enumerate(data.sections, start=1):
        story.append(para(f"{index}. {part.title}", heading))
        if not part.rows:
            story.append(para(EMPTY))
            continue
        table = Table(
            [[para(h) for h in part.headers], *[[para(v) for v in row] for row in part.rows]],
            colWidths=[width / len(part.headers)] * len(part.headers),
            repeatRows=1,
        )
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2dede")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        story.append(Spacer(1, 4 * mm))
    doc.build(story)


WRITERS = {"docx": write_docx, "pdf": write_pdf, "xlsx": write_xlsx}
