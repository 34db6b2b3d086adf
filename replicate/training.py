"""Trainings: the `Training` resource and the `Trainings` namespace."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple, Union, cast

from pydantic import WrapValidator, model_validator
from typing_extensions import Annotated, NotRequired, TypedDict, Unpack

from replicate._operation import Operation, path_segment
from replicate._polling import async_wait_for_terminal_status, wait_for_terminal_status
from replicate._prediction_request import check_create_params
from replicate.helpers import FileEncodingStrategy, async_encode_json, encode_json
from replicate.identifier import ModelVersionIdentifier
from replicate.pagination import Cursor, Page, list_path, parse_page
from replicate.prediction import PredictionStatus, WebhookEvent
from replicate.resource import Namespace, Resource, keep_unknown_text, parse_resource
from replicate.version import Version, model_owner_and_name

if TYPE_CHECKING:
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

    status: Annotated[PredictionStatus, WrapValidator(keep_unknown_text)]
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

    @model_validator(mode="after")
    def _destination_from_output(self) -> Training:
        # The API may leave `destination` out; a finished training names it in its output
        # version, `owner/name:id`, which v0 reads it from.
        output: Any = self.output
        version = cast("Dict[str, Any]", output).get("version") if isinstance(output, dict) else None
        if not self.destination and isinstance(version, str):
            match = _DESTINATION_PATTERN.fullmatch(version)
            if match:
                self.destination = match.group(1)
        return self

    def reload(self) -> None:
        """Load this training from the server."""
        self._update_from(Trainings(self._require_client()).get(self.id))

    async def async_reload(self) -> None:
        """Load this training from the server asynchronously."""
        self._update_from(await Trainings(self._require_client()).async_get(self.id))

    def cancel(self) -> None:
        """Cancel this training."""
        self._update_from(Trainings(self._require_client()).cancel(self.id))

    async def async_cancel(self) -> None:
        """Cancel this training asynchronously."""
        self._update_from(await Trainings(self._require_client()).async_cancel(self.id))

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


_TARGET_PARAMS = frozenset(["model_owner", "model_name", "version_id"])
_TRAINING_PARAMS = frozenset(
    ["destination", "webhook", "webhook_completed", "webhook_events_filter", "file_encoding_strategy"]
) | _TARGET_PARAMS


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

        model_owner: NotRequired[str]
        """The newer SDK's spelling of the model: its owner (with model_name and version_id)."""

        model_name: NotRequired[str]
        """The newer SDK's spelling of the model: its name."""

        version_id: NotRequired[str]
        """The newer SDK's spelling of the version: its ID."""

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

    def create(
        self,
        *args: Any,
        model: Optional[Union[str, Tuple[str, str], Model]] = None,
        version: Optional[Union[Version, str]] = None,
        input: Optional[Dict[str, Any]] = None,
        **params: Unpack[Trainings.CreateTrainingParams],
    ) -> Training:
        """Create a training of a model version; its result goes to `destination`.

        Takes v0's forms: ``create(version="owner/name:version", input=, destination=)``,
        ``create("owner/name:version", input, destination, webhook, webhook_completed,
        webhook_events_filter)`` and ``create(model=, version=, input=, destination=)``, and
        the newer SDK's ``model_owner=, model_name=, version_id=``.
        """
        path, input, body_params = training_target(args, model, version, input, params)
        encoded = encode_json(input, self._client, params.get("file_encoding_strategy"), argument="input")
        return self._client._execute(self._create(path, encoded, body_params))

    async def async_create(
        self,
        model: Optional[Union[str, Tuple[str, str], Model]] = None,
        version: Optional[Union[Version, str]] = None,
        input: Optional[Dict[str, Any]] = None,
        **params: Unpack[Trainings.CreateTrainingParams],
    ) -> Training:
        """Create a training of a model version: v0's positional ``(model, version, input)``,
        or `create`'s keyword forms."""
        path, input, body_params = training_target((), model, version, input, params)
        encoded = await async_encode_json(
            input, self._client, params.get("file_encoding_strategy"), argument="input"
        )
        return await self._client._async_execute(self._create(path, encoded, body_params))

    def _get(self, id: Optional[str]) -> Operation[Training]:
        return Operation("GET", f"/v1/trainings/{path_segment('id', id)}", parse_resource(Training, self._client))

    def _list(self, cursor: Cursor) -> Operation[Page[Training]]:
        return Operation("GET", list_path("/v1/trainings", cursor), parse_page(Training, self._client))

    def _cancel(self, id: Optional[str]) -> Operation[Training]:
        path = f"/v1/trainings/{path_segment('id', id)}/cancel"
        return Operation("POST", path, parse_resource(Training, self._client))

    def _create(self, path: str, input: Any, params: Mapping[str, Any]) -> Operation[Training]:
        body: Dict[str, Any] = {}
        if input is not None:
            body["input"] = input
        body["destination"] = params["destination"]
        for key in ("webhook", "webhook_completed", "webhook_events_filter"):
            if params.get(key) is not None:
                body[key] = params[key]
        return Operation("POST", path, parse_resource(Training, self._client), json=body)


