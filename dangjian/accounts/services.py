"""Account services: login policy, passwords, sessions, the three administrators, roles.

Every write takes keyword-only arguments, runs in one transaction and leaves an audit event
(AUD-01). The numbers (lockout, expiry, timeouts) are rules read from ``core.rules``.

三员分立 (AC-05): the system administrator manages accounts (create, disable, enable, reset);
the security administrator manages roles, unlocks, sessions and the security rules; neither
can do the other's work, and an administrator account never holds a business role.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
import string
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import (
    AdminRole,
    LoginFailure,
    PasswordHistory,
    Role,
    RoleAssignment,
    User,
    UsernameLock,
    UserSession,
)
from dangjian.accounts.roles import DEPARTMENT_ROLES
from dangjian.audit.models import AuditEvent
from dangjian.audit.services import audit_record
from dangjian.core.rules import DEFAULT_RULES, rule, rules
from dangjian.core.scope import SYSTEM

INVALID_MESSAGE = "用户名或密码错误"
LOCKED_MESSAGE = "登录失败次数过多，账户已锁定 {minutes} 分钟"
THROTTLED_MESSAGE = "登录尝试过于频繁，请稍后再试"
NETWORK_MESSAGE = "管理员账户只能从指定的管理网络访问"

# Session keys set at login and read by SessionPolicyMiddleware.
LOGIN_AT = "_dj_login_at"
SEEN_AT = "_dj_seen_at"
TOUCHED_AT = "_dj_touched_at"
MFA_VERIFIED = "mfa_verified"  # = dangjian.accounts.mfa.SESSION_FLAG

FAILURE = AuditEvent.Outcome.FAILURE
DENIED = AuditEvent.Outcome.DENIED


def one_time_password(length: int = 16) -> str:
    """A random password that satisfies the composition rule (all four classes)."""
    alphabet = string.ascii_letters + string.digits + "!@#%^*-_=+"  # no "&": HTML-safe
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate


# --- permission helpers ---------------------------------------------------------------------


def is_system_actor(actor: Any) -> bool:
    return actor is None or actor is SYSTEM


def require_admin(actor: Any, admin_role: str) -> None:
    """Only ``admin_role`` (or the system itself) may continue (AC-05)."""
    if is_system_actor(actor):
        return
    if not getattr(actor, "is_authenticated", False) or actor.admin_role != admin_role:
        raise PermissionDenied("您没有执行此操作的权限。")


def admin_ip_allowed(ip: str) -> bool:
    """AC-07: administrators only from ``settings.ADMIN_NETWORKS`` (empty = anywhere)."""
    networks = settings.ADMIN_NETWORKS
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def password_expired(user: User, *, max_age_days: int | None = None) -> bool:
    """Initial/reset passwords and passwords older than the rule must be changed (AUTH-04)."""
    if user.must_change_password:
        return True
    days = int(rule("security.password_max_age_days")) if max_age_days is None else max_age_days
    if days <= 0:
        return False
    changed = user.password_changed_at or user.date_joined
    return timezone.now() >= changed + dt.timedelta(days=days)


def _set_password(user: User, raw: str) -> None:
    """Set a password, stamp it and keep it in the history (caller saves the user)."""
    user.set_password(raw)
    user.password_changed_at = timezone.now()
    user.save()
    PasswordHistory.objects.create(user=user, password=user.password)
    keep = max(int(rule("security.password_history")), 1)
    stale = list(
        PasswordHistory.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[keep:]
    )
    if stale:
        PasswordHistory.objects.filter(id__in=stale).delete()


# --- login (AUTH-05, AUTH-06, AUTH-09) ------------------------------------------------------


class LoginOutcome(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"
    THROTTLED = "throttled"
    NETWORK_DENIED = "network_denied"


@dataclass
class LoginResult:
    outcome: LoginOutcome
    message: str = ""
    user: User | None = None

    @property
    def status(self) -> int:
        return {
            LoginOutcome.OK: 200,
            LoginOutcome.INVALID: 200,
            LoginOutcome.LOCKED: 429,
            LoginOutcome.THROTTLED: 429,
            LoginOutcome.NETWORK_DENIED: 403,
        }[self.outcome]


def _ip_failure(ip: str, now: dt.datetime) -> None:
    if not ip:
        return
    LoginFailure.objects.create(ip=ip, at=now)
    LoginFailure.objects.filter(ip=ip, at__lt=now - dt.timedelta(hours=1)).delete()


def login_attempt(*, username: str, password: str, ip: str) -> LoginResult:
    """Check credentials under the lockout and throttle rules; the caller then logs in.

    Unknown usernames go through the same steps (a password hash is still computed, a lock
    is kept in ``UsernameLock``), so the answer never tells whether an account exists.
    """
    name = (username or "").strip()[:150]
    key = name.lower()
    now = timezone.now()
    cfg = rules(
        "security.lockout_failures", "security.lockout_minutes", "security.ip_failures_per_hour"
    )
    minutes = int(cfg["security.lockout_minutes"])
    locked = LoginResult(LoginOutcome.LOCKED, LOCKED_MESSAGE.format(minutes=minutes))
    invalid = LoginResult(LoginOutcome.INVALID, INVALID_MESSAGE)
    with transaction.atomic():
        if ip:
            recent = LoginFailure.objects.filter(ip=ip, at__gte=now - dt.timedelta(hours=1))
            if recent.count() >= int(cfg["security.ip_failures_per_hour"]):
                audit_record(
                    "login_failure", outcome=FAILURE, actor_name=name, reason="同一IP失败过多"
                )
                return LoginResult(LoginOutcome.THROTTLED, THROTTLED_MESSAGE)
        user = User.objects.select_for_update().filter(username__iexact=name).first()
        state: User | UsernameLock | None = user
        if user is None and key:
            state = UsernameLock.objects.select_for_update().filter(username=key).first()
        if state is not None and state.locked_until is not None:
            if state.locked_until > now:
                _ip_failure(ip, now)
                audit_record(
                    "login_failure", obj=user, outcome=FAILURE, actor_name=name, reason="账户锁定中"
                )
                return locked
            state.failed_logins = 0  # the lock has expired: start afresh
            state.locked_until = None

        if user is not None:
            ok = user.check_password(password) and user.is_active  # upgrades old hashes
        else:
            make_password(password)  # the same work as a real check (no timing oracle)
            ok = False

        if ok and user is not None:
            if user.admin_role and not admin_ip_allowed(ip):
                audit_record(
                    "login_failure", obj=user, actor=user, outcome=DENIED, reason="非管理网络"
                )
                return LoginResult(LoginOutcome.NETWORK_DENIED, NETWORK_MESSAGE)
            user.failed_logins = 0
            user.locked_until = None
            user.save(update_fields=["failed_logins", "locked_until"])
            audit_record("login_success", obj=user, actor=user)
            return LoginResult(LoginOutcome.OK, user=user)

        _ip_failure(ip, now)
        if state is None:
            state = UsernameLock(username=key)
        state.failed_logins += 1
        lock_now = state.failed_logins >= int(cfg["security.lockout_failures"])
        if lock_now:
            state.locked_until = now + dt.timedelta(minutes=minutes)
        if isinstance(state, User):
            state.save(update_fields=["failed_logins", "locked_until"])
        elif key:
            state.save()
        audit_record(
            "login_failure",
            obj=user,
            outcome=FAILURE,
            actor_name=name,
            reason="用户名或密码错误",
            changes={"failures": state.failed_logins},
        )
        if lock_now:
            audit_record(
                "lockout",
                obj=user or ("accounts.username", "", name),
                actor_name=name,
                changes={"locked_until": str(state.locked_until)},
            )
            if user is not None:
                _end_sessions(user=user, reason="账户锁定")
            return locked
        return invalid


def logout_record(*, user: Any, reason: str = "") -> None:
    """Audit a logout (the view then deletes the server session)."""
    audit_record("logout", obj=user, actor=user, reason=reason)


# --- sessions (SESS-01..06) -----------------------------------------------------------------


def session_register(
    *, user: User, session: Any, ip: str, user_agent: str, fresh: bool = True
) -> None:
    """Record a logged-in session; 三员 keep only this one (SESS-06).

    ``fresh`` (a login) starts the absolute lifetime anew; a key rotation keeps it.
    """
    now = timezone.now()
    if session.session_key is None:
        session.save()
    if fresh or not session.get(LOGIN_AT):
        session[LOGIN_AT] = now.timestamp()
    if fresh:
        session.pop(MFA_VERIFIED, None)  # every login starts without the second factor
    session[SEEN_AT] = now.timestamp()
    session[TOUCHED_AT] = now.timestamp()
    with transaction.atomic():
        UserSession.objects.update_or_create(
            session_id=session.session_key,
            defaults={
                "user": user,
                "created_at": now,
                "last_seen": now,
                "ip": ip[:45],
                "user_agent": user_agent[:300],
            },
        )
        if user.admin_role:
            _end_sessions(user=user, keep=session.session_key, reason="三员仅允许一个会话")


def session_rekey(*, user: User, session: Any, ip: str, user_agent: str) -> None:
    """After a key rotation (password change) the same login continues under the new key."""
    session_register(user=user, session=session, ip=ip, user_agent=user_agent, fresh=False)


def session_touch(*, session_key: str) -> None:
    UserSession.objects.filter(session_id=session_key).update(last_seen=timezone.now())


def sessions_clear_expired() -> int:
    """Delete expired sessions nobody presents again, with their ``UserSession`` rows (RIP-01;
    a presented one is deleted at once by the session store)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


