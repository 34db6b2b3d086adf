"""Base classes: `Resource` (an object the API returns) and `Namespace` (a group of
operations). An `Operation` (one API call) lives in `replicate._operation`, re-exported here."""

from __future__ import annotations

import abc
import copy
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Dict,
    Optional,
    Type,
    TypeVar,
    cast,
)

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from replicate._operation import RawResponseClient

if TYPE_CHECKING:
    import httpx

    from replicate.client import Client

R = TypeVar("R", bound="Resource")
N = TypeVar("N", bound="Namespace")


class ClientBound:
    """Pickling and deep-copying for a model holding the client that fetched it (`_client`).

    The client (its connections, locks and token) is never pickled: an unpickled object
    uses `replicate.default_client`. A deep copy shares the original's client.
    """

    _client: Optional[Client]

    def __getstate__(self) -> Dict[Any, Any]:
        state = cast("Dict[Any, Any]", super().__getstate__())  # type: ignore[misc]
        private = state.get("__pydantic_private__")
        if private and private.get("_client") is not None:
            state = {**state, "__pydantic_private__": {**private, "_client": None}, _USES_DEFAULT_CLIENT: True}
        return state

    def __setstate__(self, state: Dict[Any, Any]) -> None:
        state = dict(state)
        uses_default_client = state.pop(_USES_DEFAULT_CLIENT, False)
        super().__setstate__(state)  # type: ignore[misc]
        if uses_default_client:
            import replicate

            self._client = replicate.default_client

    def __deepcopy__(self, memo: Optional[Dict[int, Any]] = None) -> Any:
        memo = {} if memo is None else memo
        client = self._client
        if client is not None:
            memo.setdefault(id(client), client)  # "already copied": the copy keeps this client
        return super().__deepcopy__(memo)  # type: ignore[misc]


_USES_DEFAULT_CLIENT = "replicate:uses_default_client"


class Resource(ClientBound, BaseModel):
    """An object returned by the Replicate API.

    Fields the API sends that the class does not declare are kept as attributes.
    Resources with server-side state remember the client that fetched them.
    """

    # defer_build: a resource's validator is built when it first parses an answer, so a
    # program pays only for the resources it uses.
    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="allow", protected_namespaces=(), populate_by_name=True, defer_build=True
    )

    _client: Optional[Client] = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_what_the_server_sent(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        """Read an answer with an odd optional field (a new type, a null, another shape):
        the field keeps the server's value as it was sent, and the rest is read as usual."""
        try:
            return handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict):
                raise
            fields: Dict[Any, Any] = data  # pyright: ignore[reportUnknownVariableType]
            errors = exc.errors()
            odd = {error["loc"][0] for error in errors if error["loc"] and error["type"] != "missing"}
            optional = {name for name, field in cls.model_fields.items() if not field.is_required()}
            if not odd or not odd <= optional or any(error["type"] == "missing" for error in errors):
                raise
            resource = handler({key: value for key, value in fields.items() if key not in odd})
            for name in odd:
                resource.__dict__[name] = fields[name]
            return resource

    @model_validator(mode="after")
    def _attach_client(self, info: ValidationInfo) -> Any:
        if info.context:
            self._client = info.context.get("client")
        return self

    def dict(self, **kwargs: Any) -> Dict[str, Any]:
        """The resource as a dict (v0's pydantic-v1 spelling of `model_dump`)."""
        return self.model_dump(**kwargs)

    def json(self, **kwargs: Any) -> str:
        """The resource as JSON (v0's pydantic-v1 spelling of `model_dump_json`)."""
        return self.model_dump_json(**kwargs)

    def _require_client(self) -> Client:
        if self._client is None:
            raise ValueError(
                f"this {type(self).__name__} was not fetched through a client; "
                "get it with a Client (for example client.predictions.get(id)) to call this method"
            )
        return self._client

    def _update_from(self, other: Resource) -> None:
        """Take every field of a freshly fetched copy of this resource."""
        vars(self).update(vars(other))
        if other.__pydantic_extra__ is not None:
            object.__setattr__(self, "__pydantic_extra__", dict(other.__pydantic_extra__))
        fields_set = getattr(other, "__pydantic_fields_set__", None)
        if fields_set is not None:
            object.__setattr__(self, "__pydantic_fields_set__", set(fields_set))


class Namespace(abc.ABC):
    """A group of related API operations, bound to a client."""

    _client: Client

    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def with_raw_response(self: N) -> N:
        """This namespace, with each method returning an `APIResponse` instead of its result.

        ``client.predictions.with_raw_response.get("id")`` gives the status code and headers;
        its ``parse()`` gives the Prediction.
        """
        raw = copy.copy(self)
        # Nested namespaces cached on this one are bound to the plain client: drop them.
        for name, value in list(vars(raw).items()):
            if isinstance(value, Namespace):
                delattr(raw, name)
        raw._client = RawResponseClient(self._client)  # type: ignore[assignment]
        return raw


def parse_resource(cls: Type[R], client: Client) -> Callable[[httpx.Response], R]:
    """A parser for a JSON body holding one resource of type `cls`."""

    def parse(response: httpx.Response) -> R:
        return cls.model_validate_json(response.content, context={"client": client})

    return parse


def parse_resource_list(cls: Type[R], client: Client) -> Callable[[httpx.Response], list[R]]:
    """A parser for a JSON array of resources (e.g. hardware), or a page's `results`."""

    def parse(response: httpx.Response) -> list[R]:
        data: Any = response.json()
        if isinstance(data, dict) and "results" in data:
            data = cast("Dict[str, Any]", data)["results"]
        if not isinstance(data, list):
            raise ValueError(f"expected a list, got {type(cast(object, data)).__name__}")
        return [cls.model_validate(item, context={"client": client}) for item in data]  # pyright: ignore[reportUnknownVariableType]

    return parse


def keep_unknown_text(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A field validator for enumerations that grow: text it does not know is kept as sent
    (a status added to the API later), anything else must be valid."""
    try:
        return handler(value)
    except ValidationError:
        if isinstance(value, str):
            return value
        raise
