"""compose.yaml: it parses, the services wait for each other's health, and polybox accepts the
settings it is given — remote mode behind the bundled proxy included.

No Docker engine runs here; `docker compose config` is replaced by PyYAML plus the variable
interpolation compose applies (`${VAR}`, `${VAR:?message}`, `${VAR:-default}`), which is all
this file uses.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import yaml

from deploy.dockerfile_model import ROOT, stages
from polybox.config import Settings, env_name, load_settings, normalise_database_url
from polybox.remote import check_remote_serving

COMPOSE = ROOT / "compose.yaml"
DOT_ENV = {
    "POLYBOX_DOMAIN": "mcp.team.test",
    "POSTGRES_PASSWORD": "correct-horse-battery",
    "POLYBOX_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def _interpolate(text: str, env: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if name in env:
            return env[name]
        if kind == "?":
            raise KeyError(rest)
        return rest if kind == "-" else ""

    return _VARIABLE.sub(value, text)


def _load(env: dict[str, str]) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(_interpolate(COMPOSE.read_text("utf-8"), env))
    return loaded


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    loaded: dict[str, Any] = _load(DOT_ENV)["services"]
    return loaded


@pytest.fixture
def polybox_env(services: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The polybox container's environment, and only it, as this process's POLYBOX_* variables."""
    for name in [n for n in os.environ if n.startswith("POLYBOX_")]:
        monkeypatch.delenv(name)
    for name, value in services["polybox"]["environment"].items():
        monkeypatch.setenv(name, str(value))


def test_it_runs_polybox_on_postgresql_16_behind_a_proxy(services: dict[str, Any]) -> None:
    assert set(services) == {"polybox", "postgres", "caddy"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["polybox"]["build"] == "."


def test_polybox_starts_only_once_postgresql_is_healthy(services: dict[str, Any]) -> None:
    check = services["postgres"]["healthcheck"]["test"]
    assert check[0] == "CMD"
    assert "pg_isready" in check
    assert services["polybox"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["caddy"]["depends_on"]["polybox"]["condition"] == "service_healthy"


def test_every_polybox_variable_it_sets_is_a_setting(services: dict[str, Any]) -> None:
    settings = {env_name(name) for name in Settings.model_fields}
    given = set(services["polybox"]["environment"])
    assert given <= settings, f"not settings: {sorted(given - settings)}"


@pytest.mark.usefixtures("polybox_env")
def test_polybox_accepts_its_settings_and_remote_mode_may_start() -> None:
    settings = load_settings()
    assert settings.mode == "remote"
    assert settings.public_url == "https://mcp.team.test"
    check_remote_serving(settings)  # raises ConfigError when remote mode would serve plain HTTP
    assert settings.database.drivername == "postgresql+asyncpg"
    assert settings.database.host == "postgres"


def test_the_only_trusted_proxy_is_the_bundled_caddy(services: dict[str, Any]) -> None:
    trusted = yaml.safe_load(services["polybox"]["environment"]["POLYBOX_TRUSTED_PROXIES"])
    caddy_address = services["caddy"]["networks"]["edge"]["ipv4_address"]
    assert trusted == [caddy_address]
    assert "ports" not in services["polybox"], "polybox must be reached through the proxy only"


def test_secrets_come_from_the_env_file_and_are_required() -> None:
    text = COMPOSE.read_text("utf-8")
    for name in ("POSTGRES_PASSWORD", "POLYBOX_ENCRYPTION_KEY", "POLYBOX_DOMAIN"):
        with pytest.raises(KeyError, match=f"set {name} in .env"):
            _load({k: v for k, v in DOT_ENV.items() if k != name})
        assert DOT_ENV[name] not in text
    url = _load(DOT_ENV)["services"]["polybox"]["environment"]["POLYBOX_DATABASE_URL"]
    assert normalise_database_url(url).password == DOT_ENV["POSTGRES_PASSWORD"]


def test_data_lives_in_named_volumes_at_the_images_data_dir(services: dict[str, Any]) -> None:
    data_dir = next(
        i.value[i.value.index("POLYBOX_DATA_DIR") + 1]
        for i in stages()[-1].of("ENV")
        if "POLYBOX_DATA_DIR" in i.value
    )
    assert f"polybox-data:{data_dir}" in services["polybox"]["volumes"]
    assert "pg-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    volumes = set(_load(DOT_ENV)["volumes"])
    assert {"polybox-data", "pg-data"} <= volumes


def test_the_sandbox_gets_namespaces_without_any_capability(services: dict[str, Any]) -> None:
    polybox = services["polybox"]
    assert not polybox.get("privileged", False)
    assert "cap_add" not in polybox
    assert polybox["cap_drop"] == ["ALL"]
    options = set(polybox["security_opt"])
    assert "no-new-privileges:true" in options
    # What bwrap needs to create namespaces and mount /proc inside a container (see the comments).
    assert {"seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"} <= options


def test_postgresql_is_not_reachable_from_outside(services: dict[str, Any]) -> None:
    assert "ports" not in services["postgres"]
    assert services["postgres"]["networks"] == ["backend"]
    assert _load(DOT_ENV)["networks"]["backend"]["internal"] is True


def test_the_example_env_file_in_the_header_names_every_required_variable() -> None:
    header = "".join(
        line for line in COMPOSE.read_text("utf-8").splitlines(True) if line.startswith("#")
    )
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text("utf-8")))
    assert required == set(DOT_ENV)
    for name in required:
        assert f"{name}=" in header


def test_the_proxy_is_the_one_that_terminates_tls_for_the_public_url(
    services: dict[str, Any],
) -> None:
    command = services["caddy"]["command"]
    assert command[command.index("--from") + 1] == DOT_ENV["POLYBOX_DOMAIN"]
    assert command[command.index("--to") + 1] == f"polybox:{Settings.model_fields['port'].default}"
    assert {"80:80", "443:443"} <= set(services["caddy"]["ports"])
