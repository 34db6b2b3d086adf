"""The newer SDK's clients, `Replicate` and `AsyncReplicate`, over the same core as `Client`.

Where the v0 and newer styles disagree, these clients take the newer one: list results page
through every item, `files.list()` pages, and `run()` follows the prediction's stream instead
of polling, and `webhooks.validate` rejects webhooks stamped more than five minutes from now.
Everything else is the same code as `Client`.
"""

from __future__ import annotations

import functools
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Generator,
    Generic,
    Literal,
    Optional,
    TypeVar,
    Union,
    cast,
    overload,
)

import httpx

from replicate._transport import RetryTransport
from replicate.client import _TRANSPORT_OPTIONS, DEFAULT_TIMEOUT, Client

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from replicate._async_namespaces import (
        AsyncAccounts,
        AsyncCollections,
        AsyncDeployments,
        AsyncFiles,
        AsyncHardware,
        AsyncModels,
        AsyncPredictions,
        AsyncTrainings,
        AsyncWebhooks,
    )
    from replicate.file import PagedFiles
    from replicate.helpers import JSONValue
    from replicate.prediction import RunParams
    from replicate.run import Ref
    from replicate.search import SearchResponse
    from replicate.stream import ServerSentEvent
    from replicate.use import AsyncFunction, FunctionRef, Input, Output, OutputIterator
    from replicate.webhook import StandardWebhooks

__all__ = ["AsyncItems", "AsyncReplicate", "AsyncResult", "DefaultAsyncHttpxClient", "DefaultHttpxClient", "Replicate"]

R = TypeVar("R")
I = TypeVar("I")  # noqa: E741

Timeout = Union[float, httpx.Timeout, None]


class DefaultHttpxClient(httpx.Client):
    """An httpx.Client with this library's defaults: v0's timeouts and a RetryTransport."""

    def __init__(self, **kwargs: Any) -> None:
        transport_options = {key: kwargs.pop(key) for key in list(kwargs) if key in _TRANSPORT_OPTIONS}
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        kwargs.setdefault("transport", RetryTransport(httpx.HTTPTransport(**transport_options)))
        super().__init__(**kwargs)


class DefaultAsyncHttpxClient(httpx.AsyncClient):
    """An httpx.AsyncClient with this library's defaults: v0's timeouts and a RetryTransport."""

    def __init__(self, **kwargs: Any) -> None:
        transport_options = {key: kwargs.pop(key) for key in list(kwargs) if key in _TRANSPORT_OPTIONS}
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        kwargs.setdefault("transport", RetryTransport(httpx.AsyncHTTPTransport(**transport_options)))
        super().__init__(**kwargs)


class Replicate(Client):
    """The newer SDK's client (``replicate.Replicate()``), sharing `Client`'s core.

    Accepts `bearer_token` (or `api_token`), `base_url` with or without `/v1`, `timeout` as
    seconds or an httpx.Timeout, `max_retries`, and an `http_client` of your own.
    """

    _newer_style = True

    @property
    def _page_class(self) -> Any:
        from replicate.pagination import SyncCursorURLPage

        return SyncCursorURLPage

    def __init__(
        self,
        bearer_token: Optional[str] = None,
        *,
        api_token: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Timeout = None,
        max_retries: Optional[int] = None,
        http_client: Optional[Union[httpx.Client, httpx.AsyncClient]] = None,
        **kwargs: Any,
    ) -> None:
        self._init_args: Dict[str, Any] = dict(
            bearer_token=bearer_token,
            api_token=api_token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            **kwargs,
        )
        kwargs.setdefault("wait_strategy", "stream")
        super().__init__(bearer_token or api_token, base_url=base_url, timeout=_timeout(timeout), **kwargs)
        _configure_retries(self, max_retries)
        if http_client is not None:
            _adopt_user_agent(http_client, self._headers)
            self._use_http_client(http_client)

    def _use_http_client(self, http_client: Any) -> None:
        """Send through the caller's own httpx client."""
        self._sync_client = http_client

    @functools.cached_property
    def files(self) -> PagedFiles:
        """Namespace for files; `list()` pages through every file."""
        from replicate.file import PagedFiles

        return PagedFiles(client=self)

    @functools.cached_property
    def webhooks(self) -> StandardWebhooks:
        """Namespace for webhooks; `validate` rejects timestamps over five minutes off by default."""
        from replicate.webhook import StandardWebhooks

        return StandardWebhooks(client=self)

    def copy(self, **changes: Any) -> Replicate:
        """A new client with the same settings, except those given (e.g. `timeout=60`)."""
        return type(self)(**{**self._init_args, **changes})

    with_options = copy

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: Any = None,
        params: Any = None,
        headers: Any = None,
    ) -> httpx.Response:
        """Send any request to the API; returns the httpx.Response, raises ReplicateError on errors.

        `url` is a path under the API's `/v1` (e.g. "/predictions") or a full URL.
        """
        return self._request(method, api_path(url), json=json, content=content, params=params, headers=headers)

    def get(self, path: str, *, params: Any = None, headers: Any = None) -> httpx.Response:
        """GET a path under the API's `/v1`; returns the httpx.Response."""
        return self.request("GET", path, params=params, headers=headers)

    def post(
        self, path: str, *, json: Any = None, content: Any = None, params: Any = None, headers: Any = None
    ) -> httpx.Response:
        """POST to a path under the API's `/v1`; returns the httpx.Response."""
        return self.request("POST", path, json=json, content=content, params=params, headers=headers)


