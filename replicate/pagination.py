"""Cursor pagination: `Page` holds one page of results; `paginate` walks them all."""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    AsyncGenerator,
    Awaitable,
    Callable,
    Generator,
    Generic,
    Iterator,
    List,
    Optional,
    Type,
    TypeVar,
    Union,
)

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import httpx

    from replicate.client import Client

T = TypeVar("T")

# `...` asks for the first page; a URL string is a cursor taken from `Page.next`/`previous`.
Cursor = Union[str, "ellipsis", None]  # noqa: F821


class Page(BaseModel, Generic[T]):
    """One page of results, with the cursors to its neighbours.

    Iterating, indexing and len() act on this page's results only.
    """

    model_config = ConfigDict(extra="allow")

    previous: Optional[str] = None
    """A cursor (a full URL) for the previous page, if any."""

    next: Optional[str] = None
    """A cursor (a full URL) for the next page, if any."""

    results: List[T]
    """The results on this page."""

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        return iter(self.results)

    def __getitem__(self, index: int) -> T:
        return self.results[index]

    def __len__(self) -> int:
        return len(self.results)


def paginate(
    list_method: Callable[[Cursor], Page[T]],
) -> Generator[Page[T], None, None]:
    """Yield every page of a list method, e.g. ``paginate(replicate.predictions.list)``."""
    cursor: Cursor = ...
    while cursor is not None:
        page = list_method(cursor)
        yield page
        cursor = page.next


async def async_paginate(
    list_method: Callable[[Cursor], Awaitable[Page[T]]],
) -> AsyncGenerator[Page[T], None]:
    """Yield every page of an async list method, e.g. ``async_paginate(client.models.async_list)``."""
    cursor: Cursor = ...
    while cursor is not None:
        page = await list_method(cursor)
        yield page
        cursor = page.next


def list_path(default_path: str, cursor: Cursor) -> str:
    """The URL to request for a cursor: the collection's path for `...`, else the cursor itself."""
    if cursor is None:
        raise ValueError("cursor cannot be None: pass a Page's next or previous, or omit it")
    if cursor is ...:
        return default_path
    if not isinstance(cursor, str):
        raise ValueError(f"cursor must be a URL string from Page.next or Page.previous, got {cursor!r}")
    return cursor


def parse_page(item_type: Type[Any], client: Client) -> Callable[[httpx.Response], Page[Any]]:
    """A parser for a page of `item_type` resources."""
    page_type = Page[item_type]  # type: ignore[valid-type]

    def parse(response: httpx.Response) -> Page[Any]:
        return page_type.model_validate_json(response.content, context={"client": client})

    return parse
