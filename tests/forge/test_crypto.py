"""SecretBox: AES-256-GCM bound to (server, key), and where its key comes from."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from polybox.config import ConfigError, Settings
from polybox.crypto import (
    KEY_FILE_NAME,
    NONCE_BYTES,
    SecretBox,
    SecretDecryptError,
    load_secret_box,
)

KEY = bytes(range(32))


def test_a_value_round_trips_for_its_own_server_and_key() -> None:
    box = SecretBox(KEY)
    blob = box.encrypt("s3cret", server_id=1, key="API_KEY")
    assert box.decrypt(blob, server_id=1, key="API_KEY") == "s3cret"
    assert b"s3cret" not in blob


def test_each_encryption_uses_a_fresh_nonce() -> None:
    box = SecretBox(KEY)
    first = box.encrypt("same", server_id=1, key="K")
    second = box.encrypt("same", server_id=1, key="K")
    assert first[:NONCE_BYTES] != second[:NONCE_BYTES]
    assert first != second


@pytest.mark.parametrize(("server_id", "key"), [(2, "API_KEY"), (1, "OTHER_KEY")])
def test_a_value_moved_to_another_server_or_key_fails_to_decrypt(server_id: int, key: str) -> None:
    box = SecretBox(KEY)
    blob = box.encrypt("s3cret", server_id=1, key="API_KEY")
    with pytest.raises(SecretDecryptError, match=f"secret {key} .*copied from another secret"):
        box.decrypt(blob, server_id=server_id, key=key)


def test_a_tampered_value_fails_to_decrypt() -> None:
    box = SecretBox(KEY)
    blob = bytearray(box.encrypt("s3cret", server_id=1, key="K"))
    blob[-1] ^= 0x01
    with pytest.raises(SecretDecryptError, match="altered"):
        box.decrypt(bytes(blob), server_id=1, key="K")
    with pytest.raises(SecretDecryptError, match="truncated"):
        box.decrypt(bytes(blob[:20]), server_id=1, key="K")


def test_another_key_cannot_decrypt() -> None:
    blob = SecretBox(KEY).encrypt("s3cret", server_id=1, key="K")
    with pytest.raises(SecretDecryptError, match="POLYBOX_ENCRYPTION_KEY"):
        SecretBox(bytes(32)).decrypt(blob, server_id=1, key="K")


def test_the_box_never_shows_its_key() -> None:
    assert repr(SecretBox(KEY)) == "SecretBox(<hidden>)"


def test_the_configured_key_is_used_and_no_key_file_is_written(tmp_path: Path) -> None:
    encoded = base64.b64encode(KEY).decode()
    settings = Settings(data_dir=tmp_path, encryption_key=SecretStr(encoded))
    blob = load_secret_box(settings).encrypt("v", server_id=1, key="K")
    assert SecretBox(KEY).decrypt(blob, server_id=1, key="K") == "v"
    assert not (tmp_path / KEY_FILE_NAME).exists()


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_bad_configured_key_names_the_setting(tmp_path: Path, value: str) -> None:
    settings = Settings(data_dir=tmp_path, encryption_key=SecretStr(value))
    with pytest.raises(ConfigError, match="POLYBOX_ENCRYPTION_KEY: expected the base64") as caught:
        load_secret_box(settings)
    assert value not in str(caught.value)


def test_without_a_configured_key_one_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    blob = load_secret_box(settings).encrypt("v", server_id=1, key="K")
    path = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(base64.b64decode(path.read_text())) == 32
    assert load_secret_box(settings).decrypt(blob, server_id=1, key="K") == "v"
    assert [entry.name for entry in path.parent.iterdir() if "secret" in entry.name] == [
        KEY_FILE_NAME
    ]


def test_a_key_file_readable_by_others_is_refused_with_the_fix(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    load_secret_box(settings)
    path = tmp_path / KEY_FILE_NAME
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match=f"key file {path} .*mode 0644.*`chmod 600 {path}`"):
        load_secret_box(settings)


def test_a_corrupt_key_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE_NAME
    path.write_text("garbage")
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError, match=f"key file {path}: expected the base64"):
        load_secret_box(Settings(data_dir=tmp_path))
