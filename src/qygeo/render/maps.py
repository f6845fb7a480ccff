"""Interactive HTML maps of the parks, planting areas and idle plots (folium).

Two kinds of page, built from a loaded :class:`~qygeo.io.dataset.Dataset` and a
:class:`~qygeo.pipeline.report.Report` (every figure on a page comes from the report;
this module computes nothing but map presentation):

* the **city map** (``index.html``): district outlines and names; parks as a
  choropleth of investment intensity on the gross park area in 亿元/km² with fixed class breaks
  (:data:`INTENSITY_BREAKS_YI_PER_KM2`, the same every year, so maps of two
  years compare); South-medicine planting areas labelled with their mapped
  acreage and the reported acreage where it differs; idle plots as a red
  hatched overlay whose popups say project, enterprise, since when and why;
* one **park map** per park (``parks/<park_id>.html``): its plots coloured by
  idle status and labelled with their acreage in mu, and a panel with the
  park's report figures. Parks hold up to tens of thousands of plots, so the
  plots are one compact blob drawn on a canvas (:mod:`qygeo.render.canvas`).

Safety: every value from the data that reaches a page goes through
:func:`html.escape` here, in Python; the pages' JavaScript only inserts those
pre-escaped fragments. folium's ``GeoJsonTooltip``/``GeoJsonPopup`` are not
used because they insert raw property values as HTML.

Size: coordinates are rounded to :data:`qygeo.io.layers.COORD_PRECISION`
decimals (about 0.1 m) and simplified only by :data:`SIMPLIFY_TOLERANCE_DEG`,
half a pixel at the maximum zoom, so the simplification is never visible.

Basemaps: on Gaode tiles (GCJ-02) every overlay is shifted with
:func:`qygeo.io.crs.shift_frame`; see :mod:`qygeo.render.basemaps`.

Why over 600 lines: the city and park pages share their panel, legend,
controls, popups and data preparation, and each page is a sequence of those
pieces; styles, formatting, display geometry, the canvas layer and the page
renderer are their own modules (:mod:`qygeo.render.styles`, ``format``,
``geometry``, ``canvas``, ``page``), and so is the measure tool (``measure``).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from qygeo.core import metrics
from qygeo.errors import QygeoError
from qygeo.pipeline.report import INTENSITY_NUMERATORS, intensity_numerator
from qygeo.render.basemaps import Basemap, get_basemap
from qygeo.render.format import (
    bdi,
    date_text,
    esc,
    has_value,
    idle_for,
    integer,
    isolated_names,
    num,
    share,
    yi,
    yi_per_km2,
)
from qygeo.render.geometry import bounds_latlon, east_points, feature_collection, label_points
from qygeo.render.labels import ILLUSTRATIVE_PLOT, illustrative_mark, words
from qygeo.render.measure import MEASURE_NOTE, add_measure_tool
from qygeo.render.page import template
from qygeo.render.styles import (
    IDLE_COLOUR,
    INTENSITY_DECIMALS,
    MAX_ZOOM,
    MINIMAP_TOLERANCE_DEG,
    PANEL_PX,
    PLANTING_COLOUR,
    PLOT_LABEL_MIN_ZOOM,
    PLOT_STATUS,
    intensity_colour,
    intensity_legend,
    intensity_scheme,
    plot_style,
)

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import geopandas as gpd
    import pandas as pd

    from qygeo.io.dataset import Dataset
    from qygeo.pipeline.report import Report

#: folium links these by default, for markers and widgets the pages do not use;
#: leaving them out saves ~1 MB per self-contained page and five requests otherwise.
UNUSED_FOLIUM_ASSETS = frozenset({
    "bootstrap", "bootstrap_css", "glyphicons_css", "awesome_markers", "awesome_markers_css",
    "awesome_markers_font_css", "awesome_rotate_css",
})

CITY_PAGE = "index.html"
PARKS_DIR = "parks"
#: The HTML report page (qygeo.render.html) relative to the output root, beside maps/:
#: ``qygeo build`` writes OUT/reports/report.html and OUT/maps/…; parks are ``#park-<id>``.
REPORT_PAGE = "reports/report.html"


class MapError(QygeoError):
    """A map cannot be built from the data (e.g. a park id unusable as a file name)."""


# --------------------------------------------------------------------------- popup pieces


def _kv(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table; labels are ours (escaped anyway), values already escaped."""
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="qygeo-kv">{body}</table>'


def _names(zh: Any, en: Any) -> str:
    parts = [bdi(x) for x in (zh, en) if has_value(x)]
    return " / ".join(parts) if parts else "n/a"


# --------------------------------------------------------------------------- file names


_SAFE_NAME = re.compile(r"[\w.-]+")


def park_filename(park_id: str) -> str:
    """File name of a park's page: ``<park_id>.html`` when the id is safe as a file name.

    Raises
    ------
    MapError
        The id holds characters that are unsafe in a file name or URL (``/``,
        spaces, quotes, …) or starts with a dot.
    """
    pid = str(park_id)
    if not _SAFE_NAME.fullmatch(pid) or pid.startswith(".") or len(pid) > 120:
        raise MapError(f"park id {pid!r} cannot name a map file: use letters, digits, "
                       "'_', '-' and '.' (not first)")
    return f"{pid}.html"


def park_href(park_id: str, *, from_city: bool = True) -> str:
    """Relative link to a park's page, percent-encoded and HTML-escaped."""
    name = quote(park_filename(park_id))
    return html.escape(f"{PARKS_DIR}/{name}" if from_city else name, quote=True)


#: Where the maps link to the report page by default: beside maps/ as ``qygeo build`` writes.
REPORT_LINK = f"../{REPORT_PAGE}"


def report_href(park_id: str, *, from_city: bool = True,
                report_page: str | None = REPORT_LINK) -> str | None:
    """Relative link from a map page to the park's section of the HTML report page.

    *report_page* is the report's path relative to the maps folder (None: no link).
    """
    if report_page is None:
        return None
    up = "" if from_city else "../"
    return html.escape(f"{up}{quote(report_page)}#park-{quote(str(park_id))}", quote=True)


# --------------------------------------------------------------------------- page pieces

#: Windows at most this wide (a phone held upright) open with every fold of the panel and
#: the legend closed (open, the two covered the whole map), and without the minimap.
PHONE_MAX_PX = 600

