"""`run` / `async_run`: which requests a model reference sends, and what comes back."""

from __future__ import annotations

import asyncio
import datetime
import json
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Optional, Tuple, Union

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from replicate._operation import is_timestamp
from replicate.client import Client
from replicate.exceptions import ModelError, UnexpectedResponseError
from replicate.helpers import FileOutput
from replicate.identifier import ModelVersionIdentifier
from replicate.model import Model
from replicate.prediction import Prediction
from replicate.version import Version, Versions

VERSION_ID = "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b"
API = "https://api.replicate.com"
IMAGE_URL = "https://replicate.delivery/pbxt/out-0.png"

Reply = Union[Dict[str, Any], Callable[[httpx.Request], httpx.Response]]


class FakeAPI:
    """A MockTransport handler that answers each (method, path) from a script and records requests.

    Each route answers its replies in order and repeats the last one.
    """

    def __init__(self) -> None:
        self.routes: Dict[Tuple[str, str], List[Reply]] = {}
        self.requests: List[httpx.Request] = []

    def on(self, method: str, path: str, *replies: Reply) -> FakeAPI:
        self.routes.setdefault((method, path), []).extend(replies)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        replies = self.routes.get((request.method, request.url.path))
        if not replies:
            return httpx.Response(404, json={"detail": f"no route for {request.method} {request.url.path}"})
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if callable(reply):
            return reply(request)
        status = 201 if request.method == "POST" else 200
        return httpx.Response(status, json=reply)

    def client(self) -> Client:
        return Client(api_token="r8_test", transport=httpx.MockTransport(self), poll_interval=0.001)

    @property
    def sent(self) -> List[Tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.requests]


def prediction(status: str, output: Any = None, **fields: Any) -> Dict[str, Any]:
    body = {
        "id": "p1",
        "model": "stability-ai/sdxl",
        "version": VERSION_ID,
        "status": status,
        "input": {"prompt": "a corgi"},
        "output": output,
        "logs": fields.pop("logs", ""),
        "error": None,
        "urls": {
            "get": f"{API}/v1/predictions/p1",
            "cancel": f"{API}/v1/predictions/p1/cancel",
        },
    }
    body.update(fields)
    return body


def version(output_schema: Dict[str, Any], cog_version: str = "0.8.6") -> Dict[str, Any]:
    return {
        "id": VERSION_ID,
        "created_at": "2023-08-11T17:00:23.916379Z",
        "cog_version": cog_version,
        "openapi_schema": {"components": {"schemas": {"Output": output_schema}}},
    }


ITERATOR = {"type": "array", "items": {"type": "string"}, "x-cog-array-type": "iterator"}
URI_LIST = {"type": "array", "items": {"type": "string", "format": "uri"}}


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run_model(mode: str, client: Client, ref: Any, input: Optional[Dict[str, Any]] = None, **kw: Any) -> Any:
    """Call run or async_run; iterators come back as ("iterator", items) after draining them."""
    if mode == "sync":
        result = client.run(ref, input, **kw)
        return ("iterator", list(result)) if isinstance(result, Iterator) else result

    async def go() -> Any:
        try:
            result = await client.async_run(ref, input, **kw)
            if isinstance(result, AsyncIterator):
                return ("iterator", [item async for item in result])
            return result
        finally:
            await client.aclose()

    return asyncio.run(go())


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


# --- which endpoint each reference form uses ---------------------------------------------------


def test_bare_version_id_creates_on_predictions_and_waits_by_default(mode: str) -> None:
    api = FakeAPI().on("POST", "/v1/predictions", prediction("succeeded", [IMAGE_URL]))
    output = run_model(mode, api.client(), VERSION_ID, {"prompt": "a corgi"})

    (request,) = api.requests
    assert (request.method, str(request.url)) == ("POST", f"{API}/v1/predictions")
    assert body_of(request) == {"input": {"prompt": "a corgi"}, "version": VERSION_ID}
    assert request.headers["prefer"] == "wait"
    assert request.headers["authorization"] == "Bearer r8_test"
    assert isinstance(output, list) and [str(item) for item in output] == [IMAGE_URL]
    assert isinstance(output[0], FileOutput)


def test_owner_name_creates_on_the_models_endpoint_without_fetching_a_version(mode: str) -> None:
    api = FakeAPI().on("POST", "/v1/models/meta/llama/predictions", prediction("succeeded", ["a", "b"]))
    output = run_model(mode, api.client(), "meta/llama", {"prompt": "hi"})

    assert api.sent == [("POST", "/v1/models/meta/llama/predictions")]
    assert body_of(api.requests[0]) == {"input": {"prompt": "hi"}}
    assert output == ["a", "b"]


