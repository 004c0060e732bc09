"""opentalk_sched.api: the OpenTalk-compatible events HTTP API (FastAPI, SPEC §2).

    >>> from opentalk_sched.store import open_store
    >>> from opentalk_sched.api import create_app, StaticTokenVerifier
    >>> app = create_app(open_store("cal.db"), StaticTokenVerifier.from_file("tokens.txt"))  # doctest: +SKIP

Or mount the routes in an app of your own: ``app.include_router(router, prefix="/v1")``
after :func:`opentalk_sched.api.context.install` and
:func:`opentalk_sched.api.errors.install_error_handlers` (see :mod:`.app`).

Modules: ``app`` (:func:`create_app`), ``routes`` (the combined router), one module per
resource (``events``, ``instances``, ``invites``, ``favorites``), ``schemas`` (wire
shapes = the OpenAPI document), ``render`` (views → JSON), ``params`` (ids, times,
paging headers), ``errors`` (the error table, 413 limit), ``auth`` (bearer-token
verifiers), ``context`` (service and caller dependencies). Adapters hold no rules: every
decision is the service's (:mod:`opentalk_sched.service`).
"""

from __future__ import annotations

from .app import create_app
from .auth import AuthError, Identity, OidcVerifier, StaticTokenVerifier, TokenVerifier
from .routes import router

__all__ = ["create_app", "router", "Identity", "TokenVerifier", "OidcVerifier", "StaticTokenVerifier", "AuthError"]
