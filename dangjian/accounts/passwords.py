"""Password validators for the 等保 rules (AUTH-02, AUTH-03), read from the rule table.

Numbers come from ``core.Rule`` (``security.password_*``) so that the security administrator
can tighten them without a release.
"""

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


class MinimumLengthValidator:
    """At least N characters; N is the rule ``security.password_min_length`` (never below 8)."""

    def _minimum(self) -> int:
        from dangjian.core.rules import rule

        return max(8, int(rule("security.password_min_length")))

    def validate(self, password: str, user: Any = None) -> None:
        minimum = self._minimum()
        if len(password) < minimum:
            raise ValidationError(
                f"密码太短，至少需要 {minimum} 个字符。", code="password_too_short"
            )

    def get_help_text(self) -> str:
        return "密码至少 8 个字符。"


class PasswordHistoryValidator:
    """The last N passwords (rule ``security.password_history``) may not be reused (AUTH-03).

    The current password counts as the most recent one.
    """

    def validate(self, password: str, user: Any = None) -> None:
        from django.contrib.auth.hashers import check_password

        from dangjian.core.rules import rule

        if user is None or getattr(user, "pk", None) is None:
            return
        keep = int(rule("security.password_history"))
        if keep <= 0:
            return
        hashes = list(
            user.password_history.order_by("-created_at", "-id").values_list("password", flat=True)[
                :keep
            ]
        )
        if user.password and user.password not in hashes:
            hashes = [user.password, *hashes[: keep - 1]]
        if any(check_password(password, encoded) for encoded in hashes if encoded):
            raise ValidationError(
                f"新密码不能与最近 {keep} 次使用过的密码相同。", code="password_reused"
            )

    def get_help_text(self) -> str:
        return "不能与最近 5 次使用过的密码相同。"


class PersonalDataSimilarityValidator:
    """No phone number, citizen ID (or its last six characters) or birth date in the password.

    The person linked to the account is read through the ``person`` relation (duck-typed: the
    people app sits above accounts); the values are compared server side and never logged.
    """

    def validate(self, password: str, user: Any = None) -> None:
        person = getattr(user, "person", None) if user is not None and user.pk else None
        if person is None:
            return
        fragments: list[str] = []
        try:
            phone = person.phone or ""
            citizen_id = person.citizen_id or ""
        except Exception:  # a sealed value that cannot be opened is not our concern here
            return
        if phone:
            fragments.append(phone)
        if citizen_id:
            fragments += [citizen_id, citizen_id[-6:], citizen_id[6:14]]
        lowered = password.lower()
        if any(fragment and fragment.lower() in lowered for fragment in fragments):
            raise ValidationError(
                "密码不能包含本人的手机号、身份证号或出生日期。", code="password_personal_data"
            )

    def get_help_text(self) -> str:
        return "密码不能包含本人的手机号、身份证号或出生日期。"
