"""Webhooks: the signing secret, and verification of the webhooks Replicate sends."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Union

from replicate.resource import Namespace, Operation, Resource, parse_resource

if TYPE_CHECKING:
    import httpx

DEFAULT_TOLERANCE = 300
"""Webhooks whose timestamp is further than this many seconds from now are rejected."""


class _Unset:
    def __repr__(self) -> str:
        return "<default tolerance: 300 seconds>"


_DEFAULT_TOLERANCE: Any = _Unset()


class WebhookSigningSecret(Resource):
    """The secret that signs the webhooks sent to you, `whsec_<base64 key>`."""

    key: str


class WebhookValidationError(ValueError):
    """A webhook failed validation."""


class MissingWebhookHeaderError(WebhookValidationError):
    """A webhook-id, webhook-timestamp or webhook-signature header is missing."""


class InvalidSecretKeyError(WebhookValidationError):
    """The signing secret is missing or malformed."""


class MissingWebhookBodyError(WebhookValidationError):
    """The webhook has no body."""


class InvalidTimestampError(WebhookValidationError):
    """The webhook-timestamp is not a number, or too far from now."""


class InvalidSignatureError(WebhookValidationError):
    """No signature in the webhook-signature header matches the body."""


class _SecretEndpoint:
    """`webhooks.default.secret`: call it (v0) or use `.get()` (newer SDK)."""

    def __init__(self, namespace: Webhooks.Default) -> None:
        self._namespace = namespace

    def __call__(self) -> WebhookSigningSecret:
        return self.get()

    def get(self) -> WebhookSigningSecret:
        """Get the signing secret of the default webhook."""
        namespace = self._namespace
        return namespace._client._execute(namespace._secret())

    async def async_get(self) -> WebhookSigningSecret:
        """Get the signing secret of the default webhook."""
        namespace = self._namespace
        return await namespace._client._async_execute(namespace._secret())


class Webhooks(Namespace):
    """Namespace for operations related to webhooks."""

    class Default(Namespace):
        """The default webhook."""

        @property
        def secret(self) -> _SecretEndpoint:
            """The signing secret: `secret()` or `secret.get()`."""
            return _SecretEndpoint(self)

        async def async_secret(self) -> WebhookSigningSecret:
            """Get the signing secret of the default webhook."""
            return await self._client._async_execute(self._secret())

        def _secret(self) -> Operation[WebhookSigningSecret]:
            return Operation("GET", "/v1/webhooks/default/secret", parse_resource(WebhookSigningSecret, self._client))

    @property
    def default(self) -> Webhooks.Default:
        """The default webhook."""
        return Webhooks.Default(self._client)

    @staticmethod
    def validate(
        request: Optional[httpx.Request] = None,
        headers: Optional[Mapping[str, str]] = None,
        body: Optional[Union[str, bytes]] = None,
        secret: Optional[WebhookSigningSecret] = None,
        tolerance: Optional[int] = _DEFAULT_TOLERANCE,
    ) -> bool:
        """Verify a webhook's signature (Standard Webhooks); raise WebhookValidationError if bad.

        Give either the `request`, or its `headers` and raw `body`. Timestamps more than
        `tolerance` seconds (default 300) from now are rejected; `tolerance=None` skips that
        check, as v0 did. Returns True when the webhook is valid.
        """
        if request is not None:
            headers = request.headers
            body = request.content
        if not secret or not getattr(secret, "key", None):
            raise InvalidSecretKeyError("Missing webhook secret")
        if not headers:
            raise MissingWebhookHeaderError("Missing webhook headers")
        lowered: Dict[str, str] = {str(name).lower(): str(value) for name, value in headers.items()}
        webhook_id = _required_header(lowered, "webhook-id")
        timestamp = _required_header(lowered, "webhook-timestamp")
        signatures = _required_header(lowered, "webhook-signature")
        if not body:
            raise MissingWebhookBodyError("Missing webhook body")
        _check_timestamp(timestamp, DEFAULT_TOLERANCE if tolerance is _DEFAULT_TOLERANCE else tolerance)

        body_bytes = body if isinstance(body, bytes) else str(body).encode("utf-8")
        signed = f"{webhook_id}.{timestamp}.".encode() + body_bytes
        digest = hmac.new(_secret_key(secret.key), signed, hashlib.sha256).digest()
        expected = base64.b64encode(digest)
        for entry in signatures.split():
            version, _, signature = entry.partition(",")
            if version == "v1" and hmac.compare_digest(expected, signature.encode()):
                return True
        raise InvalidSignatureError("Webhook signature is invalid")


def _required_header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise MissingWebhookHeaderError(f"Missing {name} header")
    return value


def _check_timestamp(timestamp: str, tolerance: Optional[int]) -> None:
    try:
        sent = int(timestamp)
    except ValueError:
        raise InvalidTimestampError(f"Invalid webhook-timestamp {timestamp!r}: expected unix seconds")
    if tolerance is not None and abs(time.time() - sent) > tolerance:
        raise InvalidTimestampError(
            f"Webhook timestamp {sent} is more than {tolerance} seconds from now"
        )


def _secret_key(key: str) -> bytes:
    encoded = key[len("whsec_") :] if key.startswith("whsec_") else key
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecretKeyError("Invalid webhook secret: expected whsec_<base64>")
