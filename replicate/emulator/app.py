"""Starlette routes implementing the 37 operations of the Replicate HTTP API."""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from ._util import ApiError, not_found, parse_iso, utcnow
from .files import parse_metadata, receive_upload, serve_file
from .middleware import EmulatorMiddleware
from .schema import validate_input
from .sse import SSE_HEADERS, event_stream, parse_last_event_id
from .state import TERMINAL_STATUSES, Job, ModelRecord, VersionRecord, paginate

if TYPE_CHECKING:
    from .emulator import Emulator

WEBHOOK_EVENTS = ("start", "output", "logs", "completed")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s?)?$")


def build_app(emulator: Emulator, *, api: bool, delivery: bool) -> Any:
    """An ASGI app with the API routes, the delivery routes, or both."""
    handlers = Handlers(emulator)
    routes: List[Route] = []
    if delivery:
        routes += handlers.delivery_routes()
    if api:
        routes += handlers.api_routes()
    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: _problem_response, HTTPException: _http_exception},
    )
    return EmulatorMiddleware(app, emulator, origin="api" if api else "delivery")


async def _problem_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        exc.to_problem(),
        status_code=exc.status,
        headers=exc.headers,
        media_type="application/problem+json",
    )


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = (
        "The requested resource could not be found." if exc.status_code == 404 else str(exc.detail)
    )
    return await _problem_response(request, ApiError(exc.status_code, detail, headers=exc.headers))


def json_response(body: Any, status: int = 200) -> JSONResponse:
    """A JSON response (UTF-8, compact)."""
    return JSONResponse(body, status_code=status)


