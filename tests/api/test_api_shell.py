"""The API shell: OpenAPI and docs are served, and errors have one body shape."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_openapi_schema_and_docs_are_served(api: httpx.AsyncClient) -> None:
    schema = await api.get("/api/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "polybox admin API"
    docs = await api.get("/api/docs")
    assert docs.status_code == 200
    assert "openapi.json" in docs.text


async def test_unknown_api_path_is_a_404_in_the_error_shape(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"type": "not_found", "message": "Not Found", "details": None}
    }


async def test_error_responses_are_documented_with_the_error_body(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/api/openapi.json")).json()
    login = schema["paths"]["/auth/login"]["post"]["responses"]
    assert login["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "HTTPValidationError" not in json.dumps(schema["paths"])
