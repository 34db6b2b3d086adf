"""The newer SDK's documented examples (seeds 002 and 004) against the local emulator.

Every example runs on `Replicate` and on `AsyncReplicate`, over loopback HTTP to one emulator
shared by the module (`replicate.emulator`). The emulator's demo models stand in for the
seeds' models: `replicate/hello-world` (text -> "hello " + text), `replicate/llm-streamer`
(streams words), `replicate/image-maker` (a PNG), `replicate/slow-progress`, `replicate/fails`.
Deployments, collections, files and training destinations are seeded through the emulator.
Webhook URLs point at a loopback receiver: no request leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from types import SimpleNamespace
from typing import Any, AsyncIterator, Iterator, List, Union

import httpx
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from webhook_receiver import Receiver

import replicate
from replicate import AsyncReplicate, Client, Replicate
from replicate.emulator import Emulator
from replicate.exceptions import (
    AuthenticationError,
    ModelError,
    NotFoundError,
    RateLimitError,
    ReplicateError,
)
from replicate.helpers import FileOutput
from replicate.pagination import AsyncCursorURLPage, Page, SyncCursorURLPage
from replicate.types import Prediction

TOKEN = "r8_seed"
AnyClient = Union[Replicate, AsyncReplicate]
_names = itertools.count()


def unique(prefix: str) -> str:
    """A name no other test of the module uses (the emulator is shared)."""
    return f"{prefix}-{next(_names)}"


def use_default_client(monkeypatch: pytest.MonkeyPatch, client: Client) -> None:
    """Make `client` the package's default client for one test, without creating (and then
    restoring) a default client built from this test's environment."""
    monkeypatch.setitem(vars(replicate), "default_client", client)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    emulator = Emulator(token=TOKEN, training_seconds=0.05).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def small_pages(emu: Emulator) -> Iterator[Emulator]:
    """The emulator, answering two items per page for the test."""
    saved = emu.page_size
    emu.page_size = 2
    yield emu
    emu.page_size = saved


