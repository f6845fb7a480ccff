"""The maps in a real browser: headless Debian chromium driven by Playwright.

The network is blocked: every request that is not a local file is aborted and
recorded, so a page that needs the internet fails here. Without chromium the
tests skip locally and fail in CI (``CI=true``), where .ci/run installs it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import write_tiny
from qygeo.io.dataset import load_dataset
from qygeo.pipeline.report import build_report
from qygeo.render.maps import write_maps
from test_maps import TEMPLATE, XSS, add_planting, rename_park

#: The main map's vector shapes (the minimap is a second map inside a control).
SHAPES = ".folium-map > .leaflet-map-pane .leaflet-overlay-pane path.leaflet-interactive"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for the whole module."""
    exe = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists()
                                       else None)
    if exe is None:
        _unavailable("chromium not installed (Debian package 'chromium')")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright (Python) not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Site:
    """Self-contained maps of the tiny data (with planting and a markup-named park)."""

    maps: Path
    counts: dict[str, int]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    root = write_tiny(tmp_path_factory.mktemp("browser") / "geodata")
    add_planting(root)
    rename_park(root, "alpha", name_zh=XSS, name_en=TEMPLATE)
    ds = load_dataset(root)
    rep = build_report(ds, as_of=dt.date(2025, 6, 1))
    out = root.parent / "maps"
    write_maps(ds, out, report=rep, basemap="none", self_contained=True)
    idle = int(rep.plot_table["idle"].sum())  # Art. 8 plots (idle_art8) are idle land too
    return Site(out, {"districts": len(ds.districts), "district_labels": len(ds.districts),
                      "parks": len(ds.parks), "park_labels": len(ds.parks),
                      "planting": len(ds.planting),
                      "planting_labels": len(ds.planting), "idle_plots": idle})


@dataclass
class Page:
    page: object
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def quiet(self) -> bool:
        return not (self.errors or self.blocked or self.failed or self.dialogs)

    def problems(self) -> dict[str, list[str]]:
        return {"errors": self.errors, "blocked": self.blocked, "failed": self.failed,
                "dialogs": self.dialogs}


@pytest.fixture()
def open_page(browser):
    pages = []

    def _open(path: Path) -> Page:
        pg = browser.new_page(viewport={"width": 1280, "height": 860})
        p = Page(pg)

        def route(r):
            url = r.request.url
            if url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                p.blocked.append(url)
                r.abort()

        pg.route("**/*", route)
        pg.on("console", lambda m: p.errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: p.errors.append(str(e)))
        pg.on("requestfailed", lambda r: p.failed.append(r.url))
        pg.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))
        pg.goto(path.as_uri())
        pg.wait_for_function("window.qygeo && window.qygeo.map")
        pages.append(pg)
        return p

    yield _open
    for pg in pages:
        pg.close()


def _hover_point(page, lat: float, lon: float) -> None:
    """Move the mouse over a point of the map given in degrees."""
    x, y = page.evaluate(
        """([lat, lon]) => {
            const pt = qygeo.map.latLngToContainerPoint([lat, lon]);
            const box = qygeo.map.getContainer().getBoundingClientRect();
            return [box.left + pt.x, box.top + pt.y];
        }""", [lat, lon])
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)


def test_city_map_loads_offline_without_errors(site, open_page):
    p = open_page(site.maps / "index.html")
    pg = p.page
    for control in (".leaflet-control-layers", ".leaflet-control-scale",
                    ".leaflet-control-zoom-fullscreen", ".leaflet-control-measure",
                    ".leaflet-control-minimap", "#qygeo-title"):
        assert pg.locator(control).count() == 1, control
    # The measure tool draws markers and popups: none of it may fetch anything.
    pg.hover(".leaflet-control-measure")
    pg.click(".leaflet-control-measure .js-start")
    for x, y in ((300, 300), (500, 300), (500, 500)):
        pg.mouse.click(x, y)
    pg.click(".leaflet-control-measure .js-finish")
    assert "亩 mu" in pg.inner_text(".leaflet-popup-content")
    assert p.quiet(), p.problems()


