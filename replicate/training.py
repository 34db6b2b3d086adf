"""Trainings: the `Training` resource and the `Trainings` namespace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Union

from typing_extensions import NotRequired, TypedDict, Unpack

from replicate._polling import async_wait_for_terminal_status, wait_for_terminal_status
from replicate.helpers import FileEncodingStrategy, async_encode_json, encode_json
from replicate.pagination import Cursor, Page, list_path, parse_page
from replicate.prediction import PredictionStatus, WebhookEvent, check_create_params
from replicate.resource import Namespace, Operation, Resource, parse_resource, path_segment
from replicate.version import Version, model_owner_and_name

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.model import Model


class Training(Resource):
    """A training of a model hosted on Replicate."""

    id: str
    """The unique ID of the training."""

    model: str
    """The model being trained, `owner/name`."""

    version: Union[str, Version]
    """The version of the model being trained."""

    destination: Optional[str] = None
    """The model that receives the trained version, `owner/name`."""

    status: PredictionStatus
    """The status of the training."""

    input: Optional[Dict[str, Any]] = None
    """The input to the training."""

    output: Optional[Any] = None
    """The output of the training: `{"version": ..., "weights": ...}` when it succeeds."""

    logs: Optional[str] = None
    """The logs of the training."""

    error: Optional[str] = None
    """The error encountered during the training, if any."""

    created_at: Optional[str] = None
    """When the training was created."""

    started_at: Optional[str] = None
    """When the training was started."""

    completed_at: Optional[str] = None
    """When the training was completed, if finished."""

    urls: Optional[Dict[str, str]] = None
    """URLs for the training: `get` and `cancel`."""

    def reload(self) -> None:
        """Load this training from the server."""
        self._update_from(self._require_client().trainings.get(self.id))

    async def async_reload(self) -> None:
        """Load this training from the server asynchronously."""
        self._update_from(await self._require_client().trainings.async_get(self.id))

    def cancel(self) -> None:
        """Cancel this training."""
        self._update_from(self._require_client().trainings.cancel(self.id))

    async def async_cancel(self) -> None:
        """Cancel this training asynchronously."""
        self._update_from(await self._require_client().trainings.async_cancel(self.id))

    def wait(
        self,
        timeout: Optional[float] = None,
        *,
        on_progress: Optional[Callable[[Training], None]] = None,
    ) -> None:
        """Wait until the training finishes (TimeoutError if `timeout` seconds pass first)."""
        wait_for_terminal_status(self, timeout, on_progress)

    async def async_wait(
        self,
        timeout: Optional[float] = None,
        *,
        on_progress: Optional[Callable[[Training], None]] = None,
    ) -> None:
        """Wait until the training finishes, without blocking the event loop."""
        await async_wait_for_terminal_status(self, timeout, on_progress)


_TRAINING_PARAMS = frozenset(
    ["destination", "webhook", "webhook_completed", "webhook_events_filter", "file_encoding_strategy"]
)


class Trainings(Namespace):
    """Namespace for operations related to trainings."""

    class CreateTrainingParams(TypedDict):
        """Parameters for creating a training."""

        destination: Union[str, Tuple[str, str], Model]
        """The model that receives the new version."""

        webhook: NotRequired[str]
        webhook_completed: NotRequired[str]
        webhook_events_filter: NotRequired[List[WebhookEvent]]
        file_encoding_strategy: NotRequired[FileEncodingStrategy]

    def get(self, id: Optional[str] = None, *, training_id: Optional[str] = None) -> Training:
        """Get a training by ID."""
        return self._client._execute(self._get(id or training_id))

    async def async_get(self, id: Optional[str] = None, *, training_id: Optional[str] = None) -> Training:
        """Get a training by ID."""
        return await self._client._async_execute(self._get(id or training_id))

    def list(self, cursor: Cursor = ...) -> Page[Training]:
        """List your trainings, one page at a time."""
        return self._client._execute(self._list(cursor))

    async def async_list(self, cursor: Cursor = ...) -> Page[Training]:
        """List your trainings, one page at a time."""
        return await self._client._async_execute(self._list(cursor))

    def cancel(self, id: Optional[str] = None, *, training_id: Optional[str] = None) -> Training:
        """Cancel a training."""
        return self._client._execute(self._cancel(id or training_id))

    async def async_cancel(self, id: Optional[str] = None, *, training_id: Optional[str] = None) -> Training:
        """Cancel a training."""
        return await self._client._async_execute(self._cancel(id or training_id))

    def create(self, *args: Any, **kwargs: Any) -> Training:
        """Create a training.

        Accepts ``create("owner/name:version", input, destination=...)``,
        ``create(model, version, input, destination=...)`` and the keyword forms
        ``model=, version=`` or ``model_owner=, model_name=, version_id=``.
        """
        path, input, params = training_target(*args, **kwargs)
        encoded = encode_json(input, self._client, params.get("file_encoding_strategy"), argument="input")
        return self._client._execute(self._create(path, encoded, params))

    async def async_create(self, *args: Any, **kwargs: Any) -> Training:
        """Create a training; accepts the same arguments as `create`."""
        path, input, params = training_target(*args, **kwargs)
        encoded = await async_encode_json(input, self._client, params.get("file_encoding_strategy"), argument="input")
        return await self._client._async_execute(self._create(path, encoded, params))

    def _get(self, id: Optional[str]) -> Operation[Training]:
        return Operation("GET", f"/v1/trainings/{path_segment('id', id)}", parse_resource(Training, self._client))

    def _list(self, cursor: Cursor) -> Operation[Page[Training]]:
        return Operation("GET", list_path("/v1/trainings", cursor), parse_page(Training, self._client))

    def _cancel(self, id: Optional[str]) -> Operation[Training]:
        path = f"/v1/trainings/{path_segment('id', id)}/cancel"
        return Operation("POST", path, parse_resource(Training, self._client))

    def _create(self, path: str, input: Any, params: Dict[str, Any]) -> Operation[Training]:
        body: Dict[str, Any] = {}
        if input is not None:
            body["input"] = input
        destination = params.get("destination")
        if destination is not None:
            owner, name = model_owner_and_name(destination)
            body["destination"] = f"{owner}/{name}"
        for key in ("webhook", "webhook_completed", "webhook_events_filter"):
            if params.get(key) is not None:
                body[key] = params[key]
        return Operation("POST", path, parse_resource(Training, self._client), json=body)


def training_target(*args: Any, **kwargs: Any) -> Tuple[str, Optional[Dict[str, Any]], Dict[str, Any]]:
    """The trainings endpoint, the input and the remaining parameters of a `create` call."""
    model = kwargs.pop("model", None)
    version = kwargs.pop("version", None)
    input = kwargs.pop("input", None)
    model_owner = kwargs.pop("model_owner", None)
    model_name = kwargs.pop("model_name", None)
    version_id = kwargs.pop("version_id", None)
    if len(args) == 3:
        model, version, input = args
    elif len(args) in (1, 2):
        version = args[0]
        if len(args) == 2:
            input = args[1]
    elif len(args) > 3:
        raise TypeError(f"create() takes at most 3 positional arguments, got {len(args)}")
    check_create_params(kwargs, _TRAINING_PARAMS)

    if model_owner or model_name or version_id:
        model, version = (model_owner, model_name), version_id
    if isinstance(version, Version):
        version = version.id
    if model is None and isinstance(version, str) and ":" in version:
        model, version = version.split(":", 1)
    if model is None or not version:
        raise ValueError(
            "a model and version are required: 'owner/name:version', (model, version), "
            "or model_owner=, model_name=, version_id="
        )
    owner, name = model_owner_and_name(model)
    path = f"/v1/models/{owner}/{name}/versions/{path_segment('version', version)}/trainings"
    return path, input, kwargs
