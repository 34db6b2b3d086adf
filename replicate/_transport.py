"""Transport policy: which requests are retried and when, and where the API token may go."""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import json
import logging
import os
import random
import re
import socket
import ssl
import sys
import threading
import time
import warnings
from datetime import datetime, timezone
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

import httpx

if TYPE_CHECKING:
    import asyncio

logger = logging.getLogger("replicate")

# The transport's clocks, named here so tests can replace them without touching other threads.
sleep = time.sleep


async def async_sleep(seconds: float) -> None:
    """asyncio.sleep, imported when first awaited: programs that never use async don't load asyncio."""
    import asyncio

    await asyncio.sleep(seconds)


IDEMPOTENT_METHODS = frozenset(["HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"])

# Failures that prove the request never reached the server: safe to retry for any method.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures before any response byte arrived: the server may have acted, so only an
# idempotent request may be sent again.
_NO_RESPONSE = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.WriteTimeout)
# Failures to reach the host at all. Retried only for a short while: a dead network or a
# wrong base URL should say so in seconds, not after the full backoff.
_UNREACHABLE = (httpx.ConnectError, httpx.ConnectTimeout)
CONNECT_RETRY_DURATION = 4.0
# Causes that trying again cannot cure: an unknown host name, a certificate that fails
# verification.
_PERMANENT_CAUSES = (socket.gaierror, ssl.SSLCertVerificationError)


class RetryTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Wraps a transport and retries failed requests with capped exponential backoff and jitter.

    Idempotent methods are retried on the retryable status codes and on connection
    failures. Other methods (POST, PATCH, QUERY) are retried only when the server cannot
    have acted: a 429, or a connection that was never established.
    """

    RETRYABLE_METHODS = IDEMPOTENT_METHODS
    RETRYABLE_STATUS_CODES = frozenset([429, 503, 504])
    MAX_BACKOFF_WAIT = 60

    def __init__(
        self,
        wrapped_transport: Union[httpx.BaseTransport, httpx.AsyncBaseTransport],
        *,
        max_attempts: int = 10,
        max_backoff_wait: float = MAX_BACKOFF_WAIT,
        backoff_factor: float = 0.1,
        jitter_ratio: float = 0.1,
        retryable_methods: Optional[Iterable[str]] = None,
        retry_status_codes: Optional[Iterable[int]] = None,
        max_retry_duration: Optional[float] = 300.0,
        api_origin_setting: Optional[Tuple[Origin, str]] = None,
    ) -> None:
        if jitter_ratio < 0 or jitter_ratio > 0.5:
            raise ValueError(f"jitter_ratio should be between 0 and 0.5, got {jitter_ratio!r}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts should be at least 1, got {max_attempts!r}")
        self._wrapped_transport = wrapped_transport
        self._max_attempts = max_attempts
        self._max_backoff_wait = max_backoff_wait
        self._backoff_factor = backoff_factor
        self._jitter_ratio = jitter_ratio
        self._retryable_methods = (
            frozenset(method.upper() for method in retryable_methods)
            if retryable_methods is not None
            else self.RETRYABLE_METHODS
        )
        self._retry_status_codes = (
            frozenset(retry_status_codes)
            if retry_status_codes is not None
            else self.RETRYABLE_STATUS_CODES
        )
        self._max_retry_duration = max_retry_duration
        # (the API's origin, the setting that chose it): named when the API is unreachable
        self._api_origin_setting = api_origin_setting

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, retrying as the policy allows."""
        transport = self._wrapped_transport
        if not isinstance(transport, httpx.BaseTransport):
            raise TypeError("RetryTransport wraps an async transport; use it with an AsyncClient")
        attempts = _Attempts(self, request)
        while True:
            try:
                response = transport.handle_request(request)
            except httpx.TransportError as exc:
                sleep(attempts.delay_after_error(exc))
                continue
            if attempts.needs_body(response):
                response.read()
            delay = attempts.delay_after_response(response)
            if delay is None:
                return _ending_by_deadline(response, request)
            response.close()
            sleep(delay)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, retrying as the policy allows, without blocking the event loop."""
        transport = self._wrapped_transport
        if not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError("RetryTransport wraps a sync transport; use it with a Client")
        attempts = _Attempts(self, request)
        while True:
            try:
                response = await transport.handle_async_request(request)
            except httpx.TransportError as exc:
                await async_sleep(attempts.delay_after_error(exc))
                continue
            if attempts.needs_body(response):
                await response.aread()
            delay = attempts.delay_after_response(response)
            if delay is None:
                return _ending_by_deadline(response, request)
            await response.aclose()
            await async_sleep(delay)

    def close(self) -> None:
        """Close the wrapped transport."""
        if isinstance(self._wrapped_transport, httpx.BaseTransport):
            self._wrapped_transport.close()

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        if isinstance(self._wrapped_transport, httpx.AsyncBaseTransport):
            await self._wrapped_transport.aclose()


class _Attempts:
    """The retry state of one request: decides whether and how long to wait before the next try."""

    def __init__(self, policy: RetryTransport, request: httpx.Request) -> None:
        self.policy = policy
        self.request = request
        self.method = request.method.upper()
        self.attempts_made = 1
        self.started = time.monotonic()

    def needs_body(self, response: httpx.Response) -> bool:
        """Whether the retry decision needs the body (a 429 may say `retry_after` only there)."""
        return (
            response.status_code == 429
            and "retry-after" not in response.headers
            and self._may_retry_status(response.status_code)
        )

    def delay_after_response(self, response: httpx.Response) -> Optional[float]:
        """Seconds to wait before retrying, or None to hand this response to the caller."""
        if not self._may_retry_status(response.status_code):
            return None
        delay = self._server_requested_delay(response)
        if delay is None:
            delay = self._backoff()
        return self._next_attempt(delay, f"HTTP {response.status_code}")

    def delay_after_error(self, exc: httpx.TransportError) -> float:
        """Seconds to wait before retrying after a transport error; re-raises it if unsafe."""
        safe = isinstance(exc, _NEVER_SENT) or (
            isinstance(exc, _NO_RESPONSE) and self.method in self.policy._retryable_methods
        )
        delay: Optional[float] = None
        if safe and isinstance(exc, _UNREACHABLE):
            backoff = self._backoff()
            in_time = time.monotonic() - self.started + backoff <= CONNECT_RETRY_DURATION
            if in_time and not _caused_by(exc, _PERMANENT_CAUSES):
                delay = self._next_attempt(backoff, type(exc).__name__)
        elif safe:
            delay = self._next_attempt(self._backoff(), type(exc).__name__)
        if delay is None:
            if isinstance(exc, _UNREACHABLE):
                self._name_the_host(exc)
            raise exc
        return delay

    def _name_the_host(self, exc: httpx.TransportError) -> None:
        """Add to the error's message the host it tried and, for the API, what chose it."""
        url = self.request.url
        where = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"
        setting = self.policy._api_origin_setting
        if setting is not None and setting[0] == origin_of(url):
            where += f", the API base URL set by {setting[1]}"
        reason = str(exc) or type(exc).__name__
        exc.args = (f"{reason} (could not connect to {where})", *exc.args[1:])

    def _may_retry_status(self, status: int) -> bool:
        if status not in self.policy._retry_status_codes:
            return False
        # A 429 means the server refused the request unprocessed, so even a POST may go again.
        return self.method in self.policy._retryable_methods or status == 429

    def _next_attempt(self, delay: float, reason: str) -> Optional[float]:
        policy = self.policy
        if self.attempts_made >= policy._max_attempts:
            return None
        elapsed = time.monotonic() - self.started
        if policy._max_retry_duration is not None and elapsed + delay > policy._max_retry_duration:
            return None
        left = time_left()
        if left is not None and delay >= left:  # a wait's deadline comes first
            return None
        self.attempts_made += 1
        logger.debug(
            "retrying %s %s after %s in %.2fs (attempt %d of %d)",
            self.method,
            _loggable_url(self.request.url),
            reason,
            delay,
            self.attempts_made,
            policy._max_attempts,
        )
        return delay

    def _backoff(self) -> float:
        policy = self.policy
        backoff = policy._backoff_factor * (2.0 ** (self.attempts_made - 1))
        jitter = backoff * policy._jitter_ratio * random.uniform(-1.0, 1.0)
        return max(0.0, min(backoff + jitter, policy._max_backoff_wait))

    def _server_requested_delay(self, response: httpx.Response) -> Optional[float]:
        delay = parse_retry_after(response.headers.get("retry-after"))
        if delay is None and response.status_code == 429:
            delay = _retry_after_from_body(response)
        if delay is None:
            return None
        return max(0.0, min(delay, self.policy._max_backoff_wait))


