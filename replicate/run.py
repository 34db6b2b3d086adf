"""`run` and `async_run`: create a prediction, wait for it, and return its output."""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from typing_extensions import Unpack

from replicate._operation import (
    Answer,
    Operation,
    is_text,
    is_timestamp,
    parse_answer,
    path_segment,
)
from replicate._polling import (
    async_iterate_stream_output,
    has_finished,
    has_stream,
    iterate_stream_output,
)
from replicate._prediction_request import async_send_create, send_create
from replicate.exceptions import ModelError
from replicate.helpers import transform_output
from replicate.identifier import resolve_ref
from replicate.schema import is_iterator, output_schema, output_schema_of, yields_text

if TYPE_CHECKING:
    import httpx

    from replicate.client import Client, WaitStrategy
    from replicate.identifier import ModelVersionIdentifier
    from replicate.model import Model
    from replicate.prediction import Prediction, RunParams
    from replicate.resource import Resource
    from replicate.version import Version

__all__ = ["async_run", "run"]

R = TypeVar("R", bound="Resource")

Ref = Union["Model", "Version", "ModelVersionIdentifier", str]


def run(
    client: Client,
    ref: Ref,
    input: Optional[Dict[str, Any]] = None,
    *,
    use_file_output: Optional[bool] = True,
    **params: Unpack[RunParams],
) -> Union[Any, Iterator[Any]]:
    """Run a model and return its output; an iterator for models that yield their output.

    By default the API holds the request until the prediction finishes (`wait=True`); a
    prediction that outlasts the hold is then polled (or streamed) until it is terminal.
    A failed prediction raises ModelError.
    """
    target = Target(ref, input, dict(params), default_wait=True)
    target.hold_unless_iterator(client)
    answer = target.send(client)
    output = target.output_schema(client)
    iterator = is_iterator(output)
    if target.finished_within_hold(answer):
        if target.on_progress is not None:
            target.on_progress(answer.resource)
    else:
        prediction = answer.resource
        strategy = target.strategy(client)
        if iterator:
            if items_from_stream(strategy, prediction, output):
                source: Iterator[Any] = iterate_stream_output(prediction)
            else:
                source = prediction.output_iterator()
            items = _reporting(source, prediction, target.on_progress)
            return _transformed(items, client, use_file_output)
        prediction.wait(on_progress=target.on_progress, strategy=strategy)
    return finished_output(answer, iterator, client, use_file_output)


async def async_run(
    client: Client,
    ref: Ref,
    input: Optional[Dict[str, Any]] = None,
    *,
    use_file_output: Optional[bool] = True,
    **params: Unpack[RunParams],
) -> Union[Any, AsyncIterator[Any]]:
    """Run a model and return its output, without blocking the event loop.

    Models that yield their output return an async iterator.
    """
    target = Target(ref, input, dict(params), default_wait=True)
    target.hold_unless_iterator(client)
    answer = await target.async_send(client)
    output = await target.async_output_schema(client)
    iterator = is_iterator(output)
    if target.finished_within_hold(answer):
        if target.on_progress is not None:
            target.on_progress(answer.resource)
    else:
        prediction = answer.resource
        strategy = target.strategy(client)
        if iterator:
            if items_from_stream(strategy, prediction, output):
                source: AsyncIterator[Any] = async_iterate_stream_output(prediction)
            else:
                source = prediction.async_output_iterator()
            items = _async_reporting(source, prediction, target.on_progress)
            return _async_transformed(items, client, use_file_output)
        await prediction.async_wait(on_progress=target.on_progress, strategy=strategy)
    result = finished_output(answer, iterator, client, use_file_output)
    if iterator and isinstance(result, Iterator):
        return _as_async_iterator(result)  # pyright: ignore[reportUnknownArgumentType]
    return result


