"""Store errors that say in one line what is wrong and where, never a driver traceback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

from sqlalchemy.engine import URL

from polybox.errors import UserError

# PostgreSQL SQLSTATE codes worth a plain-words explanation.
_SQLSTATE_REASONS = {
    "28P01": "authentication failed for user {user!r}",
    "28000": "user {user!r} is not allowed to connect (no such role or pg_hba.conf rule)",
    "3D000": "database {database!r} does not exist",
    "57P03": "the server is starting up or shutting down",
    "53300": "the server has too many connections",
}


class StoreUnavailable(UserError):
    """The store cannot be reached or used; the message names the URL and the reason."""

    def __init__(self, url: URL, reason: str) -> None:
        self.url = url.render_as_string(hide_password=True)
        self.reason = reason
        super().__init__(f"cannot use the store at {self.url}: {reason}")


def describe_connect_error(exc: BaseException, url: URL) -> str:
    """The most specific plain-words reason found in the exception chain (driver errors nest)."""
    host = url.host or "localhost"
    where = f"{host}:{url.port or 5432}"
    for error in _chain(exc):
        sqlstate = getattr(error, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate in _SQLSTATE_REASONS:
            return _SQLSTATE_REASONS[sqlstate].format(user=url.username, database=url.database)
        if isinstance(error, ConnectionRefusedError):
            return f"connection refused by {where}; is PostgreSQL running and listening there?"
        if isinstance(error, socket.gaierror):
            return f"unknown host {host!r}"
        if isinstance(error, TimeoutError):
            return f"no answer from {where} in time"
        if "unable to open database file" in str(error):
            return f"cannot open {url.database}; does its directory exist and is it writable?"
    return _first_line(_innermost(exc))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        error = pending.pop(0)
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        linked = [getattr(error, "orig", None), error.__cause__, error.__context__]
        pending.extend(e for e in linked if isinstance(e, BaseException))


def _innermost(exc: BaseException) -> BaseException:
    *_, last = _chain(exc)
    return last


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    detail = text[0] if text else "no detail"
    return f"{type(error).__name__}: {detail}"
