"""Rules of passthrough tools and OAuth token storage, on both backends."""

from __future__ import annotations

import pytest
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl

from external.conftest import ADMIN
from external.upstream import Upstream
from polybox.crypto import SecretDecryptError
from polybox.forge import approvals, tools, versions
from polybox.forge.errors import InvalidInputError
from polybox.forge.external import passthrough, sources
from polybox.forge.external.oauth import SourceTokens
from polybox.forge.external.targets import RemoteTarget
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.store.enums import SourceAuth, ToolStatus, VersionAuthor
from polybox.store.models import ExternalSource

pytestmark = pytest.mark.anyio


async def _source(instance: Instance, url: str, auth: SourceAuth = SourceAuth.NONE) -> int:
    async with transaction(instance.sessions, instance.events) as session:
        added = await sources.add_source(
            session, ADMIN, instance.runner.external, "hub", name="up", url=url, auth=auth
        )
    return added.id


async def test_a_passthrough_tool_has_no_code_to_edit(
    instance: Instance, allowed_server: str, upstream: Upstream
) -> None:
    await _source(instance, upstream.url)
    await passthrough.import_tools(
        instance.sessions, instance.events, ADMIN, instance.runner.external,
        server="hub", source="up", tools=["add"],
    )  # fmt: skip

    with pytest.raises(InvalidInputError, match="passes through an external source"):
        async with transaction(instance.sessions, instance.events) as session:
            await tools.update_tool(session, ADMIN, "hub", "add", code="async def main(): ...")


async def test_a_passthrough_tool_has_no_code_analysis_and_rolls_back_to_an_earlier_definition(
    instance: Instance, allowed_server: str, upstream: Upstream
) -> None:
    await _source(instance, upstream.url)

    async def import_add() -> None:
        await passthrough.import_tools(
            instance.sessions, instance.events, ADMIN, instance.runner.external,
            server="hub", source="up", tools=["add"],
        )  # fmt: skip

    await import_add()
    await upstream.stop()
    upstream.revision = 2  # the upstream releases a changed `add`
    await upstream.start()
    await import_add()
    async with transaction(instance.sessions, instance.events) as session:
        revised = await tools.get_tool(session, "hub", "add")
        await approvals.approve_tool(session, ADMIN, "hub", "add")
        rolled_back = await versions.rollback_tool(session, ADMIN, "hub", "add", 1)
        listed = await versions.list_tool_versions(session, "hub", "add")

    assert revised.analysis is None
    assert (revised.current_version, revised.description) == (2, "Add two integers, exactly.")
    assert revised.annotations == {"readOnlyHint": True}
    assert rolled_back.analysis is None
    assert rolled_back.current_version == 3
    assert rolled_back.description == "Add two numbers."
    assert rolled_back.annotations == {}
    assert rolled_back.input_schema == revised.input_schema
    assert rolled_back.status is ToolStatus.PENDING_REVIEW  # an admin's change waits for review
    assert [version.author for version in listed.items][:1] == [VersionAuthor.ROLLBACK]


async def test_oauth_tokens_are_stored_encrypted_and_bound_to_their_source(
    instance: Instance, allowed_server: str, upstream: Upstream
) -> None:
    source_id = await _source(instance, upstream.url, SourceAuth.OAUTH)
    async with instance.sessions() as session:
        row = await session.get(ExternalSource, source_id)
        assert row is not None
        target = RemoteTarget.of(row, remote_name="")
    storage = SourceTokens(instance.sessions, instance.secret_box, target)
    token = OAuthToken(access_token="at-123", refresh_token="rt-456", expires_in=60)
    client = OAuthClientInformationFull(
        client_id="polybox-client", redirect_uris=[AnyUrl("http://127.0.0.1/cb")]
    )

    await storage.set_tokens(token)
    await storage.set_client_info(client)

    assert await storage.get_tokens() == token
    assert (await storage.get_client_info()) == client
    async with instance.sessions() as session:
        listed = await sources.get_source(session, "hub", "up")
        row = await session.get(ExternalSource, source_id)
    assert listed.oauth_connected
    assert row is not None
    assert row.oauth_state_ciphertext is not None
    assert b"at-123" not in row.oauth_state_ciphertext
    with pytest.raises(SecretDecryptError):  # the blob copied to another source does not open
        instance.secret_box.decrypt(
            row.oauth_state_ciphertext,
            server_id=target.server_id,
            key=f"oauth-source:{source_id + 1}",
        )
