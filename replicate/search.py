"""Search across models, collections and documentation (GET /v1/search)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, List, Optional

from replicate._operation import Operation, drop_none
from replicate.model import Model
from replicate.resource import Resource, parse_resource

if TYPE_CHECKING:
    from replicate.client import Client


class SearchModelMetadata(Resource):
    """Extra search data about a model."""

    generated_description: Optional[str] = None
    """An AI-generated description of the model."""

    score: Optional[float] = None
    """How relevant the model is to the query."""

    tags: List[str] = []
    """Descriptive tags."""


class SearchModel(Resource):
    """A model that matched, with its search metadata."""

    model: Model
    metadata: SearchModelMetadata


class SearchCollection(Resource):
    """A collection that matched."""

    name: str
    slug: str
    description: str
    models: Optional[List[str]] = None
    """The collection's models, as `owner/name`."""


class SearchPage(Resource):
    """A documentation page that matched."""

    name: str
    href: str


class SearchResponse(Resource):
    """The results of a search; iterating it gives the matching models."""

    query: str
    """The query that was evaluated."""

    models: List[SearchModel]
    collections: List[SearchCollection]
    pages: List[SearchPage]

    def __iter__(self) -> Iterator[Model]:  # type: ignore[override]
        return (result.model for result in self.models)

    def __len__(self) -> int:
        return len(self.models)


def search_operation(client: Client, query: str, limit: Optional[int]) -> Operation[SearchResponse]:
    """GET /v1/search?query=...&limit=N."""
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"query must be a non-empty string, got {query!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50):
        raise ValueError(f"limit must be a whole number from 1 to 50, got {limit!r}")
    params = drop_none({"query": query, "limit": limit})
    return Operation("GET", "/v1/search", parse_resource(SearchResponse, client), params=params)
