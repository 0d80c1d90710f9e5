"""Checks for minutes attachments and photos (IN-05): size, allow-listed types by magic bytes.

Only JPEG, PNG, PDF and DOCX are accepted, at most ``settings.UPLOAD_MAX_BYTES``. The type is
decided by the file's first bytes (and, for DOCX, by the ZIP directory naming
``word/document.xml``), never by the name or the browser's content type; the declared
extension must agree. Files are stored under PRIVATE_DIR/orglife/ with random names.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

DOCX_MAX_ENTRIES = 2000


@dataclass(frozen=True)
class FileKind:
    ext: str
    content_type: str
    image: bool


JPEG = FileKind("jpg", "image/jpeg", True)
PNG = FileKind("png", "image/png", True)
PDF = FileKind("pdf", "application/pdf", False)
DOCX = FileKind(
    "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", False
)
EXTENSIONS = {"jpg": JPEG, "jpeg": JPEG, "png": PNG, "pdf": PDF, "docx": DOCX}


def storage_dir() -> Path:
    path = Path(settings.PRIVATE_DIR) / "orglife"
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_name(name: str) -> str:
    """The display name: last path component only, no control or path characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", base).strip().lstrip(".")
    return base[:120] or "file"


def _is_docx(head: bytes, data: Any) -> bool:
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        data.seek(0)
        with zipfile.ZipFile(data) as archive:
            names = archive.namelist()
            return len(names) <= DOCX_MAX_ENTRIES and "word/document.xml" in names
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
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
    if _is_docx(head, data):
        return DOCX
    return None


def validate_upload(upload: Any, *, images_only: bool = False) -> FileKind:
    """Raise ValidationError with a Chinese message unless the upload is acceptable."""
    size = int(getattr(upload, "size", 0) or 0)
    limit = int(settings.UPLOAD_MAX_BYTES)
    if size <= 0:
        raise ValidationError({"file": "文件为空。"})
    if size > limit:
        raise ValidationError({"file": f"文件过大：不能超过 {limit // (1024 * 1024)} MB。"})
    name = safe_name(getattr(upload, "name", ""))
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    declared = EXTENSIONS.get(ext)
    if declared is None:
        raise ValidationError({"file": "只允许上传 JPG、PNG、PDF 或 DOCX 文件。"})
    stream = upload.file if hasattr(upload, "file") else upload
    kind = sniff(stream if hasattr(stream, "seek") else io.BytesIO(upload.read()))
    if kind is None or kind is not declared:
        raise ValidationError({"file": "文件内容与类型不符（只允许 JPG、PNG、PDF、DOCX）。"})
    if images_only and not kind.image:
        raise ValidationError({"file": "照片只允许 JPG 或 PNG 格式。"})
    return kind


def store(upload: Any, kind: FileKind) -> str:
    """Write the upload under a random name; return the stored name."""
    stored = f"{uuid.uuid4().hex}.{kind.ext}"
    target = storage_dir() / stored
    with target.open("xb") as out:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            out.write(chunk)
    return stored


def stored_path(stored_name: str) -> Path | None:
    """The file on disk for a stored name, or None when it escapes the directory."""
    base = storage_dir().resolve()
    path = (base / stored_name).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path
