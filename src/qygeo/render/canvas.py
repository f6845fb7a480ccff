"""Large plot layers as one compact data blob, drawn on a canvas.

``folium.GeoJson`` writes every feature as a GeoJSON object carrying its own
style, tooltip and popup HTML, and draws it as an SVG path: a park page with
50,000 plots is tens of megabytes and takes seconds to open. Here the plots
layer of a park page is instead one JSON blob read by a small inline script
(:data:`CANVAS_JS`) that draws it with Leaflet's canvas renderer: the page's map
must be created with ``preferCanvas`` (folium's ``prefer_canvas=True``), so that
the plots and the outlines under them share one canvas and the topmost shape
under the mouse gets the hover, wherever it is:

* **geometry** — every ring's vertices rounded to 6 decimals (about 0.1 m,
  :data:`qygeo.io.layers.COORD_PRECISION`), as integer micro-degree deltas
  (lat, lon), each written as a zig-zag variable-length integer in the text
  alphabet of Google's *encoded polyline* format (characters ``?`` to ``~``,
  nothing that needs escaping in a ``<script>``). Rings are not closed (Leaflet
  closes them). Counts of vertices per ring, rings per part and parts per
  feature are separate integer streams (the last two left out when all 1);
* **status** — one small integer per feature, an index into a table of Leaflet
  path styles shared by every feature of that status (idle: the red hatch, as a
  canvas pattern);
* **text** — one column per popup row: a de-duplicated table of HTML-escaped
  strings and, per feature, an index into it (left out when every value is
  distinct and in feature order). Tooltips, popups and acreage labels are
  assembled in the browser from these pre-escaped strings by templates written
  here; nothing from the data is inserted unescaped;
* **label points** — one point inside each feature, as a delta from its first
  vertex. Labels are placed only from :data:`qygeo.render.PLOT_LABEL_MIN_ZOOM`
  on; a page with more than :data:`LABELS_ALL_MAX` features labels only the
  features in view, and none while more than :data:`LABELS_IN_VIEW_MAX` are.

``tests/canvas_decode.py`` reads a blob back in Python for the tests.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qygeo.render.format import date_text, esc, has_value, idle_for, num, yi
from qygeo.render.geometry import display_frame, label_points
from qygeo.render.labels import illustrative_mark
from qygeo.render.styles import PLOT_LABEL_MIN_ZOOM, PLOT_STATUS, plot_style

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

    from qygeo.render.basemaps import Basemap

#: Coordinates are integers in units of 1e-6 degree (6 decimals, about 0.1 m).
COORD_SCALE = 1_000_000
#: Integer streams hold values below this in magnitude (2**30: 1,073° in micro-degrees).
INT_LIMIT = 1 << 30
#: Up to this many features every label is placed at once (hidden below the label
#: zoom by CSS); above it only the labels of the features in view.
LABELS_ALL_MAX = 2000
#: With more features than this in view, no labels are placed (they would cover the map).
LABELS_IN_VIEW_MAX = 600
#: Up to this many features labels sit at the pole of inaccessibility (slow, nicer);
#: above it at shapely's point on surface.
POLE_LABELS_MAX = 2000


# --------------------------------------------------------------------------- integer streams


def encode_ints(values: Sequence[int] | np.ndarray) -> str:
    """Integers as zig-zag variable-length text, 5 bits a character (``?``–``~``).

    The encoding of Google's polyline algorithm: each value ``v`` becomes
    ``(v << 1) ^ (v >> 63)``, written least significant 5 bits first, each chunk
    plus 63, with 32 added to every chunk but the last. Values must stay below
    :data:`INT_LIMIT` in magnitude (the page decodes with 32-bit integer operations).
    """
    a = np.asarray(values, dtype=np.int64)
    if not len(a):
        return ""
    if np.abs(a).max() >= INT_LIMIT:
        raise ValueError(f"|value| ≥ 2**30 cannot be read by the page's decoder: {a.max()}")
    z = ((a << 1) ^ (a >> 63)).astype(np.uint64)
    nchunks = np.ones(len(z), dtype=np.int64)
    k = 1
    while True:
        more = z >= np.uint64(1 << (5 * k))
        if not more.any():
            break
        nchunks += more
        k += 1
    ends = np.cumsum(nchunks)
    starts = ends - nchunks
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for j in range(k):
        sel = slice(None) if j == 0 else nchunks > j
        zz, nn = z[sel], nchunks[sel]
        out[starts[sel] + j] = ((zz >> np.uint64(5 * j)) & np.uint64(31)).astype(np.uint8) \
            + np.where(nn - 1 > j, 95, 63).astype(np.uint8)
    return out.tobytes().decode("ascii")



# --------------------------------------------------------------------------- geometry


def encode_geometry(geoms: Any, label_points: Any) -> dict[str, Any]:
    """The geometry streams of a blob (see the module docstring).

    Parameters
    ----------
    geoms : array of shapely Polygon / MultiPolygon
        In display coordinates (degrees), already simplified and shifted.
    label_points : array of shapely Point
        One label point per geometry.
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    kinds = shapely.get_type_id(geoms)
    if n and not np.isin(kinds, (3, 6)).all():
        raise ValueError("only polygons and multipolygons can be drawn as plots")
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    per_ring = np.bincount(coord_of, minlength=len(rings))
    last = np.cumsum(per_ring) - 1
    keep = np.ones(len(coords), dtype=bool)
    keep[last[per_ring > 0]] = False  # rings are closed: drop the repeated vertex
    q = np.rint(coords[keep][:, ::-1] * COORD_SCALE).astype(np.int64)  # (lat, lon)
    origin = q[0] if len(q) else np.zeros(2, dtype=np.int64)
    deltas = np.diff(q, axis=0, prepend=origin[None, :])
    nverts = per_ring - 1
    parts_per = np.bincount(part_of, minlength=n)
    rings_per = np.bincount(ring_of, minlength=len(parts))
    # First vertex of each feature (every feature has at least one ring).
    ring_first = np.concatenate([[0], np.cumsum(nverts)[:-1]]) if len(nverts) else nverts
    part_first_ring = np.concatenate([[0], np.cumsum(rings_per)[:-1]]).astype(np.int64)
    feat_first_part = np.concatenate([[0], np.cumsum(parts_per)[:-1]]).astype(np.int64)
    first = q[ring_first[part_first_ring[feat_first_part]]] if n else q[:0]
    lp = np.rint(shapely.get_coordinates(np.asarray(label_points, dtype=object))[:, ::-1]
                 * COORD_SCALE).astype(np.int64)
    out: dict[str, Any] = {"n": n, "o": [int(origin[0]), int(origin[1])],
                           "g": encode_ints(deltas.ravel()), "r": encode_ints(nverts),
                           "lb": encode_ints((lp - first).ravel())}
    if (parts_per != 1).any():
        out["f"] = encode_ints(parts_per)
    if (rings_per != 1).any():
        out["p"] = encode_ints(rings_per)
    return out



