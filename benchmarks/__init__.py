"""The opentalk-sched benchmark suite (issue 7): workloads W1–W6, our engine side by side
with recurring-ical-events and python-dateutil.

Run everything and write ``benchmarks/results/latest.md`` (and ``latest.json``)::

    python -m benchmarks.run            # full run, a few minutes
    python -m benchmarks.run --quick    # CI mode, under a minute
    python -m benchmarks.run --write-docs   # also rewrite the table in docs/performance.md

Modules: ``timing`` (median-of-samples timer), ``calendar_gen`` (the deterministic
10,000-event W3 calendar), ``workloads`` (W1–W6, each returning table rows),
``memory`` (the W5 child process), ``report`` (markdown tables, the W2 SVG, the docs
rewrite), ``profiling`` (cProfile / pyinstrument on W1, W2, W3), ``run`` (the command).
The store author's ``store_w3.py`` plugs in here (see ``workloads.store_hooks``).
See docs/performance.md for what each workload measures.
"""
