"""Organisational-life URLs."""

from django.urls import path

from dangjian.orglife import views

app_name = "orglife"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("export/", views.meeting_export, name="export"),
    path("upcoming/", views.meeting_upcoming, name="upcoming"),
    path("new/", views.meeting_create, name="create"),
    path("compliance/", views.compliance_board, name="compliance"),
    path("types/", views.type_list, name="types"),
    path("types/<int:pk>/edit/", views.type_edit, name="type_edit"),
    path("signin/<str:token>/", views.signin, name="signin"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/notify/", views.meeting_notify, name="notify"),
    path("<int:pk>/minutes/", views.meeting_minutes, name="minutes"),
    path("<int:pk>/attendance/", views.attendance_mark, name="attendance"),
    path("<int:pk>/upload/", views.meeting_upload, name="upload"),
    path("<int:pk>/signin-screen/", views.meeting_signin_screen, name="signin_screen"),
    path("<int:pk>/qr.svg", views.meeting_qr, name="qr"),
    path("<int:pk>/files/<int:file_pk>/", views.meeting_file, name="file"),
    path("<int:pk>/<slug:action>/", views.meeting_transition, name="transition"),
]
