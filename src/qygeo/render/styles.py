"""The maps' styles: intensity classes and colours, plot status words and colours, zooms.

One place for what a colour means, so the HTML maps, the canvas layer of large
plot sets and the QGIS styles of a GIS export draw the same classes.
"""

from __future__ import annotations

import math
from typing import Any

#: Upper bounds of the intensity classes, 亿元/km² (1 亿元 = 1e8 yuan). Fixed, so a
#: colour means the same intensity on every year's map. The last bound is the figure of
#: the paper's 2027 target for key parks (50 亿元/km²), but the maps colour signed
#: investment ÷ gross park area, another basis: the class is not labelled as the target.
INTENSITY_BREAKS_YI_PER_KM2: tuple[float, ...] = (1.0, 2.5, 5.0, 10.0, 25.0, 50.0)
#: One colour per class (ColorBrewer PuBu, 7 classes), lowest first.
INTENSITY_COLOURS: tuple[str, ...] = (
    "#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#3690c0", "#0570b0", "#034e7b")
#: Fill of a park without an intensity (no investment figure).
NA_COLOUR = "#bdbdbd"
IDLE_COLOUR = "#d7191c"
PLANTING_COLOUR = "#31a354"

#: Idle status (from :mod:`qygeo.core.idle`) → (label, fill colour).
PLOT_STATUS: dict[str, tuple[str, str]] = {
    "idle": ("闲置 Idle", IDLE_COLOUR),
    "idle_art8": ("闲置（政府/不可抗力原因，第十二、十三条处置，不征闲置费）"
                  "Idle, government/force-majeure cause: Arts. 12–13 disposal, no fee",
                  "#fdae61"),
    "not_idle": ("正常 Not idle", "#1a9641"),
    "n/a": ("无法判定 Cannot be judged (n/a)", "#969696"),
}

#: Highest zoom the pages allow.
MAX_ZOOM = 18
#: Simplification tolerance in degrees: about 0.5 m here, half a pixel at zoom 18.
SIMPLIFY_TOLERANCE_DEG = 5e-6
#: Below this zoom the plot acreage labels are hidden (they would overlap).
PLOT_LABEL_MIN_ZOOM = 14
#: Width kept clear of the title/figures panel on the right when framing, pixels.
PANEL_PX = 400
#: Tolerance of the outline drawn in the minimap when there are no tiles (~200 m).
MINIMAP_TOLERANCE_DEG = 2e-3


#: Decimals a park's intensity is shown with (亿元/km²). Its class is that of the value
#: shown: 9.996 is shown 10.00, and coloured as 10 – 25, not as 5 – 10.
INTENSITY_DECIMALS = 2

#: How the parks' intensity classes are drawn: ``fixed`` (the same breaks on every
#: map and year) or ``quantile`` (breaks from this map's parks, to tell them apart).
CLASS_METHODS = ("fixed", "quantile")


def intensity_scheme(values: list[float | None] | None = None,
                     method: str = "fixed") -> tuple[tuple[float, ...], str]:
    """Upper bounds of the intensity classes (亿元/km²), and the method they follow.

    ``quantile``: up to six breaks at the quantiles of the present *values*, each
    rounded to two significant digits, so that the parks fall in different classes.
    With fewer than two values (or no positive break) there are no quantiles: the
    fixed breaks, and ``"fixed"``, so that the legend says which classes it shows.
    """
    if method not in CLASS_METHODS:  # anything else drew quantiles under a "fixed" legend
        raise ValueError(f"classes {method!r}: one of {', '.join(CLASS_METHODS)}")
    fixed = (INTENSITY_BREAKS_YI_PER_KM2, "fixed")
    if method == "fixed" or not values:
        return fixed
    import numpy as np

    v = np.array([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if len(v) < 2:
        return fixed
    classes = min(len(INTENSITY_COLOURS), len(np.unique(v)))
    cuts = np.quantile(v, np.linspace(0, 1, classes + 1)[1:-1])
    rounded = sorted({float(f"{c:.2g}") for c in cuts if c > 0})
    return (tuple(rounded), "quantile") if rounded else fixed


def intensity_breaks(values: list[float | None] | None = None,
                     method: str = "fixed") -> tuple[float, ...]:
    """The breaks of :func:`intensity_scheme`."""
    return intensity_scheme(values, method)[0]


def intensity_class(value_yi_per_km2: float | None,
                    breaks: tuple[float, ...] = INTENSITY_BREAKS_YI_PER_KM2) -> int | None:
    """Index of the class of an intensity in 亿元/km², or None when it is missing.

    The class of the value as shown (:data:`INTENSITY_DECIMALS`), so that a label and its
    colour agree.
    """
    if value_yi_per_km2 is None or not math.isfinite(value_yi_per_km2):
        return None
    shown = float(f"{value_yi_per_km2:.{INTENSITY_DECIMALS}f}")  # as the pages show it
    for i, upper in enumerate(breaks):
        if shown < upper:
            return i
    return len(breaks)


def _colours(breaks: tuple[float, ...]) -> list[str]:
    """One colour per class of *breaks*, spread over the palette (light to dark)."""
    n = len(breaks) + 1
    last = len(INTENSITY_COLOURS) - 1
    return [INTENSITY_COLOURS[round(i * last / max(n - 1, 1))] for i in range(n)]


def intensity_colour(value_yi_per_km2: float | None,
                     breaks: tuple[float, ...] = INTENSITY_BREAKS_YI_PER_KM2) -> str:
    """Fill colour of a park whose intensity is *value_yi_per_km2* (亿元/km²)."""
    cls = intensity_class(value_yi_per_km2, breaks)
    return NA_COLOUR if cls is None else _colours(breaks)[cls]


def intensity_legend(breaks: tuple[float, ...] = INTENSITY_BREAKS_YI_PER_KM2
                     ) -> list[tuple[str, str]]:
    """(label, colour) of each intensity class, lowest first, then n/a."""
    b = breaks
    colours = _colours(b)
    rows = [(f"< {_g(b[0])}", colours[0])]
    rows += [(f"{_g(lo)} – {_g(hi)}", colours[i + 1]) for i, (lo, hi) in
             enumerate(zip(b[:-1], b[1:], strict=True))]
    rows.append((f"≥ {_g(b[-1])}", colours[-1]))
    rows.append(("无数据 n/a", NA_COLOUR))
    return rows


def _g(v: float) -> str:
    return f"{v:g}"


def plot_style(status: str) -> dict[str, Any]:
    """Leaflet path style of a plot with idle *status* (idle: hatched, class ``qygeo-idle``)."""
    colour = PLOT_STATUS.get(status, PLOT_STATUS["n/a"])[1]
    if status == "idle":
        return {"color": IDLE_COLOUR, "weight": 3, "fillColor": IDLE_COLOUR,
                "fillOpacity": 1.0, "className": "qygeo-idle"}
    return {"color": "#333", "weight": 1, "fillColor": colour, "fillOpacity": 0.6}
