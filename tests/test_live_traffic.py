"""Replay recorded v0 traffic: the client must send the same requests and read the answers.

The recordings live outside the repository (``../shared/reference/live-traffic``); without
them these tests skip. `tests/cassettes/` covers the same calls on a fresh clone.
"""

from __future__ import annotations

import functools
import gzip
import json
import pathlib
from typing import Any, Callable, Dict, Iterator, List, Optional

import httpx
import pytest
import yaml
from namespace_helpers import TOKEN, both_modes, call

from replicate._version import __version__
from replicate.client import Client
from replicate.collection import Collection
from replicate.exceptions import ReplicateError
from replicate.file import File
from replicate.hardware import Hardware
from replicate.model import Model
from replicate.pagination import Page
from replicate.prediction import Prediction
from replicate.training import Training
from replicate.version import Version

LIVE_TRAFFIC = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "live-traffic"

SDXL_VERSION = "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b"
NEWER_SDXL_VERSION = "7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc"
CORGI = {"prompt": "a studio photo of a rainbow colored corgi", "width": 512, "height": 512, "seed": 42069}
TRAINING_INPUT = {
    "input_images": "https://replicate.delivery/pbxt/JMV5OrEWpBAC5gO8rre0tPOyJIOkaXvG0TWfVJ9b4zhLeEUY/data.zip",
    "use_face_detection_instead": True,
}


@functools.cache
def load(name: str) -> List[Dict[str, Any]]:
    path = LIVE_TRAFFIC / f"{name}.yaml"
    if not path.exists():
        pytest.skip(f"recorded traffic not available ({path})")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as stream:
        interactions: List[Dict[str, Any]] = yaml.load(stream, Loader=loader)["interactions"]
    return interactions


def recorded_response(recorded: Dict[str, Any]) -> httpx.Response:
    """The recorded answer, in either of vcrpy's httpx formats, decompressed."""
    if "status_code" in recorded:
        status, content = recorded["status_code"], recorded["content"]
    else:
        status, content = recorded["status"]["code"], recorded["body"]["string"]
    if isinstance(content, str):
        content = content.encode("utf-8")
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    headers = {
        name: values[0]
        for name, values in recorded["headers"].items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    }
    return httpx.Response(status, headers=headers, content=content)


class Replay:
    """Answers each request with the first unplayed recording of the same method and URL."""

    def __init__(self, name: str) -> None:
        self.interactions = load(name)
        self.played: List[bool] = [False] * len(self.interactions)

    def handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        for index, interaction in enumerate(self.interactions):
            recorded = interaction["request"]
            if self.played[index] or recorded["method"] != request.method or recorded["uri"] != str(request.url):
                continue
            if not same_body(recorded, request):
                continue
            self.played[index] = True
            assert_same_headers(recorded, request)
            return recorded_response(interaction["response"])
        raise AssertionError(f"no recording of {request.method} {request.url} {request.content[:200]!r}")

    def client(self) -> Client:
        return Client(api_token=TOKEN, transport=httpx.MockTransport(self.handler), poll_interval=0.001)

    def assert_all_played(self) -> None:
        unplayed = [
            f"{i['request']['method']} {i['request']['uri']}"
            for i, played in zip(self.interactions, self.played)
            if not played
        ]
        assert unplayed == []


def same_body(recorded: Dict[str, Any], request: httpx.Request) -> bool:
    body = recorded.get("body") or ""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    content_type = recorded["headers"].get("content-type", [""])[0]
    if content_type == "application/json":
        return bool(json.loads(body) == json.loads(request.content))
    if content_type.startswith("multipart/form-data"):
        return multipart_shape(body.encode()) == multipart_shape(request.content)
    return bool(body.encode() == request.content)


def multipart_shape(content: bytes) -> List[Any]:
    """The part headers and payloads of a multipart body, without the random boundary."""
    boundary = content.split(b"\r\n", 1)[0]
    return [part.strip(b"\r\n").split(b"\r\n\r\n", 1) for part in content.split(boundary)[1:-1]]


