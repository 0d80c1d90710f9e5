"""Login, logout, password change, own sessions, and the two administrators' pages.

Views parse input, call a service or selector and render; every rule is in ``services``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import selectors, services
from dangjian.accounts.forms import AccountCreateForm, LoginForm, RoleGrantForm
from dangjian.accounts.models import AdminRole, User
from dangjian.core.listing import paginate_sorted

EXPIRED_NOTICES = {
    "idle": "您已长时间未操作，为保护数据安全已自动退出，请重新登录。",
    "absolute": "本次登录已超过最长时限，请重新登录。",
}


def _ip(request: HttpRequest) -> str:
    return getattr(request, "client_ip", None) or request.META.get("REMOTE_ADDR", "")


def _agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:300]


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def admin_only(role: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Every administrator page answers 403 to everybody else (AC-05)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request.user, "admin_role", "") != role:
                raise PermissionDenied("仅限" + AdminRole(role).label + "访问。")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- login / logout -------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    notice = EXPIRED_NOTICES.get(request.GET.get("expired", ""), "")
    form = LoginForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result = services.login_attempt(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=_ip(request),
            )
            if result.user is not None:
                login(request, result.user)  # new session key (SESS-03); registers the session
                if services.password_expired(result.user):
                    return redirect("accounts:password_change")
                return HttpResponseRedirect(next_url or reverse("dashboard:home"))
            error, status = result.message, result.status
        else:
            error = "请输入用户名和密码。"
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "notice": notice, "next": next_url},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "accounts/logout.html")
    services.logout_record(user=request.user)
    logout(request)  # deletes the server session (RIP-01)
    response = HttpResponseRedirect(reverse("accounts:login"))
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


# --- own password and sessions -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=user,
                new_password=form.cleaned_data["new_password1"],
                current_session_key=request.session.session_key,
            )
        except ValidationError as exc:
            form.add_error("new_password2", exc)
        else:
            update_session_auth_hash(request, user)  # keeps this session, under a new key
            services.session_rekey(
                user=user, session=request.session, ip=_ip(request), user_agent=_agent(request)
            )
            messages.success(request, "密码已修改，其他设备上的登录已退出。")
            return redirect("dashboard:home")
    return render(
        request,
        "accounts/password_change.html",
        {
            "form": form,
            "must_change": services.password_expired(user),
            "breadcrumbs": [("修改密码", None)],
        },
    )


@require_http_methods(["GET", "POST"])
def my_sessions(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        key = request.POST.get("session", "")
        try:
            services.session_end_own(user=request.user, session_key=key)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            if key == request.session.session_key:
                return HttpResponseRedirect(reverse("accounts:login"))
            messages.success(request, "会话已结束。")
        return redirect("accounts:my_sessions")
    return render(
        request,
        "accounts/my_sessions.html",
        {
            "sessions": selectors.own_sessions(user=request.user),
            "current": request.session.session_key,
            "breadcrumbs": [("我的会话", None)],
        },
    )


# --- system administrator: accounts --------------------------------------------------------


@admin_only(AdminRole.SYSTEM)
def account_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.account_list(
        actor=request.user,
        q=request.GET.get("q", "").strip(),
        status=request.GET.get("status", ""),
        kind=request.GET.get("kind", ""),
    )
    listing = paginate_sorted(
        request,
        qs,
        sortable={
            "username": "username",
            "name": "display_name",
            "last_login": "last_login",
            "joined": "date_joined",
        },
        default_sort="username",
    )
    context = {
        "listing": listing,
        "q": request.GET.get("q", ""),
        "status": request.GET.get("status", ""),
        "kind": request.GET.get("kind", ""),
        "now": timezone.now(),
        "breadcrumbs": [("账户管理", None)],
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "accounts/account_list.html#account-table", context)
    return render(request, "accounts/account_list.html", context)


@admin_only(AdminRole.SYSTEM)
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    form = AccountCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, secret = services.account_create(
                actor=request.user,
                username=form.cleaned_data["username"],
                display_name=form.cleaned_data["display_name"],
            )
        except ValidationError as exc:
            form.add_error("username", exc)
        else:
            return _one_time_password_page(request, user, secret, "账户已创建")
    return render(
        request,
        "accounts/account_form.html",
        {
            "form": form,
            "breadcrumbs": [("账户管理", reverse("accounts:account_list")), ("新建", None)],
        },
    )


def _one_time_password_page(
    request: HttpRequest, user: User, secret: str, title: str
) -> HttpResponse:
    """Shown once, never stored in clear: the response must not be cached (no-store)."""
    response = render(
        request,
        "accounts/one_time_password.html",
        {
            "account": user,
            "secret": secret,
            "title": title,
            "breadcrumbs": [("账户管理", reverse("accounts:account_list")), (title, None)],
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def _account(request: HttpRequest, pk: int, role: str = AdminRole.SYSTEM) -> User:
    try:
        return selectors.account_get(actor=request.user, pk=pk, admin_role=role)
    except User.DoesNotExist as exc:
        raise Http404 from exc


@admin_only(AdminRole.SYSTEM)
@require_POST
def account_disable(request: HttpRequest, pk: int) -> HttpResponse:
    user = _account(request, pk)
    try:
        services.account_disable(
            actor=request.user, user=user, reason=request.POST.get("reason", "")[:200]
        )
        messages.success(request, f"账户 {user.username} 已停用，其全部会话已结束。")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("accounts:account_list")


@admin_only(AdminRole.SYSTEM)
@require_POST
def account_enable(request: HttpRequest, pk: int) -> HttpResponse:
    user = _account(request, pk)
    try:
        services.account_enable(actor=request.user, user=user)
        messages.success(request, f"账户 {user.username} 已启用。")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("accounts:account_list")


@admin_only(AdminRole.SYSTEM)
@require_POST
def account_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = _account(request, pk)
    try:
        secret = services.password_reset(actor=request.user, user=user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("accounts:account_list")
    return _one_time_password_page(request, user, secret, "密码已重置")


# --- security administrator ----------------------------------------------------------------


def _grant_form(request: HttpRequest, data: Any = None) -> RoleGrantForm:
    actor = request.user
    return RoleGrantForm(
        data,
        users=selectors.grantable_users(actor=actor),
        roles=selectors.role_choices(actor=actor),
        orgs=selectors.org_choices(actor=actor),
        departments=selectors.department_choices(actor=actor),
    )


@admin_only(AdminRole.SECURITY)
@require_http_methods(["GET", "POST"])
def role_assignments(request: HttpRequest) -> HttpResponse:
    form = _grant_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.role_grant(
                actor=request.user,
                user=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
                party_org=form.cleaned_data["party_org"],
                department=form.cleaned_data["department"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "授权成功，立即生效。")
            return redirect("accounts:role_assignments")
    qs = selectors.assignment_list(
        actor=request.user,
        q=request.GET.get("q", "").strip(),
        role=request.GET.get("role", ""),
    )
    listing = paginate_sorted(
        request,
        qs,
        sortable={"user": "user__username", "role": "role__name", "granted": "granted_at"},
        default_sort="user",
    )
    return render(
        request,
        "accounts/role_assignments.html",
        {
            "form": form,
            "listing": listing,
            "roles": selectors.role_choices(actor=request.user),
            "q": request.GET.get("q", ""),
            "role": request.GET.get("role", ""),
            "breadcrumbs": [("角色授权", None)],
        },
        status=400 if request.method == "POST" else 200,
    )


@admin_only(AdminRole.SECURITY)
@require_POST
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    qs = selectors.assignment_list(actor=request.user)
    assignment = qs.filter(pk=pk).first()
    if assignment is None:
        raise Http404
    services.role_revoke(actor=request.user, assignment=assignment)
    messages.success(request, "已撤销授权，立即生效。")
    return redirect("accounts:role_assignments")


@admin_only(AdminRole.SECURITY)
@require_http_methods(["GET", "POST"])
def account_locks(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user = _account(request, int(request.POST.get("user", "0") or 0), AdminRole.SECURITY)
        try:
            services.account_unlock(actor=request.user, user=user)
            messages.success(request, f"账户 {user.username} 已解锁。")
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        return redirect("accounts:account_locks")
    return render(
        request,
        "accounts/account_locks.html",
        {
            "accounts": selectors.locked_accounts(actor=request.user)[:200],
            "breadcrumbs": [("账户解锁", None)],
        },
    )


@admin_only(AdminRole.SECURITY)
@require_http_methods(["GET", "POST"])
def session_admin(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            services.session_kill(actor=request.user, session_key=request.POST.get("session", ""))
            messages.success(request, "会话已终止。")
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        return redirect("accounts:session_admin")
    qs = selectors.all_sessions(actor=request.user, q=request.GET.get("q", "").strip())
    listing = paginate_sorted(
        request,
        qs,
        sortable={"user": "user__username", "seen": "last_seen", "created": "created_at"},
        default_sort="-seen",
    )
    return render(
        request,
        "accounts/session_admin.html",
        {
            "listing": listing,
            "q": request.GET.get("q", ""),
            "current": request.session.session_key,
            "breadcrumbs": [("会话管理", None)],
        },
    )


@admin_only(AdminRole.SECURITY)
@require_http_methods(["GET", "POST"])
def security_rules(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        key = request.POST.get("key", "")
        try:
            services.security_rule_update(
                actor=request.user, key=key, value=request.POST.get("value", "")
            )
        except ValidationError as exc:
            errors[key] = _errors(exc)
        else:
            messages.success(request, "安全参数已保存。")
            return redirect("accounts:security_rules")
    return render(
        request,
        "accounts/security_rules.html",
        {
            "rules": selectors.security_rules(actor=request.user),
            "errors": errors,
            "breadcrumbs": [("安全参数", None)],
        },
        status=400 if errors else 200,
    )