class Target:
    """What a model reference asks for: which endpoint creates the prediction, and with what.

    `run` and `stream` share it, so both send the same requests for the same reference.
    """

    def __init__(
        self,
        ref: Any,
        input: Optional[Dict[str, Any]],
        params: Dict[str, Any],
        *,
        default_wait: bool = False,
    ) -> None:
        self.version: Optional[Version]
        self.version_id: Optional[str]
        self.version, owner, name, self.version_id = resolve_ref(ref)
        self.model: Tuple[str, str] = (owner or "", name or "")
        self.on_progress: Optional[Callable[[Prediction], None]] = params.pop("on_progress", None)
        if self.on_progress is not None and not callable(self.on_progress):
            raise TypeError(f"on_progress must be callable, got {self.on_progress!r}")
        self.wait_strategy: Optional[str] = params.pop("wait_strategy", None)
        if self.wait_strategy is not None:
            from replicate.client import check_wait_strategy

            check_wait_strategy(self.wait_strategy)  # before anything is sent
        self.hold_chosen: bool = "wait" in params  # by the caller
        if default_wait:
            params.setdefault("wait", True)
        self.input: Dict[str, Any] = input or {}
        self.params: Dict[str, Any] = params
        # v0 fetches the version after the create, to learn the output's shape, only when the
        # reference names owner, name and version and is not a Version object already.
        self.version_to_fetch: Optional[str] = (
            self.version_id if self.version is None and owner and name and self.version_id else None
        )

    def finished_within_hold(self, answer: Answer[Prediction]) -> bool:
        """Whether the create's answer already holds the whole output.

        A `Prefer: wait` hold that ends with the model done answers `processing` (it turns
        `succeeded` a moment later) with the complete output; only `starting` means the hold
        expired first. v0 and the newer SDK both read it so; see WIRE.md "Blocking mode".
        """
        if self.params.get("wait") is False:
            return has_finished(answer.resource)
        return bool(answer.field("status") != "starting")

    def hold_unless_iterator(self, client: Client) -> None:
        """Under the stream strategy (the default of `Replicate`), create an iterator model's
        prediction without a `Prefer: wait` hold, which would keep every item back until the
        model finishes: its items then reach the caller as they are produced.

        Only when the caller chose no hold and passed a Version, whose schema says so before
        the create; other references send v0's requests (the version is read after the create).
        """
        if (
            self.version is not None
            and not self.hold_chosen
            and self.strategy(client) == "stream"
            and is_iterator(output_schema(self.version))
        ):
            self.params["wait"] = False

    def strategy(self, client: Client) -> WaitStrategy:
        """How to wait: this call's `wait_strategy`, else the client's."""
        from replicate.client import check_wait_strategy

        return check_wait_strategy(self.wait_strategy or client.wait_strategy)

    def create(self, client: Client) -> Prediction:
        """Create the prediction."""
        return self.send(client).resource

    async def async_create(self, client: Client) -> Prediction:
        """Create the prediction asynchronously."""
        return (await self.async_send(client)).resource

    def send(self, client: Client) -> Answer[Prediction]:
        """Create the prediction; its answer is read as a Prediction only when needed.

        Not through the namespaces, as in v0: a patch of `replicate.predictions.create` does
        not see the predictions that run() and stream() create.
        """
        return send_create(client, self._path(), self.input, self.params, _prediction_answer(client), self.version_id)

    async def async_send(self, client: Client) -> Answer[Prediction]:
        """Create the prediction asynchronously; read as a Prediction only when needed."""
        return await async_send_create(
            client, self._path(), self.input, self.params, _prediction_answer(client), self.version_id
        )

    def output_schema(self, client: Client) -> Dict[str, Any]:
        """The Output schema of the version; fetched (after the create, as in v0) when the
        reference names owner, name and version."""
        if self.version_to_fetch is None:
            return output_schema(self.version)
        return _schema_of(client._execute(self._get_version(client, self.version_to_fetch)))

    async def async_output_schema(self, client: Client) -> Dict[str, Any]:
        """The Output schema of the version, fetched asynchronously if need be."""
        if self.version_to_fetch is None:
            return output_schema(self.version)
        return _schema_of(await client._async_execute(self._get_version(client, self.version_to_fetch)))

    def _path(self) -> str:
        if self.version_id is not None:
            return "/v1/predictions"
        return f"{self._model_path()}/predictions"

    def _get_version(self, client: Client, version_id: str) -> Operation[Answer[Version]]:
        path = f"{self._model_path()}/versions/{path_segment('id', version_id)}"
        return Operation("GET", path, _read_when_needed(client, _version_class, {"id": is_text, "created_at": is_timestamp}))

    def _model_path(self) -> str:
        owner, name = self.model
        return f"/v1/models/{path_segment('model owner', owner)}/{path_segment('model name', name)}"


