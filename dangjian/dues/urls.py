"""Dues URLs: roll-up, assessments, bills, payments, arrears, disclosure, own dues, rules."""

from django.urls import path  # noqa: F401

from dangjian.dues import views

app_name = "dues"
urlpatterns: list = []
