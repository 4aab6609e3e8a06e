"""A tool's schemas from `main`'s signature, rebuilt from syntax: the code is never evaluated.

Each annotation's syntax is turned back into the real Python type it spells (a fixed subset, see
`SUPPORTED`) and pydantic describes it, so the input schema says exactly what pydantic validates.
Defaults must be JSON literals; anything else is a `SignatureProblem` naming the place.
"""

from __future__ import annotations

import ast
import json
import warnings
from types import NoneType
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field, PydanticUserError, TypeAdapter, ValidationError, create_model
from pydantic_core import SchemaError

from polybox.forge.schemas import CodeIssue

SUPPORTED = (
    "str, int, float, bool, None, Any, list, list[X], dict, dict[str, X], Optional[X], X | None, "
    "Union[X, Y], Literal[...], Annotated[X, Field(...)] or Annotated[X, 'description']"
)
_FIELD_KEYWORDS = frozenset(
    {"description", "title", "examples", "ge", "gt", "le", "lt", "multiple_of"}
    | {"min_length", "max_length", "pattern"}
)
_PLAIN: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool}
_PLAIN |= {"list": list, "List": list, "dict": dict, "Dict": dict, "Any": Any}
# What `typing.X` / `pydantic.X` (or `from typing import X as Y`) may name.
_MODULE_FORMS = frozenset(
    {"Any", "List", "Dict", "Optional", "Union", "Literal", "Annotated", "Field"}
)
_FORMS = _MODULE_FORMS | _PLAIN.keys()
# What pydantic raises for a type it cannot build (bad constraints, empty Literal...).
_PYDANTIC_REFUSALS = (SchemaError, PydanticUserError, TypeError, ValueError, AssertionError)


class SignatureProblem(Exception):
    """An annotation or default that cannot become part of a schema, with where it is."""

    def __init__(self, node: ast.AST, message: str) -> None:
        super().__init__(message)
        self.issue = issue_at(node, message)


class TypingNames:
    """How the code spells the typing forms it uses: `Optional`, `typing.Optional`, `t.Opt`..."""

    def __init__(self, tree: ast.Module) -> None:
        self.aliases = {name: name for name in _FORMS}
        self.modules = {"typing", "pydantic"}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in {"typing", "pydantic"}:
                for alias in node.names:
                    if alias.name in _MODULE_FORMS:
                        self.aliases[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.Import):
                self.modules |= {
                    alias.asname or alias.name
                    for alias in node.names
                    if alias.name in {"typing", "pydantic"}
                }

    def resolve(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in self.modules
            and node.attr in _MODULE_FORMS
        ):
            return node.attr
        return None


def _build(node: ast.expr, names: TypingNames) -> Any:
    """The Python type an annotation spells, rebuilt from its syntax (never evaluated)."""
    if isinstance(node, ast.Constant) and node.value is None:
        return NoneType
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:  # a string annotation ("int") is the same annotation, quoted
            return _build(ast.parse(node.value, mode="eval").body, names)
        except (SyntaxError, ValueError):
            raise _unsupported(node) from None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return Union[_build(node.left, names), _build(node.right, names)]  # noqa: UP007
    if isinstance(node, ast.Subscript):
        return _build_generic(node, names)
    form = names.resolve(node)
    if form not in _PLAIN:
        raise _unsupported(node)
    return _PLAIN[form]


def _build_generic(node: ast.Subscript, names: TypingNames) -> Any:
    form = names.resolve(node.value)
    args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    if form in {"list", "List"} and len(args) == 1:
        return list[_build(args[0], names)]  # type: ignore[misc]
    if form in {"dict", "Dict"} and len(args) == 2:
        if _build(args[0], names) is not str:
            raise SignatureProblem(node, "dict keys must be str (JSON object keys are strings)")
        return dict[str, _build(args[1], names)]  # type: ignore[misc]
    if form == "Optional" and len(args) == 1:
        return Optional[_build(args[0], names)]  # noqa: UP045
    if form == "Union":
        return Union[tuple(_build(arg, names) for arg in args)]  # noqa: UP007
    if form == "Literal" and args:
        return Literal[tuple(_literal_value(arg) for arg in args)]
    if form == "Annotated" and len(args) >= 2:
        metadata = [_field(arg, names) for arg in args[1:]]
        return Annotated[(_build(args[0], names), *metadata)]
    raise _unsupported(node)


def _literal_value(node: ast.expr) -> str | int | bool | None:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        value = ...
    if value is None or isinstance(value, str | int | bool):
        return value
    message = f"Literal values must be strings, integers, True/False or None; got {_show(node)}"
    raise SignatureProblem(node, message)


