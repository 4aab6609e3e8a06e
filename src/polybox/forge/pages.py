"""Pagination shared by every list: `{items, total, page, page_size, pages}`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.errors import FieldError, InvalidInputError

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

T = TypeVar("T")
Row = TypeVar("Row")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
    pages: int


def check_page(page: int, page_size: int) -> None:
    """Refuse pages below 1 and sizes outside 1..MAX_PAGE_SIZE with a field-by-field message."""
    problems = []
    if page < 1:
        problems.append(FieldError("page", "must be 1 or more"))
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        problems.append(FieldError("page_size", f"must be between 1 and {MAX_PAGE_SIZE}"))
    if problems:
        raise InvalidInputError.of_fields("invalid pagination", problems)


async def paginate(
    session: AsyncSession,
    query: Select[Row],
    convert: Callable[[Row], T],
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[T]:
    """Run `query` (already filtered and ordered) for one page and count the whole result."""
    check_page(page, page_size)
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows: Sequence[Any] = (
        await session.scalars(query.limit(page_size).offset((page - 1) * page_size))
    ).all()
    count = int(total or 0)
    return Page[T](
        items=[convert(row) for row in rows],
        total=count,
        page=page,
        page_size=page_size,
        pages=(count + page_size - 1) // page_size,
    )
