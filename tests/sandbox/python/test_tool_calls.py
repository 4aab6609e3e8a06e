"""Tool calls through the pool in real bwrap Boxes: results, output, errors and the language."""

from __future__ import annotations

import pytest

from polybox.sandbox.python import PythonPool
from sandbox.python.pools import NO_EGRESS, run

pytestmark = pytest.mark.anyio


async def test_result_and_printed_output_come_back(pool: PythonPool) -> None:
    code = "async def main(x: int) -> dict:\n    print('got', x)\n    return {'double': x * 2}\n"
    result = await run(pool, code, {"x": 21})
    assert result.ok
    assert result.result == {"double": 42}
    assert result.stdout == "got 21\n"
    assert result.error is None
    assert result.duration_ms > 0


async def test_a_synchronous_main_works_too(pool: PythonPool) -> None:
    result = await run(pool, "def main():\n    return [1, 'two', None, True, 2.5]\n")
    assert result.result == [1, "two", None, True, 2.5]


async def test_an_exception_reports_type_message_line_and_the_tools_own_frames(
    pool: PythonPool,
) -> None:
    code = "def helper(v):\n    return 10 / v\n\nasync def main():\n    return helper(0)\n"
    result = await run(pool, code)
    assert not result.ok
    assert result.error is not None
    assert (result.error.type, result.error.message, result.error.line) == (
        "ZeroDivisionError",
        "division by zero",
        2,
    )
    assert 'File "<tool>", line 5, in main' in result.error.traceback
    assert 'File "<tool>", line 2, in helper' in result.error.traceback
    assert "worker" not in result.error.traceback
    assert "child.py" not in result.error.traceback


async def test_a_syntax_error_names_its_line(pool: PythonPool) -> None:
    result = await run(pool, "async def main():\n    return (1,\n\nx = = 2\n")
    assert result.error is not None
    assert result.error.type == "SyntaxError"
    assert result.error.line == 2


async def test_output_printed_before_an_error_is_kept(pool: PythonPool) -> None:
    result = await run(
        pool, "def main():\n    print('step 1')\n    raise ValueError('bad input')\n"
    )
    assert result.stdout == "step 1\n"
    assert result.error is not None
    assert (result.error.type, result.error.message) == ("ValueError", "bad input")


async def test_code_without_main_gets_a_contract_error(pool: PythonPool) -> None:
    result = await run(pool, "x = 1\n")
    assert result.error is not None
    assert result.error.type == "ToolContractError"
    assert "must define a function `main`" in result.error.message


async def test_classes_closures_dataclasses_and_gather_work(pool: PythonPool) -> None:
    code = """
import asyncio
from dataclasses import dataclass, asdict

@dataclass
class Point:
    x: int
    y: int

def adder(n):
    return lambda v: v + n

async def square(v):
    await asyncio.sleep(0)
    return v * v

async def main(n: int) -> dict:
    squares = await asyncio.gather(*(square(i) for i in range(n)))
    add3 = adder(3)
    return {"p": asdict(Point(1, 2)), "squares": squares, "added": [add3(s) for s in squares]}
"""
    result = await run(pool, code, {"n": 4})
    assert result.result == {
        "p": {"x": 1, "y": 2},
        "squares": [0, 1, 4, 9],
        "added": [3, 4, 7, 12],
    }


async def test_allowed_modules_import_and_others_are_refused_by_name(pool: PythonPool) -> None:
    ok = await run(
        pool, "import json, math, urllib.parse\ndef main():\n    return math.floor(2.5)\n"
    )
    assert ok.result == 2
    refused = await run(pool, "import subprocess\ndef main():\n    return 1\n")
    assert refused.error is not None
    assert refused.error.type == "ImportError"
    assert "'subprocess'" in refused.error.message
    assert "polybox_request_module" in refused.error.message
    assert refused.error.line == 1