def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """*frame[name]*, or a column of missing values when the frame has none."""
    import pandas as pd

    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


# --------------------------------------------------------------------------- text columns


@dataclass(frozen=True)
class Field:
    """One text column of a blob: a popup row, or a value only the templates use.

    Attributes
    ----------
    key : str
        Name used in the templates (``{key}``).
    label : str or None
        Popup row label (our own text; escaped here); None: not a popup row.
    values : callable
        Takes the frame, returns one raw value per feature (a Series).
    fmt : callable
        Turns one raw value into escaped HTML (called once per distinct value).
    suffix : str
        Appended to the value in the popup row (our own text, escaped here).
    """

    key: str
    label: str | None
    values: Callable[[pd.DataFrame], pd.Series]
    fmt: Callable[[Any], str]
    suffix: str = ""


@dataclass(frozen=True)
class Number:
    """:func:`qygeo.render.format.num` with *digits* decimals, also over many floats at once."""

    digits: int

    def __call__(self, v: Any) -> str:
        return num(v, self.digits)

    def many(self, values: list[float]) -> list[str]:
        """The same as calling it on each value, without the per-value checks for floats."""
        spec = f",.{self.digits}f"
        return [format(v, spec) if math.isfinite(v) else "n/a" for v in values]


_NEEDS_ESCAPE = re.compile(r"[&<>\"']")


