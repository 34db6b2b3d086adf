"""End-to-end tests: the client against the local emulator over real loopback sockets.

One emulator serves the whole module; each test runs once with the sync API and once with
the `async_` twins (inside `asyncio.run`). Results are checked, and so are the requests the
emulator received (`emu.stats`) and how many predictions it created.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import pathlib
import time
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Tuple

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from webhook_receiver import Receiver

import replicate
from replicate import Client
from replicate.emulator import Emulator
from replicate.exceptions import AuthenticationError, ModelError
from replicate.helpers import FileOutput
from replicate.prediction import Prediction
from replicate.stream import ServerSentEvent
from replicate.webhook import InvalidSignatureError, Webhooks

TOKEN = "r8_it"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The first words the emulator's llm-streamer demo model yields, in order.
STORY = "Once upon a time a small emulator answered every request"

MODES = pytest.mark.parametrize("mode", ["sync", "async"])
_names = itertools.count()


def unique(prefix: str) -> str:
    """A name no other test of this module uses (the emulator is shared)."""
    return f"{prefix}-{next(_names)}"


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Emulator]:
    """One emulator for the module, served on 127.0.0.1."""
    emulator = Emulator(token=TOKEN, max_wait_seconds=0.5).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(shared_emulator: Emulator) -> Iterator[Emulator]:
    """The shared emulator with fresh counters; its page size is restored afterwards."""
    page_size = shared_emulator.page_size
    shared_emulator.stats.reset()
    yield shared_emulator
    shared_emulator.page_size = page_size
    shared_emulator.faults.clear()


@pytest.fixture
def client(emu: Emulator) -> Iterator[Client]:
    """A client of the emulator that polls quickly."""
    with Client(api_token=emu.token, base_url=emu.base_url, poll_interval=0.02) as api:
        yield api


def run_async(client: Client, body: Callable[[], Any]) -> Any:
    """Run the coroutine function `body` in a new event loop, closing the loop's client after."""

    async def main() -> Any:
        try:
            return await body()
        finally:
            await client.aclose()

    return asyncio.run(main())


def version_of(client: Client, model: str) -> str:
    """The id of the latest version of `model`."""
    version = client.models.get(model).latest_version
    assert version is not None
    return version.id


def prediction_paths(emu: Emulator) -> List[Tuple[str, str]]:
    """(method, path) of every API request the emulator received, in order."""
    return [(r.method, r.path) for r in emu.stats.requests if r.origin == "api"]


# --- run ------------------------------------------------------------------------------


@MODES
def test_run_returns_the_output(mode: str, emu: Emulator, client: Client) -> None:
    if mode == "sync":
        output = client.run("replicate/hello-world", input={"text": "sockets"})
    else:
        output = run_async(
            client, lambda: client.async_run("replicate/hello-world", input={"text": "sockets"})
        )

    assert output == "hello sockets"
    assert emu.stats.predictions_created == 1
    # The request waits on the server (Prefer: wait) and comes back finished: no polling.
    assert prediction_paths(emu) == [("POST", "/v1/models/replicate/hello-world/predictions")]
    assert emu.stats.requests[0].headers["prefer"].startswith("wait")


@MODES
def test_run_of_an_iterator_model_yields_items(mode: str, emu: Emulator, client: Client) -> None:
    version = version_of(client, "replicate/llm-streamer")
    emu.stats.reset()
    ref = f"replicate/llm-streamer:{version}"
    # Slower than the emulator's 0.5 s wait, so the client iterates a running prediction.
    prompt = {"prompt": "go", "max_tokens": 10, "delay": 0.07}

    if mode == "sync":
        output = client.run(ref, input=prompt)
        assert isinstance(output, Iterator)
        items = list(output)
    else:

        async def body() -> List[Any]:
            output = await client.async_run(ref, input=prompt)
            assert isinstance(output, AsyncIterator)
            return [item async for item in output]

        items = run_async(client, body)

    assert "".join(items) == STORY
    assert len(items) == 10
    assert emu.stats.predictions_created == 1
    assert emu.stats.count("POST", "/v1/predictions") == 1
    assert emu.stats.count("GET", f"/v1/models/replicate/llm-streamer/versions/{version}") == 1
    polls = [
        r for r in emu.stats.requests if r.method == "GET" and r.path.startswith("/v1/predictions/")
    ]
    assert polls, "the output was not read while the prediction ran"


