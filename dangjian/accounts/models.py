"""Accounts, roles bound to organisation nodes, password history, API tokens.

Business roles (``Role``) are data: which permissions, and whether they reach a subtree, the
whole organisation or only the holder's own person. The three administrators (三员) are a
single ``admin_role`` field, so no account can hold two of them (AC-05), and they hold no
business role.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.models import Session
from django.db import models
from django.db.models.functions import Lower

from dangjian.core.scope import Grant
from dangjian.core.statements import Statement


class AdminRole(models.TextChoices):
    SYSTEM = "system", "系统管理员"
    SECURITY = "security", "安全管理员"
    AUDIT = "audit", "审计管理员"


class CaseInsensitiveUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username__iexact=username)


class User(AbstractUser):
    admin_role = models.CharField(
        "三员角色", max_length=10, choices=AdminRole.choices, blank=True, default=""
    )
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    failed_logins = models.PositiveSmallIntegerField("连续失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)
    display_name = models.CharField("姓名", max_length=40, blank=True)
    is_demo = models.BooleanField("演示账户", default=False)
    enabled_at = models.DateTimeField("最近启用时间", null=True, blank=True)

    objects = CaseInsensitiveUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = "账户"
        verbose_name_plural = "账户"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_admin_role(self) -> bool:
        return bool(self.admin_role)

    def scope_grants(self) -> list[Grant]:
        """Business grants, read fresh from the database (AC-08: no cached grants)."""
        if not self.is_active:
            return []
        if self.admin_role == AdminRole.SYSTEM:
            from dangjian.accounts.roles import SYSTEM_ADMIN_PERMISSIONS

            return [Grant("system_admin", frozenset(SYSTEM_ADMIN_PERMISSIONS), "all")]
        if self.admin_role:
            return []
        grants: list[Grant] = []
        # one query of plain values: the assignments with the user's employee record id
        assignments = _GRANTS.rows(self.pk)
        person_id = assignments[0][5] if assignments else None
        # the menu's profile (core.registries.nav_profile); without any assignment no entry
        # that needs an employee record is visible, whether one is linked or not
        self._scope_person_id = person_id
        for code, scope_kind, permissions, org_path, domain, _ in assignments:
            perms = frozenset(permissions)
            if scope_kind == Role.ScopeKind.SELF:
                if person_id:
                    grants.append(
                        Grant(code, perms, "self", org_path=org_path or "", person_id=person_id)
                    )
            elif scope_kind == Role.ScopeKind.ALL:
                grants.append(Grant(code, perms, "all"))
            elif org_path is not None:
                domains = frozenset({domain}) if domain is not None else frozenset()
                grants.append(Grant(code, perms, "subtree", org_path=org_path, domains=domains))
        return grants

    def role_codes(self) -> set[str]:
        return set(self.role_assignments.values_list("role__code", flat=True))


class Role(models.Model):
    class ScopeKind(models.TextChoices):
        SUBTREE = "subtree", "所在组织及下级"
        ALL = "all", "全部"
        SELF = "self", "本人"

    code = models.CharField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    scope_kind = models.CharField("数据范围", max_length=10, choices=ScopeKind.choices)
    permissions = models.JSONField("权限", default=list)
    description = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A business role held at one organisation node (and, for department staff, a domain)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    party_org = models.ForeignKey(
        "orgs.PartyOrg",
        verbose_name="组织节点",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name="部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "party_org", "department"], name="accounts_assignment_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.party_org_id}"


class PasswordHistory(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=256)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at}"


class ApiToken(models.Model):
    """Bearer token for the API; only an SM3 hash of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("名称", max_length=60, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API令牌"
        verbose_name_plural = "API令牌"

    def __str__(self) -> str:
        return f"{self.prefix}…"


class LoginFailure(models.Model):
    """Failed logins per client IP, for the per-IP throttle (AUTH-06)."""

    ip = models.GenericIPAddressField()
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["ip", "at"], name="accounts_loginfail_ip_at")]

    def __str__(self) -> str:
        return f"{self.ip} @ {self.at}"


class UsernameLock(models.Model):
    """Failure counter and lock for usernames that have no account (AUTH-05).

    Unknown usernames lock exactly like real ones, so that responses never reveal which
    usernames exist. Real accounts keep their counter on ``User`` itself.
    """

    username = models.CharField(max_length=150, unique=True)  # lower-cased
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.username


class UserSession(models.Model):
    """One server session of a user, so that sessions can be listed and ended (SESS-04/06).

    Deleting the session row (logout, kill, expiry clean-up) deletes this row with it.
    """

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, primary_key=True, related_name="user_session"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField("登录时间")
    last_seen = models.DateTimeField("最近活动")
    ip = models.CharField("IP", max_length=45, blank=True)
    user_agent = models.CharField("客户端", max_length=300, blank=True)

    class Meta:
        verbose_name = "会话"
        verbose_name_plural = "会话"
        indexes = [models.Index(fields=["user", "created_at"], name="accounts_session_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.session_id[:6]}…"

    @property
    def session_key(self) -> str:
        return str(self.session_id)


class MfaDevice(models.Model):
    """A user's TOTP authenticator (AUTH-07/08); the secret is sealed with SM4-GCM.

    ``confirmed_at`` is empty while enrolment waits for the first correct code. ``last_step``
    is the last accepted TOTP time-step: a code of that step or an earlier one is a replay.
    ``failures``/``locked_until`` throttle the OTP step (rules ``security.mfa_failures`` and
    ``security.mfa_lock_minutes``).
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="mfa_device")
    secret_sealed = models.BinaryField("密钥(密文)", editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    confirmed_at = models.DateTimeField("启用时间", null=True, blank=True)
    last_step = models.BigIntegerField("最近使用的时间步", default=0)
    last_used_at = models.DateTimeField("最近验证时间", null=True, blank=True)
    failures = models.PositiveSmallIntegerField("连续错误次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)

    class Meta:
        verbose_name = "多因素认证器"
        verbose_name_plural = "多因素认证器"

    def __str__(self) -> str:
        return f"{self.user_id} {'已启用' if self.confirmed_at else '待确认'}"

    @property
    def secret_aad(self) -> str:
        return f"accounts.mfadevice:{self.user_id}:secret"


class MfaRecoveryCode(models.Model):
    """One single-use recovery code, stored as ``salt$SM3(salt || code)`` (AUTH-08)."""

    device = models.ForeignKey(MfaDevice, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=100)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "恢复码"
        verbose_name_plural = "恢复码"

    def __str__(self) -> str:
        return f"{self.device_id} {'已用' if self.used_at else '未用'}"


# The grants read of every request, compiled once (core.statements): read fresh each time.
_GRANTS = Statement(
    lambda user_id: (
        RoleAssignment.objects.filter(user_id=user_id)
        .order_by("pk")
        .values_list(
            "role__code",
            "role__scope_kind",
            "role__permissions",
            "party_org__path",
            "department__domain",
            "user__person__id",
        )
    )
)
