"""A median-of-samples timer for a shared, noisy machine.

:func:`measure` runs a function once to warm it up (imports, caches, lazy compilation),
then calibrates how many calls make one sample last at least ``min_sample`` seconds
(like ``timeit.autorange``), then takes ``repeat`` samples with
:func:`time.perf_counter`. The result is the median seconds per call, plus what the
function returned on its last call (the instance count, for the table).

    >>> m = measure(lambda: sum(range(1000)), repeat=3, min_sample=0.001)
    >>> m.result, m.samples
    (499500, 3)

:func:`measure_interleaved` does the same for several functions, one sample of each per
round, so a burst of load from another process spreads over all of them.

The garbage collector stays on (callers pay for it in real life), but a full
collection runs before each sample so one sample does not pay for another's garbage.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True, slots=True)
class Measurement:
    """``median``/``best`` are seconds per call; ``loops`` calls per sample;
    ``samples`` the number of samples; ``result`` the function's last return value."""

    median: float
    best: float
    loops: int
    samples: int
    result: Any


def measure(fn: Callable[[], Any], repeat: int = 7, min_sample: float = 0.02, warmup: int = 1) -> Measurement:
    """Median seconds per call of ``fn()`` over ``repeat`` samples (see the module docstring).

    ``min_sample=0`` turns calibration off (one call per sample: use it for calls that
    take seconds, or whose first call differs from later ones).
    """
    return measure_interleaved({None: fn}, repeat, min_sample, warmup)[None]


def measure_interleaved(fns: dict[Any, Callable[[], Any]], repeat: int = 7, min_sample: float = 0.02,
                        warmup: int = 1) -> dict[Any, Measurement]:
    """:func:`measure` for several functions, taking their samples round-robin (one
    sample of each per round) so a burst of load on the shared machine spreads over all
    of them instead of skewing one. Returns a Measurement per key."""
    loops, results, times = {}, {}, {k: [] for k in fns}
    for key, fn in fns.items():
        for _ in range(warmup):
            results[key] = fn()
        loops[key] = _calibrate(fn, min_sample, results, key)
    for _ in range(max(1, repeat)):
        for key, fn in fns.items():
            n = loops[key]
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(n):
                results[key] = fn()
            times[key].append((time.perf_counter() - t0) / n)
    return {
        k: Measurement(statistics.median(t), min(t), loops[k], len(t), results.get(k)) for k, t in times.items()
    }


def _calibrate(fn: Callable[[], Any], min_sample: float, results: dict, key: Any) -> int:
    """Calls per sample so that one sample lasts at least ``min_sample`` seconds."""
    loops = 1
    if min_sample <= 0:
        return loops
    while True:
        t0 = time.perf_counter()
        for _ in range(loops):
            results[key] = fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_sample or loops >= 1 << 20:
            return loops
        loops = loops * 2 if elapsed <= 0 else max(loops * 2, int(loops * min_sample / elapsed * 1.2))

