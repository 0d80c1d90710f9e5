"""Excel helpers: safe reading of uploads (IN-05) and streaming, injection-safe writing (IN-07)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from openpyxl import Workbook, load_workbook
from openpyxl.compat import safe_string
from openpyxl.compat.numbers import NUMERIC_TYPES
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
XLSX_MAGIC = b"PK\x03\x04"
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000
MAX_COMPRESSION_RATIO = 100
XML_PROLOG_SCAN_BYTES = 64 * 1024  # a DOCTYPE can only appear before the root element
COMPRESS_LEVEL = 3  # zlib: 2.5x less CPU than the default 6 for 13% more bytes
# Characters an XLSX (XML 1.0) cannot hold: C0 controls except TAB/LF/CR (openpyxl's
# ILLEGAL_CHARACTERS_RE), lone surrogates and the non-characters U+FFFE/U+FFFF.
ILLEGAL_CHARACTERS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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


# ---- writing ----------------------------------------------------------------------------------
# The data sheet is written as XML directly into the zip stream, cell by cell exactly as
# openpyxl's write-only mode writes it (inline strings, dates as serial numbers with a date
# style, no cell for None), but without a cell object, an lxml element and a style lookup per
# value: at 1M rows x 21 columns that per-cell machinery was most of the export time. The rest
# of the package (workbook, relationships, theme, properties) is openpyxl's own output for the
# same title; styles.xml declares the four date/time formats openpyxl would add.

SHEET_PART = "xl/worksheets/sheet1.xml"
STYLES_PART = "xl/styles.xml"
MAX_CELL_CHARS = 32767  # Excel's limit; openpyxl truncates the same way
ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
_DATE_STYLE, _DATETIME_STYLE, _TIME_STYLE, _DURATION_STYLE = 1, 2, 3, 4
_STYLES_XML = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/>'
    '<numFmt numFmtId="166" formatCode="[hh]:mm:ss"/></numFmts>'
    '<fonts count="1"><font><name val="Calibri"/><family val="2"/><color theme="1"/>'
    '<sz val="11"/><scheme val="minor"/></font></fonts>'
    '<fills count="2"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/>'
    "</fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="5">'
    + "".join(
        f'<xf numFmtId="{fmt}" fontId="0" fillId="0" borderId="0" xfId="0"'
        + (' applyNumberFormat="1"/>' if fmt else "/>")
        for fmt in (0, 164, 165, 21, 166)
    )
    + "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetPr><outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr/></sheetPr>'
    '<sheetViews><sheetView workbookViewId="0"><selection activeCell="A1" sqref="A1"/>'
    '</sheetView></sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
    "<sheetData>"
)
_SHEET_TAIL = (
    '</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5"'
    ' footer="0.5"/></worksheet>'
)
_XML_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_NEEDS_ESCAPE = re.compile("[&<>\r]")
_EXCEL_EPOCH_ORDINAL = dt.date(1899, 12, 30).toordinal()
_LEAP_BUG_ORDINAL = dt.date(1900, 3, 1).toordinal()  # Excel's fictitious 1900-02-29
_FLUSH_CHARS = 1 << 18
_CACHE_LIMIT = 20_000


def _text_xml(value: str) -> str:
    """The inside of a ``<c>`` for a text value (after :func:`safe_cell`): type and content."""
    value = value[:MAX_CELL_CHARS]
    if value in ERROR_CODES:
        return f' t="e"><v>{value}</v></c>'
    space = ' xml:space="preserve"' if value != value.strip() else ""
    if _NEEDS_ESCAPE.search(value):
        value = value.translate(_XML_ESCAPE)
    if not value:
        return ' t="inlineStr"></c>'
    return f' t="inlineStr"><is><t{space}>{value}</t></is></c>'


def _date_serial(value: dt.date) -> int:
    ordinal = value.toordinal()
    return ordinal - _EXCEL_EPOCH_ORDINAL - (1 if ordinal < _LEAP_BUG_ORDINAL else 0)


def _other_xml(value: Any) -> str:
    """Numbers, booleans, date-times, times, durations and bytes, as openpyxl writes them."""
    if isinstance(value, str):  # str subclasses (SafeString ...)
        return _text_xml(safe_cell(str(value)))
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, NUMERIC_TYPES):
        return f' t="n"><v>{safe_string(value)}</v></c>'
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise TypeError(
                "Excel does not support timezones in datetimes. "
                "The tzinfo in the datetime/time object must be set to None."
            )
        return f' s="{_DATETIME_STYLE}" t="n"><v>{safe_string(to_excel(value))}</v></c>'
    if isinstance(value, dt.date):
        return f' s="{_DATE_STYLE}" t="n"><v>{_date_serial(value)}</v></c>'
    if isinstance(value, dt.time):
        return f' s="{_TIME_STYLE}" t="n"><v>{safe_string(to_excel(value))}</v></c>'
    if isinstance(value, dt.timedelta):
        return f' s="{_DURATION_STYLE}" t="n"><v>{safe_string(to_excel(value))}</v></c>'
    if isinstance(value, bytes):
        return _text_xml(safe_cell(value.decode("utf-8")))
    raise ValueError(f"Cannot convert {value!r} to Excel")


class _SheetWriter:
    """Turns rows into ``<row>`` XML; repeated values (labels, org names, dates) are cached."""

    def __init__(self) -> None:
        self.prefixes: list[str] = []  # '<c r="A' per column
        self.text: dict[str, str] = {}
        self.other: dict[tuple[type, Any], str] = {}

    def prefix(self, index: int) -> str:
        while len(self.prefixes) <= index:
            self.prefixes.append(f'<c r="{get_column_letter(len(self.prefixes) + 1)}')
        return self.prefixes[index]

    def text_cell(self, value: str) -> str:
        xml = _text_xml(safe_cell(value))
        if len(self.text) >= _CACHE_LIMIT:
            self.text.clear()
        self.text[value] = xml
        return xml

    def other_cell(self, value: Any) -> str:
        key = (type(value), value)
        try:
            return self.other[key]
        except KeyError:
            xml = _other_xml(value)
        except TypeError:  # unhashable: not cached
            return _other_xml(value)
        if len(self.other) >= _CACHE_LIMIT:
            self.other.clear()
        self.other[key] = xml
        return xml

    def row(self, number: int, values: Iterable[Any]) -> str:
        prefixes, text = self.prefixes, self.text
        end = f'{number}"'
        parts = [f'<row r="{number}">']
        for index, value in enumerate(values):
            if value is None:
                continue
            if type(value) is str:
                xml = text.get(value) or self.text_cell(value)
            else:
                xml = self.other_cell(value)
            pre = prefixes[index] if index < len(prefixes) else self.prefix(index)
            parts.append(pre + end + xml)
        parts.append("</row>")
        return "".join(parts)


def _package_parts(title: str, mark: str = "") -> list[tuple[zipfile.ZipInfo, bytes]]:
    """openpyxl's own package for an empty write-only sheet with this title (validated); a
    watermark ``mark`` goes into the document properties (creator, description)."""
    workbook = Workbook(write_only=True)
    workbook.create_sheet(title=title)
    if mark:
        mark = ILLEGAL_CHARACTERS_RE.sub("", mark)
        workbook.properties.creator = workbook.properties.lastModifiedBy = mark[:255]
        workbook.properties.description = mark
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        return [(info, package.read(info)) for info in package.infolist()]


def _header_footer(mark: str) -> str:
    """The sheet's printed header and footer carrying the watermark (PI-05): ``&`` starts a
    header code in Excel, so it is doubled; Excel holds at most 255 characters per part."""
    text = ILLEGAL_CHARACTERS_RE.sub("", mark).replace("&", "&&")[:200]
    header = f"&C{text}".translate(_XML_ESCAPE)
    footer = f"&L{text}&R第 &P 页，共 &N 页".translate(_XML_ESCAPE)
    return (
        f"<headerFooter><oddHeader>{header}</oddHeader>"
        f"<oddFooter>{footer}</oddFooter></headerFooter>"
    )


def write_xlsx(
    path: Path,
    headers: list[str],
    rows: Iterable[Iterable[Any]],
    title: str = "Sheet1",
    watermark: str = "",
) -> int:
    """Stream a one-sheet workbook to ``path``; returns the number of data rows.

    Memory does not grow with the rows: each row becomes XML and goes through the zip
    compressor in chunks of about 256k characters. Every text cell goes through
    :func:`safe_cell` (formula neutralisation, IN-07), headers included. If anything fails
    (a row that cannot be read, a value Excel cannot hold), the partial file is removed.
    ``watermark`` (who exported what when, PI-05) goes into every printed page's header and
    footer and into the document properties; the cells stay as they are, so an exported
    sheet can be edited and imported again.
    """
    try:
        return _write_package(path, headers, rows, title[:31], watermark)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _write_package(
    path: Path, headers: list[str], rows: Iterable[Iterable[Any]], title: str, mark: str = ""
) -> int:
    writer = _SheetWriter()
    count = 0
    tail = _SHEET_TAIL
    if mark:
        tail = tail.replace("</worksheet>", _header_footer(mark) + "</worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as out:
        for info, data in _package_parts(title, mark):
            if info.filename == STYLES_PART:
                data = _STYLES_XML.encode()
            if info.filename != SHEET_PART:
                out.writestr(info.filename, data)
                continue
            # Streamed without ZIP64 (Excel is strict about it), so the sheet may hold up to
            # 2 GiB of XML: about 2M rows of the person export (1 kB a row), twice the row cap.
            try:
                with out.open(SHEET_PART, "w") as sheet:
                    buffer = [_SHEET_HEAD, writer.row(1, headers)]
                    size = 0
                    for count, row in enumerate(rows, 1):
                        xml = writer.row(count + 1, row)
                        buffer.append(xml)
                        size += len(xml)
                        if size >= _FLUSH_CHARS:
                            sheet.write("".join(buffer).encode("utf-8", "replace"))
                            buffer, size = [], 0
                    buffer.append(tail)
                    sheet.write("".join(buffer).encode("utf-8", "replace"))
            except RuntimeError as exc:
                if "force_zip64" not in str(exc):
                    raise
                raise ValueError(
                    "导出内容过大（工作表超过 2 GB），请缩小筛选范围后分批导出。"
                ) from exc
    return count
