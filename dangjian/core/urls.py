from django.urls import path

from dangjian.core import views

app_name = "core"
urlpatterns = [
    path("<uuid:uid>/", views.job_status, name="job_status"),
    path("<uuid:uid>/download/", views.job_download, name="job_download"),
]
