"""Fault injection over real sockets: the emulator's faults and a misbehaving TCP proxy.

Every scenario asserts the outcome, how many predictions the emulator created (never more
than one per call), that no output was lost or duplicated, and that it ended in bounded time.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import logging
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Iterator, List, TypeVar

import httpx
import pytest
from deadlines import bounded

from replicate.client import Client
from replicate.emulator import ConcatenateIterator, Emulator, FaultProxy
from replicate.exceptions import (
    InternalServerError,
    ModelError,
    ReplicateError,
    UnexpectedResponseError,
)
from replicate.prediction import Prediction

TOKEN = "r8_faults"
T = TypeVar("T")
modes = pytest.mark.parametrize("mode", ["sync", "async"])


def count_up(n: int = 5, delay: float = 0.05) -> Iterator[str]:
    """Yields 'item-0' ... 'item-{n-1}', slowly."""
    for i in range(n):
        time.sleep(delay)
        yield f"item-{i}"


def tokens(words: int = 20, delay: float = 0.01) -> ConcatenateIterator[str]:
    """Yields words for a streaming test."""
    for i in range(words):
        time.sleep(delay)
        yield f"w{i} "


def blob(size: int = 2_000_000, seed: int = 7) -> bytes:
    """Returns `size` reproducible random bytes, served as a file."""
    return random.Random(seed).randbytes(size)


def sleepy(seconds: float = 0.3) -> str:
    """Sleeps, then answers."""
    time.sleep(seconds)
    return f"slept {seconds}"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(TOKEN, max_wait_seconds=1.0).start()
    emu.add_model("faults/count-up", count_up)
    emu.add_model("faults/tokens", tokens)
    emu.add_model("faults/sleepy", sleepy)
    emu.add_model("faults/blob", blob)
    yield emu
    emu.stop()


@pytest.fixture
def emu(emulator: Emulator) -> Iterator[Emulator]:
    emulator.faults.clear()
    emulator.stats.reset()
    yield emulator
    emulator.faults.clear()


@pytest.fixture
def proxy(emulator: Emulator) -> Iterator[FaultProxy]:
    with FaultProxy(emulator.base_url) as fault_proxy:
        yield fault_proxy


def client_for(base_url: str, **kwargs: Any) -> Client:
    return Client(api_token=TOKEN, base_url=base_url, poll_interval=0.02, **kwargs)


def call(mode: str, sync: Callable[[], T], make_async: Callable[[], Awaitable[T]]) -> T:
    """Run the sync form or the async form of one operation."""
    if mode == "sync":
        return sync()
    return asyncio.run(make_async())  # type: ignore[arg-type]


def create_hello(client: Client, mode: str, **params: Any) -> Prediction:
    return call(
        mode,
        lambda: client.models.predictions.create("replicate/hello-world", {"text": "x"}, **params),
        lambda: client.models.predictions.async_create("replicate/hello-world", {"text": "x"}, **params),
    )


def wait_for(client: Client, mode: str, prediction: Prediction) -> Prediction:
    call(mode, prediction.wait, prediction.async_wait)
    return prediction


# --- throttling -------------------------------------------------------------------------------


@modes
def test_429_with_retry_after_seconds_on_create_is_retried_once_created(emu: Emulator, mode: str) -> None:
    emu.faults.rate_limit("POST", "/v1/models/*", retry_after=1)
    with bounded(10):
        prediction = create_hello(client_for(emu.base_url), mode, wait=True)
    # Finished within the hold: `processing` with the whole output, as the live API answers.
    assert prediction.status == "processing" and prediction.output == "hello x"
    assert emu.stats.predictions_created == 1
    assert emu.stats.count("POST", "/v1/models/replicate/hello-world/predictions") == 2


@modes
def test_429_with_http_date_retry_after(emu: Emulator, mode: str) -> None:
    when = email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=1), usegmt=True)
    emu.faults.add("POST", "/v1/models/*", 429, headers={"Retry-After": when}, json_body={"detail": "slow down"})
    with bounded(10):
        prediction = create_hello(client_for(emu.base_url), mode, wait=True)
    assert prediction.output == "hello x"
    assert emu.stats.predictions_created == 1


@modes
def test_429_with_retry_after_only_in_the_body(emu: Emulator, mode: str) -> None:
    emu.faults.add(
        "POST", "/v1/models/*", 429, json_body={"detail": "Request was throttled.", "status": 429, "retry_after": 1}
    )
    with bounded(10):
        prediction = create_hello(client_for(emu.base_url), mode, wait=True)
    assert prediction.output == "hello x"
    assert emu.stats.predictions_created == 1


@modes
def test_429_retries_run_out_into_rate_limit_error(emu: Emulator, mode: str) -> None:
    from replicate.exceptions import RateLimitError

    emu.faults.rate_limit("GET", "/v1/predictions/*", times=None, retry_after=0)
    client = client_for(emu.base_url)
    client._retry_options["max_attempts"] = 3
    with bounded(10), pytest.raises(RateLimitError) as caught:
        call(mode, lambda: client.predictions.get("nope"), lambda: client.predictions.async_get("nope"))
    assert caught.value.status == 429
    assert emu.stats.count("GET", "/v1/predictions/nope") == 3


# --- server errors ----------------------------------------------------------------------------


@modes
def test_503_burst_on_get_is_retried(emu: Emulator, mode: str) -> None:
    client = client_for(emu.base_url)
    created = create_hello(client, mode, wait=True)
    emu.faults.add("GET", f"/v1/predictions/{created.id}", 503, times=3)
    with bounded(10):
        fetched = call(mode, lambda: client.predictions.get(created.id), lambda: client.predictions.async_get(created.id))
    assert fetched.output == "hello x"
    assert emu.stats.count("GET", f"/v1/predictions/{created.id}") == 4


@modes
def test_503_on_post_is_not_retried(emu: Emulator, mode: str) -> None:
    emu.faults.add("POST", "/v1/models/*", 503)
    with bounded(10), pytest.raises(InternalServerError) as caught:
        create_hello(client_for(emu.base_url), mode)
    assert caught.value.status == 503
    assert emu.stats.count("POST", "/v1/models/replicate/hello-world/predictions") == 1
    assert emu.stats.predictions_created == 0


@modes
def test_html_502_from_a_proxy_on_create(emu: Emulator, mode: str) -> None:
    emu.faults.html_502("POST", "/v1/models/*")
    with bounded(10), pytest.raises(InternalServerError) as caught:
        create_hello(client_for(emu.base_url), mode)
    assert caught.value.status == 502 and "Bad Gateway" in (caught.value.detail or "")
    assert emu.stats.predictions_created == 0


@modes
def test_wait_survives_html_502_invalid_json_and_empty_bodies(emu: Emulator, mode: str) -> None:
    client = client_for(emu.base_url)
    prediction = create_hello_slow(client, mode)
    path = f"/v1/predictions/{prediction.id}"
    emu.faults.html_502("GET", path)
    emu.faults.invalid_json("GET", path)
    emu.faults.empty_body("GET", path)
    emu.faults.add("GET", path, 500)
    with bounded(15):
        wait_for(client, mode, prediction)
    assert prediction.status == "succeeded" and prediction.output == "slept 0.3"
    assert emu.stats.predictions_created == 1
    assert emu.faults.fired == 4


def create_hello_slow(client: Client, mode: str) -> Prediction:
    return call(
        mode,
        lambda: client.models.predictions.create("faults/sleepy", {"seconds": 0.3}),
        lambda: client.models.predictions.async_create("faults/sleepy", {"seconds": 0.3}),
    )


@modes
def test_invalid_json_on_a_single_get_is_a_clear_error(emu: Emulator, mode: str) -> None:
    emu.faults.invalid_json("GET", "/v1/predictions/*")
    client = client_for(emu.base_url)
    with pytest.raises(UnexpectedResponseError) as caught:
        call(mode, lambda: client.predictions.get("abc"), lambda: client.predictions.async_get("abc"))
    assert "GET /v1/predictions/abc" in (caught.value.detail or "")


@modes
def test_an_unknown_status_from_the_server_is_kept_as_sent(emu: Emulator, mode: str) -> None:
    # A status added to the API later must not make the prediction unreadable (see test_security).
    emu.faults.add(
        "GET", "/v1/predictions/*", 200,
        json_body={"id": "abc", "model": "a/b", "version": "v", "status": "exploded"},
    )
    client = client_for(emu.base_url)
    prediction = call(mode, lambda: client.predictions.get("abc"), lambda: client.predictions.async_get("abc"))
    assert prediction.status == "exploded"


# --- connection faults ------------------------------------------------------------------------


@modes
def test_connection_refused_then_up(emu: Emulator, proxy: FaultProxy, mode: str) -> None:
    proxy.pause()
    proxy.resume_later(0.5)
    with bounded(15):
        prediction = create_hello(client_for(proxy.url), mode, wait=True)
    assert prediction.output == "hello x"
    assert emu.stats.predictions_created == 1


@modes
def test_reset_after_post_was_written_is_not_retried(emu: Emulator, proxy: FaultProxy, mode: str) -> None:
    proxy.drop_after("POST", "/v1/models/*")
    with bounded(10), pytest.raises(httpx.TransportError):
        create_hello(client_for(proxy.url), mode)
    time.sleep(0.1)
    assert emu.stats.predictions_created == 1  # the server acted once; the client did not repeat it


@modes
def test_get_dropped_before_any_response_is_retried(emu: Emulator, proxy: FaultProxy, mode: str) -> None:
    client = client_for(proxy.url)
    created = create_hello(client, mode, wait=True)
    proxy.drop_before("GET", "/v1/predictions/*", times=2)
    with bounded(10):
        fetched = call(mode, lambda: client.predictions.get(created.id), lambda: client.predictions.async_get(created.id))
    assert fetched.id == created.id
    assert proxy.rules[0].fired == 2


@modes
def test_post_dropped_before_forwarding_is_not_retried(emu: Emulator, proxy: FaultProxy, mode: str) -> None:
    # The client cannot tell this from a crash after the server acted, so it must not repeat it.
    proxy.drop_before("POST", "/v1/models/*")
    with bounded(10), pytest.raises(httpx.TransportError):
        create_hello(client_for(proxy.url), mode)
    assert emu.stats.predictions_created == 0


@modes
def test_wait_survives_resets_while_polling(emu: Emulator, proxy: FaultProxy, mode: str) -> None:
    client = client_for(proxy.url)
    client._retry_options["max_attempts"] = 1  # polling itself must carry on
    prediction = create_hello_slow(client, mode)
    proxy.drop_after("GET", "/v1/predictions/*", times=3)
    with bounded(15):
        wait_for(client, mode, prediction)
    assert prediction.output == "slept 0.3"
    assert emu.stats.predictions_created == 1


@modes
def test_slow_server_against_the_read_timeout(emu: Emulator, mode: str) -> None:
    emu.faults.slow(2.0, "GET", "/v1/predictions/*")
    client = client_for(emu.base_url, timeout=httpx.Timeout(5.0, read=0.3))
    with bounded(5), pytest.raises(httpx.ReadTimeout):
        call(mode, lambda: client.predictions.get("abc"), lambda: client.predictions.async_get("abc"))
    assert emu.stats.count("GET", "/v1/predictions/abc") == 1


# --- waiting and output -----------------------------------------------------------------------


@modes
def test_prefer_wait_hold_expiring_then_polling(emu: Emulator, mode: str) -> None:
    client = client_for(emu.base_url)
    with bounded(15):
        prediction = call(
            mode,
            lambda: client.models.predictions.create("faults/sleepy", {"seconds": 1.5}, wait=1),
            lambda: client.models.predictions.async_create("faults/sleepy", {"seconds": 1.5}, wait=1),
        )
        assert prediction.status in ("starting", "processing")
        wait_for(client, mode, prediction)
    assert prediction.output == "slept 1.5"
    assert emu.stats.predictions_created == 1


def collect(prediction: Prediction, mode: str) -> List[Any]:
    if mode == "sync":
        return list(prediction.output_iterator())

    async def gather() -> List[Any]:
        return [item async for item in prediction.async_output_iterator()]

    return asyncio.run(gather())


@modes
def test_output_iterator_through_503s_loses_and_repeats_nothing(emu: Emulator, mode: str) -> None:
    client = client_for(emu.base_url)
    client._retry_options["max_attempts"] = 1
    prediction = call(
        mode,
        lambda: client.models.predictions.create("faults/count-up", {"n": 6}),
        lambda: client.models.predictions.async_create("faults/count-up", {"n": 6}),
    )
    emu.faults.add("GET", f"/v1/predictions/{prediction.id}", 503, times=4)
    with bounded(15):
        items = collect(prediction, mode)
    assert items == [f"item-{i}" for i in range(6)]
    assert emu.stats.predictions_created == 1


@modes
def test_cancel_racing_completion(emu: Emulator, mode: str) -> None:
    client = client_for(emu.base_url)
    prediction = call(
        mode,
        lambda: client.models.predictions.create("faults/sleepy", {"seconds": 0.2}),
        lambda: client.models.predictions.async_create("faults/sleepy", {"seconds": 0.2}),
    )
    time.sleep(0.2)
    with bounded(10):
        call(mode, prediction.cancel, prediction.async_cancel)
        wait_for(client, mode, prediction)
    assert prediction.status in ("succeeded", "canceled")
    assert emu.stats.predictions_created == 1


@modes
def test_failed_prediction_raises_model_error_with_logs(emu: Emulator, mode: str) -> None:
    client = client_for(emu.base_url)
    prediction = call(
        mode,
        lambda: client.models.predictions.create("replicate/fails", {"message": "out of memory"}),
        lambda: client.models.predictions.async_create("replicate/fails", {"message": "out of memory"}),
    )
    with pytest.raises(ModelError) as caught:
        call(mode, lambda: list(prediction.output_iterator()), lambda: _drain(prediction))
    assert caught.value.prediction.id == prediction.id
    assert "out of memory" in (caught.value.prediction.error or "")


async def _drain(prediction: Prediction) -> List[Any]:
    return [item async for item in prediction.async_output_iterator()]


# --- token containment ------------------------------------------------------------------------


@modes
def test_redirect_to_a_foreign_origin_carries_no_token(emu: Emulator, mode: str) -> None:
    foreign = emu.delivery_url + "/delivery/redirected.txt"
    emu.faults.add("GET", "/v1/files/redirect-me", 302, headers={"Location": foreign}, body=b"")
    client = client_for(emu.base_url)

    def fetch() -> httpx.Response:
        return client._client.get(client._url("/v1/files/redirect-me"), follow_redirects=True)

    async def async_fetch() -> httpx.Response:
        return await client._async_client.get(client._url("/v1/files/redirect-me"), follow_redirects=True)

    call(mode, fetch, async_fetch)
    redirected = [r for r in emu.stats.delivery_requests if r.path == "/delivery/redirected.txt"]
    assert redirected, "the redirect was not followed"
    assert all("authorization" not in {k.lower() for k in r.headers} for r in redirected)
    api_requests = [r for r in emu.stats.requests if r.path == "/v1/files/redirect-me"]
    assert {k.lower(): v for k, v in api_requests[0].headers.items()}["authorization"] == f"Bearer {TOKEN}"


# --- bad input never reaches the server -------------------------------------------------------


@modes
@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"wait": 61}, ValueError, "wait"),
        ({"wait": 0}, ValueError, "wait"),
        ({"cancel_after": "soon"}, ValueError, "cancel_after"),
        ({"webhook_events_filter": ["finished"]}, ValueError, "webhook_events_filter"),
    ],
)
def test_bad_parameters_send_nothing(emu: Emulator, mode: str, params: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        create_hello(client_for(emu.base_url), mode, **params)
    assert emu.stats.requests == []


@modes
def test_unserializable_input_names_the_key(emu: Emulator, mode: str) -> None:
    client = client_for(emu.base_url)
    with pytest.raises(TypeError, match=r"input\['options'\]\['when'\]"):
        call(
            mode,
            lambda: client.models.predictions.create("replicate/hello-world", {"options": {"when": object()}}),
            lambda: client.models.predictions.async_create("replicate/hello-world", {"options": {"when": object()}}),
        )
    assert emu.stats.requests == []


@modes
def test_unreadable_path_names_the_key(emu: Emulator, mode: str, tmp_path: Any) -> None:
    client = client_for(emu.base_url)
    missing = tmp_path / "missing.png"
    with pytest.raises(OSError, match=r"input\['image'\].*missing\.png"):
        call(
            mode,
            lambda: client.models.predictions.create("replicate/hello-world", {"image": missing}),
            lambda: client.models.predictions.async_create("replicate/hello-world", {"image": missing}),
        )
    assert emu.stats.requests == []


@modes
def test_file_over_100_mib_is_refused_before_upload(emu: Emulator, mode: str, tmp_path: Any) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024 + 1)  # sparse: costs no disk or memory
    client = client_for(emu.base_url)
    with pytest.raises(ValueError, match="100 MiB"):
        call(mode, lambda: client.files.create(big), lambda: client.files.async_create(big))
    assert emu.stats.requests == []


@modes
def test_malformed_ref_names_the_ref(emu: Emulator, mode: str) -> None:
    client = client_for(emu.base_url)
    with pytest.raises(ValueError, match="not a ref"):
        call(mode, lambda: client.models.predictions.create("not a ref", {}), lambda: client.models.predictions.async_create("not a ref", {}))
    assert emu.stats.requests == []



# --- streams and downloads cut mid-way ----------------------------------------------------------


def stream_texts(client: Client, mode: str, ref: str, input: Any) -> List[Any]:
    if mode == "sync":
        return list(client.stream(ref, input=input))

    async def gather() -> List[Any]:
        return [event async for event in await client.async_stream(ref, input)]

    return asyncio.run(gather())


@modes
def test_stream_cut_at_random_events_three_times_in_a_row(emu: Emulator, mode: str) -> None:
    cut_after = random.Random(mode).randint(2, 8)
    rule = emu.faults.cut_stream(after_events=cut_after, times=3)
    with bounded(20):
        events = stream_texts(client_for(emu.base_url), mode, "faults/tokens", {"words": 20})
    outputs = [event for event in events if event.event == "output"]
    assert "".join(str(event) for event in outputs) == "".join(f"w{i} " for i in range(20))
    assert len({event.id for event in outputs}) == len(outputs) == 20  # none lost, none repeated
    assert rule.fired == 3
    assert emu.stats.predictions_created == 1


@modes
@pytest.mark.parametrize("range_support", [True, False])
def test_download_cut_at_half_resumes_with_identical_bytes(
    emu: Emulator, mode: str, range_support: bool
) -> None:
    expected = hashlib.sha256(blob()).hexdigest()
    client = client_for(emu.base_url)
    output = call(
        mode,
        lambda: client.run("faults/blob", input={}),
        lambda: client.async_run("faults/blob", input={}),
    )
    emu.delivery_supports_range = range_support
    rule = emu.faults.cut_download(at_fraction=0.5)
    try:
        with bounded(20):
            data = call(mode, output.read, output.aread)
    finally:
        emu.delivery_supports_range = True
    assert rule.fired == 1
    assert hashlib.sha256(data).hexdigest() == expected
    # One cut download, one resumption: by Range (206) or, without Range support, a restart.
    downloads = [r for r in emu.stats.delivery_requests if r.path.startswith("/delivery/")]
    assert len(downloads) == 2
    assert "range" in {k.lower() for k in downloads[1].headers}
    assert emu.stats.predictions_created == 1


def test_token_never_reaches_log_records(emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    emu.faults.add("GET", "/v1/predictions/*", 503, times=2)
    client = client_for(emu.base_url)
    with caplog.at_level(logging.DEBUG), pytest.raises(ReplicateError):
        client.predictions.get("missing")
    assert any("retrying GET" in record.getMessage() for record in caplog.records)
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
