"""Home page per role: what this person must do now, and the key figures of their scope."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangjian.core.identity import mask_citizen_id, mask_phone
from dangjian.dashboard.selectors import home_for


def home(request: HttpRequest) -> HttpResponse:
    home = home_for(request.user)
    masked = {}
    if home.person is not None:
        masked = {
            "citizen_id": mask_citizen_id(home.person.citizen_id),
            "phone": mask_phone(home.person.phone),
        }
    return render(
        request, "dashboard/home.html", {"page_title": "工作台", "home": home, "masked": masked}
    )