PAGE_CSS = """
.leaflet-container.folium-map { background: #f2f2ef;
  font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Helvetica Neue", Arial,
  sans-serif; }
.leaflet-container .qygeo-box { background: rgba(255,255,255,.94); padding: 6px 9px;
  border-radius: 5px; box-shadow: 0 1px 5px rgba(0,0,0,.35); max-width: 400px;
  font: 12px/1.35 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
.qygeo-box h1 { font-size: 14px; margin: 0 0 2px; }
.qygeo-box h2 { font-size: 12.5px; margin: 6px 0 2px; }
.qygeo-box .sub { color: #555; font-size: 11px; }
.qygeo-panel { max-height: 55vh; overflow-y: auto; max-width: 360px; }
.qygeo-panel summary { cursor: pointer; font-weight: bold; font-size: 12.5px; margin: 6px 0 2px; }
.qygeo-panel ul { margin: 2px 0; padding-left: 16px; }
.qygeo-kv { border-collapse: collapse; font-size: 11.5px; }
.qygeo-kv th { text-align: left; font-weight: normal; color: #555; padding: 1px 8px 1px 0;
  vertical-align: top; width: 42%; }
.qygeo-kv td { padding: 1px 0; vertical-align: top; overflow-wrap: anywhere; }
.qygeo-legend .row { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
.qygeo-legend .sw { width: 18px; height: 11px; border: 1px solid #555; flex: none; }
.qygeo-legend svg.sw { border: none; }
.qygeo-legend hr { margin: 4px 0; border: 0; border-top: 1px solid #ccc; }
.qygeo-idle { fill: url(#qygeo-hatch); }
.qygeo-label-icon { background: none; border: none; }
.qygeo-label { transform: translate(-50%, -50%); white-space: nowrap; text-align: center;
  font: 11px/1.25 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  color: #222; pointer-events: none;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.qygeo-label.district { font-size: 13px; font-weight: bold; color: #444; }
.qygeo-label.district small { font-size: 10.5px; font-weight: normal; }
.qygeo-label.planting { transform: translate(6px, -50%); text-align: left; color: #11632a;
  background: rgba(255,255,255,.85); border-left: 3px solid #31a354; padding: 1px 4px;
  text-shadow: none; }
.qygeo-label.plot { font-size: 10.5px; }
.qygeo-z-lo .qygeo-label.plot { display: none; }
.leaflet-container .qygeo-tooltip { font-size: 12px; }
.leaflet-container.folium-map .leaflet-popup-content { font-size: 12.5px; line-height: 1.4;
  margin: 10px 14px; }
.leaflet-popup-content p { margin: 6px 0 0; }
.leaflet-container path.leaflet-interactive:focus { outline: none; }
.qygeo-label.park { transform: translate(6px, -50%); text-align: left; font-size: 11.5px;
  color: #1d2a6b; background: rgba(255,255,255,.85); border-left: 3px solid #253494;
  padding: 1px 4px; text-shadow: none; }
.qygeo-label.park.nested { transform: translate(6px, 45%); font-size: 10.5px; }
.leaflet-container .qygeo-search input { width: 15em; font: 12px sans-serif; padding: 3px 5px;
  border: 1px solid #aaa; border-radius: 3px; }
.qygeo-north { background: rgba(255,255,255,.85); border-radius: 4px; padding: 2px 3px 0;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); line-height: 0; }
.leaflet-popup-content .qygeo-links { margin: 0 0 6px; }
.leaflet-control-measure .lastpoint.heading::after { content: " (WGS84)"; }
.qygeo-ill { display: block; color: #a63603; font-weight: bold; }
.qygeo-legend .qygeo-ill, .qygeo-legend .qygeo-left-out { display: block; max-width: 300px;
  font-size: 11px; margin-top: 3px; }
.qygeo-legend summary { cursor: pointer; font-weight: bold; margin-bottom: 2px; }
@media (max-width: PHONE_MAX_PXpx) {
  .leaflet-container .qygeo-box { max-width: calc(100vw - 40px); }
  .leaflet-container .qygeo-box.qygeo-panel { max-height: 40vh; max-width: calc(100vw - 90px); }
  .qygeo-legend > details[open] { max-height: 45vh; overflow-y: auto; }
  /* hidden, not display: none: drawn at its size, it is right when the window widens */
  .leaflet-control-minimap { visibility: hidden; }
}
@media print {
  .qygeo-box details::details-content { content-visibility: visible; }  /* folds printed open */
  .leaflet-control-zoom, .leaflet-control-fullscreen, .leaflet-control-measure,
  .leaflet-control-layers, .qygeo-search, .leaflet-control-minimap,
  .leaflet-control-attribution a { display: none !important; }
  .qygeo-panel { max-height: none; overflow: visible; }
  html, body, .folium-map { width: 100% !important; height: 100% !important; }
}
@page { size: A4 landscape; margin: 8mm; }
""".replace("PHONE_MAX_PX", str(PHONE_MAX_PX))

#: The red hatch idle plots are filled with (referenced by the .qygeo-idle class).
HATCH_SVG = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    '<pattern id="qygeo-hatch" patternUnits="userSpaceOnUse" width="7" height="7" '
    'patternTransform="rotate(45)"><rect width="7" height="7" fill="#d7191c" '
    'fill-opacity="0.18"/><line x1="0" y1="0" x2="0" y2="7" stroke="#d7191c" '
    'stroke-width="3"/></pattern></defs></svg>'
)

#: Binds the pre-escaped tooltip and popup of each feature, and hover emphasis.
ON_EACH_FEATURE = """function (feature, layer) {
    var p = feature.properties || {};
    if (p.style) { L.setOptions(layer, p.style); }
    if (p.tip) { layer.bindTooltip(p.tip, {sticky: true, className: 'qygeo-tooltip'}); }
    if (p.popup) {
        // Keep popups clear of the panel in the top right corner.
        var right = Math.min(420, Math.round(window.innerWidth * 0.35));
        layer.bindPopup(p.popup, {maxWidth: 380, maxHeight: 360,
            autoPanPaddingTopLeft: [50, 20], autoPanPaddingBottomRight: [right, 20]});
    }
    if (layer.setStyle) {
        layer.on('mouseover', function () {
            layer.setStyle({weight: ((p.style && p.style.weight) || 1) + 2});
        });
        layer.on('mouseout', function () { layer.setStyle(p.style || {}); });
    }
}"""

#: Turns each point feature into a non-interactive text label.
POINT_TO_LABEL = """function (feature, latlng) {
    return L.marker(latlng, {interactive: false, keyboard: false,
        icon: L.divIcon({className: 'qygeo-label-icon', iconSize: null,
                         html: feature.properties.label})});
}"""


def _html_control(html_text: str, *, position: str, css_class: str, element_id: str) -> Any:
    """A Leaflet control holding *html_text* (already escaped); its ``<details>`` start
    closed on a window of at most :data:`PHONE_MAX_PX` pixels."""
    from branca.element import MacroElement

    class HtmlControl(MacroElement):
        _template = template("""
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
                div.id = {{ this.element_id|tojson }};
                div.innerHTML = {{ this.html|tojson }};
                if (window.matchMedia('(max-width: {{ this.phone_px }}px)').matches) {
                    var folded = div.querySelectorAll('details[open]');
                    folded.forEach(function (d) { d.open = false; });
                    window.addEventListener('beforeprint', function () {  // printed whole
                        folded.forEach(function (d) { d.open = true; });
                    });
                }
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
            {% endmacro %}
        """)

    el = HtmlControl()
    el._name = "HtmlControl"
    el.html, el.position, el.css_class, el.element_id = html_text, position, css_class, element_id
    el.phone_px = PHONE_MAX_PX
    return el


def _legend_control(legend_html: str) -> Any:
    """The legend in the bottom left corner, under a fold (closed at first on a phone)."""
    return _html_control(f"<details open><summary>图例 Legend</summary>{legend_html}</details>",
                         position="bottomleft", css_class="qygeo-box qygeo-legend",
                         element_id="qygeo-legend")


def _expose(layers: dict[str, Any]) -> Any:
    """``window.qygeo = {map, layers}``: the page's Leaflet objects by name (scripts, tests)."""
    from branca.element import MacroElement

    class Expose(MacroElement):
        _template = template("""
            {% macro script(this, kwargs) %}
            window.qygeo = {map: {{ this._parent.get_name() }}, layers: {
            {%- for key, layer in this.layers.items() %}
                {{ key|tojson }}: {{ layer.get_name() }},
            {%- endfor %}
            }};
            {% endmacro %}
        """)

    el = Expose()
    el._name = "Expose"
    el.layers = layers
    return el


