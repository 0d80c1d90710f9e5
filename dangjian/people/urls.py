"""People URLs. records: list/detail/edit/reveal; io: import/export; analytics: charts."""

from django.urls import path

from dangjian.people.views import analytics, io, records

app_name = "people"
urlpatterns: list = [
    # records (list, detail, create, edit, reveal, history)
    path("", records.person_list_view, name="list"),
    path("new/", records.person_create, name="create"),
    path("validate/", records.person_validate, name="validate"),
    path("<int:pk>/", records.person_detail, name="detail"),
    path("<int:pk>/edit/", records.person_edit, name="edit"),
    path("<int:pk>/reveal/", records.person_reveal, name="reveal"),
    # io (import template, import upload, import job, export start)
    path("import/", io.import_upload, name="import"),
    path("import/template/", io.import_template, name="import_template"),
    path("import/<uuid:uid>/", io.import_job, name="import_job"),
    path("export/", io.export, name="export"),
    path("export/<uuid:uid>/", io.export_job, name="export_job"),
    # analytics (structure page, drill-down)
    path("analytics/", analytics.analytics_page, name="analytics"),
    path("analytics/export/", analytics.analytics_export, name="analytics_export"),
]
