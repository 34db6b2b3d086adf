"""Webhooks: the default signing secret, and Standard Webhooks signature validation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
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
    StandardWebhooks,
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


def test_valid_webhook_from_headers_and_body_returns_none_as_v0() -> None:
    assert Webhooks.validate(headers=signed_headers(), body=BODY, secret=SECRET) is None
    assert Webhooks.validate(headers=signed_headers(), body=BODY.encode(), secret=SECRET) is None


def test_the_v0_surfaces_are_the_same_check() -> None:
    import replicate
    from replicate.client import Client

    for validate in (replicate.webhooks.validate, Client().webhooks.validate):
        assert validate(headers=signed_headers(), body=BODY, secret=SECRET) is None
        with pytest.raises(InvalidSignatureError, match=r"^Webhook signature is invalid$"):
            validate(headers=signed_headers(), body=BODY + " ", secret=SECRET)


def test_headers_in_any_case_and_several_signatures() -> None:
    headers = signed_headers()
    mixed = {
        "Webhook-Id": headers["webhook-id"],
        "WEBHOOK-TIMESTAMP": headers["webhook-timestamp"],
        "Webhook-Signature": "v1,bm90IGl0 " + headers["webhook-signature"],
    }
    Webhooks.validate(headers=mixed, body=BODY, secret=SECRET)


def test_valid_webhook_from_an_httpx_request() -> None:
    request = httpx.Request("POST", "https://example.com/hook", headers=signed_headers(), content=BODY)
    Webhooks.validate(request=request, secret=SECRET)
    Webhooks.validate(request, None, None, SECRET)


@pytest.mark.parametrize("extra", [{"headers": signed_headers()}, {"body": BODY}])
def test_a_request_with_headers_or_body_is_v0s_value_error(extra: Dict[str, Any]) -> None:
    request = httpx.Request("POST", "https://example.com/hook", headers=signed_headers(), content=BODY)
    with pytest.raises(ValueError, match=r"^Only one of request or headers/body can be provided$") as caught:
        Webhooks.validate(request, secret=SECRET, **extra)
    assert type(caught.value) is ValueError


def test_v0_checks_no_timestamp_unless_given_a_tolerance() -> None:
    old = signed_headers(timestamp=int(time.time()) - 3600)
    assert Webhooks.validate(headers=old, body=BODY, secret=SECRET) is None
    with pytest.raises(InvalidTimestampError, match=r"^Webhook timestamp is outside the allowed tolerance of 300 seconds$"):
        Webhooks.validate(headers=old, body=BODY, secret=SECRET, tolerance=300)
    assert Webhooks.validate(headers=old, body=BODY, secret=SECRET, tolerance=4000) is None


def test_newer_style_clients_reject_old_webhooks_by_default() -> None:
    from replicate import AsyncReplicate, Replicate

    old = signed_headers(timestamp=int(time.time()) - 301)
    for webhooks in (Replicate(bearer_token="t").webhooks, AsyncReplicate(bearer_token="t").webhooks):
        with pytest.raises(InvalidTimestampError, match="300 seconds"):
            webhooks.validate(headers=old, body=BODY, secret=SECRET)
        assert webhooks.validate(headers=old, body=BODY, secret=SECRET, tolerance=None) is None
        assert webhooks.validate(headers=old, body=BODY, secret=SECRET, tolerance=600) is None
        with pytest.raises(InvalidTimestampError):
            webhooks.validate(headers=signed_headers(timestamp=int(time.time()) + 400), body=BODY, secret=SECRET)
    assert StandardWebhooks.validate(headers=signed_headers(), body=BODY, secret=SECRET) is None


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"secret": None}, ValueError, "Missing webhook signing secret"),
        ({"secret": WebhookSigningSecret(key="whsec_a_b")}, InvalidSecretKeyError, "Invalid secret key format: whsec_a_b"),
        ({"secret": WebhookSigningSecret(key="nokey")}, InvalidSecretKeyError, "Invalid secret key format: nokey"),
        ({"secret": WebhookSigningSecret(key="whsec_abcde")}, InvalidSecretKeyError, "Invalid webhook secret key: not base64"),
        ({"secret": WebhookSigningSecret(key="whsec_")}, InvalidSignatureError, "Webhook signature is invalid"),
        ({"headers": None}, MissingWebhookHeaderError, "Missing webhook headers"),
        ({"headers": {"webhook-timestamp": "1", "webhook-signature": "v1,x"}}, MissingWebhookHeaderError, "Missing webhook id"),
        ({"headers": {"webhook-id": "msg_1"}}, MissingWebhookHeaderError, "Missing webhook timestamp"),
        ({"headers": {"webhook-id": "msg_1", "webhook-timestamp": "1"}}, MissingWebhookHeaderError, "Missing webhook signature"),
        ({"headers": [("webhook-id", "x")]}, MissingWebhookHeaderError, "webhook headers must be a mapping, got list"),
        ({"body": None}, MissingWebhookBodyError, "Missing webhook body"),
        ({"body": ""}, MissingWebhookBodyError, "Missing webhook body"),
        ({"body": 42}, MissingWebhookBodyError, "webhook body must be str or bytes, got int"),
        ({"body": BODY + " "}, InvalidSignatureError, "Webhook signature is invalid"),
        (
            {"secret": WebhookSigningSecret(key="whsec_" + base64.b64encode(b"other").decode())},
            InvalidSignatureError,
            "Webhook signature is invalid",
        ),
    ],
)
def test_each_failure_raises_v0s_error_and_message(change: Dict[str, Any], error: type, message: str) -> None:
    arguments: Dict[str, Any] = {"headers": signed_headers(), "body": BODY, "secret": SECRET, **change}
    with pytest.raises(error) as caught:
        Webhooks.validate(**arguments)
    assert type(caught.value) is error
    assert str(caught.value) == message


@pytest.mark.parametrize("timestamp", ["soon", "12.5", "\x00"])
def test_a_malformed_timestamp_is_an_invalid_timestamp_error_when_checked(timestamp: str) -> None:
    # v0 crashed in int() with a plain ValueError; InvalidTimestampError is one too.
    headers = {**signed_headers(), "webhook-timestamp": timestamp}
    with pytest.raises(InvalidTimestampError, match="Invalid webhook timestamp"):
        Webhooks.validate(headers=headers, body=BODY, secret=SECRET, tolerance=10)


@pytest.mark.parametrize("signature", ["v1", "garbage"])
def test_a_signature_without_a_comma_is_v0s_format_error(signature: str) -> None:
    headers = {**signed_headers(), "webhook-signature": signature}
    with pytest.raises(InvalidSignatureError, match=f"^Invalid signature format: {re.escape(signature)}$"):
        Webhooks.validate(headers=headers, body=BODY, secret=SECRET)


@pytest.mark.parametrize("signature", ["v1,", "v1,AAAA{valid}", "{valid}"])
def test_malformed_signatures_never_match(signature: str) -> None:
    headers = signed_headers()
    valid = headers["webhook-signature"][len("v1,") :]
    headers["webhook-signature"] = signature.format(valid=valid)
    with pytest.raises(InvalidSignatureError):
        Webhooks.validate(headers=headers, body=BODY, secret=SECRET)


def test_only_v1_signatures_count_on_the_newer_style_surface() -> None:
    headers = signed_headers()
    headers["webhook-signature"] = "v2," + headers["webhook-signature"][len("v1,") :]
    Webhooks.validate(headers=headers, body=BODY, secret=SECRET)  # v0 reads no version
    with pytest.raises(InvalidSignatureError, match=r"^Webhook signature is invalid$"):
        StandardWebhooks.validate(headers=headers, body=BODY, secret=SECRET)


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
    assert Webhooks.validate(headers=headers, body=body, secret=secret) is None


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
    except ValueError as error:  # v0's own: no secret at all
        assert not secret and str(error) == "Missing webhook signing secret"
