"""Cog-style OpenAPI schemas derived from Python signatures, and input validation."""

from __future__ import annotations

import collections.abc
import enum
import inspect
import pathlib
import typing
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple, TypeVar

T = TypeVar("T")

_MISSING = inspect.Parameter.empty


if TYPE_CHECKING:
    # To a type checker the marker is the Iterator a generator function returns.
    ConcatenateIterator = Iterator
else:

    class ConcatenateIterator(Iterator[T]):
        """Return annotation marker: the yielded strings are tokens to be concatenated.

        Use it like Cog's type: ``def predict(prompt: str) -> ConcatenateIterator[str]``.
        """

        def __next__(self) -> T:  # pragma: no cover - a marker, never instantiated
            raise StopIteration


class InputInfo:
    """Optional per-parameter metadata, usable as a default value (like ``cog.Input``)."""

    def __init__(
        self,
        default: Any = _MISSING,
        *,
        description: Optional[str] = None,
        ge: Optional[float] = None,
        le: Optional[float] = None,
        choices: Optional[List[Any]] = None,
    ) -> None:
        self.default = default
        self.description = description
        self.ge = ge
        self.le = le
        self.choices = choices


if TYPE_CHECKING:

    def Input(
        default: Any = _MISSING,
        *,
        description: Optional[str] = None,
        ge: Optional[float] = None,
        le: Optional[float] = None,
        choices: Optional[List[Any]] = None,
    ) -> Any:
        """Parameter metadata as a default value; typed Any, as cog's, so `x: str = Input()` checks."""
        return InputInfo(default, description=description, ge=ge, le=le, choices=choices)

else:
    Input = InputInfo

_SCALARS: Dict[Any, Dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    pathlib.Path: {"type": "string", "format": "uri"},
    bytes: {"type": "string", "format": "uri"},
    dict: {"type": "object"},
    list: {"type": "array"},
    tuple: {"type": "array"},
}

_ITERATOR_ORIGINS = (
    collections.abc.Iterator,
    collections.abc.Iterable,
    collections.abc.Generator,
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
    collections.abc.AsyncGenerator,
)


