"""The HTML maps as text: layers, legend, links, basemap shift, escaping, assets, size.

What the pages do in a browser is in ``test_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from pyproj import Geod
from shapely.geometry import box

import canvas_decode
from conftest import BUNDLED, snapshot
from qygeo.cli import main
from qygeo.io import layers
from qygeo.io.dataset import load_dataset
from qygeo.pipeline.report import build_report
from qygeo.render import assets, canvas, labels, maps, styles
from qygeo.render.basemaps import BasemapError, get_basemap

AS_OF = dt.date(2025, 6, 1)
XSS = "<img src=x onerror=alert(1)>"
SCRIPT_BREAK = "</script><script>alert(2)</script>"
#: Jinja2 syntax of every kind: evaluated, it would print 1337 and T; '{#' alone is a syntax error.
TEMPLATE = "X{{ 7*191 }} {# c #} {% if 1 %}T{% endif %} {#"


def js(text: str) -> str:
    """*text* as it appears inside the page's scripts (JSON with ASCII escapes)."""
    return json.dumps(text)[1:-1]


def layer_data(page: str) -> dict[str, dict]:
    """The GeoJSON embedded in a page, by the layer names of ``window.qygeo.layers``."""
    payloads = {m.group(1): json.loads(m.group(2)) for m in re.finditer(
        r"(geo_json_[0-9a-f]+)_add\((\{[^\n]*\})\);", page)}
    block = re.search(r"window\.qygeo = \{map: \w+, layers: \{(.*?)\}\};", page, re.S).group(1)
    return {name: payloads[var] for name, var in re.findall(r'"(\w+)": (geo_json_[0-9a-f]+),',
                                                            block)}


def control_html(page: str, element_id: str) -> str:
    """The HTML of a page's control (panel, legend) with element id *element_id*."""
    found = re.search(r'div\.id = "' + element_id + r'";\s*div\.innerHTML = ("(?:[^"\\]|\\.)*");',
                      page)
    assert found, element_id
    return json.loads(found.group(1))


def build_pages(root: Path, basemap: str = "none", *, self_contained: bool = False,
                env: dict[str, str] | None = None) -> dict[str, str]:
    ds = load_dataset(root)
    rep = build_report(ds, as_of=AS_OF)
    return maps.render_maps(ds, rep, get_basemap(basemap, env=env or {}),
                            self_contained=self_contained)


def add_planting(root: Path) -> None:
    """A planting area in Qingcheng and two reported figures, one of which differs."""
    planting = gpd.GeoDataFrame(
        {"planting_id": ["herbs_a"], "name_zh": ["甲种植区"], "name_en": ["Herb area A"],
         "district_adcode": ["441802"], "source": ["test"], "boundary_quality": ["approximate"]},
        geometry=[box(113.05, 23.55, 113.08, 23.58)], crs="EPSG:4326")
    layers.write_layer(planting, root / "planting.geojson", layers.PLANTING)
    (root / "attributes" / "planting_figures.csv").write_text(
        "figure_id,planting_ids,reported_mu,year,source,note\n"
        "herbs_a_2024,herbs_a,12345,2024,test §1,\n", encoding="utf-8")


def rename_park(root: Path, park_id: str, **values: str) -> None:
    parks = layers.read_layer(root / "parks.geojson", layers.PARKS)
    for key, value in values.items():
        parks.loc[parks["park_id"] == park_id, key] = value
    layers.write_layer(parks, root / "parks.geojson", layers.PARKS)


# --------------------------------------------------------------------------- classes


def test_intensity_classes_are_fixed_breaks():
    assert styles.intensity_class(0.5) == 0
    assert styles.intensity_class(1.0) == 1  # a break starts the upper class
    assert styles.intensity_class(2.8) == 2
    assert styles.intensity_class(49.9) == 5
    assert styles.intensity_class(50.0) == 6
    assert styles.intensity_class(float("nan")) is None
    assert styles.intensity_colour(None) == styles.NA_COLOUR
    legend = styles.intensity_legend()
    assert len(legend) == len(styles.INTENSITY_COLOURS) + 1
    assert legend[-2][0].startswith("≥ 50")
    # The map's figure is signed investment ÷ gross park area: not the 2027 target's basis.
    assert not any("target" in label or "目标" in label for label, _ in legend)