def _esc_many(values: list[Any]) -> list[str]:
    """:func:`qygeo.render.format.esc` of each value; one regex search if nothing needs it."""
    if all(type(v) is str for v in values) and not _NEEDS_ESCAPE.search("\0".join(values)) \
            and all(v.strip() for v in values):
        return values
    return [esc(v) for v in values]


def encode_column(raw: pd.Series, fmt: Callable[[Any], str]) -> tuple[list[str], np.ndarray]:
    """Distinct formatted values of *raw* and, per row, the index of its value.

    *fmt* runs once per distinct raw value; equal formatted strings share one entry.
    """
    import pandas as pd

    if isinstance(raw.dtype, pd.StringDtype) or str(raw.dtype).startswith("string"):
        raw = raw.astype(object)  # arrow-backed strings iterate slowly
    try:
        codes, uniques = pd.factorize(raw, use_na_sentinel=False)
    except TypeError:  # unhashable values (a list in a GeoJSON property): formatted row by row
        texts = pd.Series([fmt(v) for v in raw], dtype=object)
        text_codes, table = pd.factorize(texts, use_na_sentinel=False)
        return [str(t) for t in table], np.asarray(text_codes, dtype=np.int64)
    values = uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)
    if fmt is esc:
        texts = _esc_many(values)
    elif isinstance(fmt, Number) and raw.dtype.kind == "f":
        texts = fmt.many(values)
    else:
        texts = [fmt(v) for v in values]
    codes2, table = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=False)
    return [str(t) for t in table], np.asarray(codes2, dtype=np.int64)[codes]


def encode_fields(frame: pd.DataFrame, fields: Sequence[Field]) -> list[dict[str, Any]]:
    """The text columns of a blob."""
    import html

    out = []
    ident = np.arange(len(frame), dtype=np.int64)
    for f in fields:
        values, codes = encode_column(f.values(frame), f.fmt)
        col: dict[str, Any] = {"k": f.key, "v": values}
        if f.label is not None:
            col["l"] = html.escape(f.label)
        if f.suffix:
            col["x"] = html.escape(f.suffix)
        if not (len(values) == len(frame) and np.array_equal(codes, ident)):
            col["c"] = encode_ints(codes)
        out.append(col)
    return out


# --------------------------------------------------------------------------- the plots of a park


def _plot_fields() -> list[Field]:
    """The popup rows of a plot (and its id), formatted with :mod:`qygeo.render.maps`' helpers."""
    def col(name: str) -> Callable[[pd.DataFrame], pd.Series]:
        return lambda df: column(df, name)

    def status(df: pd.DataFrame) -> pd.Series:
        return column(df, "idle_status").astype(object).where(
            column(df, "idle_status").notna(), "n/a").astype(str)

    def idle_days(df: pd.DataFrame) -> pd.Series:
        return column(df, "idle_days").where(status(df).isin(("idle", "idle_art8")))

    def illustrative(df: pd.DataFrame) -> pd.Series:
        import pandas as pd

        from qygeo.pipeline.plot_table import illustrative_rows

        flags = illustrative_rows(df)
        return pd.Series(False if flags is None else flags, index=df.index, dtype=bool)

    return [
        Field("id", None, col("plot_id"), esc),
        Field("ill", None, illustrative, illustrative_mark),
        Field("project", "项目 Project", col("project"), esc),
        Field("enterprise", "企业 Enterprise", col("enterprise"), esc),
        Field("land_use", "用途 Land use", col("land_use"), esc),
        Field("area", "面积 Area", col("area_mu"), Number(1), " 亩 mu"),
        Field("status", "状态 Status", status,
              lambda s: esc(PLOT_STATUS.get(s, (s,))[0])),
        Field("why", "原因 Why", col("idle_reason"),
              lambda v: esc(v) if has_value(v) else "—"),
        Field("idle_since", "闲置起 Idle since", col("idle_since"), date_text),
        Field("idle_for", "闲置时长 Idle for", idle_days, idle_for),
        Field("contract", "合同 Contract", col("contract_date"), date_text),
        Field("agreed_start", "约定开工 Agreed start", col("agreed_start_date"), date_text),
        Field("actual_start", "实际开工 Actual start", col("actual_start_date"), date_text),
        Field("suspended", "停工 Suspended since", col("suspended_since"), date_text),
        Field("delay_cause", "延误原因 Delay cause", col("delay_cause"), esc),
        Field("agreed_inv", "约定投资 Agreed investment", col("agreed_investment_yuan"),
              yi),
        Field("invested", "已投资 Invested", col("invested_yuan"), yi),
        Field("developed", "已开发 Developed", col("developed_area_m2"), Number(0), " m²"),
        Field("idle_fee", "闲置费 Idle fee", col("idle_fee_yuan"), yi),
    ]


