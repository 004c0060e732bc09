"""A median-of-samples timer for a shared, noisy machine.

:func:`measure` runs a function once to warm it up (imports, caches, lazy compilation),
then calibrates how many calls make one sample last at least ``min_sample`` seconds
(like ``timeit.autorange``), then takes ``repeat`` samples with
:func:`time.perf_counter`. The result is the median seconds per call, plus what the
function returned on its last call (the instance count, for the table).

    >>> m = measure(lambda: sum(range(1000)), repeat=3, min_sample=0.001)
    >>> m.result, m.samples
    (499500, 3)

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
    result = None
    for _ in range(warmup):
        result = fn()
    loops = 1
    if min_sample > 0:
        while True:
            t0 = time.perf_counter()
            for _ in range(loops):
                result = fn()
            elapsed = time.perf_counter() - t0
            if elapsed >= min_sample or loops >= 1 << 20:
                break
            loops = loops * 2 if elapsed <= 0 else max(loops * 2, int(loops * min_sample / elapsed * 1.2))
    times = []
    for _ in range(max(1, repeat)):
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(loops):
            result = fn()
        times.append((time.perf_counter() - t0) / loops)
    return Measurement(statistics.median(times), min(times), loops, len(times), result)

