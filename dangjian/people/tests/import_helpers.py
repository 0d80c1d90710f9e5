"""Workbook builders for the import tests (valid rows, broken files)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from openpyxl import Workbook

from dangjian.core.testing import make_citizen_id
from dangjian.people.importing import COLUMNS

HEADERS = [c.header for c in COLUMNS]


def row(seq: int, **overrides: Any) -> dict[str, Any]:
    """One valid row (a front-line full member of branch A, team 综采一队一班)."""
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=seq * 37)
    gender = overrides.pop("gender_code", "M")
    values: dict[str, Any] = {
        "工号": f"IMP{seq:05d}",
        "姓名": f"导入{seq}",
        "性别": "男" if gender == "M" else "女",
        "民族": "汉族",
        "出生日期": birth.isoformat(),
        "学历": "本科",
        "身份证号": make_citizen_id(birth, gender, seq % 450 + 10, area="340621"),
        "手机号": f"139{seq:08d}",
        "家庭住址": "安徽省淮北市",
        "岗位": "采煤工",
        "单位": "综采一队一班",
        "一线职工": "是",
        "政治面貌": "正式党员",
        "所在党组织": "综采一队党支部",
        "所在党小组": "综采一队第一党小组",
        "入党日期": "2012-07-01",
        "转正日期": "2013-07-01",
        "党籍状态": "正常",
        "失联": "否",
        "失联日期": "",
        "流动党员": "否",
        "外出流向": "",
    }
    values.update(overrides)
    return values


def workbook_bytes(rows: list[dict[str, Any]], headers: list[str] | None = None) -> bytes:
    headers = headers or HEADERS
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(h, "") for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "persons.xlsx") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name,
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def zip_bomb() -> bytes:
    """A tiny .xlsx-looking zip whose sheet inflates to 150 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"0" * (1024 * 1024)
            for _ in range(150):
                member.write(chunk)
    return buffer.getvalue()


def entity_bomb() -> bytes:
    """A real workbook whose sheet XML declares a billion-laughs entity expansion."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([row(900)])))
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + ']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    return with_sheet_xml(source, bomb)


def with_sheet_xml(source: zipfile.ZipFile, sheet_xml: str) -> bytes:
    """The workbook ``source`` with its first sheet's XML replaced by ``sheet_xml``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            target.writestr(item, data)
    return buffer.getvalue()


def plain_zip() -> bytes:
    """A valid zip that is not a workbook (e.g. a .docx or an archive renamed .xlsx)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()
