from django.urls import path

from dangjian.accounts import views, views_mfa

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("sessions/", views.my_sessions, name="my_sessions"),
    # second factor (AUTH-07/08)
    path("mfa/", views_mfa.mfa_settings, name="mfa_settings"),
    path("mfa/verify/", views_mfa.mfa_verify, name="mfa_verify"),
    path("mfa/enrol/", views_mfa.mfa_enrol, name="mfa_enrol"),
    path("mfa/recovery/", views_mfa.mfa_recovery, name="mfa_recovery"),
    path("mfa/disable/", views_mfa.mfa_disable, name="mfa_disable"),
    # system administrator
    path("admin/users/", views.account_list, name="account_list"),
    path("admin/users/new/", views.account_create, name="account_create"),
    path("admin/users/<int:pk>/disable/", views.account_disable, name="account_disable"),
    path("admin/users/<int:pk>/enable/", views.account_enable, name="account_enable"),
    path(
        "admin/users/<int:pk>/reset-password/",
        views.account_reset_password,
        name="account_reset_password",
    ),
    # security administrator
    path("security/roles/", views.role_assignments, name="role_assignments"),
    path("security/roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("security/locks/", views.account_locks, name="account_locks"),
    path("security/sessions/", views.session_admin, name="session_admin"),
    path("security/rules/", views.security_rules, name="security_rules"),
    path("security/mfa/", views_mfa.mfa_admin, name="mfa_admin"),
    path("security/mfa/<int:pk>/reset/", views_mfa.mfa_admin_reset, name="mfa_admin_reset"),
]
