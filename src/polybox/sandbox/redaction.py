"""Remove secret values from anything a tool call returns or logs.

A tool holds its server's secrets, so its result, printed output, error message and traceback
may contain them, plainly or lightly disguised. `Redactor` replaces each secret and its common
encodings (reversed, base64 std/urlsafe with or without padding and at any byte alignment, hex
lower/upper, URL-encoded) with `REDACTED` before anything leaves the sandbox layer.

Values shorter than `MIN_SECRET_LENGTH` are not redacted: a 3-character "secret" would match
inside ordinary words and numbers and shred the output, and a value that short is guessable
anyway, so hiding it would protect nothing while destroying the result.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Iterable

MIN_SECRET_LENGTH = 6
REDACTED = "[redacted]"

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


def _base64_forms(raw: bytes) -> set[str]:
    """Encodings of `raw` as it appears inside any base64 text, whatever its byte offset.

    For offsets 1 and 2 (e.g. `user:secret` in a Basic auth header) only the characters that
    depend on the secret alone are kept; the full encodings (padded and not) come first.
    """
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        full = encode(raw).decode("ascii")
        forms.update({full, full.rstrip("=")})
        for offset in range(3):
            shifted = encode(b"\0" * offset + raw).decode("ascii")
            first = -(-offset * 8 // 6)  # first character made only of secret bits
            last = (offset + len(raw)) * 8 // 6  # one past the last such character
            forms.add(shifted[first:last])
    return forms


def secret_forms(secret: str) -> set[str]:
    """Every spelling of `secret` that is redacted (empty when it is too short to redact)."""
    if len(secret) < MIN_SECRET_LENGTH:
        return set()
    raw = secret.encode("utf-8")
    forms = {
        secret,
        secret[::-1],
        raw.hex(),
        raw.hex().upper(),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
        *_base64_forms(raw),
    }
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class Redactor:
    """Replaces known secret values in text and JSON-like values; cheap when there are none."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            forms |= secret_forms(secret)
        # Longest first, so a full encoding wins over a shorter form it contains.
        ordered = sorted(forms, key=lambda form: (-len(form), form))
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, value: str) -> str:
        """`value` with every secret form replaced by REDACTED."""
        if self._pattern is None:
            return value
        return self._pattern.sub(REDACTED, value)

    def value(self, value: JsonValue) -> JsonValue:
        """A copy of a JSON value with secrets removed from strings, keys and numbers.

        A number whose decimal text contains a secret becomes the string REDACTED.
        """
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.text(key): self.value(item) for key, item in value.items()}
        if isinstance(value, int | float) and not isinstance(value, bool):
            return REDACTED if self._pattern.search(repr(value)) else value
        return value