@pytest.fixture(params=["sync", "async"])
def style(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_client(style: str, emu: Emulator, **options: Any) -> AnyClient:
    options.setdefault("bearer_token", TOKEN)
    options.setdefault("poll_interval", 0.01)
    cls = Replicate if style == "sync" else AsyncReplicate
    options.setdefault("base_url", emu.base_url + "/v1")
    return cls(**options)


@pytest.fixture
async def client(style: str, emu: Emulator) -> AsyncIterator[AnyClient]:
    made = make_client(style, emu)
    yield made
    if isinstance(made, AsyncReplicate):
        await made.close()
    else:
        made.close()


async def resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def collect(value: Any) -> List[Any]:
    if hasattr(value, "__aiter__"):
        return [item async for item in value]
    return list(value)


def version_of(emu: Emulator, model: str) -> str:
    return emu.state.models[model].versions[0].id


# --- run, stream, use, search ---------------------------------------------------------------


async def test_run_by_name_version_and_id(client: AnyClient, emu: Emulator) -> None:
    version = version_of(emu, "replicate/hello-world")
    for ref in ("replicate/hello-world", f"replicate/hello-world:{version}", version):
        assert await resolve(client.run(ref, input={"text": "Alice"})) == "hello Alice"


async def test_run_with_options_returns_file_output(client: AnyClient) -> None:
    output = await resolve(
        client.run(
            "replicate/image-maker",
            input={"prompt": "a 19th century portrait of a wombat gentleman", "width": 8, "height": 8},
            wait=30,
            use_file_output=True,
            file_encoding_strategy="base64",
        )
    )
    assert isinstance(output, FileOutput)
    assert output.url.endswith("/out-0.png")
    if isinstance(client, Replicate):
        content = output.read()
        chunks = b"".join(output)
    else:
        content = await output.aread()
        chunks = b"".join([chunk async for chunk in output])
    assert content.startswith(b"\x89PNG") and chunks == content


async def test_stream_text(client: AnyClient) -> None:
    events = await collect(client.stream("replicate/llm-streamer", input={"prompt": "Tell me a story", "max_tokens": 4, "delay": 0}))
    assert "".join(str(event) for event in events) == "Once upon a time"
    assert events[-1].event == "done"


async def test_use(style: str, emu: Emulator) -> None:
    client = make_client(style, emu)
    hello = client.use("replicate/hello-world")
    assert await resolve(hello(text="a cat in a hat")) == "hello a cat in a hat"
    assert await resolve(hello(text="a dog in sunglasses")) == "hello a dog in sunglasses"
    llm = client.use("replicate/llm-streamer", streaming=True)
    chunks = await collect(await resolve(llm(prompt="Explain quantum computing", max_tokens=3, delay=0)))
    assert "".join(chunks) == "Once upon a"


async def test_search(client: AnyClient) -> None:
    results = await resolve(client.search(query="hello", limit=10))
    assert [f"{model.owner}/{model.name}" for model in results] == ["replicate/hello-world"]
    assert results.models[0].metadata.score > 0
    demos = await resolve(client.search(query="emulator demos"))
    assert "emulator-demos" in [collection.slug for collection in demos.collections]


# --- predictions ------------------------------------------------------------------------------


async def test_predictions(client: AnyClient, emu: Emulator, receiver: Receiver) -> None:
    version = version_of(emu, "replicate/hello-world")
    created: Prediction = await resolve(
        client.predictions.create(
            model=f"replicate/hello-world:{version}",
            input={"text": "world"},
            webhook=receiver.url,
            webhook_events_filter=["start", "completed"],
        )
    )
    assert isinstance(created, Prediction) and created.model == "replicate/hello-world"
    completed = await resolve(client.predictions.wait(prediction_id=created.id, timeout=10))
    assert (completed.status, completed.output) == ("succeeded", "hello world")
    fetched = await resolve(client.predictions.get(prediction_id=created.id))
    assert fetched.output == "hello world"
    listed = [p.id for p in await collect(client.predictions.list())]
    assert created.id in listed
    since = await resolve(client.predictions.list(created_after=created.created_at))
    assert created.id in [p.id for p in since.results]

    slow = await resolve(client.predictions.create(model="replicate/slow-progress", input={"seconds": 5}, cancel_after="5m"))
    cancelled = await resolve(client.predictions.cancel(prediction_id=slow.id))
    assert cancelled.id == slow.id and cancelled.status in ("starting", "processing", "canceled")
    final = await resolve(client.predictions.wait(prediction_id=slow.id, timeout=10))
    assert final.status == "canceled"


def polling_loop(time: Any) -> Any:
    """The seed's `wait_for_prediction`, as written, over the given `time` module."""

    def wait_for_prediction(client: Any, prediction_id: str, timeout: float = 300) -> Prediction:
        start = time.time()
        while time.time() - start < timeout:
            prediction = client.predictions.get(prediction_id)
            if prediction.status in ["succeeded", "failed", "canceled"]:
                return prediction  # type: ignore[no-any-return]
            time.sleep(2)  # Poll every 2 seconds
        raise TimeoutError(f"Prediction {prediction_id} timed out")

    return wait_for_prediction


def async_polling_loop(time: Any, asyncio: Any) -> Any:
    """The same loop for AsyncReplicate."""

    async def wait_for_prediction(client: Any, prediction_id: str, timeout: float = 300) -> Prediction:
        start = time.time()
        while time.time() - start < timeout:
            prediction = await client.predictions.get(prediction_id)
            if prediction.status in ["succeeded", "failed", "canceled"]:
                return prediction  # type: ignore[no-any-return]
            await asyncio.sleep(2)
        raise TimeoutError(f"Prediction {prediction_id} timed out")

    return wait_for_prediction


async def test_wait_for_completion_with_polling(client: AnyClient) -> None:
    import time

    naps: List[float] = []

    def short_sleep(seconds: float) -> None:
        naps.append(seconds)
        time.sleep(0.01)

    async def short_async_sleep(seconds: float) -> None:
        naps.append(seconds)
        await asyncio.sleep(0.01)

    # The loop sleeps 2 s between polls: its own `time` shortens them to 10 ms (the emulator's
    # threads keep the real time.sleep).
    fake_time = SimpleNamespace(time=time.time, sleep=short_sleep)
    created = await resolve(client.predictions.create(model="replicate/slow-progress", input={"seconds": 0.3, "steps": 3}))
    if isinstance(client, Replicate):
        prediction = polling_loop(fake_time)(client, created.id)
    else:
        prediction = await async_polling_loop(fake_time, SimpleNamespace(sleep=short_async_sleep))(client, created.id)
    assert prediction.output == "finished 3 steps in 0.3 seconds"
    assert naps and set(naps) == {2}


# --- models -----------------------------------------------------------------------------------


async def test_models(client: AnyClient, emu: Emulator) -> None:
    model = await resolve(client.models.get(model_owner="replicate", model_name="hello-world"))
    assert (f"{model.owner}/{model.name}", model.description) == ("replicate/hello-world", "A tiny model that says hello")
    assert model.latest_version.id == version_of(emu, "replicate/hello-world")
    names = [f"{m.owner}/{m.name}" for m in await collect(client.models.list())]
    assert {"replicate/hello-world", "replicate/llm-streamer", "replicate/image-maker"} <= set(names)
    found = [m.name for m in await collect(client.models.search(query="hello"))]
    assert found == ["hello-world"]
    readme = await resolve(client.models.readme.get(model_owner="replicate", model_name="hello-world"))
    assert readme.startswith("# replicate/hello-world")


async def test_model_lifecycle(client: AnyClient, emu: Emulator) -> None:
    name = unique("my-model")
    created = await resolve(
        client.models.create(
            owner="emulator",
            name=name,
            visibility="private",
            hardware="gpu-t4",
            description="My custom model",
            github_url="https://github.com/user/repo",
        )
    )
    assert (created.id, created.visibility, created.description) == (f"emulator/{name}", "private", "My custom model")
    updated = await resolve(client.models.update(model_owner="emulator", model_name=name, description="Better"))
    assert updated.description == "Better"
    emu.add_model(f"emulator/{name}", lambda text="": text)
    version_id = version_of(emu, f"emulator/{name}")
    versions = await collect(client.models.versions.list(model_owner="emulator", model_name=name))
    assert [v.id for v in versions] == [version_id]
    version = await resolve(client.models.versions.get(model_owner="emulator", model_name=name, version_id=version_id))
    assert version.id == version_id and version.openapi_schema
    await resolve(client.models.versions.delete(model_owner="emulator", model_name=name, version_id=version_id))
    assert await collect(client.models.versions.list(model_owner="emulator", model_name=name)) == []
    assert await resolve(client.models.delete(model_owner="emulator", model_name=name)) is True
    with pytest.raises(NotFoundError):
        await resolve(client.models.get(model_owner="emulator", model_name=name))


async def test_model_predictions_and_examples(client: AnyClient) -> None:
    made = await resolve(
        client.models.predictions.create(model_owner="replicate", model_name="hello-world", input={"text": "landscape"})
    )
    done = await resolve(client.predictions.wait(made.id, timeout=10))
    assert done.output == "hello landscape"
    examples = await collect(client.models.examples.list(model_owner="replicate", model_name="hello-world"))
    assert examples and all(isinstance(example, Prediction) for example in examples)
    assert examples[0].output.startswith("hello ")


# --- deployments, trainings, collections, files ------------------------------------------------


async def test_deployments(client: AnyClient, emu: Emulator) -> None:
    name = unique("my-deployment")
    version = version_of(emu, "replicate/hello-world")
    created = await resolve(
        client.deployments.create(
            name=name, model="replicate/hello-world", version=version, hardware="gpu-a100-large", min_instances=1, max_instances=10
        )
    )
    assert created.id == f"emulator/{name}"
    assert [d.name for d in await collect(client.deployments.list())].count(name) == 1
    fetched = await resolve(client.deployments.get(deployment_owner="emulator", deployment_name=name))
    assert fetched.current_release.configuration.hardware == "gpu-a100-large"
    updated = await resolve(
        client.deployments.update(deployment_owner="emulator", deployment_name=name, min_instances=2, max_instances=20)
    )
    configuration = updated.current_release.configuration
    assert (configuration.min_instances, configuration.max_instances, updated.current_release.number) == (2, 20, 2)
    made = await resolve(
        client.deployments.predictions.create(deployment_owner="emulator", deployment_name=name, input={"text": "hello world"})
    )
    assert (await resolve(client.predictions.wait(made.id, timeout=10))).output == "hello hello world"
    assert await resolve(client.deployments.delete(deployment_owner="emulator", deployment_name=name)) is True
    with pytest.raises(NotFoundError):
        await resolve(client.deployments.get(deployment_owner="emulator", deployment_name=name))


async def test_seeded_deployment(client: AnyClient, emu: Emulator) -> None:
    name = unique("seeded")
    emu.add_deployment(f"acme/{name}", "replicate/hello-world")
    made = await resolve(client.deployments.predictions.create(deployment_owner="acme", deployment_name=name, input={"text": "x"}))
    assert (await resolve(client.predictions.wait(made.id, timeout=10))).output == "hello x"


async def test_trainings(client: AnyClient, emu: Emulator, receiver: Receiver) -> None:
    destination = unique("my-model")
    emu.add_model(f"emulator/{destination}", visibility="private")
    training = await resolve(
        client.trainings.create(
            model_owner="replicate",
            model_name="hello-world",
            version_id=version_of(emu, "replicate/hello-world"),
            destination=f"emulator/{destination}",
            input={"train_data": "https://example.com/training-data.zip", "epochs": 100, "batch_size": 32},
            webhook=receiver.url,
        )
    )
    assert training.destination == f"emulator/{destination}" and training.status in ("starting", "processing")
    fetched = await resolve(client.trainings.get(training_id=training.id))
    assert fetched.id == training.id
    assert training.id in [t.id for t in await collect(client.trainings.list())]
    cancelled = await resolve(client.trainings.cancel(training_id=training.id))
    assert cancelled.id == training.id and cancelled.status in ("canceled", "succeeded")


async def test_collections(client: AnyClient, emu: Emulator) -> None:
    emu.add_collection("awesome-sdxl-models", "Awesome SDXL", "Curated", models=["replicate/image-maker", "replicate/hello-world"])
    listed = {c.slug: f"{c.name}: {c.description}" for c in await collect(client.collections.list())}
    assert listed["awesome-sdxl-models"] == "Awesome SDXL: Curated"
    collection = await resolve(client.collections.get(collection_slug="awesome-sdxl-models"))
    assert [f"{m.owner}/{m.name}" for m in collection.models] == ["replicate/image-maker", "replicate/hello-world"]


async def test_files(client: AnyClient, emu: Emulator, tmp_path: Any) -> None:
    image = tmp_path / "image.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0jpeg")
    with open(image, "rb") as f:
        file_response = await resolve(client.files.create(file=f))
    file_url = file_response.urls["get"]
    assert file_url.endswith(f"/v1/files/{file_response.id}") and file_response.name == "image.jpg"
    # Files.CreateFileParams does not declare content=/type= yet (the call accepts them).
    raw = await resolve(
        client.files.create(  # type: ignore[call-arg]
            content=b"raw file contents", filename="notes.txt", metadata={"k": "v"}, type="text/plain"
        )
    )
    assert (raw.name, raw.content_type, raw.metadata, raw.size) == ("notes.txt", "text/plain", {"k": "v"}, 17)

    listed = await resolve(client.files.list())
    assert isinstance(listed, (SyncCursorURLPage, AsyncCursorURLPage))
    ids = [file.id for file in await collect(client.files.list())]
    assert {file_response.id, raw.id} <= set(ids)
    fetched = await resolve(client.files.get(file_id=raw.id))
    assert fetched.checksums["sha256"]

    query = dict(httpx.URL(emu.signed_download_url(raw.id)).params)
    response = await resolve(
        client.files.download(file_id=raw.id, owner=query["owner"], expiry=int(query["expiry"]), signature=query["signature"])
    )
    assert response.read() == b"raw file contents"
    with pytest.raises(ReplicateError) as refused:
        await resolve(client.files.download(file_id=raw.id, owner=query["owner"], expiry=0, signature="forged"))
    assert refused.value.status == 403

    assert await resolve(client.files.delete(file_id=raw.id)) is True
    with pytest.raises(NotFoundError):
        await resolve(client.files.get(file_id=raw.id))


