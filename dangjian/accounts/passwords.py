"""Password validators for the 等保 composition rule (AUTH-02), read from the rule table."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError

MAX_PASSWORD_LENGTH = 128


def character_classes(password: str) -> int:
    return sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation or not c.isalnum() for c in password),
        ]
    )


class CharacterClassValidator:
    """At least N of 4 classes (lower, upper, digit, symbol); N is a rule (password_min_classes)."""

    def validate(self, password: str, user: Any = None) -> None:
        from dangjian.core.rules import rule

        needed = int(rule("security.password_min_classes"))
        if character_classes(password) < needed:
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、符号中的至少 {needed} 类。",
                code="password_classes",
            )

    def get_help_text(self) -> str:
        return "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。"


class MaximumLengthValidator:
    """Long passphrases are accepted (≥ 64) but not unbounded input (hashing cost)."""

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError(
                f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符。", code="password_too_long"
            )

    def get_help_text(self) -> str:
        return f"密码不超过 {MAX_PASSWORD_LENGTH} 个字符。"
