"""Hardware: the `Hardware` resource and the `HardwareNamespace`."""

from __future__ import annotations

from typing import List

from typing_extensions import deprecated

from replicate._operation import Operation
from replicate.resource import Namespace, Resource, parse_resource_list


class Hardware(Resource):
    """A hardware SKU that models can run on."""

    sku: str
    """The SKU of the hardware, e.g. `gpu-t4`."""

    name: str
    """The name of the hardware, e.g. `Nvidia T4 GPU`."""

    @property
    @deprecated("Use `sku` instead of `id`")
    def id(self) -> str:
        """The SKU (v0's identifier for hardware)."""
        return self.sku


class HardwareNamespace(Namespace):
    """Namespace for operations related to hardware."""

    def list(self) -> List[Hardware]:
        """List the hardware available for running models."""
        return self._client._execute(self._list())

    async def async_list(self) -> List[Hardware]:
        """List the hardware available for running models."""
        return await self._client._async_execute(self._list())

    def _list(self) -> Operation[List[Hardware]]:
        return Operation("GET", "/v1/hardware", parse_resource_list(Hardware, self._client))
