"""W6 seeding: the events API with the W3 calendar loaded for one user.

:func:`w6_app` builds what :func:`benchmarks.workloads.w6` serves over HTTP: a SQLite
store in a temporary folder, one user (``bench@example.org``, bearer token
``bench-token`` through a :class:`~opentalk_sched.api.StaticTokenVerifier`), the W3
.ics imported for that user the way an import does it (``read_calendar`` then
``Service.import_series``), and ``create_app`` on top. The folder is removed when the
process ends.

    >>> app, headers = w6_app(Path("benchmarks/results/w3-calendar.ics"))   # doctest: +SKIP
    >>> headers
    {'Authorization': 'Bearer bench-token'}                                  # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

TOKEN = "bench-token"
EMAIL = "bench@example.org"


def w6_app(ics_path: Path):
    """``(app, headers)``: the ASGI app with the W3 calendar stored for the bench user,
    and the ``Authorization`` header of that user. Raises ImportError while the API,
    the service, the store or the importer is missing."""
    from opentalk_sched.api import create_app
    from opentalk_sched.api.auth import StaticTokenVerifier
    from opentalk_sched.ical.importer import read_calendar
    from opentalk_sched.service import Service
    from opentalk_sched.store import open_store

    folder = Path(tempfile.mkdtemp(prefix="opentalk-w6-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    store = open_store(folder / "w6.db")
    service = Service(store)
    verifier = StaticTokenVerifier.from_text(f"{TOKEN} {EMAIL} Bench")
    identity = verifier.verify(TOKEN)
    user = service.get_or_create_user_by_subject(identity.subject, email=identity.email,
                                                 display_name=identity.display_name)
    parsed = read_calendar(Path(ics_path).read_bytes(), skip_invalid=True)
    service.import_series(user.id, parsed.items, skipped=parsed.errors)
    return create_app(service, verifier), {"Authorization": f"Bearer {TOKEN}"}