@MODES
def test_run_of_a_plain_iterator_model(mode: str, emu: Emulator, client: Client) -> None:
    def count(n: int = 3) -> Iterator[int]:
        """Yield 0..n-1."""
        yield from range(n)

    name = f"it/{unique('counter')}"
    version = emu.add_model(name, count)
    ref = f"{name}:{version}"

    if mode == "sync":
        output = client.run(ref, input={"n": 4})
        assert isinstance(output, Iterator)
        items = list(output)
    else:

        async def body() -> List[Any]:
            output = await client.async_run(ref, input={"n": 4})
            assert isinstance(output, AsyncIterator)
            return [item async for item in output]

        items = run_async(client, body)

    assert items == [0, 1, 2, 3]
    assert emu.stats.predictions_created == 1


@MODES
def test_run_returns_file_output(mode: str, emu: Emulator, client: Client) -> None:
    model_input = {"prompt": "sunset", "width": 4, "height": 3}
    if mode == "sync":
        output = client.run("replicate/image-maker", input=model_input)
        assert isinstance(output, FileOutput)
        data = output.read()
    else:

        async def body() -> Tuple[Any, bytes]:
            output = await client.async_run("replicate/image-maker", input=model_input)
            assert isinstance(output, FileOutput)
            return output, await output.aread()

        output, data = run_async(client, body)

    assert data.startswith(PNG_SIGNATURE)
    assert output.url.startswith(emu.delivery_url + "/")
    assert output.url.endswith("/out-0.png")
    assert emu.stats.predictions_created == 1
    downloads = emu.stats.delivery_requests
    assert [(r.method, r.path) for r in downloads] == [("GET", output.url[len(emu.delivery_url) :])]
    assert all("authorization" not in r.headers for r in downloads)


@MODES
def test_run_of_a_failing_model_raises_model_error(
    mode: str, emu: Emulator, client: Client
) -> None:
    model_input = {"message": "out of cheese"}
    with pytest.raises(ModelError) as raised:
        if mode == "sync":
            client.run("replicate/fails", input=model_input)
        else:
            run_async(client, lambda: client.async_run("replicate/fails", input=model_input))

    prediction = raised.value.prediction
    assert prediction.status == "failed"
    assert prediction.error is not None and "out of cheese" in str(prediction.error)
    assert prediction.logs is not None and "about to fail" in prediction.logs
    assert emu.stats.predictions_created == 1


# --- stream ---------------------------------------------------------------------------


@MODES
def test_stream_yields_tokens_then_done(mode: str, emu: Emulator, client: Client) -> None:
    model_input = {"prompt": "go", "max_tokens": 10, "delay": 0.0}
    if mode == "sync":
        events = list(client.stream("replicate/llm-streamer", input=model_input))
    else:

        async def body() -> List[ServerSentEvent]:
            stream = await client.async_stream("replicate/llm-streamer", input=model_input)
            return [event async for event in stream]

        events = run_async(client, body)

    output = [e.data for e in events if e.event == ServerSentEvent.EventType.OUTPUT]
    assert "".join(output) == STORY
    assert "".join(str(e) for e in events) == STORY
    assert events[-1].event == ServerSentEvent.EventType.DONE
    assert emu.stats.predictions_created == 1
    streams = [r for r in emu.stats.delivery_requests if r.method == "GET"]
    assert len(streams) == 1
    assert streams[0].headers["accept"] == "text/event-stream"


# --- predictions: create, wait, cancel ---------------------------------------------------


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@MODES
def test_create_cancel_and_wait(mode: str, emu: Emulator, client: Client) -> None:
    # Long enough that it is still running when canceled, even on a loaded machine.
    slow = {"seconds": 3, "steps": 30}
    if mode == "sync":
        running = client.models.predictions.create("replicate/slow-progress", input=slow)

        def started() -> bool:
            running.reload()
            return running.progress is not None

        _until(started, "progress")
        running.cancel()
        finished = client.models.predictions.create(
            "replicate/slow-progress", input={"seconds": 0.05, "steps": 5}
        )
        finished.wait()
        hello = client.predictions.create(
            version=version_of(client, "replicate/hello-world"), input={"text": "you"}
        )
        hello.wait()
    else:

        async def body() -> Tuple[Prediction, Prediction, Prediction]:
            running = await client.models.predictions.async_create(
                "replicate/slow-progress", input=slow
            )
            deadline = time.monotonic() + 10
            while running.progress is None:
                assert time.monotonic() < deadline, "timed out waiting for progress"
                await asyncio.sleep(0.02)
                await running.async_reload()
            await running.async_cancel()
            finished = await client.models.predictions.async_create(
                "replicate/slow-progress", input={"seconds": 0.05, "steps": 5}
            )
            await finished.async_wait()
            model = await client.models.async_get("replicate/hello-world")
            assert model.latest_version is not None
            hello = await client.predictions.async_create(
                version=model.latest_version.id, input={"text": "you"}
            )
            await hello.async_wait()
            return running, finished, hello

        running, finished, hello = run_async(client, body)

    assert running.status == "canceled"
    assert running.progress is not None and running.progress.total == 30
    assert emu.stats.count("POST", f"/v1/predictions/{running.id}/cancel") == 1
    assert finished.status == "succeeded"
    assert finished.progress == Prediction.Progress(1.0, 5, 5)
    assert hello.status == "succeeded"
    assert hello.output == "hello you"
    assert emu.stats.predictions_created == 3


