"""What the .NET workspace images promise, checked on BuildKit's parse of their Dockerfiles.

No Docker engine runs here, so the images are never built in the suite (the build request is
tested in tests/sandbox/test_docker_images.py). These pin what a review would look for: the
committed docker/ files are the template's renderings, a pinned SDK base of the right version,
a non-root user, tini as PID 1, python3 for the in-Box agent, no roll-forward, no telemetry,
NuGet offline.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from deploy.dockerfile_model import ROOT, Stage, stages
from deploy.test_dockerfile import _env, _run_words
from polybox.sandbox.dockerapi import BOX_USER
from polybox.sandbox.dockerimages import (
    NUGET_CONFIG,
    SDK_TAGS,
    build_context,
    render_dockerfile,
    write_renderings,
)

DOCKER = ROOT / "docker"
VERSIONS = list(SDK_TAGS)


@pytest.fixture(scope="module", params=VERSIONS)
def image(request: pytest.FixtureRequest) -> tuple[str, Stage]:
    version: str = request.param
    (stage,) = stages(DOCKER / f"dotnet-{version}.Dockerfile")
    return version, stage


def test_the_docker_directory_holds_the_templates_renderings(tmp_path: Path) -> None:
    written = write_renderings(tmp_path)
    assert sorted(path.name for path in DOCKER.iterdir()) == sorted(p.name for p in written)
    for path in written:
        assert (DOCKER / path.name).read_text(encoding="utf-8") == path.read_text(
            encoding="utf-8"
        ), f"docker/{path.name} is stale: run `make dockerfiles`"


def test_each_image_starts_from_its_versions_sdk_pinned_to_an_exact_tag(
    image: tuple[str, Stage],
) -> None:
    version, stage = image
    repository, tag = stage.base.split(":")
    assert repository == "mcr.microsoft.com/dotnet/sdk"
    major, minor, patch = tag.split(".")
    assert (major, minor) == (version, "0")
    assert patch.isdigit()


def test_each_image_runs_as_the_box_user_after_every_run_step(image: tuple[str, Stage]) -> None:
    _, stage = image
    (user,) = stage.of("USER")
    assert user.value == (BOX_USER,)
    assert stage.instructions.index(user) > max(map(stage.instructions.index, stage.of("RUN")))


def test_each_image_has_tini_as_pid_1_and_python3_for_the_agent(image: tuple[str, Stage]) -> None:
    _, stage = image
    (entrypoint,) = stage.of("ENTRYPOINT")
    assert entrypoint.value == ("/usr/bin/tini", "--")
    installs = [words for words in _run_words(stage) if words[:2] == ["apt-get", "install"]]
    assert {"tini", "python3"} <= {word for words in installs for word in words}
    (cmd,) = stage.of("CMD")
    assert cmd.value[:3] == ("python3", "-I", "-S")


def test_no_image_sets_roll_forward_and_telemetry_is_off(image: tuple[str, Stage]) -> None:
    _, stage = image
    env = _env(stage)
    names = list(env) + [arg.value[0].split("=")[0] for arg in stage.of("ARG")]
    assert not [name for name in names if name.upper().startswith("DOTNET_ROLL_FORWARD")]
    assert env["DOTNET_CLI_TELEMETRY_OPTOUT"] == "1"
    assert env["DOTNET_NOLOGO"] == "1"
    assert env["DOTNET_EnableDiagnostics"] == "0"
    # The CLI's and NuGet's writable folders are on the Box's tmpfs: the root is read-only.
    for name in ("DOTNET_CLI_HOME", "NUGET_PACKAGES", "NUGET_HTTP_CACHE_PATH"):
        assert env[name].startswith("/tmp/"), name


def test_nuget_reads_only_the_read_only_package_folder(image: tuple[str, Stage]) -> None:
    version, stage = image
    (copy,) = stage.of("COPY")
    assert copy.value == (NUGET_CONFIG, "/etc/opt/NuGet/Config/polybox.config")  # machine-wide
    text = (DOCKER / NUGET_CONFIG).read_text(encoding="utf-8")
    config = ET.fromstring(text)  # noqa: S314 - the repository's own file
    for section in ("packageSources", "fallbackPackageFolders"):
        found = config.find(section)
        assert found is not None, section
        entries = list(found)
        assert [entry.tag for entry in entries] == ["clear", "add"]
        assert entries[1].get("value") == "/nuget"
    # the user-level config the CLI creates on first use brings nuget.org: disabled machine-wide
    disabled = config.find("disabledPackageSources")
    assert disabled is not None
    assert [(e.get("key"), e.get("value")) for e in disabled] == [("nuget.org", "true")]
    assert b"/nuget" in build_context(version)


def test_the_template_has_no_other_placeholders() -> None:
    for version in VERSIONS:
        assert "$" not in render_dockerfile(version)
