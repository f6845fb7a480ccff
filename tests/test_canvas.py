"""Large park pages (qygeo.render.canvas): the blob as text, its size, escaping, and in a browser.

A park of the tiny data gets 5,000 synthetic plots (:mod:`qygeo.synthetic`);
one of them carries markup in its project and enterprise names. The browser
tests use the same headless chromium as ``test_browser.py``, network blocked,
and fail instead of skipping in CI (``CI=true``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pytest
import shapely
import synthetic
from shapely.geometry import MultiPolygon, Polygon

import canvas_decode
from conftest import write_tiny
from qygeo.io.dataset import load_dataset
from qygeo.pipeline.report import build_report
from qygeo.render import canvas, maps, styles
from qygeo.render import format as fmt
from qygeo.render.basemaps import get_basemap
from test_browser import browser  # noqa: F401  (one chromium for the module, as there)
from test_maps import SCRIPT_BREAK, XSS, js

N = 5000
PARK = "beta"
AS_OF = dt.date(2025, 6, 1)


@dataclasses.dataclass
class Big:
    """A park page of N synthetic plots, self-contained, and what it was built from."""

    html: str
    path: Path
    plots: object  # the report's plot rows of the park


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Big:
    root = write_tiny(tmp_path_factory.mktemp("fast") / "geodata")
    ds = load_dataset(root)
    plots = synthetic.synthetic_plots(ds.parks[ds.parks["park_id"] == PARK], N)
    plots["park_id"] = PARK
    plots.loc[0, "project"] = XSS
    plots.loc[0, "enterprise"] = SCRIPT_BREAK
    ds = dataclasses.replace(ds, plots=plots)
    rep = build_report(ds, as_of=AS_OF, park_ids=[PARK])
    html = maps._page(maps.park_map(ds, rep, PARK, get_basemap("none")), self_contained=True)
    path = root.parent / "maps" / "parks" / f"{PARK}.html"
    path.parent.mkdir(parents=True)
    path.write_text(html, encoding="utf-8")
    return Big(html, path, rep.plot_table)


# --------------------------------------------------------------------------- encoding


def test_integers_round_trip_through_the_text_encoding():
    values = np.array([0, -1, 1, 15, 16, -17, 1000, -(2**29), 2**30 - 1, 123_456_789])
    text = canvas.encode_ints(values)
    assert canvas_decode.decode_ints(text) == values.tolist()
    assert canvas.encode_ints([0, -1, 1]) == "?@A"  # Google's polyline alphabet
    assert set(text) <= {chr(c) for c in range(63, 127)}  # nothing to escape in a <script>
    with pytest.raises(ValueError, match="2\\*\\*30"):
        canvas.encode_ints([2**30])


def test_geometry_round_trips_rounded_to_6_decimals_with_holes_and_parts():
    hole = Polygon([(113.0, 23.0), (113.01, 23.0), (113.01, 23.01), (113.0, 23.01)],
                   [[(113.002, 23.002), (113.004, 23.002), (113.004, 23.004)]])
    multi = MultiPolygon([
        Polygon([(113.1, 23.1), (113.1000004, 23.2), (113.2, 23.2)]),
        Polygon([(113.3, 23.3), (113.3, 23.4), (113.4, 23.4)])])
    geoms = np.array([hole, multi], dtype=object)
    blob = canvas.encode_geometry(geoms, shapely.point_on_surface(geoms))
    feats, labels = canvas_decode.decode_geometry({**blob, "n": 2})
    assert len(feats[0]) == 1 and len(feats[0][0]) == 2  # one part, exterior + hole
    assert len(feats[1]) == 2  # two parts
    assert feats[1][0][0][1] == [113.1, 23.2]  # 7th decimal rounded away
    back = shapely.polygons(feats[0][0][0], holes=feats[0][0][1:])
    assert back.equals(hole)
    for geom, (x, y) in zip(geoms, labels, strict=True):
        assert geom.contains(shapely.Point(x, y))


def test_equal_texts_share_one_entry():
    import pandas as pd

    values, codes = canvas.encode_column(pd.Series([1.04, 1.01, None, 1.04, 2.0]),
                                            lambda v: fmt.num(v, 1))
    assert values == ["1.0", "n/a", "2.0"]  # 1.04 and 1.01 both show as 1.0
    assert codes.tolist() == [0, 0, 1, 0, 2]


# --------------------------------------------------------------------------- the page as text


@pytest.mark.slow
def test_big_park_page_is_one_compact_blob(big):
    [blob] = canvas_decode.from_page(big.html)
    assert blob["n"] == N
    rows = canvas_decode.decode_blob(blob)
    assert sorted(r["id"] for r in rows) == sorted(big.plots["plot_id"])
    # One style per status, not per feature; no GeoJSON of the plots.
    assert len(blob["styles"]) == len(styles.PLOT_STATUS)
    assert big.html.count('"fillColor"') < 20
    assert big.html.count('"Feature"') < 10
    # Every column is de-duplicated: 997 enterprises, a handful of statuses.
    cols = {c["k"]: c for c in blob["cols"]}
    assert len(cols["status"]["v"]) <= 4 and len(cols["enterprise"]["v"]) <= 998
    assert "c" not in cols["id"]  # distinct and in feature order: no index stream
    # Coordinates hold at most 6 decimals.
    feats, _ = canvas_decode.decode_geometry(blob)
    text = json.dumps(feats[:200])
    assert not re.search(r"\d\.\d{7,}", text)


def test_big_park_page_size(big):
    size = len(big.html.encode("utf-8"))
    # About 150 bytes a plot with its 17 popup rows, ~30 more for the search box's list of
    # plot ids, plus ~0.5 MB of inlined Leaflet & co.
    assert size < 0.6e6 + N * 200, size


def test_markup_in_the_data_is_escaped_in_the_blob(big):
    assert XSS not in big.html and "<img src=x" not in big.html
    assert SCRIPT_BREAK not in big.html and "</script><script>alert" not in big.html
    [blob] = canvas_decode.from_page(big.html)
    cols = {c["k"]: c for c in blob["cols"]}
    assert "&lt;img src=x onerror=alert(1)&gt;" in cols["project"]["v"]
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in cols["enterprise"]["v"]
    # Inside the page the JSON carries no raw '<' at all.
    data = re.search(r'class="qygeo-fast-data" id="\w+">([^<]*)</script>', big.html)
    assert data is not None and "<" not in data.group(1)


def test_big_pages_label_only_the_plots_in_view(big):
    [blob] = canvas_decode.from_page(big.html)
    assert blob["labelsAll"] < N  # this page labels only the plots in view
    assert js(f"≤ {canvas.LABELS_IN_VIEW_MAX} plots in view") in big.html


# --------------------------------------------------------------------------- in a browser


@pytest.fixture()
def page(browser):  # noqa: F811
    pg = browser.new_page(viewport={"width": 1280, "height": 860})
    problems: dict[str, list[str]] = {"errors": [], "blocked": [], "dialogs": []}

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            problems["blocked"].append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.on("console", lambda m: problems["errors"].append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems["errors"].append(str(e)))
    pg.on("dialog", lambda d: (problems["dialogs"].append(d.message), d.dismiss()))
    pg.problems = problems
    yield pg
    pg.close()


@pytest.mark.slow
def test_big_page_loads_with_every_plot_and_no_errors(big, page):
    page.goto(big.path.as_uri())
    page.wait_for_function("window.qygeo && window.qygeo.layers.plots")
    assert page.evaluate("qygeo.layers.plots.getLayers().length") == N
    idle = int((big.plots["idle_status"] == "idle").sum())
    assert page.evaluate("qygeo.layers.plots.getLayers().filter("
                         "l => l.options.fillColor instanceof CanvasPattern).length") == idle
    # Styles are shared: every plot's options inherit from its status's one object.
    assert page.evaluate("qygeo.layers.plots.getLayers().every(l => Object.getPrototypeOf("
                         "l.options) === qygeo.layers.plots.qygeoStyles[l.qygeoStatus])")
    # One canvas for the plots and the outlines under them; no SVG path at all.
    assert page.locator(".folium-map > .leaflet-map-pane .leaflet-overlay-pane canvas").count() == 1
    assert page.locator(".folium-map > .leaflet-map-pane path").count() == 0
    assert page.problems == {"errors": [], "blocked": [], "dialogs": []}


def _plot_point(page, index: int) -> tuple[float, float]:
    """Page coordinates of a point inside plot *index* (its label point)."""
    return page.evaluate(
        """(i) => {
            const f = qygeo.layers.plots.getLayers()[i];
            qygeo.map.setView(f.getBounds().getCenter(), 18, {animate: false});
            const p = qygeo.map.latLngToContainerPoint(f.qygeoLabelPoint);
            const box = qygeo.map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""", index)


@pytest.mark.slow
def test_hovering_a_plot_shows_its_tooltip_and_markup_stays_text(big, page):
    page.goto(big.path.as_uri())
    page.wait_for_function("window.qygeo && window.qygeo.layers.plots")
    first = str(big.plots["plot_id"].sort_values().iloc[0])
    index = page.evaluate(
        "(id) => qygeo.layers.plots.getLayers().findIndex(l => l.qygeoId === id)", first)
    assert index >= 0
    x, y = _plot_point(page, index)
    assert page.evaluate("qygeo.layers.plots.qygeoStyles.every(o => o.stroke)")  # zoomed in
    page.mouse.move(x - 2, y - 2)
    page.mouse.move(x, y)
    tip = page.locator(".leaflet-tooltip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert first in text and "亩 mu" in text
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    assert "企业 Enterprise" in popup.inner_text()
    # Zoomed in, the plots in view carry their acreage labels.
    page.wait_for_function("qygeo.layers.plot_labels.getLayers().length > 0")
    assert page.locator(".qygeo-label.plot").count() <= canvas.LABELS_IN_VIEW_MAX
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"], img[onerror]').length") == 0
    assert page.problems == {"errors": [], "blocked": [], "dialogs": []}


@pytest.mark.slow
def test_markup_plot_shows_as_text(big, page):
    page.goto(big.path.as_uri())
    page.wait_for_function("window.qygeo && window.qygeo.layers.plots")
    marked = str(big.plots.loc[big.plots["project"] == XSS, "plot_id"].iloc[0])
    index = page.evaluate(
        "(id) => qygeo.layers.plots.getLayers().findIndex(l => l.qygeoId === id)", marked)
    x, y = _plot_point(page, index)
    page.mouse.move(x - 2, y - 2)
    page.mouse.move(x, y)
    page.wait_for_function("(t) => { const e = document.querySelector('.leaflet-tooltip');"
                           " return e && e.innerText.includes(t); }", arg=XSS)
    assert SCRIPT_BREAK in page.inner_text(".leaflet-tooltip")
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"], img[onerror]').length") == 0
    assert page.problems == {"errors": [], "blocked": [], "dialogs": []}


def test_plots_are_shifted_to_gcj02_on_gaode_tiles(big):
    import geopandas as gpd
    from pyproj import Geod

    plots = gpd.GeoDataFrame(big.plots[["plot_id"]].iloc[:3], geometry=[
        shapely.box(113.30, 23.70, 113.301, 23.701)] * 3, crs="EPSG:4326")
    osm, _ = canvas_decode.decode_geometry(canvas.plots_blob(plots, get_basemap("osm")))
    gaode, _ = canvas_decode.decode_geometry(canvas.plots_blob(plots, get_basemap("gaode")))
    (x0, y0), (x1, y1) = osm[0][0][0][0], gaode[0][0][0][0]
    _, _, dist_m = Geod(ellps="WGS84").inv(x0, y0, x1, y1)
    assert 500 < dist_m < 700, dist_m