def _end_sessions(*, user: User, keep: str | None = None, reason: str) -> int:
    """Delete every server session of ``user`` except ``keep`` (SESS-04)."""
    sessions = Session.objects.filter(user_session__user=user)
    if keep:
        sessions = sessions.exclude(pk=keep)
    keys = list(sessions.values_list("pk", flat=True))
    if not keys:
        return 0
    Session.objects.filter(pk__in=keys).delete()  # cascades to UserSession
    audit_record("session_kill", obj=user, reason=reason, changes={"sessions": len(keys)})
    return len(keys)


@transaction.atomic
def session_kill(*, actor: Any, session_key: str) -> None:
    """The security administrator ends someone's session."""
    require_admin(actor, AdminRole.SECURITY)
    row = UserSession.objects.select_related("user").filter(session_id=session_key).first()
    if row is None:
        raise ValidationError("会话不存在或已结束。")
    user = row.user
    Session.objects.filter(pk=session_key).delete()
    audit_record("session_kill", obj=user, actor=actor, reason="安全管理员终止会话")


@transaction.atomic
def session_end_own(*, user: User, session_key: str) -> None:
    """A user ends one of their own sessions ("我的会话")."""
    row = UserSession.objects.filter(session_id=session_key, user=user).first()
    if row is None:
        raise ValidationError("会话不存在或已结束。")
    Session.objects.filter(pk=session_key).delete()
    audit_record("session_kill", obj=user, actor=user, reason="本人结束会话")