# --- trainings -----------------------------------------------------------------------------


@MODES
def test_training_adds_a_version_to_its_destination(
    mode: str, emu: Emulator, client: Client
) -> None:
    name = unique("trained")
    base = version_of(client, "replicate/hello-world")
    if mode == "sync":
        owner = client.accounts.current().username
        client.models.create(owner=owner, name=name, visibility="private", hardware="cpu")
        training = client.trainings.create(
            model="replicate/hello-world",
            version=base,
            input={"text": "weights"},
            destination=f"{owner}/{name}",
        )
        training.wait()
        destination = client.models.get(f"{owner}/{name}")
    else:

        async def body() -> Tuple[str, Any, Any]:
            owner = (await client.accounts.async_current()).username
            await client.models.async_create(
                owner=owner, name=name, visibility="private", hardware="cpu"
            )
            training = await client.trainings.async_create(
                model="replicate/hello-world",
                version=base,
                input={"text": "weights"},
                destination=f"{owner}/{name}",
            )
            await training.async_wait()
            return owner, training, await client.models.async_get(f"{owner}/{name}")

        owner, training, destination = run_async(client, body)

    assert training.status == "succeeded"
    assert isinstance(training.output, dict)
    new_ref = training.output["version"]
    assert new_ref.startswith(f"{owner}/{name}:")
    assert destination.latest_version is not None
    assert destination.latest_version.id == new_ref.split(":", 1)[1]
    assert emu.stats.trainings_created == 1
    assert (
        emu.stats.count("POST", f"/v1/models/replicate/hello-world/versions/{base}/trainings") == 1
    )


# --- deployments ------------------------------------------------------------------------------


@MODES
def test_deployment_predictions(mode: str, emu: Emulator, client: Client) -> None:
    owner = client.accounts.current().username
    name = unique("dep")
    emu.add_deployment(f"{owner}/{name}", "replicate/hello-world")
    emu.stats.reset()
    full = f"{owner}/{name}"

    if mode == "sync":
        by_name = client.deployments.predictions.create(full, input={"text": "by name"})
        by_name.wait()
        by_object = client.deployments.get(full).predictions.create(input={"text": "by object"})
        by_object.wait()
    else:

        async def body() -> Tuple[Prediction, Prediction]:
            by_name = await client.deployments.predictions.async_create(
                full, input={"text": "by name"}
            )
            await by_name.async_wait()
            deployment = await client.deployments.async_get(full)
            by_object = await deployment.predictions.async_create(input={"text": "by object"})
            await by_object.async_wait()
            return by_name, by_object

        by_name, by_object = run_async(client, body)

    assert (by_name.status, by_name.output) == ("succeeded", "hello by name")
    assert (by_object.status, by_object.output) == ("succeeded", "hello by object")
    assert emu.stats.count("POST", f"/v1/deployments/{full}/predictions") == 2
    assert emu.stats.count("GET", f"/v1/deployments/{full}") == 1
    assert emu.stats.predictions_created == 2


# --- files -----------------------------------------------------------------------------------


@MODES
def test_file_inputs_round_trip(
    mode: str, emu: Emulator, client: Client, tmp_path: pathlib.Path
) -> None:
    path_bytes = bytes(range(256)) * 40
    buffer_bytes = b"in-memory bytes \x00\xff" * 100
    path = tmp_path / "input.bin"
    path.write_bytes(path_bytes)

    if mode == "sync":
        downloads = []
        for value in (path, io.BytesIO(buffer_bytes)):
            output = client.run("replicate/echo-file", input={"file": value})
            assert isinstance(output, FileOutput)
            downloads.append(output.read())
    else:

        async def body() -> List[bytes]:
            result = []
            for value in (path, io.BytesIO(buffer_bytes)):
                output = await client.async_run("replicate/echo-file", input={"file": value})
                assert isinstance(output, FileOutput)
                result.append(await output.aread())
            return result

        downloads = run_async(client, body)

    digest = [hashlib.sha256(data).hexdigest() for data in downloads]
    assert digest == [
        hashlib.sha256(path_bytes).hexdigest(),
        hashlib.sha256(buffer_bytes).hexdigest(),
    ]
    assert emu.stats.count("POST", "/v1/files") == 2
    assert emu.stats.predictions_created == 2
    delivered = emu.stats.delivery_requests
    assert len(delivered) == 2
    assert all("authorization" not in r.headers for r in delivered)
    api = [r for r in emu.stats.requests if r.origin == "api"]
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in api)