def test_model_object_and_identifier_without_version_use_the_models_endpoint(mode: str) -> None:
    model = Model(url="u", owner="meta", name="llama", visibility="public", run_count=1)
    for ref in (model, ModelVersionIdentifier("meta", "llama")):
        api = FakeAPI().on("POST", "/v1/models/meta/llama/predictions", prediction("succeeded", "ok"))
        assert run_model(mode, api.client(), ref) == "ok"
        assert api.sent == [("POST", "/v1/models/meta/llama/predictions")]
        assert body_of(api.requests[0]) == {"input": {}}


def test_owner_name_version_fetches_the_version_after_the_create(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("succeeded", "done"))
        .on("GET", f"/v1/models/stability-ai/sdxl/versions/{VERSION_ID}", version({"type": "string"}))
    )
    for ref in (f"stability-ai/sdxl:{VERSION_ID}", ModelVersionIdentifier("stability-ai", "sdxl", VERSION_ID)):
        api.requests.clear()
        assert run_model(mode, api.client(), ref) == "done"
        assert api.sent == [
            ("POST", "/v1/predictions"),
            ("GET", f"/v1/models/stability-ai/sdxl/versions/{VERSION_ID}"),
        ]
        assert body_of(api.requests[0]) == {"input": {}, "version": VERSION_ID}


def test_version_object_is_not_fetched_again(mode: str) -> None:
    given = Version.model_validate(version(ITERATOR))
    api = FakeAPI().on("POST", "/v1/predictions", prediction("succeeded", ["x", "y"]))
    assert run_model(mode, api.client(), given) == ("iterator", ["x", "y"])
    assert api.sent == [("POST", "/v1/predictions")]


@pytest.mark.parametrize("ref", ["not a ref", "a/b/c", "", 42])
def test_malformed_reference_raises_value_error_naming_it(mode: str, ref: Any) -> None:
    api = FakeAPI()
    with pytest.raises(ValueError) as excinfo:
        run_model(mode, api.client(), ref)
    if isinstance(ref, str):  # v0's messages
        assert str(excinfo.value) == f"Invalid reference to model version: {ref}. Expected format: owner/name:version"
    else:
        assert str(excinfo.value) == (
            f"Invalid argument: {ref}. Expected model, version, or reference in the format owner/name or owner/name:version"
        )
    assert api.requests == []


# --- waiting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wait", "prefer"), [(True, "wait"), (5, "wait=5"), (60, "wait=60"), (False, None)]
)
def test_wait_sets_the_prefer_header(mode: str, wait: Any, prefer: Optional[str]) -> None:
    api = FakeAPI().on("POST", "/v1/predictions", prediction("succeeded", 1))
    assert run_model(mode, api.client(), VERSION_ID, wait=wait) == 1
    assert api.requests[0].headers.get("prefer") == prefer


@pytest.mark.parametrize("wait", [0, 61, -1, 2.5, "yes"])
def test_invalid_wait_raises_before_any_request(mode: str, wait: Any) -> None:
    api = FakeAPI()
    with pytest.raises(ValueError, match="wait must be"):
        run_model(mode, api.client(), VERSION_ID, wait=wait)
    assert api.requests == []


def test_processing_after_the_hold_is_the_finished_output_as_v0(mode: str) -> None:
    # The live API answers a hold the model finished within with `processing` and the whole
    # output (WIRE.md "Blocking mode"); v0 returns it without another request.
    api = FakeAPI().on("POST", "/v1/predictions", prediction("processing", [IMAGE_URL]))
    output = run_model(mode, api.client(), VERSION_ID)
    assert [item.url for item in output] == [IMAGE_URL]
    assert api.sent == [("POST", "/v1/predictions")]


def test_starting_after_the_hold_is_polled_until_terminal(mode: str) -> None:
    # A hold that expired answers `starting`, whatever the model is doing.
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", "/v1/predictions/p1", prediction("processing"), prediction("succeeded", "final"))
    )
    assert run_model(mode, api.client(), VERSION_ID) == "final"
    assert api.sent == [("POST", "/v1/predictions"), ("GET", "/v1/predictions/p1"), ("GET", "/v1/predictions/p1")]


def test_processing_without_a_hold_is_polled_until_terminal(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("processing"))
        .on("GET", "/v1/predictions/p1", prediction("succeeded", "final"))
    )
    assert run_model(mode, api.client(), VERSION_ID, wait=False) == "final"
    assert api.sent == [("POST", "/v1/predictions"), ("GET", "/v1/predictions/p1")]


