"""Webhooks: the default signing secret, and Standard Webhooks signature validation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, Dict

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from namespace_helpers import api, assert_request, both_modes, call

from replicate.webhook import (
    InvalidSecretKeyError,
    InvalidSignatureError,
    InvalidTimestampError,
    MissingWebhookBodyError,
    MissingWebhookHeaderError,
    Webhooks,
    WebhookSigningSecret,
    WebhookValidationError,
)

KEY = b"a-secret-key-of-some-length-32by"
SECRET = WebhookSigningSecret(key="whsec_" + base64.b64encode(KEY).decode())
BODY = '{"id": "p1", "status": "succeeded"}'


def sign(webhook_id: str, timestamp: str, body: bytes, key: bytes = KEY) -> str:
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(body: str = BODY, *, timestamp: int | None = None, webhook_id: str = "msg_1") -> Dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": stamp,
        "webhook-signature": sign(webhook_id, stamp, body.encode()),
    }


# --- the secret ---------------------------------------------------------------------------


@both_modes
async def test_default_secret(mode: str) -> None:
    fake, client = api((200, {"key": SECRET.key}))
    if mode == "sync":
        secret = client.webhooks.default.secret()
    else:
        secret = await client.webhooks.default.async_secret()
    assert_request(fake.request, "GET", "/v1/webhooks/default/secret")
    assert isinstance(secret, WebhookSigningSecret) and secret.key == SECRET.key


@both_modes
async def test_default_secret_newer_sdk_spelling(mode: str) -> None:
    fake, client = api((200, {"key": SECRET.key}))
    secret = await call(mode, client.webhooks.default.secret, "get")
    assert_request(fake.request, "GET", "/v1/webhooks/default/secret")
    assert secret.key == SECRET.key


# --- validation ---------------------------------------------------------------------------


def test_valid_webhook_from_headers_and_body() -> None:
    assert Webhooks.validate(headers=signed_headers(), body=BODY, secret=SECRET) is True
    assert Webhooks.validate(headers=signed_headers(), body=BODY.encode(), secret=SECRET) is True


def test_headers_in_any_case_and_several_signatures() -> None:
    headers = signed_headers()
    mixed = {
        "Webhook-Id": headers["webhook-id"],
        "WEBHOOK-TIMESTAMP": headers["webhook-timestamp"],
        "Webhook-Signature": "v1,bm90IGl0 " + headers["webhook-signature"],
    }
    assert Webhooks.validate(headers=mixed, body=BODY, secret=SECRET)


def test_valid_webhook_from_an_httpx_request() -> None:
    request = httpx.Request("POST", "https://example.com/hook", headers=signed_headers(), content=BODY)
    assert Webhooks.validate(request=request, secret=SECRET)
    assert Webhooks.validate(request, None, None, SECRET)


def test_the_default_tolerance_rejects_old_webhooks_and_none_skips_the_check() -> None:
    old = signed_headers(timestamp=int(time.time()) - 301)
    with pytest.raises(InvalidTimestampError, match="300 seconds"):
        Webhooks.validate(headers=old, body=BODY, secret=SECRET)
    assert Webhooks.validate(headers=old, body=BODY, secret=SECRET, tolerance=None)
    assert Webhooks.validate(headers=old, body=BODY, secret=SECRET, tolerance=600)
    with pytest.raises(InvalidTimestampError):
        Webhooks.validate(headers=signed_headers(timestamp=int(time.time()) + 400), body=BODY, secret=SECRET)


@pytest.mark.parametrize(
    "change, error",
    [
        ({"secret": None}, InvalidSecretKeyError),
        ({"secret": WebhookSigningSecret(key="whsec_not base64!")}, InvalidSecretKeyError),
        ({"secret": WebhookSigningSecret(key="whsec_")}, InvalidSecretKeyError),
        ({"headers": None}, MissingWebhookHeaderError),
        ({"headers": {"webhook-id": "msg_1"}}, MissingWebhookHeaderError),
        ({"headers": [("webhook-id", "x")]}, MissingWebhookHeaderError),
        ({"body": None}, MissingWebhookBodyError),
        ({"body": ""}, MissingWebhookBodyError),
        ({"body": 42}, MissingWebhookBodyError),
        ({"body": BODY + " "}, InvalidSignatureError),
        ({"secret": WebhookSigningSecret(key="whsec_" + base64.b64encode(b"other").decode())}, InvalidSignatureError),
    ],
)
def test_each_failure_raises_its_error(change: Dict[str, Any], error: type) -> None:
    arguments: Dict[str, Any] = {"headers": signed_headers(), "body": BODY, "secret": SECRET, **change}
    with pytest.raises(error):
        Webhooks.validate(**arguments)


@pytest.mark.parametrize("timestamp", ["", "soon", "12.5", "-1", "\uff11\uff12\uff13"])
def test_malformed_timestamps(timestamp: str) -> None:
    headers = {**signed_headers(), "webhook-timestamp": timestamp}
    with pytest.raises((InvalidTimestampError, MissingWebhookHeaderError)):
        Webhooks.validate(headers=headers, body=BODY, secret=SECRET, tolerance=None)


@pytest.mark.parametrize("signature", ["v2,{valid}", "v1", "v1,", "garbage", "{valid}"])
def test_signatures_of_other_versions_or_malformed_never_match(signature: str) -> None:
    headers = signed_headers()
    valid = headers["webhook-signature"][len("v1,") :]
    headers["webhook-signature"] = signature.format(valid=valid)
    with pytest.raises(InvalidSignatureError):
        Webhooks.validate(headers=headers, body=BODY, secret=SECRET)


def test_the_errors_are_value_errors_as_in_v0() -> None:
    assert issubclass(WebhookValidationError, ValueError)
    for error in (MissingWebhookHeaderError, InvalidSecretKeyError, MissingWebhookBodyError,
                  InvalidTimestampError, InvalidSignatureError):
        assert issubclass(error, WebhookValidationError)


# --- properties ---------------------------------------------------------------------------

webhook_ids = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s != "")
bodies = st.binary(min_size=1, max_size=200)
keys = st.binary(min_size=1, max_size=64)


@settings(max_examples=200, deadline=None)
@given(webhook_id=webhook_ids, body=bodies, key=keys, skew=st.integers(-299, 299))
def test_property_valid_signatures_always_pass(webhook_id: str, body: bytes, key: bytes, skew: int) -> None:
    stamp = str(int(time.time()) + skew)
    headers = {"webhook-id": webhook_id, "webhook-timestamp": stamp, "webhook-signature": sign(webhook_id, stamp, body, key)}
    secret = WebhookSigningSecret(key="whsec_" + base64.b64encode(key).decode())
    assert Webhooks.validate(headers=headers, body=body, secret=secret) is True


@settings(max_examples=200, deadline=None)
@given(
    body=bodies,
    key=keys,
    position=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
    target=st.sampled_from(["body", "id", "timestamp", "signature", "key"]),
)
def test_property_any_tampering_fails(body: bytes, key: bytes, position: int, flip: int, target: str) -> None:
    webhook_id, stamp = "msg_1", str(int(time.time()))
    signature = sign(webhook_id, stamp, body, key)
    if target == "body":
        index = position % len(body)
        body = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    elif target == "id":
        webhook_id = "msg_2"
    elif target == "timestamp":
        stamp = str(int(stamp) - 1 - position % 100)
    elif target == "signature":
        raw = bytearray(base64.b64decode(signature[3:]))
        raw[position % len(raw)] ^= flip
        signature = "v1," + base64.b64encode(bytes(raw)).decode()
    else:
        key = key + b"x"
    headers = {"webhook-id": webhook_id, "webhook-timestamp": stamp, "webhook-signature": signature}
    secret = WebhookSigningSecret(key="whsec_" + base64.b64encode(key).decode())
    with pytest.raises(InvalidSignatureError):
        Webhooks.validate(headers=headers, body=body, secret=secret)


garbage = st.one_of(st.none(), st.text(max_size=30), st.binary(max_size=30), st.integers(), st.floats())


@settings(max_examples=300, deadline=None)
@given(
    headers=st.one_of(
        garbage,
        st.dictionaries(st.sampled_from(["webhook-id", "Webhook-Timestamp", "webhook-signature", "x"]), st.text(max_size=30)),
        st.dictionaries(st.text(max_size=10), garbage),
    ),
    body=garbage,
    secret=st.one_of(garbage, st.builds(WebhookSigningSecret, key=st.text(max_size=30))),
    tolerance=st.one_of(st.none(), st.integers(0, 1000)),
)
def test_property_garbage_only_raises_validation_errors(headers: Any, body: Any, secret: Any, tolerance: Any) -> None:
    try:
        Webhooks.validate(headers=headers, body=body, secret=secret, tolerance=tolerance)
    except WebhookValidationError:
        pass
