"""The HTTP app on both store backends: health, readiness, metrics, request ids and JSON logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from sqlalchemy.engine import URL

from polybox.app import create_app
from polybox.config import load_settings
from polybox.instance import Instance
from polybox.logs import configure_logging
from postgres_cluster import PostgresServer

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(db_url: URL, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        data_dir=tmp_path / "data", database_url=db_url.render_as_string(False)
    )
    async with Instance.running(settings) as instance:
        transport = httpx.ASGITransport(app=create_app(instance))
        async with httpx.AsyncClient(transport=transport, base_url="http://polybox") as http:
            yield http


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """JSON logging into a buffer for one test, then the previous handlers back."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    configure_logging("info", "json", stream=buffer)
    yield buffer
    root.handlers[:], level = saved
    root.setLevel(level)
    structlog.reset_defaults()


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_reports_database_and_sandbox(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    body = response.json()
    assert body["database"] == {"ok": True, "detail": "reachable"}
    assert body["sandbox"]["backend"] in {"bwrap", "none"}
    assert response.status_code == (200 if body["sandbox"]["ok"] else 503)
    assert body["ready"] is body["sandbox"]["ok"]


async def test_metrics_count_requests_by_area(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/no/such/page")
    text = (await client.get("/metrics")).text
    assert 'polybox_http_requests_total{area="healthz",method="GET",status="200"} 1.0' in text
    assert 'polybox_http_requests_total{area="ui",method="GET",status="404"} 1.0' in text
    assert "polybox_http_request_duration_seconds_bucket" in text


async def test_metrics_include_the_dotnet_instruments(client: httpx.AsyncClient) -> None:
    text = (await client.get("/metrics")).text
    for family in (
        "polybox_dotnet_snippet_runs_total counter",
        "polybox_dotnet_snippet_duration_seconds histogram",
        "polybox_dotnet_compile_server_restarts_total counter",
        "polybox_dotnet_builds_total counter",
        "polybox_dotnet_workspaces_running gauge",
        "polybox_dotnet_workspace_cleanups_total counter",
    ):
        assert f"# TYPE {family}\n" in text


async def test_safe_request_id_is_echoed_and_unsafe_one_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    replaced = await client.get("/healthz", headers={"X-Request-ID": "a b\tc" * 20})
    assert replaced.headers["x-request-id"] != "a b\tc" * 20
    assert len(replaced.headers["x-request-id"]) == 32


async def test_access_log_is_json_with_the_request_id(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "trace-77"})
    records = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    access = [r for r in records if r.get("event") == "request"]
    assert access, records
    assert access[-1]["request_id"] == "trace-77" == response.headers["x-request-id"]
    assert access[-1]["status"] == 200
    assert access[-1]["path"] == "/healthz"
    assert {"timestamp", "level", "duration_ms"} <= access[-1].keys()


@pytest.mark.postgres
async def test_readyz_turns_503_while_postgres_is_down_and_recovers(
    postgres_server: PostgresServer, pg_url: URL, tmp_path: Path
) -> None:
    if not postgres_server.restartable:
        pytest.skip("the PostgreSQL server is external; it cannot be stopped by the test")
    settings = load_settings(data_dir=tmp_path, database_url=pg_url.render_as_string(False))
    async with Instance.running(settings) as instance:
        transport = httpx.ASGITransport(app=create_app(instance))
        async with httpx.AsyncClient(transport=transport, base_url="http://polybox") as http:
            postgres_server.stop()
            try:
                down = await http.get("/readyz")
                assert down.status_code == 503
                assert down.json()["database"]["ok"] is False
                assert "cannot use the store" in down.json()["database"]["detail"]
                assert (await http.get("/healthz")).status_code == 200
            finally:
                postgres_server.start()
            assert (await http.get("/readyz")).json()["database"]["ok"] is True
