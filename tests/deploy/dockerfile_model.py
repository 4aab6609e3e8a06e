"""The repository's Dockerfile as BuildKit parses it, grouped into build stages.

The `dockerfile` package wraps BuildKit's own Go parser, so what the tests read is what
`docker build` would read (line continuations, JSON and shell forms, flags), not a regex's guess.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import dockerfile  # type: ignore[import-not-found]  # compiled extension without type stubs

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass(frozen=True)
class Instruction:
    """One instruction: `cmd` upper-case, `flags` such as `--from=ui`, `value` its arguments."""

    cmd: str
    flags: tuple[str, ...]
    value: tuple[str, ...]
    original: str

    def flag(self, name: str) -> str | None:
        """The value of `--name=value`, or None when the flag is absent."""
        prefix = f"--{name}="
        return next((f.removeprefix(prefix) for f in self.flags if f.startswith(prefix)), None)


@dataclass
class Stage:
    """A `FROM` and the instructions up to the next one."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def of(self, cmd: str) -> list[Instruction]:
        return [i for i in self.instructions if i.cmd == cmd]


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    """The build stages in order; the last one is the image that ships."""
    result: list[Stage] = []
    for command in dockerfile.parse_file(str(path)):
        instruction = Instruction(
            cmd=command.cmd.upper(),
            flags=tuple(command.flags),
            value=tuple(command.value),
            original=command.original,
        )
        if instruction.cmd == "FROM":
            value = instruction.value
            name = value[2] if len(value) == 3 and value[1].upper() == "AS" else None
            result.append(Stage(base=value[0], name=name))
        elif result:
            result[-1].instructions.append(instruction)
    return result


def ignored_by_dockerignore(relative: str, path: Path = DOCKERIGNORE) -> bool:
    """Whether `.dockerignore` keeps `relative` (or a directory above it) out of the context.

    Covers the pattern forms this repository uses (names, globs, `**/` prefixes, no `!`
    exceptions); the test asserts there are no `!` lines so this stays a faithful reading.
    """
    patterns = [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = Path(relative).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for candidate in candidates:
            if fnmatch.fnmatchcase(candidate, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatchcase(candidate.split("/")[-1], bare):
                return True
    return False
