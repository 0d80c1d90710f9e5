from django.urls import path

from dangjian.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("<int:event_id>/", views.event_detail, name="event_detail"),
    path("export/", views.event_export, name="event_export"),
]
