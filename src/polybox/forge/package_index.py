"""What the package index (PyPI's JSON API) says about a module an LLM asked for.

Shown to the admin before approving a module request: who publishes it, its license, whether
it is maintained. Read-only and best effort: a slow or failing index is an UnavailableError with
a message that names the index, never a hang.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx

from polybox.forge.errors import FieldError, InvalidInputError, NotFoundError, UnavailableError
from polybox.forge.schemas import Out

# PEP 508 project names; dotted module names (`google.cloud`) are valid project names too.
_PROJECT_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
_LICENSE_CHARS = 200  # some projects put the whole license text in the field
_HOME_KEYS = ("homepage", "home", "home page", "source", "source code", "repository")


class ModuleInfoOut(Out):
    """A project's latest release on the index.

    `released_at` is when the release's first file was uploaded; `has_wheels` says whether it
    ships built wheels (no build step, no compiler needed to install it).
    """

    name: str
    version: str
    summary: str | None
    license: str | None
    home_page: str | None
    requires_python: str | None
    released_at: datetime | None
    has_wheels: bool
    index_url: str  # the project's page on the index


async def module_info(index_url: str, name: str, *, timeout: float) -> ModuleInfoOut:  # noqa: ASYNC109 - an HTTP client timeout, not a wait
    """The index's metadata for project `name`.

    InvalidInputError for a name that cannot be a project, NotFoundError when the index does not
    know it, UnavailableError when the index is slow, unreachable or answers with an error.
    """
    if not _PROJECT_NAME.match(name):
        raise InvalidInputError.of_fields(
            "invalid module name", [FieldError("name", "must be a package name like 'requests'")]
        )
    url = f"{index_url}/pypi/{name}/json"
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
    except httpx.TimeoutException as exc:
        raise UnavailableError(
            f"the package index {index_url} did not answer within {timeout:g} s; try again later"
        ) from exc
    except httpx.HTTPError as exc:
        raise UnavailableError(f"cannot reach the package index {index_url}: {exc}") from exc
    if response.status_code == 404:
        raise NotFoundError(f"the package index {index_url} has no package {name!r}")
    if response.status_code != 200:
        raise UnavailableError(
            f"the package index {index_url} answered {response.status_code} for {name!r}; "
            "try again later"
        )
    try:
        return _parse(response.json(), index_url)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UnavailableError(
            f"the package index {index_url} sent an answer polybox cannot read for {name!r}"
        ) from exc


def _parse(body: dict[str, Any], index_url: str) -> ModuleInfoOut:
    info = body["info"]
    files: list[dict[str, Any]] = body.get("urls") or []
    uploads = [datetime.fromisoformat(f["upload_time_iso_8601"]) for f in files]
    return ModuleInfoOut(
        name=info["name"],
        version=info["version"],
        summary=info.get("summary") or None,
        license=_license(info),
        home_page=info.get("home_page") or _home_from_links(info.get("project_urls") or {}),
        requires_python=info.get("requires_python") or None,
        released_at=min(uploads, default=None),
        has_wheels=any(f.get("packagetype") == "bdist_wheel" for f in files),
        index_url=info.get("package_url") or f"{index_url}/project/{info['name']}/",
    )


def _license(info: dict[str, Any]) -> str | None:
    """The SPDX expression when the project gives one, else the first line of its license."""
    text = info.get("license_expression") or info.get("license") or ""
    first = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return first[:_LICENSE_CHARS] or None


def _home_from_links(links: dict[str, str]) -> str | None:
    by_label = {label.strip().lower(): link for label, link in links.items()}
    return next((by_label[key] for key in _HOME_KEYS if key in by_label), None)
