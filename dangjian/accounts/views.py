"""Login, logout and password change (the policy lives in services)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseBase

login_view = login_not_required(auth_views.LoginView.as_view(template_name="accounts/login.html"))


def logout_view(request: HttpRequest) -> HttpResponseBase:
    return auth_views.LogoutView.as_view()(request)


password_change_view = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change.html", success_url="/"
)