async def read_json(request: Request) -> Dict[str, Any]:
    """The request body as a JSON object (empty body → ``{}``)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"Request body is not valid JSON: {exc}")
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return cast("Dict[str, Any]", body)


def held_answer(body: Dict[str, Any]) -> Dict[str, Any]:
    """The answer to a create held by ``Prefer: wait``, as the live API gives it.

    A prediction that succeeded within the hold comes back ``processing`` with its complete
    output (a GET a moment later says ``succeeded``); one still running when the hold expired
    comes back ``starting``, whatever it was doing. Failures keep their terminal status.
    See the ``*-prefer-wait-*`` live recordings.
    """
    status = body["status"]
    if status == "succeeded":
        body["status"] = "processing"
        for key in ("started_at", "completed_at", "metrics", "source"):
            body.pop(key, None)
    elif status not in TERMINAL_STATUSES:
        body.update(status="starting", output=None, logs="", error=None)
        body.pop("started_at", None)
    return body


def parse_prefer_wait(header: Optional[str], max_wait: float) -> Optional[float]:
    """Seconds to hold a create request for ``Prefer: wait[=N]`` (None: no hold)."""
    if not header:
        return None
    for preference in header.split(","):
        key, _, value = preference.strip().partition("=")
        if key.strip().lower() != "wait":
            continue
        if not value:
            return max_wait
        try:
            seconds = float(value.strip().strip('"'))
        except ValueError:
            return None
        return max(0.0, min(seconds, max_wait))
    return None


def parse_duration(text: str) -> float:
    """Seconds in a ``Cancel-After`` value like ``30s``, ``5m``, ``1h30m45s`` or ``30``."""
    match = _DURATION.match(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise ApiError(400, f"Invalid Cancel-After duration {text!r}; use e.g. 30s, 5m or 1h30m45s")
    hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _required(body: Dict[str, Any], names: Sequence[str]) -> None:
    missing = [name for name in names if body.get(name) is None]
    if missing:
        raise ApiError(422, f"Missing required field(s): {', '.join(missing)}", "Validation failed")


class Handlers:
    """Route handlers bound to one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    # -- routing tables -----------------------------------------------------
    def api_routes(self) -> List[Route]:
        """Routes of the API origin (all 37 operations plus the web page)."""
        r = Route
        return [
            r("/v1/account", self.account_get, methods=["GET"]),
            r("/v1/collections", self.collections_list, methods=["GET"]),
            r("/v1/collections/{slug}", self.collections_get, methods=["GET"]),
            r("/v1/deployments", self.deployments_list, methods=["GET"]),
            r("/v1/deployments", self.deployments_create, methods=["POST"]),
            r("/v1/deployments/{owner}/{name}", self.deployments_get, methods=["GET"]),
            r("/v1/deployments/{owner}/{name}", self.deployments_update, methods=["PATCH"]),
            r("/v1/deployments/{owner}/{name}", self.deployments_delete, methods=["DELETE"]),
            r(
                "/v1/deployments/{owner}/{name}/predictions",
                self.deployments_predict,
                methods=["POST"],
            ),
            r("/v1/files", self.files_list, methods=["GET"]),
            r("/v1/files", self.files_create, methods=["POST"]),
            r("/v1/files/{file_id}", self.files_get, methods=["GET"]),
            r("/v1/files/{file_id}", self.files_delete, methods=["DELETE"]),
            r("/v1/files/{file_id}/download", self.files_download, methods=["GET"]),
            r("/v1/hardware", self.hardware_list, methods=["GET"]),
            r("/v1/models", self.models_list, methods=["GET"]),
            r("/v1/models", self.models_create, methods=["POST"]),
            r("/v1/models", self.models_search, methods=["QUERY"]),
            r("/v1/models/{owner}/{name}", self.models_get, methods=["GET"]),
            r("/v1/models/{owner}/{name}", self.models_update, methods=["PATCH"]),
            r("/v1/models/{owner}/{name}", self.models_delete, methods=["DELETE"]),
            r("/v1/models/{owner}/{name}/examples", self.models_examples, methods=["GET"]),
            r("/v1/models/{owner}/{name}/predictions", self.models_predict, methods=["POST"]),
            r("/v1/models/{owner}/{name}/readme", self.models_readme, methods=["GET"]),
            r("/v1/models/{owner}/{name}/versions", self.versions_list, methods=["GET"]),
            r(
                "/v1/models/{owner}/{name}/versions/{version_id}",
                self.versions_get,
                methods=["GET"],
            ),
            r(
                "/v1/models/{owner}/{name}/versions/{version_id}",
                self.versions_delete,
                methods=["DELETE"],
            ),
            r(
                "/v1/models/{owner}/{name}/versions/{version_id}/trainings",
                self.trainings_create,
                methods=["POST"],
            ),
            r("/v1/predictions", self.predictions_list, methods=["GET"]),
            r("/v1/predictions", self.predictions_create, methods=["POST"]),
            r("/v1/predictions/{job_id}", self.predictions_get, methods=["GET"]),
            r("/v1/predictions/{job_id}/cancel", self.predictions_cancel, methods=["POST"]),
            r("/v1/search", self.search, methods=["GET"]),
            r("/v1/trainings", self.trainings_list, methods=["GET"]),
            r("/v1/trainings/{job_id}", self.trainings_get, methods=["GET"]),
            r("/v1/trainings/{job_id}/cancel", self.trainings_cancel, methods=["POST"]),
            r("/v1/webhooks/default/secret", self.webhook_secret, methods=["GET"]),
            r("/p/{job_id}", self.web_page, methods=["GET"]),
        ]

    def delivery_routes(self) -> List[Route]:
        """Routes of the delivery origin: SSE streams and output files."""
        return [
            Route("/v1/streams/{job_id}", self.stream, methods=["GET"]),
            Route("/v1/files/streams/{job_id}", self.stream, methods=["GET"]),
            Route(
                "/delivery/{token}/{filename:path}", self.delivered_file, methods=["GET", "HEAD"]
            ),
        ]

    # -- helpers --------------------------------------------------------------
    def page(
        self, request: Request, items: Sequence[Any], serialize: Callable[[Any], Any]
    ) -> Response:
        """A paginated JSON response for ``items`` (full-URL cursors)."""
        try:
            body = paginate(
                items,
                base_url=self.emu.base_url,
                path=request.url.path,
                query=request.url.query,
                page_size=self.emu.page_size,
                serialize=serialize,
            )
        except ValueError:
            raise ApiError(400, "Invalid cursor")
        return json_response(body)

    def model_json(self, model: ModelRecord) -> Dict[str, Any]:
        """A model serialized with this emulator's web base URL."""
        return model.to_json(self.emu.base_url)

    def _model(self, request: Request) -> ModelRecord:
        return self.emu.get_model(request.path_params["owner"], request.path_params["name"])

    def _version(self, model: ModelRecord, version_id: str) -> VersionRecord:
        for version in model.versions:
            if version.id == version_id:
                return version
        raise not_found(f"Version {version_id} of {model.full_name} not found")

    def _prediction(self, request: Request) -> Job:
        job = self.emu.state.predictions.get(request.path_params["job_id"])
        if job is None:
            raise not_found("Prediction not found")
        return job

    def _training(self, request: Request) -> Job:
        job = self.emu.state.trainings.get(request.path_params["job_id"])
        if job is None:
            raise not_found("Training not found")
        return job

    # -- account, hardware, webhooks ---------------------------------------------
    async def account_get(self, request: Request) -> Response:
        """GET /v1/account (account.get)."""
        return json_response(self.emu.state.account)

    async def hardware_list(self, request: Request) -> Response:
        """GET /v1/hardware (hardware.list): a bare array, not a page."""
        return json_response(self.emu.state.hardware)

    async def webhook_secret(self, request: Request) -> Response:
        """GET /v1/webhooks/default/secret (webhooks.default.secret.get)."""
        return json_response({"key": self.emu.webhook_secret})

    # -- collections --------------------------------------------------------------
    async def collections_list(self, request: Request) -> Response:
        """GET /v1/collections (collections.list)."""
        collections = list(self.emu.state.collections.values())
        return self.page(
            request,
            collections,
            lambda c: {"name": c.name, "slug": c.slug, "description": c.description},
        )

    async def collections_get(self, request: Request) -> Response:
        """GET /v1/collections/{slug} (collections.get), with the models inlined."""
        collection = self.emu.state.collections.get(request.path_params["slug"])
        if collection is None:
            raise not_found("Collection not found")
        models = [
            self.emu.state.models[name]
            for name in collection.models
            if name in self.emu.state.models
        ]
        return json_response(
            {
                "name": collection.name,
                "slug": collection.slug,
                "description": collection.description,
                "full_description": collection.full_description,
                "models": [self.model_json(model) for model in models],
            }
        )

    # -- deployments -----------------------------------------------------------
    def _deployment(self, request: Request) -> Any:
        key = f"{request.path_params['owner']}/{request.path_params['name']}"
        deployment = self.emu.state.deployments.get(key)
        if deployment is None:
            raise not_found(f"Deployment {key} not found")
        return deployment

    async def deployments_list(self, request: Request) -> Response:
        """GET /v1/deployments (deployments.list), newest release first."""
        deployments = sorted(
            self.emu.state.deployments.values(), key=lambda d: d.release_created_at, reverse=True
        )
        return self.page(request, deployments, lambda d: d.to_json())

    async def deployments_create(self, request: Request) -> Response:
        """POST /v1/deployments (deployments.create); the spec answers 200."""
        body = await read_json(request)
        _required(body, ["name", "model", "version", "hardware", "min_instances", "max_instances"])
        self._check_scaling(body)
        owner = self.emu.state.account["username"]
        if f"{owner}/{body['name']}" in self.emu.state.deployments:
            raise ApiError(409, f"A deployment named {body['name']} already exists")
        model_owner, _, model_name = str(body["model"]).partition("/")
        model = self.emu.get_model(model_owner, model_name)
        self._version(model, str(body["version"]))
        self._check_hardware(body["hardware"])
        deployment = self.emu.add_deployment(
            f"{owner}/{body['name']}",
            model.full_name,
            str(body["version"]),
            hardware=body["hardware"],
            min_instances=body["min_instances"],
            max_instances=body["max_instances"],
        )
        return json_response(deployment.to_json())

    async def deployments_get(self, request: Request) -> Response:
        """GET /v1/deployments/{owner}/{name} (deployments.get)."""
        return json_response(self._deployment(request).to_json())

    async def deployments_update(self, request: Request) -> Response:
        """PATCH /v1/deployments/{owner}/{name} (deployments.update); bumps the release."""
        deployment = self._deployment(request)
        body = await read_json(request)
        self._check_scaling(body)
        if "hardware" in body:
            self._check_hardware(body["hardware"])
        if "version" in body:
            model_owner, _, model_name = deployment.model.partition("/")
            self._version(self.emu.get_model(model_owner, model_name), str(body["version"]))
        for key in ("hardware", "min_instances", "max_instances", "version"):
            if key in body:
                setattr(deployment, key, body[key])
        deployment.release_number += 1
        deployment.release_created_at = utcnow()
        return json_response(deployment.to_json())

    async def deployments_delete(self, request: Request) -> Response:
        """DELETE /v1/deployments/{owner}/{name} (deployments.delete)."""
        deployment = self._deployment(request)
        with self.emu.state.lock:
            self.emu.state.deployments.pop(f"{deployment.owner}/{deployment.name}", None)
        return Response(status_code=204)

    async def deployments_predict(self, request: Request) -> Response:
        """POST /v1/deployments/{owner}/{name}/predictions: runs the release's version."""
        deployment = self._deployment(request)
        model_owner, _, model_name = deployment.model.partition("/")
        model = self.emu.get_model(model_owner, model_name)
        version = self._version(model, deployment.version)
        return await self._create_prediction(
            request, model, version, deployment=f"{deployment.owner}/{deployment.name}"
        )

    def _check_scaling(self, body: Dict[str, Any]) -> None:
        for key, upper in (("min_instances", 5), ("max_instances", 20)):
            if key in body:
                value = body[key]
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= upper:
                    raise ApiError(
                        422, f"{key} must be an integer between 0 and {upper}", "Validation failed"
                    )

    def _check_hardware(self, sku: Any) -> None:
        if sku not in {item["sku"] for item in self.emu.state.hardware}:
            raise ApiError(
                422, f"Unknown hardware {sku!r}; see GET /v1/hardware", "Validation failed"
            )

    # -- files ---------------------------------------------------------------------
    def _file(self, request: Request) -> Any:
        record = self.emu.state.files.get(request.path_params["file_id"])
        if record is None:
            raise not_found("File not found")
        return record

    async def files_list(self, request: Request) -> Response:
        """GET /v1/files (files.list), newest first."""
        files = sorted(self.emu.state.files.values(), key=lambda f: f.created_at, reverse=True)
        return self.page(request, files, lambda f: f.to_json(self.emu.base_url))

    async def files_create(self, request: Request) -> Response:
        """POST /v1/files (files.create): multipart upload streamed to disk."""
        upload = await receive_upload(request, self.emu.uploads_dir, self.emu.max_upload_bytes)
        fields = upload.fields
        filename = fields.get("filename") or upload.part_filename or "file"
        if len(filename.encode()) > 255:
            raise ApiError(422, "filename must be at most 255 bytes")
        content_type = fields.get("type") or upload.part_content_type or "application/octet-stream"
        record = self.emu.register_file(
            upload.path,
            size=upload.size,
            sha256=upload.sha256,
            md5=upload.md5,
            filename=filename,
            content_type=content_type,
            metadata=parse_metadata(fields.get("metadata")),
        )
        return json_response(record.to_json(self.emu.base_url), 201)

    async def files_get(self, request: Request) -> Response:
        """GET /v1/files/{id} (files.get)."""
        return json_response(self._file(request).to_json(self.emu.base_url))

    async def files_delete(self, request: Request) -> Response:
        """DELETE /v1/files/{id} (files.delete)."""
        record = self._file(request)
        with self.emu.state.lock:
            self.emu.state.files.pop(record.id, None)
        return Response(status_code=204)

    async def files_download(self, request: Request) -> Response:
        """GET /v1/files/{id}/download (files.download): signed, no bearer token."""
        record = self._file(request)
        params = request.query_params
        try:
            expiry = int(params.get("expiry", ""))
        except ValueError:
            raise ApiError(400, "expiry must be a Unix timestamp")
        owner, signature = params.get("owner", ""), params.get("signature", "")
        if owner != record.owner or not self.emu.download_signer.verify(
            owner, record.id, expiry, signature
        ):
            raise ApiError(403, "Invalid or expired download signature", "Forbidden")
        return serve_file(
            request,
            record.path,
            filename=record.name,
            content_type="application/octet-stream",  # as the spec documents for downloads
            etag=record.md5,
            ranges=self.emu.delivery_supports_range,
        )

    # -- models ------------------------------------------------------------------
    def _visible_models(self) -> List[ModelRecord]:
        username = self.emu.state.account.get("username")
        return [
            model
            for model in list(self.emu.state.models.values())
            if model.visibility == "public" or model.owner == username
        ]

    async def models_list(self, request: Request) -> Response:
        """GET /v1/models (models.list) with sort_by/sort_direction."""
        sort_by = request.query_params.get("sort_by", "latest_version_created_at")
        direction = request.query_params.get("sort_direction", "desc")
        if sort_by not in ("model_created_at", "latest_version_created_at"):
            raise ApiError(400, "sort_by must be model_created_at or latest_version_created_at")
        if direction not in ("asc", "desc"):
            raise ApiError(400, "sort_direction must be asc or desc")

        def key(model: ModelRecord) -> Any:
            if sort_by == "latest_version_created_at" and model.latest_version is not None:
                return model.latest_version.created_at
            return model.created_at

        models = sorted(self._visible_models(), key=key, reverse=direction == "desc")
        return self.page(request, models, self.model_json)

    async def models_search(self, request: Request) -> Response:
        """QUERY /v1/models (models.search): the plain-text body is the query."""
        query = (await request.body()).decode("utf-8", "replace").strip()
        if not query:
            raise ApiError(400, "A search query is required in the request body")
        models = [model for model in self._visible_models() if _score(model, query) > 0]
        models.sort(key=lambda model: _score(model, query), reverse=True)
        return self.page(request, models, self.model_json)

    async def models_create(self, request: Request) -> Response:
        """POST /v1/models (models.create); 409 when the name is taken."""
        body = await read_json(request)
        _required(body, ["owner", "name", "visibility", "hardware"])
        if body["visibility"] not in ("public", "private"):
            raise ApiError(422, "visibility must be public or private", "Validation failed")
        self._check_hardware(body["hardware"])
        name = f"{body['owner']}/{body['name']}"
        if not re.match(r"^[a-z0-9][a-z0-9._-]*$", str(body["name"])):
            raise ApiError(
                422, "name may contain only lowercase letters, digits, dashes, dots and underscores"
            )
        with self.emu.state.lock:
            if name in self.emu.state.models:
                raise ApiError(409, f"A model named {name} already exists", "Conflict")
            model = ModelRecord(
                owner=str(body["owner"]),
                name=str(body["name"]),
                description=body.get("description"),
                visibility=body["visibility"],
                hardware=body["hardware"],
                github_url=body.get("github_url"),
                paper_url=body.get("paper_url"),
                license_url=body.get("license_url"),
                cover_image_url=body.get("cover_image_url"),
            )
            self.emu.state.models[name] = model
        return json_response(self.model_json(model), 201)

    async def models_get(self, request: Request) -> Response:
        """GET /v1/models/{owner}/{name} (models.get)."""
        return json_response(self.model_json(self._model(request)))

    async def models_update(self, request: Request) -> Response:
        """PATCH /v1/models/{owner}/{name} (models.update)."""
        model = self._model(request)
        body = await read_json(request)
        for key in (
            "description",
            "readme",
            "github_url",
            "paper_url",
            "weights_url",
            "license_url",
        ):
            if key in body:
                setattr(model, key, body[key])
        return json_response(self.model_json(model))

    async def models_delete(self, request: Request) -> Response:
        """DELETE /v1/models/{owner}/{name} (models.delete): private, version-less only."""
        model = self._model(request)
        if model.visibility != "private":
            raise ApiError(409, "Only private models can be deleted", "Conflict")
        if model.versions:
            raise ApiError(409, "Delete the model's versions before deleting the model", "Conflict")
        with self.emu.state.lock:
            self.emu.state.models.pop(model.full_name, None)
        return Response(status_code=204)

    async def models_examples(self, request: Request) -> Response:
        """GET /v1/models/{owner}/{name}/examples (models.examples.list)."""
        model = self._model(request)
        examples = list(self.emu.state.examples.get(model.full_name, []))
        if not examples and model.default_example is not None:
            examples = [model.default_example]
        return self.page(request, examples, lambda example: example)

    async def models_readme(self, request: Request) -> Response:
        """GET /v1/models/{owner}/{name}/readme (models.readme.get) as Markdown text."""
        model = self._model(request)
        if model.readme is None:
            raise not_found("README not found")
        return PlainTextResponse(model.readme, media_type="text/plain; charset=utf-8")

    async def models_predict(self, request: Request) -> Response:
        """POST /v1/models/{owner}/{name}/predictions (models.predictions.create)."""
        model = self._model(request)
        if model.latest_version is None:
            raise ApiError(404, f"Model {model.full_name} has no versions to run", "Not found")
        return await self._create_prediction(
            request, model, model.latest_version, hide_version=model.is_official
        )

    async def versions_list(self, request: Request) -> Response:
        """GET /v1/models/{owner}/{name}/versions (models.versions.list), newest first."""
        return self.page(request, list(self._model(request).versions), lambda v: v.to_json())

    async def versions_get(self, request: Request) -> Response:
        """GET /v1/models/{owner}/{name}/versions/{id} (models.versions.get)."""
        model = self._model(request)
        return json_response(self._version(model, request.path_params["version_id"]).to_json())

    async def versions_delete(self, request: Request) -> Response:
        """DELETE /v1/models/{owner}/{name}/versions/{id} (models.versions.delete): 202."""
        model = self._model(request)
        version = self._version(model, request.path_params["version_id"])
        if model.visibility != "private":
            raise ApiError(409, "Only versions of private models can be deleted", "Conflict")
        if any(d.version == version.id for d in self.emu.state.deployments.values()):
            raise ApiError(409, "The version is used by a deployment", "Conflict")
        with self.emu.state.lock:
            model.versions.remove(version)
            for job_id in [
                p.id for p in self.emu.state.predictions.values() if p.version == version.id
            ]:
                self.emu.state.predictions.pop(job_id, None)
        return Response(status_code=202)

    # -- predictions ---------------------------------------------------------------
    async def predictions_list(self, request: Request) -> Response:
        """GET /v1/predictions (predictions.list): created_after/created_before/source."""
        params = request.query_params
        predictions = self.emu.state.newest_first(self.emu.state.predictions)  # type: ignore[arg-type]
        try:
            if params.get("created_after"):
                after = parse_iso(params["created_after"])
                predictions = [p for p in predictions if p.created_at >= after]
            if params.get("created_before"):
                before = parse_iso(params["created_before"])
                predictions = [p for p in predictions if p.created_at < before]
        except ValueError:
            raise ApiError(400, "created_after/created_before must be ISO 8601 date-times")
        source = params.get("source")
        if source is not None:
            if source != "web":
                raise ApiError(400, "source must be 'web'")
            predictions = [p for p in predictions if p.source == "web"]
        return self.page(request, predictions, lambda p: p.to_json())

    async def predictions_create(self, request: Request) -> Response:
        """POST /v1/predictions (predictions.create): version id, owner/name or both."""
        body = await read_json(request)
        ref = body.get("version")
        if not isinstance(ref, str) or not ref:
            raise ApiError(422, "version is required", "Validation failed")
        model, version = self.emu.resolve_version_ref(ref)
        official_ref = ":" not in ref and "/" in ref and model.is_official
        return await self._create_prediction(
            request, model, version, body=body, hide_version=official_ref
        )

    async def predictions_get(self, request: Request) -> Response:
        """GET /v1/predictions/{id} (predictions.get)."""
        return json_response(self._prediction(request).to_json())

    async def predictions_cancel(self, request: Request) -> Response:
        """POST /v1/predictions/{id}/cancel (predictions.cancel); no-op once terminal."""
        return json_response(self.emu.cancel(self._prediction(request)).to_json())

    async def _create_prediction(
        self,
        request: Request,
        model: ModelRecord,
        version: VersionRecord,
        *,
        body: Optional[Dict[str, Any]] = None,
        hide_version: bool = False,
        deployment: Optional[str] = None,
    ) -> Response:
        if body is None:
            body = await read_json(request)
        inputs = body.get("input")
        if not isinstance(inputs, dict):
            raise ApiError(
                422, "input is required and must be an object", "Input validation failed"
            )
        if version.predict is None:
            raise ApiError(422, f"Version {version.id} cannot be run in the emulator")
        schema = version.openapi_schema.get("components", {}).get("schemas", {}).get("Input", {})
        invalid = validate_input(schema, inputs)  # pyright: ignore[reportUnknownArgumentType]
        if invalid:
            detail = "".join(f"- {problem['description']}\n" for problem in invalid)
            raise ApiError(
                422,
                detail,
                "Input validation failed",
                body={
                    "type": "https://replicate.com/docs/reference/http#errors-422",
                    "title": "Input validation failed",
                    "status": 422,
                    "detail": detail,
                    "invalid_fields": invalid,
                },
            )
        webhook = body.get("webhook")
        if webhook is not None and not isinstance(webhook, str):
            raise ApiError(422, "webhook must be a URL string", "Validation failed")
        events = _events_filter(body.get("webhook_events_filter"))
        cancel_after = None
        if request.headers.get("cancel-after"):
            cancel_after = max(
                parse_duration(request.headers["cancel-after"]), self.emu.min_cancel_after
            )
        wait = parse_prefer_wait(request.headers.get("prefer"), self.emu.max_wait_seconds)
        prediction = self.emu.create_prediction(
            model,
            version,
            inputs,  # pyright: ignore[reportUnknownArgumentType]
            hide_version=hide_version,
            webhook=webhook or None,
            webhook_events_filter=events,
            cancel_after=cancel_after,
            deployment=deployment,
        )
        body = prediction.to_json()
        if wait:
            await prediction.wait_terminal(wait)
            body = held_answer(prediction.to_json())
            if self.emu.sync_mode_data_uris:
                body["output"] = self.emu.inline_files(body["output"])
        return json_response(body, 201)

    # -- trainings ---------------------------------------------------------------
    async def trainings_create(self, request: Request) -> Response:
        """POST /v1/models/{owner}/{name}/versions/{id}/trainings (trainings.create)."""
        model = self._model(request)
        version = self._version(model, request.path_params["version_id"])
        body = await read_json(request)
        destination_name = body.get("destination")
        destination = (
            self.emu.state.models.get(destination_name)
            if isinstance(destination_name, str)
            else None
        )
        if destination is None:
            raise ApiError(
                404,
                "The specified training destination does not exist",
                body={"detail": "The specified training destination does not exist", "status": 404},
            )
        inputs = body.get("input")
        if not isinstance(inputs, dict):
            raise ApiError(422, "input is required and must be an object", "Validation failed")
        webhook = body.get("webhook")
        training = self.emu.create_training(
            model,
            version,
            destination,
            inputs,  # pyright: ignore[reportUnknownArgumentType]
            webhook=webhook if isinstance(webhook, str) and webhook else None,
            webhook_events_filter=_events_filter(body.get("webhook_events_filter")),
        )
        return json_response(training.to_json(), 201)

    async def trainings_list(self, request: Request) -> Response:
        """GET /v1/trainings (trainings.list), newest first."""
        trainings = self.emu.state.newest_first(self.emu.state.trainings)  # type: ignore[arg-type]
        return self.page(request, trainings, lambda t: t.to_json())

    async def trainings_get(self, request: Request) -> Response:
        """GET /v1/trainings/{id} (trainings.get)."""
        return json_response(self._training(request).to_json())

    async def trainings_cancel(self, request: Request) -> Response:
        """POST /v1/trainings/{id}/cancel (trainings.cancel)."""
        return json_response(self.emu.cancel(self._training(request)).to_json())

    # -- search -------------------------------------------------------------------
    async def search(self, request: Request) -> Response:
        """GET /v1/search (search): models, collections and pages; no token needed."""
        query = (request.query_params.get("query") or "").strip()
        if not query:
            raise ApiError(400, "The query parameter is required")
        try:
            limit = int(request.query_params.get("limit", "20"))
        except ValueError:
            raise ApiError(400, "limit must be an integer between 1 and 50")
        if not 1 <= limit <= 50:
            raise ApiError(400, "limit must be an integer between 1 and 50")
        scored = [(model, _score(model, query)) for model in self._visible_models()]
        scored = sorted(
            (item for item in scored if item[1] > 0), key=lambda item: item[1], reverse=True
        )
        terms = query.lower().split()
        collections = [
            c
            for c in self.emu.state.collections.values()
            if any(term in f"{c.slug} {c.name} {c.description}".lower() for term in terms)
        ]
        return json_response(
            {
                "query": query,
                "models": [
                    {
                        "model": self.model_json(model),
                        "metadata": {
                            "generated_description": model.description,
                            "tags": [model.owner],
                            "score": float(score),
                        },
                    }
                    for model, score in scored[:limit]
                ],
                "collections": [
                    {
                        "name": c.name,
                        "slug": c.slug,
                        "description": c.description,
                        "models": list(c.models),
                    }
                    for c in collections
                ],
                "pages": [],
            }
        )

    # -- delivery origin -------------------------------------------------------------
    async def stream(self, request: Request) -> Response:
        """GET a prediction's SSE stream (delivery origin), resuming after Last-Event-ID."""
        job = self.emu.state.predictions.get(request.path_params["job_id"])
        if job is None:
            raise not_found("Stream not found")
        last_id = parse_last_event_id(
            request.headers.get("last-event-id") or request.query_params.get("last_event_id")
        )
        rule = self.emu.faults.take("cut_stream", request.method, request.url.path)
        return StreamingResponse(
            event_stream(job, last_id, cut_after=rule.after_events if rule else None),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )

    async def delivered_file(self, request: Request) -> Response:
        """GET/HEAD an output file (delivery origin) with Range support."""
        record = self.emu.delivery.get(request.path_params["token"])
        if record is None:
            raise not_found("File not found")
        return serve_file(
            request,
            record.path,
            filename=record.filename,
            content_type=record.content_type,
            etag=record.token,
            ranges=self.emu.delivery_supports_range,
        )

    async def web_page(self, request: Request) -> Response:
        """GET /p/{id}: a minimal page standing in for the prediction's web URL."""
        job_id = request.path_params["job_id"]
        job = self.emu.state.predictions.get(job_id) or self.emu.state.trainings.get(job_id)
        if job is None:
            raise not_found("Prediction not found")
        body = html.escape(json.dumps(job.to_json(), indent=2))
        return HTMLResponse(f"<!doctype html><title>{job.id}</title><pre>{body}</pre>")


def _events_filter(value: Any) -> Optional[List[str]]:
    if value is None:
        return None
    if not isinstance(value, list) or any(event not in WEBHOOK_EVENTS for event in value):  # pyright: ignore[reportUnknownVariableType]
        raise ApiError(
            422,
            f"webhook_events_filter must be a list drawn from {list(WEBHOOK_EVENTS)}",
            "Validation failed",
        )
    return list(value)  # pyright: ignore[reportUnknownArgumentType]


def _score(model: ModelRecord, query: str) -> int:
    haystack = f"{model.owner} {model.name} {model.description or ''}".lower()
    return sum(haystack.count(term) for term in query.lower().split())
