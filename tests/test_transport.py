"""RetryTransport: which requests are retried, how long it waits, and when it gives up."""

from __future__ import annotations

import asyncio
import email.utils
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, List, Union

import httpx
import pytest

from replicate import _transport
from replicate._transport import ConnectionPools, RetryTransport, parse_retry_after

Step = Union[httpx.Response, Exception]


class Script:
    """A wrapped transport that plays a scripted sequence of responses and failures."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: List[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[float]]:
    """Record the transport's waits instead of sleeping them."""
    waits: List[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(_transport, "sleep", waits.append)
    monkeypatch.setattr(_transport, "async_sleep", fake_async_sleep)
    yield waits


def send(script: Script, method: str = "GET", mode: str = "sync", **options: Any) -> httpx.Response:
    transport = RetryTransport(httpx.MockTransport(script), **options)
    request = httpx.Request(method, "https://api.replicate.com/v1/predictions", content=b"{}")
    if mode == "sync":
        return transport.handle_request(request)
    return asyncio.run(transport.handle_async_request(request))


modes = pytest.mark.parametrize("mode", ["sync", "async"])


def connect_error() -> httpx.ConnectError:
    return httpx.ConnectError("connection refused")


def dropped() -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError("Server disconnected without sending a response.")


def test_v0_signature_defaults() -> None:
    transport = RetryTransport(httpx.HTTPTransport())
    assert transport._max_attempts == 10
    assert transport._max_backoff_wait == 60
    assert transport._backoff_factor == 0.1
    assert transport._jitter_ratio == 0.1
    assert frozenset(["HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"]) == RetryTransport.RETRYABLE_METHODS
    assert frozenset([429, 503, 504]) == RetryTransport.RETRYABLE_STATUS_CODES
    assert RetryTransport.MAX_BACKOFF_WAIT == 60


@modes
@pytest.mark.parametrize("status", [429, 503, 504])
def test_get_retried_on_retryable_status(mode: str, status: int, sleeps: List[float]) -> None:
    script = Script(httpx.Response(status), httpx.Response(status), httpx.Response(200))
    assert send(script, mode=mode).status_code == 200
    assert len(script.requests) == 3
    assert len(sleeps) == 2


@modes
@pytest.mark.parametrize("status", [500, 502, 400, 404])
def test_other_statuses_are_not_retried(mode: str, status: int, sleeps: List[float]) -> None:
    script = Script(httpx.Response(status), httpx.Response(200))
    assert send(script, mode=mode).status_code == status
    assert sleeps == []


@modes
@pytest.mark.parametrize("method", ["POST", "PATCH", "QUERY"])
@pytest.mark.parametrize("status", [503, 504])
def test_non_idempotent_not_retried_on_5xx(mode: str, method: str, status: int, sleeps: List[float]) -> None:
    script = Script(httpx.Response(status), httpx.Response(201))
    assert send(script, method, mode=mode).status_code == status
    assert len(script.requests) == 1


@modes
@pytest.mark.parametrize("method", ["POST", "PATCH", "QUERY"])
def test_non_idempotent_retried_on_429(mode: str, method: str, sleeps: List[float]) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(201))
    assert send(script, method, mode=mode).status_code == 201
    assert sleeps == [2.0]
    assert script.requests[1].content == b"{}"


@modes
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("error", [connect_error, lambda: httpx.ConnectTimeout("slow connect")])
def test_connection_never_made_is_retried_for_any_method(
    mode: str, method: str, error: Callable[[], Exception], sleeps: List[float]
) -> None:
    script = Script(error(), error(), httpx.Response(200))
    assert send(script, method, mode=mode).status_code == 200
    assert len(script.requests) == 3


@modes
def test_get_retried_when_dropped_before_response(mode: str, sleeps: List[float]) -> None:
    script = Script(dropped(), httpx.ReadError("reset"), httpx.Response(200))
    assert send(script, "GET", mode=mode).status_code == 200


@modes
@pytest.mark.parametrize(
    "error",
    [dropped, lambda: httpx.ReadError("reset"), lambda: httpx.ReadTimeout("slow"), lambda: httpx.WriteError("x")],
)
def test_post_never_retried_once_it_may_have_been_sent(
    mode: str, error: Callable[[], Exception], sleeps: List[float]
) -> None:
    script = Script(error(), httpx.Response(201))
    with pytest.raises(httpx.TransportError):
        send(script, "POST", mode=mode)
    assert len(script.requests) == 1


@modes
def test_read_timeout_on_get_is_not_retried(mode: str, sleeps: List[float]) -> None:
    script = Script(httpx.ReadTimeout("slow"), httpx.Response(200))
    with pytest.raises(httpx.ReadTimeout):
        send(script, mode=mode)


@modes
def test_retry_after_http_date(mode: str, sleeps: List[float]) -> None:
    when = email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    script = Script(httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200))
    send(script, mode=mode)
    assert 28 <= sleeps[0] <= 30


@modes
def test_retry_after_from_429_body(mode: str, sleeps: List[float]) -> None:
    body = {"detail": "Request was throttled. Expected available in 3 seconds.", "status": 429, "retry_after": 3}
    script = Script(httpx.Response(429, json=body), httpx.Response(200))
    send(script, mode=mode)
    assert sleeps == [3.0]


@modes
def test_every_wait_is_capped(mode: str, sleeps: List[float]) -> None:
    script = Script(httpx.Response(503, headers={"Retry-After": "3600"}), httpx.Response(200))
    send(script, mode=mode, max_backoff_wait=5)
    assert sleeps == [5]


