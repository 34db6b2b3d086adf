"""Reading a version's OpenAPI schema: what shape its output takes."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, Optional, cast

if TYPE_CHECKING:
    from replicate.version import Version

# Cog added the `x-cog-array-type` hint in 0.3.9; older versions leave it out.
_FIRST_COG_WITH_ARRAY_TYPE = "0.3.9"


def version_has_no_array_type(cog_version: str) -> Optional[bool]:
    """True when the Cog version predates `x-cog-array-type` (< 0.3.9); None if unparsable."""
    from packaging import version as packaging_version  # only runs that read a version's schema

    try:
        return packaging_version.parse(cog_version) < packaging_version.parse(_FIRST_COG_WITH_ARRAY_TYPE)
    except (packaging_version.InvalidVersion, TypeError):
        return None


def make_schema_backwards_compatible(schema: Dict[str, Any], cog_version: Optional[str]) -> Dict[str, Any]:
    """The schema with the hints old Cog versions omit: any array output is an iterator.

    Returns a copy when it adds a hint; the schema given is never modified.
    """
    # The output's type first: reading the Cog version loads `packaging`.
    if _output_of(schema).get("type") != "array" or not cog_version or not version_has_no_array_type(cog_version):
        return schema
    schema = copy.deepcopy(schema)
    schema["components"]["schemas"]["Output"]["x-cog-array-type"] = "iterator"
    return schema


def output_schema(version: Optional[Version]) -> Dict[str, Any]:
    """The `components.schemas.Output` of a version, with old-Cog hints added; {} if unknown."""
    if version is None:
        return {}
    return output_schema_of(version.openapi_schema, version.cog_version)


def output_schema_of(openapi_schema: Any, cog_version: Any) -> Dict[str, Any]:
    """The `components.schemas.Output` of a version's schema and Cog version, as sent."""
    if not isinstance(openapi_schema, dict):
        return {}
    schema = make_schema_backwards_compatible(cast("Dict[str, Any]", openapi_schema), cog_version)
    return _output_of(schema)


def is_iterator(output: Dict[str, Any]) -> bool:
    """Whether an Output schema describes items the model yields as it runs."""
    return output.get("type") == "array" and output.get("x-cog-array-type") == "iterator"


def is_concatenate(output: Dict[str, Any]) -> bool:
    """Whether an Output schema describes text tokens meant to be joined into one string."""
    return is_iterator(output) and output.get("x-cog-array-display") == "concatenate"


def yields_text(output: Dict[str, Any]) -> bool:
    """Whether an iterator output's items are strings (text tokens or file URLs)."""
    items = output.get("items")
    return isinstance(items, dict) and cast("Dict[str, Any]", items).get("type") == "string"


def _output_of(schema: Any) -> Dict[str, Any]:
    # Schemas come from the network; a missing or odd-shaped level means "no hint", not a crash.
    node: Any = schema
    for key in ("components", "schemas", "Output"):
        node = cast("Dict[str, Any]", node).get(key) if isinstance(node, dict) else None
    return cast("Dict[str, Any]", node) if isinstance(node, dict) else {}
