"""Checks for values read from JSON that tell a type checker what they found.

``isinstance(value, dict)`` on an untyped value gives a dict of unknown types; these give
``Dict[Any, Any]`` and ``List[Any]``, so the walkers over schemas and outputs type-check.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

from typing_extensions import TypeGuard

__all__ = ["is_array", "is_mapping", "is_object", "is_sequence"]


def is_object(value: object) -> TypeGuard[Dict[Any, Any]]:
    """Whether `value` is a dict (a JSON object)."""
    return isinstance(value, dict)


def is_array(value: object) -> TypeGuard[List[Any]]:
    """Whether `value` is a list (a JSON array)."""
    return isinstance(value, list)


def is_mapping(value: object) -> TypeGuard[Mapping[Any, Any]]:
    """Whether `value` is a Mapping of any kind."""
    return isinstance(value, Mapping)


def is_sequence(value: object) -> TypeGuard[Sequence[Any]]:
    """Whether `value` is a list or a tuple (what JSON arrays are made from)."""
    return isinstance(value, (list, tuple))
