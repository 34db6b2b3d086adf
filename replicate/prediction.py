"""Predictions: the `Prediction` resource and the `Predictions` namespace."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Tuple,
    Union,
)

import httpx
from pydantic import WrapValidator
from typing_extensions import Annotated, NotRequired, TypedDict, Unpack

from replicate._operation import Operation, drop_none, path_segment
from replicate._polling import (
    async_follow_stream,
    async_iterate_output,
    async_wait_for_terminal_status,
    follow_stream,
    iterate_output,
    wait_for_terminal_status,
)
from replicate._prediction_request import async_send_create, send_create
from replicate.helpers import FileEncodingStrategy
from replicate.pagination import Cursor, Page, list_path, parse_page
from replicate.resource import Namespace, Resource, keep_unknown_text, parse_resource

if TYPE_CHECKING:
    from replicate.client import Client, WaitStrategy
    from replicate.deployment import Deployment
    from replicate.model import Model
    from replicate.stream import ServerSentEvent
    from replicate.version import Version

PredictionStatus = Literal["starting", "processing", "succeeded", "failed", "canceled", "aborted"]
WebhookEvent = Literal["start", "output", "logs", "completed"]

class Prediction(Resource):
    """A prediction made by a model hosted on Replicate."""

    id: str
    """The unique ID of the prediction."""

    model: str = ""
    """An identifier for the model used to create the prediction, in the form `owner/name`.

    Empty in the rare answers that omit it (older predictions read back by id).
    """

    version: str
    """The version of the model used, or `hidden` for official models."""

    status: Annotated[PredictionStatus, WrapValidator(keep_unknown_text)]
    """The status of the prediction."""

    input: Optional[Dict[str, Any]] = None
    """The input to the prediction."""

    output: Optional[Any] = None
    """The output of the prediction."""

    logs: Optional[str] = None
    """The logs of the prediction."""

    error: Optional[str] = None
    """The error encountered during the prediction, if any."""

    metrics: Optional[Dict[str, Any]] = None
    """Metrics for the prediction, such as `predict_time`."""

    created_at: Optional[str] = None
    """When the prediction was created."""

    started_at: Optional[str] = None
    """When the prediction was started."""

    completed_at: Optional[str] = None
    """When the prediction was completed, if finished."""

    urls: Optional[Dict[str, Optional[str]]] = None
    """URLs for the prediction: `get`, `cancel`, `web`, and `stream` for streaming models."""

    @dataclass
    class Progress:
        """The progress of a prediction, read from the tqdm-style bars in its logs."""

        percentage: float
        """How far along, from 0.0 to 1.0."""

        current: int
        """The current step."""

        total: int
        """The total number of steps."""

        @classmethod
        def parse(cls, logs: str) -> Optional[Prediction.Progress]:
            """The progress shown by the last progress bar in `logs`, if any."""
            # tqdm redraws its bar with "\r"; the last bar drawn is the current one.
            for line in reversed(re.split(r"[\r\n]", logs or "")):
                match = re.match(_PROGRESS_PATTERN, line)
                if match:
                    percentage, current, total = (int(group) for group in match.groups())
                    return cls(percentage / 100.0, current, total)
            return None

    @property
    def progress(self) -> Optional[Prediction.Progress]:
        """The progress of the prediction, if its logs show any."""
        if not self.logs:
            return None
        return Prediction.Progress.parse(self.logs)

    def wait(
        self,
        timeout: Optional[float] = None,
        *,
        on_progress: Optional[Callable[[Prediction], None]] = None,
        strategy: Optional[WaitStrategy] = None,
    ) -> None:
        """Wait until the prediction finishes.

        By default (`strategy="poll"`, unless the client says otherwise) it polls every
        `client.poll_interval` seconds, as v0 did; `strategy="stream"` follows the
        prediction's event stream instead. Raises TimeoutError if `timeout` seconds pass
        first. `on_progress` is called with the prediction each time its logs change.
        """
        if self._wait_strategy(strategy) == "stream":
            follow_stream(self, timeout, on_progress)
        else:
            wait_for_terminal_status(self, timeout, on_progress)

    async def async_wait(
        self,
        timeout: Optional[float] = None,
        *,
        on_progress: Optional[Callable[[Prediction], None]] = None,
        strategy: Optional[WaitStrategy] = None,
    ) -> None:
        """Wait until the prediction finishes, without blocking the event loop."""
        if self._wait_strategy(strategy) == "stream":
            await async_follow_stream(self, timeout, on_progress)
        else:
            await async_wait_for_terminal_status(self, timeout, on_progress)

    def _wait_strategy(self, strategy: Optional[WaitStrategy]) -> WaitStrategy:
        from replicate.client import check_wait_strategy

        if strategy is not None:
            return check_wait_strategy(strategy)
        return self._client.wait_strategy if self._client is not None else "poll"

    def reload(self) -> None:
        """Load this prediction from the server."""
        self._update_from(Predictions(self._require_client()).get(self.id))

    async def async_reload(self) -> None:
        """Load this prediction from the server asynchronously."""
        self._update_from(await Predictions(self._require_client()).async_get(self.id))

    def cancel(self) -> None:
        """Cancel this prediction."""
        self._update_from(Predictions(self._require_client()).cancel(self.id))

    async def async_cancel(self) -> None:
        """Cancel this prediction asynchronously."""
        self._update_from(await Predictions(self._require_client()).async_cancel(self.id))

    def output_iterator(self) -> Iterator[Any]:
        """Yield the output items as the model produces them, polling until it finishes."""
        return iterate_output(self)

    async def async_output_iterator(self) -> AsyncIterator[Any]:
        """Yield the output items as the model produces them, polling until it finishes."""
        async for item in async_iterate_output(self):
            yield item

    def stream(self, use_file_output: Optional[bool] = None) -> Iterator[ServerSentEvent]:
        """Stream the prediction's events from `urls.stream`.

        Raises ReplicateError if the model does not support streaming.
        """
        from replicate.stream import stream_prediction

        return stream_prediction(self, use_file_output=use_file_output)

    async def async_stream(self, use_file_output: Optional[bool] = None) -> AsyncIterator[ServerSentEvent]:
        """Stream the prediction's events from `urls.stream` asynchronously."""
        from replicate.stream import async_stream_prediction

        async for event in async_stream_prediction(self, use_file_output=use_file_output):
            yield event


