"""The ``opentalk-sched`` command line: one module per subcommand.

Each module in :data:`COMMANDS` has ``register(subparsers)``, which adds its parser and
sets ``func(args) -> int`` as the handler. Every error becomes a one-line message on
stderr and exit status 2 (a missing optional dependency names the extra to install);
nothing prints a traceback unless ``OPENTALK_SCHED_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..core.errors import SchedError

#: subcommand modules, in the order ``--help`` lists them
COMMANDS = (
    "instances",
    "import_",
    "check",
    "freebusy",
    "find-slots",
    "caldav-sync",
    "migrate",
    "serve",
    "export",
    "itip-reply",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opentalk-sched", description="Calendar scheduling engine.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name.replace('-', '_')}").register(sub)
    return parser


#: optional dependency → the extra that installs it
_EXTRAS = {"psycopg": "postgres", "psycopg_pool": "postgres", "caldav": "caldav", "fastapi": "server",
           "uvicorn": "server", "jwt": "server"}


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit status (0 ok, 1 a reported problem, 2 an error).

    Every failure is one line on stderr; ``OPENTALK_SCHED_DEBUG=1`` shows the traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    where = f"opentalk-sched {args.command}"
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (| head): not an error of ours
        sys.stderr.close()
        return 0
    except Exception as err:  # noqa: BLE001 - the one place that turns errors into messages
        if os.environ.get("OPENTALK_SCHED_DEBUG") == "1":
            raise
        print(f"{where}: {_describe(err)}", file=sys.stderr)
        return 2


def _describe(err: Exception) -> str:
    if isinstance(err, SchedError):
        return str(err)
    if isinstance(err, ModuleNotFoundError) and err.name:
        top = err.name.split(".")[0]
        extra = _EXTRAS.get(top)
        if extra:
            return f"this needs the optional dependency {top!r}: pip install 'opentalk-sched[{extra}]'"
    if isinstance(err, (OSError, ValueError)):
        return str(err)
    return f"{type(err).__name__}: {err}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