async def test_input_files_are_uploaded(client: AnyClient, tmp_path: Any) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(b"some input")
    with open(path, "rb") as f:
        uploaded = await resolve(client.run("replicate/echo-file", input={"file": f}))
    inlined = await resolve(client.run("replicate/echo-file", input={"file": path}, file_encoding_strategy="base64"))
    for output in (uploaded, inlined):
        assert isinstance(output, FileOutput)
        content = output.read() if isinstance(client, Replicate) else await output.aread()
        assert content == b"some input"


# --- hardware, account, webhooks ----------------------------------------------------------------


async def test_hardware_account_webhooks(client: AnyClient, emu: Emulator) -> None:
    hardware = await resolve(client.hardware.list())
    assert [(sku.sku, sku.name) for sku in hardware][:2] == [("cpu", "CPU"), ("gpu-t4", "Nvidia T4 GPU")]
    account = await resolve(client.account.get())
    assert (account.type, account.username) == ("user", "emulator")
    secret = await resolve(client.webhooks.default.secret.get())
    assert secret.key == emu.webhook_secret == (await resolve(client.webhooks.default.secret())).key


async def test_webhook_handling(style: str, emu: Emulator, receiver: Receiver) -> None:
    """The seed's webhook handler, with Replicate's real signature scheme (webhooks.validate)."""
    client = make_client(style, emu)
    secret = await resolve(client.webhooks.default.secret.get())
    created = await resolve(
        client.predictions.create(
            model="replicate/hello-world", input={"text": "hook"}, webhook=receiver.url, webhook_events_filter=["completed"]
        )
    )
    emu.webhooks.wait_for(
        lambda sent: any(d.job_id == created.id and d.status_code == 200 for d in sent), 5.0
    )
    deliveries = [(h, b) for h, b in receiver.received if created.id.encode() in b]
    assert deliveries
    headers, body = deliveries[-1]
    replicate.webhooks.validate(headers=headers, body=body, secret=secret)  # raises if invalid
    import json

    data = json.loads(body)
    assert (data["id"], data["status"], data["output"]) == (created.id, "succeeded", "hello hook")


