"""API bearer tokens: issue (shown once), authenticate, list, revoke.

A token is ``djt_<prefix>_<secret>``; only its SM3 hash is stored (``ApiToken.key_hash``), with
the prefix in clear so a holder can name the token to revoke it. Lookup is by the hash (a unique
index), so no secret comparison happens in Python. Tokens of disabled users, expired and
revoked tokens never authenticate. Tokens travel only in the ``Authorization`` header, never in
URLs (AUTH-10).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.accounts.models import ApiToken, User
from dangjian.audit.services import audit_record
from dangjian.core.crypto import sm3_hex
from dangjian.core.rules import rule

TOKEN_SCHEME = "djt"  # noqa: S105 (a public marker, not a secret)
PREFIX_LENGTH = 8
# last_used_at is refreshed at most this often, so a busy client does not write on every call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return sm3_hex(raw.strip().encode())


def _new_raw_token() -> tuple[str, str]:
    alphabet = "abcdefghijkmnopqrstuvwxyz23456789"  # no look-alikes in the visible prefix
    prefix = "".join(secrets.choice(alphabet) for _ in range(PREFIX_LENGTH))
    return prefix, f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def token_issue(
    *, actor: Any, user: User, name: str = "", days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with the raw secret, which is never stored."""
    if not user.is_active:
        raise ValidationError({"user": ["该账户已停用，不能签发令牌。"]})
    lifetime = int(days if days is not None else rule("security.api_token_days"))
    if lifetime < 1:
        raise ValidationError({"days": ["有效期至少为1天。"]})
    prefix, raw = _new_raw_token()
    token = ApiToken.objects.create(
        user=user,
        name=name[:60],
        prefix=prefix,
        key_hash=token_hash(raw),
        expires_at=timezone.now() + dt.timedelta(days=lifetime),
    )
    audit_record(
        "token_issue",
        obj=user,
        actor=actor,
        changes={"prefix": [None, prefix], "name": [None, token.name], "days": [None, lifetime]},
    )
    return token, raw


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


@transaction.atomic
def token_revoke(*, actor: Any, user: User, prefix: str) -> ApiToken:
    """Revoke the user's active token with this prefix (an exact, unambiguous match)."""
    prefix = prefix.strip()
    if prefix.startswith(f"{TOKEN_SCHEME}_"):
        prefix = prefix[len(TOKEN_SCHEME) + 1 :].split("_", 1)[0]
    matches = list(
        ApiToken.objects.select_for_update().filter(
            user=user, prefix=prefix, revoked_at__isnull=True
        )
    )
    if not matches:
        raise ValidationError({"prefix": ["没有找到该前缀的有效令牌。"]})
    if len(matches) > 1:
        raise ValidationError({"prefix": ["该前缀对应多个令牌，请联系安全管理员处理。"]})
    token = matches[0]
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record("token_revoke", obj=user, actor=actor, changes={"prefix": [prefix, None]})
    return token


def token_authenticate(raw: str) -> User | None:
    """The active user a presented token belongs to, or None; refreshes ``last_used_at``."""
    raw = (raw or "").strip()
    if not raw.startswith(f"{TOKEN_SCHEME}_") or len(raw) > 200:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user = token.user
    user.api_token = token  # type: ignore[attr-defined]  # which token acted, for callers
    return user
