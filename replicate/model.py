"""Models: the `Model` resource, the `Models` namespace and predictions on official models."""

from __future__ import annotations

import functools
from typing import Any, Dict, Literal, Mapping, Optional, Tuple, Union

from typing_extensions import NotRequired, TypedDict, Unpack, deprecated

from replicate._operation import Operation, drop_none, parse_deleted, parse_text
from replicate.exceptions import ReplicateException
from replicate.identifier import ModelVersionIdentifier
from replicate.pagination import Cursor, Page, list_path, parse_page
from replicate.prediction import Prediction, Predictions, async_create_prediction, create_prediction
from replicate.resource import Namespace, Resource, parse_resource
from replicate.version import Version, Versions, model_owner_and_name


class Model(Resource):
    """A machine learning model hosted on Replicate."""

    url: str
    """The URL of the model."""

    owner: str
    """The owner of the model."""

    name: str
    """The name of the model."""

    description: Optional[str] = None
    """The description of the model."""

    visibility: Literal["public", "private"]
    """The visibility of the model."""

    github_url: Optional[str] = None
    """The GitHub URL of the model."""

    paper_url: Optional[str] = None
    """The URL of the paper related to the model."""

    license_url: Optional[str] = None
    """The URL of the license for the model."""

    run_count: int
    """The number of runs of the model."""

    cover_image_url: Optional[str] = None
    """The URL of the cover image for the model."""

    default_example: Optional[Prediction] = None
    """The default example of the model."""

    latest_version: Optional[Version] = None
    """The latest version of the model."""

    @property
    def id(self) -> str:
        """The model's `owner/name`."""
        return f"{self.owner}/{self.name}"

    @property
    @deprecated("Use `model.owner` instead.")
    def username(self) -> str:
        """The owner of the model (deprecated: use `owner`)."""
        return self.owner

    @username.setter
    @deprecated("Use `model.owner` instead.")
    def username(self, value: str) -> None:
        self.owner = value

    def predict(self, *args: Any, **kwargs: Any) -> None:
        """Removed in v0: use `replicate.run()` or `predictions.create()`."""
        raise ReplicateException(
            "The `model.predict()` method has been removed, because it's unstable: if a new version of "
            "the model you're using is pushed and its API has changed, your code may break. "
            "Use `replicate.run()` instead. See https://github.com/replicate/replicate-python#readme"
        )

    @property
    def versions(self) -> Versions:
        """The versions of this model."""
        return Versions(client=self._require_client(), model=self)

    def reload(self) -> None:
        """Load this model from the server."""
        self._update_from(Models(self._require_client()).get(self.owner, self.name))

    async def async_reload(self) -> None:
        """Load this model from the server asynchronously."""
        self._update_from(await Models(self._require_client()).async_get(self.owner, self.name))