# --- webhooks -------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver, closed after the test."""
    server = Receiver()
    yield server
    server.close()


@MODES
def test_webhook_signature_validates(
    mode: str, emu: Emulator, client: Client, receiver: Receiver
) -> None:
    params: Dict[str, Any] = {"webhook": receiver.url, "webhook_events_filter": ["completed"]}
    if mode == "sync":
        prediction = client.models.predictions.create(
            "replicate/hello-world", input={"text": "hook"}, **params
        )
        prediction.wait()
        secret = client.webhooks.default.secret()
    else:

        async def body() -> Tuple[Prediction, Any]:
            prediction = await client.models.predictions.async_create(
                "replicate/hello-world", input={"text": "hook"}, **params
            )
            await prediction.async_wait()
            return prediction, await client.webhooks.default.async_secret()

        prediction, secret = run_async(client, body)

    assert receiver.arrived.wait(10), "no webhook arrived"
    assert len(receiver.received) == 1
    headers, body_bytes = receiver.received[0]
    assert secret.key == emu.webhook_secret
    assert Webhooks.validate(headers=headers, body=body_bytes, secret=secret) is None
    assert Webhooks.validate(headers=headers, body=body_bytes.decode(), secret=secret) is None
    with pytest.raises(InvalidSignatureError):
        Webhooks.validate(headers=headers, body=body_bytes.replace(b"hook", b"hack"), secret=secret)
    assert prediction.id.encode() in body_bytes
    assert b'"succeeded"' in body_bytes
    assert emu.stats.count("GET", "/v1/webhooks/default/secret") == 1


# --- pagination -------------------------------------------------------------------------------


@MODES
def test_pagination_walks_every_page(mode: str, emu: Emulator, client: Client) -> None:
    emu.page_size = 2
    created = set()
    for index in range(5):
        prediction = client.models.predictions.create(
            "replicate/hello-world", input={"text": str(index)}
        )
        created.add(prediction.id)
    emu.stats.reset()

    if mode == "sync":
        by_next: List[str] = []
        page = client.predictions.list()
        pages = 1
        by_next += [p.id for p in page.results]
        while page.next is not None:
            page = client.predictions.list(page.next)
            pages += 1
            by_next += [p.id for p in page.results]
        by_paginate = [p.id for page in replicate.paginate(client.predictions.list) for p in page]
    else:

        async def body() -> Tuple[List[str], int, List[str]]:
            ids: List[str] = []
            page = await client.predictions.async_list()
            count = 1
            ids += [p.id for p in page.results]
            while page.next is not None:
                page = await client.predictions.async_list(page.next)
                count += 1
                ids += [p.id for p in page.results]
            walked = [
                p.id
                async for page in replicate.async_paginate(client.predictions.async_list)
                for p in page
            ]
            return ids, count, walked

        by_next, pages, by_paginate = run_async(client, body)

    assert pages >= 3
    assert len(by_next) == len(set(by_next))
    assert created <= set(by_next)
    assert by_paginate == by_next
    # Both walks request every page once: the first without a cursor, the rest with one.
    assert emu.stats.count("GET", "/v1/predictions") == 2 * pages
    queries = [r.query for r in emu.stats.requests]
    assert queries.count("") == 2
    assert all("cursor=" in query for query in queries if query)
    assert emu.stats.predictions_created == 0


# --- authentication ----------------------------------------------------------------------


@MODES
def test_wrong_token_raises_authentication_error(mode: str, emu: Emulator) -> None:
    bad = Client(api_token="r8_wrong", base_url=emu.base_url, poll_interval=0.02)
    try:
        if mode == "sync":
            with pytest.raises(AuthenticationError) as on_get:
                bad.predictions.get("abc123")
            with pytest.raises(AuthenticationError) as on_run:
                bad.run("replicate/hello-world", input={"text": "x"})
        else:

            async def body() -> Tuple[Any, Any]:
                with pytest.raises(AuthenticationError) as on_get:
                    await bad.predictions.async_get("abc123")
                with pytest.raises(AuthenticationError) as on_run:
                    await bad.async_run("replicate/hello-world", input={"text": "x"})
                return on_get, on_run

            on_get, on_run = run_async(bad, body)
    finally:
        bad.close()

    assert on_get.value.status == 401
    assert on_run.value.status == 401
    assert emu.stats.predictions_created == 0
    assert prediction_paths(emu) == [
        ("GET", "/v1/predictions/abc123"),
        ("POST", "/v1/models/replicate/hello-world/predictions"),
    ]
    assert all(r.headers["authorization"] == "Bearer r8_wrong" for r in emu.stats.requests)
