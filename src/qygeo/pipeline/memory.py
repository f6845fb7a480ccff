"""Process memory settings for reading a province's plots batch after batch.

The plot engine (:mod:`qygeo.pipeline.plot_table`) makes the same large temporaries (a few
MB to some tens of MB: coordinates, areas, columns) for every batch of
plots. By default glibc returns such blocks to the kernel as soon as they are
freed (their own ``mmap``, or a trimmed heap), and numpy asks for transparent
huge pages on them, so every batch faults its memory in afresh and the kernel
zeroes it, 2 MB at a time: system time a good part of the report (measured in
``bench/results/``). Keeping freed blocks in malloc's heaps lets the next batch
reuse them. Peak memory does not grow: the blocks are the ones the next batch
needs.

:func:`keep_freed_memory` changes the whole process, so only the command line
calls it (``qygeo report``); a program using qygeo as a library decides for
itself. ``QYGEO_KEEP_MEMORY=0`` turns it off.

:func:`gc_paused` pauses Python's cyclic garbage collector over the engine's
batches and the evaluation, and restores it after.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import sys
from collections.abc import Iterator

#: glibc ``mallopt`` parameters (``<malloc.h>``).
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
#: Free memory at the top of a heap that glibc keeps instead of returning it (bytes).
TRIM_THRESHOLD_BYTES = 1 << 30
#: Blocks up to this size come from malloc's heaps, not an ``mmap`` of their own; glibc's
#: largest allowed value on 64-bit systems (bytes).
MMAP_THRESHOLD_BYTES = 32 << 20
#: Free memory glibc keeps at the top of a heap when it grows or shrinks one (bytes). A
#: worker thread's arena is made of heaps of at most 64 MB, and glibc unmaps a heap of it
#: as soon as the heap is entirely free, whatever the trim threshold, unless the heap
#: before it has less than this free: so without it every batch faulted in afresh the
#: part of its temporaries beyond a worker's first heap.
TOP_PAD_BYTES = 64 << 20
#: Set to ``0`` to leave the allocator as it is.
ENV = "QYGEO_KEEP_MEMORY"


@functools.cache
def keep_freed_memory() -> bool:
    """Keep freed blocks for reuse: glibc trim and mmap thresholds and top pad, no numpy
    huge pages.

    Runs once per process (later calls return the first result).

    Returns
    -------
    bool
        Whether the settings were made: False with ``QYGEO_KEEP_MEMORY=0``,
        off Linux, or with a C library other than glibc.
    """
    if os.environ.get(ENV, "1").strip() == "0" or not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc only (musl has no such mallopt)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # The mmap threshold first: once set, glibc stops moving both thresholds itself.
    if mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1:
        return False
    if mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) != 1:
        return False
    if mallopt(M_TOP_PAD, TOP_PAD_BYTES) != 1:
        return False
    # Huge pages asked for on reused heap memory made it slower, not faster (measured with
    # the thresholds above; numpy's documented switch, as NUMPY_MADVISE_HUGEPAGE=0).
    import numpy as np

    set_hugepage = getattr(np._core.multiarray, "_set_madvise_hugepage", None)
    if set_hugepage is not None:
        set_hugepage(False)
    return True


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, and left as it was after.

    The plot engine's batches make some hundred thousand short-lived objects
    the collector tracks (shapely geometries of the plots near a park
    boundary, pandas objects) and almost no reference cycles: at a million
    plots they triggered hundreds of collections, some of them full, each holding
    the GIL and so stalling both workers; a collection afterwards finds next to
    nothing to free. Objects it leaves alive are moved to the oldest generation.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # What the pause made and kept (a report's tables) joins the oldest generation
            # (freeze, then unfreeze): otherwise the first young collection after it scans
            # every one of those objects, 30 ms after a million plots.
            gc.freeze()
            gc.unfreeze()
            gc.enable()
