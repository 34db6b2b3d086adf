"""A version's Cog schema as a person reads it: `models schema`'s input table and output type."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from replicate._json import is_array, is_object

__all__ = ["input_rows", "type_of"]


def input_rows(input_schema: Dict[str, Any], schemas: Dict[str, Any]) -> List[Dict[str, Any]]:
    """One row per input, in the model's order: name (`*` when required), type, default, description."""
    properties = input_schema.get("properties")
    if not is_object(properties):
        return []
    required = set(input_schema.get("required") or [])
    rows: List[Dict[str, Any]] = []
    for name, spec in sorted(properties.items(), key=lambda item: _order(item[1])):
        spec = _resolved(spec, schemas)
        rows.append(
            {
                "name": name + ("*" if name in required else ""),
                "type": type_of(spec, schemas),
                "default": json.dumps(spec["default"], ensure_ascii=False)
                if "default" in spec
                else None,
                "description": spec.get("description"),
            }
        )
    return rows


def type_of(spec: Any, schemas: Dict[str, Any]) -> str:
    """A short description of a schema's type: `integer 1..50`, `file`, `iterator of string`, ..."""
    spec = _resolved(spec, schemas)
    if not spec:
        return "any"
    kind = spec.get("type", "any")
    if spec.get("format") == "uri" and kind == "string":
        kind = "file"
    if kind == "array":
        items = type_of(spec.get("items", {}), schemas)
        if spec.get("x-cog-array-type") == "iterator":
            joined = " (concatenated)" if spec.get("x-cog-array-display") == "concatenate" else ""
            return f"iterator of {items}{joined}"
        return f"array of {items}"
    if "enum" in spec:
        return f"{kind}, one of " + ", ".join(
            json.dumps(choice, ensure_ascii=False) for choice in spec["enum"]
        )
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is not None and high is not None:
        return f"{kind} {low}..{high}"
    if low is not None:
        return f"{kind} >= {low}"
    if high is not None:
        return f"{kind} <= {high}"
    return str(kind)


def _resolved(spec: Any, schemas: Dict[str, Any]) -> Dict[str, Any]:
    """The schema with a `$ref` (or Cog's `allOf: [{$ref}]` for enums) merged in."""
    if not is_object(spec):
        return {}
    reference = spec.get("$ref")
    all_of = spec.get("allOf")
    if reference is None and is_array(all_of) and len(all_of) == 1 and is_object(all_of[0]):
        reference = all_of[0].get("$ref")
    if not isinstance(reference, str):
        return spec
    target = schemas.get(reference.rsplit("/", 1)[-1])
    merged: Dict[str, Any] = dict(target) if is_object(target) else {}
    merged.update({key: value for key, value in spec.items() if key not in ("$ref", "allOf")})
    return merged


def _order(spec: Any) -> Any:
    order = spec.get("x-order") if is_object(spec) else None
    return order if isinstance(order, (int, float)) else float("inf")
