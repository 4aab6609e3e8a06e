"""The body of an alert for each webhook kind.

`generic` is polybox's own JSON (stable keys for scripts); `slack` is a Slack incoming-webhook
message (`text` plus Block Kit blocks); `discord` is a Discord webhook message with one embed.
Lengths are cut to each service's limits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from polybox.alerts.conditions import Problem
from polybox.forge.settings import AlertFormat

SOURCE = "polybox"
DISCORD_ORANGE = 0xD9480F


def render(problem: Problem, style: AlertFormat, at: datetime) -> dict[str, Any]:
    """The JSON body announcing `problem` in `style`."""
    if style == "slack":
        return _slack(problem)
    if style == "discord":
        return _discord(problem, at)
    return {
        "source": SOURCE,
        "alert": problem.kind,
        "key": problem.key,
        "title": problem.title,
        "summary": problem.summary,
        "facts": problem.facts,
        "at": at.isoformat(),
    }


def _slack(problem: Problem) -> dict[str, Any]:
    fields = [
        {"type": "mrkdwn", "text": f"*{name}*\n{value}"}
        for name, value in list(problem.facts.items())[:10]
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": problem.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": problem.summary[:3000]}},
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    return {"text": f"[{SOURCE}] {problem.title}", "blocks": blocks}


def _discord(problem: Problem, at: datetime) -> dict[str, Any]:
    return {
        "username": SOURCE,
        "embeds": [
            {
                "title": problem.title[:256],
                "description": problem.summary[:4096],
                "color": DISCORD_ORANGE,
                "fields": [
                    {"name": name[:256], "value": str(value)[:1024], "inline": True}
                    for name, value in list(problem.facts.items())[:25]
                ],
                "timestamp": at.isoformat(),
            }
        ],
    }
