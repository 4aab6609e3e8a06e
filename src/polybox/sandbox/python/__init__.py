"""Running LLM-written Python tools: a pool of warm workers in Boxes, one child per call.

The forge calls `PythonPool.run(...)`; everything else here is how that is done safely.
"""

from polybox.sandbox.python.policy import DEFAULT_ALLOWED_MODULES
from polybox.sandbox.python.pool import PoolBusyError, PythonPool
from polybox.sandbox.python.results import PoolConfig, RunResult, ToolError

__all__ = [
    "DEFAULT_ALLOWED_MODULES",
    "PoolBusyError",
    "PoolConfig",
    "PythonPool",
    "RunResult",
    "ToolError",
]