# --------------------------------------------------------------------------- the pages


def test_a_park_is_coloured_in_the_class_of_the_intensity_it_shows():
    # 9.996 亿元/km² was shown "10.00" but coloured as 5 – 10.
    assert maps.num(9.996, styles.INTENSITY_DECIMALS) == "10.00"
    assert styles.intensity_class(9.996) == styles.intensity_class(10.0) == 4
    assert styles.intensity_class(9.994) == 3


def test_quantile_classes_that_cannot_be_drawn_are_called_fixed(tiny_geodata):
    # With one park valued, --classes quantile drew the fixed breaks under a legend that
    # said quantiles.
    fixed = styles.INTENSITY_BREAKS_YI_PER_KM2
    assert styles.intensity_scheme([3.0, None], "quantile") == (fixed, "fixed")
    assert styles.intensity_scheme([1.0, 4.0, 9.0], "quantile")[1] == "quantile"
    ds = load_dataset(tiny_geodata)
    rep = build_report(ds, as_of=AS_OF, park_ids=["alpha"])  # one park, one intensity
    page = maps._page(maps.city_map(ds, rep, get_basemap("none"), classes="quantile"),
                      self_contained=False)
    legend = control_html(page, "qygeo-legend")
    assert "quantiles of these parks" not in legend
    assert "固定 fixed, the same on every map; no quantiles" in legend


@pytest.mark.slow
def test_city_map_has_every_layer_legend_and_links(tiny_geodata):
    add_planting(tiny_geodata)
    pages = build_pages(tiny_geodata)
    assert sorted(pages) == ["index.html", "parks/alpha.html", "parks/beta.html",
                             "parks/beta_child.html"]
    city = pages["index.html"]
    data = layer_data(city)
    assert {k: len(v["features"]) for k, v in data.items()} == {
        "districts": 2, "district_labels": 2, "parks": 3, "park_labels": 3, "planting": 1,
        # idle: A1, B1, B2 (idle by Art. 8) and X1, which lies in no park
        "planting_labels": 1, "idle_plots": 4}
    for name in ("区县 Districts", "园区投资强度 Parks: investment intensity",
                 "南药种植区 South-medicine planting", "闲置地块 Idle plots (MLR No. 53)"):
        assert js(name) in city
    assert "L.control.layers" in city
    assert "L.control.scale" in city
    assert "L.control.fullscreen" in city
    assert "L.Control.Measure" in city
    assert "L.Control.MiniMap" in city
    assert "qygeo-legend" in city and js("亿元/km²") in city
    for pid in ("alpha", "beta", "beta_child"):
        assert f"parks/{pid}.html" in city
    # Nested parks are drawn after (above) the park containing them.
    ids = [f["properties"]["id"] for f in data["parks"]["features"]]
    assert ids.index("beta_child") > ids.index("beta")
    # Planting: mapped acreage, and the reported figure because it differs.
    label = data["planting_labels"]["features"][0]["properties"]["label"]
    assert "亩 图测 mapped" in label and "12,345" in label
    # Idle plots say why.
    popup = data["idle_plots"]["features"][0]["properties"]["popup"]
    assert "not started one full year" in popup and "p1" in popup and "e1" in popup