#: Templates of a plot's tooltip, popup title and label: our markup, ``{key}`` → escaped value.
#: ``{ill}`` flags an illustrative plot (:func:`qygeo.render.labels.illustrative_mark`). Each
#: value from the data is isolated (``<bdi>``): a bidi override in an id (U+202E) reorders
#: only that id, not the project after it.
PLOT_TIP = ("<b><bdi>{id}</bdi></b> <bdi>{project}</bdi><br><bdi>{enterprise}</bdi><br>"
            "{status} · {area} 亩 mu{ill}")
PLOT_POPUP_TITLE = "<b>地块 Plot <bdi>{id}</bdi></b>{ill}"
PLOT_LABEL = "<bdi>{id}</bdi><br>{area} 亩"


def plot_styles() -> tuple[list[str], list[dict[str, Any]]]:
    """Status keys and the one Leaflet style each (idle: ``hatch`` → the canvas pattern)."""
    keys = list(PLOT_STATUS)
    styles = []
    for k in keys:
        s = dict(plot_style(k))
        if s.pop("className", None) == "qygeo-idle":
            s["hatch"] = True
        styles.append(s)
    return keys, styles


def plots_blob(plots: gpd.GeoDataFrame, basemap: Basemap) -> dict[str, Any]:
    """The blob of a park page's plots layer (see the module docstring).

    Parameters
    ----------
    plots : geopandas.GeoDataFrame
        The report's plot rows with their geometry (WGS84), in drawing order.
    basemap : Basemap
        The datum the geometry is shifted to.
    """
    shown = display_frame(plots[[plots.geometry.name]], basemap, preserve_topology=False)
    labels = label_points(shown, pole_max=POLE_LABELS_MAX).geometry.values
    blob = encode_geometry(shown.geometry.values, labels)
    keys, styles = plot_styles()
    status = column(plots, "idle_status").astype(object).where(
        column(plots, "idle_status").notna(), "n/a").astype(str)
    index = {k: i for i, k in enumerate(keys)}
    blob["s"] = encode_ints(np.array([index.get(s, index["n/a"]) for s in status],
                                     dtype=np.int64))
    blob["styles"] = styles
    blob["cols"] = encode_fields(plots, _plot_fields())
    blob["tip"], blob["title"], blob["label"] = PLOT_TIP, PLOT_POPUP_TITLE, PLOT_LABEL
    blob["labelMinZoom"] = PLOT_LABEL_MIN_ZOOM
    blob["labelsAll"], blob["labelsMax"] = LABELS_ALL_MAX, LABELS_IN_VIEW_MAX
    return blob


