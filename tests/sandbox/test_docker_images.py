"""Building the .NET workspace images through the Docker engine API, against a served engine.

No Docker engine runs here: `docker_engine.served_engine` answers the engine's HTTP API on
loopback (the real docker SDK makes the requests), so these tests prove what polybox sends and
how it reads the build stream, not that the images build (tests/deploy checks the Dockerfiles).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from docker import APIClient

from polybox import __version__
from polybox.sandbox.box import BoxError
from polybox.sandbox.dockerimages import (
    NUGET_CONFIG,
    OUTPUT_TAIL,
    ImageBuildError,
    build_images,
    render_dockerfile,
    step_count,
    workspace_image,
)
from polybox.sandbox.dotnet import DOTNET_VERSIONS
from sandbox.docker_engine import API_VERSION, Engine, served_engine

pytestmark = pytest.mark.anyio
INSTANCE = "0123456789ab"
STEPS = step_count(render_dockerfile("8"))


@pytest.fixture
def engine() -> Iterator[Engine]:
    with served_engine() as served:
        yield served


@pytest.fixture
def api(engine: Engine) -> Iterator[APIClient]:
    client = APIClient(base_url=engine.address, version=API_VERSION)
    yield client
    client.close()


class Recorder:
    """A progress callback that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, step: str, done: int, total: int) -> None:
        self.calls.append((step, done, total))


async def test_build_sends_each_versions_context_tag_labels_and_dockerfile(
    engine: Engine, api: APIClient
) -> None:
    tags = await build_images(api, ["8", "10"], instance=INSTANCE, progress=Recorder())
    assert (
        tags
        == [workspace_image("8"), workspace_image("10")]
        == [
            "polybox-dotnet-workspace:8",
            "polybox-dotnet-workspace:10",
        ]
    )
    first, second = engine.builds
    assert first.query["t"] == "polybox-dotnet-workspace:8"
    assert first.query["dockerfile"] == "Dockerfile"
    assert (first.query["rm"], first.query["forcerm"]) == ("True", "True")
    assert first.content_type == "application/tar"
    assert first.labels == {"polybox.dotnet": "8", "polybox.instance": INSTANCE,
                            "polybox.version": __version__}  # fmt: skip
    assert set(first.files) == {"Dockerfile", NUGET_CONFIG}
    assert first.files["Dockerfile"] == render_dockerfile("8")
    assert "FROM mcr.microsoft.com/dotnet/sdk:8.0." in first.files["Dockerfile"]
    assert "FROM mcr.microsoft.com/dotnet/sdk:10.0." in second.files["Dockerfile"]
    assert second.labels["polybox.dotnet"] == "10"


async def test_build_progress_follows_the_engines_steps_to_the_end(api: APIClient) -> None:
    progress = Recorder()
    await build_images(api, ["8", "9"], instance=INSTANCE, progress=progress)
    assert len(progress.calls) == 2 * (STEPS + 1)
    assert {total for _, _, total in progress.calls} == {2 * STEPS}
    done = [step_done for _, step_done, _ in progress.calls]
    assert done == sorted(done)
    assert progress.calls[0] == (".NET 8: FROM mcr.microsoft.com/dotnet/sdk:8.0.412", 0, 2 * STEPS)
    assert progress.calls[1][0].startswith(".NET 8: RUN apt-get update")
    assert progress.calls[STEPS] == (".NET 8: built", STEPS, 2 * STEPS)
    assert progress.calls[-1] == (".NET 9: built", 2 * STEPS, 2 * STEPS)


async def test_a_failed_step_is_named_with_the_tail_of_its_output(
    engine: Engine, api: APIClient
) -> None:
    engine.fail_step = 2
    engine.step_output = [f"line {n}" for n in range(50)] + ["E: Unable to locate package tini"]
    with pytest.raises(ImageBuildError) as info:
        await build_images(api, ["9", "10"], instance=INSTANCE, progress=Recorder())
    message = str(info.value)
    headline, *output = message.splitlines()
    assert headline.startswith(
        f"building polybox-dotnet-workspace:9 failed at step 2/{STEPS} (RUN apt-get update"
    )
    assert headline.endswith("returned a non-zero code: 100")
    assert output[0] == "last output:"
    assert output[1:] == [f"line {n}" for n in range(31, 50)] + ["E: Unable to locate package tini"]
    assert len(output) - 1 == OUTPUT_TAIL
    assert len(engine.builds) == 1  # the next version is not attempted


async def test_an_engine_that_refuses_the_build_is_a_box_error(
    engine: Engine, api: APIClient
) -> None:
    engine.refuse = "Cannot locate specified Dockerfile: Dockerfile"
    with pytest.raises(
        BoxError, match=r"^building polybox-dotnet-workspace:8 failed: Cannot locate"
    ):
        await build_images(api, ["8"], instance=INSTANCE, progress=Recorder())


async def test_unknown_versions_are_refused_before_the_engine_is_asked(
    engine: Engine, api: APIClient
) -> None:
    with pytest.raises(
        ImageBuildError, match=r"no workspace image for \.NET 7: choose from 8, 9, 10"
    ):
        await build_images(api, ["8", "7"], instance=INSTANCE, progress=Recorder())
    assert engine.builds == []


def test_every_dotnet_version_has_a_workspace_image() -> None:
    for version in DOTNET_VERSIONS:
        assert f"FROM mcr.microsoft.com/dotnet/sdk:{version}.0." in render_dockerfile(version)
