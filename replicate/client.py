"""The Replicate client: configuration, the HTTP clients, and the namespaces of the API."""

from __future__ import annotations

import functools
import os
import threading
import weakref
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Dict,
    Iterator,
    Literal,
    Mapping,
    MutableMapping,
    Optional,
    TypeVar,
    Union,
    overload,
)

import httpx

from replicate._transport import (
    POOL_CONNECTIONS,
    APITokenAuth,
    ConnectionPools,
    DeferredTLSContext,
    RetryTransport,
    Transport,
    clean_token,
    origin_of,
    timeout_within_deadline,
    token_from_environment,
)
from replicate._version import __version__
from replicate.exceptions import ReplicateError

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from replicate._operation import Operation

    # The namespaces' modules load on first use: a client built for predictions alone
    # never pays for the pydantic models of the others.
    from replicate.account import Accounts
    from replicate.collection import Collections
    from replicate.deployment import Deployments
    from replicate.file import Files
    from replicate.hardware import HardwareNamespace
    from replicate.helpers import JSONValue
    from replicate.identifier import ModelVersionIdentifier
    from replicate.model import Model, Models
    from replicate.prediction import Predictions, RunParams
    from replicate.search import SearchResponse
    from replicate.stream import ServerSentEvent
    from replicate.training import Trainings
    from replicate.use import FunctionRef
    from replicate.version import Version
    from replicate.webhook import Webhooks

__all__ = ["Client", "RetryTransport"]

T = TypeVar("T")
PoolT = TypeVar("PoolT", httpx.HTTPTransport, httpx.AsyncHTTPTransport)

DEFAULT_BASE_URL = "https://api.replicate.com"
DEFAULT_TIMEOUT = httpx.Timeout(5.0, read=30.0, write=30.0, connect=5.0, pool=10.0)
DEFAULT_POLL_INTERVAL = 0.5
# Keep every pooled connection alive: closing "idle" ones while other threads pick them up
# is what makes a sync client shared by many threads fail with EBADF in httpcore.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)

# Options that configure the connection pool rather than the client; they go to the
# transport we build, because httpx ignores them once a transport is given.
_TRANSPORT_OPTIONS = frozenset(
    ["verify", "cert", "http1", "http2", "limits", "proxy", "uds", "local_address", "retries", "socket_options"]
)


WaitStrategy = Literal["poll", "stream"]
WAIT_STRATEGIES = ("poll", "stream")


