"""Home page per role: what this person must do now, and the key figures of their scope."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/home.html", {"page_title": "工作台"})
