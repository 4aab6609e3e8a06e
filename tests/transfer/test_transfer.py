"""Export and import: a round trip restores the store; bad files are refused without a write."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import select

from polybox.crypto import SecretBox
from polybox.forge.errors import ConflictError, ForbiddenError, ForgeError, InvalidInputError
from polybox.forge.servers import delete_server
from polybox.forge.transfer import ImportResult, export_servers, import_document
from polybox.forge.transfer.signing import ExportSigner
from polybox.forge.unit import transaction
from polybox.store.enums import ServerStatus, ToolStatus
from polybox.store.models import ActivityLog
from transfer.seed import CLAUDE, ROOT, Sessions, row_counts, seed, snapshot, url_checks

pytestmark = pytest.mark.anyio


async def export(sessions: Sessions, box: SecretBox, server: str | None = None) -> dict[str, Any]:
    async with transaction(sessions, None) as session:
        document = await export_servers(session, ROOT, box, server=server)
    travelled: dict[str, Any] = json.loads(json.dumps(document))  # as through a JSON file
    return travelled


async def import_(
    sessions: Sessions, box: SecretBox, document: Any, *, trust: bool = False
) -> ImportResult:
    async with transaction(sessions, None) as session:
        return await import_document(
            session, ROOT, box, document, gateway=url_checks(box), trust=trust
        )


def resigned(document: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    """`document` signed again by `box`, as an instance would sign a file it made itself."""
    return {**document, "signature": ExportSigner(box).sign(document)}


async def activity(sessions: Sessions, action: str) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.scalars(select(ActivityLog).where(ActivityLog.action == action))
        return [row.details for row in rows]


async def refused(sessions: Sessions, box: SecretBox, document: Any, **kw: bool) -> ForgeError:
    """The error importing `document` raises; asserts that not a single row was written."""
    before = await row_counts(sessions)
    with pytest.raises(ForgeError) as caught:
        await import_(sessions, box, document, **kw)
    assert await row_counts(sessions) == before
    return caught.value


async def test_export_then_import_into_an_empty_store_restores_the_same_servers_tools_and_versions(
    sessions: Sessions, empty_sessions: Sessions, box: SecretBox
) -> None:
    await seed(sessions, box)
    document = await export(sessions, box)

    result = await import_(empty_sessions, box, document)

    assert result.same_instance
    assert {server.name: server.tools for server in result.servers} == {
        "news": {"headlines": ToolStatus.REJECTED},
        "weather": {
            "forecast": ToolStatus.APPROVED,
            "radar": ToolStatus.DRAFT,
            "search": ToolStatus.DRAFT,
        },
    }
    assert result.servers[1].secrets_to_set == ["API_KEY"]
    restored = await snapshot(empty_sessions)
    assert restored == await snapshot(sessions)
    assert restored["weather"]["tools"]["forecast"]["approved"] == 2
    assert restored["weather"]["server"][1] is ServerStatus.RUNNING
    assert restored["weather"]["tools"]["search"]["source"] == ("upstream", "web-search")


async def test_one_server_can_be_exported_alone(sessions: Sessions, box: SecretBox) -> None:
    await seed(sessions, box)

    document = await export(sessions, box, server="news")

    assert [server["name"] for server in document["payload"]["servers"]] == ["news"]


async def test_export_and_import_are_recorded_in_the_activity_log(
    sessions: Sessions, empty_sessions: Sessions, box: SecretBox
) -> None:
    await seed(sessions, box)
    await import_(empty_sessions, box, await export(sessions, box, server="weather"))

    exported = await activity(sessions, "servers.exported")
    imported = await activity(empty_sessions, "server.imported")
    assert exported == [{"servers": ["weather"], "tools": 3}]
    assert [(row["origin"], row["tools"], row["versions"]) for row in imported] == [
        ("this instance", 3, 3)
    ]


async def test_a_file_from_another_instance_needs_trust_and_then_waits_for_review(
    sessions: Sessions, empty_sessions: Sessions, box: SecretBox, other_box: SecretBox
) -> None:
    await seed(sessions, box)
    document = await export(sessions, box)

    error = await refused(empty_sessions, other_box, document)
    assert isinstance(error, ForbiddenError)
    assert "exported by another polybox instance" in error.message
    assert "--trust" in error.message

    result = await import_(empty_sessions, other_box, document, trust=True)

    assert not result.same_instance
    restored = await snapshot(empty_sessions)
    forecast = restored["weather"]["tools"]["forecast"]
    assert forecast["row"][2] is ToolStatus.PENDING_REVIEW
    assert forecast["approved"] is None
    assert "version 2 was approved" in forecast["row"][4]
    assert [server["server"][1] for server in restored.values()] == [ServerStatus.STOPPED] * 2
    assert (
        restored["weather"]["tools"]["forecast"]["versions"]
        == ((await snapshot(sessions))["weather"]["tools"]["forecast"]["versions"])
    )


async def test_a_tampered_file_is_refused_even_with_trust_and_nothing_is_written(
    sessions: Sessions, empty_sessions: Sessions, box: SecretBox
) -> None:
    await seed(sessions, box)
    document = await export(sessions, box)
    tampered = copy.deepcopy(document)
    tampered["payload"]["servers"][0]["allowed_hosts"] = ["evil.example.com"]

    error = await refused(empty_sessions, box, tampered, trust=True)

    assert isinstance(error, ForbiddenError)
    assert "changed after it was exported" in error.message


async def test_a_file_of_a_newer_format_is_refused_naming_the_polybox_it_needs(
    sessions: Sessions, box: SecretBox
) -> None:
    document = await export(sessions, box)
    newer = resigned({**document, "version": 2, "polybox_version": "3.1.0"}, box)

    error = await refused(sessions, box, newer)

    assert isinstance(error, InvalidInputError)
    assert "export format version 2" in error.message
    assert "polybox 3.1.0 or later" in error.message


async def test_a_server_that_already_exists_is_refused_and_no_other_server_is_written(
    sessions: Sessions, box: SecretBox
) -> None:
    await seed(sessions, box)
    document = await export(sessions, box)
    async with transaction(sessions, None) as session:
        await delete_server(session, ROOT, "news")

    error = await refused(sessions, box, document)

    assert isinstance(error, ConflictError)
    assert "server 'weather' already exists" in error.message
    assert set(await snapshot(sessions)) == {"weather"}  # `news` was not imported either


async def test_names_used_twice_in_the_file_are_refused_naming_each(
    sessions: Sessions, box: SecretBox
) -> None:
    await seed(sessions, box)
    document = await export(sessions, box)
    servers = document["payload"]["servers"]
    news, weather = servers
    weather["tools"].append(copy.deepcopy(weather["tools"][0]))
    servers.append(copy.deepcopy(news))
    async with transaction(sessions, None) as session:
        await delete_server(session, ROOT, "news")
        await delete_server(session, ROOT, "weather")

    error = await refused(sessions, box, resigned(document, box))

    assert isinstance(error, ConflictError)
    assert "server 'news' appears 2 times" in error.message
    assert "server 'weather' has 2 tools named 'forecast'" in error.message


async def test_bad_names_and_unsaveable_code_are_all_reported_at_once(
    sessions: Sessions, empty_sessions: Sessions, box: SecretBox
) -> None:
    await seed(sessions, box)
    document = await export(sessions, box, server="weather")
    weather = document["payload"]["servers"][0]
    weather["name"] = "Weather Station"
    weather["tools"][0]["versions"][0]["code"] = "def main(:\n"
    weather["secrets"][0]["key"] = "lower"

    error = await refused(empty_sessions, box, resigned(document, box))

    assert isinstance(error, InvalidInputError)
    fields = {problem.field for problem in error.fields}
    assert {"payload.servers[0].name", "payload.servers[0].secrets[0].key"} <= fields
    weather["name"] = "weather"
    weather["secrets"][0]["key"] = "API_KEY"
    error = await refused(empty_sessions, box, resigned(document, box))
    assert "server 'weather', tool 'forecast', version 1" in error.message


async def test_a_document_not_matching_the_format_is_refused_naming_each_bad_field(
    sessions: Sessions, box: SecretBox
) -> None:
    document = await export(sessions, box)
    not_export = await refused(sessions, box, [1, 2])
    assert not_export.message.startswith("this is not a polybox export")
    tool = {"name": "t", "status": "bogus", "current_version": 0}
    broken = resigned({**document, "payload": {"servers": [{"name": "x", "tools": [tool]}]}}, box)

    error = await refused(sessions, box, broken)

    assert isinstance(error, InvalidInputError)
    assert {problem.field for problem in error.fields} == {
        "payload.servers.0.tools.0.status",
        "payload.servers.0.tools.0.current_version",
    }


async def test_only_an_admin_exports_and_imports(sessions: Sessions, box: SecretBox) -> None:
    document = await export(sessions, box)
    async with transaction(sessions, None) as session:
        with pytest.raises(ForbiddenError):
            await export_servers(session, CLAUDE, box)
        with pytest.raises(ForbiddenError):
            await import_document(session, CLAUDE, box, document, gateway=url_checks(box))


async def test_an_import_whose_external_source_the_egress_policy_refuses_is_refused_naming_it(
    sessions: Sessions, empty_sessions: Sessions, box: SecretBox
) -> None:
    await seed(sessions, box)
    document = await export(sessions, box)
    (weather,) = [s for s in document["payload"]["servers"] if s["name"] == "weather"]
    # Listed in the file, but a loopback address this instance's admin never approved.
    weather["external_sources"][0]["url"] = "http://127.0.0.1:8080/mcp"
    weather["allowed_hosts"].append("127.0.0.1:8080")

    error = await refused(empty_sessions, box, resigned(document, box))

    assert isinstance(error, InvalidInputError)
    assert [problem.field for problem in error.fields] == [
        "server 'weather', external source 'upstream'"
    ]
    assert "nothing was imported" in error.message
    assert "127.0.0.1" in error.fields[0].message
