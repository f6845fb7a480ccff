"""qygeo.pipeline.memory: freed blocks are kept for reuse, and only when asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Run in a child process: the settings are for the whole process, for good.
CHILD = r"""
import json, resource
import numpy as np
from qygeo.pipeline.memory import keep_freed_memory

kept = keep_freed_memory() if {call} else False
if not kept:  # count faults in 4-kB pages in both cases (a huge page counts one)
    np._core.multiarray._set_madvise_hugepage(False)

def faults_of_a_round():
    # Four 24-MB blocks (a batch's temporaries), touched and freed, as the engine does.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [np.ones(3_000_000) for _ in range(4)]
    del blocks
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

if {thread}:  # a worker's own arena, as the engine's batches use
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        rounds = [pool.submit(faults_of_a_round).result() for _ in range(3)]
else:
    rounds = [faults_of_a_round() for _ in range(3)]
print(json.dumps({{"kept": kept, "hugepage": bool(np._core.multiarray._get_madvise_hugepage()),
                  "last_round_faults": rounds[-1]}}))
"""


def child(call: bool, *, thread: bool = False, **env: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD.format(call=call, thread=thread)],
                         check=True,
                         capture_output=True, text=True, env={**os.environ, **env})
    return json.loads(out.stdout)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings")
@pytest.mark.parametrize("thread", [False, True])
def test_freed_blocks_are_reused_without_faulting_them_in_again(thread):
    kept = child(True, thread=thread)
    default = child(False, thread=thread)
    assert kept["kept"] is True and kept["hugepage"] is False
    assert default["kept"] is False
    # 96 MB a round is some 24,000 pages: by default a later round faults them in afresh
    # (glibc trims the freed heap, or on a thread unmaps the arena's heaps beyond its
    # first); kept, the third round reuses the second's pages.
    assert default["last_round_faults"] > 10_000
    assert kept["last_round_faults"] < 1_000


@pytest.mark.slow
def test_qygeo_keep_memory_0_leaves_the_allocator_alone():
    out = child(True, QYGEO_KEEP_MEMORY="0")
    assert out["kept"] is False
    assert out["last_round_faults"] > 10_000  # glibc's defaults: trimmed and faulted again


def test_qygeo_report_keeps_freed_memory_for_its_batches(tiny_geodata):
    from click.testing import CliRunner

    from qygeo.cli import main
    from qygeo.pipeline.memory import keep_freed_memory

    keep_freed_memory.cache_clear()
    plots = str(tiny_geodata / "plots.geojson")
    res = CliRunner().invoke(main, ["report", "--geodata", str(tiny_geodata), "--plots", plots,
                                    "--format", "json", "--quiet"], catch_exceptions=False)
    assert res.exit_code == 0
    assert keep_freed_memory.cache_info().currsize == 1  # called by the command


def test_gc_paused_pauses_and_restores_the_collector_even_on_error():
    import gc

    from qygeo.pipeline.memory import gc_paused

    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        raise ValueError("a batch failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as it was
    finally:
        gc.enable()


def test_what_a_pause_keeps_joins_the_oldest_generation_and_can_still_be_collected():
    import gc
    import weakref

    from qygeo.pipeline.memory import gc_paused

    class Node:
        pass

    with gc_paused():
        kept = [[i] for i in range(5000)]  # a report's many small objects
        cycle = Node()
        cycle.me = cycle  # garbage only a collection frees
        gone = weakref.ref(cycle)
        del cycle
    # No young collection is due to scan them, and they are in the oldest generation.
    assert gc.get_count()[0] < 100
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(kept[0]) in oldest and id(kept[-1]) in oldest
    assert gone() is not None
    gc.collect()  # not frozen for good: a full collection still frees the cycle
    assert gone() is None
