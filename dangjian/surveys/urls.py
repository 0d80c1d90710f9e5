from django.urls import path

from dangjian.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("export/", views.survey_export, name="export"),
    path("new/", views.survey_create, name="create"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.survey_transition, name="transition"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/", views.answer, name="answer"),
]