def _fit_view(bounds: list[list[float]], *, panel_px: int, label_min_zoom: int) -> Any:
    """Frame *bounds* at load, clear of the panel on the right and of the legend in the
    bottom left corner, without animation. Add it after the legend: it measures it.

    The legend is cleared by a margin on the left or at the bottom, whichever frames
    *bounds* at the larger zoom, when that costs at most one zoom level against a frame
    clear of the panel only: on a small window (a phone, a short one) the legend would
    leave the plots a sliver, so the view keeps the panel-only frame and the legend, which
    the user can scroll past, covers a corner. A margin that leaves no room at all is never
    taken (Leaflet's zoom for it is not finite and the page would not load); when even the
    panel's does not fit, the view is fitted with no margin. Also marks the map container
    ``qygeo-z-lo`` below *label_min_zoom*, where the small labels (plot acreage) are hidden
    because they would overlap.
    """
    from branca.element import MacroElement

    class FitView(MacroElement):
        _template = template("""
            {% macro script(this, kwargs) %}
            (function (map) {
                var size = map.getSize();
                var right = Math.min({{ this.panel_px }}, Math.round(size.x * 0.35));
                var bounds = L.latLngBounds({{ this.bounds|tojson }});
                var legend = document.getElementById('qygeo-legend');
                var box = legend ? legend.getBoundingClientRect() : {width: 0, height: 0};
                function zoomFor(w) {  // null: the margins leave no room
                    var pad = L.point(w[0]).add(w[1]);
                    if (pad.x >= size.x || pad.y >= size.y) { return null; }
                    var z = map.getBoundsZoom(bounds, false, pad);
                    return isFinite(z) ? z : null;
                }
                var best = [[20, 20], [right + 20, 20]], zoom = zoomFor(best);
                if (zoom === null) {
                    best = [[0, 0], [0, 0]];
                } else {
                    var floor = zoom - 1, clear = null, clearZoom = -Infinity;
                    [[[20, 20], [right + 20, 20 + Math.ceil(box.height)]],
                     [[20 + Math.ceil(box.width), 20], [right + 20, 20]]].forEach(function (w) {
                        var z = zoomFor(w);
                        if (z !== null && z >= floor && z > clearZoom) { clear = w; clearZoom = z; }
                    });
                    if (clear) { best = clear; }
                }
                map.fitBounds(bounds, {animate: false,
                    paddingTopLeft: best[0], paddingBottomRight: best[1]});
                function zoomClass() {
                    var lo = map.getZoom() < {{ this.label_min_zoom }};
                    map.getContainer().classList.toggle('qygeo-z-lo', lo);
                }
                map.on('zoomend', zoomClass);
                zoomClass();
            })({{ this._parent.get_name() }});
            {% endmacro %}
        """)

    el = FitView()
    el._name = "FitView"
    el.bounds, el.panel_px, el.label_min_zoom = bounds, panel_px, label_min_zoom
    return el


#: The north arrow (the maps are Web Mercator, north up).
NORTH_ARROW = ('<svg width="26" height="34" viewBox="0 0 26 34" role="img" aria-label="北 North">'
               '<path d="M13 2 L22 24 L13 19 L4 24 Z" fill="#222"/>'
               '<text x="13" y="33" text-anchor="middle" font-size="10" font-weight="bold">'
               'N 北</text></svg>')


def _page_behaviour() -> Any:
    """A metric scale bar (no miles); tooltips hidden while a popup is open."""
    from branca.element import MacroElement

    class PageBehaviour(MacroElement):
        _template = template("""
            {% macro script(this, kwargs) %}
            (function (map) {
                L.control.scale({metric: true, imperial: false, maxWidth: 160,
                                 position: 'bottomleft'}).addTo(map);
                var tips = map.getPane('tooltipPane');
                map.on('popupopen', function () { tips.style.display = 'none'; });
                map.on('popupclose', function () { tips.style.display = ''; });
            })({{ this._parent.get_name() }});
            {% endmacro %}
        """)

    el = PageBehaviour()
    el._name = "PageBehaviour"
    return el


def _search(entries: list[list[str]]) -> Any:
    """A search box: a park, a plot id or an enterprise (Chinese or English) zooms to it.

    *entries* are ``[text, layer, id]`` (id left out when it is the text): what is
    typed, and the exposed layer and feature id it finds; the page's own layers do
    the zooming (no network).
    """
    from branca.element import MacroElement

    class Search(MacroElement):
        _template = template("""
            {% macro script(this, kwargs) %}
            (function (map, entries) {
                var box = L.control({position: 'topleft'});
                box.onAdd = function () {
                    var div = L.DomUtil.create('div', 'qygeo-box qygeo-search');
                    var input = L.DomUtil.create('input', '', div);
                    input.type = 'search';
                    input.placeholder = '搜索 园区/地块/企业 Search';
                    input.setAttribute('aria-label', '搜索 Search parks, plots, enterprises');
                    input.setAttribute('list', 'qygeo-search-list');
                    var list = L.DomUtil.create('datalist', '', div);
                    list.id = 'qygeo-search-list';
                    entries = entries.map(function (e) {
                        return {text: e[0], layer: e[1], id: e.length > 2 ? e[2] : e[0]}; });
                    entries.forEach(function (e) {
                        var o = document.createElement('option');
                        o.value = e.text;
                        list.appendChild(o);
                    });
                    function decoded(html) {
                        var t = document.createElement('textarea');
                        t.innerHTML = html === undefined ? '' : String(html);
                        return t.value;
                    }
                    function go() {
                        var q = input.value.trim().toLowerCase();
                        if (!q) { return; }
                        var hit = entries.find(function (e) { return e.text.toLowerCase() === q; })
                            || entries.find(function (e) {
                                return e.text.toLowerCase().indexOf(q) >= 0; });
                        if (!hit || !window.qygeo) { return; }
                        var layer = window.qygeo.layers[hit.layer];
                        if (!layer) { return; }
                        layer.eachLayer(function (l) {
                            // A canvas layer's ids are stored as HTML text (GF&amp;02):
                            // decoded by a textarea, which runs nothing.
                            var id = l.feature ? String(l.feature.properties.id)
                                : decoded(l.qygeoId);
                            if (id === hit.id) {
                                var b = l.getBounds ? l.getBounds() : null;
                                if (b) { map.fitBounds(b, {maxZoom: 16}); }
                                if (l.getPopup && l.getPopup()) { l.openPopup(); }
                                else if (b) {  // the popup is its group's: a click opens it
                                    l.fire('click', {latlng: b.getCenter()}, true); }
                                window.qygeo.found = hit;
                            }
                        });
                    }
                    input.addEventListener('change', go);
                    input.addEventListener('keydown', function (ev) {
                        if (ev.key === 'Enter') { go(); } });
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    return div;
                };
                box.addTo(map);
            })({{ this._parent.get_name() }}, {{ this.entries|tojson }});
            {% endmacro %}
        """)

    el = Search()
    el._name = "Search"
    el.entries = entries
    return el


def _outline_minimap(fc: dict[str, Any]) -> Any:
    """A minimap showing district outlines, for pages without basemap tiles."""
    from folium.plugins import MiniMap

    class OutlineMiniMap(MiniMap):
        _template = template("""
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_layer = L.geoJson({{ this.outline|tojson }},
                {style: {color: '#555', weight: 1, fill: false}, interactive: false});
            var {{ this.get_name() }} = new L.Control.MiniMap(
                {{ this.get_name() }}_layer, {{ this.options|tojavascript }});
            {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
            {% endmacro %}
        """)

    mm = OutlineMiniMap(position="bottomright", zoom_level_offset=-5, toggle_display=False,
                        width=150, height=150)
    mm.outline = fc
    return mm


def _new_map(basemap: Basemap, bounds: list[list[float]], title: str,
             outline: dict[str, Any], *, prefer_canvas: bool = False) -> folium.Map:
    import folium
    from folium import plugins

    from qygeo.render.page import Map, literal_element

    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    m = Map(location=centre, zoom_start=9, tiles=None, control_scale=False,
            max_zoom=MAX_ZOOM, width="100%", height="100%", prefer_canvas=prefer_canvas)
    m.default_js = [(n, u) for n, u in m.default_js if n not in UNUSED_FOLIUM_ASSETS]
    m.default_css = [(n, u) for n, u in m.default_css if n not in UNUSED_FOLIUM_ASSETS]
    root = m.get_root()
    root.title = html.escape(title)
    root.header.add_child(literal_element(f"<style>{PAGE_CSS}</style>"), name="qygeo_css")
    root.html.add_child(literal_element(HATCH_SVG), name="qygeo_hatch")
    for i, spec in enumerate(basemap.tiles):
        folium.TileLayer(tiles=spec.url, attr=spec.attribution, name=basemap.label,
                         subdomains=spec.subdomains, max_zoom=MAX_ZOOM,
                         max_native_zoom=spec.max_zoom, overlay=i > 0, control=i == 0).add_to(m)
    for label, spec in basemap.satellite:  # a second base layer, chosen in the layer control
        folium.TileLayer(tiles=spec.url, attr=spec.attribution, name=label,
                         subdomains=spec.subdomains or "abc", max_zoom=MAX_ZOOM,
                         max_native_zoom=spec.max_zoom, overlay=False, show=False).add_to(m)
    _page_behaviour().add_to(m)
    _html_control(NORTH_ARROW, position="topleft", css_class="qygeo-north",
                  element_id="qygeo-north").add_to(m)
    plugins.Fullscreen(position="topleft", title="全屏 Full screen",
                       title_cancel="退出全屏 Exit full screen").add_to(m)
    add_measure_tool(m, basemap, prefer_canvas=prefer_canvas)
    if basemap.tiles:
        spec = basemap.tiles[0]
        plugins.MiniMap(tile_layer=folium.TileLayer(
            tiles=spec.url, attr=spec.attribution, subdomains=spec.subdomains,
            max_native_zoom=spec.max_zoom), position="bottomright", zoom_level_offset=-5,
            toggle_display=False, width=150, height=150).add_to(m)
    else:
        _outline_minimap(outline).add_to(m)
    return m


