"""hardware.list: GET /v1/hardware answers a bare array, not a page."""

from __future__ import annotations

import pytest
from namespace_helpers import HARDWARE, api, assert_request, both_modes, call

from replicate.hardware import Hardware


@both_modes
async def test_list_returns_a_list_of_hardware(mode: str) -> None:
    fake, client = api((200, HARDWARE))
    hardware = await call(mode, client.hardware, "list")
    assert_request(fake.request, "GET", "/v1/hardware")
    assert isinstance(hardware, list)
    assert all(isinstance(item, Hardware) for item in hardware)
    assert [(h.sku, h.name) for h in hardware] == [("cpu", "CPU"), ("gpu-t4", "Nvidia T4 GPU")]
    with pytest.deprecated_call(match="Use `sku`"):  # as v0
        assert hardware[0].id == "cpu"