@pytest.mark.slow
def test_park_page_has_plots_by_status_labels_panel_and_link_back(tiny_geodata):
    pages = build_pages(tiny_geodata)
    beta = pages["parks/beta.html"]
    # The plots are one compact blob drawn on a canvas (qygeo.render.canvas).
    [blob] = canvas_decode.from_page(beta)
    rows = canvas_decode.decode_blob(blob)
    plot_ids = {r["id"] for r in rows}
    assert plot_ids == {"B1", "B2", "C1"}  # a parent park shows its nested park's plots
    assert blob["label"] == canvas.PLOT_LABEL and "亩" in blob["label"]
    assert all(r["area"] != "n/a" for r in rows)
    keys, _ = canvas.plot_styles()
    status = dict(zip((r["id"] for r in rows),
                      (keys[i] for i in canvas_decode.decode_ints(blob["s"])), strict=True))
    assert status["B1"] == "idle"  # suspended a year, under-invested
    assert status["C1"] != "idle"
    assert blob["styles"][keys.index("idle")]["hatch"] is True
    assert "../index.html" in beta
    assert "qygeo-panel" in beta
    assert js("投资强度（园区毛面积） Investment intensity, gross park area") in beta
    assert "Beta Park" in beta


@pytest.mark.slow
def test_gaode_shifts_every_overlay_about_600_m(tiny_geodata):
    osm = layer_data(build_pages(tiny_geodata, "osm")["index.html"])
    gaode = layer_data(build_pages(tiny_geodata, "gaode")["index.html"])
    geod = Geod(ellps="WGS84")
    for layer in ("districts", "parks", "idle_plots", "district_labels"):
        a = osm[layer]["features"][0]["geometry"]["coordinates"]
        b = gaode[layer]["features"][0]["geometry"]["coordinates"]
        while isinstance(a[0], list):
            a, b = a[0], b[0]
        _, _, dist_m = geod.inv(a[0], a[1], b[0], b[1])
        assert 500 < dist_m < 700, (layer, dist_m)
    assert "autonavi.com" in build_pages(tiny_geodata, "gaode")["index.html"]


@pytest.mark.slow
def test_tianditu_needs_a_key(tiny_geodata):
    with pytest.raises(BasemapError, match="TIANDITU_KEY"):
        get_basemap("tianditu", env={})
    with pytest.raises(BasemapError, match="does not look like"):
        get_basemap("tianditu", env={"TIANDITU_KEY": "abc'); alert(1); //"})
    page = build_pages(tiny_geodata, "tianditu", env={"TIANDITU_KEY": "0123456789abcdef"})
    assert "tianditu.gov.cn" in page["index.html"] and "tk=0123456789abcdef" in page["index.html"]
    osm = layer_data(build_pages(tiny_geodata, "osm")["index.html"])
    tdt = layer_data(page["index.html"])
    assert osm["parks"] == tdt["parks"]  # CGCS2000 ≈ WGS84: no shift


def test_cli_tianditu_without_key_is_one_line_and_writes_nothing(tiny_geodata, tmp_path,
                                                                 monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    before = snapshot(tiny_geodata)
    res = CliRunner().invoke(main, ["map", "--geodata", str(tiny_geodata), "-o",
                                    str(tmp_path / "maps"), "--basemap", "tianditu"])
    assert res.exit_code == 1
    assert res.stderr.strip().count("\n") == 0 and "TIANDITU_KEY" in res.stderr
    assert "Traceback" not in res.output
    assert not (tmp_path / "maps").exists()
    assert snapshot(tiny_geodata) == before


@pytest.mark.slow
def test_cli_map_writes_pages_and_reports_progress(tiny_geodata, tmp_path):
    out = tmp_path / "maps"
    res = CliRunner().invoke(main, ["map", "--geodata", str(tiny_geodata), "-o", str(out),
                                    "--basemap", "none", "--as-of", "2025-06-01",
                                    "--park", "beta"])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    assert "wrote" in res.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html")) == [
        "index.html", "parks/beta.html"]
    city = layer_data((out / "index.html").read_text(encoding="utf-8"))
    assert [f["properties"]["id"] for f in city["parks"]["features"]] == ["beta"]
    res = CliRunner().invoke(main, ["map", "--geodata", str(tiny_geodata), "-o", str(out),
                                    "--park", "nope", "-q"])
    assert res.exit_code == 1 and "unknown park 'nope'" in res.stderr