def _geojson(fc: dict[str, Any], name: str, *, labels: bool = False) -> Any:
    import folium
    from folium.utilities import JsCode

    if labels:
        return folium.GeoJson(fc, name=name, control=False,
                              point_to_layer=JsCode(POINT_TO_LABEL))
    return folium.GeoJson(fc, name=name, control=False, on_each_feature=JsCode(ON_EACH_FEATURE))


def _illustrative_legend(flags: pd.Series, of_what: str) -> str:
    """The legend's line on the illustrative plots among those drawn (*flags*, one per
    plot); "" when there are none."""
    count = int(flags.sum()) if len(flags) else 0
    if not count:
        return ""
    return (f'<span class="qygeo-ill">{html.escape(ILLUSTRATIVE_PLOT)}: {integer(count)} / '
            f"{integer(len(flags))} {html.escape(of_what)}. Their status, dates, fees and "
            "colours are computed from invented figures; each is flagged in its tooltip and "
            "popup.</span>")


#: Plot ids named in the note on plots left out; the rest are counted.
LEFT_OUT_IDS_MAX = 10


def _left_out_note(rep: Report, *, park_page: bool = False) -> str:
    """The legend's line on the plots left out (``--skip-invalid-plots``); "" when none.

    A left-out plot's park is not known (its row is bad, its park id may be what is
    wrong), so a *park_page*'s line says that the list is of every park's plots.
    """
    ids = [str(pid) for pid, _ in rep.excluded_plots]
    if not ids:
        return ""
    named = ", ".join(bdi(i) for i in ids[:LEFT_OUT_IDS_MAX])
    more = f" … (+{len(ids) - LEFT_OUT_IDS_MAX})" if len(ids) > LEFT_OUT_IDS_MAX else ""
    scope = " (全部园区 of all parks, not only this one)" if park_page else ""
    return (f'<span class="qygeo-left-out">{len(ids)} 个地块因数据无效未绘出、未计入 '
            f"plot(s) left out (--skip-invalid-plots){scope}: {named}{more}. Not on these maps and "
            "not in any count or figure; listed with their problems in the report's warnings "
            "(report.html, qygeo report).</span>")


def _legend_row(label: str, swatch: str) -> str:
    return f'<div class="row">{swatch}<span>{html.escape(label)}</span></div>'


def _swatch(fill: str, *, stroke: str = "#555", opacity: float = 1.0, dash: bool = False) -> str:
    border = "dashed" if dash else "solid"
    return (f'<span class="sw" style="background:{fill};opacity:{opacity};'
            f'border:1.5px {border} {stroke}"></span>')


HATCH_SWATCH = ('<svg class="sw" width="18" height="12"><rect width="18" height="12" '
                f'fill="url(#qygeo-hatch)" stroke="{IDLE_COLOUR}" stroke-width="2"/></svg>')


def _page(m: folium.Map, *, self_contained: bool) -> str:
    from qygeo.render.assets import inline_assets

    # The pages are bilingual, Chinese first: lang lets a browser pick CJK fonts and a
    # screen reader its voice.
    page = m.get_root().render().replace("<html>", '<html lang="zh-CN">', 1)
    return inline_assets(page) if self_contained else page


# --------------------------------------------------------------------------- the data


@dataclass
class _Tables:
    parks: pd.DataFrame  # report rows, with geometry column 'geometry'
    plots: gpd.GeoDataFrame  # report plot rows with geometry
    members: dict[str, set[str]]
    page_ids: set[str]


def _tables(ds: Dataset, rep: Report) -> _Tables:
    import geopandas as gpd

    geoms = dict(zip(ds.parks["park_id"], ds.parks.geometry.values, strict=True))
    parks = rep.park_table.copy()
    parks["geometry"] = [geoms.get(p) for p in parks["park_id"]]
    if len(rep.plot_table):
        # rep.plots: the report's rows with the idle reasons the popups show, and the
        # polygons of the plots the report read (the dataset's, or its plots file).
        plots = rep.plots
        plots = plots[~plots.geometry.isna() & ~plots.geometry.is_empty]
    else:
        plots = gpd.GeoDataFrame({"plot_id": [], "park_id": []}, geometry=[], crs="EPSG:4326")
    from qygeo.pipeline.plot_table import illustrative_rows

    flags = illustrative_rows(plots)
    plots = plots.assign(_illustrative=False if flags is None else flags)
    members = metrics.park_descendants(ds.parks)
    return _Tables(parks=parks, plots=plots, members=members,
                   page_ids={str(p) for p in parks["park_id"]})


#: Leaflet's dash pattern of a park whose colour is of its plots' investment, not signed.
PLOTS_BASIS_DASH = "6 4"


def _park_tip(r: dict[str, Any]) -> str:
    kind = intensity_numerator(r.get("intensity_basis"))
    zh, en = INTENSITY_NUMERATORS.get(kind, ("投资强度（园区毛面积）",
                                             "Investment intensity, gross park area"))
    return (f"<b>{_names(r.get('name_zh'), r.get('name_en'))}</b><br>"
            f"{_names(r.get('district_name_zh'), r.get('district_name_en'))}<br>"
            f"{zh} {en}: "
            f"{num(r.get('intensity_yi_per_km2'), INTENSITY_DECIMALS)} 亿元/km²<br>"
            f"面积 Area: {num(r.get('area_km2'))} km² ({integer(r.get('area_mu'))} 亩 mu)"
            + (f"<br>闲置地块 Idle plots: {integer(r.get('idle_plot_count'))}"
               if has_value(r.get("idle_plot_count")) and r.get("idle_plot_count") else "")
            + _illustrative_note(r))


def _illustrative_count(r: dict[str, Any]) -> int:
    """How many of a park's plots are illustrative (the report's count; 0 when none)."""
    n = r.get("illustrative_plot_count")
    return int(n) if has_value(n) else 0


def _illustrative_note(r: dict[str, Any]) -> str:
    """The flag of a park whose plot figures rest on illustrative plots; "" when none do."""
    n = _illustrative_count(r)
    if not n:
        return ""
    return (f'<span class="qygeo-ill">{integer(n)} / {integer(r.get("plot_count"))} 示意地块'
            f"（数据虚构）illustrative plots (invented data): the plot and idle figures rest "
            "on them</span>")


def _clip(text: Any, chars: int | None) -> Any:
    """*text* cut to *chars* characters with an ellipsis (None: whole)."""
    if chars is None or not has_value(text) or len(str(text)) <= chars:
        return text
    return str(text)[:chars].rstrip() + "…"


def _unjudged(count: Any) -> str:
    """The plots the idle rule cannot judge (n/a), after the idle figures; "" when none."""
    if not has_value(count) or not count:
        return ""
    return f" · {integer(count)} 无法判定 not judged (n/a)"


