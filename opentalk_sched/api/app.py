"""The ready ASGI application: :func:`create_app`.

    >>> from opentalk_sched.store import open_store
    >>> from opentalk_sched.api import create_app, StaticTokenVerifier
    >>> app = create_app(open_store(":memory:"), StaticTokenVerifier.from_text("t alice@example.org"))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/v1/events/{event_id}/invite"))[:2]
    ['/v1/events/{event_id}/invite', '/v1/events/{event_id}/invite']

It mounts :data:`opentalk_sched.api.router` under ``/v1``, installs the error handlers
and the 1 MiB body limit, and serves the OpenAPI document at ``/openapi.json`` with
interactive docs at ``/docs`` (``/`` redirects there). To mount the routes in an
application of your own, do what :func:`create_app` does::

    app.add_middleware(BodyLimitMiddleware)
    install_error_handlers(app)
    context.install(app, service, verifier)
    app.include_router(router, prefix="/v1")
"""

from __future__ import annotations

from typing import Any, Iterable

from fastapi import APIRouter, FastAPI
from starlette.responses import RedirectResponse

from .. import __version__
from . import context
from .auth import TokenVerifier
from .errors import MAX_BODY_BYTES, BodyLimitMiddleware, install_error_handlers
from .routes import router

DESCRIPTION = """\
Events, instances, invites and favorites, compatible with the OpenTalk controller's
events API (SPEC §2). Every route needs `Authorization: Bearer <token>`.

Errors are `{"code", "message", "validation_errors"?}`. Cursor-paged lists answer
`Link: <...&after=CURSOR>; rel="after"` while more rows exist.
"""


def as_service(service_or_store: Any, **service_options: Any):
    """A service as given, or a :class:`~opentalk_sched.service.Service` around a store."""
    if hasattr(service_or_store, "create_event") and hasattr(service_or_store, "list_instances"):
        return service_or_store
    from ..ical.itip import itip_for
    from ..service import Service

    service_options.setdefault("itip", itip_for)  # notifications carry their iTIP message
    return Service(service_or_store, **service_options)


def create_app(
    service_or_store: Any,
    verifier: TokenVerifier,
    *,
    title: str = "opentalk-sched events API",
    max_body_bytes: int = MAX_BODY_BYTES,
    token_cache_seconds: float = 60.0,
    extra_routers: Iterable[APIRouter] = (),
    include_scheduling: bool = True,
    **service_options: Any,
) -> FastAPI:
    """The events API as a FastAPI app.

    ``service_or_store``: a :class:`~opentalk_sched.service.Service`, or a store to wrap in
    one (``service_options`` such as ``notify=`` are passed to it). ``verifier``: checks
    bearer tokens (:class:`~opentalk_sched.api.auth.OidcVerifier`,
    :class:`~opentalk_sched.api.auth.StaticTokenVerifier` or your own).
    ``token_cache_seconds``: how long a verified token is remembered (0 = never).
    ``extra_routers`` are mounted as given (with their own prefixes);
    ``include_scheduling`` mounts the free/busy routes of
    :mod:`opentalk_sched.api.scheduling` when that module is present.
    """
    service = as_service(service_or_store, **service_options)
    app = FastAPI(title=title, version=__version__, description=DESCRIPTION)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    install_error_handlers(app)
    context.install(app, service, verifier, cache_seconds=token_cache_seconds)
    app.include_router(router, prefix="/v1")
    if include_scheduling:
        try:
            from .scheduling import build_router as scheduling_router
        except ImportError:  # pragma: no cover - the module is optional
            scheduling_router = None
        if scheduling_router is not None:
            app.include_router(scheduling_router(context.get_store, context.caller_id))
    for extra in extra_routers:
        app.include_router(extra)

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app


__all__ = ["create_app", "as_service"]
