"""People URLs. records: list/detail/edit/reveal; io: import/export; analytics: charts."""

from django.urls import path  # noqa: F401

from dangjian.people.views import analytics, io, records  # noqa: F401

app_name = "people"
urlpatterns: list = [
    # records (list, detail, create, edit, reveal, history)
    # io (import template, import upload, import job, export start)
    # analytics (structure page, drill-down)
]
