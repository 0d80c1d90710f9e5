"""Checked uploads for every app (IN-05): size, allow-listed types by magic bytes, random names.

Accepted kinds: JPEG, PNG, PDF, DOCX and XLSX (each app narrows the list with ``allowed``), at
most ``settings.UPLOAD_MAX_BYTES``. The type is decided by the file's first bytes (and, for the
Office formats, by the ZIP directory naming ``word/document.xml`` or ``xl/workbook.xml``),
never by the name or the browser's content type; the declared extension must agree. Files are
stored under ``PRIVATE_DIR/<subdir>/`` with random names; the original name is only displayed.

    kind = validate_upload(upload, allowed=("pdf", "docx"), field="documents")
    stored = store(upload, kind, subdir="development")
    path = stored_path(stored, subdir="development")  # None if missing or escaping the dir
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

ZIP_MAX_ENTRIES = 2000


@dataclass(frozen=True)
class FileKind:
    ext: str
    content_type: str
    image: bool
    label: str


JPEG = FileKind("jpg", "image/jpeg", True, "JPG")
PNG = FileKind("png", "image/png", True, "PNG")
PDF = FileKind("pdf", "application/pdf", False, "PDF")
DOCX = FileKind(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    False,
    "DOCX",
)
XLSX = FileKind(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False, "XLSX"
)
EXTENSIONS: dict[str, FileKind] = {
    "jpg": JPEG,
    "jpeg": JPEG,
    "png": PNG,
    "pdf": PDF,
    "docx": DOCX,
    "xlsx": XLSX,
}
# what an app accepts when it does not say (minutes, documents, evidence)
DEFAULT_ALLOWED = ("jpg", "jpeg", "png", "pdf", "docx")
_ZIP_MARKERS = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}


def storage_dir(subdir: str) -> Path:
    if not re.fullmatch(r"[a-z0-9_]+", subdir):
        raise ValueError(f"bad upload directory {subdir!r}")
    path = Path(settings.PRIVATE_DIR) / subdir
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_name(name: str, default: str = "file") -> str:
    """The display name: last path component only, no control or path characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", base).strip().lstrip(".")
    return base[:120] or default


def _zip_kind(head: bytes, data: Any) -> FileKind | None:
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        data.seek(0)
        with zipfile.ZipFile(data) as archive:
            names = archive.namelist()
            if len(names) > ZIP_MAX_ENTRIES:
                return None
            for kind, marker in _ZIP_MARKERS.items():
                if marker in names:
                    return kind
            return None
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        data.seek(0)


def sniff(data: Any) -> FileKind | None:
    """The allowed kind the bytes are, or None."""
    data.seek(0)
    head = data.read(16)
    data.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"%PDF-"):
        return PDF
    return _zip_kind(head, data)


def _labels(allowed: Iterable[str]) -> str:
    seen: list[str] = []
    for ext in allowed:
        label = EXTENSIONS[ext].label
        if label not in seen:
            seen.append(label)
    return "、".join(seen[:-1]) + (" 或 " if len(seen) > 1 else "") + seen[-1]


def validate_upload(
    upload: Any,
    *,
    images_only: bool = False,
    allowed: Iterable[str] = DEFAULT_ALLOWED,
    field: str = "file",
) -> FileKind:
    """Raise ValidationError (Chinese, keyed by ``field``) unless the upload is acceptable."""
    allowed = tuple(allowed)
    size = int(getattr(upload, "size", 0) or 0)
    limit = int(settings.UPLOAD_MAX_BYTES)
    name = safe_name(getattr(upload, "name", ""))
    if size <= 0:
        raise ValidationError({field: f"文件「{name}」为空。"})
    if size > limit:
        raise ValidationError(
            {field: f"文件过大：「{name}」超过 {max(1, limit // (1024 * 1024))} MB 上限。"}
        )
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    declared = EXTENSIONS.get(ext) if ext in allowed else None
    if declared is None:
        raise ValidationError(
            {field: f"文件「{name}」类型不允许：只允许上传 {_labels(allowed)} 文件。"}
        )
    stream = upload.file if hasattr(upload, "file") else upload
    kind = sniff(stream if hasattr(stream, "seek") else io.BytesIO(upload.read()))
    if kind is None or kind is not declared:
        raise ValidationError(
            {field: f"文件「{name}」内容与扩展名不符（只允许 {_labels(allowed)}）。"}
        )
    if images_only and not kind.image:
        raise ValidationError({field: "照片只允许 JPG 或 PNG 格式。"})
    return kind


def store(upload: Any, kind: FileKind, *, subdir: str) -> str:
    """Write the upload under a random name in ``PRIVATE_DIR/<subdir>``; return that name."""
    stored = f"{uuid.uuid4().hex}.{kind.ext}"
    target = storage_dir(subdir) / stored
    if hasattr(upload, "seek"):
        upload.seek(0)
    with target.open("xb") as out:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            out.write(chunk)
    return stored


def stored_path(stored_name: str, *, subdir: str) -> Path | None:
    """The file on disk for a stored name, or None when missing or escaping the directory."""
    base = storage_dir(subdir).resolve()
    path = (base / stored_name).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


def remove(stored_name: str, *, subdir: str) -> None:
    """Delete a stored file (a rolled-back write); silently nothing if it is gone."""
    path = stored_path(stored_name, subdir=subdir)
    if path is not None:
        path.unlink(missing_ok=True)
