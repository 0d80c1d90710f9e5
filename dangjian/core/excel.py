"""Excel helpers: safe reading of uploads (IN-05) and streaming, injection-safe writing (IN-07)."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
XLSX_MAGIC = b"PK\x03\x04"
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000
MAX_COMPRESSION_RATIO = 100
XML_PROLOG_SCAN_BYTES = 64 * 1024  # a DOCTYPE can only appear before the root element


class UploadRejected(ValueError):
    """The uploaded file is not acceptable; the message is shown to the user."""


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas: text starting with = + - @ TAB CR NUL gets a quote.

    Control characters that XLSX cannot hold are dropped first (openpyxl would refuse the
    whole export), so a value such as ``"\x00=1"`` is quoted as well.
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def check_xlsx_upload(fh: IO[bytes], size: int, name: str = "") -> None:
    """Reject non-xlsx, oversized and zip-bomb files before openpyxl parses anything."""
    if size > settings.UPLOAD_MAX_BYTES:
        limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        raise UploadRejected(f"文件超过大小上限（{limit} MB）。")
    if name and not name.lower().endswith(".xlsx"):
        raise UploadRejected("只接受 .xlsx 格式的 Excel 文件。")
    fh.seek(0)
    if fh.read(4) != XLSX_MAGIC:
        raise UploadRejected("文件内容不是有效的 Excel (.xlsx) 文件。")
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise UploadRejected("Excel 文件内部结构异常（文件数过多）。")
            total = sum(m.file_size for m in members)
            packed = sum(m.compress_size for m in members) or 1
            if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
                raise UploadRejected("Excel 文件解压后过大，疑似压缩炸弹，已拒绝。")
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise UploadRejected("文件内容不是有效的 Excel (.xlsx) 文件。")
            for member in members:
                if member.filename.startswith("/") or ".." in member.filename.split("/"):
                    raise UploadRejected("Excel 文件内部路径非法。")
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(member) as part:
                        prolog = part.read(XML_PROLOG_SCAN_BYTES)
                    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
                        # no genuine .xlsx part declares a DTD: entity bombs / XXE
                        raise UploadRejected("Excel 文件包含不允许的 XML 实体声明，已拒绝。")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise UploadRejected("文件内容不是有效的 Excel (.xlsx) 文件。") from exc
    fh.seek(0)


def read_rows(fh: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    """Rows of the first sheet as tuples (read-only mode, so memory stays flat).

    openpyxl parses XML with defusedxml when it is installed (it is a dependency), which
    refuses entity-expansion bombs.
    """
    try:
        workbook = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for malformed parts
        raise UploadRejected("无法读取该 Excel 文件，请使用下载的模板重新填写。") from exc
    try:
        sheet = workbook.worksheets[0]
        try:
            yield from sheet.iter_rows(values_only=True)
        except UploadRejected:
            raise
        except Exception as exc:  # defusedxml refusals, broken XML in the sheet
            raise UploadRejected("无法读取该 Excel 文件，请使用下载的模板重新填写。") from exc
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def write_xlsx(
    path: Path, headers: list[str], rows: Iterable[Iterable[Any]], title: str = "Sheet1"
) -> int:
    """Write a workbook in write-only (streaming) mode; returns the number of data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(headers)
    count = 0
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
        count += 1
    workbook.save(path)
    return count
