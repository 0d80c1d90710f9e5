"""Transfer URLs."""

from django.urls import path

from dangjian.transfers import views

app_name = "transfers"
urlpatterns: list = [
    path("", views.transfer_list, name="list"),
    path("new/", views.transfer_start, name="start"),
    path("letter/", views.letter_issue, name="letter"),
    path("incoming/", views.incoming_register, name="incoming"),
    path("<int:pk>/", views.transfer_detail, name="detail"),
    path("<int:pk>/approve/", views.transfer_approve, name="approve"),
    path("<int:pk>/accept/", views.transfer_accept, name="accept"),
    path("<int:pk>/reject/", views.transfer_reject, name="reject"),
    path("<int:pk>/receipt/", views.letter_receipt, name="receipt"),
]
