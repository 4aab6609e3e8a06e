"""The .NET metrics hooks move the numbers a Prometheus scrape of `/metrics` reads."""

from __future__ import annotations

from polybox.workspaces import metrics


def sample(name: str, **labels: str) -> float:
    """The value of one series now (0 before its first observation)."""
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_workspace_counts_as_running_from_its_start_to_its_stop() -> None:
    running = sample("polybox_dotnet_workspaces_running", version="9")
    stops = sample("polybox_dotnet_workspaces_stopped_total", version="9", reason="idle")
    metrics.workspace_started("9")
    assert sample("polybox_dotnet_workspaces_running", version="9") == running + 1
    metrics.workspace_stopped("9", "idle")
    assert sample("polybox_dotnet_workspaces_running", version="9") == running
    assert sample("polybox_dotnet_workspaces_stopped_total", version="9", reason="idle") == (
        stops + 1
    )


def test_builds_are_counted_by_result_with_their_duration() -> None:
    failed = sample("polybox_dotnet_builds_total", version="8", result="failed")
    observed = sample("polybox_dotnet_build_duration_seconds_count", version="8")
    seconds = sample("polybox_dotnet_build_duration_seconds_sum", version="8")
    metrics.build_finished("8", 3.5, succeeded=False)
    assert sample("polybox_dotnet_builds_total", version="8", result="failed") == failed + 1
    assert sample("polybox_dotnet_build_duration_seconds_count", version="8") == observed + 1
    assert sample("polybox_dotnet_build_duration_seconds_sum", version="8") == seconds + 3.5


def test_cleanups_count_every_workspace_removed_by_their_trigger() -> None:
    before = sample("polybox_dotnet_workspace_cleanups_total", trigger="admin")
    metrics.workspaces_cleaned("admin", 3)
    assert sample("polybox_dotnet_workspace_cleanups_total", trigger="admin") == before + 3