async def test_from_import_of_a_module_outside_the_list_is_refused(pool: PythonPool) -> None:
    result = await run(pool, "from urllib import request\ndef main():\n    return 1\n")
    assert result.error is not None
    assert "'urllib.request'" in result.error.message


async def test_field_from_pydantic_or_bare_is_a_marker_in_the_box(pool: PythonPool) -> None:
    """pydantic is not in the Box: `Field` is the child's stdlib stand-in, nothing else is."""
    code = (
        "from typing import Annotated\n"
        "from pydantic import Field as PField\n"
        "async def main(n: Annotated[int, PField(ge=1, description='how many')],\n"
        "               s: Annotated[str, Field(max_length=3)] = 'ab') -> dict:\n"
        "    return {'n': n, 's': s, 'same': PField is Field, 'shown': repr(PField(ge=1))}\n"
    )
    result = await run(pool, code, {"n": 2})
    assert result.result == {"n": 2, "s": "ab", "same": True, "shown": "Field(ge=1)"}

    refused = await run(pool, "from pydantic import BaseModel\ndef main():\n    return 1\n")
    assert refused.error is not None
    assert "'pydantic.BaseModel'" in refused.error.message


async def test_a_caller_supplied_module_list_replaces_the_default(pool: PythonPool) -> None:
    code = "import math\ndef main():\n    return 1\n"
    result = await pool.run(
        code, {}, scope="s", secrets={}, egress=NO_EGRESS, allowed_modules={"json"}
    )
    assert result.error is not None
    assert "'math'" in result.error.message


async def test_printed_output_is_cut_at_the_limit_and_says_so(pool: PythonPool) -> None:
    limit = pool.config.output_limit
    result = await run(pool, f"def main():\n    print('x' * {limit * 3})\n    return 'done'\n")
    assert result.result == "done"
    assert result.stdout.startswith("x" * limit)
    assert result.stdout.endswith("[output cut: the tool printed more than the limit]")
    assert len(result.stdout) < limit + 100


async def test_a_result_over_the_size_limit_is_a_clear_error(pool: PythonPool) -> None:
    limit = pool.config.result_limit
    result = await run(pool, f"def main():\n    return 'x' * {limit}\n")
    assert result.error is not None
    assert result.error.type == "ToolContractError"
    assert f"over the limit of {limit} bytes" in result.error.message


async def test_a_non_json_result_names_the_type(pool: PythonPool) -> None:
    result = await run(pool, "def main():\n    return {'s': {1, 2}}\n")
    assert result.error is not None
    assert "not JSON-serialisable" in result.error.message
    assert "set" in result.error.message


async def test_each_call_starts_from_fresh_module_state(pool: PythonPool) -> None:
    code = "import json\njson.polluted = True\nseen = []\ndef main():\n    seen.append(1)\n"
    code += "    return len(seen)\n"
    first = await run(pool, code)
    second = await run(pool, "import json\ndef main():\n    return hasattr(json, 'polluted')\n")
    assert (first.result, second.result) == (1, False)


@pytest.mark.parametrize("redact", [True, False])
async def test_redaction_of_result_output_and_error_follows_the_redact_flag(
    pool: PythonPool, redact: bool
) -> None:
    secret = "s3cret-value-42"
    code = (
        "async def main(fail: bool):\n"
        "    print(secrets['KEY'])\n"
        "    if fail:\n"
        "        raise ValueError(secrets['KEY'])\n"
        "    return {'key': secrets['KEY']}\n"
    )
    ok, failed = [
        await pool.run(
            code,
            {"fail": fail},
            scope="s",
            secrets={"KEY": secret},
            raw={"KEY"},  # the values that enter the Box, where redaction matters
            egress=NO_EGRESS,
            redact=redact,
        )
        for fail in (False, True)
    ]
    assert failed.error is not None
    shown = [str(ok.result), ok.stdout, failed.stdout, failed.error.message]
    assert all((secret in text) is not redact for text in shown), shown