def test_the_measure_tool_measures_on_a_park_page(site, open_page):
    # The park pages draw on a canvas (preferCanvas): leaflet-measure threw on every
    # click from the second there and showed no distance or area.
    p = open_page(site.maps / "parks" / "beta.html")
    pg = p.page
    pg.hover(".leaflet-control-measure")
    pg.click(".leaflet-control-measure .js-start")
    for x, y in ((300, 300), (500, 300), (500, 500)):
        pg.mouse.click(x, y)
    pg.mouse.move(450, 550)
    live = pg.inner_text(".leaflet-control-measure")
    assert "Path distance" in live and "亩 mu" in live, live
    vertices = pg.evaluate("document.querySelectorAll('path.layer-measurevertex').length")
    assert vertices == 3
    pg.click(".leaflet-control-measure .js-finish")
    assert "亩 mu" in pg.inner_text(".leaflet-popup-content")
    assert p.quiet(), p.problems()


def open_gaode_park_page(browser, tmp_path):
    """beta's park page of the tiny data drawn on Gaode (GCJ-02) tiles, offline, loaded:
    (page, the page errors seen)."""
    root = write_tiny(tmp_path / "geodata")
    write_maps(load_dataset(root), tmp_path / "maps", basemap="gaode", self_contained=True,
               as_of=dt.date(2025, 6, 1), park_ids=["beta"])
    pg = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
             else r.abort())
    pg.goto((tmp_path / "maps" / "parks" / "beta.html").as_uri())
    pg.wait_for_function("window.qygeo && window.qygeo.map")
    return pg, errors


def test_on_gaode_tiles_the_measure_tool_gives_the_data_s_wgs84_coordinates(browser,
                                                                            tmp_path):
    # The Gaode pages are drawn in GCJ-02: the read-out gave a plot's corner ~600 m from
    # its coordinates in the data.
    import numpy as np

    from qygeo.io.crs import shift_coords

    pg, errors = open_gaode_park_page(browser, tmp_path)
    try:
        corner = (113.350, 23.750)  # WGS84: a corner of plot B1 in the data
        shown = shift_coords(np.array([corner]), "wgs84_to_gcj02")[0]
        x, y = pg.evaluate("""([lat, lng]) => {
            const pt = qygeo.map.latLngToContainerPoint([lat, lng]);
            const box = qygeo.map.getContainer().getBoundingClientRect();
            return [box.left + pt.x, box.top + pt.y]; }""", [shown[1], shown[0]])
        pg.hover(".leaflet-control-measure")
        pg.click(".leaflet-control-measure .js-start")
        pg.mouse.click(x, y)
        clicked = pg.evaluate("(([x, y]) => { const b = qygeo.map.getContainer()"
                              ".getBoundingClientRect(); const ll = qygeo.map"
                              ".containerPointToLatLng([x - b.left, y - b.top]);"
                              " return [ll.lng, ll.lat]; })", [x, y])
        clicked = np.array(clicked)
        want = shift_coords(np.array([clicked]), "gcj02_to_wgs84")[0]
        live = pg.inner_text(".leaflet-control-measure")
        assert f"{want[1]:.6f} / {want[0]:.6f}" in live, live
        # Within a pixel of the corner, where the GCJ-02 point is 600 m away.
        assert np.hypot(*(want - corner)) < 1e-4 < 4e-3 < np.hypot(*(clicked - want))
        pg.click(".leaflet-control-measure .js-finish")  # one point: its location popup
        assert f"{want[1]:.6f} / {want[0]:.6f}" in pg.inner_text(".leaflet-popup-content")
        # ... drawn where it was clicked, on the GCJ-02 tiles.
        at = pg.evaluate("(() => { let p; qygeo.map.eachLayer(l => { if (l.options && "
                         "l.options.className === 'layer-measure-resultpoint') p = "
                         "l.getLatLng(); }); return [p.lng, p.lat]; })()")
        assert at == pytest.approx(clicked, abs=1e-9)
        assert not errors, errors
    finally:
        pg.close()


