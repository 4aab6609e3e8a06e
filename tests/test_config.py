"""Settings: sources and their order, validation messages, the data dir, the generated reference."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polybox.config import ConfigError, ensure_data_dir, load_settings, render_reference

DOCS = Path(__file__).resolve().parent.parent / "docs" / "CONFIGURATION.md"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("POLYBOX_") and not name.startswith("POLYBOX_TEST_"):
            monkeypatch.delenv(name)


def test_defaults_put_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.database.drivername == "sqlite+aiosqlite"
    assert settings.database.database == str(tmp_path / "polybox.db")
    assert (settings.host, settings.port) == ("127.0.0.1", 8765)


def test_environment_beats_toml_file_which_beats_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "polybox.toml"
    config.write_text('port = 9000\nlog_level = "debug"\n')
    monkeypatch.setenv("POLYBOX_CONFIG", str(config))
    monkeypatch.setenv("POLYBOX_PORT", "9100")
    settings = load_settings()
    assert settings.port == 9100
    assert settings.log_level == "debug"


def test_explicit_overrides_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYBOX_PORT", "9100")
    assert load_settings(port=9200).port == 9200


def test_plain_dialect_urls_are_pinned_to_async_drivers() -> None:
    settings = load_settings(database_url="postgresql://u:p@db.example/polybox")
    assert settings.database.drivername == "postgresql+asyncpg"
    assert settings.database.password == "p"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("POLYBOX_PORT", "70000", "invalid setting POLYBOX_PORT: Input should be less than or"),
        ("POLYBOX_PORT", "eighty", "invalid setting POLYBOX_PORT: Input should be a valid integer"),
        ("POLYBOX_SANDBOX", "chroot", "invalid setting POLYBOX_SANDBOX: Input should be 'auto'"),
        ("POLYBOX_DATABASE_URL", "mysql://x/y", "unsupported database 'mysql'"),
        ("POLYBOX_DATABASE_URL", "not a url", "not a database URL"),
        ("POLYBOX_DATABASE_URL", "sqlite://", "SQLite needs a file path"),
        ("POLYBOX_POOL_SIZE", "0", "invalid setting POLYBOX_POOL_SIZE"),
    ],
)
def test_invalid_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert expected in str(caught.value)
    assert variable in str(caught.value)


def test_database_url_errors_never_echo_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYBOX_DATABASE_URL", "mysql://user:hunter2-secret@db/x")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "hunter2-secret" not in str(caught.value)


def test_unknown_toml_key_is_refused_by_name(tmp_path: Path) -> None:
    config = tmp_path / "polybox.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="invalid setting prot: unknown setting"):
        load_settings(config)


def test_malformed_toml_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "polybox.toml"
    config.write_text("port = \n")
    with pytest.raises(ConfigError, match="is not TOML"):
        load_settings(config)


def test_missing_config_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid setting POLYBOX_CONFIG: cannot read"):
        load_settings(tmp_path / "absent.toml")


def test_data_dir_is_created_private(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "a" / "b")
    path = ensure_data_dir(settings)
    assert path.is_dir()
    assert path.stat().st_mode & 0o777 == 0o700


def test_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="invalid setting POLYBOX_DATA_DIR: cannot create"):
        ensure_data_dir(load_settings(data_dir=blocker / "sub"))
    with pytest.raises(ConfigError, match="exists and is not a directory"):
        ensure_data_dir(load_settings(data_dir=blocker))


def test_configuration_reference_is_current() -> None:
    assert DOCS.read_text() == render_reference(), "run `make docs` to regenerate it"


def test_configuration_reference_documents_every_setting() -> None:
    text = render_reference()
    for name in ("POLYBOX_DATA_DIR", "POLYBOX_DATABASE_URL", "POLYBOX_SANDBOX", "POLYBOX_PORT"):
        assert f"`{name}`" in text
