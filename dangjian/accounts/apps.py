from typing import Any

from django.apps import AppConfig


def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Every login (form, test client, API session) registers its server session (SESS-04/06)."""
    from dangjian.accounts import services

    if request is None or not hasattr(request, "session"):
        return
    meta = getattr(request, "META", {}) or {}
    services.session_register(
        user=user,
        session=request.session,
        ip=getattr(request, "client_ip", None) or meta.get("REMOTE_ADDR", "") or "",
        user_agent=meta.get("HTTP_USER_AGENT", "") or "",
    )


class AccountsConfig(AppConfig):
    name = "dangjian.accounts"
    label = "accounts"
    verbose_name = "账户与权限"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from dangjian.accounts import checks, periodic  # noqa: F401  (periodic: jobs)

        checks.register()
        user_logged_in.connect(_on_login, dispatch_uid="dangjian.accounts.session_register")