def _park_figures(r: dict[str, Any], *, source_chars: int | None = None
                  ) -> list[tuple[str, str]]:
    """The report figures of one park as (label, escaped value) rows.

    *source_chars* shortens the (long) source citation, for popups.
    """
    return [
        ("所在区县 District", _names(r.get("district_name_zh"), r.get("district_name_en"))),
        ("类型 Kind", esc(words("kind", r.get("kind")))),
        ("边界 Boundary", esc(words("boundary_quality", r.get("boundary_quality")))),
        ("统计年份 Year", esc(r.get("year"))),
        ("面积 Area", f"{num(r.get('area_km2'))} km² · {integer(r.get('area_mu'))} 亩 mu"),
        ("投资额 Investment", yi(r.get("investment_yuan"))),
        ("口径 Basis", esc(words("investment_basis", r.get("investment_basis")))),
        ("数据性质 Status", esc(words("figures_status", r.get("figures_status")))),
        ("强度口径 Intensity basis", esc(r.get("intensity_basis"))),
        ("投资强度（园区毛面积） Investment intensity, gross park area",
         f"{num(r.get('intensity_yi_per_km2'), INTENSITY_DECIMALS)} 亿元/km² · "
         f"{num(r.get('intensity_wan_per_mu'))} 万元/亩"),
        ("文献投资强度 Reported intensity", yi_per_km2(r.get("reported_intensity_yuan_per_km2"))),
        ("计算−文献 Computed − reported", yi_per_km2(r.get("intensity_difference_yuan_per_km2"))),
        ("距目标 Gap to target", esc(r.get("intensity_target_note"))),
        ("计划投资 Planned investment (plan)", yi(r.get("planned_investment_yuan"))),
        ("计划产值 Planned output (plan)", yi(r.get("planned_output_yuan"))),
        ("产值 Output", yi(r.get("output_yuan"))),
        ("产出强度（园区毛面积） Output intensity, gross park area",
         f"{num(r.get('output_intensity_yi_per_km2'))} 亿元/km²"),
        ("税收 Tax", yi(r.get("tax_yuan"))),
        ("签约项目 Projects signed", integer(r.get("projects_signed"))),
        ("投产项目 In production", integer(r.get("projects_in_production"))),
        ("地块 Plots", f"{integer(r.get('plot_count'))} · {num(r.get('plot_area_mu'), 1)} 亩 mu"),
        ("地块已投资 Invested on plots", yi(r.get("plot_investment_yuan"))),
        ("闲置地块 Idle plots", f"{integer(r.get('idle_plot_count'))} · "
                              f"{num(r.get('idle_area_mu'), 1)} 亩 mu · "
                              f"{share(r.get('idle_share'))} 占已判定地块面积 of the judged "
                              "plots' area" + _unjudged(r.get("unjudged_plot_count"))),
        *([("示意地块 Illustrative plots", _illustrative_note(r))]
          if _illustrative_count(r) else []),
        ("来源 Source", esc(_clip(r.get("source"), source_chars))),
    ]


def _idle_popup(r: dict[str, Any], park_names: dict[str, str], *, from_city: bool) -> str:
    pid = r.get("park_id")
    park = "无 none (outside every park)"
    if has_value(pid):
        name = park_names.get(str(pid), esc(pid))
        park = (f'<a href="{park_href(str(pid), from_city=from_city)}">{name}</a>'
                if from_city and str(pid) in park_names else name)
    status = str(r.get("idle_status") or "n/a")
    rows = [
        ("项目 Project", esc(r.get("project"))),
        ("企业 Enterprise", esc(r.get("enterprise"))),
        ("园区 Park", park),
        ("状态 Status", esc(PLOT_STATUS.get(status, (status,))[0])),
        ("闲置起 Idle since", date_text(r.get("idle_since"))),
        ("闲置时长 Idle for", idle_for(r.get("idle_days"))),
        ("原因 Why", esc(r.get("idle_reason"))),
        ("面积 Area", f"{num(r.get('area_mu'), 1)} 亩 mu"),
        ("后果 Consequence", esc(words("idle_consequence", r.get("idle_consequence")))),
        ("闲置费 Idle fee", yi(r.get("idle_fee_yuan"))),
    ]
    return (f"<b>地块 Plot {bdi(r.get('plot_id'))}</b>"
            + illustrative_mark(bool(r.get("_illustrative"))) + _kv(rows))


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    cols = [c for c in df.columns if c != "geometry"]
    rows = df[cols].itertuples(index=False, name=None)
    return [dict(zip(cols, row, strict=True)) for row in rows]


def _planting_labels(ds: Dataset, rep: Report) -> tuple[gpd.GeoDataFrame, list[dict[str, Any]],
                                                        list[dict[str, Any]]]:
    """Planting areas with tooltip, popup and label (mapped mu, reported mu where it differs)."""
    planting = metrics.with_areas(ds.planting).sort_values("planting_id", kind="stable")
    names = dict(zip(planting["planting_id"], planting["name_zh"], strict=True))
    figures = _records(rep.planting) if len(rep.planting) else []
    districts = dict(zip(ds.districts["adcode"], ds.districts["name_zh"], strict=True))
    props, labels = [], []
    for r in _records(planting):
        pid = r["planting_id"]
        rows = [("所在区县 District", esc(districts.get(r.get("district_adcode"),
                                                         r.get("district_adcode")))),
                ("图测面积 Mapped", f"{integer(r['area_mu'])} 亩 mu ({num(r['area_km2'])} km²)")]
        label_lines = [f"{integer(r['area_mu'])} 亩 图测 mapped"]
        for f in figures:
            ids = [x for x in str(f.get("planting_ids") or "").split(";") if x]
            if pid not in ids:
                continue
            others = [esc(names.get(x, x)) for x in ids if x != pid]
            scope = f" (与 with {'、'.join(others)} 合计 combined)" if others else ""
            rows.append((f"文献 Reported {esc(f.get('year'))}",
                         f"{integer(f.get('reported_mu'))} 亩 mu{scope} — {esc(f.get('source'))}"))
            if others:  # the figure covers several areas: it is compared with their total
                rows.append(("图测合计 Mapped, combined",
                             f"{integer(f.get('mapped_mu'))} 亩 mu (与 with "
                             f"{'、'.join(others)})"))
            differs = has_value(f.get("difference_share")) and abs(
                float(f["difference_share"])) > 0.005
            if differs:
                rows.append(("图测合计−文献 Mapped, combined − reported" if others else
                             "图测−文献 Mapped − reported",
                             f"{integer(f.get('difference_mu'))} 亩 mu "
                             f"({share(f.get('difference_share'))})"))
                if others:  # the figure covers several areas: compare it with their total
                    label_lines.append(f"合计 combined: {integer(f.get('mapped_mu'))} 亩 图测 / "
                                       f"{integer(f.get('reported_mu'))} 亩 文献")
                else:
                    label_lines.append(f"文献 reported {integer(f.get('reported_mu'))} 亩")
        if has_value(r.get("crops")):
            rows.append(("药材 Crops", esc(r.get("crops"))))
        rows.append(("边界 Boundary", esc(words("boundary_quality", r.get("boundary_quality")))))
        title = _names(r.get("name_zh"), r.get("name_en"))
        props.append({
            "id": str(pid),
            "style": {"color": "#238b45", "weight": 1.5, "dashArray": "4 3",
                      "fillColor": PLANTING_COLOUR, "fillOpacity": 0.3},
            "tip": f"<b>{title}</b><br>" + "<br>".join(label_lines),
            "popup": f"<b>{title}</b>" + _kv(rows),
        })
        labels.append({"label": f'<div class="qygeo-label planting">{esc(r.get("name_zh"))}'
                                f'<br>{"<br>".join(label_lines)}</div>'})
    return planting, props, labels


# --------------------------------------------------------------------------- pages


