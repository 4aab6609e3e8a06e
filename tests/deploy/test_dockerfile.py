"""What the Dockerfile promises, checked on BuildKit's parse of it.

No Docker engine runs here, so the image is never built in the suite; these tests pin the
properties a review would look for (and a build would not complain about): non-root, a
healthcheck, pinned bases, hash-checked dependencies, no secrets in layers, a build context that
has every file the build copies.
"""

from __future__ import annotations

import re
import shlex

import pytest

from deploy.dockerfile_model import DOCKERIGNORE, ROOT, Stage, ignored_by_dockerignore, stages
from polybox.config import Settings, env_name

SECRET_NAME = re.compile(r"(KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|DATABASE_URL)", re.I)


@pytest.fixture(scope="module")
def all_stages() -> list[Stage]:
    return stages()


@pytest.fixture(scope="module")
def final(all_stages: list[Stage]) -> Stage:
    return all_stages[-1]


def _env(stage: Stage) -> dict[str, str]:
    values = [i.value for i in stage.of("ENV")]
    return {pair[n]: pair[n + 1] for pair in values for n in range(0, len(pair), 2)}


def _run_words(stage: Stage) -> list[list[str]]:
    """Each RUN's shell commands (split at `&&`) as word lists."""
    commands = []
    for run in stage.of("RUN"):
        for command in " ".join(run.value).split("&&"):
            commands.append(shlex.split(command, posix=True))
    return commands


def test_the_shipped_stage_runs_as_a_non_root_user(final: Stage) -> None:
    users = final.of("USER")
    assert users, "the final stage has no USER: the image would run as root"
    user = users[-1].value[0].split(":")[0]
    assert user not in ("root", "0")
    # Every RUN happens before the switch; nothing after it switches back.
    assert final.instructions.index(users[-1]) > max(
        final.instructions.index(run) for run in final.of("RUN")
    )


def test_the_image_checks_its_health_on_healthz(final: Stage) -> None:
    (check,) = final.of("HEALTHCHECK")
    assert check.value[0] == "CMD"
    assert "/healthz" in " ".join(check.value)
    assert all(check.flag(name) for name in ("interval", "timeout", "retries"))


def test_the_image_serves_the_default_port_on_every_interface(final: Stage) -> None:
    (expose,) = final.of("EXPOSE")
    assert expose.value == (str(Settings.model_fields["port"].default),)
    (entrypoint,) = final.of("ENTRYPOINT")
    (cmd,) = final.of("CMD")
    argv = [*entrypoint.value, *cmd.value]
    assert argv[-4:] == ["polybox", "serve", "--host", "0.0.0.0"]


def test_every_base_image_is_pinned_to_a_tag(all_stages: list[Stage]) -> None:
    names = {stage.name for stage in all_stages if stage.name}
    for stage in all_stages:
        if stage.base in names:
            continue
        image = stage.base.split("@", 1)[0]
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else None
        assert tag or "@sha256:" in stage.base, f"{stage.base} floats: pin a tag or digest"
        assert tag != "latest", f"{stage.base}: `latest` is not a pin"


def test_the_runtime_base_is_the_slim_python_the_venv_was_built_on(all_stages: list[Stage]) -> None:
    # The venv's interpreter is a symlink into the base image, so both stages must share it.
    (builder,) = [s for s in all_stages if s.name == "python"]
    assert all_stages[-1].base == builder.base == "python:3.11-slim-bookworm"
    assert any(
        i.flag("from") == "python" and i.value[0] == "/opt/polybox"
        for i in all_stages[-1].of("COPY")
    )


def test_nothing_is_downloaded_with_add(all_stages: list[Stage]) -> None:
    for stage in all_stages:
        for add in stage.of("ADD"):
            assert not any(v.startswith(("http://", "https://", "git@")) for v in add.value), (
                f"{add.original}: unverified download; fetch with a checksum in RUN instead"
            )


def test_every_pip_install_checks_hashes_and_polybox_comes_from_the_lock(
    all_stages: list[Stage],
) -> None:
    installs = [
        words
        for stage in all_stages
        for words in _run_words(stage)
        if "pip" in " ".join(words) and "install" in words
    ]
    assert installs
    for words in installs:
        assert "--require-hashes" in words, f"pip install without --require-hashes: {words}"
    assert any(
        "-c" in words and words[words.index("-c") + 1] == "requirements/runtime.txt"
        for words in installs
    ), "the runtime dependencies must be constrained (pinned and hash-checked) by the lock"


def test_the_runtime_stage_installs_what_the_sandbox_needs(final: Stage) -> None:
    packages = {
        word for words in _run_words(final) if words[:2] == ["apt-get", "install"] for word in words
    }
    assert {"bubblewrap", "libseccomp2", "python3"} <= packages
    # The Box's interpreter is the Debian one that package provides.
    assert str(Settings.model_fields["sandbox_python"].default) == "/usr/bin/python3"


def test_no_secret_is_baked_into_env_or_build_args(all_stages: list[Stage]) -> None:
    for stage in all_stages:
        names = list(_env(stage)) + [a.value[0].split("=")[0] for a in stage.of("ARG")]
        leaked = [name for name in names if SECRET_NAME.search(name)]
        assert not leaked, f"{leaked}: pass secrets at run time (compose .env), not in the image"


def test_every_polybox_variable_the_image_sets_is_a_setting(all_stages: list[Stage]) -> None:
    settings = {env_name(name) for name in Settings.model_fields}
    for stage in all_stages:
        for name in _env(stage):
            assert not name.startswith("POLYBOX_") or name in settings, f"{name} is no setting"


def test_the_data_dir_is_the_volume(final: Stage) -> None:
    (volume,) = final.of("VOLUME")
    assert _env(final)["POLYBOX_DATA_DIR"] in volume.value


def test_every_file_the_build_copies_is_in_the_build_context(all_stages: list[Stage]) -> None:
    assert not any(
        line.startswith("!") for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    )
    for stage in all_stages:
        for copy in stage.of("COPY"):
            if copy.flag("from"):
                continue
            for source in copy.value[:-1]:
                assert (ROOT / source).exists(), f"{copy.original}: {source} does not exist"
                assert not ignored_by_dockerignore(source.rstrip("/")), (
                    f"{copy.original}: .dockerignore leaves {source} out of the context"
                )


def test_local_state_and_secrets_stay_out_of_the_build_context() -> None:
    for path in (".git", ".venv", "frontend/node_modules", ".env", "data/polybox.db", "x.key"):
        assert ignored_by_dockerignore(path), path