# v0's positional `create(ref, input, destination, webhook, webhook_completed, webhook_events_filter)`.
_POSITIONAL_PARAMS = ("destination", "webhook", "webhook_completed", "webhook_events_filter")
_DESTINATION_PATTERN = re.compile(r"([^/:\s]+/[^/:\s]+):[^/:\s]+")


def training_target(
    args: Tuple[Any, ...],
    model: Any,
    version: Any,
    input: Optional[Dict[str, Any]],
    params: Mapping[str, Any],
) -> Tuple[str, Optional[Dict[str, Any]], Dict[str, Any]]:
    """The endpoint, input and body parameters of a `create` call, read as v0 reads them."""
    if len(args) > 2 + len(_POSITIONAL_PARAMS):
        raise TypeError(
            "create() takes at most 6 positional arguments ('owner/name:version', input, destination, "
            f"webhook, webhook_completed, webhook_events_filter), got {len(args)}"
        )
    body_params = {key: value for key, value in params.items() if key not in _TARGET_PARAMS}
    path: Optional[str] = None
    if args:
        # As in v0, the positional form wins over model=/version=.
        if args[0]:
            path = _trainings_path(*_shorthand(args[0]))
        if len(args) > 1:
            input = args[1]
        body_params.update(zip(_POSITIONAL_PARAMS, args[2:]))
    elif model and version:
        path = _trainings_path(_model_of(model), version)
    elif model is None and isinstance(version, str):
        path = _trainings_path(*_shorthand(version))
    elif params.get("model_owner") or params.get("model_name") or params.get("version_id"):
        owner_and_name = (params.get("model_owner"), params.get("model_name"))
        path = _trainings_path(owner_and_name, params.get("version_id"))
    if not path:
        raise ValueError("model and version or shorthand version must be specified")
    check_create_params(body_params, _TRAINING_PARAMS, "a training")
    body_params["destination"] = destination_name(body_params.get("destination"))
    return path, input, body_params


def _shorthand(ref: Any) -> Tuple[Tuple[str, str], Optional[str]]:
    """(owner, name) and version of v0's `owner/name:version` shorthand."""
    if not isinstance(ref, str):
        raise ValueError(f"Invalid reference to model version: {ref}. Expected format: owner/name:version")
    owner, name, version = ModelVersionIdentifier.parse(ref)
    if not version:
        # v0 sent `.../versions/None/trainings` here, which the API answers 404.
        raise ValueError(f"Invalid reference to model version: {ref}. Expected format: owner/name:version")
    return (owner, name), version


def _model_of(model: Any) -> Tuple[str, str]:
    """(owner, name) of a `model=` argument, with v0's errors."""
    if isinstance(model, str):
        owner, name, _ = ModelVersionIdentifier.parse(model)
        return owner, name
    from replicate.model import Model

    if isinstance(model, (tuple, Model)):
        return model_owner_and_name(model)
    raise ValueError("model must be a Model, a tuple of (owner, name), or a string in the format 'owner/name'")


def _trainings_path(model: Any, version: Any) -> str:
    owner, name = model_owner_and_name(model)
    version_id = version.id if isinstance(version, Version) else version
    return f"/v1/models/{owner}/{name}/versions/{path_segment('version', version_id)}/trainings"


def destination_name(destination: Any) -> str:
    """The `destination` body field: a string as given (v0 sends it unchecked), or `owner/name`."""
    if destination is None:
        raise ValueError("A destination must be provided as a positional or keyword argument.")
    if isinstance(destination, str):
        return destination
    owner, name = model_owner_and_name(destination)
    return f"{owner}/{name}"