def to_script_json(blob: dict[str, Any]) -> str:
    """*blob* as JSON safe inside a ``<script>`` element."""
    return (json.dumps(blob, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# --------------------------------------------------------------------------- the page's side

#: Decodes a blob and builds the layers; defined once per page, uses ``L`` only when called.
CANVAS_JS = """
window.qygeoFast = window.qygeoFast || (function () {
    function ints(s) {
        var out = new Int32Array(s.length), k = 0, v = 0, shift = 0, b;
        for (var i = 0, n = s.length; i < n; i++) {
            b = s.charCodeAt(i) - 63;
            v |= (b & 31) << shift;
            shift += 5;
            if (b < 32) { out[k++] = v & 1 ? ~(v >>> 1) : v >>> 1; v = 0; shift = 0; }
        }
        return out.subarray(0, k);
    }
    function hatch() {
        var c = document.createElement('canvas'), x;
        c.width = c.height = 8;
        x = c.getContext('2d');
        x.fillStyle = 'rgba(215,25,28,0.18)';
        x.fillRect(0, 0, 8, 8);
        x.strokeStyle = '#d7191c';
        x.lineWidth = 2.2;
        x.beginPath();
        x.moveTo(-2, 2); x.lineTo(2, -2);
        x.moveTo(-2, 10); x.lineTo(10, -2);
        x.moveTo(6, 10); x.lineTo(10, 6);
        x.stroke();
        return x.createPattern(c, 'repeat');
    }
    function layer(d) {
        var n = d.n, s = ints(d.s), g = ints(d.g), rv = ints(d.r), lb = ints(d.lb),
            pf = d.f ? ints(d.f) : null, rp = d.p ? ints(d.p) : null, cols = {}, pattern = null;
        d.cols.forEach(function (c) { cols[c.k] = {v: c.v, c: c.c ? ints(c.c) : null}; });
        function val(k, i) { var c = cols[k]; return c.v[c.c ? c.c[i] : i]; }
        function fill(t, i) {
            return t.replace(/\\{(\\w+)\\}/g, function (m, k) { return val(k, i); });
        }
        // One options object per status, the prototype of every feature's options: a
        // feature owns only what hover changes. Plots are small: no clipping to the
        // view, no 1-pixel simplification, cheap mitred joins.
        var base = d.styles.map(function (st) {
            var o = L.extend(Object.create(L.Polygon.prototype.options),
                             {noClip: true, smoothFactor: 0, lineJoin: 'miter'}, st);
            if (o.hatch) { delete o.hatch; o.fillColor = pattern || (pattern = hatch()); }
            o.qygeoOutline = o.stroke;
            return o;
        });
        var feats = new Array(n), pts = new Array(n), y = d.o[0], x = d.o[1],
            gi = 0, ri = 0, pi = 0;
        for (var i = 0; i < n; i++) {
            var np = pf ? pf[i] : 1, parts = new Array(np), fy = null, fx = null;
            for (var p = 0; p < np; p++) {
                var nr = rp ? rp[pi] : 1, rings = new Array(nr);
                pi++;
                for (var r = 0; r < nr; r++) {
                    var nv = rv[ri++], ring = new Array(nv);
                    for (var v = 0; v < nv; v++) {
                        y += g[gi++]; x += g[gi++];
                        ring[v] = L.latLng(y / 1e6, x / 1e6);
                        if (fy === null) { fy = y; fx = x; }
                    }
                    rings[r] = ring;
                }
                parts[p] = rings;
            }
            var f = L.polygon(np === 1 ? parts[0] : parts);
            f.options = Object.create(base[s[i]]);
            pts[i] = L.latLng((fy + lb[2 * i]) / 1e6, (fx + lb[2 * i + 1]) / 1e6);
            f.qygeoIndex = i;
            f.qygeoStatus = s[i];
            f.qygeoLabelPoint = pts[i];
            if (cols.id) { f.qygeoId = val('id', i); }
            feats[i] = f;
        }
        var group = L.featureGroup(feats);
        group.bindTooltip(function (f) { return fill(d.tip, f.qygeoIndex); },
                          {sticky: true, className: 'qygeo-tooltip'});
        group.bindPopup(function (f) {
            var i = f.qygeoIndex, rows = d.cols.filter(function (c) { return c.l; })
                .map(function (c) {
                    return '<tr><th>' + c.l + '</th><td>' + val(c.k, i) + (c.x || '') +
                        '</td></tr>';
                });
            return fill(d.title, i) + '<table class="qygeo-kv">' + rows.join('') + '</table>';
        }, {maxWidth: 380, maxHeight: 360, autoPanPaddingTopLeft: [50, 20],
            autoPanPaddingBottomRight: [Math.min(420, Math.round(window.innerWidth * 0.35)), 20]});
        group.on('mouseover', function (e) {
            e.layer.setStyle({weight: (base[e.layer.qygeoStatus].weight || 1) + 2});
        });
        group.on('mouseout', function (e) {
            delete e.layer.options.weight;
            e.layer.redraw();
        });
        group.qygeoStyles = base;
        // fn now and at each `event` of the map while `layer` is on one.
        function whileOnMap(layer, event, fn) {
            var on = null;
            layer.on('add', function () { on = layer._map; on.on(event, fn); fn(); });
            layer.on('remove', function () { if (on) { on.off(event, fn); } on = null; });
        }
        // Big pages zoomed out below the label zoom: outline only the idle plots (the
        // others are a few pixels wide, and outlining them doubles the drawing time).
        function outlines() {
            var gmap = group._map;
            var on = !gmap || n <= d.labelsAll || gmap.getZoom() >= d.labelMinZoom;
            base.forEach(function (o, k) {
                o.stroke = o.qygeoOutline && (on || d.styles[k].hatch === true);
            });
        }
        whileOnMap(group, 'zoomend', outlines);

        // Acreage labels: all of them on small pages (CSS hides them when zoomed out),
        // otherwise those in view from the label zoom on, and none when too many are.
        var labels = L.layerGroup();
        function label(i) {
            return L.marker(pts[i], {interactive: false, keyboard: false,
                icon: L.divIcon({className: 'qygeo-label-icon', iconSize: null,
                    html: '<div class="qygeo-label plot">' + fill(d.label, i) + '</div>'})});
        }
        function refresh() {
            var map = labels._map;
            labels.clearLayers();
            if (!map || map.getZoom() < d.labelMinZoom) { return; }
            var b = map.getBounds().pad(0.1), shown = [];
            for (var i = 0; i < n; i++) {
                if (b.contains(pts[i]) && shown.push(i) > d.labelsMax) { return; }
            }
            shown.forEach(function (i) { labels.addLayer(label(i)); });
        }
        // Labels that would cover one already shown are hidden (small plots side by side
        // at the label zoom); the others keep their place.
        function declutter() {
            var kept = [];
            labels.eachLayer(function (m) {
                var el = m.getElement ? m.getElement() : null;
                var div = el ? el.firstChild : null;
                if (!div) { return; }
                div.style.visibility = '';
                var r = div.getBoundingClientRect();
                if (!r.width) { return; }
                var hit = kept.some(function (k) {
                    return r.left < k.right && r.right > k.left &&
                           r.top < k.bottom && r.bottom > k.top; });
                if (hit) { div.style.visibility = 'hidden'; } else { kept.push(r); }
            });
        }
        function update() {
            if (n > d.labelsAll) { refresh(); }
            declutter();
        }
        if (n <= d.labelsAll) {
            for (var k = 0; k < n; k++) { labels.addLayer(label(k)); }
        }
        whileOnMap(labels, 'moveend', update);
        group.qygeoLabels = labels;
        return group;
    }
    return {ints: ints, layer: layer};
})();
"""


def canvas_layer(blob: dict[str, Any]) -> Any:
    """A folium element drawing *blob*; add it to a FeatureGroup (or the map).

    Its ``labels`` attribute is the element of the acreage labels, to add to
    another group.
    """
    from branca.element import MacroElement

    from qygeo.render.page import literal_element, template

    class CanvasLayer(MacroElement):
        _template = template("")

        def render(self, **kwargs: Any) -> None:
            root = self.get_root()
            root.header.add_child(literal_element(f"<script>{CANVAS_JS}</script>"),
                                  name="qygeo_fast_js")
            name = self.get_name()
            # JSON in its own element: JSON.parse reads it faster than the JS parser would.
            root.html.add_child(literal_element(
                f'<script type="application/json" class="qygeo-fast-data" id="{name}_data">'
                f"{self.blob_json}</script>\n"), name=f"{name}_data")
            root.script.add_child(literal_element(
                f"var {name} = qygeoFast.layer(JSON.parse("
                f"document.getElementById('{name}_data').textContent));\n"
                f"{name}.addTo({self._parent.get_name()});\n"), name=name)

    class FastLabels(MacroElement):
        _template = template(
            "{% macro script(this, kwargs) %}\n"
            "var {{ this.get_name() }} = {{ this.layer.get_name() }}.qygeoLabels;\n"
            "{{ this.get_name() }}.addTo({{ this._parent.get_name() }});\n"
            "{% endmacro %}\n")

    el = CanvasLayer()
    el._name = "CanvasLayer"
    el.blob_json = to_script_json(blob)
    labels = FastLabels()
    labels._name = "FastLabels"
    labels.layer = el
    el.labels = labels
    return el
