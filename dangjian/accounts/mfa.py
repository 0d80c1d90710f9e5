"""TOTP multi-factor authentication (SECURITY.md AUTH-07, AUTH-08; 等保 8.1.4.1d).

* TOTP per RFC 6238: 30-second step, 6 digits, HMAC-SHA1 (what authenticator apps support),
  a drift of one step either way, through ``cryptography``'s ``TOTP``. The 160-bit secret is
  sealed with SM4-GCM, its associated data bound to the user row (CRY-02).
* A code is accepted once: the device keeps the last accepted time-step and refuses that step
  and every earlier one (replay). Wrong codes count; ``security.mfa_failures`` of them lock the
  OTP step for ``security.mfa_lock_minutes`` (the password login is not affected).
* Ten recovery codes, shown once, stored as ``salt$SM3(salt || code)``, each usable once.
* Enforcement (``security.mfa_required``): the three administrators and every user holding a
  ``reveal_*`` or ``export_*`` permission must enrol and verify; everybody else may enrol, and
  once enrolled is asked for a code at every login too. ``gate`` tells the session middleware
  what a session still owes; the session flag :data:`SESSION_FLAG` records a verified login.
  Bearer tokens (issued by administrators, see ``dangjian token``) are exempt.

Every step is audited: ``mfa_enrol``, ``mfa_verify``, ``mfa_failure``, ``mfa_recovery_used``,
``mfa_recovery_regenerate``, ``mfa_reset``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import AdminRole, MfaDevice, MfaRecoveryCode, User
from dangjian.accounts.services import MFA_VERIFIED, _end_sessions, require_admin
from dangjian.audit.models import AuditEvent
from dangjian.audit.services import audit_record
from dangjian.core.crypto import open_sealed, seal, sm3_hex
from dangjian.core.rules import rule, rules
from dangjian.core.scope import _grants

SESSION_FLAG = MFA_VERIFIED  # the session key a verified login carries
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
RECOVERY_LENGTH = 10
ISSUER = "党建精细管控平台"
PRIVILEGED_ACTIONS = ("reveal_", "export_")

FAILURE = AuditEvent.Outcome.FAILURE

WRONG_MESSAGE = "动态口令错误，请核对手机认证器上的6位数字后重试。"
REPLAY_MESSAGE = "该动态口令已使用过，请等待认证器显示下一个口令。"
RECOVERY_WRONG_MESSAGE = "恢复码错误或已使用。"
LOCKED_MESSAGE = "动态口令连续错误次数过多，已锁定 {minutes} 分钟，请稍后再试。"
FORMAT_MESSAGE = "请输入6位动态口令，或10位恢复码。"


class Gate(StrEnum):
    """What an authenticated, not yet verified session still owes."""

    ENROL = "enrol"
    VERIFY = "verify"


# --- who must use MFA --------------------------------------------------------------------------


def privileged(user: Any) -> bool:
    """三员, or any business grant that can reveal plaintext or export (AUTH-07)."""
    if getattr(user, "admin_role", ""):
        return True
    for grant in _grants(user):
        for perm in grant.permissions:
            if perm.rsplit(".", 1)[-1].startswith(PRIVILEGED_ACTIONS):
                return True
    return False


def mfa_required(user: Any) -> bool:
    """Must this user verify a second factor? (rule ``security.mfa_required``)."""
    if not bool(rule("security.mfa_required")):
        return False
    return privileged(user)


def confirmed_device(user: Any) -> MfaDevice | None:
    return MfaDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).first()


def is_enrolled(user: Any) -> bool:
    return MfaDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


def gate(user: Any, session: Any) -> Gate | None:
    """None when the session may proceed; otherwise the page it must go through first.

    A verified session costs nothing (no query); an unverified one one or three queries.
    """
    if session.get(SESSION_FLAG):
        return None
    if is_enrolled(user):
        return Gate.VERIFY
    if mfa_required(user):
        return Gate.ENROL
    return None


def mark_verified(session: Any) -> None:
    session[SESSION_FLAG] = True


def forget_verification(session: Any) -> None:
    """A new login starts unverified (called when a session is registered at login)."""
    session.pop(SESSION_FLAG, None)


# --- TOTP ----------------------------------------------------------------------------------------


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, DIGITS, SHA1(), STEP_SECONDS)  # noqa: S303 (RFC 6238 default, HMAC)


def _secret(device: MfaDevice) -> bytes:
    return base64.b32decode(open_sealed(bytes(device.secret_sealed), device.secret_aad))


def secret_text(device: MfaDevice) -> str:
    """The base32 secret for manual entry, in groups of four."""
    raw = base64.b32encode(_secret(device)).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def provisioning_uri(device: MfaDevice) -> str:
    """``otpauth://totp/…`` for the QR code."""
    return _totp(_secret(device)).get_provisioning_uri(device.user.username, ISSUER)