# Patterns as text, compiled (and cached) by `re` on first use rather than at import.
_PROGRESS_PATTERN = r"^\s*(\d+)%\s*\|.+?\|\s*(\d+)\/(\d+)"


class CreatePredictionRequestParams(TypedDict):
    """The per-request options a prediction create sends besides its body."""

    headers: NotRequired[Optional[Dict[str, str]]]
    timeout: NotRequired[Optional[httpx.Timeout]]


class Predictions(Namespace):
    """Namespace for operations related to predictions."""

    class CreatePredictionParams(TypedDict):
        """Parameters for creating a prediction."""

        webhook: NotRequired[str]
        """A URL to call with the prediction when it changes (see webhook_events_filter)."""

        webhook_completed: NotRequired[str]
        """A URL to call when the prediction completes."""

        webhook_events_filter: NotRequired[List[WebhookEvent]]
        """Which events trigger the webhook: start, output, logs, completed."""

        stream: NotRequired[bool]
        """Ask for a stream URL (the API now always returns one for streaming models)."""

        wait: NotRequired[Union[int, bool]]
        """Hold the request until the prediction finishes: True (up to 60 s), or 1 to 60 seconds."""

        file_encoding_strategy: NotRequired[FileEncodingStrategy]
        """How file inputs are sent: "url" uploads them (default), "base64" inlines them."""

        cancel_after: NotRequired[Union[str, int, float, datetime.timedelta]]
        """Cancel the prediction if it runs longer than this ("30s", "5m", or seconds)."""

    def get(self, id: Optional[str] = None, *, prediction_id: Optional[str] = None) -> Prediction:
        """Get a prediction by ID (also as `prediction_id=`)."""
        return self._client._execute(self._get(id or prediction_id))

    async def async_get(self, id: Optional[str] = None, *, prediction_id: Optional[str] = None) -> Prediction:
        """Get a prediction by ID (also as `prediction_id=`)."""
        return await self._client._async_execute(self._get(id or prediction_id))

    def list(
        self,
        cursor: Cursor = ...,
        *,
        created_after: Optional[Union[str, datetime.datetime]] = None,
        created_before: Optional[Union[str, datetime.datetime]] = None,
        source: Optional[Literal["web"]] = None,
    ) -> Page[Prediction]:
        """List your predictions, one page at a time (pass `Page.next` as the cursor)."""
        return self._client._execute(self._list(cursor, created_after, created_before, source))

    async def async_list(
        self,
        cursor: Cursor = ...,
        *,
        created_after: Optional[Union[str, datetime.datetime]] = None,
        created_before: Optional[Union[str, datetime.datetime]] = None,
        source: Optional[Literal["web"]] = None,
    ) -> Page[Prediction]:
        """List your predictions, one page at a time (pass `Page.next` as the cursor)."""
        return await self._client._async_execute(self._list(cursor, created_after, created_before, source))

    def cancel(self, id: Optional[str] = None, *, prediction_id: Optional[str] = None) -> Prediction:
        """Cancel a prediction; returns it as the API reports it after the cancel."""
        return self._client._execute(self._cancel(id or prediction_id))

    async def async_cancel(self, id: Optional[str] = None, *, prediction_id: Optional[str] = None) -> Prediction:
        """Cancel a prediction; returns it as the API reports it after the cancel."""
        return await self._client._async_execute(self._cancel(id or prediction_id))

    def wait(
        self,
        prediction_id: str,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[Callable[[Prediction], None]] = None,
        strategy: Optional[WaitStrategy] = None,
    ) -> Prediction:
        """Get a prediction and wait until it finishes; TimeoutError after `timeout` seconds."""
        prediction = self.get(prediction_id)
        prediction.wait(timeout, on_progress=on_progress, strategy=strategy)
        return prediction

    async def async_wait(
        self,
        prediction_id: str,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[Callable[[Prediction], None]] = None,
        strategy: Optional[WaitStrategy] = None,
    ) -> Prediction:
        """Get a prediction and wait until it finishes, without blocking the event loop."""
        prediction = await self.async_get(prediction_id)
        await prediction.async_wait(timeout, on_progress=on_progress, strategy=strategy)
        return prediction

    def create(
        self,
        *args: Any,
        model: Optional[Union[str, Tuple[str, str], Model]] = None,
        version: Optional[Union[Version, str]] = None,
        deployment: Optional[Union[str, Tuple[str, str], Deployment]] = None,
        input: Optional[Dict[str, Any]] = None,
        **params: Unpack[Predictions.CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction for exactly one of a model `version`, a `model` or a `deployment`.

        `version` and `input` may also be given positionally, as in v0.
        """
        path, version_id, input = _create_target(args, model, version, deployment, input, self._client._newer_style)
        return create_prediction(self._client, path, input, params, version=version_id)

    async def async_create(
        self,
        *args: Any,
        model: Optional[Union[str, Tuple[str, str], Model]] = None,
        version: Optional[Union[Version, str]] = None,
        deployment: Optional[Union[str, Tuple[str, str], Deployment]] = None,
        input: Optional[Dict[str, Any]] = None,
        **params: Unpack[Predictions.CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction for exactly one of a model `version`, a `model` or a `deployment`."""
        path, version_id, input = _create_target(args, model, version, deployment, input, self._client._newer_style)
        return await async_create_prediction(self._client, path, input, params, version=version_id)

    def _get(self, id: Optional[str]) -> Operation[Prediction]:
        path = f"/v1/predictions/{path_segment('id', id)}"
        return Operation("GET", path, parse_resource(Prediction, self._client))

    def _list(
        self, cursor: Cursor, created_after: Any = None, created_before: Any = None, source: Any = None
    ) -> Operation[Page[Prediction]]:
        filters = drop_none(
            {
                "created_after": _timestamp(created_after),
                "created_before": _timestamp(created_before),
                "source": source,
            }
        )
        options: Dict[str, Any] = {"params": filters} if filters else {}
        path = list_path("/v1/predictions", cursor)
        return Operation("GET", path, parse_page(Prediction, self._client), **options)

    def _cancel(self, id: Optional[str]) -> Operation[Prediction]:
        path = f"/v1/predictions/{path_segment('id', id)}/cancel"
        return Operation("POST", path, parse_resource(Prediction, self._client))


class RunParams(Predictions.CreatePredictionParams):
    """Parameters of `run`, `async_run` and `stream`: a prediction's, and how to wait for it."""

    on_progress: NotRequired[Callable[[Prediction], None]]
    """Called with the prediction as it progresses (and once with the finished prediction)."""

    wait_strategy: NotRequired[WaitStrategy]
    """How to wait: "poll" (v0's requests) or "stream" (follow the event stream)."""


def _timestamp(value: Any) -> Optional[str]:
    """An RFC 3339 timestamp for a list filter."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    raise ValueError(f"expected a datetime or an RFC 3339 string, got {value!r}")


def _create_target(
    args: Tuple[Any, ...],
    model: Any,
    version: Any,
    deployment: Any,
    input: Optional[Dict[str, Any]],
    newer_style: bool = False,
) -> Tuple[str, Optional[str], Optional[Dict[str, Any]]]:
    """The endpoint, version id and input for `predictions.create`'s arguments."""
    from replicate.deployment import deployment_predictions_path
    from replicate.model import model_predictions_path
    from replicate.version import Version

    if len(args) > 2:
        raise TypeError(f"create() takes at most 2 positional arguments (version, input), got {len(args)}")
    if args:
        version = args[0]
        if len(args) > 1:
            input = args[1]
    given = [name for name, value in (("model", model), ("version", version), ("deployment", deployment)) if value]
    if len(given) != 1:
        raise ValueError("Exactly one of 'model', 'version', or 'deployment' must be specified.")
    if model:
        # `model="owner/name:version"` names a version in the newer SDK's style; v0 refuses it.
        if newer_style and isinstance(model, str) and ":" in model:
            return "/v1/predictions", model.split(":", 1)[1], input
        return model_predictions_path(model), None, input
    if deployment:
        return deployment_predictions_path(deployment), None, input
    if isinstance(version, Version):
        return "/v1/predictions", version.id, input
    if not isinstance(version, str):
        raise ValueError(f"version must be a Version or a version id string, got {version!r}")
    return "/v1/predictions", version, input


def create_prediction(
    client: Client,
    path: str,
    input: Optional[Dict[str, Any]],
    params: Mapping[str, Any],
    *,
    version: Optional[str] = None,
) -> Prediction:
    """Create a prediction at `path` (versions, models or deployments endpoint)."""
    return send_create(client, path, input, params, parse_resource(Prediction, client), version)


async def async_create_prediction(
    client: Client,
    path: str,
    input: Optional[Dict[str, Any]],
    params: Mapping[str, Any],
    *,
    version: Optional[str] = None,
) -> Prediction:
    """Create a prediction at `path`, uploading file inputs asynchronously."""
    return await async_send_create(client, path, input, params, parse_resource(Prediction, client), version)