# --------------------------------------------------------------------------- safety


@pytest.mark.slow
def test_everything_from_the_data_is_escaped(tiny_geodata):
    rename_park(tiny_geodata, "alpha", name_zh=XSS, name_en=SCRIPT_BREAK)
    plots = layers.read_layer(tiny_geodata / "plots.geojson", layers.PLOTS)
    plots.loc[plots["plot_id"] == "A1", "project"] = XSS
    plots.loc[plots["plot_id"] == "A1", "enterprise"] = SCRIPT_BREAK
    layers.write_layer(plots, tiny_geodata / "plots.geojson", layers.PLOTS)
    pages = build_pages(tiny_geodata)
    for name, page in pages.items():
        assert XSS not in page, name
        assert "<img src=x" not in page, name
        assert SCRIPT_BREAK not in page and "</script><script>alert" not in page, name
    city, alpha = pages["index.html"], pages["parks/alpha.html"]
    data = layer_data(city)
    park = next(f for f in data["parks"]["features"] if f["properties"]["id"] == "alpha")
    assert "&lt;img src=x onerror=alert(1)&gt;" in park["properties"]["tip"]
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in park["properties"]["popup"]
    idle = next(f for f in data["idle_plots"]["features"] if f["properties"]["id"] == "A1")
    assert "&lt;img src=x onerror=alert(1)&gt;" in idle["properties"]["popup"]
    assert "<title>\u2068&lt;img src=x onerror=alert(1)&gt;" in alpha  # the page title, isolated


def test_park_ids_unusable_as_file_names_are_refused(tiny_geodata):
    assert maps.park_filename("guangfo") == "guangfo.html"
    assert maps.park_filename("高新区") == "高新区.html"
    assert maps.park_href("高新区") == "parks/%E9%AB%98%E6%96%B0%E5%8C%BA.html"
    for bad in ("../evil", "a/b", ".hidden", 'x"onmouseover="alert(1)', "a b"):
        with pytest.raises(maps.MapError, match="cannot name a map file"):
            maps.park_filename(bad)


# --------------------------------------------------------------------------- assets and size


@pytest.mark.slow
def test_self_contained_pages_link_nothing(tiny_geodata):
    cdn = build_pages(tiny_geodata)["index.html"]
    assert any("leaflet" in u for u in assets.external_references(cdn))
    assert "bootstrap" not in cdn and "fontawesome" not in cdn  # unused, not linked
    for name, page in build_pages(tiny_geodata, self_contained=True).items():
        assert assets.external_references(page) == [], name
        assert not re.search(r"<script[^>]+src=|<link[^>]+stylesheet", page), name
        assert "Leaflet 1.9.3 from XStatic-Leaflet" in page
        assert "jQuery 3.7.1 from XStatic-jQuery" in page
        assert "Control.FullScreen" in page and "leaflet-measure" in page
        assert "sourceMappingURL" not in page


@pytest.mark.slow
def test_self_contained_keeps_tile_urls_and_attribution(tiny_geodata):
    page = build_pages(tiny_geodata, "osm", self_contained=True)["index.html"]
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page
    assert assets.external_references(page) == []


def test_unknown_asset_is_an_error():
    with pytest.raises(assets.AssetError, match="no installed package provides"):
        assets.resolve("https://cdn.example.org/not-a-folium-asset.js")
    with pytest.raises(assets.AssetError, match="no installed package provides"):
        assets.inline_assets('<script src="https://cdn.example.org/x.js"></script>')