def assert_same_headers(recorded: Dict[str, Any], request: httpx.Request) -> None:
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"] == f"replicate-python/{__version__}"
    assert recorded["headers"]["user-agent"][0].startswith("replicate-python/")
    for name in ("prefer", "content-type"):
        value: Optional[List[str]] = recorded["headers"].get(name)
        if value is None:
            assert name not in request.headers, name
        elif not value[0].startswith("multipart/"):
            assert request.headers[name] == value[0], name


def replayed(name: str) -> Callable[[Callable[[Client], None]], Callable[[], None]]:
    """Run a scenario against a recording, then check that every recorded request was sent."""

    def decorate(scenario: Callable[[Client], None]) -> Callable[[], None]:
        def test() -> None:
            replay = Replay(name)
            scenario(replay.client())
            replay.assert_all_played()

        test.__name__, test.__doc__ = scenario.__name__, scenario.__doc__
        return test

    return decorate


# --- models --------------------------------------------------------------------------------


@replayed("models-get")
def test_models_get(client: Client) -> None:
    sdxl = client.models.get("stability-ai/sdxl")
    assert (sdxl.owner, sdxl.name, sdxl.visibility) == ("stability-ai", "sdxl", "public")
    assert isinstance(sdxl.latest_version, Version) and isinstance(sdxl.default_example, Prediction)
    empty = client.models.get("mattt", "empty")
    assert (empty.description, empty.default_example, empty.latest_version) == (None, None, None)


@replayed("models-list")
def test_models_list(client: Client) -> None:
    models = client.models.list()
    assert isinstance(models, Page) and models.previous is None
    assert models.next is not None and models.next.startswith("https://api.replicate.com/v1/models?cursor=")
    assert len(models) > 0 and all(isinstance(model, Model) for model in models)


@replayed("models-create")
def test_models_create(client: Client) -> None:
    model = client.models.create(
        owner="test", name="python-example", visibility="private", hardware="cpu", description="An example model"
    )
    assert (model.owner, model.name, model.visibility, model.run_count) == ("test", "python-example", "private", 0)


@replayed("models-search")
def test_models_search(client: Client) -> None:
    models = client.models.search("llama")
    assert len(models) > 0 and all(isinstance(model, Model) for model in models)


@replayed("models-predictions-create")
def test_models_predictions_create(client: Client) -> None:
    prediction = client.models.predictions.create(
        model="meta/llama-2-70b-chat", input={"prompt": "Please write a haiku about llamas."}
    )
    assert (prediction.id, prediction.status) == ("heat2o3bzn3ahtr6bjfftvbaci", "starting")


@pytest.mark.parametrize(
    "name, wait",
    [
        ("models-predictions-create-prefer-wait-1", True),
        ("models-predictions-create-prefer-wait-2", True),
        ("models-predictions-create-prefer-wait-10-1", 10),
        ("models-predictions-create-prefer-wait-10-2", 10),
    ],
)
def test_models_predictions_create_with_wait(name: str, wait: Any) -> None:
    replay = Replay(name)
    prediction = replay.client().models.predictions.create(
        "meta/meta-llama-3-8b-instruct", input={"prompt": "Please write a haiku about llamas"}, wait=wait
    )
    assert prediction.model == "meta/meta-llama-3-8b-instruct" and isinstance(prediction.output, list)
    replay.assert_all_played()


# --- collections and hardware ----------------------------------------------------------------


@replayed("collections-get")
def test_collections_get(client: Client) -> None:
    collection = client.collections.get("text-to-image")
    assert (collection.slug, collection.name) == ("text-to-image", "Text to image")
    assert len(collection) > 0 and all(isinstance(model, Model) for model in collection)


@replayed("collections-list")
def test_collections_list(client: Client) -> None:
    collections = client.collections.list()
    assert collections.next is None and len(collections) > 0
    assert all(isinstance(each, Collection) and each.models is None for each in collections)


@replayed("hardware-list")
def test_hardware_list(client: Client) -> None:
    hardware = client.hardware.list()
    assert all(isinstance(each, Hardware) for each in hardware)
    assert [each.sku for each in hardware] == ["cpu", "gpu-t4", "gpu-a40-small", "gpu-a40-large"]


# --- predictions -----------------------------------------------------------------------------


