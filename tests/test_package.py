"""The package root: lazy import, v0's names, and the default client."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx
import pytest

import replicate
from replicate.client import Client


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_import_builds_no_client_and_loads_no_http_stack() -> None:
    output = run_python(
        """
        import sys, replicate
        print("httpx" in sys.modules, "pydantic" in sys.modules, "default_client" in vars(replicate))
        """
    )
    assert output == "False False False"


def test_token_set_after_import_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json=[])

    client = Client(transport=httpx.MockTransport(handler))
    client.hardware.list()
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_later")
    client.hardware.list()
    assert seen == [None, "Bearer r8_later"]


@pytest.mark.parametrize(
    "name",
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
        "trainings",
        "webhooks",
    ],
)
def test_module_level_names_belong_to_the_default_client(name: str) -> None:
    value = getattr(replicate, name)
    assert value is not None
    owner = getattr(value, "__self__", None) or getattr(value, "_client", None)
    assert owner is replicate.default_client


def test_module_exposes_v0_names() -> None:
    assert replicate.Client is Client
    assert callable(replicate.paginate)
    assert callable(replicate.async_paginate)
    assert isinstance(replicate.default_client, Client)
    for name in replicate.__all__:
        assert hasattr(replicate, name), name


def test_importing_submodules_keeps_the_functions() -> None:
    output = run_python(
        """
        import replicate, replicate.client, replicate.prediction
        import importlib
        print(callable(replicate.run), type(replicate.run).__name__)
        """
    )
    assert output == "True method"


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        replicate.nope  # noqa: B018


def test_version_is_exposed() -> None:
    from replicate._version import __version__

    assert replicate.__version__ == __version__


def test_a_new_client_loads_a_namespace_module_only_when_it_is_used() -> None:
    output = run_python(
        """
        import sys, replicate
        client = replicate.Client(api_token="r8_x")
        loaded = lambda: sorted(m for m in ("account", "model", "prediction", "training") if "replicate." + m in sys.modules)
        print(loaded())
        client.accounts
        print(loaded())
        """
    )
    assert output.splitlines() == ["[]", "['account']"]
