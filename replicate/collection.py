"""Collections: the `Collection` resource and the `Collections` namespace."""

from __future__ import annotations

from typing import Iterator, List, Optional, Union, overload

from typing_extensions import deprecated

from replicate._operation import Operation, path_segment
from replicate.model import Model
from replicate.pagination import Cursor, Page, list_path, parse_page
from replicate.resource import Namespace, Resource, parse_resource


class Collection(Resource):
    """A curated collection of models; it iterates, indexes and has len() over its models."""

    slug: str
    """The slug used to identify the collection."""

    name: str
    """The name of the collection."""

    description: str
    """A description of the collection."""

    models: Optional[List[Model]] = None
    """The models in the collection (only when fetched with `collections.get`)."""

    @property
    @deprecated("Use `slug` instead of `id`")
    def id(self) -> str:
        """The slug (v0's identifier for collections)."""
        return self.slug

    def __iter__(self) -> Iterator[Model]:  # type: ignore[override]
        return iter(self.models or [])

    @overload
    def __getitem__(self, index: int) -> Optional[Model]: ...

    @overload
    def __getitem__(self, index: slice) -> Optional[List[Model]]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Optional[Model], Optional[List[Model]]]:
        """A model (or a slice of them); None when the collection was listed without its models, as in v0."""
        if self.models is None:
            return None
        return self.models[index]

    def __len__(self) -> int:
        return len(self.models or [])


class Collections(Namespace):
    """Namespace for operations related to collections of models."""

    def list(self, cursor: Cursor = ...) -> Page[Collection]:
        """List collections of models, one page at a time."""
        return self._client._execute(self._list(cursor))

    async def async_list(self, cursor: Cursor = ...) -> Page[Collection]:
        """List collections of models, one page at a time."""
        return await self._client._async_execute(self._list(cursor))

    def get(self, slug: Optional[str] = None, *, collection_slug: Optional[str] = None) -> Collection:
        """Get a collection, with its models, by slug."""
        return self._client._execute(self._get(slug or collection_slug))

    async def async_get(
        self, slug: Optional[str] = None, *, collection_slug: Optional[str] = None
    ) -> Collection:
        """Get a collection, with its models, by slug."""
        return await self._client._async_execute(self._get(slug or collection_slug))

    def _list(self, cursor: Cursor) -> Operation[Page[Collection]]:
        return Operation("GET", list_path("/v1/collections", cursor), parse_page(Collection, self._client))

    def _get(self, slug: Optional[str]) -> Operation[Collection]:
        path = f"/v1/collections/{path_segment('slug', slug)}"
        return Operation("GET", path, parse_resource(Collection, self._client))
