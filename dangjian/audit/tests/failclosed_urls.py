"""A minimal view over ``person_update`` for the fail-closed request test (AUD-06)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from dangjian.people.models import Person
from dangjian.people.services import person_update
from dangjian.urls import urlpatterns as project_urlpatterns


def update_post(request: HttpRequest, pk: int) -> HttpResponse:
    person = Person.objects.get(pk=pk)
    person_update(actor=request.user, person=person, data={"post": request.POST["post"]})
    return HttpResponse("ok")


urlpatterns = [path("test-person/<int:pk>/post/", update_post), *project_urlpatterns]