class _NamespaceView:
    """An AsyncReplicate attribute: the namespace of the same name seen through its typed view
    class in `replicate._async_namespaces` (loaded on first use); made once per client."""

    def __init__(self, view_class: str) -> None:
        self._view_class = view_class
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, client: Optional[AsyncReplicate], owner: Optional[type] = None) -> Any:
        if client is None:
            return self
        from replicate import _async_namespaces

        view = getattr(_async_namespaces, self._view_class)(getattr(client._client, self._name))
        client.__dict__[self._name] = view  # found there from now on
        return view


def _namespace(view_class: str) -> Any:
    """A namespace attribute of AsyncReplicate, typed by its annotation."""
    return _NamespaceView(view_class)


class AsyncReplicate:
    """The newer SDK's async client: every namespace method is awaited under its plain name.

    ``await client.predictions.get(prediction_id="...")`` runs the same operation as
    ``Client.predictions.async_get``; list results can be awaited (a page) or iterated with
    ``async for`` (every item, across pages).
    """

    def __init__(
        self,
        bearer_token: Optional[str] = None,
        *,
        api_token: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Timeout = None,
        max_retries: Optional[int] = None,
        http_client: Optional[httpx.AsyncClient] = None,
        **kwargs: Any,
    ) -> None:
        self._client = _AsyncCore(
            bearer_token,
            api_token=api_token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            **kwargs,
        )
        self._init_args = self._client._init_args

    if not TYPE_CHECKING:  # at run time only: type checkers see the declared attributes alone

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_"):
                raise AttributeError(name)
            from replicate._async_namespaces import AsyncView, async_view

            view = async_view(getattr(self._client, name))
            if isinstance(view, AsyncView):
                setattr(self, name, view)  # one view per namespace: `client.predictions is client.predictions`
            return view

    # Each namespace's view is made once: `client.predictions is client.predictions`.
    accounts: AsyncAccounts = _namespace("AsyncAccounts")
    """Namespace for the token's account (v0's name)."""

    account: AsyncAccounts = _namespace("AsyncAccounts")
    """Namespace for the token's account: `await client.account.get()`."""

    collections: AsyncCollections = _namespace("AsyncCollections")
    """Namespace for collections of models."""

    deployments: AsyncDeployments = _namespace("AsyncDeployments")
    """Namespace for deployments."""

    files: AsyncFiles = _namespace("AsyncFiles")
    """Namespace for files; `list()` pages through every file."""

    hardware: AsyncHardware = _namespace("AsyncHardware")
    """Namespace for hardware."""

    models: AsyncModels = _namespace("AsyncModels")
    """Namespace for models."""

    predictions: AsyncPredictions = _namespace("AsyncPredictions")
    """Namespace for predictions."""

    trainings: AsyncTrainings = _namespace("AsyncTrainings")
    """Namespace for trainings."""

    webhooks: AsyncWebhooks = _namespace("AsyncWebhooks")
    """Namespace for webhooks; `validate` rejects timestamps over five minutes off by default."""

    def __repr__(self) -> str:
        return f"AsyncReplicate(base_url={self._client.base_url!r})"

    @property
    def base_url(self) -> str:
        """The API's base URL, without `/v1`."""
        return self._client.base_url

    def copy(self, **changes: Any) -> AsyncReplicate:
        """A new client with the same settings, except those given."""
        return type(self)(**{**self._init_args, **changes})

    with_options = copy

    @overload
    def run(
        self,
        ref: Ref,
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Literal[False, None],
        **params: Unpack[RunParams],
    ) -> AsyncResult[Union[JSONValue, AsyncIterator[JSONValue]]]: ...

    @overload
    def run(
        self,
        ref: Ref,
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Optional[bool] = True,
        **params: Unpack[RunParams],
    ) -> AsyncResult[Any]: ...

    def run(
        self,
        ref: Ref,
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Optional[bool] = True,
        **params: Unpack[RunParams],
    ) -> AsyncResult[Any]:
        """Run a model and wait for its output (await it; `async for` an iterator output).

        The output holds FileOutputs for files unless `use_file_output=False`.
        """
        return AsyncResult(self._client.async_run(ref, input, use_file_output=use_file_output, **params))

    def stream(
        self,
        ref: Ref,
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Optional[bool] = True,
        **params: Unpack[RunParams],
    ) -> AsyncItems[AsyncIterator[ServerSentEvent], ServerSentEvent]:
        """Stream a model's output events: ``async for event in client.stream(...)``."""
        return AsyncItems(self._client.async_stream(ref, input, use_file_output=use_file_output, **params))

    def search(self, query: str, limit: Optional[int] = None) -> AsyncResult[SearchResponse]:
        """Search models, collections and documentation pages."""
        return AsyncResult(self._client.async_search(query, limit))

    @overload
    def use(
        self, ref: str, *, hint: None = None, streaming: Literal[False] = False
    ) -> AsyncFunction[..., Any]: ...

    @overload
    def use(
        self, ref: str, *, hint: None = None, streaming: Literal[True]
    ) -> AsyncFunction[..., OutputIterator[Any]]: ...

    @overload
    def use(
        self,
        ref: Union[str, FunctionRef[Input, Output]],
        *,
        hint: Optional[Callable[Input, Output]] = None,
        streaming: Literal[False] = False,
    ) -> AsyncFunction[Input, Output]: ...

    @overload
    def use(
        self,
        ref: Union[str, FunctionRef[Input, Output]],
        *,
        hint: Optional[Callable[Input, Output]] = None,
        streaming: Literal[True],
    ) -> AsyncFunction[Input, OutputIterator[Output]]: ...

    def use(
        self,
        ref: Union[str, FunctionRef[Input, Output]],
        *,
        hint: Optional[Callable[Input, Output]] = None,
        streaming: bool = False,
    ) -> Union[AsyncFunction[Input, Output], AsyncFunction[Input, OutputIterator[Output]]]:
        """A model as an async Python function that runs on this client."""
        from replicate.use import use

        function = use(ref, hint=hint, streaming=streaming, use_async=True, client=self._client)
        return cast("Union[AsyncFunction[Input, Output], AsyncFunction[Input, OutputIterator[Output]]]", function)

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: Any = None,
        params: Any = None,
        headers: Any = None,
    ) -> httpx.Response:
        """Send any request to the API; returns the httpx.Response, raises ReplicateError on errors."""
        return await self._client._async_request(
            method, api_path(url), json=json, content=content, params=params, headers=headers
        )

    async def get(self, path: str, *, params: Any = None, headers: Any = None) -> httpx.Response:
        """GET a path under the API's `/v1`; returns the httpx.Response."""
        return await self.request("GET", path, params=params, headers=headers)

    async def post(
        self, path: str, *, json: Any = None, content: Any = None, params: Any = None, headers: Any = None
    ) -> httpx.Response:
        """POST to a path under the API's `/v1`; returns the httpx.Response."""
        return await self.request("POST", path, json=json, content=content, params=params, headers=headers)

    async def close(self) -> None:
        """Close the HTTP client of the running event loop."""
        await self._client.aclose()

    aclose = close

    async def __aenter__(self) -> AsyncReplicate:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class _AsyncCore(Replicate):
    """The client behind an AsyncReplicate: async pages, optionally a caller's httpx client."""


    @property
    def _page_class(self) -> Any:
        from replicate.pagination import AsyncCursorURLPage

        return AsyncCursorURLPage
    _fixed_async_client: Optional[httpx.AsyncClient] = None

    def _use_http_client(self, http_client: Any) -> None:
        self._fixed_async_client = http_client

    @property
    def _async_client(self) -> httpx.AsyncClient:
        if self._fixed_async_client is not None:
            return self._fixed_async_client
        return super()._async_client