# --- passwords (AUTH-02..04, AUTH-11) -------------------------------------------------------


@transaction.atomic
def password_change(*, user: User, new_password: str, current_session_key: str | None) -> None:
    """Change the user's own password; every other session of the user ends (SESS-04)."""
    validate_password(new_password, user)
    _set_password(user, new_password)
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    audit_record("password_change", obj=user, actor=user)
    _end_sessions(user=user, keep=current_session_key, reason="修改密码")


@transaction.atomic
def password_reset(*, actor: Any, user: User) -> str:
    """System administrator: random temporary password, forced change at next login."""
    require_admin(actor, AdminRole.SYSTEM)
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError("不能重置自己的密码，请使用“修改密码”。")
    secret = one_time_password()
    _set_password(user, secret)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["must_change_password", "failed_logins", "locked_until"])
    audit_record("password_reset", obj=user, actor=actor)
    _end_sessions(user=user, reason="密码重置")
    return secret


# --- accounts (system administrator) --------------------------------------------------------


@transaction.atomic
def account_create(
    *,
    actor: Any,
    username: str,
    display_name: str = "",
    admin_role: str = "",
    password: str | None = None,
    must_change_password: bool = True,
    is_demo: bool = False,
) -> tuple[User, str]:
    """Create an account; returns it with its (one-time, unless given) password."""
    require_admin(actor, AdminRole.SYSTEM)
    username = username.strip()
    if not username:
        raise ValidationError("用户名不能为空。")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError("用户名已存在（不区分大小写）。")
    if admin_role and admin_role not in AdminRole.values:
        raise ValidationError("未知的三员角色。")
    if admin_role and not is_system_actor(actor):
        raise PermissionDenied("三员账户只能由系统初始化创建。")
    secret = password or one_time_password()
    user = User(
        username=username,
        display_name=display_name,
        admin_role=admin_role,
        must_change_password=must_change_password,
        is_demo=is_demo,
    )
    _set_password(user, secret)
    audit_record(
        "account_create",
        obj=user,
        actor=actor,
        changes={"username": [None, username], "admin_role": [None, admin_role]},
    )
    return user, secret


