"""Schemas derived from predict function signatures."""

from __future__ import annotations

import enum
import pathlib
from typing import Annotated, Any, AsyncIterator, Dict, Generator, Iterator, List, Literal, Optional

import httpx

from replicate.emulator import ConcatenateIterator, Emulator, Input
from replicate.emulator.schema import input_schema, output_schema, schema_for, validate_input

# Module level: with postponed annotations, hints resolve against module globals.
Count = Annotated[int, Input(description="A count", ge=0)]


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


def everything(
    text: str,
    count: int,
    ratio: float,
    flag: bool,
    image: pathlib.Path,
    blob: bytes,
    tags: List[str],
    scores: list,
    colour: Colour,
    mode: Literal["fast", "slow"] = "fast",
    maybe: Optional[str] = None,
    steps: int = Input(10, description="How many", ge=1, le=50),
    note: str = "hi",
) -> str:
    return text


def test_input_schema_types_and_required() -> None:
    schema = input_schema(everything)
    props = schema["properties"]
    assert schema["type"] == "object" and schema["title"] == "Input"
    assert schema["required"] == [
        "text",
        "count",
        "ratio",
        "flag",
        "image",
        "blob",
        "tags",
        "scores",
        "colour",
    ]
    assert props["text"]["type"] == "string"
    assert props["count"]["type"] == "integer"
    assert props["ratio"]["type"] == "number"
    assert props["flag"]["type"] == "boolean"
    assert props["image"] == {"title": "Image", "x-order": 4, "type": "string", "format": "uri"}
    assert props["blob"]["format"] == "uri"
    assert props["tags"]["items"] == {"type": "string"}
    assert props["scores"]["type"] == "array"
    assert props["colour"]["enum"] == ["red", "blue"]
    assert props["mode"]["enum"] == ["fast", "slow"] and props["mode"]["default"] == "fast"
    assert "default" not in props["maybe"]
    assert props["steps"] == {
        "title": "Steps",
        "x-order": 11,
        "type": "integer",
        "description": "How many",
        "minimum": 1,
        "maximum": 50,
        "default": 10,
    }
    assert props["note"]["default"] == "hi"
    assert [props[name]["x-order"] for name in props] == list(range(len(props)))


def test_output_schemas() -> None:
    assert output_schema(str) == {"title": "Output", "type": "string"}
    assert output_schema(pathlib.Path) == {"title": "Output", "type": "string", "format": "uri"}
    assert output_schema(bytes)["format"] == "uri"
    assert output_schema(List[pathlib.Path]) == {
        "title": "Output",
        "type": "array",
        "items": {"type": "string", "format": "uri"},
    }
    assert output_schema(Dict[str, Any]) == {"title": "Output", "type": "object"}
    for iterator in (Iterator[str], Generator[str, None, None], AsyncIterator[str]):
        assert output_schema(iterator) == {
            "title": "Output",
            "type": "array",
            "items": {"type": "string"},
            "x-cog-array-type": "iterator",
        }
    assert output_schema(ConcatenateIterator[str]) == {
        "title": "Output",
        "type": "array",
        "items": {"type": "string"},
        "x-cog-array-type": "iterator",
        "x-cog-array-display": "concatenate",
    }


def test_full_document_looks_like_cog() -> None:
    document = schema_for(everything)
    assert document["openapi"] == "3.0.2"
    assert set(document["components"]["schemas"]) >= {"Input", "Output"}
    assert "/predictions" in document["paths"]


def test_validate_input() -> None:
    schema = input_schema(everything)
    assert validate_input(schema, {"text": "a"})  # many required inputs missing
    good = {
        "text": "a",
        "count": 1,
        "ratio": 1,
        "flag": True,
        "image": "data:,x",
        "blob": "data:,x",
        "tags": ["a"],
        "scores": [],
        "colour": "red",
    }
    assert validate_input(schema, good) == []
    assert validate_input(schema, {**good, "count": 1.5})[0]["type"] == "invalid_type"
    assert validate_input(schema, {**good, "count": 2.0}) == []
    assert validate_input(schema, {**good, "flag": 1})[0]["type"] == "invalid_type"
    assert validate_input(schema, {**good, "colour": "green"})[0]["type"] == "enum"
    assert validate_input(schema, {**good, "steps": 99})[0]["type"] == "number_lte"
    assert validate_input(schema, {**good, "tags": [1]})[0]["field"] == "input.tags.0"
    assert validate_input(schema, {**good, "unknown": object()}) == []


