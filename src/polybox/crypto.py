"""Encryption of stored secrets: AES-256-GCM with the row's identity bound into every value.

Each value gets a random 12-byte nonce and is stored as `nonce || ciphertext+tag`. The additional
authenticated data names the server id and the secret key, so a ciphertext copied into another
row (another server, another key) fails to decrypt instead of leaking into the wrong tool.

The 32-byte key comes from `POLYBOX_ENCRYPTION_KEY` (base64) or from `<data_dir>/secret.key`,
generated once with mode 0600. Losing the key makes every stored secret unreadable.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from polybox.config import ConfigError, Settings, ensure_data_dir, env_name
from polybox.errors import PolyboxError

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_FILE_NAME = "secret.key"


class SecretDecryptError(PolyboxError):
    """A stored value cannot be decrypted: tampered, moved to another row, or another key."""


class SecretBox:
    """Encrypts and decrypts secret values bound to `(server_id, key)`; safe to share."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the encryption key must be {KEY_BYTES} bytes, got {len(key)}")
        self._aead = AESGCM(key)
        self._key = key

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for `purpose` (e.g. token signing), independent of the secrets key.

        HKDF keeps one key file for the instance while no two uses share key material.
        """
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode())
        return hkdf.derive(self._key)

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"

    def encrypt(self, plaintext: str, *, server_id: int, key: str) -> bytes:
        """`nonce || ciphertext` of `plaintext`, only decryptable for the same server and key."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode("utf-8"), _aad(server_id, key))

    def decrypt(self, blob: bytes, *, server_id: int, key: str) -> str:
        """The plaintext of `blob`; SecretDecryptError when it was not made for this row/key."""
        if len(blob) < NONCE_BYTES + 16:
            raise SecretDecryptError(f"the stored value of secret {key} is truncated")
        nonce, body = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        try:
            plain = self._aead.decrypt(nonce, body, _aad(server_id, key))
        except InvalidTag:
            raise SecretDecryptError(
                f"the stored value of secret {key} (server id {server_id}) cannot be decrypted: it "
                "was altered, copied from another secret, or encrypted with another "
                f"{env_name('encryption_key')}; set the value again"
            ) from None
        return plain.decode("utf-8")


def _aad(server_id: int, key: str) -> bytes:
    return f"polybox-secret:{server_id}:{key}".encode()


def load_secret_box(settings: Settings) -> SecretBox:
    """The box for this instance's key; ConfigError (naming the setting or file) when unusable."""
    configured = settings.encryption_key
    if configured is not None:
        return SecretBox(_decode_key(configured.get_secret_value(), env_name("encryption_key")))
    path = ensure_data_dir(settings) / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    return SecretBox(_read_key_file(path))


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigError(
            f"invalid setting {source}: expected the base64 encoding of {KEY_BYTES} random bytes; "
            'generate one with: python3 -c "import base64,os; '
            'print(base64.b64encode(os.urandom(32)).decode())"'
        )
    return key


def _create_key_file(path: Path) -> None:
    """Write a new key atomically; when another process won the race, keep its key."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret.key.")
    try:
        os.fchmod(fd, 0o600)
        encoded = base64.b64encode(secrets.token_bytes(KEY_BYTES)) + b"\n"
        os.write(fd, encoded)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        # link() never replaces: the first process to publish its key wins, the rest read it.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError as exc:
        raise ConfigError(f"cannot create the key file {path}: {exc.strerror}") from exc
    finally:
        if fd != -1:
            os.close(fd)
        os.unlink(temporary)


def _read_key_file(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"the key file {path} is accessible by group or others (mode "
                f"{stat.S_IMODE(mode):04o}); run `chmod 600 {path}`"
            )
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the key file {path}: {exc}") from exc
    return _decode_key(text, f"key file {path}")