def qr_svg_data_uri(uri: str) -> str:
    """The provisioning URI as an SVG QR code in a ``data:`` URI (allowed by the CSP)."""
    import segno

    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def current_step(now: dt.datetime | None = None) -> int:
    moment = now or timezone.now()
    return int(moment.timestamp()) // STEP_SECONDS


def code_for(secret: bytes, step: int) -> str:
    return _totp(secret).generate(step * STEP_SECONDS).decode()


def device_code(device: MfaDevice, step: int | None = None) -> str:
    """The code of ``device`` at ``step`` (default: now). For tests and the demo helper."""
    return code_for(_secret(device), current_step() if step is None else step)


def _matching_step(secret: bytes, code: str, now: dt.datetime) -> int | None:
    """The time-step within the drift window whose code is ``code`` (every step is compared)."""
    current = current_step(now)
    found: int | None = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_for(secret, step), code) and found is None:
            found = step
    return found


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]+", "", (code or "").strip()).lower()


# --- recovery codes ----------------------------------------------------------------------------


def _recovery_hash(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${sm3_hex((salt + code).encode())}"


def _recovery_matches(stored: str, code: str) -> bool:
    salt, _, digest = stored.partition("$")
    return hmac.compare_digest(_recovery_hash(code, salt).partition("$")[2], digest)


def _new_recovery_codes(device: MfaDevice) -> list[str]:
    """Replace the device's recovery codes; returns the plaintext (shown once)."""
    MfaRecoveryCode.objects.filter(device=device).delete()
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    MfaRecoveryCode.objects.bulk_create(
        [MfaRecoveryCode(device=device, code_hash=_recovery_hash(code)) for code in codes]
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(user: Any) -> int:
    return MfaRecoveryCode.objects.filter(device__user_id=user.pk, used_at__isnull=True).count()


# --- checking a code (shared by enrolment and verification) -----------------------------------


@dataclass
class CheckResult:
    ok: bool
    message: str = ""
    locked: bool = False
    recovery_used: bool = False
    recovery_codes: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        if self.ok:
            return 200
        return 429 if self.locked else 400


def _check(device: MfaDevice, user: User, code: str, *, allow_recovery: bool) -> CheckResult:
    """Check ``code`` against a locked-for-update device; counts failures and locks."""
    now = timezone.now()
    cfg = rules("security.mfa_failures", "security.mfa_lock_minutes")
    minutes = int(cfg["security.mfa_lock_minutes"])
    if device.locked_until is not None:
        if device.locked_until > now:
            audit_record(
                "mfa_failure", obj=user, actor=user, outcome=FAILURE, reason="动态口令验证锁定中"
            )
            return CheckResult(False, LOCKED_MESSAGE.format(minutes=minutes), locked=True)
        device.failures = 0
        device.locked_until = None

    value = _normalise(code)
    reason = "动态口令错误"
    message = WRONG_MESSAGE
    if re.fullmatch(rf"\d{{{DIGITS}}}", value):
        step = _matching_step(_secret(device), value, now)
        if step is not None and step > device.last_step:
            device.last_step = step
            device.failures = 0
            device.locked_until = None
            device.last_used_at = now
            device.save(update_fields=["last_step", "failures", "locked_until", "last_used_at"])
            return CheckResult(True)
        if step is not None:
            reason, message = "动态口令重放（已使用）", REPLAY_MESSAGE
    elif allow_recovery and re.fullmatch(rf"[a-z0-9]{{{RECOVERY_LENGTH}}}", value):
        for row in MfaRecoveryCode.objects.select_for_update().filter(
            device=device, used_at__isnull=True
        ):
            if _recovery_matches(row.code_hash, value):
                row.used_at = now
                row.save(update_fields=["used_at"])
                device.failures = 0
                device.locked_until = None
                device.last_used_at = now
                device.save(update_fields=["failures", "locked_until", "last_used_at"])
                return CheckResult(True, recovery_used=True)
        reason, message = "恢复码错误或已使用", RECOVERY_WRONG_MESSAGE
    else:
        reason, message = "格式错误", FORMAT_MESSAGE

    device.failures += 1
    lock_now = device.failures >= int(cfg["security.mfa_failures"])
    if lock_now:
        device.locked_until = now + dt.timedelta(minutes=minutes)
        message = LOCKED_MESSAGE.format(minutes=minutes)
    device.save(update_fields=["failures", "locked_until"])
    audit_record(
        "mfa_failure",
        obj=user,
        actor=user,
        outcome=FAILURE,
        reason=reason + ("，已锁定" if lock_now else ""),
        changes={"failures": device.failures},
    )
    return CheckResult(False, message, locked=lock_now)


# --- services ------------------------------------------------------------------------------------


@transaction.atomic
def mfa_enrol_begin(*, user: User) -> MfaDevice:
    """Start (or continue) binding an authenticator: a pending device with a fresh secret."""
    device = MfaDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise ValidationError("您已启用多因素认证；如需更换认证器，请联系安全管理员重置。")
    if device is None:
        device = MfaDevice(user=user)
        device.secret_sealed = seal(
            base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode(), device.secret_aad
        )
        device.save()
    return device


@transaction.atomic
def mfa_enrol_confirm(*, user: User, code: str) -> CheckResult:
    """Finish binding with a correct code; returns the ten recovery codes (shown once)."""
    device = (
        MfaDevice.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=True)
        .select_related("user")
        .first()
    )
    if device is None:
        raise ValidationError("没有待确认的认证器，请重新开始绑定。")
    result = _check(device, user, code, allow_recovery=False)
    if not result.ok:
        return result
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    result.recovery_codes = _new_recovery_codes(device)
    audit_record(
        "mfa_enrol",
        obj=user,
        actor=user,
        changes={"method": "totp", "recovery_codes": len(result.recovery_codes)},
    )
    return result


@transaction.atomic
def mfa_verify(*, user: User, code: str) -> CheckResult:
    """The second step of a login: a TOTP code or a recovery code."""
    device = (
        MfaDevice.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=False)
        .select_related("user")
        .first()
    )
    if device is None:
        raise ValidationError("您尚未启用多因素认证。")
    result = _check(device, user, code, allow_recovery=True)
    if result.ok and result.recovery_used:
        left = MfaRecoveryCode.objects.filter(device=device, used_at__isnull=True).count()
        audit_record("mfa_recovery_used", obj=user, actor=user, changes={"remaining": left})
    elif result.ok:
        audit_record("mfa_verify", obj=user, actor=user, changes={"method": "totp"})
    return result


