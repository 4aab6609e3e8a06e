"""Secret values and their common disguises are removed from text and JSON values."""

from __future__ import annotations

import base64
import urllib.parse

import pytest

from polybox.sandbox.redaction import (
    MIN_SECRET_LENGTH,
    REDACTED,
    JsonValue,
    Redactor,
    secret_forms,
)

SECRET = "s3cr3t-Value/42+x"


@pytest.mark.parametrize(
    "disguise",
    [
        SECRET,
        SECRET[::-1],
        base64.b64encode(SECRET.encode()).decode(),
        base64.b64encode(SECRET.encode()).decode().rstrip("="),
        base64.urlsafe_b64encode(SECRET.encode()).decode(),
        base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
        SECRET.encode().hex(),
        SECRET.encode().hex().upper(),
        urllib.parse.quote(SECRET, safe=""),
        urllib.parse.quote_plus(SECRET),
    ],
    ids=[
        "plain",
        "reversed",
        "base64",
        "base64-unpadded",
        "urlsafe-base64",
        "urlsafe-base64-unpadded",
        "hex",
        "hex-upper",
        "url-encoded",
        "url-encoded-plus",
    ],
)
def test_every_disguise_of_a_secret_is_redacted(disguise: str) -> None:
    redacted = Redactor([SECRET]).text(f"before {disguise} after")
    assert redacted == f"before {REDACTED} after"


@pytest.mark.parametrize("prefix", [b"user:", b"us:", b"u:"])
def test_secret_inside_a_longer_base64_text_is_redacted_at_any_alignment(prefix: bytes) -> None:
    encoded = base64.b64encode(prefix + SECRET.encode() + b"!").decode()
    redacted = Redactor([SECRET]).text(f"Authorization: Basic {encoded}")
    assert REDACTED in redacted
    assert base64.b64encode(SECRET.encode()).decode()[4:12] not in redacted


def test_values_shorter_than_the_minimum_are_left_alone() -> None:
    short = "x" * (MIN_SECRET_LENGTH - 1)
    assert secret_forms(short) == set()
    assert Redactor([short]).text(f"a {short} b") == f"a {short} b"


def test_json_values_are_redacted_in_keys_strings_and_numbers() -> None:
    redactor = Redactor([SECRET, "12345678"])
    value: JsonValue = {SECRET: [f"x{SECRET}", 912345678, 1.5, True, None], "n": {"deep": SECRET}}
    assert redactor.value(value) == {
        REDACTED: [f"x{REDACTED}", REDACTED, 1.5, True, None],
        "n": {"deep": REDACTED},
    }


def test_a_redactor_without_secrets_returns_values_unchanged() -> None:
    value: JsonValue = {"a": ["b", 1]}
    redactor = Redactor([])
    assert redactor.value(value) is value
    assert redactor.text("text") == "text"
