"""Member development URLs: pipeline, overview, timeline, step forms, documents, rules, export."""

from django.urls import path

from dangjian.development import views

app_name = "development"
urlpatterns: list = [
    path("", views.pipeline, name="pipeline"),
    path("overview/", views.overview, name="overview"),
    path("new/", views.case_open, name="open"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/step/", views.step_complete, name="step"),
    path("<int:pk>/<str:action>/", views.case_action, name="action"),
    path("documents/<uuid:uid>/", views.document_download, name="document"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("export/", views.export, name="export"),
    path("export/<uuid:uid>/", views.export_job, name="export_job"),
]