@modes
def test_exponential_backoff_with_jitter(mode: str, sleeps: List[float]) -> None:
    script = Script(*[httpx.Response(503)] * 5, httpx.Response(200))
    send(script, mode=mode, backoff_factor=1.0, jitter_ratio=0.1)
    for attempt, wait in enumerate(sleeps):
        base = 2.0**attempt
        assert base * 0.9 <= wait <= base * 1.1


@modes
def test_attempts_are_bounded(mode: str, sleeps: List[float]) -> None:
    script = Script(*[httpx.Response(503)] * 10)
    response = send(script, mode=mode, max_attempts=3)
    assert response.status_code == 503
    assert len(script.requests) == 3


@modes
def test_connection_failures_are_bounded(mode: str, sleeps: List[float]) -> None:
    script = Script(*[connect_error() for _ in range(5)])
    with pytest.raises(httpx.ConnectError):
        send(script, mode=mode, max_attempts=3)
    assert len(script.requests) == 3


@modes
def test_total_retry_time_is_bounded(mode: str, sleeps: List[float]) -> None:
    script = Script(
        httpx.Response(503, headers={"Retry-After": "20"}),
        httpx.Response(503, headers={"Retry-After": "20"}),
        httpx.Response(200),
    )
    response = send(script, mode=mode, max_retry_duration=10)
    assert response.status_code == 503
    assert len(script.requests) == 1


def test_custom_methods_and_status_codes(sleeps: List[float]) -> None:
    script = Script(httpx.Response(500), httpx.Response(201))
    response = send(script, "POST", retryable_methods=["post"], retry_status_codes=[500])
    assert response.status_code == 201


def test_invalid_configuration_is_rejected() -> None:
    with pytest.raises(ValueError, match="jitter_ratio"):
        RetryTransport(httpx.HTTPTransport(), jitter_ratio=0.9)
    with pytest.raises(ValueError, match="max_attempts"):
        RetryTransport(httpx.HTTPTransport(), max_attempts=0)


def test_wrong_kind_of_wrapped_transport() -> None:
    class AsyncOnly(httpx.AsyncBaseTransport):
        pass

    with pytest.raises(TypeError, match="async transport"):
        RetryTransport(AsyncOnly()).handle_request(httpx.Request("GET", "https://x.test"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), ("1.5", 1.5), (" 0 ", 0.0), ("-1", None), ("soon", None), ("", None), (None, None)],
)
def test_parse_retry_after_seconds(value: Any, expected: Any) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_dates() -> None:
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("Mon, 23 Nov 2026 12:00:10 GMT", now=now) == 10.0
    assert parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now=now) == 0.0


def test_connection_pools_hold_a_slot_until_the_response_is_closed() -> None:
    # A streamed body, as real transports return: the slot is held until it is closed.
    limited = ConnectionPools([httpx.MockTransport(lambda request: httpx.Response(200, stream=httpx.ByteStream(b"x")))], 1)
    first = limited.handle_request(httpx.Request("GET", "https://x.test"))
    second_done = threading.Event()

    def second() -> None:
        limited.handle_request(httpx.Request("GET", "https://x.test")).close()
        second_done.set()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    assert not second_done.wait(0.2)  # the only slot is held by the open response
    first.close()
    assert second_done.wait(5)


def test_async_connection_pools_queue_before_the_pool() -> None:
    active = 0
    most = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, most
        active += 1
        most = max(most, active)
        await asyncio.sleep(0.01)
        active -= 1
        return httpx.Response(200, stream=httpx.ByteStream(b"x"))

    limited = ConnectionPools([httpx.MockTransport(handler)], 3)

    async def one() -> bytes:
        response = await limited.handle_async_request(httpx.Request("GET", "https://x.test"))
        body = await response.aread()
        await response.aclose()
        return body

    async def main() -> List[bytes]:
        return await asyncio.gather(*(one() for _ in range(20)))

    assert asyncio.run(main()) == [b"x"] * 20
    assert most == 3


def test_failed_request_gives_its_slot_back() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    limited = ConnectionPools([httpx.MockTransport(fail)], 1)
    for _ in range(3):  # would block forever if a failure kept the slot
        with pytest.raises(httpx.ConnectError):
            limited.handle_request(httpx.Request("GET", "https://x.test"))


def test_connection_pools_fill_the_first_pool_before_the_next() -> None:
    used: List[int] = []

    def pool(number: int) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            used.append(number)
            return httpx.Response(200, stream=httpx.ByteStream(b"x"))

        return httpx.MockTransport(handler)

    pools = ConnectionPools([pool(0), pool(1), pool(2)], 6)  # two connections each
    open_responses = [pools.handle_request(httpx.Request("GET", "https://x.test")) for _ in range(5)]
    assert used == [0, 0, 1, 1, 2]
    open_responses[0].close()
    open_responses[3].close()
    pools.handle_request(httpx.Request("GET", "https://x.test")).read()  # a read response frees its slot at once
    pools.handle_request(httpx.Request("GET", "https://x.test")).close()
    assert used[5:] == [0, 0]  # the freed connection of the first pool is taken again
    assert pools._in_flight == [1, 1, 1]


def test_connection_pools_need_a_pool() -> None:
    with pytest.raises(ValueError, match="at least one pool"):
        ConnectionPools([], 1)
