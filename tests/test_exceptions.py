"""Errors from the API map to ReplicateError subclasses that read like v0's."""

from __future__ import annotations

import pickle

import httpx
import pytest

from replicate import exceptions
from replicate.client import Client
from replicate.exceptions import ReplicateError


def client_answering(response: httpx.Response) -> Client:
    return Client(api_token="t", transport=httpx.MockTransport(lambda request: response))


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, exceptions.BadRequestError),
        (401, exceptions.AuthenticationError),
        (403, exceptions.PermissionDeniedError),
        (404, exceptions.NotFoundError),
        (409, exceptions.ConflictError),
        (422, exceptions.UnprocessableEntityError),
        (429, exceptions.RateLimitError),
        (500, exceptions.InternalServerError),
        (502, exceptions.InternalServerError),
        (418, exceptions.ReplicateError),
    ],
)
def test_status_maps_to_subclass(status: int, error_class: type[ReplicateError]) -> None:
    body = {"title": "Oops", "detail": "it broke", "status": status}
    client = client_answering(httpx.Response(status, json=body, headers={"retry-after": "0"}))
    # 429 is retried by the transport; limit attempts through the wrapped transport's budget.
    client._client._transport._max_attempts = 1  # type: ignore[attr-defined]
    with pytest.raises(error_class) as caught:
        client.predictions.get("p1")
    error = caught.value
    assert isinstance(error, ReplicateError)
    assert (error.status, error.title, error.detail) == (status, "Oops", "it broke")
    assert error.response is not None and error.response.status_code == status


def test_recorded_invalid_token_answer() -> None:
    body = b'{"title":"Unauthenticated","detail":"You did not pass a valid authentication token","status":401}\n'
    client = client_answering(
        httpx.Response(401, content=body, headers={"content-type": "application/problem+json"})
    )
    with pytest.raises(exceptions.AuthenticationError) as caught:
        client.predictions.get("p1")
    assert str(caught.value) == (
        "ReplicateError Details:\n"
        "title: Unauthenticated\n"
        "status: 401\n"
        "detail: You did not pass a valid authentication token"
    )
    assert caught.value.to_dict() == {
        "title": "Unauthenticated",
        "status": 401,
        "detail": "You did not pass a valid authentication token",
    }


def test_repr_lists_all_fields() -> None:
    error = ReplicateError(type="t", title="T", status=404, detail="d", instance="i")
    assert repr(error) == "ReplicateError(type='t', title='T', status=404, detail='d', instance='i')"


def test_html_error_page_from_a_proxy() -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    client = client_answering(httpx.Response(502, content=page, headers={"content-type": "text/html"}))
    client._client._transport._max_attempts = 1  # type: ignore[attr-defined]
    with pytest.raises(exceptions.InternalServerError) as caught:
        client.predictions.get("p1")
    assert caught.value.status == 502
    assert "502 Bad Gateway" in (caught.value.detail or "")


def test_empty_error_body() -> None:
    client = client_answering(httpx.Response(404))
    with pytest.raises(exceptions.NotFoundError) as caught:
        client.predictions.get("p1")
    assert caught.value.detail == "HTTP 404 Not Found with an empty body"


def test_success_with_unreadable_body() -> None:
    client = client_answering(httpx.Response(200, content=b"<html>hello</html>"))
    with pytest.raises(exceptions.UnexpectedResponseError) as caught:
        client.predictions.get("p1")
    detail = caught.value.detail or ""
    assert "GET /v1/predictions/p1" in detail and "<html>hello</html>" in detail


def test_success_with_an_unreadable_status_quotes_the_server() -> None:
    # An unknown status string is kept as sent (test_security); a status of another shape is unreadable.
    body = {"id": "p1", "model": "a/b", "version": "v", "status": {"state": "exploded"}}
    client = client_answering(httpx.Response(200, json=body))
    with pytest.raises(exceptions.UnexpectedResponseError) as caught:
        client.predictions.get("p1")
    assert "exploded" in (caught.value.detail or "")


def test_all_errors_derive_from_replicate_exception() -> None:
    for name in exceptions.__all__:
        assert issubclass(getattr(exceptions, name), exceptions.ReplicateException)


def test_errors_pickle() -> None:
    error = exceptions.NotFoundError(title="Not found", status=404, detail="gone")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is exceptions.NotFoundError
    assert copy.to_dict() == error.to_dict()


def test_positional_type_like_v0() -> None:
    error = ReplicateError("Model does not support streaming")
    assert error.type == "Model does not support streaming"
