"""Validation and masking of personal identifiers (IN-01, PI-03).

Citizen ID: 18 characters, GB 11643 MOD 11-2 check character; birth date and gender are
derived from it. Phone: mainland mobile ``1[3-9]\\d{9}``.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def citizen_id_check_char(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise_citizen_id(value: str) -> str:
    return (value or "").strip().upper()


def validate_citizen_id(value: str) -> str:
    """Return the normalised ID or raise ``ValidationError`` with a Chinese message."""
    value = normalise_citizen_id(value)
    if not _ID_RE.match(value):
        raise ValidationError("身份证号必须为18位，前17位为数字，末位为数字或X。", code="format")
    if citizen_id_check_char(value[:17]) != value[17]:
        raise ValidationError("身份证号校验位不正确（GB 11643）。", code="checksum")
    try:
        birth = citizen_id_birth_date(value)
    except ValueError as exc:
        raise ValidationError("身份证号中的出生日期无效。", code="birth_date") from exc
    if birth > timezone.localdate() or birth.year < 1900:
        raise ValidationError("身份证号中的出生日期超出范围。", code="birth_date")
    return value


def citizen_id_birth_date(value: str) -> dt.date:
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def citizen_id_gender(value: str) -> str:
    """'M' or 'F' from the 17th digit (odd = male)."""
    return "M" if int(value[16]) % 2 else "F"


def validate_phone(value: str) -> str:
    value = (value or "").strip().replace(" ", "").replace("-", "")
    if not _PHONE_RE.match(value):
        raise ValidationError("手机号码应为11位，以13–19开头。", code="phone")
    return value


def mask_citizen_id(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_text(value: str | None) -> str:
    """Generic mask for other L4 text (addresses): first two characters, then stars."""
    if not value:
        return ""
    return value[:2] + "*" * min(len(value) - 2, 8) if len(value) > 2 else "*" * len(value)
