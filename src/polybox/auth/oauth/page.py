"""The consent page's HTML: server-rendered, no scripts, one hashed stylesheet (strict CSP).

Every value from a client (its name, redirect URI) or the user is escaped. `sign_in_links` is the
slot for other ways to log in (H6's "Sign in with <provider>"): (label, href) pairs shown under
the password form.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlparse

from polybox.auth.oauth.endpoints import CONSENT_PATH, SCOPE_DESCRIPTIONS

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
    "color:#1a1a1a;background:#fafafa}"
    "h1{font-size:1.4rem}ul{padding-left:1.2rem}label{display:block;margin:.8rem 0 .2rem}"
    "input{width:100%;padding:.5rem;box-sizing:border-box}"
    ".actions{display:flex;gap:.8rem;margin-top:1.2rem}button{padding:.5rem 1.2rem}"
    ".error{color:#a00000;border:1px solid #a00000;padding:.6rem}"
    "@media (prefers-color-scheme:dark){body{color:#eee;background:#161616}"
    ".error{color:#ff8080;border-color:#ff8080}}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
CONSENT_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


@dataclass(frozen=True)
class ConsentView:
    """What the page shows about one pending request."""

    pending_id: str
    client_name: str
    redirect_uri: str
    scopes: Sequence[str]
    csrf: str
    sign_in_links: Sequence[tuple[str, str]] = ()
    error: str | None = None
    username: str = ""


def render_consent(view: ConsentView) -> str:
    scopes = "".join(
        f"<li><code>{escape(s)}</code>: {escape(SCOPE_DESCRIPTIONS.get(s, s))}</li>"
        for s in view.scopes
    )
    target = urlparse(view.redirect_uri)
    back_to = target.netloc or f"{target.scheme}:"
    error = f'<p class="error" role="alert">{escape(view.error)}</p>' if view.error else ""
    links = "".join(
        f'<li><a href="{escape(href)}">{escape(label)}</a></li>'
        for label, href in view.sign_in_links
    )
    other = f"<p>Or sign in another way:</p><ul>{links}</ul>" if links else ""
    body = f"""
<h1>Allow {escape(view.client_name)} to use polybox?</h1>
<p>The MCP client <strong>{escape(view.client_name)}</strong> asks to:</p>
<ul>{scopes}</ul>
<p>After your decision you return to <strong>{escape(back_to)}</strong>.</p>
{error}
<form method="post" action="{CONSENT_PATH}">
<input type="hidden" name="request" value="{escape(view.pending_id)}">
<input type="hidden" name="csrf" value="{escape(view.csrf)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" value="{escape(view.username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<div class="actions">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
{other}"""
    return _document("Authorize an MCP client", body)


def render_message(title: str, message: str) -> str:
    """A page that only says something (unknown request, refused CSRF token, rate limit)."""
    return _document(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)} · polybox</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