def _read_when_needed(
    client: Client, resource_class: Callable[[], Type[R]], required: Dict[str, Callable[[Any], bool]]
) -> Callable[[httpx.Response], Answer[R]]:
    """A parser of one resource, read from its JSON only when needed (pydantic is loaded then)."""

    def read(data: Any) -> R:
        return resource_class().model_validate(data, context={"client": client})

    def parse_eagerly(response: httpx.Response) -> R:
        from replicate.resource import parse_resource

        return parse_resource(resource_class(), client)(response)

    return parse_answer(required, read, parse_eagerly)


def _prediction_answer(client: Client) -> Callable[[httpx.Response], Answer[Prediction]]:
    return _read_when_needed(client, _prediction_class, {"id": is_text, "version": is_text, "status": is_text})


def _prediction_class() -> Type[Prediction]:
    from replicate.prediction import Prediction

    return Prediction


def _version_class() -> Type[Version]:
    from replicate.version import Version

    return Version


def _schema_of(version: Answer[Version]) -> Dict[str, Any]:
    return output_schema_of(version.field("openapi_schema"), version.field("cog_version"))


def items_from_stream(strategy: str, prediction: Prediction, output: Dict[str, Any]) -> bool:
    """Whether an iterator's items should come from the event stream rather than polling.

    Only text items: the stream carries each item as text, so other types would lose theirs.
    """
    return strategy == "stream" and has_stream(prediction) and yields_text(output)


def finished_output(
    prediction: Answer[Prediction], iterator: bool, client: Client, use_file_output: Optional[bool]
) -> Any:
    """The output of a terminal prediction, as `run` returns it; ModelError if it failed."""
    if prediction.field("status") == "failed":
        raise ModelError(prediction.resource)
    output = prediction.field("output")
    if iterator and output is not None:
        items: List[Any] = output if isinstance(output, list) else [output]  # pyright: ignore[reportUnknownVariableType]
        return _transformed(iter(items), client, use_file_output)
    return transform_output(output, client) if use_file_output else output


def _transformed(items: Iterable[Any], client: Client, use_file_output: Optional[bool]) -> Iterator[Any]:
    for item in items:
        yield transform_output(item, client) if use_file_output else item


async def _async_transformed(
    items: AsyncIterator[Any], client: Client, use_file_output: Optional[bool]
) -> AsyncIterator[Any]:
    async for item in items:
        yield transform_output(item, client) if use_file_output else item


def _reporting(
    items: Iterator[Any], prediction: Prediction, on_progress: Optional[Callable[[Prediction], None]]
) -> Iterator[Any]:
    # Iterator outputs report progress as each item arrives.
    for item in items:
        if on_progress is not None:
            on_progress(prediction)
        yield item


async def _async_reporting(
    items: AsyncIterator[Any], prediction: Prediction, on_progress: Optional[Callable[[Prediction], None]]
) -> AsyncIterator[Any]:
    async for item in items:
        if on_progress is not None:
            on_progress(prediction)
        yield item


async def _as_async_iterator(items: Iterator[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item
