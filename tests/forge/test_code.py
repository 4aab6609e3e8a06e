"""Static analysis of tool code: schemas from annotations, each problem kind, never running it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from polybox.forge.code import analyze_code
from polybox.forge.names import MAX_CODE_BYTES
from polybox.forge.schemas import CodeReport
from polybox.sandbox.egress import host_entry, is_host_allowed
from polybox.sandbox.python import DEFAULT_ALLOWED_MODULES

HEADER = (
    "import typing\nimport typing as t\nfrom typing import Annotated, Any, Dict, List, Literal\n"
)
HEADER += "from typing import Optional, Union\nfrom typing import Optional as Maybe\n"
HEADER += "from pydantic import Field\n"


def analyze(code: str, *, hosts: tuple[str, ...] = ()) -> CodeReport:
    return analyze_code(code, allowed_modules=DEFAULT_ALLOWED_MODULES, allowed_hosts=hosts)


def messages(report: CodeReport) -> list[str]:
    return [str(issue) for issue in report.errors]


def parameter_schema(annotation: str, default: str | None = None) -> dict[str, Any]:
    """The schema of the single parameter `value: <annotation> [= default]`."""
    suffix = "" if default is None else f" = {default}"
    report = analyze(f"{HEADER}async def main(value: {annotation}{suffix}):\n    return 1\n")
    assert report.errors == [], messages(report)
    assert report.input_schema is not None
    schema: dict[str, Any] = report.input_schema["properties"]["value"]
    schema.pop("title")
    return schema


NULLABLE_INT = {"anyOf": [{"type": "integer"}, {"type": "null"}]}


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        pytest.param("str", {"type": "string"}, id="str"),
        pytest.param("int", {"type": "integer"}, id="int"),
        pytest.param("float", {"type": "number"}, id="float"),
        pytest.param("bool", {"type": "boolean"}, id="bool"),
        pytest.param("None", {"type": "null"}, id="None"),
        pytest.param("Any", {}, id="Any"),
        pytest.param("typing.Any", {}, id="typing.Any"),
        pytest.param("list", {"type": "array", "items": {}}, id="bare-list"),
        pytest.param("dict", {"type": "object", "additionalProperties": True}, id="bare-dict"),
        pytest.param("list[str]", {"type": "array", "items": {"type": "string"}}, id="list[str]"),
        pytest.param("List[int]", {"type": "array", "items": {"type": "integer"}}, id="List[int]"),
        pytest.param(
            "dict[str, float]",
            {"type": "object", "additionalProperties": {"type": "number"}},
            id="dict[str, float]",
        ),
        pytest.param(
            "t.Dict[str, bool]",
            {"type": "object", "additionalProperties": {"type": "boolean"}},
            id="t.Dict",
        ),
        pytest.param("Optional[int]", NULLABLE_INT, id="Optional"),
        pytest.param("typing.Optional[int]", NULLABLE_INT, id="typing.Optional"),
        pytest.param("Maybe[int]", NULLABLE_INT, id="imported-alias"),
        pytest.param("int | None", NULLABLE_INT, id="X | None"),
        pytest.param("Union[int, None]", NULLABLE_INT, id="Union"),
        pytest.param("'int | None'", NULLABLE_INT, id="string-annotation"),
        pytest.param(
            "Literal['metric', 'imperial']",
            {"type": "string", "enum": ["metric", "imperial"]},
            id="Literal",
        ),
        pytest.param(
            "Annotated[int, Field(ge=1, le=10, description='how many')]",
            {"type": "integer", "minimum": 1, "maximum": 10, "description": "how many"},
            id="Annotated-Field",
        ),
        pytest.param(
            "Annotated[str, 'the city']",
            {"type": "string", "description": "the city"},
            id="Annotated-description",
        ),
        pytest.param(
            "Optional[list[dict[str, Literal[1, 2]]]]",
            {
                "anyOf": [
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": {"enum": [1, 2], "type": "integer"},
                        },
                    },
                    {"type": "null"},
                ]
            },
            id="nested",
        ),
    ],
)
def test_each_supported_annotation_becomes_its_json_schema(
    annotation: str, expected: dict[str, Any]
) -> None:
    assert parameter_schema(annotation) == expected


def test_literal_defaults_become_schema_defaults_and_make_parameters_optional() -> None:
    code = (
        f"{HEADER}async def main(city: str, units: str = 'metric', tags: list[str] = ['a'],"
        " *, limit: Optional[int] = None, verbose: bool = False):\n    return 1\n"
    )
    report = analyze(code)
    assert report.input_schema is not None
    properties = report.input_schema["properties"]
    assert report.input_schema["required"] == ["city"]
    assert properties["units"]["default"] == "metric"
    assert properties["tags"]["default"] == ["a"]
    assert properties["limit"]["default"] is None
    assert properties["verbose"]["default"] is False
    assert report.input_schema["type"] == "object"


def test_parameters_named_like_pydantic_attributes_keep_their_names() -> None:
    report = analyze("async def main(json: dict, schema: str, model_config: int = 1):\n  pass\n")
    assert report.input_schema is not None
    assert list(report.input_schema["properties"]) == ["json", "schema", "model_config"]
    assert report.input_schema["required"] == ["json", "schema"]


def test_description_is_the_first_line_of_mains_docstring() -> None:
    report = analyze('async def main():\n    """\n    Current weather.\n\n    More."""\n')
    assert report.description == "Current weather."
    assert analyze("async def main():\n    pass\n").description is None


def test_an_object_return_type_is_the_output_schema_as_it_is() -> None:
    report = analyze("async def main() -> dict[str, int]:\n    return {}\n")
    assert report.output_schema == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert report.output_wrapped is False


def test_a_non_object_return_type_is_wrapped_under_result() -> None:
    report = analyze("async def main() -> list[str]:\n    return []\n")
    assert report.output_schema == {
        "type": "object",
        "properties": {"result": {"type": "array", "items": {"type": "string"}}},
        "required": ["result"],
    }
    assert report.output_wrapped is True


def test_no_return_annotation_or_none_means_no_output_schema() -> None:
    assert analyze("async def main():\n    pass\n").output_schema is None
    assert analyze("async def main() -> None:\n    pass\n").output_schema is None


def test_a_clean_tool_is_ok_with_nothing_to_report() -> None:
    report = analyze("import json\nasync def main(x: int) -> dict:\n    return {'x': x}\n")
    assert report.ok
    assert (report.errors, report.warnings) == ([], [])
    assert report.imports == ["json"]


def test_a_syntax_error_is_reported_with_line_and_column() -> None:
    report = analyze("async def main():\n    return (1 +\n")
    assert not report.ok
    [error] = report.errors
    assert error.line == 2
    assert error.column == 12
    assert "syntax error" in error.message
    assert "never closed" in error.message


def test_errors_the_compiler_finds_after_parsing_are_syntax_errors_too() -> None:
    [error] = analyze("await thing()\nasync def main():\n    pass\n").errors
    assert (error.line, error.message) == (1, "syntax error: 'await' outside function")


def test_missing_main_is_reported() -> None:
    assert messages(analyze("async def run():\n    pass\n")) == [
        "no `async def main(...)` at the top level of the code"
    ]


def test_a_sync_main_is_reported_with_its_line() -> None:
    assert messages(analyze("x = 1\ndef main():\n    pass\n")) == [
        "line 2: `main` must be a coroutine: write `async def main(...)`"
    ]


def test_a_parameter_without_annotation_asks_for_a_type() -> None:
    assert messages(analyze("async def main(city):\n    pass\n")) == [
        "line 1: parameter 'city' needs a type annotation, e.g. `city: str`"
    ]


def test_star_args_and_star_star_kwargs_are_refused() -> None:
    assert messages(analyze("async def main(*args: int, **kwargs: str):\n    pass\n")) == [
        "line 1: *args is not allowed; name each parameter with its type",
        "line 1: **kwargs is not allowed; name each parameter with its type",
    ]


def test_positional_only_parameters_are_refused() -> None:
    assert messages(analyze("async def main(x: int, /, y: int):\n    pass\n")) == [
        "line 1: parameter 'x' is positional-only; drop the '/'"
    ]


def test_a_non_literal_default_is_refused() -> None:
    [message] = messages(analyze("async def main(when: str = now()):\n    pass\n"))
    assert message.startswith("line 1: the default of 'when' must be a JSON literal")
    assert "got 'now()'" in message


def test_a_default_that_does_not_match_its_type_is_refused() -> None:
    [message] = messages(analyze("async def main(count: int = 'many'):\n    pass\n"))
    assert message.startswith("line 1: the default of 'count' ('many') does not match its type")


def test_an_unsupported_annotation_is_named_with_the_supported_forms() -> None:
    [message] = messages(analyze("async def main(point: tuple[int, int]):\n    pass\n"))
    assert message.startswith("line 1: unsupported annotation 'tuple[int, int]'; use str, int")


def test_an_unsupported_return_annotation_is_named() -> None:
    [message] = messages(analyze("async def main() -> set[int]:\n    pass\n"))
    assert message.startswith("line 1: return type: unsupported annotation 'set[int]'")


def test_dict_keys_other_than_str_are_refused() -> None:
    assert messages(analyze("async def main(m: dict[int, str]):\n    pass\n")) == [
        "line 1: dict keys must be str (JSON object keys are strings)"
    ]


def test_field_keywords_outside_the_supported_set_are_refused() -> None:
    code = f"{HEADER}async def main(x: Annotated[int, Field(alias='y')]):\n    pass\n"
    [message] = messages(analyze(code))
    assert "Field keyword 'alias' is not supported" in message


def test_constraints_pydantic_cannot_build_are_reported_not_raised() -> None:
    code = f"{HEADER}async def main(x: Annotated[str, Field(pattern='[')]):\n    pass\n"
    [message] = messages(analyze(code))
    assert message.startswith("line 7: the type of 'x' cannot be described")


def test_every_signature_problem_is_reported_at_once() -> None:
    code = "async def main(a, b: int = f(), c: set = 1, *rest: int) -> bytes:\n    pass\n"
    assert len(analyze(code).errors) == 5


def test_relative_imports_are_errors() -> None:
    assert messages(analyze("from . import x\nasync def main():\n    pass\n")) == [
        "line 1: relative imports do not work in a tool; import by full name"
    ]


def test_imports_off_the_allowed_list_are_listed_with_their_lines() -> None:
    code = "import os\nimport urllib.parse\nfrom urllib import request\nasync def main():\n  pass\n"
    report = analyze(code)
    assert report.errors == []
    assert not report.ok
    assert report.imports == ["os", "urllib", "urllib.parse"]
    assert report.disallowed_imports == ["os", "urllib"]
    assert [(issue.line, issue.message) for issue in report.warnings] == [
        (
            1,
            "module 'os' is not on the allowed-module list; ask for it with polybox_request_module",
        ),
        (
            3,
            "module 'urllib' is not on the allowed-module list; ask for it with "
            "polybox_request_module",
        ),
    ]


@pytest.mark.parametrize(
    ("field_import", "field"),
    [
        ("from pydantic import Field\n", "Field"),
        ("from pydantic import Field as F\n", "F"),
        ("", "Field"),
    ],
    ids=["from-pydantic", "aliased", "bare"],
)
def test_field_from_pydantic_or_bare_derives_the_schema_and_is_no_disallowed_import(
    field_import: str, field: str
) -> None:
    parameter = f"n: Annotated[int, {field}(ge=1, le=10, description='how many')] = 3"
    code = f"from typing import Annotated\n{field_import}async def main({parameter}):\n  pass\n"

    report = analyze(code)

    assert report.ok, report
    assert report.disallowed_imports == []
    assert report.input_schema is not None
    assert report.input_schema["properties"]["n"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 10,
        "default": 3,
        "description": "how many",
        "title": "N",
    }


def test_other_names_from_pydantic_are_still_disallowed_imports() -> None:
    code = "from pydantic import BaseModel, Field\nasync def main():\n  pass\n"
    assert analyze(code).disallowed_imports == ["pydantic"]
    assert analyze("import pydantic\nasync def main():\n  pass\n").disallowed_imports == [
        "pydantic"
    ]


def test_imports_inside_functions_are_found() -> None:
    report = analyze("async def main():\n    import subprocess\n")
    assert report.disallowed_imports == ["subprocess"]


def test_hosts_in_string_constants_must_be_on_the_allowed_hosts() -> None:
    code = (
        "BASE = 'https://api.example.com/v1'\n"
        "async def main(city: str):\n"
        "    await http.get(f'https://Weather.Example.org/q?c={city}')\n"
        "    await http.get('http://127.0.0.1:8080/x')\n"
        "    await http.get('https://{host}/templated')\n"
    )
    report = analyze(code, hosts=("api.example.com", "127.0.0.1:8080"))
    assert report.hosts == ["127.0.0.1:8080", "api.example.com", "weather.example.org"]
    assert report.disallowed_hosts == ["weather.example.org"]
    [warning] = report.warnings
    assert warning.line == 3
    assert "polybox_request_network_access" in warning.message


def test_a_host_entry_without_port_allows_only_the_default_ports() -> None:
    code = "async def main():\n    await http.get('https://api.example.com:8443/')\n"
    assert analyze(code, hosts=("api.example.com",)).disallowed_hosts == ["api.example.com:8443"]
    assert analyze(code, hosts=("api.example.com:8443",)).disallowed_hosts == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://api.example.com:443/", ("api.example.com",)),
        ("https://api.example.com:80/", ("api.example.com:80",)),
        ("https://[2001:db8::1]:8443/", ("[2001:db8::1]:8443",)),
        ("http://api.example.com:8080/", ("api.example.com",)),
    ],
)
def test_the_analysis_applies_the_egress_brokers_host_rule(
    url: str, allowed: tuple[str, ...]
) -> None:
    """One rule: the analysis judges and names a URL's host exactly as the broker does."""
    parts = urlsplit(url)
    scheme, host, port = parts.scheme, parts.hostname or "", parts.port or 0
    code = f"async def main():\n    await http.get({url!r})\n"

    report = analyze(code, hosts=allowed)

    entry = host_entry(host, port, scheme)
    assert report.hosts == [entry]
    expected = [] if is_host_allowed(host, port, allowed) else [entry]
    assert report.disallowed_hosts == expected


