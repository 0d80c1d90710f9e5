"""OpenAPI schema and docs: every path listed, both auth schemes, docs page works air-gapped;
input schemas list their fields explicitly (IN-04)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import caches
from django.test import Client

from dangjian.api import api
from dangjian.people.api import PersonIn, PersonPatch
from dangjian.people.services import PLAIN_FIELDS, SEALED_FIELDS

EXPECTED = {
    "/api/v1/me": {"get"},
    "/api/v1/orgs/": {"get"},
    "/api/v1/orgs/{org_id}": {"get"},
    "/api/v1/units/": {"get"},
    "/api/v1/units/{unit_id}": {"get"},
    "/api/v1/persons/": {"get", "post"},
    "/api/v1/persons/{person_id}": {"get", "patch"},
}


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    caches["default"].clear()


def test_openapi_lists_every_path_and_both_auth_schemes(mine):
    response = mine.client("secretary_a").get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    listed = {p: set(ops) for p, ops in schema["paths"].items()}
    assert {p: listed.get(p) for p in EXPECTED} == EXPECTED  # the foundation's resources
    assert len(listed) > len(EXPECTED)  # and the domain apps' routers are mounted too
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            assert op.get("security"), f"{method} {path} declares no auth"
            assert "401" in op["responses"] and "429" in op["responses"], f"{method} {path}"


def test_openapi_and_docs_need_login(db):
    for url in ("/api/v1/openapi.json", "/api/v1/docs"):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/accounts/" in response["Location"]


def test_docs_page_uses_only_local_assets(mine):
    response = mine.client("secretary_a").get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html and "http://" not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "<script>" not in html  # CSP: no inline script (the settings block is JSON data)
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"):
        assert finders.find(asset), asset


def test_person_input_schemas_list_exactly_the_writable_fields():
    writable = set(PLAIN_FIELDS) | set(SEALED_FIELDS)
    assert set(PersonIn.model_fields) == writable
    assert set(PersonPatch.model_fields) == writable | {"version"}


def test_no_schema_uses_all_fields():
    """IN-04: every schema of every operation is a plain, explicit field list."""
    from ninja import ModelSchema

    seen = 0
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    seen += 1
                    assert not issubclass(model, ModelSchema)
                for response_model in operation.response_models.values():
                    assert not isinstance(response_model, type) or not issubclass(
                        response_model, ModelSchema
                    )
    assert seen >= 7
