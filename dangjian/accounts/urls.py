from django.urls import path

from dangjian.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("sessions/", views.my_sessions, name="my_sessions"),
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
]
