"""The docker backend's .NET workspace images: one Dockerfile template, built per version.

`images/dotnet.Dockerfile` is rendered with each version's pinned SDK base image; the build
context is that Dockerfile plus `images/NuGet.Config`, sent to the engine as a tar (the engine
may be remote: nothing is read from the host's filesystem at build time). Images are tagged
`workspace_image(version)` and labelled with the .NET version, this instance and polybox's
version. Boxes that name such an image (`BoxSpec.image`) never pull it: it is built here or not
at all. `python -m polybox.sandbox.dockerimages DIR` writes the renderings (docker/ in the repo).
"""

from __future__ import annotations

import io
import re
import sys
import tarfile
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from docker import APIClient

from polybox import __version__
from polybox.sandbox.box import BoxError
from polybox.sandbox.docker import INSTANCE_LABEL
from polybox.sandbox.dockerapi import call

SDK_TAGS: Mapping[str, str] = {"8": "8.0.412", "9": "9.0.302", "10": "10.0.401"}
"""The exact mcr.microsoft.com/dotnet/sdk tag each workspace image starts from."""
REPOSITORY = "polybox-dotnet-workspace"
DOTNET_LABEL = "polybox.dotnet"
VERSION_LABEL = "polybox.version"
NUGET_CONFIG = "NuGet.Config"
OUTPUT_TAIL = 20
"""Lines of build output a failed step's error quotes."""
_STEP = re.compile(r"Step (\d+)/(\d+) : (.*)")
_BUILDER_NOISE = re.compile(r"---> |Removing intermediate container ")

Progress = Callable[[str, int, int], None]
"""Called with (what is happening, steps done, steps in all)."""


class ImageBuildError(BoxError):
    """An image could not be built; the message names the version, the step and its output."""


def workspace_image(version: str) -> str:
    """The tag of the .NET `version` workspace image (what `BoxSpec.image` names)."""
    return f"{REPOSITORY}:{version}"


def _asset(name: str) -> str:
    return (resources.files("polybox.sandbox") / "images" / name).read_text(encoding="utf-8")


def render_dockerfile(version: str) -> str:
    """The Dockerfile of one version's workspace image."""
    return Template(_asset("dotnet.Dockerfile")).substitute(
        version=version, sdk_tag=SDK_TAGS[version]
    )


def step_count(dockerfile: str) -> int:
    """How many instructions (build steps) a Dockerfile has."""
    steps, continued = 0, False
    for line in dockerfile.splitlines():
        stripped = line.strip()
        if not continued and stripped and not stripped.startswith("#"):
            steps += 1
        continued = stripped.endswith("\\") or (continued and not stripped)
    return steps


def build_context(version: str) -> bytes:
    """The tar the engine builds one version's image from."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in (
            ("Dockerfile", render_dockerfile(version)),
            (NUGET_CONFIG, _asset(NUGET_CONFIG)),
        ):
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(data), 0o644
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def check_versions(versions: Sequence[str]) -> None:
    """Refuse an empty list or a version without an image, naming the ones there are."""
    unknown = [version for version in versions if version not in SDK_TAGS]
    if unknown or not versions:
        raise ImageBuildError(
            f"no workspace image for .NET {', '.join(unknown) or '(none given)'}: "
            f"choose from {', '.join(SDK_TAGS)}"
        )


async def build_images(
    api: APIClient, versions: Sequence[str], *, instance: str, progress: Progress
) -> list[str]:
    """Build each version's workspace image on the engine; returns the tags, in order.

    Raises ImageBuildError naming the failing step with the tail of its output, or BoxError
    when the engine refuses the build itself.
    """
    check_versions(versions)
    per_image = step_count(render_dockerfile(versions[0]))
    tags = []
    for index, version in enumerate(versions):
        tag = workspace_image(version)
        labels = {DOTNET_LABEL: version, INSTANCE_LABEL: instance, VERSION_LABEL: __version__}

        def report(step: str, done: int, version: str = version, index: int = index) -> None:
            progress(f".NET {version}: {step}", index * per_image + done, len(versions) * per_image)

        await call(f"building {tag}", _build, api, version, tag, labels, report)
        tags.append(tag)
    return tags


def _build(
    api: APIClient,
    version: str,
    tag: str,
    labels: dict[str, str],
    report: Callable[[str, int], None],
) -> None:
    """Blocking: send the context, follow the engine's build stream to its end."""
    stream: Iterable[dict[str, Any]] = api.build(
        fileobj=io.BytesIO(build_context(version)),
        custom_context=True,
        tag=tag,
        labels=labels,
        dockerfile="Dockerfile",
        rm=True,
        forcerm=True,
        decode=True,
    )
    follow_build(stream, tag, report)


def follow_build(
    stream: Iterable[dict[str, Any]], tag: str, report: Callable[[str, int], None]
) -> None:
    """Report each step as it starts; raise ImageBuildError for the first error message.

    The stream is read to its end either way, so its connection goes back to the client.
    """
    tail: deque[str] = deque(maxlen=OUTPUT_TAIL)
    step, steps, instruction = 0, 0, ""
    failure: ImageBuildError | None = None
    for message in stream:
        if failure is not None:
            continue
        if "error" in message or "errorDetail" in message:
            where = f" at step {step}/{steps} ({instruction})" if step else ""
            failure = _failure(message, tag, where, tail)
            continue
        for line in str(message.get("stream") or "").splitlines():
            if match := _STEP.match(line.strip()):
                step, steps, instruction = int(match[1]), int(match[2]), match[3]
                report(instruction[:60], step - 1)
                tail.clear()
            elif line.strip() and not _BUILDER_NOISE.match(line.strip()):
                tail.append(line.rstrip())
    if failure is not None:
        raise failure
    report("built", steps)


def _failure(message: dict[str, Any], tag: str, where: str, tail: Iterable[str]) -> ImageBuildError:
    """The error of a build stream's error message, with the output of the step that failed."""
    detail = message.get("errorDetail") or {}
    error = str(message.get("error") or detail.get("message") or "unknown error").strip()
    output = "\n".join(tail)
    return ImageBuildError(
        f"building {tag} failed{where}: {error}" + (f"\nlast output:\n{output}" if output else "")
    )


def write_renderings(directory: Path) -> list[Path]:
    """Write docker/dotnet-<version>.Dockerfile for every version and the NuGet.Config."""
    written = []
    for version in SDK_TAGS:
        path = directory / f"dotnet-{version}.Dockerfile"
        path.write_text(render_dockerfile(version), encoding="utf-8")
        written.append(path)
    config = directory / NUGET_CONFIG
    config.write_text(_asset(NUGET_CONFIG), encoding="utf-8")
    return [*written, config]


if __name__ == "__main__":
    for written_path in write_renderings(Path(sys.argv[1])):
        print(written_path)