@replayed("predictions-get")
def test_predictions_get(client: Client) -> None:
    prediction = client.predictions.get("vgcm4plb7tgzlyznry5d5jkgvu")
    assert prediction.status == "processing" or prediction.status == "succeeded"
    prediction.reload()
    assert prediction.status == "succeeded"
    assert prediction.progress is not None and prediction.progress.percentage == 1.0


@replayed("predictions-create")
def test_predictions_create(client: Client) -> None:
    model = client.models.get("stability-ai/sdxl")
    prediction = client.predictions.create(version=SDXL_VERSION, input=CORGI)
    assert (prediction.id, prediction.status) == ("vgcm4plb7tgzlyznry5d5jkgvu", "starting")
    version = model.versions.get(SDXL_VERSION)
    prediction = client.predictions.create(version=version, input=CORGI)
    assert prediction.id == "vme6tftbgoggoxnjiwkzr6zrpa"


@pytest.mark.parametrize("name", ["predictions-create-by-model-1", "predictions-create-by-model-2"])
def test_predictions_create_by_model(name: str) -> None:
    replay = Replay(name)
    for _ in replay.interactions:
        prediction = replay.client().predictions.create(
            model="meta/meta-llama-3-8b-instruct", input={"prompt": "write a haiku about llamas"}
        )
        assert prediction.status == "starting"
    replay.assert_all_played()


@pytest.mark.parametrize(
    "name, wait",
    [
        ("predictions-create-prefer-wait-1", True),
        ("predictions-create-prefer-wait-2", True),
        ("predictions-create-prefer-wait-10-1", 10),
        ("predictions-create-prefer-wait-10-2", 10),
    ],
)
def test_predictions_create_with_wait(name: str, wait: Any) -> None:
    replay = Replay(name)
    client = replay.client()
    for version_id in (SDXL_VERSION, NEWER_SDXL_VERSION):
        version = client.models.get("stability-ai/sdxl").versions.get(version_id)
        prediction = client.predictions.create(version=version, input=CORGI, wait=wait)
        assert prediction.model == "stability-ai/sdxl" and prediction.input == CORGI
    replay.assert_all_played()


@pytest.mark.parametrize("name", ["predictions-cancel", "predictions-create-then-cancel-1", "predictions-create-then-cancel-2"])
def test_predictions_cancel(name: str) -> None:
    replay = Replay(name)
    client = replay.client()
    client.models.predictions.create("meta/llama-2-70b-chat", {"prompt": "Please write a haiku about llamas."})
    version = client.models.get("stability-ai/sdxl").versions.get(SDXL_VERSION)
    prediction = client.predictions.create(version=version, input=CORGI)
    prediction.cancel()
    assert prediction.status == "canceled"
    replay.assert_all_played()


@replayed("run__invalid-token")
def test_an_invalid_token_raises_replicate_error(client: Client) -> None:
    with pytest.raises(ReplicateError) as info:
        client.predictions.create(
            version="73001d654114dad81ec65da3b834e2f691af1e1526453189b7bf36fb3f32d0f9", input={}
        )
    assert (info.value.status, info.value.title) == (401, "Unauthenticated")


# --- trainings -------------------------------------------------------------------------------


@replayed("trainings-create")
def test_trainings_create(client: Client) -> None:
    training = client.trainings.create(
        model="stability-ai/sdxl", version=SDXL_VERSION, input=TRAINING_INPUT, destination="replicate/dreambooth-sdxl"
    )
    assert isinstance(training, Training)
    assert (training.id, training.status, training.version) == ("wj4is6lbdqqkdepnwpr6v2kuva", "starting", SDXL_VERSION)


@replayed("trainings-create__invalid-destination")
def test_trainings_create_with_an_invalid_destination(client: Client) -> None:
    with pytest.raises(ReplicateError) as info:
        client.trainings.create(
            f"stability-ai/sdxl:{SDXL_VERSION}",
            {"input_images": TRAINING_INPUT["input_images"]},
            destination="<invalid>",
        )
    assert info.value.status == 404
    assert info.value.detail == "The specified training destination does not exist"


@replayed("trainings-get")
def test_trainings_get(client: Client) -> None:
    training = client.trainings.get("medrnz3bm5dd6ultvad2tejrte")
    assert (training.status, training.model) == ("processing", "stability-ai/sdxl")


