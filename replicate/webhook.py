"""Webhooks: the signing secret, and verification of the webhooks Replicate sends."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Union, cast

from replicate._operation import Operation
from replicate.resource import Namespace, Resource, parse_resource

if TYPE_CHECKING:
    import httpx

DEFAULT_TOLERANCE = 300
"""On the newer-style surface (`Replicate().webhooks`), webhooks whose timestamp is further
than this many seconds from now are rejected; v0's `Webhooks.validate` checks no timestamp
unless given `tolerance=`."""


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
        tolerance: Optional[int] = None,
    ) -> None:
        """Verify a webhook's signature as v0 does; raise a WebhookValidationError if it is bad.

        Give either the `request`, or its `headers` and raw `body`. The timestamp is checked
        only when `tolerance` (seconds) is given. Returns None when the webhook is valid.
        """
        verify_webhook(request, headers, body, secret, tolerance, standard=False)


class StandardWebhooks(Webhooks):
    """The newer-style clients' webhooks (`Replicate().webhooks`): Standard Webhooks checks,
    with timestamps more than five minutes from now rejected by default."""

    @staticmethod
    def validate(
        request: Optional[httpx.Request] = None,
        headers: Optional[Mapping[str, str]] = None,
        body: Optional[Union[str, bytes]] = None,
        secret: Optional[WebhookSigningSecret] = None,
        tolerance: Optional[int] = DEFAULT_TOLERANCE,
    ) -> None:
        """Verify a webhook's signature; only `v1` signatures count, and webhooks stamped more
        than `tolerance` seconds (default 300) from now are rejected (`None` skips that)."""
        verify_webhook(request, headers, body, secret, tolerance, standard=True)


def verify_webhook(
    request: Any, headers: Any, body: Any, secret: Any, tolerance: Optional[float], *, standard: bool
) -> None:
    """Check a webhook in v0's order, with v0's exceptions and messages.

    `standard` adds what Standard Webhooks asks beyond v0: signatures of other versions than
    `v1` never match.
    """
    if not secret:
        raise ValueError("Missing webhook signing secret")
    if request is not None and any([headers, body]):
        raise ValueError("Only one of request or headers/body can be provided")
    if request is not None and request.headers:
        headers = request.headers
        body = request.content
    elif not headers:
        raise MissingWebhookHeaderError("Missing webhook headers")
    lowered = _lowered_headers(headers)
    webhook_id = lowered.get("webhook-id")
    timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not webhook_id:
        raise MissingWebhookHeaderError("Missing webhook id")
    if not timestamp:
        raise MissingWebhookHeaderError("Missing webhook timestamp")
    if not signatures:
        raise MissingWebhookHeaderError("Missing webhook signature")
    if not body:
        raise MissingWebhookBodyError("Missing webhook body")
    body_bytes = _body_bytes(body)
    if tolerance is not None:
        _check_timestamp(timestamp, tolerance)

    key = _secret_key(secret)
    signed = _utf8(f"{webhook_id}.{timestamp}.") + body_bytes
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    # Several signatures may be sent (while a secret is rotated); any one of them may match.
    for entry in signatures.split():
        parts = entry.split(",")
        if len(parts) < 2:
            raise InvalidSignatureError(f"Invalid signature format: {entry}")
        if standard and parts[0] != "v1":
            continue
        if hmac.compare_digest(_decoded(parts[1], InvalidSignatureError, "signature"), expected):
            return
    raise InvalidSignatureError("Webhook signature is invalid")


def _utf8(text: str) -> bytes:
    # Lone surrogates can't be signed by anyone, but must fail as a bad signature, not crash.
    return text.encode("utf-8", "surrogatepass")


def _lowered_headers(headers: Any) -> Dict[str, str]:
    try:
        items = list(headers.items())
    except (AttributeError, TypeError):
        raise MissingWebhookHeaderError(f"webhook headers must be a mapping, got {type(headers).__name__}")
    return {str(name).lower(): str(value) for name, value in items}


def _body_bytes(body: Any) -> bytes:
    if isinstance(body, str):
        return _utf8(body)
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(cast("Union[bytes, bytearray, memoryview[int]]", body))
    raise MissingWebhookBodyError(f"webhook body must be str or bytes, got {type(body).__name__}")


def _check_timestamp(timestamp: str, tolerance: float) -> None:
    try:
        sent = int(timestamp)
    except ValueError:  # v0 crashed here with int()'s own ValueError
        raise InvalidTimestampError(f"Invalid webhook timestamp {timestamp!r}: expected unix seconds")
    if abs(int(time.time()) - sent) > tolerance:
        raise InvalidTimestampError(f"Webhook timestamp is outside the allowed tolerance of {tolerance} seconds")


def _decoded(text: str, error: type[WebhookValidationError], what: str) -> bytes:
    # Lenient base64 as v0's (characters outside the alphabet are skipped); padding errors,
    # which crashed v0 with binascii.Error, are this check's own error.
    try:
        return base64.b64decode(text)
    except (binascii.Error, ValueError):
        raise error(f"Invalid webhook {what}: not base64")


def _secret_key(secret: Any) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (a WebhookSigningSecret, or the key itself)."""
    key = secret if isinstance(secret, str) else getattr(secret, "key", None)
    if not isinstance(key, str):
        raise InvalidSecretKeyError(f"webhook secret key must be a string, got {type(key).__name__}")
    parts = key.split("_")
    if len(parts) != 2:
        raise InvalidSecretKeyError(f"Invalid secret key format: {key}")
    return _decoded(parts[1], InvalidSecretKeyError, "secret key")
