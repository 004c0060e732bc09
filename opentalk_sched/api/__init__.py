"""opentalk_sched.api: the OpenTalk-compatible events HTTP API (FastAPI, SPEC §2).

    >>> from opentalk_sched.store import open_store
    >>> from opentalk_sched.api import create_app, StaticTokenVerifier
    >>> app = create_app(open_store("cal.db"), StaticTokenVerifier.from_file("tokens.txt"))  # doctest: +SKIP

Or mount the routes in an app of your own: ``app.include_router(router, prefix="/v1")``
after :func:`opentalk_sched.api.context.install` and
:func:`opentalk_sched.api.errors.install_error_handlers` (see :mod:`.app`).

Modules: ``app`` (:func:`create_app`), ``routes`` (the combined router), one module per
resource (``events``, ``instances``, ``invites``, ``favorites``, ``feeds``), ``schemas``
(wire shapes = the OpenAPI document; request bodies are strict), ``render`` (views →
JSON), ``params`` (ids, times, paging headers), ``errors`` (the error table, 413 limit),
``auth`` (bearer-token verifiers), ``context`` (service and caller dependencies),
``scheduling`` (free/busy, find_slots, working hours; mounted by :func:`create_app`
unless ``include_scheduling=False``, docs/scheduling.md). Adapters hold no rules: every
decision is the service's (:mod:`opentalk_sched.service`).

Routes under ``/v1`` (docs/api.md has the full table):

* events: ``POST``/``GET /events``, ``GET``/``PATCH``/``DELETE /events/{event_id}``,
  ``GET /rooms/{room_id}/event``;
* instances: ``GET /events/instances`` (calendar view), ``GET /events/{event_id}/instances``,
  ``GET``/``PATCH /events/{event_id}/instances/{instance_id}``;
* invites: ``POST``/``GET /events/{event_id}/invites``, ``PATCH``/``DELETE
  /events/{event_id}/invites/email`` and ``…/invites/{user_id}``, ``PATCH``/``DELETE
  /events/{event_id}/invite`` (accept / decline), ``GET /users/me/pending_invites``;
* favorites: ``PUT``/``DELETE /users/me/event_favorites/{event_id}``;
* feeds (docs/feeds.md): ``GET /users/me/calendar.ics``, ``GET /events/{event_id}/ics``,
  ``GET``/``POST``/``DELETE /users/me/calendar_feed``, ``GET /feeds/{token}.ics`` (no
  Bearer: the token is the secret).
"""

from __future__ import annotations

from .app import create_app
from .auth import AuthError, Identity, OidcVerifier, StaticTokenVerifier, TokenVerifier
from .routes import router

__all__ = ["create_app", "router", "Identity", "TokenVerifier", "OidcVerifier", "StaticTokenVerifier", "AuthError"]