class Client:
    """A Replicate API client library."""

    # Newer-style clients (Replicate, AsyncReplicate) page through every list result.
    _newer_style = False

    @property
    def _page_class(self) -> Any:
        """The page class of list results, imported when first needed."""
        from replicate.pagination import Page

        return Page

    def __init__(
        self,
        api_token: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[httpx.Timeout] = None,
        **kwargs: Any,
    ) -> None:
        self._api_token = api_token
        self._base_url_setting = (
            "base_url" if base_url else "REPLICATE_BASE_URL" if os.environ.get("REPLICATE_BASE_URL") else "default"
        )
        self._base_url = normalize_base_url(
            base_url or os.environ.get("REPLICATE_BASE_URL") or DEFAULT_BASE_URL
        )
        self._timeout = _as_timeout(timeout) if timeout is not None else DEFAULT_TIMEOUT
        self.poll_interval: float = float(
            kwargs.pop("poll_interval", None)
            or os.environ.get("REPLICATE_POLL_INTERVAL")
            or DEFAULT_POLL_INTERVAL
        )
        self.wait_strategy: WaitStrategy = check_wait_strategy(kwargs.pop("wait_strategy", "poll"))
        headers = httpx.Headers(kwargs.pop("headers", None))
        headers.setdefault("User-Agent", f"replicate-python/{__version__}")
        self._headers = headers
        self._transport = kwargs.pop("transport", None)
        self._transport_options = {
            key: kwargs.pop(key) for key in list(kwargs) if key in _TRANSPORT_OPTIONS
        }
        self._transport_options.setdefault("limits", DEFAULT_LIMITS)
        check_httpx_options(kwargs, self._transport_options)
        self._client_kwargs = kwargs
        self._retry_options: Dict[str, Any] = {}
        self._auth = APITokenAuth(self._token, origin_of(httpx.URL(self._base_url)))
        self._forget_connections()
        _live_clients.add(self)

    # --- configuration -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API's base URL, without the `/v1` that every path carries."""
        return self._base_url

    def _token(self) -> Optional[str]:
        """The token for the next request: explicit, else Cog's, else REPLICATE_API_TOKEN."""
        return clean_token(self._api_token) or token_from_environment()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    # --- HTTP ----------------------------------------------------------------------------

    def _forget_connections(self) -> None:
        """Start with no HTTP clients: at construction, and in a forked child, whose copies
        of the parent's connections must not be used (the parent still reads from them)."""
        self._lock = threading.Lock()  # the parent's may have been held by another thread
        self._sync_client: Optional[httpx.Client] = None
        self._own_sync_client: Optional[httpx.Client] = None
        self._async_clients: MutableMapping[Any, httpx.AsyncClient] = _loop_keyed_dict()
        self._loop_closers: MutableMapping[Any, Any] = weakref.WeakKeyDictionary()

    def _after_fork_in_child(self) -> None:
        sync_client = self._sync_client
        if sync_client is not None and sync_client is not self._own_sync_client:
            self._forget_connections()
            self._sync_client = sync_client  # the caller's own httpx client is theirs to manage
        else:
            self._forget_connections()

    @property
    def _client(self) -> httpx.Client:
        """The sync httpx client, built on first use."""
        client = self._sync_client
        if client is None:
            with self._lock:
                client = self._sync_client
                if client is None:
                    transport = self._transport or self._pools(httpx.HTTPTransport)
                    client = self._sync_client = self._own_sync_client = httpx.Client(
                        transport=self._retrying(transport),
                        **self._httpx_options(httpx.HTTPTransport),
                    )
        return client

    @property
    def _async_client(self) -> httpx.AsyncClient:
        """The async httpx client for the running event loop.

        Connection pools belong to one event loop, so each loop gets its own client; code
        that calls `asyncio.run()` several times keeps working.
        """
        import asyncio  # here, not at import: sync-only programs never load it

        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            for other in [other for other in self._async_clients if other.is_closed()]:
                # Closed without shutting down its async generators: drop what it left.
                self._async_clients.pop(other, None)
                self._loop_closers.pop(other, None)
            transport = self._transport or self._pools(httpx.AsyncHTTPTransport)
            client = httpx.AsyncClient(
                transport=self._retrying(transport),
                **self._httpx_options(httpx.AsyncHTTPTransport),
            )
            self._async_clients[loop] = client
            if self._transport is None:  # a caller's transport is theirs to close
                self._loop_closers[loop] = _close_when_loop_ends(self._async_clients, loop, client)
        return client

    def _retrying(self, transport: Transport) -> RetryTransport:
        """The retry policy around `transport`; it names the base URL's setting when unreachable."""
        setting = (origin_of(httpx.URL(self._base_url)), self._base_url_setting)
        return RetryTransport(wrapped_transport=transport, api_origin_setting=setting, **self._retry_options)

    def _proxy_mounts(self, transport_class: Callable[..., PoolT]) -> Dict[str, Optional[RetryTransport]]:
        """Transports for the proxies HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY name.

        httpx reads these only when it builds its own transport, and this client gives it
        one, so the client reads them itself, as httpx would (None: no proxy for that host).
        """
        if (
            self._transport is not None
            or "proxy" in self._transport_options
            or "mounts" in self._client_kwargs
            or not self._client_kwargs.get("trust_env", True)
        ):
            return {}
        from httpx._utils import get_environment_proxies

        return {
            pattern: None if proxy_url is None else self._retrying(self._pools(transport_class, proxy=proxy_url))
            for pattern, proxy_url in get_environment_proxies().items()
        }

    def _pools(self, transport_class: Callable[..., PoolT], **extra: Any) -> Union[PoolT, ConnectionPools]:
        """The connection pools for `limits`, with requests queued before them (see ConnectionPools)."""
        options = {**self._transport_options, **extra}
        options.setdefault("trust_env", self._client_kwargs.get("trust_env", True))
        if options.get("verify", True) is True and not options.get("cert"):
            # The default context loads the CA bundle: deferred to the first TLS connection.
            options["verify"] = DeferredTLSContext(trust_env=options["trust_env"])
        limits: httpx.Limits = options["limits"]
        if not limits.max_connections:
            return transport_class(**options)
        count = -(-limits.max_connections // POOL_CONNECTIONS)
        keepalive = limits.max_keepalive_connections
        per_pool = httpx.Limits(
            max_connections=-(-limits.max_connections // count),
            max_keepalive_connections=None if keepalive is None else -(-keepalive // count),
            keepalive_expiry=limits.keepalive_expiry,
        )
        pool_options: Dict[str, Any] = {**options, "limits": per_pool}
        if count > 1:
            # One TLS context for all the pools: each would load the CA bundle again (~0.8 MB).
            cert = pool_options.pop("cert", None)
            pool_options["verify"] = httpx.create_ssl_context(
                verify=options.get("verify", True), cert=cert, trust_env=options["trust_env"]
            )
        pools = [transport_class(**pool_options) for _ in range(count)]
        return ConnectionPools(pools, limits.max_connections)

    def _httpx_options(self, transport_class: Callable[..., PoolT]) -> Dict[str, Any]:
        options: Dict[str, Any] = {
            "base_url": self._base_url,
            "headers": self._headers,
            "timeout": self._timeout,
            "auth": self._auth,
        }
        mounts = self._proxy_mounts(transport_class)
        if mounts:
            options["mounts"] = mounts
        options.update(self._client_kwargs)
        return options

    def _url(self, path: str) -> str:
        """The absolute URL for an API path (`/v1/...`); full URLs (cursors) pass unchanged."""
        return self._base_url + path if path.startswith("/") else path

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request to the API and raise ReplicateError for an error answer."""
        response = self._client.request(method, self._url(path), auth=self._auth, **self._within_deadline(kwargs))
        raise_for_status(response)
        return response

    async def _async_request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request to the API and raise ReplicateError for an error answer."""
        response = await self._async_client.request(
            method, self._url(path), auth=self._auth, **self._within_deadline(kwargs)
        )
        raise_for_status(response)
        return response

    def _within_deadline(self, options: Dict[str, Any]) -> Dict[str, Any]:
        """Request options whose timeout ends by the current wait's deadline, if any."""
        timeout = options.get("timeout")
        bounded = timeout_within_deadline(timeout if isinstance(timeout, httpx.Timeout) else self._timeout)
        return options if bounded is None else {**options, "timeout": bounded}

    def _execute(self, operation: Operation[T]) -> T:
        """Run one API operation and return its parsed result."""
        return operation.read(self._request(operation.method, operation.path, **operation.options))

    async def _async_execute(self, operation: Operation[T]) -> T:
        """Run one API operation and return its parsed result."""
        response = await self._async_request(operation.method, operation.path, **operation.options)
        return operation.read(response)

    # --- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync HTTP client and its connections."""
        with self._lock:
            client, self._sync_client = self._sync_client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the async HTTP client of the running event loop."""
        import asyncio

        client = self._async_clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    def __copy__(self) -> Client:
        """A shallow copy with namespaces of its own: they are cached per client."""
        clone = type(self).__new__(type(self))
        cached = {
            name
            for klass in type(self).__mro__
            for name, value in vars(klass).items()
            if isinstance(value, functools.cached_property)
        }
        clone.__dict__.update({key: value for key, value in self.__dict__.items() if key not in cached})
        _live_clients.add(clone)  # a forked child must make the copy forget its connections too
        return clone

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- namespaces ----------------------------------------------------------------------
    # Each namespace is built once per client, so `client.predictions is client.predictions`
    # and a patch of `replicate.predictions.create` (mock.patch, OpenTelemetry's wrapt) sticks.
    # The package's own calls (run, stream, reload...) build fresh namespaces instead, as v0's
    # did, so such a patch sees exactly the calls it saw under v0.

    @functools.cached_property
    def accounts(self) -> Accounts:
        """Namespace for operations related to accounts."""
        from replicate.account import Accounts

        return Accounts(client=self)

    @functools.cached_property
    def account(self) -> Accounts:
        """Namespace for the token's account (the newer SDK's name; `account.get()`)."""
        from replicate.account import Accounts

        return Accounts(client=self)

    @functools.cached_property
    def collections(self) -> Collections:
        """Namespace for operations related to collections of models."""
        from replicate.collection import Collections

        return Collections(client=self)

    @functools.cached_property
    def deployments(self) -> Deployments:
        """Namespace for operations related to deployments."""
        from replicate.deployment import Deployments

        return Deployments(client=self)

    @functools.cached_property
    def files(self) -> Files:
        """Namespace for operations related to files."""
        from replicate.file import Files

        return Files(client=self)

    @functools.cached_property
    def hardware(self) -> HardwareNamespace:
        """Namespace for operations related to hardware."""
        from replicate.hardware import HardwareNamespace

        return HardwareNamespace(client=self)

    @functools.cached_property
    def models(self) -> Models:
        """Namespace for operations related to models."""
        from replicate.model import Models

        return Models(client=self)

    @functools.cached_property
    def predictions(self) -> Predictions:
        """Namespace for operations related to predictions."""
        from replicate.prediction import Predictions

        return Predictions(client=self)

    @functools.cached_property
    def trainings(self) -> Trainings:
        """Namespace for operations related to trainings."""
        from replicate.training import Trainings

        return Trainings(client=self)

    @functools.cached_property
    def webhooks(self) -> Webhooks:
        """Namespace for operations related to webhooks."""
        from replicate.webhook import Webhooks

        return Webhooks(client=self)

    def search(self, query: str, limit: Optional[int] = None) -> SearchResponse:
        """Search models, collections and documentation pages (GET /v1/search)."""
        from replicate.search import search_operation

        return self._execute(search_operation(self, query, limit))

    async def async_search(self, query: str, limit: Optional[int] = None) -> SearchResponse:
        """Search models, collections and documentation pages (GET /v1/search)."""
        from replicate.search import search_operation

        return await self._async_execute(search_operation(self, query, limit))

    # --- running models ------------------------------------------------------------------

    @overload
    def run(
        self,
        ref: Union[str, Model, Version, ModelVersionIdentifier],
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Literal[False, None],
        **params: Unpack[RunParams],
    ) -> Union[JSONValue, Iterator[JSONValue]]: ...

    @overload
    def run(
        self,
        ref: Union[str, Model, Version, ModelVersionIdentifier],
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Optional[bool] = True,
        **params: Unpack[RunParams],
    ) -> Union[Any, Iterator[Any]]: ...

    def run(
        self,
        ref: Union[str, Model, Version, ModelVersionIdentifier],
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Optional[bool] = True,
        **params: Unpack[RunParams],
    ) -> Union[Any, Iterator[Any]]:
        """Run a model and wait for its output.

        Files in the output are FileOutputs, unless `use_file_output=False` (then the output is
        as the API sent it: JSON, or an iterator of JSON items for models that yield them).
        """
        from replicate.run import run

        return run(self, ref, input, use_file_output=use_file_output, **params)

    @overload
    async def async_run(
        self,
        ref: Union[str, Model, Version, ModelVersionIdentifier],
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Literal[False, None],
        **params: Unpack[RunParams],
    ) -> Union[JSONValue, AsyncIterator[JSONValue]]: ...

    @overload
    async def async_run(
        self,
        ref: Union[str, Model, Version, ModelVersionIdentifier],
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Optional[bool] = True,
        **params: Unpack[RunParams],
    ) -> Union[Any, AsyncIterator[Any]]: ...

    async def async_run(
        self,
        ref: Union[str, Model, Version, ModelVersionIdentifier],
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Optional[bool] = True,
        **params: Unpack[RunParams],
    ) -> Union[Any, AsyncIterator[Any]]:
        """Run a model and wait for its output asynchronously (`use_file_output` as in `run`)."""
        from replicate.run import async_run

        return await async_run(self, ref, input, use_file_output=use_file_output, **params)

    def stream(
        self,
        ref: Union[str, Model, Version, ModelVersionIdentifier],
        *,
        input: Optional[Dict[str, Any]] = None,
        use_file_output: Optional[bool] = True,
        **params: Unpack[RunParams],
    ) -> Iterator[ServerSentEvent]:
        """Stream a model's output."""
        from replicate.stream import stream

        return stream(self, ref, input, use_file_output=use_file_output, **params)

    async def async_stream(
        self,
        ref: Union[str, Model, Version, ModelVersionIdentifier],
        input: Optional[Dict[str, Any]] = None,
        *,
        use_file_output: Optional[bool] = True,
        **params: Unpack[RunParams],
    ) -> AsyncIterator[ServerSentEvent]:
        """Stream a model's output asynchronously."""
        from replicate.stream import async_stream

        return async_stream(self, ref, input, use_file_output=use_file_output, **params)

    def use(
        self,
        ref: Union[str, FunctionRef[Any, Any]],
        *,
        hint: Optional[Callable[..., Any]] = None,
        streaming: bool = False,
        use_async: bool = False,
    ) -> Any:
        """A model as a Python function that runs on this client (see `replicate.use`)."""
        from replicate.use import use

        return use(ref, hint=hint, streaming=streaming, use_async=use_async, client=self)


def _get_api_token_from_environment() -> Optional[str]:  # pyright: ignore[reportUnusedFunction]
    """v0's lookup of the token, kept for code (v0's own tests) that imports it.

    The Cog prediction scope's REPLICATE_API_TOKEN when the key is there, whatever its value
    ("" and None included), else the REPLICATE_API_TOKEN environment variable. The client
    itself looks the token up per request (see `replicate._transport.token_from_environment`).
    """
    try:
        import warnings

        import cog  # type: ignore[import-not-found]

        cog_module: Any = cog  # an optional package, untyped here
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Cog marks current_scope experimental
            context: Dict[str, Any] = cog_module.current_scope().context
        for key, value in context.items():
            if key.upper() == "REPLICATE_API_TOKEN":
                return value  # type: ignore[no-any-return]
    except Exception:  # Cog missing or failing must never break the client, as in v0
        pass
    return os.environ.get("REPLICATE_API_TOKEN")


def raise_for_status(response: httpx.Response) -> None:
    """Raise the ReplicateError subclass for an HTTP error answer."""
    if response.status_code >= 400:
        raise ReplicateError.from_response(response)


_OWN_OPTIONS = ("api_token", "base_url", "timeout", "poll_interval", "wait_strategy")


def check_httpx_options(client_options: Mapping[str, Any], transport_options: Mapping[str, Any]) -> None:
    """Refuse now, not at the first request, a keyword httpx.Client does not take, or
    http2=True without the `h2` package."""
    import difflib
    import importlib
    import inspect

    accepted = set(inspect.signature(httpx.Client.__init__).parameters)
    accepted |= set(inspect.signature(httpx.AsyncClient.__init__).parameters)
    accepted.discard("self")
    for name in client_options:
        if name not in accepted:
            close = difflib.get_close_matches(name, sorted(accepted | set(_OWN_OPTIONS)), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"Client() got an unexpected keyword argument {name!r}{hint}")
    if transport_options.get("http2"):
        try:
            importlib.import_module("h2")
        except ImportError:
            raise ImportError(
                "http2=True needs the 'h2' package: install it with pip install 'httpx[http2]'"
            ) from None


def check_wait_strategy(strategy: Any) -> WaitStrategy:
    """Validate a wait strategy: "poll" (v0's requests) or "stream" (follow the SSE stream)."""
    if strategy not in WAIT_STRATEGIES:
        raise ValueError(f"wait_strategy must be 'poll' or 'stream', got {strategy!r}")
    return strategy  # type: ignore[no-any-return]


def normalize_base_url(base_url: str) -> str:
    """Strip a trailing slash and `/v1`: paths carry `/v1` themselves."""
    base_url = base_url.rstrip("/")
    if base_url.endswith("/v1"):
        base_url = base_url[: -len("/v1")]
    return base_url


def _as_timeout(timeout: Union[httpx.Timeout, float, Mapping[str, Any], Any]) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, (int, float)):
        return httpx.Timeout(float(timeout))
    raise TypeError(f"timeout must be an httpx.Timeout or a number of seconds, got {timeout!r}")


def _loop_keyed_dict() -> MutableMapping[Any, httpx.AsyncClient]:
    # Weak keys let a finished event loop and its client be collected.
    return weakref.WeakKeyDictionary()


def _close_when_loop_ends(clients: MutableMapping[Any, httpx.AsyncClient], loop: Any, client: httpx.AsyncClient) -> Any:
    """Close `client` when its event loop shuts down (as `asyncio.run()` does at its end).

    An async generator, started here and left waiting: the loop finalizes its async
    generators before it closes, which runs the `finally` below inside the loop, so the
    connections are closed properly rather than left to the garbage collector.
    """
    loop_ref = weakref.ref(loop)  # the generator is kept in a dict weakly keyed by the loop

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            finished_loop = loop_ref()
            if finished_loop is not None and clients.get(finished_loop) is client:
                del clients[finished_loop]
                await client.aclose()

    generator = closer()
    try:  # run to its `yield` now; the loop registers it on this first step
        generator.asend(None).send(None)
    except StopIteration:
        pass
    return generator


# Every client, so that a forked child can make each forget its parent's connections.
_live_clients: weakref.WeakSet[Client] = weakref.WeakSet()


def _forget_connections_in_child() -> None:
    for client in list(_live_clients):
        client._after_fork_in_child()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_connections_in_child)
