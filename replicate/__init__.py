"""Python client for Replicate, a drop-in replacement for replicate 0.x/1.0.x.

``import replicate`` is cheap: it reads no token and builds no HTTP client. The module-level
functions and namespaces (``replicate.run``, ``replicate.predictions``, ...) belong to
``replicate.default_client``, which is created on first use.
"""

from __future__ import annotations

import importlib as _importlib
import sys as _sys
import threading as _threading
import types as _types
from typing import TYPE_CHECKING, Any

from replicate._version import __version__

if TYPE_CHECKING:
    from replicate._sdk import (
        AsyncReplicate,
        DefaultAsyncHttpxClient,
        DefaultHttpxClient,
        Replicate,
    )
    from replicate.account import Accounts
    from replicate.client import Client
    from replicate.collection import Collections
    from replicate.deployment import Deployments
    from replicate.file import Files
    from replicate.hardware import HardwareNamespace
    from replicate.model import Models
    from replicate.pagination import async_paginate, paginate
    from replicate.prediction import Predictions
    from replicate.training import Trainings
    from replicate.use import get_path_url, use
    from replicate.webhook import Webhooks

    default_client: Client = Client()
    run = default_client.run
    async_run = default_client.async_run
    stream = default_client.stream
    async_stream = default_client.async_stream
    accounts: Accounts
    search = default_client.search
    async_search = default_client.async_search
    collections: Collections
    deployments: Deployments
    files: Files
    hardware: HardwareNamespace
    models: Models
    predictions: Predictions
    trainings: Trainings
    webhooks: Webhooks

__all__ = [
    "AsyncReplicate",
    "Client",
    "DefaultAsyncHttpxClient",
    "DefaultHttpxClient",
    "Replicate",
    "__version__",
    "accounts",
    "async_paginate",
    "async_run",
    "async_stream",
    "collections",
    "default_client",
    "deployments",
    "files",
    "get_path_url",
    "hardware",
    "models",
    "paginate",
    "predictions",
    "run",
    "search",
    "stream",
    "trainings",
    "use",
    "webhooks",
]

# Attributes of `default_client` that the package exposes as its own.
_DEFAULT_CLIENT_ATTRIBUTES = frozenset(
    [
        "run",
        "async_run",
        "stream",
        "async_stream",
        "accounts",
        "collections",
        "deployments",
        "files",
        "hardware",
        "models",
        "predictions",
        "search",
        "async_search",
        "trainings",
        "webhooks",
    ]
)

# Names imported from a submodule on first access, to keep `import replicate` fast.
_LAZY_NAMES = {
    "Client": "replicate.client",
    "Replicate": "replicate._sdk",
    "AsyncReplicate": "replicate._sdk",
    "DefaultHttpxClient": "replicate._sdk",
    "DefaultAsyncHttpxClient": "replicate._sdk",
    "paginate": "replicate.pagination",
    "async_paginate": "replicate.pagination",
    "use": "replicate.use",
    "get_path_url": "replicate.use",
}

_SUBMODULES = frozenset(
    [
        "account",
        "client",
        "collection",
        "deployment",
        "exceptions",
        "file",
        "hardware",
        "helpers",
        "identifier",
        "model",
        "pagination",
        "prediction",
        "resource",
        "run",
        "schema",
        "stream",
        "training",
        "types",
        "use",
        "version",
        "webhook",
    ]
)

_SHADOWED_BY_SUBMODULES = _DEFAULT_CLIENT_ATTRIBUTES | {"use"}

_default_client_lock = _threading.Lock()


def _get_default_client() -> Client:
    client = globals().get("default_client")
    if client is None:
        with _default_client_lock:
            client = globals().get("default_client")
            if client is None:
                from replicate.client import Client

                client = globals()["default_client"] = Client()
    return client


def __getattr__(name: str) -> Any:
    if name == "default_client":
        return _get_default_client()
    if name in _DEFAULT_CLIENT_ATTRIBUTES:
        return getattr(_get_default_client(), name)
    if name in _LAZY_NAMES:
        value = getattr(_importlib.import_module(_LAZY_NAMES[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return _importlib.import_module(f"replicate.{name}")
    raise AttributeError(f"module 'replicate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


class _PackageModule(_types.ModuleType):
    """The package's module type: importing the submodules `run`, `stream`, `use` and `hardware`
    must not replace the functions and namespace of the same name, as a plain package would."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED_BY_SUBMODULES and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _PackageModule
