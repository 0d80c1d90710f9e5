from django.urls import path

from dangjian.appraisal import views

app_name = "appraisal"
urlpatterns = [
    path("", views.round_list, name="list"),
    path("new/", views.round_create, name="create"),
    path("<int:pk>/", views.round_detail, name="detail"),
    path("<int:pk>/grades/", views.round_grade, name="grade"),
    path("<int:pk>/advance/", views.round_advance, name="advance"),
    path("<int:pk>/evaluators/", views.round_evaluators, name="evaluators"),
    path("<int:pk>/results/", views.round_results, name="results"),
    path("mine/", views.mine, name="mine"),
    path("entries/<int:entry_pk>/self/", views.self_assessment, name="self_assessment"),
    path("ballots/<int:evaluator_pk>/", views.ballot, name="ballot"),
]