def city_map(ds: Dataset, rep: Report, basemap: Basemap, *,
             report_page: str | None = REPORT_LINK, classes: str = "fixed") -> folium.Map:
    """The city map: districts, park intensity choropleth, planting, idle plots.

    Parameters
    ----------
    ds : Dataset
        The loaded data folder (WGS84).
    rep : Report
        Its report; the parks shown are ``rep.park_table`` (all, or those asked for).
    basemap : Basemap
        Tiles, and the datum the overlays are shifted to.
    """
    import folium

    t = _tables(ds, rep)
    districts = metrics.with_areas(ds.districts).sort_values("adcode", kind="stable")
    outline = feature_collection(districts, [{} for _ in range(len(districts))], basemap,
                                 tolerance=MINIMAP_TOLERANCE_DEG)
    view = bounds_latlon(districts, basemap)
    m = _new_map(basemap, view,
                 "清远生物医药产业地图 Qingyuan biomedical industry map", outline)
    layers: dict[str, Any] = {}

    # Districts: outlines and names.
    g_d = folium.FeatureGroup(name="区县 Districts", show=True).add_to(m)
    d_props = [{"id": str(r["adcode"]),
                "style": {"color": "#555", "weight": 1.5, "dashArray": "6 4", "fill": False},
                "tip": (f"<b>{_names(r.get('name_zh'), r.get('name_en'))}</b><br>"
                        f"{esc(r['adcode'])} · {integer(r['area_km2'])} km²")}
               for r in _records(districts)]
    layers["districts"] = _geojson(feature_collection(districts, d_props, basemap),
                                   "districts").add_to(g_d)
    d_labels = [{"label": f'<div class="qygeo-label district">{esc(r.get("name_zh"))}<br>'
                          f'<small>{esc(r.get("name_en"))}</small></div>'}
                for r in _records(districts)]
    layers["district_labels"] = _geojson(
        feature_collection(label_points(districts), d_labels, basemap), "district_labels",
        labels=True).add_to(g_d)

    # Parks: choropleth of investment intensity; large parks first so nested ones stay on top.
    g_p = folium.FeatureGroup(name="园区投资强度 Parks: investment intensity").add_to(m)
    parks = t.parks[t.parks["geometry"].notna()].copy()
    parks = parks.sort_values("area_km2", ascending=False, kind="stable")
    breaks, drawn = intensity_scheme(list(parks["intensity_yi_per_km2"]), classes)
    p_props = []
    on_plots = 0  # parks whose colour is of the plots' investment
    for r in _records(parks):
        tip = _park_tip(r)
        report = report_href(r["park_id"], report_page=report_page)
        link = (f'<p><a href="{park_href(r["park_id"])}">园区地图 Open the park map →</a>'
                + (f' · <a href="{report}">用地报告 Land-use report →</a>' if report else "")
                + "</p>")
        style = {"color": "#253494", "weight": 1.5,
                 "fillColor": intensity_colour(r.get("intensity_yi_per_km2"), breaks),
                 "fillOpacity": 0.75}
        if intensity_numerator(r.get("intensity_basis")) == "plots":
            style["dashArray"] = PLOTS_BASIS_DASH  # another numerator: told apart
            on_plots += 1
        p_props.append({
            "id": str(r["park_id"]),
            "style": style,
            "tip": tip,
            # The links first: a long popup scrolls, and they must stay in sight.
            "popup": f"<b>{_names(r.get('name_zh'), r.get('name_en'))}</b>"
                     + link.replace("<p>", '<p class="qygeo-links">', 1)
                     + _kv(_park_figures(r, source_chars=160)),
        })
    import geopandas as gpd

    park_gdf = gpd.GeoDataFrame(parks, geometry="geometry", crs="EPSG:4326")
    layers["parks"] = _geojson(feature_collection(park_gdf, p_props, basemap),
                               "parks").add_to(g_p)
    # Names on the map, as callouts east of each park (parks are small at city zoom, and
    # the district names sit in the middle of the districts); a nested park's below its
    # parent's.
    parent_of = (dict(zip(ds.parks["park_id"].astype(str), ds.parks["parent_park_id"],
                          strict=True)) if "parent_park_id" in ds.parks.columns else {})
    parents = [parent_of.get(str(p)) for p in park_gdf["park_id"]]
    points = east_points(park_gdf)
    at = dict(zip(park_gdf["park_id"].astype(str), points.geometry.values, strict=True))
    nested = [has_value(p) and str(p) in at for p in parents]
    points = points.set_geometry([at[str(parent)] if n else p for p, parent, n in zip(
        points.geometry.values, parents, nested, strict=True)], crs="EPSG:4326")
    n_labels = [{"label": f'<div class="qygeo-label park{" nested" if n else ""}">'
                          f'{esc(r.get("name_zh"))}</div>'}
                for r, n in zip(_records(park_gdf), nested, strict=True)]
    layers["park_labels"] = _geojson(feature_collection(points, n_labels, basemap),
                                     "park_labels", labels=True).add_to(g_p)

    # Planting areas with acreage labels.
    if ds.planting is not None and len(ds.planting):
        g_s = folium.FeatureGroup(name="南药种植区 South-medicine planting").add_to(m)
        planting, s_props, s_labels = _planting_labels(ds, rep)
        layers["planting"] = _geojson(feature_collection(planting, s_props, basemap),
                                      "planting").add_to(g_s)
        layers["planting_labels"] = _geojson(
            feature_collection(east_points(planting), s_labels, basemap), "planting_labels",
            labels=True).add_to(g_s)

    # Idle plots of the parks shown.
    shown_members: set[str] = set()
    for pid in t.page_ids:
        shown_members |= t.members.get(pid, {pid})
    plots = t.plots
    if len(plots) and "idle_status" in plots.columns:
        idle = plots[plots["idle_status"].isin(("idle", "idle_art8"))]  # Art. 8: idle too
        if not set(ds.parks["park_id"].astype(str)) <= t.page_ids:
            # Only some parks asked for: only their idle plots. Otherwise every idle
            # plot, including those that lie in no park.
            idle = idle[idle["park_id"].isin(shown_members)]
    else:
        idle = plots.iloc[0:0]
    idle = idle.sort_values("plot_id", kind="stable")
    names = {str(r["park_id"]): _names(r.get("name_zh"), r.get("name_en"))
             for r in _records(t.parks)}
    i_props = [{"id": str(r["plot_id"]), "style": plot_style("idle"),
                "tip": f"<b>闲置 Idle: {bdi(r.get('plot_id'))}</b> {bdi(r.get('project'))}<br>"
                       f"{bdi(r.get('enterprise'))}<br>since {date_text(r.get('idle_since'))}"
                       + illustrative_mark(bool(r.get("_illustrative"))),
                "popup": _idle_popup(r, names, from_city=True)} for r in _records(idle)]
    g_i = folium.FeatureGroup(name="闲置地块 Idle plots (MLR No. 53)").add_to(m)
    layers["idle_plots"] = _geojson(feature_collection(idle, i_props, basemap),
                                    "idle_plots").add_to(g_i)

    # Title with links to every park page, and the legend.
    year = rep.year if rep.year is not None else "n/a"
    links = "".join(
        f'<li><a href="{park_href(r["park_id"])}">{_names(r.get("name_zh"), r.get("name_en"))}'
        f"</a></li>" for r in _records(t.parks.sort_values("park_id", kind="stable")))
    title = ("<h1>清远生物医药产业地图</h1><div>Qingyuan biomedical industry map</div>"
             f'<div class="sub">统计年份 Year {esc(year)} · 闲置判定日 idle as of '
             f"{esc(rep.as_of.isoformat())}</div>"
             f"<details open><summary>园区地图 Park maps</summary><ul>{links}</ul></details>")
    _html_control(title, position="topright", css_class="qygeo-box qygeo-panel",
                  element_id="qygeo-title").add_to(m)
    legend = ('<b>投资强度（园区毛面积） Investment intensity, gross park area</b><br>'
              f'<span class="sub">亿元/km² (10⁸ yuan/km²), {esc(year)}; '
              'not land investment intensity</span>'
              + ('<br><span class="sub">分级 classes: 分位数 quantiles of these parks '
                 '(colours differ between maps)</span>' if drawn == "quantile" else
                 '<br><span class="sub">分级 classes: 固定 fixed, the same on every map'
                 + ('; no quantiles: too few parks with different intensities'
                    if classes == "quantile" else "") + "</span>")
              + "".join(_legend_row(lbl, _swatch(c, opacity=0.85)) for lbl, c in
                        intensity_legend(breaks))
              + (_legend_row(f'虚线边框 {INTENSITY_NUMERATORS["plots"][0]} Dashed outline. '
                             f'{INTENSITY_NUMERATORS["plots"][1]}: another numerator than '
                             'signed investment (solid)',
                             _swatch("transparent", stroke="#253494", dash=True))
                 if on_plots else "")
              + "<hr>"
              + _legend_row("闲置地块 Idle plot", HATCH_SWATCH)
              + _illustrative_legend(idle["_illustrative"], "idle plots shown")
              + _left_out_note(rep)
              + _legend_row("南药种植区 South-medicine planting",
                            _swatch(PLANTING_COLOUR, stroke="#238b45", opacity=0.6, dash=True))
              + _legend_row("区县界 District boundary", _swatch("transparent", dash=True))
              + MEASURE_NOTE)
    _legend_control(legend).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    _fit_view(view, panel_px=PANEL_PX, label_min_zoom=PLOT_LABEL_MIN_ZOOM).add_to(m)
    _search(_search_entries(parks, "parks", "park_id", ("name_zh", "name_en", "park_id"))
            + _search_entries(idle, "idle_plots", "plot_id",
                              ("plot_id", "enterprise", "project"))).add_to(m)
    _expose(layers).add_to(m)
    return m


