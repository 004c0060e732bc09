"""The ``opentalk-sched`` command line: one module per subcommand.

Each module in :data:`COMMANDS` has ``register(subparsers)``, which adds its parser and
sets ``func(args) -> int`` as the handler. Errors of the engine (:class:`SchedError`)
become a one-line message on stderr and exit status 2; nothing prints a traceback for
bad input.
"""

from __future__ import annotations

import argparse
import importlib
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SchedError as err:
        print(f"opentalk-sched {args.command}: {err}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as err:
        print(f"opentalk-sched {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
