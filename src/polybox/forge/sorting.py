"""The `sort` parameter of lists: a field name, `-` in front for descending, from a fixed set.

Every list orders by its chosen field and then by id, so pages never overlap or skip rows when
many rows share a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import SQLColumnExpression, UnaryExpression

from polybox.forge.errors import FieldError, InvalidInputError


def ordering(
    sort: str | None,
    fields: Mapping[str, SQLColumnExpression[Any]],
    *,
    default: str,
    tiebreak: SQLColumnExpression[Any],
) -> list[UnaryExpression[Any]]:
    """ORDER BY clauses for `sort` (or `default`); InvalidInputError naming the allowed fields."""
    chosen = sort or default
    name = chosen.removeprefix("-")
    if name not in fields:
        allowed = ", ".join(sorted(fields))
        raise InvalidInputError.of_fields(
            "invalid sort",
            [
                FieldError(
                    "sort",
                    f"{chosen!r} is not sortable; use one of {allowed}, '-' first for descending",
                )
            ],
        )
    column = fields[name]
    if chosen.startswith("-"):
        return [column.desc(), tiebreak.desc()]
    return [column.asc(), tiebreak.asc()]
