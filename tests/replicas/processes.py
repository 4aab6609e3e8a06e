"""A `polybox serve` process as the replica tests see it, and the admin they share."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

ADMIN = "root"
ADMIN_PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Replica:
    name: str
    base: str
    process: subprocess.Popen[str]
    log: Path  # the process's stderr: its JSON log lines

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/mcp"
