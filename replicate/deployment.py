"""Deployments: the `Deployment` resource, the `Deployments` namespace and their predictions."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple, Union

from typing_extensions import TypedDict, Unpack, deprecated

from replicate._operation import Operation, parse_deleted, path_segment
from replicate.account import Account
from replicate.pagination import Cursor, Page, list_path, parse_page
from replicate.prediction import Prediction, Predictions, async_create_prediction, create_prediction
from replicate.resource import Namespace, Resource, parse_resource

if TYPE_CHECKING:
    from replicate.client import Client


class Deployment(Resource):
    """A deployment of a model hosted on Replicate."""

    class Release(Resource):
        """A release of a deployment."""

        class Configuration(Resource):
            """The hardware and scaling of a release."""

            hardware: str
            """The SKU of the hardware used to run the model."""

            min_instances: int
            """The minimum number of instances for scaling."""

            max_instances: int
            """The maximum number of instances for scaling."""

        number: int
        """The release number."""

        model: str
        """The model identifier string in the format of `{model_owner}/{model_name}`."""

        version: str
        """The ID of the model version used in the release."""

        created_at: str
        """The time the release was created."""

        created_by: Optional[Account] = None
        """The account that created the release."""

        configuration: Configuration
        """The deployment's hardware and scaling."""

    owner: str
    """The name of the user or organization that owns the deployment."""

    name: str
    """The name of the deployment."""

    current_release: Optional[Release] = None
    """The current release of the deployment."""

    @property
    def id(self) -> str:
        """The deployment's `owner/name`."""
        return f"{self.owner}/{self.name}"

    @property
    @deprecated("Use `deployment.owner` instead.")
    def username(self) -> str:
        """The owner of the deployment (deprecated: use `owner`)."""
        return self.owner

    @property
    def predictions(self) -> DeploymentPredictions:
        """Predictions on this deployment."""
        return DeploymentPredictions(client=self._require_client(), deployment=self)


class DeploymentPredictions(Namespace):
    """Namespace for the predictions of one deployment: `deployment.predictions.create(input)`."""

    def __init__(self, client: Client, deployment: Deployment) -> None:
        super().__init__(client=client)
        self._deployment = deployment

    def create(self, input: Dict[str, Any], **params: Unpack[Predictions.CreatePredictionParams]) -> Prediction:
        """Create a prediction on this deployment."""
        path = deployment_predictions_path(self._deployment)
        return create_prediction(self._client, path, input, params)

    async def async_create(
        self, input: Dict[str, Any], **params: Unpack[Predictions.CreatePredictionParams]
    ) -> Prediction:
        """Create a prediction on this deployment."""
        path = deployment_predictions_path(self._deployment)
        return await async_create_prediction(self._client, path, input, params)


