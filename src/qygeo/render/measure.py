"""The maps' measure tool (folium's leaflet-measure plugin) and what qygeo adds to it.

* **Units**: kilometres and metres, 亩 and km² (:func:`add_measure_tool`).
* **Canvas pages**: leaflet-measure restyles its vertices through their SVG element
  (``layer._path``), which a canvas renderer does not make; on a ``preferCanvas``
  page (the park pages) every click from the second threw and no distance or area
  was shown. Its shapes, each of class ``layer-measure…``, get an SVG renderer of
  their own (:data:`MEASURE_ON_SVG_JS`).
* **Gaode pages**: the tiles and the overlays are in GCJ-02, so the point clicked is
  a GCJ-02 point, about 600 m from the WGS84 position the data give. The live read-out
  and the finished measurement's popup both measure the WGS84 points
  (:data:`MEASURE_WGS84_JS`): the coordinates a user copies are those of the data, on
  every page, and a shape's length and area are those of one basis, the legend's.

The plugin's own text is not edited: both are Leaflet init hooks or wrappers of its
methods, installed before the map and its control are made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qygeo.core import metrics

if TYPE_CHECKING:  # pragma: no cover
    import folium

    from qygeo.render.basemaps import Basemap

#: leaflet-measure computes areas on a sphere (on a Gaode page, of the WGS84 outline):
#: a few tenths of a percent from the ellipsoidal areas the popups give.
MEASURE_NOTE = ('<br><span class="sub">量测工具：球面近似 measure tool: spherical, ≈0.5 %; '
                "坐标 coordinates WGS84</span>")

MEASURE_ON_SVG_JS = """(function () {
    var svg = null;
    L.Path.addInitHook(function () {
        if (/(^|\\s)layer-measure/.test(this.options.className || '')) {
            this.options.renderer = svg || (svg = L.svg());
        }
    });
})();
"""

#: GCJ-02 → WGS84 for the measure tool's coordinates. ``toGcj`` is the GCJ-02 offset
#: that :func:`qygeo.io.crs.shift_coords` applies (``wgs84_to_gcj02``, the published
#: formula on the Krasovsky ellipsoid); the inverse is found by fixed-point iteration,
#: to well under a millimetre in four steps because the offset changes slowly.
MEASURE_WGS84_JS = """(function () {
    var A = 6378245.0, F = 1 / 298.3, EE = 1 - (1 - F) * (1 - F), PI = Math.PI;
    function waves(x, y, big, small) {
        return (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3
            + (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3
            + (big * Math.sin(y / 12 * PI) + small * Math.sin(y / 30 * PI)) * 2 / 3;
    }
    function toGcj(lat, lng) {
        var x = lng - 105, y = lat - 35;
        var dLat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y
            + 0.2 * Math.sqrt(Math.abs(x)) + waves(x, y, 160, 320);
        var dLng = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y
            + 0.1 * Math.sqrt(Math.abs(x)) + waves(x, x, 150, 300);
        var rad = lat / 180 * PI, s = Math.sin(rad), m = 1 - EE * s * s, sm = Math.sqrt(m);
        return [lat + dLat * 180 / (A * (1 - EE) / (m * sm) * PI),
                lng + dLng * 180 / (A / sm * Math.cos(rad) * PI)];
    }
    function toWgs84(ll) {
        var lat = ll.lat, lng = ll.lng;
        if (lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271) {
            return L.latLng(lat, lng);  // outside China GCJ-02 is WGS84, as in shift_coords
        }
        for (var k = 0; k < 4; k++) {
            var g = toGcj(lat, lng);
            lat -= g[0] - ll.lat;
            lng -= g[1] - ll.lng;
        }
        return L.latLng(lat, lng);
    }
    var P = L.Control.Measure.prototype, update = P._updateResults,
        finish = P._handleMeasureDoubleClick;
    // The live read-out: measured on the WGS84 points, drawn where they were clicked.
    P._updateResults = function () {
        var clicked = this._latlngs;
        this._latlngs = clicked.map(toWgs84);
        try { return update.apply(this, arguments); } finally { this._latlngs = clicked; }
    };
    // A finished measurement: measured on the WGS84 points as the live read-out is (a
    // shape's length and area, a point's coordinates), then put back where it was
    // clicked, its popup with it.
    P._handleMeasureDoubleClick = function () {
        var clicked = this._latlngs;
        if (!clicked || !clicked.length) { return finish.apply(this, arguments); }
        var layer = this._layer, before = layer.getLayers();
        this._latlngs = clicked.map(toWgs84);
        finish.apply(this, arguments);
        layer.eachLayer(function (l) {
            if (before.indexOf(l) >= 0) { return; }
            var open = l.isPopupOpen();
            if (l.setLatLngs) { l.setLatLngs(clicked); } else { l.setLatLng(clicked[0]); }
            if (open) { l.openPopup(l.getBounds ? l.getBounds().getCenter() : clicked[0]); }
        });
    };
    window.qygeoToWgs84 = toWgs84;
})();
"""


def add_measure_tool(m: folium.Map, basemap: Basemap, *, prefer_canvas: bool) -> None:
    """Add the measure tool to *m*, with the scripts its renderer and datum need."""
    from folium import plugins

    from qygeo.render.page import literal_element

    root = m.get_root()
    # In the page's script before the map and the control are made: the control binds
    # its handlers when it is added.
    if prefer_canvas:
        root.script.add_child(literal_element(MEASURE_ON_SVG_JS), name="qygeo_measure_svg")
    if basemap.datum == "gcj02":
        root.script.add_child(literal_element(MEASURE_WGS84_JS), name="qygeo_measure_wgs84")
    plugins.MeasureControl(
        position="topleft", primary_length_unit="kilometers", secondary_length_unit="meters",
        primary_area_unit="mu", secondary_area_unit="sqkilometers",
        units={"mu": {"factor": 1.0 / metrics.M2_PER_MU, "display": "亩 mu", "decimals": 1},
               "sqkilometers": {"factor": 1.0 / metrics.M2_PER_KM2, "display": "km²",
                                "decimals": 3},
               "kilometers": {"factor": 1e-3, "display": "公里 km", "decimals": 2},
               "meters": {"factor": 1.0, "display": "米 m", "decimals": 0}},
    ).add_to(m)