class AsyncResult(Generic[R]):
    """A call on an AsyncReplicate: await it for the result, or `async for` over it.

    Iterating awaits the call, then walks what it returned: every item of a page (fetching
    further pages as needed), every event of a stream, or the items of a list.
    """

    def __init__(self, awaitable: Awaitable[R]) -> None:
        self._awaitable = awaitable

    def __await__(self) -> Generator[Any, None, R]:
        return self._awaitable.__await__()

    async def __aiter__(self) -> AsyncIterator[Any]:
        result: Any = await self._awaitable
        if hasattr(result, "__aiter__"):
            async for item in result:
                yield item
        else:
            for item in result:
                yield item


class AsyncItems(AsyncResult[R], Generic[R, I]):
    """An AsyncResult whose items are known: a page's, a list's or a stream's."""

    def __aiter__(self) -> AsyncIterator[I]:
        return super().__aiter__()


def api_path(url: str) -> str:
    """A newer-SDK path (relative to `/v1`) as this client's path; full URLs pass unchanged."""
    if "://" in url:
        return url
    url = "/" + url.lstrip("/")
    return url if url.startswith("/v1/") or url == "/v1" else "/v1" + url


def _timeout(timeout: Timeout) -> Optional[httpx.Timeout]:
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be seconds or an httpx.Timeout, got {timeout!r}")
    return httpx.Timeout(float(timeout))


def _adopt_user_agent(http_client: Union[httpx.Client, httpx.AsyncClient], headers: httpx.Headers) -> None:
    """Give a caller's httpx client our User-Agent, unless the caller chose one."""
    if http_client.headers.get("user-agent", "").startswith("python-httpx/"):
        http_client.headers["User-Agent"] = headers["User-Agent"]


def _configure_retries(client: Client, max_retries: Optional[int]) -> None:
    if max_retries is None:
        return
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
    client._retry_options["max_attempts"] = max_retries + 1