class ModelsPredictions(Namespace):
    """Namespace for predictions on a model by name (official models run without a version)."""

    def create(
        self,
        model: Optional[Union[str, Tuple[str, str], Model]] = None,
        input: Optional[Dict[str, Any]] = None,
        *,
        model_owner: Optional[str] = None,
        model_name: Optional[str] = None,
        **params: Unpack[Predictions.CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction on a model's latest version."""
        path = model_predictions_path(model or (model_owner, model_name))
        return create_prediction(self._client, path, input or {}, params)

    async def async_create(
        self,
        model: Optional[Union[str, Tuple[str, str], Model]] = None,
        input: Optional[Dict[str, Any]] = None,
        *,
        model_owner: Optional[str] = None,
        model_name: Optional[str] = None,
        **params: Unpack[Predictions.CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction on a model's latest version."""
        path = model_predictions_path(model or (model_owner, model_name))
        return await async_create_prediction(self._client, path, input or {}, params)


class ModelReadme(Namespace):
    """A model's README (`client.models.readme.get(model_owner=, model_name=)`)."""

    def get(self, *args: Any, **kwargs: Any) -> str:
        """The model's README, as Markdown."""
        return self._client._execute(self._get(model_path(*args, **kwargs)))

    async def async_get(self, *args: Any, **kwargs: Any) -> str:
        """The model's README, as Markdown."""
        return await self._client._async_execute(self._get(model_path(*args, **kwargs)))

    def _get(self, path: str) -> Operation[str]:
        return Operation("GET", path + "/readme", parse_text)


class ModelExamples(Namespace):
    """A model's example predictions (`client.models.examples.list(model_owner=, model_name=)`)."""

    def list(self, *args: Any, **kwargs: Any) -> Page[Prediction]:
        """The model's example predictions, one page at a time."""
        return self._client._execute(self._list(model_path(*args, **kwargs)))

    async def async_list(self, *args: Any, **kwargs: Any) -> Page[Prediction]:
        """The model's example predictions, one page at a time."""
        return await self._client._async_execute(self._list(model_path(*args, **kwargs)))

    def _list(self, path: str) -> Operation[Page[Prediction]]:
        return Operation("GET", path + "/examples", parse_page(Prediction, self._client))


class ModelVersions(Namespace):
    """Versions of any model by name: `client.models.versions.get(model_owner=, model_name=, version_id=)`."""

    def list(self, model_owner: str, model_name: str, *, cursor: Cursor = ...) -> Page[Version]:
        """List a model's versions, newest first."""
        return self._versions(model_owner, model_name).list(cursor)

    async def async_list(self, model_owner: str, model_name: str, *, cursor: Cursor = ...) -> Page[Version]:
        """List a model's versions, newest first."""
        return await self._versions(model_owner, model_name).async_list(cursor)

    def get(self, model_owner: str, model_name: str, version_id: str) -> Version:
        """Get a version of a model."""
        return self._versions(model_owner, model_name).get(version_id)

    async def async_get(self, model_owner: str, model_name: str, version_id: str) -> Version:
        """Get a version of a model."""
        return await self._versions(model_owner, model_name).async_get(version_id)

    def delete(self, model_owner: str, model_name: str, version_id: str) -> bool:
        """Delete a version of a model; True when it was deleted."""
        return self._versions(model_owner, model_name).delete(version_id)

    async def async_delete(self, model_owner: str, model_name: str, version_id: str) -> bool:
        """Delete a version of a model; True when it was deleted."""
        return await self._versions(model_owner, model_name).async_delete(version_id)

    def _versions(self, model_owner: str, model_name: str) -> Versions:
        return Versions(client=self._client, model=(model_owner, model_name))


class Models(Namespace):
    """Namespace for operations related to models."""

    class CreateModelParams(TypedDict):
        """Parameters for creating a model."""

        hardware: str
        """The SKU of the hardware to run the model on (see `hardware.list`)."""

        visibility: Literal["public", "private"]
        """Whether the model is public or private."""

        description: NotRequired[str]
        github_url: NotRequired[str]
        paper_url: NotRequired[str]
        license_url: NotRequired[str]
        cover_image_url: NotRequired[str]

    @functools.cached_property
    def predictions(self) -> ModelsPredictions:
        """Predictions on models by name."""
        return ModelsPredictions(client=self._client)

    @functools.cached_property
    def versions(self) -> ModelVersions:
        """Versions of models by name."""
        return ModelVersions(client=self._client)

    @functools.cached_property
    def readme(self) -> ModelReadme:
        """Models' READMEs."""
        return ModelReadme(client=self._client)

    @functools.cached_property
    def examples(self) -> ModelExamples:
        """Models' example predictions."""
        return ModelExamples(client=self._client)

    def update(self, *args: Any, **params: Any) -> Model:
        """Update a model's metadata (PATCH): `update("owner/name", description=...)` or
        `update(model_owner=, model_name=, description=...)`."""
        path, body = _model_and_fields(args, params)
        return self._client._execute(self._update(path, body))

    async def async_update(self, *args: Any, **params: Any) -> Model:
        """Update a model's metadata (PATCH)."""
        path, body = _model_and_fields(args, params)
        return await self._client._async_execute(self._update(path, body))

    def _update(self, path: str, body: Dict[str, Any]) -> Operation[Model]:
        return Operation("PATCH", path, parse_resource(Model, self._client), json=body)

    def get(self, *args: Any, **kwargs: Any) -> Model:
        """Get a model: `get("owner/name")`, `get("owner", "name")` or `get(model_owner=, model_name=)`."""
        return self._client._execute(self._get(model_path(*args, **kwargs)))

    async def async_get(self, *args: Any, **kwargs: Any) -> Model:
        """Get a model: `get("owner/name")`, `get("owner", "name")` or `get(model_owner=, model_name=)`."""
        return await self._client._async_execute(self._get(model_path(*args, **kwargs)))

    def list(
        self,
        cursor: Cursor = ...,
        *,
        sort_by: Optional[str] = None,
        sort_direction: Optional[str] = None,
    ) -> Page[Model]:
        """List public models, one page at a time."""
        return self._client._execute(self._list(cursor, sort_by, sort_direction))

    async def async_list(
        self,
        cursor: Cursor = ...,
        *,
        sort_by: Optional[str] = None,
        sort_direction: Optional[str] = None,
    ) -> Page[Model]:
        """List public models, one page at a time."""
        return await self._client._async_execute(self._list(cursor, sort_by, sort_direction))

    def search(self, query: str) -> Page[Model]:
        """Search public models (HTTP method QUERY, the query as a text/plain body)."""
        return self._client._execute(self._search(query))

    async def async_search(self, query: str) -> Page[Model]:
        """Search public models (HTTP method QUERY, the query as a text/plain body)."""
        return await self._client._async_execute(self._search(query))

    def create(self, owner: str, name: str, **params: Unpack[Models.CreateModelParams]) -> Model:
        """Create a model."""
        return self._client._execute(self._create(owner, name, params))

    async def async_create(self, owner: str, name: str, **params: Unpack[Models.CreateModelParams]) -> Model:
        """Create a model."""
        return await self._client._async_execute(self._create(owner, name, params))

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        """Delete a model (it must have no versions); True when it was deleted."""
        return self._client._execute(self._delete(model_path(*args, **kwargs)))

    async def async_delete(self, *args: Any, **kwargs: Any) -> bool:
        """Delete a model (it must have no versions); True when it was deleted."""
        return await self._client._async_execute(self._delete(model_path(*args, **kwargs)))

    def _get(self, path: str) -> Operation[Model]:
        return Operation("GET", path, parse_resource(Model, self._client))

    def _list(
        self, cursor: Cursor, sort_by: Optional[str], sort_direction: Optional[str]
    ) -> Operation[Page[Model]]:
        params = drop_none({"sort_by": sort_by, "sort_direction": sort_direction})
        options: Dict[str, Any] = {"params": params} if params else {}
        return Operation("GET", list_path("/v1/models", cursor), parse_page(Model, self._client), **options)

    def _search(self, query: str) -> Operation[Page[Model]]:
        if not isinstance(query, str) or not query.strip():
            raise ValueError(f"query must be a non-empty string, got {query!r}")
        return Operation(
            "QUERY",
            "/v1/models",
            parse_page(Model, self._client),
            content=query,
            headers={"Content-Type": "text/plain"},
        )

    def _create(self, owner: str, name: str, params: Mapping[str, Any]) -> Operation[Model]:
        missing = [f"'{key}'" for key in ("visibility", "hardware") if key not in params]
        if missing:  # v0 raised this TypeError from a private helper; this one names create()
            count = "1 required keyword-only argument" if len(missing) == 1 else f"{len(missing)} required keyword-only arguments"
            raise TypeError(f"Models.create() missing {count}: {' and '.join(missing)}")
        body = {"owner": owner, "name": name, **params}
        return Operation("POST", "/v1/models", parse_resource(Model, self._client), json=body)

    def _delete(self, path: str) -> Operation[bool]:
        return Operation("DELETE", path, parse_deleted)


_UPDATABLE_FIELDS = frozenset(["description", "readme", "github_url", "paper_url", "license_url", "weights_url"])


def _model_and_fields(args: Tuple[Any, ...], params: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
    """Split an update call into the model's path and the fields to change."""
    naming = {key: params.pop(key) for key in ("model_owner", "model_name", "owner", "name", "key") if key in params}
    unknown = sorted(set(params) - _UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected field(s) for models.update: {', '.join(unknown)}")
    if not params:
        raise ValueError(f"models.update needs at least one field to change: {sorted(_UPDATABLE_FIELDS)}")
    return model_path(*args, **naming), params


def model_path(*args: Any, **kwargs: Any) -> str:
    """`/v1/models/{owner}/{name}` from v0's ways of naming a model (`"owner/name"`, `owner,
    name`, `key=`, `owner=`/`name=`) and the newer SDK's `model_owner=`/`model_name=`, with
    v0's errors."""
    if args and kwargs:
        raise ValueError("Cannot mix positional and keyword arguments")
    owner = kwargs.get("model_owner") or kwargs.get("owner")
    name = kwargs.get("model_name") or kwargs.get("name")
    key = kwargs.get("key")
    if key and (owner or name):
        raise ValueError("Must specify exactly one of 'owner' and 'name' or single 'key' in the format 'owner/name'")
    if len(args) == 1:
        key = args[0]
    elif len(args) == 2:
        owner, name = args
    elif args:
        raise ValueError("Invalid number of arguments")
    if key is None and (owner is None or name is None):
        raise ValueError("Both 'owner' and 'name' must be provided if 'key' is not specified.")
    # An empty or dotted part is refused below, naming it.
    owner, name = model_owner_and_name(key if key is not None else (owner, name))
    return f"/v1/models/{owner}/{name}"


def model_predictions_path(model: Any) -> str:
    """The predictions endpoint of a model given as a Model, (owner, name) or 'owner/name'."""
    if isinstance(model, str):
        owner, name, version = ModelVersionIdentifier.parse(model)
        if version is not None:
            raise ValueError(
                f"Invalid reference to model version: {model}. Expected model or reference in the format owner/name"
            )
    elif not isinstance(model, (Model, tuple)):
        raise ValueError("model must be a Model, a tuple of (owner, name), or a string in the format 'owner/name'")
    owner, name = model_owner_and_name(model)
    return f"/v1/models/{owner}/{name}/predictions"
