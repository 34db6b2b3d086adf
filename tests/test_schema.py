"""replicate.schema: reading a version's Output schema, with the hints old Cog versions omit."""

from __future__ import annotations

import copy
from typing import Any, Dict, Optional

import pytest

from replicate.schema import (
    is_concatenate,
    is_iterator,
    make_schema_backwards_compatible,
    output_schema,
    version_has_no_array_type,
)
from replicate.version import Version


def schema_with(output: Any) -> Dict[str, Any]:
    return {"openapi": "3.0.2", "components": {"schemas": {"Output": output}}}


@pytest.mark.parametrize(
    ("cog_version", "expected"),
    [("0.3.8", True), ("0.3.9", False), ("0.8.6", False), ("0.0.1", True), ("0.3.9-dev", True), ("dev", None), ("", None)],
)
def test_version_has_no_array_type(cog_version: str, expected: Optional[bool]) -> None:
    assert version_has_no_array_type(cog_version) is expected


def test_old_cog_array_output_becomes_an_iterator_without_touching_the_input() -> None:
    schema = schema_with({"type": "array", "items": {"type": "string"}})
    original = copy.deepcopy(schema)
    compatible = make_schema_backwards_compatible(schema, "0.3.8")
    assert compatible["components"]["schemas"]["Output"]["x-cog-array-type"] == "iterator"
    assert schema == original


@pytest.mark.parametrize(
    ("schema", "cog_version"),
    [
        (schema_with({"type": "array"}), "0.8.6"),  # new Cog says what it means
        (schema_with({"type": "string"}), "0.3.8"),  # not an array
        (schema_with({"type": "array"}), None),
        (schema_with({"type": "array"}), "not-a-version"),
        ({}, "0.3.0"),  # no Output at all
        ({"components": "odd"}, "0.3.0"),
    ],
)
def test_other_schemas_are_returned_unchanged(schema: Dict[str, Any], cog_version: Optional[str]) -> None:
    assert make_schema_backwards_compatible(schema, cog_version) is schema


def test_is_iterator_and_is_concatenate() -> None:
    tokens = {"type": "array", "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate"}
    files = {"type": "array", "x-cog-array-type": "iterator", "items": {"format": "uri"}}
    assert is_iterator(tokens) and is_concatenate(tokens)
    assert is_iterator(files) and not is_concatenate(files)
    assert not is_iterator({"type": "array"}) and not is_iterator({})
    assert not is_concatenate({"type": "string", "x-cog-array-display": "concatenate"})


def test_output_schema_of_a_version() -> None:
    def version(cog: Optional[str], schema: Any) -> Version:
        return Version.model_validate(
            {"id": "v", "created_at": "2024-01-01T00:00:00Z", "cog_version": cog, "openapi_schema": schema}
        )

    assert output_schema(None) == {}
    assert output_schema(version("0.8.6", None)) == {}
    assert output_schema(version("0.8.6", schema_with({"type": "string"}))) == {"type": "string"}
    old = output_schema(version("0.3.1", schema_with({"type": "array"})))
    assert is_iterator(old)