class DeploymentsPredictions(Namespace):
    """Namespace for predictions on deployments by name."""

    def create(
        self,
        deployment: Optional[Union[str, Tuple[str, str], Deployment]] = None,
        input: Optional[Dict[str, Any]] = None,
        *,
        deployment_owner: Optional[str] = None,
        deployment_name: Optional[str] = None,
        **params: Unpack[Predictions.CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction on a deployment given as 'owner/name', (owner, name) or a Deployment."""
        path = deployment_predictions_path(deployment or (deployment_owner, deployment_name))
        return create_prediction(self._client, path, input or {}, params)

    async def async_create(
        self,
        deployment: Optional[Union[str, Tuple[str, str], Deployment]] = None,
        input: Optional[Dict[str, Any]] = None,
        *,
        deployment_owner: Optional[str] = None,
        deployment_name: Optional[str] = None,
        **params: Unpack[Predictions.CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction on a deployment given as 'owner/name', (owner, name) or a Deployment."""
        path = deployment_predictions_path(deployment or (deployment_owner, deployment_name))
        return await async_create_prediction(self._client, path, input or {}, params)


class Deployments(Namespace):
    """Namespace for operations related to deployments."""

    class CreateDeploymentParams(TypedDict):
        """Parameters for creating a deployment."""

        name: str
        model: str
        version: str
        hardware: str
        min_instances: int
        max_instances: int

    class UpdateDeploymentParams(TypedDict, total=False):
        """Parameters for updating a deployment; each is optional."""

        version: str
        hardware: str
        min_instances: int
        max_instances: int

    @functools.cached_property
    def predictions(self) -> DeploymentsPredictions:
        """Predictions on deployments by name."""
        return DeploymentsPredictions(client=self._client)

    def get(
        self,
        name: Optional[str] = None,
        *,
        deployment_owner: Optional[str] = None,
        deployment_name: Optional[str] = None,
    ) -> Deployment:
        """Get a deployment by 'owner/name' (or deployment_owner=, deployment_name=)."""
        return self._client._execute(self._get(deployment_path(name or (deployment_owner, deployment_name))))

    async def async_get(
        self,
        name: Optional[str] = None,
        *,
        deployment_owner: Optional[str] = None,
        deployment_name: Optional[str] = None,
    ) -> Deployment:
        """Get a deployment by 'owner/name' (or deployment_owner=, deployment_name=)."""
        path = deployment_path(name or (deployment_owner, deployment_name))
        return await self._client._async_execute(self._get(path))

    def list(self, cursor: Cursor = ...) -> Page[Deployment]:
        """List your deployments, one page at a time."""
        return self._client._execute(self._list(cursor))

    async def async_list(self, cursor: Cursor = ...) -> Page[Deployment]:
        """List your deployments, one page at a time."""
        return await self._client._async_execute(self._list(cursor))

    def create(self, **params: Unpack[Deployments.CreateDeploymentParams]) -> Deployment:
        """Create a deployment."""
        return self._client._execute(self._create(params))

    async def async_create(self, **params: Unpack[Deployments.CreateDeploymentParams]) -> Deployment:
        """Create a deployment."""
        return await self._client._async_execute(self._create(params))

    def update(
        self,
        deployment_owner: str,
        deployment_name: str,
        **params: Unpack[Deployments.UpdateDeploymentParams],
    ) -> Deployment:
        """Update a deployment's version, hardware or scaling (PATCH)."""
        return self._client._execute(self._update(deployment_owner, deployment_name, params))

    async def async_update(
        self,
        deployment_owner: str,
        deployment_name: str,
        **params: Unpack[Deployments.UpdateDeploymentParams],
    ) -> Deployment:
        """Update a deployment's version, hardware or scaling (PATCH)."""
        return await self._client._async_execute(self._update(deployment_owner, deployment_name, params))

    def delete(self, deployment_owner: str, deployment_name: str) -> bool:
        """Delete a deployment; True when it was deleted."""
        return self._client._execute(self._delete(deployment_owner, deployment_name))

    async def async_delete(self, deployment_owner: str, deployment_name: str) -> bool:
        """Delete a deployment; True when it was deleted."""
        return await self._client._async_execute(self._delete(deployment_owner, deployment_name))

    def _get(self, path: str) -> Operation[Deployment]:
        return Operation("GET", path, parse_resource(Deployment, self._client))

    def _list(self, cursor: Cursor) -> Operation[Page[Deployment]]:
        return Operation("GET", list_path("/v1/deployments", cursor), parse_page(Deployment, self._client))

    def _create(self, params: Mapping[str, Any]) -> Operation[Deployment]:
        body = dict(params)
        name = body.get("name")
        if isinstance(name, str) and "/" in name:
            # v0 sends only the name of an "owner/name": a deployment belongs to the token's account.
            body["name"] = name.split("/", 1)[1]
        return Operation("POST", "/v1/deployments", parse_resource(Deployment, self._client), json=body)

    def _update(self, owner: str, name: str, params: Mapping[str, Any]) -> Operation[Deployment]:
        path = deployment_path((owner, name))
        return Operation("PATCH", path, parse_resource(Deployment, self._client), json=dict(params))

    def _delete(self, owner: str, name: str) -> Operation[bool]:
        return Operation("DELETE", deployment_path((owner, name)), parse_deleted)


def deployment_owner_and_name(deployment: Any) -> Tuple[str, str]:
    """(owner, name) from a Deployment, an (owner, name) tuple or an 'owner/name' string."""
    if isinstance(deployment, Deployment):
        owner, name = deployment.owner, deployment.name
    elif isinstance(deployment, tuple) and len(deployment) == 2:  # pyright: ignore[reportUnknownArgumentType]
        owner, name = deployment  # pyright: ignore[reportUnknownVariableType]
    elif isinstance(deployment, str) and deployment.count("/") == 1:
        owner, name = deployment.split("/")
    else:
        # v0's message (for a string without a '/', v0 failed to unpack it).
        raise ValueError(
            "deployment must be a Deployment, a tuple of (owner, name), or a string in the format 'owner/name'"
        )
    return path_segment("deployment owner", owner), path_segment("deployment name", name)


def deployment_path(deployment: Any) -> str:
    """`/v1/deployments/{owner}/{name}`."""
    owner, name = deployment_owner_and_name(deployment)
    return f"/v1/deployments/{owner}/{name}"


def deployment_predictions_path(deployment: Any) -> str:
    """The predictions endpoint of a deployment."""
    return deployment_path(deployment) + "/predictions"