@replayed("trainings-cancel")
def test_trainings_cancel(client: Client) -> None:
    training = client.trainings.create(
        model="stability-ai/sdxl", version=SDXL_VERSION, input=TRAINING_INPUT, destination="replicate/dreambooth-sdxl"
    )
    training.cancel()
    assert training.status == "canceled"


# --- files -----------------------------------------------------------------------------------


def test_file_operations(tmp_path: pathlib.Path) -> None:
    replay = Replay("file-operations")
    client = replay.client()
    path = tmp_path / "test_fileo20o3wth.txt"
    path.write_bytes(b"")
    created = client.files.create(path)
    assert isinstance(created, File)
    assert (created.name, created.size, created.content_type) == ("test_fileo20o3wth.txt", 0, "text/plain")
    assert client.files.get(created.id).id == created.id
    assert created.id in [file.id for file in client.files.list()]
    assert client.files.delete(created.id) is True
    assert created.id not in [file.id for file in client.files.list()]
    replay.assert_all_played()


# --- our own cassettes (tests/cassettes): the same calls, on a fresh clone ---------------------

CASSETTE_VERSION = "b5c1e6f7a8d9c0b1a2e3f4d5c6b7a8e9f0d1c2b3a4e5f6d7c8b9a0e1f2d3c4b5"


@pytest.fixture
def vcr_config() -> Dict[str, Any]:
    return {"record_mode": "none", "match_on": ["method", "scheme", "host", "port", "path", "query", "body"]}


@pytest.fixture
def vcr_cassette_dir() -> str:
    return str(pathlib.Path(__file__).parent / "cassettes")


class _Done:
    """An awaitable that is already done, so one hook serves the sync and the async client."""

    def __await__(self) -> Iterator[None]:
        return iter(())