class DeferredTLSContext(ssl.SSLContext):
    """The default TLS context (httpx's, with the CA bundle), built on the first TLS connection.

    Loading the CA bundle costs tens of milliseconds and about a megabyte: a client that is
    never used, or only speaks plain HTTP (an emulator on loopback), does not pay for it.
    httpcore sets ALPN on the context and wraps sockets with it; both reach the built context.
    """

    def __new__(cls, trust_env: bool = True) -> DeferredTLSContext:
        return super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names

    def __init__(self, trust_env: bool = True) -> None:
        self._trust_env = trust_env  # whether SSL_CERT_FILE and SSL_CERT_DIR count, as in httpx
        self._built: Optional[ssl.SSLContext] = None
        self._alpn_protocols: Optional[List[str]] = None
        self._build_lock = threading.Lock()

    def built(self) -> ssl.SSLContext:
        """The real context, built once."""
        context = self._built
        if context is None:
            with self._build_lock:
                context = self._built
                if context is None:
                    context = httpx.create_ssl_context(trust_env=self._trust_env)
                    if self._alpn_protocols is not None:
                        context.set_alpn_protocols(self._alpn_protocols)
                    self._built = context
        return context

    def set_alpn_protocols(self, alpn_protocols: Iterable[str]) -> None:
        self._alpn_protocols = list(alpn_protocols)
        if self._built is not None:
            self._built.set_alpn_protocols(self._alpn_protocols)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        return self.built().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        return self.built().wrap_bio(*args, **kwargs)


# --- deadlines --------------------------------------------------------------------------------

_deadline: contextvars.ContextVar[Optional[float]] = contextvars.ContextVar("replicate_deadline", default=None)


class DeadlinePassed(Exception):
    """Internal: a wait's deadline passed while a request or a stream was under way."""


@contextlib.contextmanager
def deadline(timeout: Optional[float]) -> Generator[None, None, None]:
    """Bound every request made inside (its timeouts, its retries) by `timeout` seconds from now.

    Used by the waits, so that `wait(timeout=)` ends on time whatever the server does. A
    context variable, so it follows the call into the transport and stays within its thread
    or task; nested deadlines keep the earlier one.
    """
    if timeout is None:
        yield
        return
    ends = time.monotonic() + timeout
    outer = _deadline.get()
    token = _deadline.set(ends if outer is None else min(outer, ends))
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> Optional[float]:
    """Seconds before the current deadline (0 once passed), or None without one."""
    ends = _deadline.get()
    return None if ends is None else max(0.0, ends - time.monotonic())


def check_deadline() -> None:
    """Raise DeadlinePassed once the current deadline has passed."""
    if time_left() == 0.0:
        raise DeadlinePassed()


