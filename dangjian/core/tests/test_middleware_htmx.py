"""HTMX requests that end in a redirect get a client-side redirect instead of a swapped page."""

from __future__ import annotations


def test_htmx_redirect_becomes_hx_redirect(client):
    response = client.get("/people/", HTTP_HX_REQUEST="true")  # anonymous → login redirect
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_plain_redirect_is_left_alone(client):
    response = client.get("/people/")
    assert response.status_code == 302
    assert "HX-Redirect" not in response
