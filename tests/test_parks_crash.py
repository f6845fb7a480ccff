"""``park add``, ``park update`` and ``park undo`` killed with SIGKILL at random moments.

Each command runs as a real process on a copy of the tiny data folder and is
killed after a seeded random delay spanning its whole run time (measured first),
so kills land while Python starts, while it plans and while it writes. After
every kill:

* parks.geojson parses and is one of the committed states (before or after);
* the next park command (``park list``) leaves no temporary file and no journal;
* ``park undo --dry-run`` works without ``--force``, and when the killed command
  did land, the snapshot it made is exactly the state before it (a later undo
  restores it).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import shapely

from qygeo.pipeline import parks
from test_parks import invoke, write_boundary

KILLS_PER_COMMAND = 11
SEED = 20261128


#: The CLI with every file step of a park write (atomic write, unlink) preceded by a
#: pause, and "writing" on stderr at the first: without it the write takes a few
#: milliseconds of a run dominated by Python's start, and random kills would almost
#: never land between its steps. The pause is the test's own (a wrapper around the
#: library), not a hook in qygeo.
SLOW_WRITER = """
import functools, sys, time
from qygeo.io import atomic, layers
from qygeo.pipeline import parks
def slow(fn):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        print("writing", file=sys.stderr, flush=True)
        time.sleep(PAUSE_S)
        return fn(*a, **k)
    return wrapper
atomic.atomic_write_bytes = slow(atomic.atomic_write_bytes)
parks._unlink = slow(parks._unlink)
from qygeo.cli import main
sys.argv[0] = "qygeo"
main()
"""
PAUSE_S = 0.05
#: File steps of a write: journal, snapshot, note, parks.geojson, unlinks.
STEPS = 6


def _run(geodata: Path, args: list[str], slow: bool = False) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    how = ["-c", SLOW_WRITER.replace("PAUSE_S", repr(PAUSE_S))] if slow else ["-m", "qygeo.cli"]
    return subprocess.Popen([sys.executable, *how, "park", *args,
                             "--geodata", str(geodata), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def _leftovers(geodata: Path) -> list[Path]:
    found = list(geodata.glob(".*.tmp"))
    for sub in (".history", ".history/undone"):
        if (geodata / sub).is_dir():
            found += (geodata / sub).glob(".*.tmp")
    journal = geodata / ".history" / parks.JOURNAL_NAME
    return found + ([journal] if journal.exists() else [])


def _ids(data: bytes) -> list[str]:
    doc = json.loads(data.decode("utf-8"))
    assert doc["type"] == "FeatureCollection"
    return [f["properties"]["park_id"] for f in doc["features"]]


def test_kill_9_at_random_moments_loses_nothing(tiny_geodata, tmp_path):
    path = tiny_geodata / "parks.geojson"
    gamma = write_boundary(tmp_path / "gamma.geojson", shapely.box(113.10, 23.68, 113.13, 23.71))
    # alpha is 113.00–113.05, 23.60–23.65: +10 % and +20 %, moved < 600 m, no --force needed
    alpha = [write_boundary(tmp_path / f"alpha{i}.geojson", shapely.box(113.0, 23.6, 113.05, y))
             for i, y in enumerate((23.655, 23.66))]

    def next_alpha() -> str:
        """The alpha boundary that differs from the stored one (an update changes it)."""
        return str(alpha[1] if b"23.655" in path.read_bytes() else alpha[0])

    commands = {
        "add": lambda: ["add", str(gamma), "--id", "gamma", "--name-zh", "丙园",
                        "--name-en", "Gamma Park"],
        "update": lambda: ["update", "alpha", next_alpha()],
        "undo": lambda: ["undo"],
    }
    # Each command's run time, measured by running it to the end (and undoing it).
    runtime = {}
    for name in ("add", "update", "undo", "undo"):
        t0 = time.perf_counter()
        p = _run(tiny_geodata, commands[name]())
        assert p.wait(60) == 0, p.stderr.read()
        runtime[name] = time.perf_counter() - t0
    committed = {path.read_bytes()}

    rng = random.Random(SEED)
    landed = {name: 0 for name in commands}
    interrupted = 0  # kills that left a journal or a temporary file behind
    for i in range(KILLS_PER_COMMAND * len(commands)):
        ids = _ids(path.read_bytes())
        name = ("add" if "gamma" not in ids else "undo") if i % 3 == 0 else \
            ("update" if i % 3 == 1 else "undo")
        if name == "undo" and not parks.history(tiny_geodata):
            name = "update"
        before = path.read_bytes()
        snaps = parks.history(tiny_geodata)
        undo_to = snaps[-1].read_bytes() if name == "undo" else None
        # Even kills: at a random moment of the run. Odd kills: at a random moment of the
        # (slowed) write, from its first file step on.
        slow = i % 2 == 1
        proc = _run(tiny_geodata, commands[name](), slow)
        if slow:
            assert proc.stderr.readline() == b"writing\n"
            time.sleep(rng.uniform(0, STEPS * PAUSE_S))
        else:
            time.sleep(rng.uniform(0.1, 1.05) * runtime[name])
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)

        now = path.read_bytes()
        _ids(now)  # parses
        interrupted += bool(_leftovers(tiny_geodata))
        r = invoke("park", "list", "--geodata", tiny_geodata)  # the next park command
        assert r.exit_code == 0, r.stderr
        assert _leftovers(tiny_geodata) == []
        now = path.read_bytes()
        if name == "undo":
            assert now in (before, undo_to)
            if now == undo_to:
                assert parks.history(tiny_geodata) == snaps[:-1]
            else:
                assert parks.history(tiny_geodata) == snaps
        elif now != before:
            assert parks.history(tiny_geodata)[-1].read_bytes() == before
            assert len(parks.history(tiny_geodata)) == len(snaps) + 1
        else:
            assert parks.history(tiny_geodata) == snaps
        landed[name] += now != before
        committed.add(now)
        if parks.history(tiny_geodata):
            r = invoke("park", "undo", "--dry-run", "--geodata", tiny_geodata)
            assert r.exit_code == 0, r.stderr
        assert invoke("validate", "--geodata", tiny_geodata).exit_code == 0

    # Undo everything left, without --force: each step restores the state before it.
    while parks.history(tiny_geodata):
        expected = parks.history(tiny_geodata)[-1].read_bytes()
        r = invoke("park", "undo", "--geodata", tiny_geodata)
        assert r.exit_code == 0, r.stderr
        assert path.read_bytes() == expected
    print("runtime s", {k: round(v, 2) for k, v in runtime.items()}, "landed", landed,
          "interrupted mid-write", interrupted)
    # Kills landed before, inside and after the writes.
    assert 0 < sum(landed.values()) < 3 * KILLS_PER_COMMAND, landed
    assert interrupted >= 8, interrupted
