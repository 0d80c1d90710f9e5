"""URLs of the assessment engine, one list per views module."""

from dangjian.assessment.views import annual, reports, results, rounds, schemes, sheets

app_name = "assessment"

urlpatterns = [
    *schemes.urlpatterns,
    *rounds.urlpatterns,
    *sheets.urlpatterns,
    *results.urlpatterns,
    *reports.urlpatterns,
    *annual.urlpatterns,
]