#: Above this many features, a page's search finds them by id only (a page of tens of
#: thousands of plots would otherwise carry every enterprise and project name twice).
SEARCH_NAMES_MAX = 2000


def _search_entries(frame: pd.DataFrame, layer: str, key: str,
                    fields: Sequence[str]) -> list[list[str]]:
    """What the search box finds: each feature by each of *fields*, once per text."""
    if len(frame) > SEARCH_NAMES_MAX:
        fields = [key]
    out, seen = [], set()
    for r in _records(frame):
        ident = str(r[key])
        for f in fields:
            text = r.get(f)
            if has_value(text) and (str(text), layer) not in seen:
                seen.add((str(text), layer))
                out.append([str(text), layer] if str(text) == ident else
                           [str(text), layer, ident])
    return out


def park_map(ds: Dataset, rep: Report, park_id: str, basemap: Basemap, *,
             report_page: str | None = REPORT_LINK) -> folium.Map:
    """One park's map: its plots by idle status with acreage labels, and its figures.

    Parameters
    ----------
    ds : Dataset
        The loaded data folder.
    rep : Report
        Its report; must hold a row for *park_id*.
    park_id : str
        The park.
    basemap : Basemap
        Tiles, and the datum the overlays are shifted to.
    """
    import folium

    t = _tables(ds, rep)
    row = t.parks[t.parks["park_id"] == park_id]
    if not len(row):
        raise MapError(f"no report row for park {park_id!r}")
    r = _records(row)[0]
    members = t.members.get(park_id, {park_id})
    outlines = ds.parks[ds.parks["park_id"].isin(members)].copy()
    outlines["_own"] = outlines["park_id"] == park_id
    outlines = outlines.sort_values(["_own", "park_id"], ascending=[False, True], kind="stable")
    plots = t.plots[t.plots["park_id"].isin(members)].sort_values("plot_id", kind="stable") \
        if len(t.plots) else t.plots
    district = ds.districts[ds.districts["adcode"] == r.get("district_adcode")]
    # Frame the plots, where the planner looks; the park when it has none.
    frame = plots if len(plots) else outlines
    outline_fc = feature_collection(district if len(district) else outlines,
                                    [{}] * (len(district) if len(district) else len(outlines)),
                                    basemap, tolerance=MINIMAP_TOLERANCE_DEG)
    name = _names(r.get("name_zh"), r.get("name_en"))
    view = bounds_latlon(frame, basemap)
    m = _new_map(basemap, view,
                 f"{isolated_names(r.get('name_zh'), r.get('name_en'))} — qygeo".strip(),
                 outline_fc, prefer_canvas=True)  # one canvas: plots hover above the park
    layers: dict[str, Any] = {}

    if len(district):
        g_d = folium.FeatureGroup(name="区县 District").add_to(m)
        layers["district"] = _geojson(feature_collection(district, [{
            "id": str(r.get("district_adcode")),
            "style": {"color": "#555", "weight": 1.5, "dashArray": "6 4", "fill": False},
            "tip": _names(r.get("district_name_zh"), r.get("district_name_en"))}], basemap),
            "district").add_to(g_d)

    g_b = folium.FeatureGroup(name="园区边界 Park boundary").add_to(m)
    b_props = [{"id": str(o["park_id"]),
                "style": {"color": "#253494", "weight": 2.5 if o["_own"] else 1.5,
                          "dashArray": None if o["_own"] else "5 4",
                          "fillColor": intensity_colour(r.get("intensity_yi_per_km2"))
                          if o["_own"] else "#ffffff",
                          "fillOpacity": 0.15 if o["_own"] else 0.05},
                "tip": (f"<b>{_names(o.get('name_zh'), o.get('name_en'))}</b>"
                        + ("" if o["_own"] else "<br>园区内子园区 Park nested in this one"))}
               for o in _records(outlines)]
    layers["park"] = _geojson(feature_collection(outlines, b_props, basemap),
                              "park").add_to(g_b)

    # The plots as one compact blob drawn on a canvas: big parks hold tens of thousands.
    from qygeo.render.canvas import LABELS_ALL_MAX, LABELS_IN_VIEW_MAX, canvas_layer, plots_blob

    g_p = folium.FeatureGroup(name="地块 Plots by idle status").add_to(m)
    layers["plots"] = canvas_layer(plots_blob(plots, basemap)).add_to(g_p)
    g_l = folium.FeatureGroup(name="地块面积 Plot acreage (亩 mu)").add_to(m)
    layers["plot_labels"] = layers["plots"].labels.add_to(g_l)

    note = "" if len(plots) else ('<p class="sub">此园区在地块图层中无地块 '
                                  "No plots of this park in the plots layer.</p>")
    report = report_href(str(r.get("park_id")), from_city=False, report_page=report_page)
    panel = (f'<div><a href="../{CITY_PAGE}">← 清远全市地图 Qingyuan city map</a>'
             + (f' · <a href="{report}">用地报告 Land-use report →</a>' if report else "")
             + "</div>"
             f"<h1>{name}</h1>"
             f'<div class="sub">{esc(r.get("park_id"))} · 统计年份 Year {esc(r.get("year"))} · '
             f"闲置判定日 idle as of {esc(rep.as_of.isoformat())}</div>"
             # Folded with one click: the figures would hide part of the plots.
             + "<details open><summary>园区数据 Park figures</summary>"
             + note + _kv(_park_figures(r)) + "</details>")
    _html_control(panel, position="topright", css_class="qygeo-box qygeo-panel",
                  element_id="qygeo-panel").add_to(m)
    _search(_search_entries(plots, "plots", "plot_id",
                            ("plot_id", "enterprise", "project"))).add_to(m)
    status = plots["idle_status"] if "idle_status" in plots.columns else None
    counts: dict[str, int] = {} if status is None else \
        status.astype(object).where(status.notna(), "n/a").astype(str).value_counts().to_dict()
    legend = ("<b>地块状态 Plot status</b>"
              '<br><span class="sub">MLR Order No. 53 (闲置土地处置办法)</span>'
              + "".join(_legend_row(f"{lbl} ({counts.get(s, 0)})",
                                    HATCH_SWATCH if s == "idle" else _swatch(c, opacity=0.7))
                        for s, (lbl, c) in PLOT_STATUS.items())
              + '<span class="sub">地块面积标注 acreage labels: zoom ≥ '
              f"{PLOT_LABEL_MIN_ZOOM}"
              + (f", ≤ {LABELS_IN_VIEW_MAX} plots in view" if len(plots) > LABELS_ALL_MAX else "")
              + "</span>"
              + _illustrative_legend(plots["_illustrative"], "plots shown")
              + _left_out_note(rep, park_page=True) + MEASURE_NOTE)
    _legend_control(legend).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    _fit_view(view, panel_px=PANEL_PX, label_min_zoom=PLOT_LABEL_MIN_ZOOM).add_to(m)
    _expose(layers).add_to(m)
    return m