# --- errors ---------------------------------------------------------------------------------------


async def test_error_handling(style: str, emu: Emulator) -> None:
    client = make_client(style, emu, max_retries=0)
    with pytest.raises(ModelError) as failed:
        await resolve(client.run("replicate/fails", input={"message": "boom"}))
    assert failed.value.prediction.status == "failed" and "boom" in (failed.value.prediction.error or "")
    with pytest.raises(NotFoundError):
        await resolve(client.run("replicate/no-such-model", input={}))
    with pytest.raises(AuthenticationError):
        await resolve(make_client(style, emu, bearer_token="r8_wrong").account.get())
    emu.faults.rate_limit("GET", "/v1/account", retry_after=7)
    try:
        with pytest.raises(RateLimitError) as limited:
            await resolve(client.account.get())
    finally:
        emu.faults.clear()
    assert limited.value.response is not None
    assert limited.value.response.headers.get("retry-after") == "7"


async def test_v0_client_raises_the_same_errors(emu: Emulator) -> None:
    v0 = Client(api_token=TOKEN, base_url=emu.base_url, poll_interval=0.01)
    with pytest.raises(ModelError):
        v0.run("replicate/fails", input={})
    with pytest.raises(ModelError):
        await v0.async_run("replicate/fails", input={})
    with pytest.raises(NotFoundError):
        v0.models.get("replicate/no-such-model")
    with pytest.raises(AuthenticationError):
        Client(api_token="r8_wrong", base_url=emu.base_url).accounts.current()


