"""Signing export documents with a key only this instance holds.

The signature is HMAC-SHA256 over the canonical JSON of the document without its `signature`
field (sorted keys, no spaces, UTF-8), keyed with `SecretBox.derive("export")`. The document
also names the key's fingerprint (a one-way hash of the signing key), so an import can tell
"made here and changed since" (always refused) from "made by another instance" (accepted only
when the admin says they trust it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from polybox.crypto import SecretBox

PURPOSE = "export"
SIGNATURE_FIELD = "signature"


class ExportSigner:
    """Signs and checks documents for one instance key."""

    def __init__(self, box: SecretBox) -> None:
        self._key = box.derive(PURPOSE)
        self.fingerprint = hashlib.sha256(b"polybox-export-fingerprint:" + self._key).hexdigest()[
            :16
        ]

    def sign(self, document: Mapping[str, Any]) -> str:
        """The hex signature of `document` (its own `signature` field, if any, left out)."""
        return hmac.new(self._key, canonical(document), hashlib.sha256).hexdigest()

    def verify(self, document: Mapping[str, Any]) -> bool:
        """Whether the document's `signature` is this key's signature of its content."""
        claimed = document.get(SIGNATURE_FIELD)
        return isinstance(claimed, str) and hmac.compare_digest(claimed, self.sign(document))


def canonical(document: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: the document without `signature`, in one fixed spelling."""
    body = {key: value for key, value in document.items() if key != SIGNATURE_FIELD}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")