def test_explicit_schemas_override_derivation(client: httpx.Client, emu: Emulator) -> None:
    def anything(**inputs: Any) -> Any:
        return inputs

    version = emu.add_model(
        "acme/explicit-schema",
        anything,
        input_schema={
            "type": "object",
            "title": "Input",
            "properties": {"n": {"type": "integer"}},
            "required": ["n"],
        },
        output_schema={"type": "object"},
        cog_version="0.8.6",
    )
    body = client.get(f"/v1/models/acme/explicit-schema/versions/{version}").json()
    schemas = body["openapi_schema"]["components"]["schemas"]
    assert schemas["Input"]["required"] == ["n"]
    assert schemas["Output"] == {"title": "Output", "type": "object"}
    assert body["cog_version"] == "0.8.6"
    assert (
        client.post("/v1/models/acme/explicit-schema/predictions", json={"input": {}}).status_code
        == 422
    )
    result = client.post(
        "/v1/models/acme/explicit-schema/predictions",
        json={"input": {"n": 1, "extra": "kept"}},
        headers={"Prefer": "wait"},
    ).json()
    assert result["output"] == {"n": 1, "extra": "kept"}


def test_add_model_versions_and_ids(emu: Emulator, client: httpx.Client) -> None:
    first = emu.add_model("acme/versioned", lambda: "one", version_id="a" * 64)
    second = emu.add_model("acme/versioned", lambda: "two")
    assert first == "a" * 64 and len(second) == 64 and second != first
    versions = [v["id"] for v in client.get("/v1/models/acme/versioned/versions").json()["results"]]
    assert versions == [second, first]
    assert (
        client.post(
            "/v1/predictions",
            json={"version": f"acme/versioned:{first}", "input": {}},
            headers={"Prefer": "wait"},
        ).json()["output"]
        == "one"
    )


def test_demo_model_schemas(client: httpx.Client) -> None:
    def output_of(name: str) -> dict:
        model = client.get(f"/v1/models/replicate/{name}").json()
        return model["latest_version"]["openapi_schema"]["components"]["schemas"]["Output"]

    assert output_of("hello-world")["type"] == "string"
    assert output_of("llm-streamer")["x-cog-array-display"] == "concatenate"
    assert output_of("image-maker")["format"] == "uri"
    hello_input = client.get("/v1/models/replicate/hello-world").json()["latest_version"][
        "openapi_schema"
    ]
    assert hello_input["components"]["schemas"]["Input"]["required"] == ["text"]


def test_annotated_input_metadata() -> None:
    def fn(a: Count, b: Count = 3) -> int:
        return a + b

    props = input_schema(fn)["properties"]
    assert props["a"]["description"] == "A count" and "default" not in props["a"]
    assert props["b"]["default"] == 3 and props["b"]["minimum"] == 0
    assert input_schema(fn)["required"] == ["a"]


def test_cog_style_predictor_class(client: httpx.Client, emu: Emulator) -> None:
    class Predictor:
        def setup(self) -> None:
            self.greeting = "hi"

        def predict(self, name: str = Input(description="Who")) -> str:
            return f"{self.greeting} {name}"

    emu.add_model("acme/predictor-class", Predictor)
    schema = client.get("/v1/models/acme/predictor-class").json()["latest_version"][
        "openapi_schema"
    ]
    assert list(schema["components"]["schemas"]["Input"]["properties"]) == ["name"]
    body = client.post(
        "/v1/models/acme/predictor-class/predictions",
        json={"input": {"name": "bob"}},
        headers={"Prefer": "wait"},
    ).json()
    assert body["output"] == "hi bob"