def test_iterator_finished_within_the_hold_yields_the_items_present(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("processing", ["Hello", " world"]))
        .on("GET", f"/v1/models/o/m/versions/{VERSION_ID}", version(ITERATOR))
    )
    assert run_model(mode, api.client(), f"o/m:{VERSION_ID}") == ("iterator", ["Hello", " world"])
    assert api.sent == [("POST", "/v1/predictions"), ("GET", f"/v1/models/o/m/versions/{VERSION_ID}")]


def test_on_progress_sees_a_prediction_finished_within_the_hold(mode: str) -> None:
    api = FakeAPI().on("POST", "/v1/predictions", prediction("processing", "done"))
    seen: List[Tuple[str, Any]] = []
    output = run_model(mode, api.client(), VERSION_ID, on_progress=lambda p: seen.append((p.status, p.output)))
    assert output == "done"
    assert seen == [("processing", "done")]
    assert len(api.requests) == 1


def test_newer_style_run_returns_the_output_finished_within_the_hold() -> None:
    from replicate import Replicate

    api = FakeAPI().on("POST", "/v1/models/o/m/predictions", prediction("processing", "done"))
    client = Replicate(bearer_token="r8_test", http_client=httpx.Client(transport=httpx.MockTransport(api)))
    assert client.run("o/m", input={}) == "done"
    assert api.sent == [("POST", "/v1/models/o/m/predictions")]


def test_run_yaml_sequence_post_then_version_then_polls(mode: str) -> None:
    """The request order of the recorded v0 run (run.yaml): create, fetch version, poll."""
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", f"/v1/models/stability-ai/sdxl/versions/{VERSION_ID}", version(URI_LIST))
        .on(
            "GET",
            "/v1/predictions/p1",
            prediction("starting"),
            prediction("processing"),
            prediction("processing", logs="Using seed: 42069\n  0%|          | 0/50 [00:00<?, ?it/s]\n"),
            prediction("succeeded", [IMAGE_URL]),
        )
    )
    output = run_model(
        mode,
        api.client(),
        f"stability-ai/sdxl:{VERSION_ID}",
        {"prompt": "a studio photo of a rainbow colored corgi", "width": 512, "height": 512, "seed": 42069},
        wait=False,
    )
    assert api.sent == [
        ("POST", "/v1/predictions"),
        ("GET", f"/v1/models/stability-ai/sdxl/versions/{VERSION_ID}"),
        *[("GET", "/v1/predictions/p1")] * 4,
    ]
    create = api.requests[0]
    assert "prefer" not in create.headers
    assert body_of(create) == {
        "input": {"prompt": "a studio photo of a rainbow colored corgi", "width": 512, "height": 512, "seed": 42069},
        "version": VERSION_ID,
    }
    assert [str(item) for item in output] == [IMAGE_URL]


