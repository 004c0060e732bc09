"""opentalk-sched: a calendar scheduling engine (see README.md)."""

__version__ = "0.1.0"
