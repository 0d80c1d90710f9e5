"""A trivial view for benchmarks (``bench/run.py``): the same middleware stack as every page,
no database work of its own. Its URLs are included only when ``DANGJIAN_BENCH=1``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET


@require_GET
def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


app_name = "bench"
urlpatterns = [path("trivial/", trivial, name="trivial")]
