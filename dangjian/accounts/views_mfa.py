"""Pages of the second factor: enrolment, the code step after the password, own settings, and
the security administrator's reset page. Every rule lives in ``accounts.mfa``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import mfa, services
from dangjian.accounts.models import AdminRole, User
from dangjian.accounts.views import _agent, _errors, _ip, admin_only
from dangjian.core.listing import paginate_sorted


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _mark_verified(request: HttpRequest, user: User) -> None:
    """The session passed the second factor: new session key, flag set (SESS-03)."""
    request.session.cycle_key()
    mfa.mark_verified(request.session)
    services.session_rekey(
        user=user, session=request.session, ip=_ip(request), user_agent=_agent(request)
    )


def _recovery_page(
    request: HttpRequest, codes: list[str], title: str, next_url: str
) -> HttpResponse:
    return _no_store(
        render(
            request,
            "accounts/mfa_recovery_codes.html",
            {
                "codes": codes,
                "title": title,
                "next": next_url or reverse("dashboard:home"),
                "breadcrumbs": [("多因素认证", reverse("accounts:mfa_settings")), (title, None)],
            },
        )
    )


@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The code step after the password (TOTP or a recovery code)."""
    user = _user(request)
    next_url = _next(request)
    if request.session.get(mfa.SESSION_FLAG):
        return HttpResponseRedirect(next_url or reverse("dashboard:home"))
    if not mfa.is_enrolled(user):
        return redirect("accounts:mfa_enrol")
    error, status = "", 200
    if request.method == "POST":
        try:
            result = mfa.mfa_verify(user=user, code=request.POST.get("code", ""))
        except ValidationError:
            return redirect("accounts:mfa_enrol")
        if result.ok:
            _mark_verified(request, user)
            if result.recovery_used:
                left = mfa.recovery_codes_left(user)
                messages.warning(
                    request, f"已使用一个恢复码，还剩 {left} 个。恢复码用完前请及时重新生成。"
                )
            return HttpResponseRedirect(next_url or reverse("dashboard:home"))
        error, status = result.message, result.status
    return render(
        request,
        "accounts/mfa_verify.html",
        {"error": error, "next": next_url, "use_recovery": request.POST.get("kind") == "recovery"},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app: QR code and secret, completed only by a correct code."""
    user = _user(request)
    next_url = _next(request)
    if mfa.is_enrolled(user):
        if request.session.get(mfa.SESSION_FLAG):
            messages.info(request, "您已启用多因素认证。")
            return redirect("accounts:mfa_settings")
        url = reverse("accounts:mfa_verify")
        return HttpResponseRedirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)
    device = mfa.mfa_enrol_begin(user=user)
    error, status = "", 200
    if request.method == "POST":
        result = mfa.mfa_enrol_confirm(user=user, code=request.POST.get("code", ""))
        if result.ok:
            _mark_verified(request, user)
            return _recovery_page(request, result.recovery_codes, "多因素认证已启用", next_url)
        error, status = result.message, result.status
    uri = mfa.provisioning_uri(device)
    return _no_store(
        render(
            request,
            "accounts/mfa_enrol.html",
            {
                "qr": mfa.qr_svg_data_uri(uri),
                "uri": uri,
                "secret": mfa.secret_text(device),
                "error": error,
                "next": next_url,
                "required": mfa.mfa_required(user),
            },
            status=status,
        )
    )


@require_http_methods(["GET"])
def mfa_settings(request: HttpRequest) -> HttpResponse:
    """Own status: enrolled or not, recovery codes left, regenerate, (optional) switch off."""
    user = _user(request)
    device = mfa.confirmed_device(user)
    return render(
        request,
        "accounts/mfa_settings.html",
        {
            "device": device,
            "required": mfa.mfa_required(user),
            "recovery_left": mfa.recovery_codes_left(user) if device else 0,
            "breadcrumbs": [("多因素认证", None)],
        },
    )


@require_POST
def mfa_recovery(request: HttpRequest) -> HttpResponse:
    try:
        codes = mfa.mfa_recovery_regenerate(user=_user(request))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("accounts:mfa_settings")
    return _recovery_page(request, codes, "新的恢复码", reverse("accounts:mfa_settings"))


@require_POST
def mfa_disable(request: HttpRequest) -> HttpResponse:
    try:
        mfa.mfa_disable_own(user=_user(request))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        request.session.pop(mfa.SESSION_FLAG, None)
        messages.success(request, "已停用多因素认证。")
    return redirect("accounts:mfa_settings")


# --- security administrator ----------------------------------------------------------------


@admin_only(AdminRole.SECURITY)
@require_http_methods(["GET"])
def mfa_admin(request: HttpRequest) -> HttpResponse:
    qs = mfa.mfa_accounts(
        actor=request.user,
        q=request.GET.get("q", "").strip(),
        status=request.GET.get("status", ""),
    )
    listing = paginate_sorted(
        request,
        qs,
        sortable={
            "username": "username",
            "enrolled": "mfa_device__confirmed_at",
            "used": "mfa_device__last_used_at",
        },
        default_sort="username",
    )
    context = {
        "listing": listing,
        "q": request.GET.get("q", ""),
        "status": request.GET.get("status", ""),
        "now": timezone.now(),
        "breadcrumbs": [("多因素认证管理", None)],
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "accounts/mfa_admin.html#mfa-table", context)
    return render(request, "accounts/mfa_admin.html", context)


@admin_only(AdminRole.SECURITY)
@require_POST
def mfa_admin_reset(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        user = mfa.mfa_account_get(actor=request.user, pk=pk)
    except User.DoesNotExist as exc:
        raise Http404 from exc
    try:
        mfa.mfa_reset(actor=request.user, user=user, reason=request.POST.get("reason", "")[:200])
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"已重置 {user.username} 的多因素认证，其全部会话已结束。")
    return redirect("accounts:mfa_admin")
