"""Small helpers shared by the emulator modules: ids, timestamps, errors."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import os
import secrets
import string
import uuid
from typing import Any, Dict, Mapping, Optional

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_id(length: int = 26) -> str:
    """Return a random lowercase alphanumeric id like the API's prediction ids."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def new_version_id(seed: Optional[str] = None) -> str:
    """Return a 64-hex version id; deterministic when a seed is given."""
    data = seed.encode() if seed is not None else os.urandom(32)
    return hashlib.sha256(data).hexdigest()


def new_file_id() -> str:
    """Return a file id shaped like the live API's (base64 of a UUID string)."""
    return base64.urlsafe_b64encode(str(uuid.uuid4()).encode()).decode().rstrip("=")


def utcnow() -> _dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return _dt.datetime.now(_dt.timezone.utc)


def isoformat(moment: Optional[_dt.datetime]) -> Optional[str]:
    """Format a datetime as ISO 8601 with microseconds and a ``Z`` suffix."""
    if moment is None:
        return None
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> _dt.datetime:
    """Parse an ISO 8601 date or date-time (``Z`` allowed); naive values are UTC."""
    text = value.strip().replace(" ", "+")  # a '+' offset often arrives URL-decoded as a space
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = _dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment


class ApiError(Exception):
    """An error that the app renders as an RFC 7807 problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        title: Optional[str] = None,
        *,
        body: Optional[Dict[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.body = body
        self.headers = headers or {}

    def to_problem(self) -> Dict[str, Any]:
        """Return the problem+json body (a verbatim ``body`` wins when given)."""
        if self.body is not None:
            return self.body
        problem: Dict[str, Any] = {
            "type": f"https://replicate.com/docs/reference/http#errors-{self.status}",
            "title": self.title or _TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
        }
        return problem


_TITLES = {
    400: "Bad Request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def not_found(detail: str = "The requested resource could not be found.") -> ApiError:
    """Shortcut for a 404 problem."""
    return ApiError(404, detail, "Not found")
