"""Model references: ModelVersionIdentifier.parse and the forms `run` accepts."""

from __future__ import annotations

import pytest
from namespace_helpers import MODEL, VERSION, VERSION_ID

from replicate.identifier import ModelVersionIdentifier, is_version_id, resolve_ref
from replicate.model import Model
from replicate.version import Version


@pytest.mark.parametrize(
    "ref, expected",
    [
        ("owner/name", ("owner", "name", None)),
        ("owner/name:1234abcd", ("owner", "name", "1234abcd")),
        ("meta/llama-2-70b-chat", ("meta", "llama-2-70b-chat", None)),
    ],
)
def test_parse(ref: str, expected: tuple) -> None:
    identifier = ModelVersionIdentifier.parse(ref)
    assert identifier == expected
    assert (identifier.owner, identifier.name, identifier.version) == expected


@pytest.mark.parametrize("ref", ["", "name", "a/b/c", "a/b:", "a/b:c:d", " a/b", "a/b\n", "a/b:v\n", None, 42])
def test_parse_rejects_malformed_references(ref: object) -> None:
    with pytest.raises(ValueError, match="owner/name:version"):
        ModelVersionIdentifier.parse(ref)  # type: ignore[arg-type]


def test_it_is_a_named_tuple_with_an_optional_version() -> None:
    assert ModelVersionIdentifier("a", "b") == ("a", "b", None)
    owner, name, version = ModelVersionIdentifier("a", "b", "v")
    assert (owner, name, version) == ("a", "b", "v")


def test_version_ids() -> None:
    assert is_version_id(VERSION_ID)
    assert not is_version_id(VERSION_ID.upper())
    assert not is_version_id("owner/name")


def test_resolve_ref() -> None:
    version = Version.model_validate(VERSION)
    assert resolve_ref(version) == (version, None, None, VERSION_ID)
    assert resolve_ref(Model.model_validate(MODEL)) == (None, "replicate", "hello-world", None)
    assert resolve_ref(ModelVersionIdentifier("a", "b", "v")) == (None, "a", "b", "v")
    assert resolve_ref(VERSION_ID) == (None, None, None, VERSION_ID)
    assert resolve_ref("a/b:v") == (None, "a", "b", "v")
    with pytest.raises(ValueError, match="Invalid reference to model version"):
        resolve_ref("nonsense")
    with pytest.raises(ValueError, match="Invalid reference to model version"):
        resolve_ref(VERSION_ID + "\n")
