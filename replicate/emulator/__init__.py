"""A faithful local emulator of the Replicate HTTP API, for tests and demos.

Install with ``pip install "replicate[emulator]"``::

    from replicate.emulator import Emulator

    with Emulator() as emu:
        print(emu.base_url)  # point REPLICATE_BASE_URL here

The core ``replicate`` package never imports this subpackage.
"""

from __future__ import annotations

from .emulator import Emulator
from .faults import FaultRule, Faults
from .proxy import FaultProxy, ProxyRule
from .schema import ConcatenateIterator, Input
from .stats import RequestRecord, Stats
from .webhooks import WebhookDelivery

__all__ = [
    "ConcatenateIterator",
    "Emulator",
    "FaultProxy",
    "FaultRule",
    "Faults",
    "Input",
    "ProxyRule",
    "RequestRecord",
    "Stats",
    "WebhookDelivery",
]
