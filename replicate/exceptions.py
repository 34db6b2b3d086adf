"""Exceptions raised by the Replicate client.

Every failure the library raises on purpose is one of these::

    ReplicateException                 base of everything below
    ├── ReplicateError                 the API answered with an error (RFC 7807 problem details)
    │   ├── BadRequestError            400
    │   ├── AuthenticationError        401: missing or invalid API token
    │   ├── PermissionDeniedError      403
    │   ├── NotFoundError              404
    │   ├── ConflictError              409
    │   ├── UnprocessableEntityError   422: the input did not validate
    │   ├── RateLimitError             429, after the retries ran out
    │   ├── InternalServerError        5xx
    │   └── UnexpectedResponseError    a 2xx answer the client could not read (HTML, bad JSON)
    └── ModelError                     the prediction ran and failed; carries the prediction

Network failures that outlast the retries surface as httpx's own exceptions
(``httpx.ConnectError``, ``httpx.ReadTimeout``, ...), as they did in v0.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, Optional, Type, cast

if TYPE_CHECKING:
    import httpx

    from replicate.prediction import Prediction

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "ModelError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ReplicateError",
    "ReplicateException",
    "UnexpectedResponseError",
    "UnprocessableEntityError",
]

_DETAIL_LIMIT = 500
# The most characters of a server's text a message carries: a 10 MB `detail` stays on
# `error.response`, not in every traceback and log line.
TEXT_LIMIT = 4096


class ReplicateException(Exception):
    """Base class for all exceptions raised by this library."""


class ModelError(ReplicateException):
    """A prediction or training failed; `prediction` holds it, with its logs and error."""

    prediction: Prediction

    def __init__(self, prediction: Prediction) -> None:
        self.prediction = prediction
        error = prediction.error
        if isinstance(error, str):  # the model's text may echo the token it was given
            from replicate._transport import redact, token_from_environment

            client = getattr(prediction, "_client", None)
            error = redact(error, client._token() if client is not None else None, token_from_environment())
        super().__init__(error)

    def __reduce__(self) -> Any:
        # Exceptions pickle through their args; this one is built from its prediction, which
        # pickles without its client (so a process pool can raise it to its parent).
        return (type(self), (self.prediction,))


class ReplicateError(ReplicateException):
    """An error answer from the Replicate API, with its RFC 7807 problem-details fields."""

    type: Optional[str]
    title: Optional[str]
    status: Optional[int]
    detail: Optional[str]
    instance: Optional[str]
    response: Optional[httpx.Response]

    def __init__(
        self,
        type: Optional[str] = None,
        title: Optional[str] = None,
        status: Optional[int] = None,
        detail: Optional[str] = None,
        instance: Optional[str] = None,
        *,
        response: Optional[httpx.Response] = None,
    ) -> None:
        if response is not None:  # the text is the server's: no token in it, and bounded
            type, title, detail, instance = (
                _server_text(value, response) for value in (type, title, detail, instance)
            )
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
        self.response = response
        super().__init__(*(value for value in (detail,) if value is not None))

    @property
    def status_code(self) -> Optional[int]:
        """The HTTP status code (the newer SDK's name for `status`)."""
        return self.status

    @classmethod
    def from_response(cls, response: httpx.Response) -> ReplicateError:
        """Build the error for an HTTP error answer, choosing the subclass for its status."""
        data = _problem_details(response)
        error_class = cls
        if cls is ReplicateError:
            error_class = _class_for_status(response.status_code)
        status = data.get("status")
        detail = _text_or_none(data.get("detail"))
        request = _request_of(response)
        if response.status_code == 401 and request is not None and "authorization" not in request.headers:
            detail = f"{detail} ({NO_TOKEN_HINT})" if detail else NO_TOKEN_HINT
        return error_class(
            type=_text_or_none(data.get("type")),
            title=_text_or_none(data.get("title")),
            status=status if isinstance(status, int) else response.status_code,
            detail=detail,
            instance=_text_or_none(data.get("instance")),
            response=response,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The problem-details fields that are set."""
        fields = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": self.instance,
        }
        return {key: value for key, value in fields.items() if value is not None}

    def __str__(self) -> str:
        return "ReplicateError Details:\n" + "\n".join(
            f"{key}: {value}" for key, value in self.to_dict().items()
        )

    def __repr__(self) -> str:
        params = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in ("type", "title", "status", "detail", "instance")
        )
        return f"{self.__class__.__name__}({params})"

    def __reduce__(self) -> Any:
        # Exceptions pickle through their args; these carry keyword-only state.
        return (_rebuild_error, (self.__class__, self.to_dict()))


class BadRequestError(ReplicateError):
    """The API rejected the request as malformed (400)."""


class AuthenticationError(ReplicateError):
    """The API token is missing or invalid (401)."""


class PermissionDeniedError(ReplicateError):
    """The token may not do this (403)."""


class NotFoundError(ReplicateError):
    """The resource does not exist, or is not visible to this token (404)."""


class ConflictError(ReplicateError):
    """The request conflicts with the resource's state, e.g. it already exists (409)."""


class UnprocessableEntityError(ReplicateError):
    """The request was well-formed but invalid, e.g. a bad model input (422)."""


class RateLimitError(ReplicateError):
    """Too many requests (429), after the client's retries ran out."""


class InternalServerError(ReplicateError):
    """The server failed (5xx)."""


class UnexpectedResponseError(ReplicateError):
    """The API answered success, but with a body this client cannot read."""


_STATUS_CLASSES: Dict[int, Type[ReplicateError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _class_for_status(status: int) -> Type[ReplicateError]:
    if status >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status, ReplicateError)


def _server_text(value: Optional[str], response: httpx.Response) -> Optional[str]:
    """Server text fit for a message: tokens redacted, cut to TEXT_LIMIT with a note."""
    if value is None:
        return None
    from replicate._transport import redact, token_from_environment, token_sent_with

    value = redact(value, token_sent_with(_request_of(response)), token_from_environment())
    if len(value) > TEXT_LIMIT:
        cut = len(value) - TEXT_LIMIT
        value = f"{value[:TEXT_LIMIT]}… [{cut} more characters cut; the full body is on error.response]"
    return value


def _request_of(response: httpx.Response) -> Optional[httpx.Request]:
    try:
        return response.request
    except RuntimeError:  # a response built by hand has none
        return None


NO_TOKEN_HINT = (
    "No API token was found, so none was sent: set the REPLICATE_API_TOKEN environment "
    "variable or pass api_token= to replicate.Client()."
)


def _rebuild_error(cls: Type[ReplicateError], fields: Dict[str, Any]) -> ReplicateError:
    return cls(**fields)


def _text_or_none(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _problem_details(response: httpx.Response) -> Dict[str, Any]:
    """Read an error body as problem details, falling back to a useful detail for non-JSON."""
    try:
        body = response.read()
    except Exception:  # a truncated or broken body still deserves an error with its status
        body = b""
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return cast("Dict[str, Any]", data)
    return {"detail": describe_body(response.status_code, response.reason_phrase, body)}


def describe_body(status: int, reason: str, body: bytes) -> str:
    """A short, readable account of a body that is not the JSON we expected."""
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return f"HTTP {status} {reason} with an empty body".strip()
    if len(text) > _DETAIL_LIMIT:
        text = text[:_DETAIL_LIMIT] + "..."
    return f"HTTP {status} {reason}: {text}".strip()
