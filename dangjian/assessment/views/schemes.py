"""schemes views of the assessment engine."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
