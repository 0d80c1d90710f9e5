"""Dues URLs: roll-up, assessments, bills, payments, arrears, disclosure, own dues, rules."""

from django.urls import path  # noqa: F401

app_name = "dues"
urlpatterns: list = []