@transaction.atomic
def mfa_recovery_regenerate(*, user: User) -> list[str]:
    """New recovery codes for an enrolled user (the old ones stop working)."""
    device = (
        MfaDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    )
    if device is None:
        raise ValidationError("您尚未启用多因素认证。")
    codes = _new_recovery_codes(device)
    audit_record("mfa_recovery_regenerate", obj=user, actor=user, changes={"count": len(codes)})
    return codes


@transaction.atomic
def mfa_reset(*, actor: Any, user: User, reason: str = "") -> None:
    """Security administrator: remove a user's authenticator; their sessions end (AUTH-07).

    The user enrols again at the next login (if MFA is required for them).
    """
    require_admin(actor, AdminRole.SECURITY)
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError("不能重置自己的多因素认证，请联系另一位安全管理员。")
    deleted, _ = MfaDevice.objects.filter(user=user).delete()
    if not deleted:
        raise ValidationError("该账户未绑定认证器。")
    audit_record("mfa_reset", obj=user, actor=actor, reason=reason or "安全管理员重置")
    _end_sessions(user=user, reason="多因素认证重置")


@transaction.atomic
def mfa_disable_own(*, user: User) -> None:
    """A user for whom MFA is optional removes their own authenticator (audited)."""
    if mfa_required(user):
        raise ValidationError("您的账户必须使用多因素认证，不能停用。")
    deleted, _ = MfaDevice.objects.filter(user=user).delete()
    if not deleted:
        raise ValidationError("您尚未启用多因素认证。")
    audit_record("mfa_reset", obj=user, actor=user, reason="本人停用多因素认证")


# --- reads ---------------------------------------------------------------------------------------


def mfa_accounts(*, actor: Any, q: str = "", status: str = "") -> Any:
    """Security administrator: accounts with their authenticator status (for the reset page)."""
    from django.db.models import Count, Q

    require_admin(actor, AdminRole.SECURITY)
    qs = User.objects.select_related("mfa_device").annotate(
        recovery_left=Count(
            "mfa_device__recovery_codes",
            filter=Q(mfa_device__recovery_codes__used_at__isnull=True),
        )
    )
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if status == "enrolled":
        qs = qs.filter(mfa_device__confirmed_at__isnull=False)
    elif status == "pending":
        qs = qs.filter(mfa_device__isnull=False, mfa_device__confirmed_at__isnull=True)
    elif status == "none":
        qs = qs.filter(mfa_device__isnull=True)
    elif status == "locked":
        qs = qs.filter(mfa_device__locked_until__gt=timezone.now())
    elif status == "admin":
        qs = qs.exclude(admin_role="")
    return qs


def mfa_account_get(*, actor: Any, pk: int) -> User:
    require_admin(actor, AdminRole.SECURITY)
    return User.objects.get(pk=pk)