def test_css_images_become_data_uris_or_none(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    css = ".a{background:url(img/a.png)} .b{background:url('img/missing.png') no-repeat} " \
          ".c{background:url(data:image/png;base64,AAAA)} .d{behavior:url(#default#VML)}"
    out = assets._inline_css_urls(css, tmp_path)
    assert 'url("data:image/png;base64,' in out
    assert ".b{background:none no-repeat}" in out
    assert "url(data:image/png;base64,AAAA)" in out and "url(#default#VML)" in out
    assert assets._inline_css_urls(".x{background:url(../../etc/passwd)}", tmp_path) == \
        ".x{background:none}"


@pytest.mark.slow
def test_coordinates_are_rounded_to_6_decimals(tiny_geodata):
    data = layer_data(build_pages(tiny_geodata, "gaode")["index.html"])
    text = json.dumps([fc["features"][0]["geometry"] for fc in data.values()])
    assert not re.search(r"\d\.\d{7,}", text)


@pytest.mark.slow
@pytest.mark.skipif(not (BUNDLED / "plots.geojson").exists(), reason="bundled data not there")
def test_bundled_city_map_is_under_2_mb(bundled_geodata):
    pages = build_pages(bundled_geodata, "osm", self_contained=True)
    size = len(pages["index.html"].encode("utf-8"))
    assert size < 2_000_000, size
    data = layer_data(pages["index.html"])
    assert len(data["districts"]["features"]) == 8
    # The planting label shows the paper's combined 48,200 mu beside the mapped acreage.
    labels = " ".join(f["properties"]["label"] for f in data["planting_labels"]["features"])
    assert "48,200" in labels and "图测 mapped" in labels


@pytest.mark.slow
def test_cli_pages_are_offline_by_default_and_cdn_on_request(tiny_geodata, tmp_path):
    """Issue #15: pages that load Leaflet from a CDN are blank on an intranet."""
    for extra, offline in (((), True), (("--cdn",), False)):
        out = tmp_path / ("cdn" if extra else "offline")
        res = CliRunner().invoke(main, ["map", "--geodata", str(tiny_geodata), "-o", str(out),
                                        "--basemap", "none", "-q", *extra])
        assert res.exit_code == 0, res.output
        for page in out.rglob("*.html"):
            refs = assets.external_references(page.read_text(encoding="utf-8"))
            assert (refs == []) is offline, (page, refs[:3])


def test_the_same_data_gives_the_same_pages(tiny_geodata):
    # folium names its elements by random uuids: every build differed in every page.
    first = build_pages(tiny_geodata, "osm")
    second = build_pages(tiny_geodata, "osm")
    assert first == second
    assert "map_00000000000000000000000000000000" in first["index.html"]


def test_a_page_shown_twice_keeps_one_layer_control(tiny_geodata):
    # A notebook shows the map, then saves it: numbering its elements again at the second
    # render renamed them, and the page gained a second layer control and plot canvas.
    from qygeo.render.maps import city_map

    ds = load_dataset(tiny_geodata)
    m = city_map(ds, build_report(ds, as_of=AS_OF), basemap=get_basemap("none", env={}))
    first = m.get_root().render()
    again = m.get_root().render()
    assert first.count("L.control.layers(") == again.count("L.control.layers(") == 1


def test_each_name_is_isolated_so_a_bidi_override_reorders_only_itself(tiny_geodata):
    rename_park(tiny_geodata, "alpha", name_zh="甲园\u202e", name_en="Alpha")
    city = build_pages(tiny_geodata)["index.html"]
    tips = [f["properties"]["tip"] for f in layer_data(city)["parks"]["features"]]
    alpha = next(t for t in tips if "Alpha" in t)
    assert "<bdi>甲园\u202e</bdi> / <bdi>Alpha</bdi>" in alpha


def test_plot_ids_and_projects_are_isolated_in_tooltips_and_popups(tiny_geodata):
    # A U+202E at the end of a plot id reversed the project name after it in the tooltip.
    set_plot_values(tiny_geodata, "A1", plot_id="A1\u202e")
    pages = build_pages(tiny_geodata)
    idle = next(f["properties"] for f in layer_data(pages["index.html"])["idle_plots"]
                ["features"] if f["properties"]["id"] == "A1\u202e")
    assert "<bdi>A1\u202e</bdi></b> <bdi>p1</bdi><br><bdi>e1</bdi>" in idle["tip"]
    assert "<b>地块 Plot <bdi>A1\u202e</bdi></b>" in idle["popup"]
    [blob] = canvas_decode.from_page(pages["parks/alpha.html"])
    assert "<bdi>{id}</bdi></b> <bdi>{project}</bdi><br><bdi>{enterprise}</bdi>" in blob["tip"]
    assert "<bdi>{id}</bdi>" in blob["title"] and "<bdi>{id}</bdi>" in blob["label"]


def test_a_combined_planting_figure_is_compared_with_the_combined_mapped_acreage(
        tiny_geodata):
    # The popup gave "Mapped − reported" beside this area's mapped mu and the combined
    # reported figure, without the combined mapped total it is computed from.
    planting = gpd.GeoDataFrame(
        {"planting_id": ["herbs_a", "herbs_b"], "name_zh": ["甲种植区", "乙种植区"],
         "name_en": ["Herb area A", "Herb area B"], "district_adcode": ["441802"] * 2,
         "source": ["test"] * 2, "boundary_quality": ["approximate"] * 2},
        geometry=[box(113.05, 23.55, 113.08, 23.58), box(113.10, 23.55, 113.12, 23.57)],
        crs="EPSG:4326")
    layers.write_layer(planting, tiny_geodata / "planting.geojson", layers.PLANTING)
    (tiny_geodata / "attributes" / "planting_figures.csv").write_text(
        "figure_id,planting_ids,reported_mu,year,source,note\n"
        "both_2024,herbs_a;herbs_b,12345,2024,test §1,\n", encoding="utf-8")
    ds = load_dataset(tiny_geodata)
    rep = build_report(ds, as_of=AS_OF)
    [figure] = rep.planting.to_dict("records")
    city = maps.render_maps(ds, rep, get_basemap("none"))["index.html"]
    popup = next(f["properties"]["popup"] for f in layer_data(city)["planting"]["features"]
                 if f["properties"]["id"] == "herbs_a")
    combined = f"{figure['mapped_mu']:,.0f}"
    assert f"<th>图测合计 Mapped, combined</th><td>{combined} 亩 mu (与 with 乙种植区)" in popup
    assert "<th>图测合计−文献 Mapped, combined − reported</th>" in popup


def test_both_legends_say_the_measure_tool_is_spherical(tiny_geodata):
    # leaflet-measure's areas are on a sphere: 45.1 亩 where the popup says 45.00.
    pages = build_pages(tiny_geodata)
    for name in ("index.html", "parks/alpha.html"):
        assert "measure tool: spherical" in pages[name], name


def set_plot_values(root: Path, which: str, **values: object) -> None:
    """Set *values* of the plot whose id is *which* in the data folder *root*."""
    plots = layers.read_layer(root / "plots.geojson", layers.PLOTS)
    row = plots["plot_id"] == which
    for key, value in values.items():
        if key not in plots.columns:
            plots[key] = None
        plots.loc[row, key] = value
    layers.write_layer(plots, root / "plots.geojson", layers.PLOTS)


def test_illustrative_plots_and_the_figures_on_them_are_flagged(tiny_geodata):
    # An invented plot's idle verdict, fee and colour were shown as fact.
    set_plot_values(tiny_geodata, "A1", boundary_quality="illustrative")
    pages = build_pages(tiny_geodata)
    mark = labels.illustrative_mark(True)
    city = pages["index.html"]
    data = layer_data(city)
    idle = {f["properties"]["id"]: f["properties"] for f in data["idle_plots"]["features"]}
    assert mark in idle["A1"]["tip"] and mark in idle["A1"]["popup"]
    assert all(labels.ILLUSTRATIVE_PLOT not in p["tip"] + p["popup"]
               for pid, p in idle.items() if pid != "A1")
    parks = {f["properties"]["id"]: f["properties"] for f in data["parks"]["features"]}
    for text in (parks["alpha"]["tip"], parks["alpha"]["popup"]):
        assert "1 / 2 示意地块" in text
    assert "示意地块" not in parks["beta"]["tip"] + parks["beta"]["popup"]
    assert f"{labels.ILLUSTRATIVE_PLOT}: 1 / 4 idle plots shown" in control_html(
        city, "qygeo-legend")
    alpha = pages["parks/alpha.html"]
    [blob] = canvas_decode.from_page(alpha)
    rows = {r["id"]: r for r in canvas_decode.decode_blob(blob)}
    assert rows["A1"]["ill"] == mark and rows["A2"]["ill"] == ""
    assert "{ill}" in blob["tip"] and "{ill}" in blob["title"]
    assert "1 / 2 示意地块" in control_html(alpha, "qygeo-panel")
    assert f"{labels.ILLUSTRATIVE_PLOT}: 1 / 2 plots shown" in control_html(alpha,
                                                                          "qygeo-legend")
    assert js(labels.ILLUSTRATIVE_PLOT) not in pages["parks/beta.html"]


def test_plots_left_out_are_named_on_every_map(tiny_geodata, tmp_path):
    # An idle plot left out with --skip-invalid-plots vanished from the maps without a word.
    set_plot_values(tiny_geodata, "A1", invested_yuan=-5.0)
    out = tmp_path / "maps"
    res = CliRunner().invoke(main, ["map", "--geodata", str(tiny_geodata), "-o", str(out),
                                    "--basemap", "none", "--as-of", "2025-06-01", "-q",
                                    "--skip-invalid-plots"])
    assert res.exit_code == 0, res.output
    for page in ("index.html", "parks/alpha.html", "parks/beta.html"):
        legend = control_html((out / page).read_text(encoding="utf-8"), "qygeo-legend")
        assert "1 个地块因数据无效未绘出" in legend, page
        assert "<bdi>A1</bdi>. Not on these maps" in legend, page
        assert "listed with their problems in the report's warnings" in legend, page
    city = layer_data((out / "index.html").read_text(encoding="utf-8"))
    assert "A1" not in {f["properties"]["id"] for f in city["idle_plots"]["features"]}
    # beta's page named alpha's plot A1 among the plots "not on these maps", as if beta's:
    # a park page says its list is of all parks (a refused row's park is not known).
    scope = "left out (--skip-invalid-plots) (全部园区 of all parks, not only this one): "
    for page in ("parks/alpha.html", "parks/beta.html"):
        legend = control_html((out / page).read_text(encoding="utf-8"), "qygeo-legend")
        assert scope + "<bdi>A1</bdi>" in legend, page
    legend = control_html((out / "index.html").read_text(encoding="utf-8"), "qygeo-legend")
    assert "left out (--skip-invalid-plots): <bdi>A1</bdi>" in legend



def test_city_map_tells_a_park_coloured_by_its_plots_investment_apart(tiny_geodata):
    """alpha is coloured by signed investment ÷ area, beta by its plots' invested_yuan ÷
    area, on one colour scale: the outline, the tooltip and the legend now say which."""
    page = build_pages(tiny_geodata)["index.html"]
    parks = {f["properties"]["id"]: f["properties"]
             for f in layer_data(page)["parks"]["features"]}
    assert "dashArray" not in parks["alpha"]["style"]
    assert parks["beta"]["style"]["dashArray"] == maps.PLOTS_BASIS_DASH
    assert "签约投资 ÷ 园区毛面积 Signed investment (park_stats)" in parks["alpha"]["tip"]
    assert ("地块已投资 ÷ 园区毛面积 Investment made on the plots (invested_yuan)"
            in parks["beta"]["tip"])
    legend = control_html(page, "qygeo-legend")
    assert "Dashed outline. Investment made on the plots (invested_yuan)" in legend
