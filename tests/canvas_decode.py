"""Reading the canvas layer's data blob back in Python, for the tests.

The inverse of :mod:`qygeo.render.canvas`'s encoders: the tests check that what a
page carries decodes to the plots that were drawn.
"""

from __future__ import annotations

import json
import re
from typing import Any

from qygeo.render.canvas import COORD_SCALE


def decode_ints(text: str) -> list[int]:
    """Inverse of :func:`encode_ints`."""
    out, v, shift = [], 0, 0
    for ch in text:
        b = ord(ch) - 63
        v |= (b & 31) << shift
        shift += 5
        if b < 32:
            out.append(~(v >> 1) if v & 1 else v >> 1)
            v, shift = 0, 0
    return out


def decode_geometry(blob: dict[str, Any]) -> tuple[list[list[list[list[float]]]],
                                                    list[tuple[float, float]]]:
    """Rings and label points of every feature of *blob*, in degrees (lon, lat).

    Returns
    -------
    tuple
        A list per feature of its parts, each a list of rings (closed, as
        GeoJSON), each a list of ``[lon, lat]``; and each feature's label point
        ``(lon, lat)``.
    """
    n = blob["n"]
    g, nv, lb = decode_ints(blob["g"]), decode_ints(blob["r"]), decode_ints(blob["lb"])
    pf = decode_ints(blob["f"]) if "f" in blob else [1] * n
    rp = decode_ints(blob["p"]) if "p" in blob else None
    y, x = blob["o"]
    gi = ri = pi = 0
    feats, labels = [], []
    for i in range(n):
        parts, first = [], None
        for _ in range(pf[i]):
            nr = rp[pi] if rp is not None else 1
            pi += 1
            rings = []
            for _ in range(nr):
                ring = []
                for _ in range(nv[ri]):
                    y += g[gi]
                    x += g[gi + 1]
                    gi += 2
                    ring.append([x / COORD_SCALE, y / COORD_SCALE])
                    if first is None:
                        first = (y, x)
                ri += 1
                rings.append([*ring, ring[0]])
            parts.append(rings)
        feats.append(parts)
        assert first is not None
        labels.append(((first[1] + lb[2 * i + 1]) / COORD_SCALE,
                       (first[0] + lb[2 * i]) / COORD_SCALE))
    return feats, labels


def decode_blob(blob: dict[str, Any]) -> list[dict[str, str]]:
    """Every feature's text values of *blob* by field key (escaped HTML)."""
    cols = [(c["k"], c["v"], decode_ints(c["c"]) if "c" in c else None) for c in blob["cols"]]
    return [{k: v[c[i] if c is not None else i] for k, v, c in cols} for i in range(blob["n"])]


def from_page(page: str) -> list[dict[str, Any]]:
    """The blobs embedded in a page's HTML, in page order (tests, checks)."""
    return [json.loads(m.group(1)) for m in
            re.finditer(r'<script type="application/json" class="qygeo-fast-data" '
                        r'id="\w+">([^<]*)</script>', page)]
