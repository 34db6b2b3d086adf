"""`KEY=VALUE` arguments: the model input given on the command line.

- `KEY=VALUE`: a JSON number, `true`, `false`, `null`, array or object is parsed as JSON;
  anything else is the string as typed. `KEY=@PATH` sends the file at PATH.
- `KEY:=JSON` always parses JSON (an error if it is not JSON).
- `KEY==VALUE` is always the string VALUE (for text that looks like JSON or starts with @).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable

__all__ = ["InputError", "parse_inputs", "parse_value"]

# What `KEY=VALUE` reads as JSON besides arrays and objects: exactly a JSON number or literal
# (no surrounding spaces, no NaN or Infinity, no leading zeros: "007" stays a string).
_JSON_SCALAR = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null")


class InputError(ValueError):
    """A malformed `KEY=VALUE` argument; the message names it."""


def parse_inputs(arguments: Iterable[str]) -> Dict[str, Any]:
    """The model input for a list of `KEY=VALUE` arguments."""
    inputs: Dict[str, Any] = {}
    for argument in arguments:
        key, value = parse_value(argument)
        if key in inputs:
            raise InputError(f"input {key!r} is given twice")
        inputs[key] = value
    return inputs


def parse_value(argument: str) -> tuple[str, Any]:
    """One `KEY=VALUE`, `KEY:=JSON` or `KEY==STRING` argument, as (key, value)."""
    equals = argument.find("=")
    if equals < 0:
        raise InputError(f"expected KEY=VALUE, KEY:=JSON or KEY==STRING, got {argument!r}")
    if equals > 0 and argument[equals - 1] == ":":
        key, operator, text = argument[: equals - 1], ":=", argument[equals + 1 :]
    elif argument[equals + 1 : equals + 2] == "=":
        key, operator, text = argument[:equals], "==", argument[equals + 2 :]
    else:
        key, operator, text = argument[:equals], "=", argument[equals + 1 :]
    if not key or key != key.strip():
        raise InputError(f"missing or blank input name in {argument!r}: expected KEY=VALUE")
    if operator == "==":
        return key, text
    if operator == ":=":
        try:
            return key, json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            raise InputError(
                f"input {key!r}: {key}:= needs valid JSON, got {text!r} ({exc})"
            ) from None
    if text.startswith("@"):
        return key, _file(key, text[1:])
    return key, _json_or_text(text)


def _json_or_text(text: str) -> Any:
    if _JSON_SCALAR.fullmatch(text) or text[:1] in ("[", "{"):
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except ValueError:
            pass  # not JSON after all, e.g. "[INST] hello": the text as typed
    return text


def _file(key: str, name: str) -> Path:
    """The path of a `KEY=@PATH` file input, checked to be a readable file before anything is sent."""
    if not name:
        raise InputError(
            f"input {key!r}: expected a file path after '@' (use {key}==@... for the text)"
        )
    path = Path(name).expanduser()
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise InputError(
            f"input {key!r}: cannot read file {name!r}: {exc.strerror or exc}"
        ) from None
    return path


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