def test_on_gaode_tiles_a_measured_area_s_popup_gives_the_live_read_out_s_area(browser,
                                                                                tmp_path):
    # The live read-out measured the WGS84 points (143.4 亩 on the guangfo page), the
    # finished shape's popup the GCJ-02 ones it was clicked at (142.9 亩).
    import re

    pg, errors = open_gaode_park_page(browser, tmp_path)
    try:
        pg.evaluate("qygeo.map.setZoom(12, {animate: false})")  # a shape of some hundred mu
        pg.hover(".leaflet-control-measure")
        pg.click(".leaflet-control-measure .js-start")
        for x, y in ((500, 300), (700, 300), (700, 500)):
            pg.mouse.click(x, y)
        live = pg.inner_text(".leaflet-control-measure .results")
        pg.click(".leaflet-control-measure .js-finish")
        popup = pg.inner_text(".leaflet-popup-content")
        area = re.compile(r"([\d,.]+) 亩")
        assert area.search(live) and area.search(popup), (live, popup)
        assert area.search(popup)[1] == area.search(live)[1], (live, popup)
        # ... the shape drawn where it was clicked, on the GCJ-02 tiles
        drawn = pg.evaluate("""() => { let p; qygeo.map.eachLayer(l => { if (l.options &&
            l.options.className === 'layer-measure-resultarea') p = l.getLatLngs()[0]
            .map(q => qygeo.map.latLngToContainerPoint(q)).map(q => [q.x, q.y]); });
            return p; }""")
        box = pg.evaluate("(() => { const b = qygeo.map.getContainer().getBoundingClientRect();"
                          " return [b.left, b.top]; })()")
        want = [v - box[i % 2] for pt in ((500, 300), (700, 300), (700, 500)) for i, v in
                enumerate(pt)]
        assert [v for pt in drawn for v in pt] == pytest.approx(want, abs=1.5), drawn
        assert not errors, errors
    finally:
        pg.close()


def test_each_layer_has_as_many_features_as_the_data(site, open_page):
    pg = open_page(site.maps / "index.html").page
    counts = pg.evaluate("Object.fromEntries(Object.entries(qygeo.layers)"
                         ".map(([k, v]) => [k, v.getLayers().length]))")
    assert counts == site.counts
    c = site.counts
    shapes = c["districts"] + c["parks"] + c["planting"] + c["idle_plots"]
    assert pg.locator(SHAPES).count() == shapes
    assert pg.locator(".qygeo-label").count() == (c["district_labels"] + c["park_labels"]
                                                  + c["planting_labels"])
    assert pg.locator("path.qygeo-idle").count() == c["idle_plots"]


def test_switching_a_layer_off_removes_it(site, open_page):
    pg = open_page(site.maps / "index.html").page
    before = pg.locator(SHAPES).count()
    control = pg.locator(".leaflet-control-layers")
    control.hover()
    control.get_by_text("园区投资强度 Parks: investment intensity").click()
    assert pg.evaluate("qygeo.map.hasLayer(qygeo.layers.parks)") is False
    assert pg.locator(SHAPES).count() == before - site.counts["parks"]
    control.get_by_text("南药种植区 South-medicine planting").click()
    assert pg.locator(".qygeo-label.planting").count() == 0
    assert pg.locator(SHAPES).count() == before - site.counts["parks"] - site.counts["planting"]
    control.get_by_text("园区投资强度 Parks: investment intensity").click()
    assert pg.evaluate("qygeo.map.hasLayer(qygeo.layers.parks)") is True