def timeout_within_deadline(timeout: httpx.Timeout) -> Optional[httpx.Timeout]:
    """`timeout` with each phase cut to the time left, or None when there is no deadline."""
    left = time_left()
    if left is None:
        return None
    left = max(left, 0.001)  # 0 would mean "no timeout" to some backends

    def cut(value: Optional[float]) -> float:
        return left if value is None else min(value, left)

    return httpx.Timeout(connect=cut(timeout.connect), read=cut(timeout.read), write=cut(timeout.write), pool=cut(timeout.pool))


def _ending_by_deadline(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """Under a wait's deadline, make the body stop with ReadTimeout once it passes: a server
    that trickles bytes, or sends keep-alives, never trips the per-read timeout."""
    ends = _deadline.get()
    if ends is not None and not response.is_closed:
        response.stream = _DeadlineStream(response.stream, ends, request)
    return response


class _DeadlineStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that raises httpx.ReadTimeout when a chunk arrives after `ends`."""

    def __init__(self, stream: Any, ends: float, request: httpx.Request) -> None:
        self._stream = stream
        self._ends = ends
        self._request = request

    def _check(self) -> None:
        if time.monotonic() >= self._ends:
            raise httpx.ReadTimeout("the wait's deadline passed while the body was arriving", request=self._request)

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            self._check()
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            self._check()
            yield chunk

    def close(self) -> None:
        self._stream.close()

    async def aclose(self) -> None:
        await self._stream.aclose()


POOL_CONNECTIONS = 25
"""The most connections one httpcore pool gets (see ConnectionPools)."""

Transport = Union[httpx.BaseTransport, httpx.AsyncBaseTransport]


class ConnectionPools(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Several small connection pools behind one limit on the requests in flight.

    At most `limit` requests are let in at once, each holding its slot until its response is
    closed (so streamed responses count); the rest queue here, not inside a pool, where
    httpcore's queue scales badly. A request goes to the first pool with a free connection,
    so light use keeps to one pool and its keep-alive connections. Several pools, because
    on every request and response httpcore's pool rescans all its connections once per idle
    one: four pools of 25 cost about a sixteenth of one pool of 100.
    """

    def __init__(self, pools: Sequence[Transport], limit: int) -> None:
        if not pools:
            raise ValueError("ConnectionPools needs at least one pool")
        self._pools = list(pools)
        self._limit = limit
        self._per_pool = -(-limit // len(self._pools))
        self._in_flight = [0] * len(self._pools)
        self._lock = threading.Lock()
        self._sync_slots = threading.BoundedSemaphore(limit)
        self._async_slots: Optional[asyncio.Semaphore] = None

    def _claim(self, slots: Union[threading.BoundedSemaphore, asyncio.Semaphore]) -> Tuple[Any, Callable[[], None]]:
        """With a slot held: the first pool with a free connection (there is one), and what
        gives both back."""
        with self._lock:
            index = next(i for i, count in enumerate(self._in_flight) if count < self._per_pool)
            self._in_flight[index] += 1

        def release() -> None:
            with self._lock:
                self._in_flight[index] -= 1
            slots.release()

        return self._pools[index], release

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._sync_slots.acquire()
        pool, release = self._claim(self._sync_slots)
        try:
            response = pool.handle_request(request)
        except BaseException:
            release()
            raise
        return _holding_slot(response, release)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._async_slots is None:  # created inside the event loop that uses it
            import asyncio

            self._async_slots = asyncio.Semaphore(self._limit)
        await self._async_slots.acquire()
        pool, release = self._claim(self._async_slots)
        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            release()
            raise
        return _holding_slot(response, release)

    def close(self) -> None:
        for pool in self._pools:
            if isinstance(pool, httpx.BaseTransport):
                pool.close()

    async def aclose(self) -> None:
        for pool in self._pools:
            if isinstance(pool, httpx.AsyncBaseTransport):
                await pool.aclose()


def _holding_slot(response: httpx.Response, release: Callable[[], None]) -> httpx.Response:
    """Make the response give its slot back when closed (at once if it is already read)."""
    if response.is_closed:
        release()
    else:
        response.stream = _SlotHoldingStream(response.stream, release)
    return response


class _SlotHoldingStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that gives its request's slot back when it is closed."""

    def __init__(self, stream: Any, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Optional[Callable[[], None]] = release

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._give_back()

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._give_back()

    def _give_back(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()


def _caused_by(exc: BaseException, causes: Tuple[type, ...]) -> bool:
    """Whether `exc` or anything in its chain of causes is one of `causes`."""
    seen: Set[int] = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, causes):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def parse_retry_after(value: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _retry_after_from_body(response: httpx.Response) -> Optional[float]:
    try:
        data = json.loads(response.content)
        value = float(data["retry_after"])
    except (ValueError, TypeError, KeyError, httpx.ResponseNotRead):
        return None
    return value if value >= 0 else None


def _loggable_url(url: httpx.URL) -> str:
    """The URL without its query, which may carry signatures."""
    return str(url.copy_with(query=None))


# --- the API token ---------------------------------------------------------------------------


def token_from_environment() -> Optional[str]:
    """The token for this moment: the Cog prediction's own, else REPLICATE_API_TOKEN."""
    return _token_from_cog() or clean_token(os.environ.get("REPLICATE_API_TOKEN"))


def clean_token(token: Optional[str]) -> Optional[str]:
    """The token without surrounding whitespace (`$(cat token.txt)` keeps a newline); None if empty."""
    if not isinstance(token, str):
        return token
    return token.strip() or None


def redact(text: str, *tokens: Optional[str]) -> str:
    """`text` with each token replaced by `r8_…` and its last 4 characters."""
    for token in tokens:
        # A few characters are no secret, and replacing them everywhere would garble the text.
        if token and len(token) >= 8 and token in text:
            text = text.replace(token, _redacted(token))
    return text


def _redacted(token: str) -> str:
    if len(token) < 12:  # too short to show any of it
        return "<redacted>"
    prefix = "r8_" if token.startswith("r8_") else ""
    return f"{prefix}…{token[-4:]}"


def token_sent_with(request: Optional[httpx.Request]) -> Optional[str]:
    """The bearer token a request carried, if any."""
    if request is None:
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


# Header values may hold visible ASCII, spaces and tabs; anything else makes httpx fail
# with the whole header, token included, in its message.
_ILLEGAL_IN_HEADER = re.compile(r"[^\x20-\x7e\t]")


def check_token(token: str) -> None:
    """Raise httpx.LocalProtocolError, without the token, if it cannot go in a header."""
    illegal = _ILLEGAL_IN_HEADER.search(token)
    if illegal:
        raise httpx.LocalProtocolError(
            f"the API token contains a character that cannot be sent in an HTTP header "
            f"({illegal.group()!r} at position {illegal.start()}); check REPLICATE_API_TOKEN or api_token="
        )


def _token_from_cog() -> Optional[str]:
    # Only consult Cog when the process already runs it; importing it here would be slow.
    cog = sys.modules.get("cog")
    if cog is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            context = cog.current_scope().context
        for key, value in context.items():
            if str(key).upper() == "REPLICATE_API_TOKEN" and value:
                return clean_token(str(value))
    except Exception:  # any failure in Cog's scope falls back to the environment
        return None
    return None


Origin = Tuple[bytes, bytes]


def origin_of(url: httpx.URL) -> Origin:
    """Scheme and host:port, the unit the token is confined to."""
    return (url.raw_scheme, url.netloc)


class APITokenAuth(httpx.Auth):
    """Adds `Authorization: Bearer <token>` to requests for the API origin, and nowhere else.

    The token is looked up for every request, so a token set after import, or a new Cog
    prediction's token, takes effect at once.
    """

    def __init__(self, get_token: Callable[[], Optional[str]], api_origin: Origin) -> None:
        self._get_token = get_token
        self._api_origin = api_origin

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "authorization" not in request.headers and origin_of(request.url) == self._api_origin:
            token = self._get_token()
            if token:
                check_token(token)
                request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(<redacted>)"
