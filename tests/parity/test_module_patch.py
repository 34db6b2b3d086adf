"""A patch of `replicate.predictions.create` is what runs for calls made through the module.

This is how users mock this package in their own tests (and how OpenTelemetry instruments it):
it works only if `replicate.predictions` is one object, not a new namespace per access.
"""

from __future__ import annotations

from unittest import mock

import replicate


def test_mock_patch_of_module_predictions_create_is_what_runs() -> None:
    sentinel = object()
    with mock.patch("replicate.predictions.create", return_value=sentinel) as create:
        result = replicate.predictions.create(version="owner/name:version", input={"text": "hi"})
    assert result is sentinel
    create.assert_called_once_with(version="owner/name:version", input={"text": "hi"})
    assert replicate.predictions.create is not create  # the patch is undone on exit


def test_patch_of_a_clients_namespace_method_is_what_runs() -> None:
    client = replicate.Client(api_token="r8_test")
    with mock.patch.object(client.predictions, "create", return_value="patched") as create:
        assert client.predictions.create(version="v", input={}) == "patched"
    create.assert_called_once_with(version="v", input={})