def test_hovering_a_park_shows_its_tooltip(site, open_page):
    pg = open_page(site.maps / "index.html").page
    _hover_point(pg, 23.785, 113.385)  # inside Beta Park, clear of its plots and nested park
    tip = pg.locator(".leaflet-tooltip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert "乙园 / Beta Park" in text
    assert "佛冈县" in text and "亿元/km²" in text and "km²" in text
    _hover_point(pg, 23.72, 113.32)  # the nested park is on top
    pg.wait_for_function("document.querySelector('.leaflet-tooltip')"
                         ".innerText.includes('Beta Child Park')")


def test_legend_is_present(site, open_page):
    pg = open_page(site.maps / "index.html").page
    legend = pg.locator("#qygeo-legend")
    assert legend.is_visible()
    text = legend.inner_text()
    assert "投资强度（园区毛面积） Investment intensity, gross park area" in text
    assert "not land investment intensity" in text and "亿元/km²" in text  # its basis (issue 13)
    assert "闲置地块 Idle plot" in text and "≥ 50" in text
    # 8 classes, the dashed outline of parks coloured by their plots' investment, idle,
    # planting, district.
    assert legend.locator(".row").count() == 8 + 4
    assert "Dashed outline. Investment made on the plots" in text


def test_a_park_named_with_markup_runs_nothing_and_shows_the_text(site, open_page):
    """Markup is shown as text, and template syntax is neither run nor dropped."""
    p = open_page(site.maps / "index.html")
    pg = p.page
    assert XSS in pg.inner_text("#qygeo-title")
    _hover_point(pg, 23.64, 113.04)  # inside Alpha Park, away from its plots
    tip = pg.locator(".leaflet-tooltip")
    tip.wait_for(state="visible")
    assert XSS in tip.inner_text()
    assert TEMPLATE in tip.inner_text()
    pg.mouse.down()
    pg.mouse.up()
    pg.locator(".leaflet-popup-content").wait_for(state="visible")
    assert XSS in pg.inner_text(".leaflet-popup-content")
    assert TEMPLATE in pg.inner_text(".leaflet-popup-content")
    assert pg.evaluate("document.querySelectorAll('img[src=\"x\"], img[onerror]').length") == 0
    assert "1337" not in pg.content()
    park = open_page(site.maps / "parks" / "alpha.html")
    assert park.page.title().startswith("\u2068" + XSS + "\u2069")  # each name isolated
    assert XSS in park.page.inner_text("#qygeo-panel")
    assert TEMPLATE in park.page.inner_text("#qygeo-panel")
    assert p.quiet(), p.problems()
    assert park.quiet(), park.problems()


def test_city_and_park_pages_link_to_each_other(site, open_page):
    p = open_page(site.maps / "index.html")
    pg = p.page
    pg.locator("#qygeo-title").get_by_text("乙园 / Beta Park", exact=True).click()
    pg.wait_for_url("**/parks/beta.html")
    pg.wait_for_function("window.qygeo && window.qygeo.layers.plots")
    assert pg.evaluate("qygeo.layers.plots.getLayers().length") == 3  # with the nested park's
    assert pg.evaluate("qygeo.layers.plot_labels.getLayers().length") == 3
    # Plots are drawn on a canvas: the idle one is filled with the hatch pattern.
    assert pg.evaluate("qygeo.layers.plots.getLayers().filter("
                       "l => l.options.fillColor instanceof CanvasPattern).length") == 1
    assert pg.locator(".leaflet-overlay-pane canvas").count() == 1
    assert "投资强度" in pg.inner_text("#qygeo-panel")
    pg.get_by_text("← 清远全市地图 Qingyuan city map").click()
    pg.wait_for_url("**/maps/index.html")
    pg.wait_for_function("window.qygeo && window.qygeo.layers.parks")
    assert p.errors == [] and p.blocked == [] and p.dialogs == []


def test_a_bidi_override_in_one_park_name_leaves_the_others_in_order(browser, tmp_path):
    # U+202E in one name would reverse every later name in the report's park index,
    # one line of inline links, unless each name is isolated.
    from qygeo.render.text import write_report

    root = write_tiny(tmp_path / "geodata")
    rename_park(root, "alpha", name_zh="甲园\u202e", name_en="Alpha")
    page_path = write_report(build_report(load_dataset(root), as_of=dt.date(2025, 6, 1)),
                             "html", tmp_path / "report.html")
    pg = browser.new_page(viewport={"width": 1280, "height": 860})
    try:
        pg.goto(page_path.as_uri())
        lefts = pg.evaluate("() => [...document.querySelectorAll('nav a')]"
                            ".map((a) => a.getBoundingClientRect().left)")
    finally:
        pg.close()
    assert len(lefts) == 3 and lefts == sorted(lefts)


#: The left edge of each character of the first *word* in the elements *sel*, as drawn.
WORD_LEFTS = """([sel, word]) => {
  for (const el of document.querySelectorAll(sel)) {
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const i = n.data.indexOf(word);
      if (i < 0) continue;
      return [...word].map((_c, k) => {
        const r = document.createRange(); r.setStart(n, i + k); r.setEnd(n, i + k + 1);
        return r.getBoundingClientRect().left;
      });
    }
  }
  return null;
}"""


def test_a_bidi_override_in_a_park_name_reverses_no_heading_or_chart_label(browser, tmp_path):
    # U+202E after 甲园 reversed the rest of its <h2> and of its SVG chart labels
    # ("ahplA"): each name is isolated (<bdi> in HTML, U+2068…U+2069 in SVG and <title>).
    from qygeo.render.text import write_report

    root = write_tiny(tmp_path / "geodata")
    rename_park(root, "alpha", name_zh="甲园\u202e", name_en="Alpha")
    ds = load_dataset(root)
    rep = build_report(ds, as_of=dt.date(2025, 6, 1))
    page_path = write_report(rep, "html", tmp_path / "report.html")
    pg = browser.new_page(viewport={"width": 1280, "height": 860})
    try:
        pg.goto(page_path.as_uri())
        for sel in ("#park-alpha h2", "svg text"):
            lefts = pg.evaluate(WORD_LEFTS, [sel, "Alpha"])
            assert lefts is not None and lefts == sorted(lefts), (sel, lefts)
    finally:
        pg.close()
    write_maps(ds, tmp_path / "maps", report=rep, basemap="none", self_contained=True)
    page = (tmp_path / "maps" / "parks" / "alpha.html").read_text(encoding="utf-8")
    assert "<title>\u2068甲园\u202e\u2069 \u2068Alpha\u2069 — qygeo</title>" in page


def _long_names_report(tmp_path: Path) -> Path:
    """The report page of the tiny data with a long bilingual name and a 300-letter one."""
    from qygeo.render.text import write_report

    root = write_tiny(tmp_path / "geodata")
    rename_park(root, "alpha", name_zh="清远国家高新技术产业开发区生物医药与健康产业园",
                name_en="Qingyuan National High-tech Industrial Development Zone Biomedicine "
                        "and Health Industrial Park")
    rename_park(root, "beta", name_zh="W" * 300)
    return write_report(build_report(load_dataset(root), as_of=dt.date(2025, 6, 1)),
                        "html", tmp_path / "report.html")


def test_long_park_names_stay_inside_the_report_s_charts(browser, tmp_path):
    # A long bilingual name was cut off at the left of every chart: labels right-aligned
    # at x=480 started 425 px left of the chart.
    pg = browser.new_page(viewport={"width": 1280, "height": 860})
    try:
        pg.goto(_long_names_report(tmp_path).as_uri())
        outside = pg.evaluate("""() => [...document.querySelectorAll('svg text')].filter(t => {
            const r = t.getBoundingClientRect(), s = t.ownerSVGElement.getBoundingClientRect();
            return r.width && (r.left < s.left - 0.5 || r.right > s.right + 0.5);
        }).map(t => t.textContent)""")
        assert outside == []
        # The long names are there in two lines, the Chinese one whole.
        whole = "清远国家高新技术产业开发区生物医药与健康产业园"
        assert pg.locator("svg text tspan", has_text=whole).count() >= 3
    finally:
        pg.close()


def test_a_long_unbroken_park_name_does_not_widen_the_report_page(browser, tmp_path):
    # A 300-letter name without a space widened report.html to 7,982 px (nav links
    # nowrap, <h2> not wrapped).
    pg = browser.new_page(viewport={"width": 1280, "height": 860})
    try:
        pg.goto(_long_names_report(tmp_path).as_uri())
        assert pg.evaluate("document.documentElement.scrollWidth") <= 1280
    finally:
        pg.close()


def test_an_8000_character_park_name_is_cut_in_one_pass(tmp_path, monkeypatch):
    # report.html took minutes for such a name: each chart label dropped one character at
    # a time and measured the whole rest again (quadratic in the length).
    from qygeo.render import html
    from qygeo.render.text import write_report

    root = write_tiny(tmp_path / "geodata")
    name = "Long" * 2000
    rename_park(root, "beta", name_en=name)
    rep = build_report(load_dataset(root), as_of=dt.date(2025, 6, 1))
    measured = 0
    measure = html.display_width

    def counted(text):
        nonlocal measured
        measured += len(text)
        assert measured < 200 * len(name), "the label is measured over and over"
        return measure(text)

    monkeypatch.setattr(html, "display_width", counted)
    page = write_report(rep, "html", tmp_path / "report.html").read_text(encoding="utf-8")
    # The English line of beta's chart label: the longest start of the name that fits,
    # then the ellipsis, its isolate closed.
    room = html.CHART_LABEL_PX - 12
    cut = html._cut(f"\u2068{name}\u2069", room)
    kept = cut.removeprefix("\u2068").removesuffix("…\u2069")
    assert name.startswith(kept) and 0 < len(kept) < len(name)
    assert html._text_px(cut) <= room < html._text_px(f"\u2068{kept}L…\u2069")
    assert f">{cut}</tspan>" in page


def test_the_park_page_search_finds_a_plot_whose_id_holds_markup_characters(
        browser, open_page, tmp_path):  # noqa: F811
    # The canvas layer stores ids as HTML text (A1&amp;02): compared with the typed id,
    # such a plot was never found.
    from qygeo.io import layers

    root = write_tiny(tmp_path / "geodata")
    plots = layers.read_layer(root / "plots.geojson", layers.PLOTS)
    plots["plot_id"] = plots["plot_id"].astype(object)
    plots.loc[plots["plot_id"] == "A1", "plot_id"] = "A1&<02>"
    layers.write_layer(plots, root / "plots.geojson", layers.PLOTS)
    ds = load_dataset(root)
    write_maps(ds, tmp_path / "maps", report=build_report(ds, as_of=dt.date(2025, 6, 1)),
               basemap="none", self_contained=True)
    p = open_page(tmp_path / "maps" / "parks" / "alpha.html")
    box = p.page.locator(".qygeo-search input")
    box.fill("A1&<02>")
    box.press("Enter")
    assert p.page.evaluate("qygeo.found && qygeo.found.id") == "A1&<02>"
    popup = p.page.locator(".leaflet-popup-content")
    assert popup.count() == 1 and "A1&<02>" in popup.inner_text()
    assert p.quiet(), p.problems()


#: The left edge of each character of *word* in the first element of *sel* holding it.


def test_a_bidi_override_in_a_left_out_plot_id_reverses_no_warning(browser, tmp_path):
    # report.html's warnings were plain text: "plot P-1<U+202E>X left out …" drew the rest
    # of its line reversed. Each warning is isolated, and each id in it.
    from click.testing import CliRunner

    from qygeo.cli import main

    root = write_tiny(tmp_path / "geodata")
    data = json.loads((root / "plots.geojson").read_text(encoding="utf-8"))
    bad = json.loads(json.dumps(data["features"][0]))
    bad["properties"].update(plot_id="P-1\u202eX", invested_yuan=-5)
    data["features"].append(bad)
    plots = tmp_path / "plots.geojson"
    plots.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "report.html"
    res = CliRunner().invoke(main, ["report", "--geodata", str(root), "--plots", str(plots),
                                    "--skip-invalid-plots", "--as-of", "2025-06-01", "-q",
                                    "--format", "html", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "<li><bdi>plot <bdi>P-1\u202eX</bdi> left out" in out.read_text(encoding="utf-8")
    pg = browser.new_page(viewport={"width": 1280, "height": 860})
    try:
        pg.goto(out.as_uri())
        for word in ("left out", "--skip-invalid-plots", "negative"):
            lefts = pg.evaluate(WORD_LEFTS, ["ul.warn li", word])
            assert lefts is not None and lefts == sorted(lefts), (word, lefts)
    finally:
        pg.close()


def test_the_report_page_fits_a_phone_screen(browser, tmp_path):
    """At 390 px the per-park tables (a long unbroken value such as an indicator key with
    its status sets a column's width) widened the page to 478 px: every table now
    scrolls inside its own box."""
    from qygeo.io.dataset import load_dataset
    from qygeo.pipeline.report import build_report
    from qygeo.render.text import write_report

    rep = build_report(load_dataset(), as_of=dt.date(2025, 6, 1))
    page = write_report(rep, "html", tmp_path / "report.html")
    pg = browser.new_page(viewport={"width": 390, "height": 800})
    try:
        pg.goto(page.as_uri())
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        assert pg.locator("section .table").count() >= 1
    finally:
        pg.close()
