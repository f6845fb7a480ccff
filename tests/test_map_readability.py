"""Maps and the report page that read well, in Chromium at 1,280 px, offline (issue #15, item 5).

Screenshots of these pages were looked at while building them; the assertions pin what
was seen: names on the city map, a metric scale, a north arrow, a search that zooms,
plain words, links in sight, a print stylesheet, a report page that fits the screen.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import BUNDLED
from qygeo.cli import main
from test_browser import browser, open_page  # noqa: F401 - fixtures: one chromium, offline pages

AS_OF = "2026-01-01"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    res = CliRunner().invoke(main, ["build", "--geodata", str(BUNDLED), "-o", str(out),
                                    "--basemap", "none", "--as-of", AS_OF, "-q"])
    assert res.exit_code == 0, res.output
    return out


def test_city_map_names_parks_with_a_metric_scale_and_a_north_arrow(built, open_page):  # noqa: F811
    p = open_page(built / "maps" / "index.html")
    pg = p.page
    assert pg.evaluate("document.documentElement.lang") == "zh-CN"
    labels = pg.locator(".qygeo-label.park").all_inner_texts()
    assert "广佛（佛冈）产业园" in labels and "华创智汇谷" in labels and len(labels) == 8
    scale = pg.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scale) == 1 and scale[0].endswith(("km", "m")) and "mi" not in scale[0]
    assert pg.locator("#qygeo-north svg").count() == 1
    assert p.quiet(), p.problems()


def test_search_finds_a_park_by_its_chinese_name_and_zooms_to_it(built, open_page):  # noqa: F811
    pg = open_page(built / "maps" / "index.html").page
    before = pg.evaluate("qygeo.map.getZoom()")
    box = pg.locator(".qygeo-search input")
    box.fill("广清产业园")
    box.press("Enter")
    assert pg.evaluate("qygeo.found && qygeo.found.id") == "guangqing"
    assert pg.evaluate("qygeo.map.getZoom()") > before
    # the popup opened, its links first, and no tooltip over it
    popup = pg.locator(".leaflet-popup-content")
    assert popup.count() == 1 and "Open the park map" in popup.inner_text()
    markup = popup.inner_html()
    assert markup.index("qygeo-links") < markup.index("qygeo-kv")
    assert pg.evaluate("qygeo.map.getPane('tooltipPane').style.display") == "none"


def test_park_page_search_and_plain_words(built, open_page):  # noqa: F811
    pg = open_page(built / "maps" / "parks" / "guangfo.html").page
    panel = pg.locator("#qygeo-panel").inner_text()
    assert "产业园 Industrial park" in panel and "industrial_park" not in panel
    assert "近似 approximate" in panel
    box = pg.locator(".qygeo-search input")
    box.fill("GF-XX-01")
    box.press("Enter")
    assert pg.evaluate("qygeo.found && qygeo.found.id") == "GF-XX-01"
    # its popup opens, as on the city map (the plots' popup is their canvas group's)
    popup = pg.locator(".leaflet-popup-content")
    assert popup.count() == 1 and "GF-XX-01" in popup.inner_text()
    pg.evaluate("qygeo.map.closePopup()")
    # the panel's values are not cut at the right edge, and the figures fold away
    assert pg.evaluate("""() => { const b = document.getElementById('qygeo-panel');
                                  return b.scrollWidth <= b.clientWidth + 1; }""")
    assert pg.locator("#qygeo-panel .qygeo-kv").is_visible()
    pg.locator("#qygeo-panel summary").click()
    assert not pg.locator("#qygeo-panel .qygeo-kv").is_visible()
    assert pg.evaluate("document.getElementById('qygeo-panel').offsetWidth") < 400  # of 1,280


def test_print_keeps_title_legend_and_scale_and_hides_the_controls(built, open_page):  # noqa: F811
    pg = open_page(built / "maps" / "index.html").page
    pg.emulate_media(media="print")
    shown = pg.evaluate("""() => Object.fromEntries(['.leaflet-control-zoom',
        '.qygeo-search', '.leaflet-control-layers', '#qygeo-legend', '#qygeo-title',
        '.leaflet-control-scale'].map(s => [s,
        getComputedStyle(document.querySelector(s)).display !== 'none']))""")
    assert shown == {".leaflet-control-zoom": False, ".qygeo-search": False,
                     ".leaflet-control-layers": False, "#qygeo-legend": True,
                     "#qygeo-title": True, ".leaflet-control-scale": True}
    assert pg.pdf(format="A4", landscape=True).startswith(b"%PDF")


def test_report_page_fits_the_screen_and_prints(built, browser):  # noqa: F811
    pg = browser.new_page(viewport={"width": 1280, "height": 900})
    pg.goto((built / "reports" / "report.html").as_uri())
    assert pg.evaluate("document.documentElement.scrollWidth") <= 1280
    nav = pg.locator("nav").inner_text()
    assert "广佛（佛冈）产业园" in nav
    pg.emulate_media(media="print")
    assert pg.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
    pg.close()


def test_maps_link_the_report_only_where_it_is(built, tmp_path):
    city = (built / "maps" / "index.html").read_text("utf-8")
    assert "../reports/report.html#park-guangfo" in city
    alone = tmp_path / "somewhere" / "maps"
    res = CliRunner().invoke(main, ["map", "--geodata", str(BUNDLED), "-o", str(alone),
                                    "--basemap", "none", "--as-of", AS_OF, "-q"])
    assert res.exit_code == 0, res.output
    assert "report.html" not in (alone / "index.html").read_text("utf-8")
    assert "report.html" not in (alone / "parks" / "guangfo.html").read_text("utf-8")


@pytest.mark.parametrize(("basemap", "imagery"), [
    ("osm", "World_Imagery"), ("carto", "World_Imagery"), ("gaode", "webst0")])
def test_the_layer_switcher_offers_imagery_in_the_pages_datum(tmp_path, basemap, imagery):
    out = tmp_path / "maps"
    res = CliRunner().invoke(main, ["map", "--geodata", str(BUNDLED), "-o", str(out),
                                    "--basemap", basemap, "--park", "guangfo", "--cdn",
                                    "--as-of", AS_OF, "-q"])
    assert res.exit_code == 0, res.output
    page = (out / "parks" / "guangfo.html").read_text("utf-8")
    assert imagery in page
    other = "webst0" if imagery != "webst0" else "World_Imagery"
    assert other not in page  # never imagery of the other datum under these overlays


def test_tianditu_imagery_with_a_key():
    from qygeo.render.basemaps import get_basemap

    env = {"TIANDITU_KEY": "abcdef0123456789"}
    for name in ("tianditu", "osm"):
        (label, spec), = get_basemap(name, env=env).satellite
        assert "img_w" in spec.url and "tk=abcdef0123456789" in spec.url and "天地图" in label
    assert get_basemap("none").satellite == ()


def test_quantile_classes_tell_the_parks_apart_and_the_legend_says_so():
    import qygeo
    from qygeo.render import styles
    from test_maps import layer_data

    rep = qygeo.report(BUNDLED, as_of=AS_OF)
    values = [v for v in rep.park_table["intensity_yi_per_km2"] if v == v and v is not None]
    assert len(values) >= 3

    def fills(classes):
        page = qygeo.city_map(rep, basemap="none", classes=classes).get_root().render()
        parks = layer_data(page)["parks"]["features"]
        shown = [f["properties"]["style"]["fillColor"] for f in parks
                 if f["properties"]["style"]["fillColor"] != styles.NA_COLOUR]
        return shown, page

    fixed, page_fixed = fills("fixed")
    quantile, page_q = fills("quantile")
    assert len(set(quantile)) >= len(set(fixed))
    assert len(set(quantile)) == len(values)  # every park with a figure in its own class
    assert "\\u5206\\u4f4d\\u6570" in page_q or "分位数" in page_q  # 分位数 quantiles
    assert "\\u5206\\u4f4d\\u6570" not in page_fixed and "分位数" not in page_fixed


def test_acreage_labels_do_not_pile_on_each_other(built, open_page):  # noqa: F811
    p = open_page(built / "maps" / "parks" / "guangfo.html")
    pg = p.page
    # The three small Huachuang plots side by side, at the first zoom with labels.
    pg.evaluate("""() => { const b = L.latLngBounds([]);
        qygeo.layers.plots.eachLayer(l => { if (String(l.qygeoId).startsWith('HC-'))
            b.extend(l.getBounds()); });
        qygeo.map.setView(b.getCenter(), 14, {animate: false}); }""")
    pg.wait_for_timeout(300)
    boxes = pg.evaluate("""() => [...document.querySelectorAll('.qygeo-label.plot')]
        .filter(e => getComputedStyle(e).visibility !== 'hidden' && e.offsetWidth)
        .map(e => { const r = e.getBoundingClientRect();
                    return [r.left, r.top, r.right, r.bottom]; })""")
    hidden = pg.evaluate("""() => [...document.querySelectorAll('.qygeo-label.plot')]
        .filter(e => getComputedStyle(e).visibility === 'hidden').length""")
    assert boxes and hidden >= 1
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]), (a, b)
    assert p.quiet(), p.problems()


#: Share of each plot's bounding box under the page's legend or panel, for the plots more
#: than 30 % hidden.
HIDDEN_PLOTS = """() => {
  const boxes = ['qygeo-legend', 'qygeo-panel'].map(i => document.getElementById(i))
    .filter(Boolean).map(e => e.getBoundingClientRect());
  const map = qygeo.map, frame = map.getContainer().getBoundingClientRect(), out = [];
  qygeo.layers.plots.eachLayer(l => {
    const b = l.getBounds(), sw = map.latLngToContainerPoint(b.getSouthWest()),
      ne = map.latLngToContainerPoint(b.getNorthEast());
    const r = {left: frame.left + sw.x, right: frame.left + ne.x,
               top: frame.top + ne.y, bottom: frame.top + sw.y};
    const area = Math.max(1, (r.right - r.left) * (r.bottom - r.top));
    let hidden = 0;
    for (const k of boxes) {
      hidden += Math.max(0, Math.min(r.right, k.right) - Math.max(r.left, k.left))
        * Math.max(0, Math.min(r.bottom, k.bottom) - Math.max(r.top, k.top));
    }
    if (hidden / area > 0.3) out.push([l.qygeoId, Math.round(100 * hidden / area)]);
  });
  return out;
}"""


def test_park_pages_open_with_every_plot_clear_of_the_legend_and_panel(built, browser):  # noqa: F811
    # On a 1,366 × 768 screen the legend hid GQ-P-02 (92 %) and QH-P-02 (100 %) at load:
    # the view was framed clear of the panel only.
    pg = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        for page in sorted((built / "maps" / "parks").glob("*.html")):
            pg.goto(page.as_uri())
            pg.wait_for_function("window.qygeo && window.qygeo.map")
            assert pg.evaluate(HIDDEN_PLOTS) == [], page.name
    finally:
        pg.close()


#: The page's zoom, the zoom that fits its framed layer with no margin, and whether the
#: view holds all of that layer.
FRAMING = """(key) => {
  const map = qygeo.map;
  let b = null;
  qygeo.layers[key].eachLayer(l => { b = b ? b.extend(l.getBounds()) : L.latLngBounds(
    l.getBounds().getSouthWest(), l.getBounds().getNorthEast()); });
  return [map.getZoom(), map.getBoundsZoom(b), map.getBounds().contains(b)];
}"""


@pytest.mark.parametrize("size", [(390, 844), (640, 844), (800, 400), (1280, 860)])
def test_pages_open_framed_on_a_phone_a_split_screen_and_a_short_window(built, browser,  # noqa: F811
                                                                        size):
    # Below ~700 px the margins for the legend and the panel were wider than the map:
    # Leaflet's zoom for them was not finite and the page never loaded ("Invalid LatLng
    # object: (NaN, NaN)"); at 800 x 400 the city map opened at zoom 5 where 8 fits it.
    pg = browser.new_page(viewport={"width": size[0], "height": size[1]})
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
             else r.abort())
    try:
        for page, key in (("index.html", "districts"), ("parks/guangfo.html", "plots")):
            pg.goto((built / "maps" / page).as_uri())
            assert not errors, (page, size, errors)
            pg.wait_for_function("window.qygeo && window.qygeo.map")
            zoom, unpadded, holds = pg.evaluate(FRAMING, key)
            assert holds and unpadded - 2 <= zoom <= unpadded, (page, size, zoom, unpadded)
    finally:
        pg.close()


BOX = """sel => { const e = document.querySelector(sel);
  if (!e || !e.offsetParent || getComputedStyle(e).visibility === 'hidden') return null;
  const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }"""

#: The width of the minimap's own Leaflet map (folium names its control mini_map_<hex>).
MINIMAP_WIDTH = """() => window[Object.keys(window).find(k => /^mini_map_[0-9a-f]+$/.test(k))]
  ._miniMap.getSize().x"""


@pytest.mark.parametrize("page", ["index.html", "parks/guangfo.html"])
def test_on_a_phone_the_panel_and_legend_start_folded_and_leave_the_map_free(built, browser,  # noqa: F811
                                                                          page):
    """On a 390-px phone the open panel and legend covered the whole map, the minimap
    covered the legend and the panel the zoom buttons. They now start folded there (a tap
    opens them), print open, and open on a desktop window as before."""
    for width, height in ((390, 844), (1280, 860)):
        pg = browser.new_page(viewport={"width": width, "height": height})
        pg.route("**/*", lambda r: r.continue_()
                 if r.request.url.startswith(("file:", "data:")) else r.abort())
        try:
            pg.goto((built / "maps" / page).as_uri())
            pg.wait_for_function("window.qygeo && window.qygeo.map")
            legend, panel = pg.evaluate(BOX, "#qygeo-legend"), pg.evaluate(BOX, ".qygeo-panel")
            minimap = pg.evaluate(BOX, ".leaflet-control-minimap")
            if width == 390:
                assert legend[3] <= 40 and panel[3] <= 0.4 * height, (legend, panel)
                assert minimap is None
                zoom = pg.evaluate(BOX, ".leaflet-control-zoom")
                assert panel[0] >= zoom[0] + zoom[2], (panel, zoom)  # the buttons show
                # Printed from a phone, the folds print open (they printed folded).
                pg.emulate_media(media="print")
                assert pg.evaluate(BOX, "#qygeo-legend")[3] > 150
                pg.emulate_media(media="screen")
                pg.click("#qygeo-legend summary")
                opened = pg.evaluate(BOX, "#qygeo-legend")
                assert opened[3] > 150 and opened[3] <= 0.45 * height + 40, opened
                # Hidden, the minimap is still laid out at its size (created with display:
                # none, its map had no size and drew askew once the window widened).
                assert pg.evaluate(MINIMAP_WIDTH) > 100
                pg.set_viewport_size({"width": 1280, "height": 860})
                pg.wait_for_function("getComputedStyle(document.querySelector("
                                     "'.leaflet-control-minimap')).visibility === 'visible'")
                assert pg.evaluate(BOX, ".leaflet-control-minimap") is not None
            else:
                assert legend[3] > 150 and minimap is not None, (legend, minimap)
                assert pg.evaluate("document.querySelectorAll('.qygeo-panel details[open]')"
                                   ".length") >= 1
        finally:
            pg.close()