def test_tool_annotations_are_read_from_a_literal() -> None:
    code = (
        "TOOL_ANNOTATIONS = {'readOnlyHint': True, 'title': 'Weather'}\nasync def main():\n  pass\n"
    )
    assert analyze(code).annotations == {"readOnlyHint": True, "title": "Weather"}


def test_bad_tool_annotations_are_errors() -> None:
    code = (
        "TOOL_ANNOTATIONS = {'readOnly': True, 'openWorldHint': 'yes'}\nasync def main():\n  pass\n"
    )
    assert messages(analyze(code)) == [
        "line 1: TOOL_ANNOTATIONS: unknown key 'readOnly'; use title, readOnlyHint, "
        "destructiveHint, idempotentHint, openWorldHint",
        "line 1: TOOL_ANNOTATIONS['openWorldHint'] must be a bool",
    ]


def test_oversized_code_is_refused_before_parsing() -> None:
    code = "async def main():\n    pass\n" + "#" * MAX_CODE_BYTES
    [error] = analyze(code).errors
    assert error.message.endswith(f"the limit is {MAX_CODE_BYTES}")


def test_null_bytes_are_a_clear_error() -> None:
    [error] = analyze("async def main():\n    pass\n\x00").errors
    assert "null bytes" in error.message


def test_analysis_never_runs_the_code(tmp_path: Path) -> None:
    """Top-level statements, decorators, defaults and annotations would all run on import."""
    marker = tmp_path / "ran"
    touch = f"open({str(marker)!r}, 'w').write('x')"
    code = (
        f"{touch}\n"
        f"def deco(f):\n    {touch}\n    return f\n"
        f"@deco\nasync def main(x: int = {touch}) -> str:\n    {touch}\n"
    )
    report = analyze(code)
    assert not marker.exists()
    [message] = messages(report)
    assert "the default of 'x' must be a JSON literal" in message