# --------------------------------------------------------------------------- writing


@dataclass
class MapPage:
    """One written page: its path and size in bytes."""

    path: Path
    size_bytes: int


def page_renderers(ds: Dataset, rep: Report, basemap: Basemap, *,
                   self_contained: bool = False, report_page: str | None = REPORT_LINK,
                   classes: str = "fixed") -> list[tuple[str, Callable[[], str]]]:
    """The city map, then one map per park of *rep*: each page's relative path
    (``index.html``, ``parks/<park_id>.html``) and a function rendering its HTML, so that
    a caller renders one page at a time, when it writes it.

    Raises
    ------
    MapError
        A park id cannot name a file (checked before any page is rendered).
    """
    park_ids = [str(p) for p in rep.park_table["park_id"]]
    for pid in park_ids:
        park_filename(pid)
    pages: list[tuple[str, Callable[[], str]]] = [(CITY_PAGE, lambda: _page(
        city_map(ds, rep, basemap, report_page=report_page, classes=classes),
        self_contained=self_contained))]
    for pid in park_ids:
        pages.append((f"{PARKS_DIR}/{park_filename(pid)}", lambda pid=pid: _page(
            park_map(ds, rep, pid, basemap, report_page=report_page),
            self_contained=self_contained)))
    return pages


def iter_pages(ds: Dataset, rep: Report, basemap: Basemap, *,
               self_contained: bool = False, report_page: str | None = REPORT_LINK,
               classes: str = "fixed") -> Iterator[tuple[str, str]]:
    """Render the pages of :func:`page_renderers`, one at a time: (relative path, HTML)."""
    for rel, render in page_renderers(ds, rep, basemap, self_contained=self_contained,
                                      report_page=report_page, classes=classes):
        yield rel, render()


def page_writers(ds: Dataset, rep: Report, basemap: Basemap, out_dir: str | Path, *,
                 self_contained: bool = False, report_page: str | None = REPORT_LINK,
                 classes: str = "fixed", progress: Callable[[str], None] | None = None,
                 ) -> tuple[dict[Path, Callable[[Path], object]], list[MapPage]]:
    """A writer of each page under *out_dir*, for :func:`qygeo.io.atomic.atomic_write_files`
    (with other files, if the caller likes: all or none), and the pages, filled in as the
    writers run. Each writer renders its page when called, so one page is in memory at a
    time; *progress* gets a line per page rendered."""
    out = Path(out_dir)
    written: list[MapPage] = []
    writers: dict[Path, Callable[[Path], object]] = {}
    for rel, render in page_renderers(ds, rep, basemap, self_contained=self_contained,
                                      report_page=report_page, classes=classes):
        def write(tmp: Path, path: Path = out / rel, render: Callable[[], str] = render) -> None:
            try:
                data = render().encode("utf-8")
            except OSError as exc:  # a file the page needs (a script of the page): not the
                # output's fault, which the batch would say of an OSError
                where = f"{exc.filename}: " if exc.filename else ""
                raise MapError(f"drawing {path}: {where}{exc.strerror or exc}") from exc
            tmp.write_bytes(data)
            written.append(MapPage(path, len(data)))
            if progress:
                progress(f"rendered {path} ({len(data) / 1e6:.2f} MB)")
        writers[out / rel] = write
    return writers, written


def render_maps(ds: Dataset, rep: Report, basemap: Basemap, *,
                self_contained: bool = False) -> dict[str, str]:
    """Every page of :func:`iter_pages`, as relative path → HTML."""
    return dict(iter_pages(ds, rep, basemap, self_contained=self_contained))


def write_maps(
    ds: Dataset,
    out_dir: str | Path,
    *,
    report: Report | None = None,
    basemap: str | Basemap = "osm",
    self_contained: bool = False,
    year: int | None = None,
    as_of: dt.date | None = None,
    park_ids: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    classes: str = "fixed",
    remove_stale: bool = False,
) -> list[MapPage]:
    """Write the city map and the park maps under *out_dir*.

    Parameters
    ----------
    ds : Dataset
        The loaded data folder.
    out_dir : path-like
        Folder to write ``index.html`` and ``parks/<park_id>.html`` into.
    report : Report, optional
        A report already built from *ds*; built here (with *year*, *as_of*,
        *park_ids*) when not given.
    basemap : str or Basemap, default "osm"
        ``osm``, ``carto``, ``gaode`` (overlays shifted to GCJ-02), ``tianditu``
        (key from ``$TIANDITU_KEY``) or ``none``.
    self_contained : bool, default False
        Inline every script and stylesheet (see :mod:`qygeo.render.assets`), so the
        pages need no network apart from the basemap tiles.
    year, as_of, park_ids
        As for :func:`qygeo.pipeline.report.build_report`. With *park_ids* the city map
        shows only those parks and only their pages are written.
    progress : callable, optional
        Called with one line per page rendered, written (or removed).
    remove_stale : bool, default False
        Once every page is written, remove the park pages an earlier run left in
        ``out_dir/parks/`` for parks not mapped now (see :func:`remove_stale_park_pages`),
        so a removed park's figures are not published with the rest.

    Returns
    -------
    list of MapPage
        The pages written, city map first.
    """
    from qygeo.io.atomic import atomic_write_files
    from qygeo.pipeline.report import build_report

    bm = basemap if isinstance(basemap, Basemap) else get_basemap(basemap)
    rep = report if report is not None else build_report(ds, year=year, park_ids=park_ids,
                                                         as_of=as_of)
    out = Path(out_dir)
    # Link the report page only where it is: beside maps/ after qygeo build, maybe
    # nowhere after qygeo map -o DIR.
    beside = out.parent / REPORT_PAGE
    report_page = os.path.relpath(beside, out) if beside.is_file() else None
    writers, written = page_writers(ds, rep, bm, out, self_contained=self_contained,
                                    report_page=report_page, classes=classes,
                                    progress=progress)
    atomic_write_files(writers)  # every page or none: no map of this run beside the last's
    if progress:
        for page in written:
            progress(f"wrote {page.path}")
    if remove_stale:
        for path in remove_stale_park_pages(out, [p.path.name for p in written]):
            if progress:
                progress(f"removed {path} (its park is no longer in the data)")
    return written


#: In the stylesheet (PAGE_CSS) of every page qygeo writes: tells an earlier run's page
#: from a file someone else put in the same folder.
_OWN_PAGE_MARK = b"qygeo-box"


def remove_stale_park_pages(out_dir: str | Path, keep: Iterable[str]) -> list[Path]:
    """Remove the park pages in ``out_dir/parks/`` not named in *keep*; return them.

    Only files qygeo can tell are its own are touched: regular files (not links)
    named ``<park id>.html`` (:data:`qygeo.ids.PARK_ID_RE`) whose text holds the
    maps' stylesheet. Anything else in the folder stays.
    """
    from qygeo.ids import PARK_ID_RE

    folder = Path(out_dir) / PARKS_DIR
    if not folder.is_dir():
        return []
    kept = set(keep)
    removed = []
    for path in sorted(folder.iterdir()):
        if (path.name in kept or path.suffix != ".html" or path.is_symlink()
                or not path.is_file() or not PARK_ID_RE.fullmatch(path.stem)):
            continue
        try:
            if _OWN_PAGE_MARK not in path.read_bytes():
                continue
            path.unlink()
        except OSError as exc:
            raise MapError(f"{path}: cannot remove this page of a park no longer in the data "
                           f"({exc.strerror or exc}); remove it by hand") from None
        removed.append(path)
    return removed
