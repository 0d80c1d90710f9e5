"""To-do centre URLs."""

from django.urls import path

from dangjian.reminders import views

app_name = "reminders"
urlpatterns: list = [
    path("", views.todo, name="todo"),
    path("bell/", views.bell, name="bell"),
    path("notifications/<int:pk>/read/", views.mark_read, name="mark_read"),
    path("notifications/read-all/", views.mark_all_read, name="mark_all_read"),
]
