"""paginate(): page bounds, totals, empty results and the field-by-field bad-page message."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.forge.errors import InvalidInputError
from polybox.forge.pages import MAX_PAGE_SIZE, check_page, paginate
from polybox.forge.unit import transaction
from polybox.store.models import Server

Sessions = async_sessionmaker[AsyncSession]


def _name(row: Server) -> str:
    return row.name


@pytest.fixture
async def five_servers(sessions: Sessions) -> Sessions:
    async with transaction(sessions, None) as session:
        session.add_all([Server(name=f"srv_{index}") for index in range(5)])
    return sessions


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("page", "page_size", "names", "pages"),
    [
        (1, 2, ["srv_0", "srv_1"], 3),
        (3, 2, ["srv_4"], 3),
        (4, 2, [], 3),  # past the end: empty, totals still right
        (1, 5, ["srv_0", "srv_1", "srv_2", "srv_3", "srv_4"], 1),
        (1, MAX_PAGE_SIZE, ["srv_0", "srv_1", "srv_2", "srv_3", "srv_4"], 1),
    ],
)
async def test_a_page_holds_its_slice_and_the_totals(
    five_servers: Sessions, page: int, page_size: int, names: list[str], pages: int
) -> None:
    query = select(Server).order_by(Server.name)
    async with five_servers() as session:
        result = await paginate(session, query, _name, page=page, page_size=page_size)
    assert result.items == names
    assert (result.total, result.pages, result.page, result.page_size) == (
        5,
        pages,
        page,
        page_size,
    )


@pytest.mark.anyio
async def test_an_empty_result_has_zero_pages(sessions: Sessions) -> None:
    async with sessions() as session:
        result = await paginate(session, select(Server).order_by(Server.name), _name)
    assert (result.items, result.total, result.pages) == ([], 0, 0)


@pytest.mark.parametrize(
    ("page", "page_size", "fields"),
    [
        (0, 10, ["page"]),
        (1, 0, ["page_size"]),
        (1, MAX_PAGE_SIZE + 1, ["page_size"]),
        (-1, -1, ["page", "page_size"]),
    ],
)
def test_out_of_range_pages_name_each_bad_field(
    page: int, page_size: int, fields: list[str]
) -> None:
    with pytest.raises(InvalidInputError, match="invalid pagination") as caught:
        check_page(page, page_size)
    assert [problem.field for problem in caught.value.fields] == fields