def test_the_sequence_matches_the_recorded_v0_run_when_the_recording_is_at_hand() -> None:
    recording = Path(__file__).resolve().parents[1].parent / "shared/reference/live-traffic/run.yaml"
    if not recording.exists():
        pytest.skip("the reference recordings are not checked out next to the repository")
    yaml = pytest.importorskip("yaml")
    recorded = [
        (item["request"]["method"], httpx.URL(item["request"]["uri"]).path)
        for item in yaml.safe_load(recording.read_text())["interactions"]
    ]
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", f"/v1/models/stability-ai/sdxl/versions/{VERSION_ID}", version(URI_LIST))
        .on("GET", "/v1/predictions/p1", prediction("processing"), prediction("succeeded", [IMAGE_URL]))
    )
    run_model("sync", api.client(), f"stability-ai/sdxl:{VERSION_ID}", wait=False)

    def collapsed(sequence: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
        return [step for index, step in enumerate(sequence) if index == 0 or sequence[index - 1] != step]

    shape = [(method, path.replace("azaq55dbukgxg6kubr4k6g3pby", "p1")) for method, path in recorded]
    assert collapsed(api.sent) == collapsed(shape)


def test_on_progress_is_called_while_waiting(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on(
            "GET",
            "/v1/predictions/p1",
            prediction("processing", logs=" 50%|#####     | 1/2 [00:01<00:01]"),
            prediction("succeeded", "ok", logs="100%|##########| 2/2 [00:02<00:00]"),
        )
    )
    seen: List[Tuple[str, Any]] = []

    def on_progress(p: Any) -> None:
        seen.append((p.status, p.progress and p.progress.current))

    assert run_model(mode, api.client(), VERSION_ID, on_progress=on_progress) == "ok"
    assert seen == [("starting", None), ("processing", 1), ("succeeded", 2)]
    assert "on_progress" not in body_of(api.requests[0])


# --- outcomes --------------------------------------------------------------------------------


def test_failed_prediction_raises_model_error_with_the_prediction(mode: str) -> None:
    failed = prediction("failed", logs="Traceback ...\nCUDA out of memory", error="CUDA out of memory")
    api = FakeAPI().on("POST", "/v1/predictions", prediction("starting")).on("GET", "/v1/predictions/p1", failed)
    with pytest.raises(ModelError) as excinfo:
        run_model(mode, api.client(), VERSION_ID)
    error = excinfo.value
    assert error.prediction.id == "p1"
    assert error.prediction.status == "failed"
    assert error.prediction.error == "CUDA out of memory"
    assert error.prediction.logs == "Traceback ...\nCUDA out of memory"
    assert str(error) == "CUDA out of memory"


def test_canceled_prediction_returns_its_output_as_v0(mode: str) -> None:
    api = FakeAPI().on("POST", "/v1/predictions", prediction("canceled"))
    assert run_model(mode, api.client(), VERSION_ID) is None


def test_file_outputs_anywhere_become_file_outputs(mode: str) -> None:
    output = {
        "images": [IMAGE_URL, "http://example.com/a.txt"],
        "preview": "data:text/plain;base64,aGk=",
        "caption": "a corgi",
        "score": 0.5,
    }
    api = FakeAPI().on("POST", "/v1/predictions", prediction("succeeded", output))
    result = run_model(mode, api.client(), VERSION_ID)
    assert [type(item) for item in result["images"]] == [FileOutput, FileOutput]
    assert [item.url for item in result["images"]] == [IMAGE_URL, "http://example.com/a.txt"]
    assert isinstance(result["preview"], FileOutput)
    assert result["preview"].read() == b"hi"  # decoded locally
    assert result["caption"] == "a corgi" and result["score"] == 0.5
    assert len(api.requests) == 1


def test_use_file_output_false_returns_plain_values(mode: str) -> None:
    api = FakeAPI().on("POST", "/v1/predictions", prediction("succeeded", [IMAGE_URL]))
    assert run_model(mode, api.client(), VERSION_ID, use_file_output=False) == [IMAGE_URL]


# --- iterator outputs ------------------------------------------------------------------------


def test_iterator_output_yields_items_as_they_arrive(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", f"/v1/models/o/m/versions/{VERSION_ID}", version(ITERATOR))
        .on(
            "GET",
            "/v1/predictions/p1",
            prediction("processing", ["Hello"]),
            prediction("processing", ["Hello", " world"]),
            prediction("succeeded", ["Hello", " world", IMAGE_URL]),
        )
    )
    kind, items = run_model(mode, api.client(), f"o/m:{VERSION_ID}")
    assert kind == "iterator"
    assert items[:2] == ["Hello", " world"]
    assert isinstance(items[2], FileOutput) and items[2].url == IMAGE_URL
    assert api.sent == [
        ("POST", "/v1/predictions"),
        ("GET", f"/v1/models/o/m/versions/{VERSION_ID}"),
        *[("GET", "/v1/predictions/p1")] * 3,
    ]


def test_iterator_items_arrive_before_the_prediction_finishes() -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", f"/v1/models/o/m/versions/{VERSION_ID}", version(ITERATOR))
        .on("GET", "/v1/predictions/p1", prediction("processing", ["a"]), prediction("succeeded", ["a", "b"]))
    )
    iterator = api.client().run(f"o/m:{VERSION_ID}")
    assert next(iterator) == "a"
    assert api.sent[-1] == ("GET", "/v1/predictions/p1") and len(api.requests) == 3
    assert list(iterator) == ["b"]


def test_iterator_that_fails_raises_model_error_after_its_items(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", f"/v1/models/o/m/versions/{VERSION_ID}", version(ITERATOR))
        .on("GET", "/v1/predictions/p1", prediction("failed", ["partial"], error="boom"))
    )
    with pytest.raises(ModelError, match="boom"):
        run_model(mode, api.client(), f"o/m:{VERSION_ID}")


def test_terminal_iterator_output_is_returned_as_an_iterator(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("succeeded", [IMAGE_URL]))
        .on("GET", f"/v1/models/o/m/versions/{VERSION_ID}", version(ITERATOR))
    )
    kind, items = run_model(mode, api.client(), f"o/m:{VERSION_ID}", use_file_output=False)
    assert (kind, items) == ("iterator", [IMAGE_URL])