# --- pagination: v0 pages and newer-style pages ------------------------------------------------


async def test_pagination(style: str, small_pages: Emulator) -> None:
    emu = small_pages
    total = len([m for m in emu.state.models.values() if m.visibility == "public" or m.owner == "emulator"])
    assert total > 4
    client = make_client(style, emu)
    first_page = await resolve(client.models.list())
    assert len(first_page.items) == 2 and first_page.has_next_page()
    next_page = await resolve(first_page.get_next_page())
    assert len(next_page.items) == 2
    assert {m.name for m in first_page.items}.isdisjoint(m.name for m in next_page.items)
    assert len(await collect(client.models.list())) == total

    v0 = Client(api_token=TOKEN, base_url=emu.base_url)
    v0_page = v0.models.list() if style == "sync" else await v0.models.async_list()
    assert isinstance(v0_page, Page) and not isinstance(v0_page, (SyncCursorURLPage, AsyncCursorURLPage))
    assert len(list(v0_page)) == 2
    assert sum(len(page) for page in replicate.paginate(v0.models.list)) == total


async def test_files_list_list_or_page(style: str, small_pages: Emulator) -> None:
    emu = small_pages
    for index in range(3):
        emu.add_file(f"file {index}".encode(), filename=f"f{index}.txt")
    v0 = Client(api_token=TOKEN, base_url=emu.base_url)
    v0_files = v0.files.list() if style == "sync" else await v0.files.async_list()
    assert isinstance(v0_files, list) and len(v0_files) == 2
    client = make_client(style, emu)
    assert len(await collect(client.files.list())) == len(emu.state.files) >= 3


