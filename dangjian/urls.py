"""Root URLs: one include per app, the JSON API, and the health check."""

import os

from django.urls import include, path

from dangjian.api import api
from dangjian.core.views import healthz

urlpatterns = [
    path("", include("dangjian.dashboard.urls")),
    path("accounts/", include("dangjian.accounts.urls")),
    path("orgs/", include("dangjian.orgs.urls")),
    path("people/", include("dangjian.people.urls")),
    path("orglife/", include("dangjian.orglife.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("development/", include("dangjian.development.urls")),
    path("todo/", include("dangjian.reminders.urls")),
    path("transfers/", include("dangjian.transfers.urls")),
    path("appraisal/", include("dangjian.appraisal.urls")),
    path("assessment/", include("dangjian.assessment.urls")),
    path("ledgers/", include("dangjian.ledgers.urls")),
    path("surveys/", include("dangjian.surveys.urls")),
    path("audit/", include("dangjian.audit.urls")),
    path("jobs/", include("dangjian.core.urls")),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
]

if os.environ.get("DANGJIAN_BENCH") == "1":  # bench/run.py only: a trivial baseline view
    urlpatterns.append(path("bench/", include("dangjian.demo.bench")))

handler400 = "dangjian.core.views.bad_request"
handler403 = "dangjian.core.views.permission_denied"
handler404 = "dangjian.core.views.page_not_found"
handler500 = "dangjian.core.views.server_error"
