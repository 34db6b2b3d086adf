"""Model versions: the `Version` resource and the `Versions` namespace of a model."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple, Union

from replicate._operation import Operation, parse_deleted, path_segment
from replicate.pagination import Cursor, Page, list_path, parse_page
from replicate.resource import Namespace, Resource, parse_resource

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.model import Model


class Version(Resource):
    """A version of a model."""

    id: str
    """The unique ID of the version."""

    created_at: datetime.datetime
    """When the version was created."""

    cog_version: Optional[str] = None
    """The version of the Cog used to create the version."""

    openapi_schema: Optional[Dict[str, Any]] = None
    """An OpenAPI description of the model inputs and outputs."""


class Versions(Namespace):
    """Namespace for operations related to the versions of one model."""

    model: Tuple[str, str]

    def __init__(self, client: Client, model: Union[str, Tuple[str, str], Model]) -> None:
        super().__init__(client=client)
        self.model = model_owner_and_name(model)

    def get(self, id: str) -> Version:
        """Get a version of this model by its ID."""
        return self._client._execute(self._get(id))

    async def async_get(self, id: str) -> Version:
        """Get a version of this model by its ID."""
        return await self._client._async_execute(self._get(id))

    def list(self, cursor: Cursor = ...) -> Page[Version]:
        """List this model's versions, newest first."""
        return self._client._execute(self._list(cursor))

    async def async_list(self, cursor: Cursor = ...) -> Page[Version]:
        """List this model's versions, newest first."""
        return await self._client._async_execute(self._list(cursor))

    def delete(self, id: str) -> bool:
        """Delete a version of this model; True when it was deleted."""
        return self._client._execute(self._delete(id))

    async def async_delete(self, id: str) -> bool:
        """Delete a version of this model; True when it was deleted."""
        return await self._client._async_execute(self._delete(id))

    def _path(self, *rest: str) -> str:
        owner, name = self.model
        return "/".join(("/v1/models", owner, name, "versions", *rest))

    def _get(self, id: str) -> Operation[Version]:
        return Operation("GET", self._path(path_segment("id", id)), parse_resource(Version, self._client))

    def _list(self, cursor: Cursor) -> Operation[Page[Version]]:
        return Operation("GET", list_path(self._path(), cursor), parse_page(Version, self._client))

    def _delete(self, id: str) -> Operation[bool]:
        return Operation("DELETE", self._path(path_segment("id", id)), parse_deleted)


def model_owner_and_name(model: Any) -> Tuple[str, str]:
    """(owner, name) from a Model, an (owner, name) tuple or an 'owner/name' string."""
    from replicate.model import Model

    if isinstance(model, Model):
        owner, name = model.owner, model.name
    elif isinstance(model, tuple) and len(model) >= 2:  # pyright: ignore[reportUnknownArgumentType]
        owner, name = model[0], model[1]  # pyright: ignore[reportUnknownVariableType]
    elif isinstance(model, str) and model.count("/") == 1 and ":" not in model:
        owner, name = model.split("/")
    else:
        raise ValueError(
            f"model must be a Model, an (owner, name) tuple or an 'owner/name' string, got {model!r}"
        )
    return path_segment("model owner", owner), path_segment("model name", name)
