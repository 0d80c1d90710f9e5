from django.urls import path

from dangjian.ledgers import views

app_name = "ledgers"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:branch_id>/<int:year>/", views.ledger_view, name="view"),
    path("<int:branch_id>/<int:year>/generate/", views.generate, name="generate"),
    path("jobs/<uuid:uid>/", views.job, name="job"),
]