@transaction.atomic
def account_disable(*, actor: Any, user: User, reason: str = "") -> None:
    require_admin(actor, AdminRole.SYSTEM)
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError("不能停用自己的账户。")
    if not user.is_active:
        raise ValidationError("该账户已停用。")
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_record(
        "account_disable", obj=user, actor=actor, reason=reason, changes={"is_active": [1, 0]}
    )
    _end_sessions(user=user, reason="账户停用")


@transaction.atomic
def account_enable(*, actor: Any, user: User) -> None:
    require_admin(actor, AdminRole.SYSTEM)
    if user.is_active:
        raise ValidationError("该账户已处于启用状态。")
    user.is_active = True
    user.enabled_at = timezone.now()
    user.save(update_fields=["is_active", "enabled_at"])
    audit_record("account_enable", obj=user, actor=actor, changes={"is_active": [0, 1]})


@transaction.atomic
def account_unlock(*, actor: Any, user: User) -> None:
    """Security administrator only (AUTH-05)."""
    require_admin(actor, AdminRole.SECURITY)
    if not user.locked_until and not user.failed_logins:
        raise ValidationError("该账户未被锁定。")
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["failed_logins", "locked_until"])
    audit_record("unlock", obj=user, actor=actor)


@transaction.atomic
def disable_inactive(*, actor: Any = SYSTEM) -> list[User]:
    """AC-06: disable accounts unused for ``security.inactive_account_days`` days."""
    days = int(rule("security.inactive_account_days"))
    cutoff = timezone.now() - dt.timedelta(days=days)
    disabled: list[User] = []
    for user in User.objects.select_for_update().filter(is_active=True).order_by("pk"):
        last_used = max(
            moment
            for moment in (user.last_login, user.date_joined, user.enabled_at)
            if moment is not None
        )
        if last_used > cutoff:
            continue
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(
            "account_disable",
            obj=user,
            actor=actor,
            reason=f"超过 {days} 天未使用，自动停用",
            changes={"is_active": [1, 0]},
        )
        _end_sessions(user=user, reason="账户停用")
        disabled.append(user)
    return disabled


# --- roles and the three administrators (security administrator) ---------------------------


@transaction.atomic
def role_grant(
    *,
    actor: Any,
    user: User,
    role: Role,
    party_org: Any = None,
    department: Any = None,
) -> RoleAssignment:
    """Grant a business role at an organisation node; never to an administrator (AC-05)."""
    require_admin(actor, AdminRole.SECURITY)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.admin_role:
        raise ValidationError("三员账户不能被授予业务角色（三员分立）。")
    if not user.is_active:
        raise ValidationError("该账户已停用，不能授权。")
    if role.scope_kind == Role.ScopeKind.SUBTREE and party_org is None:
        raise ValidationError("该角色须指定组织节点。")
    if role.code in DEPARTMENT_ROLES and department is None:
        raise ValidationError("部门角色须指定政工部门。")
    if role.code not in DEPARTMENT_ROLES:
        department = None
    duplicate = RoleAssignment.objects.filter(
        user=user, role=role, party_org=party_org, department=department
    )
    if duplicate.exists():
        raise ValidationError("该授权已存在。")
    assignment = RoleAssignment.objects.create(
        user=user,
        role=role,
        party_org=party_org,
        department=department,
        granted_by=getattr(actor, "username", "system"),
    )
    audit_record(
        "role_grant",
        obj=assignment,
        actor=actor,
        changes={
            "user": [None, user.username],
            "role": [None, role.code],
            "party_org": [None, str(party_org) if party_org else None],
            "department": [None, str(department) if department else None],
        },
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: Any, assignment: RoleAssignment) -> None:
    require_admin(actor, AdminRole.SECURITY)
    changes = {
        "user": [assignment.user.username, None],
        "role": [assignment.role.code, None],
        "party_org": [str(assignment.party_org) if assignment.party_org else None, None],
    }
    audit_record("role_revoke", obj=assignment, actor=actor, changes=changes)
    assignment.delete()


