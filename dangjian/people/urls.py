"""People URLs. records: list/detail/edit/reveal; io: import/export; analytics: charts."""

from django.urls import path

from dangjian.people.views import analytics, io, records  # noqa: F401

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
    # analytics (structure page, drill-down)
]