def _field(node: ast.expr, names: TypingNames) -> Any:
    """Annotated metadata: `Field(...)` with literal keywords, or a plain description string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return Field(description=node.value)
    if not (isinstance(node, ast.Call) and names.resolve(node.func) == "Field"):
        message = (
            f"Annotated metadata must be Field(...) or a description string; got {_show(node)}"
        )
        raise SignatureProblem(node, message)
    if node.args:
        raise SignatureProblem(node, "Field(...) takes keyword arguments only here")
    values: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg not in _FIELD_KEYWORDS:
            allowed = ", ".join(sorted(_FIELD_KEYWORDS))
            message = f"Field keyword {keyword.arg!r} is not supported; use {allowed}"
            raise SignatureProblem(keyword.value, message)
        values[keyword.arg] = json_literal(keyword.value, f"Field({keyword.arg}=...)")
    return Field(**values)


def json_literal(node: ast.expr, what: str) -> Any:
    try:
        value = ast.literal_eval(node)
        json.dumps(value)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        message = (
            f"{what} must be a JSON literal (a number, string, True/False/None, or a list/dict "
            f"of them); got {_show(node)}"
        )
        raise SignatureProblem(node, message) from None
    return value


def input_schema(
    main: ast.AsyncFunctionDef, names: TypingNames, errors: list[CodeIssue]
) -> dict[str, Any] | None:
    """JSON schema of `main`'s arguments, or None when a parameter cannot be described."""
    spec = main.args
    problems: list[CodeIssue] = []
    for arg in spec.posonlyargs:
        problems.append(issue_at(arg, f"parameter {arg.arg!r} is positional-only; drop the '/'"))
    for star, what in ((spec.vararg, "*"), (spec.kwarg, "**")):
        if star is not None:
            message = f"{what}{star.arg} is not allowed; name each parameter with its type"
            problems.append(issue_at(star, message))
    positional = spec.posonlyargs + spec.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(spec.defaults))
    defaults += spec.defaults
    params = list(zip(positional + spec.kwonlyargs, defaults + spec.kw_defaults, strict=True))
    fields: dict[str, Any] = {}
    for index, (arg, default) in enumerate(params):
        try:
            fields[f"p{index}"] = _parameter(arg, default, names)
        except SignatureProblem as exc:
            problems.append(exc.issue)
    errors += problems
    if problems:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns about names shadowing BaseModel's
        model = create_model("Arguments", **fields)
    return model.model_json_schema(by_alias=True)


def _parameter(arg: ast.arg, default: ast.expr | None, names: TypingNames) -> tuple[Any, Any]:
    """(type, default) for create_model; the field is named by alias so any name works."""
    if arg.arg.startswith("_"):
        raise SignatureProblem(arg, f"parameter {arg.arg!r} must not start with '_'")
    if arg.annotation is None:
        message = f"parameter {arg.arg!r} needs a type annotation, e.g. `{arg.arg}: str`"
        raise SignatureProblem(arg, message)
    kind = _build(arg.annotation, names)
    adapter = _adapter(kind, arg.annotation, f"the type of {arg.arg!r}")
    if default is None:
        return Annotated[kind, Field(alias=arg.arg)], ...
    value = json_literal(default, f"the default of {arg.arg!r}")
    try:
        adapter.validate_python(value)
    except (ValidationError, *_PYDANTIC_REFUSALS) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        message = f"the default of {arg.arg!r} ({value!r}) does not match its type: {reason}"
        raise SignatureProblem(default, message) from None
    return Annotated[kind, Field(alias=arg.arg)], value


def output_schema(
    main: ast.AsyncFunctionDef, names: TypingNames, errors: list[CodeIssue]
) -> tuple[dict[str, Any] | None, bool]:
    """(schema, wrapped): an object schema from the return annotation, wrapped when not one."""
    if main.returns is None:
        return None, False
    try:
        kind = _build(main.returns, names)
        schema = _adapter(kind, main.returns, "the return type").json_schema(mode="serialization")
    except SignatureProblem as exc:
        errors.append(exc.issue.model_copy(update={"message": f"return type: {exc}"}))
        return None, False
    if kind is NoneType:
        return None, False
    if schema.get("type") == "object":
        return schema, False
    definitions = schema.pop("$defs", None)
    wrapped: dict[str, Any] = {
        "type": "object",
        "properties": {"result": schema},
        "required": ["result"],
    }
    if definitions:
        wrapped["$defs"] = definitions
    return wrapped, True


def _adapter(kind: Any, node: ast.expr, what: str) -> TypeAdapter[Any]:
    """A validator for `kind` whose JSON schema is known to build."""
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(kind)
        adapter.json_schema()
    except _PYDANTIC_REFUSALS as exc:
        reason = str(exc).strip().splitlines()[-1].strip()
        raise SignatureProblem(node, f"{what} cannot be described: {reason}") from None
    return adapter


def _unsupported(node: ast.expr) -> SignatureProblem:
    return SignatureProblem(node, f"unsupported annotation {_show(node)}; use {SUPPORTED}")


def issue_at(node: ast.AST, message: str) -> CodeIssue:
    return CodeIssue(line=getattr(node, "lineno", None), column=_column(node), message=message)


def _column(node: ast.AST) -> int | None:
    offset = getattr(node, "col_offset", None)
    return None if offset is None else offset + 1


def _show(node: ast.AST) -> str:
    return repr(ast.unparse(node))