@transaction.atomic
def admin_role_set(*, actor: Any, user: User, admin_role: str) -> None:
    """Make an account one of the three administrators (or clear it); refuses business roles."""
    require_admin(actor, AdminRole.SECURITY)
    if admin_role and admin_role not in AdminRole.values:
        raise ValidationError("未知的三员角色。")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError("不能修改自己的三员角色。")
    if admin_role and RoleAssignment.objects.filter(user=user).exists():
        raise ValidationError("该账户持有业务角色，不能同时担任三员（三员分立）。")
    if admin_role and user.is_superuser:
        raise ValidationError("超级用户不能担任三员。")
    before = user.admin_role
    user.admin_role = admin_role
    user.save(update_fields=["admin_role"])
    audit_record(
        "permission_change", obj=user, actor=actor, changes={"admin_role": [before, admin_role]}
    )
    _end_sessions(user=user, reason="三员角色变更")


# --- security rules (security administrator) ------------------------------------------------

# key: (minimum, maximum) — the bounds SECURITY.md and the law allow.
RULE_BOUNDS: dict[str, tuple[int, int]] = {
    "security.password_min_length": (8, 128),
    "security.password_min_classes": (3, 4),
    "security.password_max_age_days": (1, 365),
    "security.password_history": (1, 24),
    "security.lockout_failures": (3, 10),
    "security.lockout_minutes": (1, 24 * 60),
    "security.ip_failures_per_hour": (10, 100_000),
    "security.idle_timeout_minutes": (1, 30),
    "security.absolute_session_hours": (1, 12),
    "security.inactive_account_days": (1, 365),
    "security.audit_retention_days": (184, 36_500),
    "security.mfa_failures": (3, 10),
    "security.mfa_lock_minutes": (1, 24 * 60),
    "security.reveal_alert_per_hour": (1, 100_000),
    "security.export_alert_per_hour": (1, 100_000),
    "security.exports_per_hour": (1, 100_000),
}
TRUE_WORDS = {"1", "true", "yes", "on", "是"}
FALSE_WORDS = {"0", "false", "no", "off", "否"}


@transaction.atomic
def security_rule_update(*, actor: Any, key: str, value: str) -> Any:
    """Change one security rule; audited as ``rule_change``."""
    from dangjian.core.models import Rule

    require_admin(actor, AdminRole.SECURITY)
    if key not in DEFAULT_RULES or DEFAULT_RULES[key][0] != "security":
        raise ValidationError("未知的安全参数。")
    default = DEFAULT_RULES[key][2]
    new: Any
    if isinstance(default, bool):  # switches such as security.mfa_required
        word = str(value).strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise ValidationError("请输入 是 或 否（1 或 0）。")
        new = word in TRUE_WORDS
    else:
        try:
            new = float(value) if isinstance(default, float) else int(str(value).strip())
        except ValueError as exc:
            raise ValidationError("请输入数字。") from exc
    low, high = RULE_BOUNDS.get(key, (0, 10**9))
    if not isinstance(new, bool) and (new < low or new > high):
        if key == "security.audit_retention_days" and new < low:
            raise ValidationError("审计日志保留天数不得低于 184 天（网络安全法）。")
        raise ValidationError(f"取值须在 {low} 到 {high} 之间。")
    category, name, _default, unit, source = DEFAULT_RULES[key]
    row, _ = Rule.objects.select_for_update().get_or_create(
        key=key,
        defaults={
            "category": category,
            "name": name,
            "value": default,
            "unit": unit,
            "source": source,
        },
    )
    before = row.value
    if before == new:
        return new
    row.value = new
    row.save(update_fields=["value", "updated_at"])
    audit_record("rule_change", obj=row, actor=actor, changes={key: [before, new]})
    return new
