"""Secret stand-ins: what tool code gets instead of a secret value; only egress swaps them back.

Each call gets a fresh random stand-in per secret (`secrets["KEY"]` in the Box), so a stand-in
is useless outside its call: printed, returned, split, encoded or stored in a file for the next
call, it is still only a stand-in. The egress broker puts the real values in place of that
call's stand-ins in the URL, headers and body of requests to the server's allowed hosts (and in
the password of an `Authorization: Basic` header), and puts stand-ins back in place of real
values in everything it returns to the Box. A key listed as raw is handed to the Box in clear:
the admin's explicit exception for local computation such as signing.

Stand-ins are lowercase hex with a fixed prefix, so URL, form and JSON encoding leave them as
they are.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Set
from dataclasses import dataclass
from secrets import token_hex
from urllib.parse import quote, quote_plus

STANDIN_PREFIX = "pbx-secret-"
_BASIC = "basic "


@dataclass(frozen=True, slots=True)
class Standins:
    """One call's stand-ins: `values` maps each stand-in to the real value it stands for."""

    values: Mapping[str, str]

    @classmethod
    def for_call(cls, secrets: Mapping[str, str], raw: Set[str]) -> tuple[dict[str, str], Standins]:
        """(the mapping the Box gets, the swap): a fresh stand-in per secret not in `raw`."""
        given: dict[str, str] = {}
        values: dict[str, str] = {}
        for key, value in secrets.items():
            if key in raw:
                given[key] = value
            else:
                standin = STANDIN_PREFIX + token_hex(16)
                given[key] = standin
                values[standin] = value
        return given, cls(values)

    def fill(self, text: str) -> str:
        """`text` with each stand-in replaced by its real value (outgoing, allowed hosts only)."""
        for standin, value in self.values.items():
            if standin in text:
                text = text.replace(standin, value)
        return text

    def fill_url(self, url: str) -> str:
        """`url` with each stand-in replaced by its real value, percent-encoded."""
        for standin, value in self.values.items():
            if standin in url:
                url = url.replace(standin, quote(value, safe=""))
        return url

    def fill_body(self, body: bytes, content_type: str) -> bytes:
        """A request body filled in, each value encoded as the body's content type needs."""
        kind = content_type.split(";", 1)[0].strip().lower()
        for standin, value in self.values.items():
            encoded = value
            if kind == "application/json" or kind.endswith("+json"):
                encoded = json.dumps(value)[1:-1]
            elif kind == "application/x-www-form-urlencoded":
                encoded = quote_plus(value)
            body = body.replace(standin.encode(), encoded.encode())
        return body

    def fill_header(self, name: str, value: str) -> str:
        """A header value filled in; Basic credentials are decoded, filled and re-encoded."""
        if name.lower() == "authorization" and value[: len(_BASIC)].lower() == _BASIC:
            try:
                decoded = base64.b64decode(value[len(_BASIC) :].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return self.fill(value)
            filled = base64.b64encode(self.fill(decoded).encode()).decode()
            return value[: len(_BASIC)] + filled
        return self.fill(value)

    def hide(self, text: str) -> str:
        """`text` with each real value (plain or percent-encoded) replaced by its stand-in."""
        for standin, value in self.values.items():
            for form in (value, quote(value, safe="")):
                if form in text:
                    text = text.replace(form, standin)
        return text

    def hide_bytes(self, data: bytes) -> bytes:
        for standin, value in self.values.items():
            data = data.replace(value.encode(), standin.encode())
        return data


NO_STANDINS = Standins({})