class Capture:
    """An httpx request hook keeping every request the client sends (after auth is applied).

    A hook rather than a transport: vcrpy replays at the transport (9.x) or just above it (7.x).
    """

    def __init__(self) -> None:
        self.requests: List[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> _Done:
        request.read()
        self.requests.append(request)
        return _Done()

    def assert_headers(self) -> None:
        assert self.requests
        for request in self.requests:
            assert request.headers["authorization"] == f"Bearer {TOKEN}"
            assert request.headers["user-agent"] == f"replicate-python/{__version__}"


@pytest.fixture
def capture() -> Capture:
    return Capture()


@pytest.fixture
def cassette_client(capture: Capture, vcr: Any) -> Iterator[Client]:
    """A client whose requests the test's cassette answers; every recording must be used."""
    yield Client(api_token=TOKEN, poll_interval=0.001, event_hooks={"request": [capture]})
    assert vcr.all_played, "the client skipped a request the cassette expects"


@both_modes
@pytest.mark.vcr
@pytest.mark.default_cassette("models.yaml")
async def test_cassette_models(mode: str, cassette_client: Client, capture: Capture) -> None:
    model = await call(mode, cassette_client.models, "get", "lovelace/echo")
    assert (model.id, model.run_count) == ("lovelace/echo", 42)
    assert isinstance(model.latest_version, Version) and model.latest_version.id == CASSETTE_VERSION
    first = await call(mode, cassette_client.models, "list")
    second = await call(mode, cassette_client.models, "list", first.next)
    assert (len(first), len(second), second.next) == (1, 0, None)
    created = await call(
        mode, cassette_client.models, "create", "lovelace", "echo-2", visibility="private", hardware="cpu"
    )
    assert (created.name, created.visibility) == ("echo-2", "private")
    assert [found.id for found in await call(mode, cassette_client.models, "search", "echo")] == ["lovelace/echo"]
    versions = await call(mode, model.versions, "list")
    assert versions[0].cog_version == "0.9.6"
    assert await call(mode, cassette_client.models, "delete", "lovelace", "echo-2") is True
    capture.assert_headers()
    search = next(r for r in capture.requests if r.method == "QUERY")
    assert search.headers["content-type"] == "text/plain"


@both_modes
@pytest.mark.vcr
@pytest.mark.default_cassette("collections-and-hardware.yaml")
async def test_cassette_collections_and_hardware(
    mode: str, cassette_client: Client, capture: Capture
) -> None:
    (listed,) = await call(mode, cassette_client.collections, "list")
    collection = await call(mode, cassette_client.collections, "get", listed.slug)
    assert [model.id for model in collection] == ["lovelace/echo"]
    hardware = await call(mode, cassette_client.hardware, "list")
    assert [each.sku for each in hardware] == ["cpu", "gpu-l40s"]
    capture.assert_headers()


@both_modes
@pytest.mark.vcr
@pytest.mark.default_cassette("predictions.yaml")
async def test_cassette_predictions(mode: str, cassette_client: Client, capture: Capture) -> None:
    prediction = await call(mode, cassette_client.predictions, "create", CASSETTE_VERSION, {"text": "hi"})
    assert prediction.status == "starting"
    await call(mode, prediction, "reload")
    assert prediction.progress == Prediction.Progress(0.5, 1, 2)
    await call(mode, prediction, "cancel")
    assert prediction.status == "canceled"
    official = await call(mode, cassette_client.predictions, "create", model="lovelace/echo", input={"text": "hi"})
    assert (official.version, official.output) == ("hidden", "hi")
    assert [p.id for p in await call(mode, cassette_client.predictions, "list")] == ["p0lovelace"]
    capture.assert_headers()


@both_modes
@pytest.mark.vcr
@pytest.mark.default_cassette("invalid-token.yaml")
async def test_cassette_invalid_token(mode: str, cassette_client: Client) -> None:
    with pytest.raises(ReplicateError) as info:
        await call(mode, cassette_client.predictions, "create", version=CASSETTE_VERSION, input={})
    assert (info.value.status, info.value.title) == (401, "Unauthenticated")


@both_modes
@pytest.mark.vcr
@pytest.mark.default_cassette("trainings.yaml")
async def test_cassette_trainings(mode: str, cassette_client: Client, capture: Capture) -> None:
    data = {"data": "https://example.com/data.zip"}
    training = await call(
        mode, cassette_client.trainings, "create",
        model="lovelace/echo", version=CASSETTE_VERSION, input=data, destination="lovelace/echo-tuned",
    )
    assert training.destination == "lovelace/echo-tuned"
    assert (await call(mode, cassette_client.trainings, "get", training.id)).status == "processing"
    assert (await call(mode, cassette_client.trainings, "cancel", training.id)).status == "canceled"
    with pytest.raises(ReplicateError, match="destination does not exist"):
        await call(
            mode, cassette_client.trainings, "create",
            model="lovelace/echo", version=CASSETTE_VERSION, input=data, destination="nobody/nowhere",
        )
    capture.assert_headers()


@both_modes
@pytest.mark.vcr(match_on=["method", "scheme", "host", "port", "path", "query"])
@pytest.mark.default_cassette("files.yaml")
async def test_cassette_files(
    mode: str, cassette_client: Client, capture: Capture, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(b"hi")
    created = await call(mode, cassette_client.files, "create", path)
    assert (created.name, created.size) == ("note.txt", 2)
    upload = capture.requests[0]
    assert multipart_shape(upload.content) == [
        [b'Content-Disposition: form-data; name="content"; filename="note.txt"\r\nContent-Type: text/plain', b"hi"]
    ]
    assert (await call(mode, cassette_client.files, "get", created.id)).id == created.id
    assert [file.id for file in await call(mode, cassette_client.files, "list")] == [created.id]
    assert await call(mode, cassette_client.files, "delete", created.id) is True
    capture.assert_headers()


@both_modes
@pytest.mark.vcr
@pytest.mark.default_cassette("accounts-deployments-webhooks.yaml")
async def test_cassette_accounts_deployments_and_webhooks(
    mode: str, cassette_client: Client, capture: Capture
) -> None:
    assert (await call(mode, cassette_client.accounts, "current")).username == "lovelace"
    deployment = await call(mode, cassette_client.deployments, "get", "lovelace/echo-prod")
    assert deployment.current_release is not None and deployment.current_release.number == 3
    prediction = await call(mode, deployment.predictions, "create", {"text": "hi"})
    assert prediction.id == "p2lovelace"
    secret = await call(mode, cassette_client.webhooks.default.secret, "get")
    assert secret.key.startswith("whsec_")
    capture.assert_headers()