def test_old_cog_array_output_is_an_iterator(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("succeeded", ["a", "b"]))
        .on("GET", f"/v1/models/o/m/versions/{VERSION_ID}", version({"type": "array"}, cog_version="0.3.8"))
    )
    assert run_model(mode, api.client(), f"o/m:{VERSION_ID}") == ("iterator", ["a", "b"])


def test_run_module_functions_are_v0_names() -> None:
    import importlib

    run_module = importlib.import_module("replicate.run")
    assert callable(run_module.run) and callable(run_module.async_run)


# --- an answer is read as a Prediction (or Version) only when needed ----------------------------


def test_failed_within_the_hold_raises_model_error_with_the_prediction(mode: str) -> None:
    failed = prediction("failed", error="out of memory", metrics={"predict_time": 1.5})
    api = FakeAPI().on("POST", "/v1/predictions", failed)
    with pytest.raises(ModelError) as excinfo:
        run_model(mode, api.client(), VERSION_ID)
    assert isinstance(excinfo.value.prediction, Prediction)
    assert excinfo.value.prediction.metrics == {"predict_time": 1.5}
    assert str(excinfo.value) == "out of memory"


@pytest.mark.parametrize(
    "answer",
    [
        {"content": b"<html>bad gateway</html>"},
        {"json": {"id": "p1", "status": "succeeded", "output": "x"}},  # no version
        {"json": {**prediction("succeeded", "x"), "id": 7}},
        {"json": {**prediction("succeeded", "x"), "status": None}},
        {"json": ["not", "an", "object"]},
    ],
    ids=["not json", "missing version", "numeric id", "null status", "a list"],
)
def test_a_create_answer_that_does_not_fit_raises_as_predictions_create_does(
    mode: str, answer: Dict[str, Any]
) -> None:
    api = FakeAPI().on("POST", "/v1/predictions", lambda request: httpx.Response(201, **answer))
    with pytest.raises(UnexpectedResponseError) as from_create:
        api.client().predictions.create(version=VERSION_ID, input={})
    with pytest.raises(UnexpectedResponseError) as from_run:
        run_model(mode, api.client(), VERSION_ID)
    assert str(from_run.value) == str(from_create.value)


def test_odd_optional_fields_are_read_as_sent_when_the_prediction_is_built(mode: str) -> None:
    odd = prediction("processing", "done", logs=12, metrics="n/a", unknown_field=[1])
    api = FakeAPI().on("POST", "/v1/predictions", odd)
    seen: List[Prediction] = []
    assert run_model(mode, api.client(), VERSION_ID, on_progress=seen.append) == "done"
    assert [(p.logs, p.metrics, p.unknown_field) for p in seen] == [(12, "n/a", [1])]  # type: ignore[attr-defined]


@pytest.mark.parametrize("created_at", ["2023-08-11T17:00:23Z", 1691773223, "2023-08-11 17:00:23.123+02:00"])
def test_a_version_is_read_from_its_answer_whatever_timestamp_pydantic_accepts(mode: str, created_at: Any) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("succeeded", ["a", "b"]))
        .on("GET", f"/v1/models/o/m/versions/{VERSION_ID}", {**version(ITERATOR), "created_at": created_at})
    )
    assert run_model(mode, api.client(), f"o/m:{VERSION_ID}") == ("iterator", ["a", "b"])


def test_a_version_answer_that_does_not_fit_raises_as_versions_get_does(mode: str) -> None:
    broken = {**version(ITERATOR), "created_at": "yesterday"}
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("succeeded", ["a"]))
        .on("GET", f"/v1/models/o/m/versions/{VERSION_ID}", broken)
    )
    with pytest.raises(UnexpectedResponseError) as from_get:
        Versions(api.client(), model="o/m").get(VERSION_ID)
    with pytest.raises(UnexpectedResponseError) as from_run:
        run_model(mode, api.client(), f"o/m:{VERSION_ID}")
    assert str(from_run.value) == str(from_get.value)


@given(
    st.one_of(
        st.builds(
            lambda moment, sep, timespec: moment.isoformat(sep=sep, timespec=timespec),
            st.datetimes(timezones=st.none() | st.timezones()),
            st.sampled_from("Tt "),
            st.sampled_from(["seconds", "milliseconds", "microseconds"]),
        ),
        st.from_regex(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,12})?([Zz]|[+-]\d\d:\d\d)?", fullmatch=True),
        st.text(max_size=40),
    )
)
@settings(max_examples=400, deadline=None)
def test_the_timestamp_check_accepts_only_what_pydantic_accepts(text: str) -> None:
    if is_timestamp(text):
        TypeAdapter(datetime.datetime).validate_python(text)  # raises if pydantic would refuse it
        TypeAdapter(datetime.datetime).validate_json(json.dumps(text))