def _strip_annotated(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _strip_optional(annotation: Any) -> Tuple[Any, bool]:
    """Return (inner type, was Optional)."""
    if typing.get_origin(annotation) is typing.Union:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def type_schema(annotation: Any) -> Dict[str, Any]:
    """JSON schema fragment for a Python annotation (unknown types → ``{}``)."""
    annotation = _strip_annotated(annotation)
    annotation, _ = _strip_optional(annotation)
    if annotation in _SCALARS:
        return dict(_SCALARS[annotation])
    if isinstance(annotation, type) and issubclass(annotation, pathlib.PurePath):
        return {"type": "string", "format": "uri"}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return {"enum": [member.value for member in annotation]}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (list, tuple, set, frozenset, collections.abc.Sequence):
        return {"type": "array", "items": type_schema(args[0]) if args else {}}
    if origin is dict:
        return {"type": "object"}
    return {}


def output_schema(annotation: Any) -> Dict[str, Any]:
    """Cog ``Output`` schema for a return annotation (iterators get Cog's hints)."""
    annotation = _strip_annotated(annotation)
    origin = typing.get_origin(annotation) or annotation
    args = typing.get_args(annotation)
    if origin is ConcatenateIterator:
        item = type_schema(args[0]) if args else {"type": "string"}
        schema = {
            "type": "array",
            "items": item,
            "x-cog-array-type": "iterator",
            "x-cog-array-display": "concatenate",
        }
    elif isinstance(origin, type) and origin in _ITERATOR_ORIGINS:
        schema = {
            "type": "array",
            "items": type_schema(args[0]) if args else {},
            "x-cog-array-type": "iterator",
        }
    elif annotation is _MISSING or annotation is None or annotation is type(None):
        schema = {}
    else:
        schema = type_schema(annotation)
    return {"title": "Output", **schema}


def input_schema(fn: Callable[..., Any]) -> Dict[str, Any]:
    """Cog ``Input`` schema from a function signature (defaults → not required)."""
    signature = inspect.signature(fn)
    hints = _type_hints(fn)
    properties: Dict[str, Any] = {}
    required: List[str] = []
    for order, param in enumerate(_input_params(signature)):
        annotation = hints.get(param.name, param.annotation)
        prop: Dict[str, Any] = {"title": param.name.replace("_", " ").title(), "x-order": order}
        prop.update(type_schema(annotation) if annotation is not _MISSING else {})
        default = param.default
        meta = _input_meta(annotation, default)
        if meta is not None:
            default = meta.default
            if meta.description:
                prop["description"] = meta.description
            if meta.ge is not None:
                prop["minimum"] = meta.ge
            if meta.le is not None:
                prop["maximum"] = meta.le
            if meta.choices is not None:
                prop["enum"] = list(meta.choices)
        if default is _MISSING:
            _, optional = _strip_optional(_strip_annotated(annotation))
            if not optional:
                required.append(param.name)
        elif default is not None and _jsonable(default):
            prop["default"] = default
        properties[param.name] = prop
    schema: Dict[str, Any] = {"type": "object", "title": "Input", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def cog_openapi_schema(
    inputs: Dict[str, Any], output: Dict[str, Any], title: str = "Cog"
) -> Dict[str, Any]:
    """Wrap Input/Output schemas in the document shape Cog publishes."""
    return {
        "openapi": "3.0.2",
        "info": {"title": title, "version": "0.1.0"},
        "paths": {
            "/predictions": {
                "post": {
                    "summary": "Predict",
                    "operationId": "predict_predictions_post",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/PredictionRequest"}
                            }
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "Successful Response",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/PredictionResponse"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Input": inputs,
                "Output": output,
                "Status": {
                    "title": "Status",
                    "type": "string",
                    "enum": ["starting", "processing", "succeeded", "canceled", "failed"],
                    "description": "An enumeration.",
                },
                "WebhookEvent": {
                    "title": "WebhookEvent",
                    "type": "string",
                    "enum": ["start", "output", "logs", "completed"],
                    "description": "An enumeration.",
                },
                "PredictionRequest": {
                    "title": "PredictionRequest",
                    "type": "object",
                    "properties": {
                        "id": {"title": "Id", "type": "string"},
                        "input": {"$ref": "#/components/schemas/Input"},
                        "webhook": {"title": "Webhook", "type": "string", "format": "uri"},
                        "webhook_events_filter": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/WebhookEvent"},
                            "default": ["start", "output", "logs", "completed"],
                        },
                    },
                },
                "PredictionResponse": {
                    "title": "PredictionResponse",
                    "type": "object",
                    "properties": {
                        "id": {"title": "Id", "type": "string"},
                        "input": {"$ref": "#/components/schemas/Input"},
                        "output": {"$ref": "#/components/schemas/Output"},
                        "status": {"$ref": "#/components/schemas/Status"},
                        "logs": {"title": "Logs", "type": "string", "default": ""},
                        "error": {"title": "Error", "type": "string"},
                        "metrics": {"title": "Metrics", "type": "object"},
                    },
                },
            }
        },
    }


def schema_for(fn: Callable[..., Any]) -> Dict[str, Any]:
    """The full Cog OpenAPI document for a predict function."""
    hints = _type_hints(fn)
    returns = hints.get("return", inspect.signature(fn).return_annotation)
    return cog_openapi_schema(input_schema(fn), output_schema(returns))


# -- validation -----------------------------------------------------------------

_JSON_TYPES: Dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def validate_input(schema: Dict[str, Any], values: Dict[str, Any]) -> List[Dict[str, str]]:
    """Check inputs against a Cog Input schema; return a list of invalid fields."""
    problems: List[Dict[str, str]] = []
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in values:
            problems.append(
                {"type": "required", "field": "input", "description": f"{name} is required"}
            )
    for name, value in values.items():
        prop = properties.get(name)
        if prop is None:
            continue  # Cog ignores unknown inputs
        problems.extend(_check_value(f"input.{name}", name, prop, value))
    return problems


def _check_value(field: str, name: str, prop: Dict[str, Any], value: Any) -> List[Dict[str, str]]:
    expected = prop.get("type")
    if expected in _JSON_TYPES and not _JSON_TYPES[expected](value):
        if value is None and "default" not in prop:
            return []  # an explicit null for an optional input
        return [
            {
                "type": "invalid_type",
                "field": field,
                "description": f"{name}: Invalid type. Expected: {expected}, given: {_json_type(value)}",
            }
        ]
    problems: List[Dict[str, str]] = []
    if "enum" in prop and value not in prop["enum"]:
        allowed = ", ".join(repr(choice) for choice in prop["enum"])
        problems.append(
            {"type": "enum", "field": field, "description": f"{name} must be one of: {allowed}"}
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in prop and value < prop["minimum"]:
            problems.append(
                {
                    "type": "number_gte",
                    "field": field,
                    "description": f"{name} must be greater than or equal to {prop['minimum']}",
                }
            )
        if "maximum" in prop and value > prop["maximum"]:
            problems.append(
                {
                    "type": "number_lte",
                    "field": field,
                    "description": f"{name} must be less than or equal to {prop['maximum']}",
                }
            )
    if expected == "array" and isinstance(prop.get("items"), dict):
        for index, item in enumerate(value):  # pyright: ignore[reportArgumentType, reportUnknownVariableType]
            problems.extend(
                _check_value(f"{field}.{index}", f"{name}.{index}", prop["items"], item)
            )
    return problems


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    for name in ("boolean", "integer", "number", "string", "array", "object"):
        if _JSON_TYPES[name](value):
            return name
    return type(value).__name__


# -- introspection helpers --------------------------------------------------------


def _type_hints(fn: Callable[..., Any]) -> Dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:  # unresolvable forward references: fall back to raw annotations
        return dict(getattr(fn, "__annotations__", {}))


def _input_params(signature: inspect.Signature) -> List[inspect.Parameter]:
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p for p in signature.parameters.values() if p.kind in kinds and p.name != "self"]


def _input_meta(annotation: Any, default: Any) -> Optional[InputInfo]:
    if isinstance(default, InputInfo):
        return default
    if typing.get_origin(annotation) is typing.Annotated:
        for extra in typing.get_args(annotation)[1:]:
            if isinstance(extra, InputInfo):
                if extra.default is _MISSING and default is not _MISSING:
                    # The parameter's own default applies; copy so the shared alias is untouched.
                    return InputInfo(
                        default,
                        description=extra.description,
                        ge=extra.ge,
                        le=extra.le,
                        choices=extra.choices,
                    )
                return extra
    return None


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict))


def parameter_defaults(fn: Callable[..., Any]) -> Dict[str, Any]:
    """Defaults that must be substituted explicitly (``Input(...)`` placeholders)."""
    defaults: Dict[str, Any] = {}
    hints = _type_hints(fn)
    for param in _input_params(inspect.signature(fn)):
        meta = _input_meta(hints.get(param.name, param.annotation), param.default)
        if meta is not None and meta.default is not _MISSING:
            defaults[param.name] = meta.default
    return defaults


def parameter_annotations(fn: Callable[..., Any]) -> Dict[str, Any]:
    """Parameter annotations with Annotated/Optional stripped (for input coercion)."""
    hints = _type_hints(fn)
    result: Dict[str, Any] = {}
    for param in _input_params(inspect.signature(fn)):
        annotation = hints.get(param.name, param.annotation)
        inner, _ = _strip_optional(_strip_annotated(annotation))
        result[param.name] = inner
    return result


def accepts_var_kwargs(fn: Callable[..., Any]) -> bool:
    """Whether the function takes ``**kwargs`` (then every input is passed on)."""
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(fn).parameters.values()
    )
