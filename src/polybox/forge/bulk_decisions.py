"""Several review decisions in one call: each applied on its own, each reported on its own.

A decision that fails (not pending any more, unknown id, bad note) is rolled back to its own
savepoint and reported with its error; the others still apply. The order of the list is the order
of application, so approving a module request before the tool that needs it works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.actors import Actor
from polybox.forge.approvals import approve_tool, reject_tool, revoke_tool
from polybox.forge.errors import ForgeError
from polybox.forge.requests import decide_request
from polybox.forge.schemas import Out

MAX_DECISIONS = 100


class Decision(BaseModel):
    """One decision: a tool by `server` and `tool`, or a module/network request by `id`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["tool", "module", "network"]
    action: Literal["approve", "reject", "revoke"]
    id: int | None = Field(default=None, description="The request id (module and network).")
    server: str | None = Field(default=None, description="The tool's server (tools).")
    tool: str | None = Field(default=None, description="The tool's name (tools).")
    note: str | None = Field(default=None, description="Required to reject: what to change.")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.kind == "tool" and (self.server is None or self.tool is None or self.id):
            raise ValueError("a tool decision names `server` and `tool` (no `id`)")
        if self.kind != "tool" and (self.id is None or self.server or self.tool):
            raise ValueError(f"a {self.kind} decision names the request `id` only")
        if self.kind != "tool" and self.action == "revoke":
            raise ValueError("only tool approvals can be revoked")
        if self.action == "reject" and not (self.note and self.note.strip()):
            raise ValueError("a rejection needs a `note` saying what to change")
        return self


class DecisionResult(Out):
    """What became of one decision: the new status, or why it was not applied."""

    index: int
    ok: bool
    status: str | None = None
    error_type: str | None = None
    message: str | None = None


async def apply_decisions(
    session: AsyncSession, actor: Actor, decisions: Sequence[Decision]
) -> list[DecisionResult]:
    """Apply each decision in order in its own savepoint; one result per decision, same order."""
    results = []
    for index, decision in enumerate(decisions):
        try:
            async with session.begin_nested():
                status = await _apply(session, actor, decision)
        except ForgeError as exc:
            results.append(
                DecisionResult(index=index, ok=False, error_type=exc.kind, message=exc.message)
            )
        else:
            results.append(DecisionResult(index=index, ok=True, status=status))
    return results


async def _apply(session: AsyncSession, actor: Actor, decision: Decision) -> str:
    if decision.kind != "tool":
        assert decision.id is not None  # noqa: S101 - checked by the model
        request = await decide_request(
            session,
            actor,
            decision.kind,
            decision.id,
            approve=decision.action == "approve",
            note=decision.note,
        )
        return request.status
    assert decision.server is not None  # noqa: S101 - checked by the model
    assert decision.tool is not None  # noqa: S101 - checked by the model
    server, tool, note = decision.server, decision.tool, decision.note
    if decision.action == "approve":
        decided = await approve_tool(session, actor, server, tool, note)
    elif decision.action == "reject":
        decided = await reject_tool(session, actor, server, tool, note or "")
    else:
        decided = await revoke_tool(session, actor, server, tool, note)
    return decided.status.value
