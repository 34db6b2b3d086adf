"""Type-checked by `make lint` (mypy --strict and pyright), never run: the overloads whose
result is knowable from the arguments, and the package-level names that type precisely."""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator, List, Union

from typing_extensions import assert_type

import replicate
from replicate.client import Client
from replicate.hardware import Hardware
from replicate.helpers import JSONValue
from replicate.model import Models
from replicate.pagination import Page
from replicate.prediction import Prediction, Predictions
from replicate.search import SearchResponse
from replicate.stream import ServerSentEvent
from replicate.use import AsyncFunction, Function, OutputIterator


def run_without_file_outputs(client: Client) -> None:
    # use_file_output=False: the output as the API sent it, never a FileOutput.
    assert_type(client.run("o/n", input={}, use_file_output=False), Union[JSONValue, Iterator[JSONValue]])
    assert_type(replicate.run("o/n", use_file_output=False), Union[JSONValue, Iterator[JSONValue]])
    assert_type(replicate.run("o/n", use_file_output=None), Union[JSONValue, Iterator[JSONValue]])
    # Otherwise files may be FileOutputs anywhere in the output: nothing narrower than Any.
    assert_type(client.run("o/n", input={}), Union[Any, Iterator[Any]])
    assert_type(replicate.run("o/n", input={}, use_file_output=True), Union[Any, Iterator[Any]])


async def async_run_without_file_outputs(client: Client) -> None:
    output = await client.async_run("o/n", input={}, use_file_output=False)
    assert_type(output, Union[JSONValue, AsyncIterator[JSONValue]])
    assert_type(await replicate.async_run("o/n", input={}), Union[Any, AsyncIterator[Any]])


def use_streaming() -> None:
    # streaming=True: each call gives an OutputIterator of output items (iterable, replayable,
    # async-iterable), with or without a hint.
    assert_type(replicate.use("o/n", streaming=True), Function[..., OutputIterator[Any]])
    assert_type(replicate.use("o/n", streaming=True, use_async=True), AsyncFunction[..., OutputIterator[Any]])
    assert_type(replicate.use("o/n"), Function[..., Any])

    def hint(prompt: str) -> str:
        raise NotImplementedError

    flux = replicate.use("o/n", hint=hint, streaming=True)
    for token in flux(prompt="hi"):
        assert_type(token, str)


def package_names() -> None:
    assert_type(replicate.default_client, Client)
    assert_type(replicate.predictions, Predictions)
    assert_type(replicate.models, Models)
    assert_type(replicate.predictions.list(), Page[Prediction])
    assert_type(replicate.search("q"), SearchResponse)
    assert_type(replicate.stream("o/n", input={}), Iterator[ServerSentEvent])
    assert_type(replicate.hardware.list(), List[Hardware])