# --- low level, raw responses, configuration ---------------------------------------------------


async def test_low_level_api(client: AnyClient, emu: Emulator) -> None:
    response = await resolve(client.get("/account"))
    assert response.json()["username"] == "emulator"
    posted = await resolve(client.post("/predictions", json={"version": "replicate/hello-world", "input": {"text": "low"}}))
    assert posted.status_code == 201 and posted.json()["input"] == {"text": "low"}
    patched = await resolve(
        client.request(
            method="PATCH",
            url="/models/replicate/hello-world",
            json={"github_url": "https://github.com/replicate/cog-examples"},
            headers={"X-Custom-Header": "value"},
        )
    )
    assert patched.json()["name"] == "hello-world"
    with pytest.raises(NotFoundError):
        await resolve(client.get("/custom/endpoint"))


async def test_with_raw_response(style: str, emu: Emulator) -> None:
    client = make_client(style, emu)
    response = await resolve(client.predictions.with_raw_response.create(model="replicate/hello-world", input={"text": "raw"}))
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    assert response.parse().input == {"text": "raw"}
    v0 = Client(api_token=TOKEN, base_url=emu.base_url)
    # `with_raw_response` is typed as the namespace itself, so its results read as resources.
    raw: Any = (
        v0.accounts.with_raw_response.current()
        if style == "sync"
        else await v0.accounts.with_raw_response.async_current()
    )
    assert raw.status_code == 200 and raw.parse().username == "emulator"


async def test_base_url_with_or_without_v1_and_copies(style: str, emu: Emulator) -> None:
    for base_url in (emu.base_url, emu.base_url + "/v1", emu.base_url + "/v1/"):
        client = make_client(style, emu, base_url=base_url)
        assert (await resolve(client.account.get())).username == "emulator"
    original = make_client(style, emu, bearer_token="r8_wrong")
    fixed = original.copy(bearer_token=TOKEN, timeout=60.0, max_retries=3)
    assert (await resolve(fixed.account.get())).username == "emulator"
    with pytest.raises(AuthenticationError):
        await resolve(original.with_options(max_retries=0).account.get())


async def test_environment_configuration(style: str, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    monkeypatch.setenv("REPLICATE_BASE_URL", emu.base_url + "/v1")
    client = Replicate() if style == "sync" else AsyncReplicate()
    assert await resolve(client.run("replicate/hello-world", input={"text": "env"})) == "hello env"


async def test_concurrent_runs(emu: Emulator) -> None:
    client = make_client("async", emu)
    assert isinstance(client, AsyncReplicate)
    prompts = ["prompt 1", "prompt 2", "prompt 3"]
    results = await asyncio.gather(*[client.run("replicate/hello-world", input={"text": p}) for p in prompts])
    assert results == [f"hello {p}" for p in prompts]
    names = [model.name async for model in client.models.list()]
    assert "hello-world" in names
    await client.close()


# --- seed 004 on the module: the default client configured from the environment -----------------


async def test_module_level_api(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    monkeypatch.setenv("REPLICATE_BASE_URL", emu.base_url + "/v1")
    use_default_client(monkeypatch, Client(poll_interval=0.01))
    version = version_of(emu, "replicate/hello-world")

    prediction = replicate.predictions.create(input={"text": "Alice"}, version=f"replicate/hello-world:{version}")
    assert replicate.predictions.get(prediction_id=prediction.id).id == prediction.id
    assert replicate.predictions.list().results[0].id
    assert replicate.run("replicate/hello-world", input={"text": "module"}) == "hello module"
    assert replicate.use("replicate/hello-world")(text="use") == "hello use"
    assert "emulator-demos" in [c.slug for c in replicate.search(query="emulator").collections]
    assert replicate.account.get().username == "emulator"
    assert replicate.webhooks.default.secret.get().key == emu.webhook_secret
    assert replicate.hardware.list()[0].sku == "cpu"
    assert replicate.models.readme.get(model_owner="replicate", model_name="hello-world").startswith("# ")
    assert replicate.models.versions.list(model_owner="replicate", model_name="hello-world").results[0].id == version
    assert isinstance(replicate.files.list(), list)
    assert replicate.collections.list().results[0].slug
    assert replicate.deployments.list().results is not None
    assert replicate.trainings.list().results is not None
    assert replicate.models.list().results[0].name
