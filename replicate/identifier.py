"""Model references: `owner/name`, `owner/name:version`, a bare version id, or objects."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, Tuple

if TYPE_CHECKING:
    from replicate.version import Version

# Matched with fullmatch: `$` would also accept a trailing newline.
_REF_PATTERN = re.compile(r"(?P<owner>[^/:\s]+)/(?P<name>[^/:\s]+)(?::(?P<version>[^/:\s]+))?")
_VERSION_ID_PATTERN = re.compile(r"[0-9a-f]{64}")


class ModelVersionIdentifier(NamedTuple):
    """A reference to a model, and optionally one of its versions."""

    owner: str
    name: str
    version: Optional[str] = None

    @classmethod
    def parse(cls, ref: str) -> ModelVersionIdentifier:
        """Split `owner/name` or `owner/name:version`; anything else raises ValueError."""
        match = _REF_PATTERN.fullmatch(ref) if isinstance(ref, str) else None
        if not match:
            raise ValueError(
                f"Invalid reference to model version: {ref}. Expected format: owner/name:version"
            )
        return cls(match.group("owner"), match.group("name"), match.group("version"))


def is_version_id(ref: Any) -> bool:
    """Whether `ref` is a bare 64-character hex version id."""
    return isinstance(ref, str) and _VERSION_ID_PATTERN.fullmatch(ref) is not None


def resolve_ref(
    ref: Any,
) -> Tuple[Optional[Version], Optional[str], Optional[str], Optional[str]]:
    """Resolve a model reference to (version, owner, name, version_id).

    Raises ValueError with v0's message, naming the reference and the expected format, for
    anything else.
    """
    # A Version or a Model exists only once its module is loaded: a string reference
    # doesn't load them (and pydantic with them).
    version_module, model_module = sys.modules.get("replicate.version"), sys.modules.get("replicate.model")
    if version_module is not None and isinstance(ref, version_module.Version):
        return ref, None, None, ref.id
    if model_module is not None and isinstance(ref, model_module.Model):
        return None, ref.owner, ref.name, None
    if isinstance(ref, ModelVersionIdentifier):
        return None, ref.owner, ref.name, ref.version
    if is_version_id(ref):
        return None, None, None, ref
    if isinstance(ref, str):
        match = _REF_PATTERN.fullmatch(ref)
        # `.` and `..` would be collapsed out of the URL and post to another endpoint.
        if match and not {match.group("owner"), match.group("name")} & {".", ".."}:
            return None, match.group("owner"), match.group("name"), match.group("version")
        raise ValueError(f"Invalid reference to model version: {ref}. Expected format: owner/name:version")
    # v0's messages, word for word.
    raise ValueError(
        f"Invalid argument: {ref}. Expected model, version, or reference in the format owner/name or owner/name:version"
    )
