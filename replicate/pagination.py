"""Cursor pagination: `Page` holds one page of results; `paginate` walks them all."""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    ClassVar,
    Generator,
    Generic,
    Iterator,
    List,
    Optional,
    Type,
    TypeVar,
    Union,
)

from pydantic import BaseModel, ConfigDict, PrivateAttr

from replicate.resource import ClientBound

if TYPE_CHECKING:
    import httpx

    from replicate.client import Client

T = TypeVar("T")

# `...` asks for the first page; a URL string is a cursor taken from `Page.next`/`previous`.
Cursor = Union[str, "ellipsis", None]  # noqa: F821


class Page(ClientBound, BaseModel, Generic[T]):
    """One page of results, with the cursors to its neighbours.

    Iterating, indexing and len() act on this page's results only.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="allow", defer_build=True)  # built when first used

    previous: Optional[str] = None
    """A cursor (a full URL) for the previous page, if any."""

    next: Optional[str] = None
    """A cursor (a full URL) for the next page, if any."""

    results: List[T]
    """The results on this page."""

    _client: Optional[Client] = PrivateAttr(default=None)
    _item_type: Any = PrivateAttr(default=None)

    @property
    def items(self) -> List[T]:
        """The results on this page (the newer SDK's name)."""
        return self.results

    def has_next_page(self) -> bool:
        """Whether there is a page after this one."""
        return bool(self.next)

    def get_next_page(self) -> Page[T]:
        """Fetch the page after this one."""
        client, operation = _next_page_operation(self)
        return client._execute(operation)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        return iter(self.results)

    def __reduce__(self) -> Any:
        # Page[Prediction] is no module attribute for pickle to find: name its origin and arguments.
        metadata = type(self).__pydantic_generic_metadata__
        return (_rebuild_page, (metadata["origin"] or type(self), metadata["args"], self.__getstate__()))

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
        raise ValueError("cursor cannot be None")  # v0's message, word for word
    if cursor is ...:
        return default_path
    if not isinstance(cursor, str):
        raise ValueError(f"cursor must be a URL string from Page.next or Page.previous, got {cursor!r}")
    return cursor


class SyncCursorURLPage(Page[T], Generic[T]):
    """A page from a newer-style `Replicate` client: iterating it yields every item,
    fetching the following pages as needed. `results`/`items` hold this page only."""

    def get_next_page(self) -> SyncCursorURLPage[T]:
        """Fetch the page after this one."""
        return super().get_next_page()  # type: ignore[return-value]

    def iter_pages(self) -> Iterator[SyncCursorURLPage[T]]:
        """This page and every page after it."""
        page = self
        yield page
        while page.has_next_page():
            page = page.get_next_page()
            yield page

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        for page in self.iter_pages():
            yield from page.results


class AsyncCursorURLPage(Page[T], Generic[T]):
    """A page from `AsyncReplicate`: ``async for`` yields every item, fetching the following
    pages as needed. `results`/`items` hold this page only."""

    async def get_next_page(self) -> AsyncCursorURLPage[T]:  # type: ignore[override]
        """Fetch the page after this one."""
        client, operation = _next_page_operation(self)
        return await client._async_execute(operation)  # type: ignore[no-any-return]

    async def iter_pages(self) -> AsyncIterator[AsyncCursorURLPage[T]]:
        """This page and every page after it."""
        page = self
        yield page
        while page.has_next_page():
            page = await page.get_next_page()
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.results:
                yield item


def _rebuild_page(origin: Any, args: Any, state: Any) -> Page[Any]:
    page_class = origin[args] if args else origin
    page: Page[Any] = page_class.__new__(page_class)
    page.__setstate__(state)
    return page


def _next_page_operation(page: Any) -> Any:
    from replicate._operation import Operation

    if not page.next:
        raise ValueError("there is no next page: check has_next_page() first")
    client = page._client
    if client is None:
        raise ValueError("this page was not fetched through a client")
    return client, Operation("GET", page.next, parse_page(page._item_type, client))


def parse_page(item_type: Type[Any], client: Client) -> Callable[[httpx.Response], Page[Any]]:
    """A parser for a page of `item_type` resources, of the page class the client uses."""
    page_type = client._page_class[item_type]

    def parse(response: httpx.Response) -> Page[Any]:
        page = page_type.model_validate_json(response.content, context={"client": client})
        page._client = client
        page._item_type = item_type
        return page  # type: ignore[no-any-return]

    return parse
