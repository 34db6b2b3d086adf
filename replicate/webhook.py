"""Webhooks: the signing secret, and verification of the webhooks Replicate sends."""

from __future__ import annotations

import base64
import binascii
import functools
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

    @functools.cached_property
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
        key = _secret_key(secret)
        lowered = _lowered_headers(headers)
        webhook_id = _required_header(lowered, "webhook-id")
        timestamp = _required_header(lowered, "webhook-timestamp")
        signatures = _required_header(lowered, "webhook-signature")
        body_bytes = _body_bytes(body)
        _check_timestamp(timestamp, DEFAULT_TOLERANCE if tolerance is _DEFAULT_TOLERANCE else tolerance)

        signed = _utf8(f"{webhook_id}.{timestamp}.") + body_bytes
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
        # Several signatures may be sent (while a secret is rotated); any one of them may match.
        for entry in signatures.split():
            version, _, signature = entry.partition(",")
            if version == "v1" and hmac.compare_digest(expected, _utf8(signature)):
                return True
        raise InvalidSignatureError("Webhook signature is invalid")


def _utf8(text: str) -> bytes:
    # Lone surrogates can't be signed by anyone, but must fail as a bad signature, not crash.
    return text.encode("utf-8", "surrogatepass")


def _lowered_headers(headers: Any) -> Dict[str, str]:
    if not headers:
        raise MissingWebhookHeaderError("Missing webhook headers")
    try:
        items = list(headers.items())
    except (AttributeError, TypeError):
        raise MissingWebhookHeaderError(f"webhook headers must be a mapping, got {type(headers).__name__}")
    return {str(name).lower(): str(value) for name, value in items}


def _body_bytes(body: Any) -> bytes:
    if isinstance(body, str):
        body = _utf8(body)
    elif isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    if not isinstance(body, bytes):
        raise MissingWebhookBodyError(f"webhook body must be str or bytes, got {type(body).__name__}")
    if not body:
        raise MissingWebhookBodyError("Missing webhook body")
    return body


def _required_header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise MissingWebhookHeaderError(f"Missing {name} header")
    return value


def _check_timestamp(timestamp: str, tolerance: Optional[float]) -> None:
    if not timestamp.isascii() or not timestamp.strip().isdigit():
        raise InvalidTimestampError(f"Invalid webhook-timestamp {timestamp!r}: expected unix seconds")
    sent = int(timestamp)
    if tolerance is not None and abs(time.time() - sent) > tolerance:
        raise InvalidTimestampError(f"Webhook timestamp {sent} is more than {tolerance} seconds from now")


def _secret_key(secret: Any) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (a WebhookSigningSecret or its key)."""
    key = secret if isinstance(secret, str) else getattr(secret, "key", None)
    if not key:
        raise InvalidSecretKeyError("Missing webhook secret")
    if not isinstance(key, str):
        raise InvalidSecretKeyError(f"webhook secret key must be a string, got {type(key).__name__}")
    encoded = key[len("whsec_") :] if key.startswith("whsec_") else key
    try:
        decoded = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecretKeyError("Invalid webhook secret: expected whsec_<base64>")
    if not decoded:
        raise InvalidSecretKeyError("Invalid webhook secret: the key is empty")
    return decoded
