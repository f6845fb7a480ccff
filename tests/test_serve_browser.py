"""``qygeo serve`` end to end: a real server on a free loopback port, headless chromium.

Any request the pages make beyond the server is aborted and recorded (the app
must work offline). Also: two clients editing at once, and a bounded load test.
"""

from __future__ import annotations

import importlib.util
import json
import threading

import httpx
import pytest
import shapely
import shapely.geometry

from conftest import REPO, write_tiny
from qygeo.pipeline import parks as park_lib
from qygeo.serve import ServeConfig, create_app
from qygeo.serve.threaded import running
from test_browser import browser  # noqa: F401 - the shared chromium fixture
from test_maps import XSS
from test_parks import truth_polygon, write_boundary

EDIT = {"X-Qygeo-Client": "test"}


@pytest.fixture()
def server(tmp_path):
    root = write_tiny(tmp_path / "geodata")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    app = create_app(ServeConfig(root=root, basemap="none", tmp_dir=uploads))
    with running(app) as url:
        yield url, root
    assert list(uploads.iterdir()) == []


@pytest.fixture()
def page(browser, server):  # noqa: F811 - pytest fixture injection
    url, _ = server
    pg = browser.new_page(viewport={"width": 1400, "height": 900})
    outside: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith((url, "data:", "blob:", "about:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("dialog", lambda d: (errors.append(d.message), d.dismiss()))
    pg.qygeo_errors = errors  # a test expecting a refusal takes its console line out
    pg.goto(url + "/")
    pg.wait_for_function("() => window.qygeoApp && window.qygeoApp.ready")
    yield pg
    assert outside == [] and errors == [], (outside, errors)
    pg.close()


def fill_new_park(page, file, park_id="gamma"):
    """Open the edit tab and fill the form for a new park from *file*, then preview it."""
    page.click("button[data-tab=edit]")
    page.set_input_files("#edit-file", str(file))
    page.fill("#edit-id", park_id)
    page.fill("#edit-name-zh", "丙园")
    page.fill("#edit-name-en", "Gamma Park")
    page.click("#edit-preview")


def test_add_a_park_with_a_preview_then_undo(page, server, tmp_path):
    url, root = server
    before = (root / "parks.geojson").read_bytes()
    file = write_boundary(tmp_path / "survey.geojson", truth_polygon())
    page.click("button[data-tab=edit]")
    page.set_input_files("#edit-file", str(file))
    page.fill("#edit-id", "gamma")
    page.fill("#edit-name-zh", XSS)
    page.fill("#edit-name-en", "Gamma Park")
    page.click("#edit-preview")
    page.wait_for_function(
        "() => qygeoApp.preview && qygeoApp.layers.preview.getLayers().length === 1")
    result = page.inner_text("#edit-result")
    assert "km²" in result and "亩" in result and "441802" in result
    assert "parks      3 → 4" in result
    assert (root / "parks.geojson").read_bytes() == before  # the preview wrote nothing
    # The preview is drawn over the existing parks and districts.
    assert page.evaluate("() => qygeoApp.layers.parks.getLayers().length") == 3
    assert page.evaluate("() => qygeoApp.layers.districts.getLayers().length") == 2
    assert page.locator("#edit-map path.leaflet-interactive").count() == 2 + 3 + 1
    # Drawn as if GCJ-02: a second outline about 600 m away.
    page.check("#edit-gcj")
    assert page.evaluate("() => qygeoApp.map.hasLayer(qygeoApp.layers.gcj)") is True
    shift = float(page.inner_text("#edit-shift").split()[0].replace(",", ""))
    assert 400 < shift < 800
    page.uncheck("#edit-gcj")
    page.click("#edit-confirm")
    page.wait_for_function("() => document.querySelector('#park-list tr[data-park-id=gamma]')")
    assert page.locator("#edit-result img").count() == 0  # the name stayed text
    row = page.inner_text("#park-list tr[data-park-id=gamma]")
    assert XSS in row and "Gamma Park" in row
    assert page.evaluate("() => qygeoApp.layers.parks.getLayers().length") == 4
    # The city map (iframe) shows it, and so does the report.
    frame = page.frame_locator("#map-frame")
    page.click("button[data-tab=map]")
    page.wait_for_function(
        "() => { const w = document.getElementById('map-frame').contentWindow;"
        " return w.qygeo && w.qygeo.layers && w.qygeo.layers.parks.getLayers().length === 4; }")
    assert frame.locator("img[src=x]").count() == 0
    page.click("button[data-tab=report]")
    page.click("#report-form button[type=submit]")
    page.wait_for_function("() => { const d = document.getElementById('report-frame')"
                           ".contentDocument; return d && d.body && d.body.innerText"
                           ".includes('Gamma Park'); }")
    with httpx.Client(base_url=url) as c:
        rows = c.get("/api/report", params={"format": "json"}).json()
    rows = rows["parks"] if isinstance(rows, dict) else rows
    assert "gamma" in {r["park_id"] for r in rows}
    # History lists the add; undo takes it back.
    page.click("button[data-tab=history]")
    assert "add gamma" in page.inner_text("#history-list")
    page.click("#undo")
    page.wait_for_function("() => !document.querySelector('#park-list tr[data-park-id=gamma]')")
    assert "undo add gamma" in page.inner_text("#history-result")
    assert (root / "parks.geojson").read_bytes() == before


def test_the_page_lists_parks_whose_file_holds_nan(page, server):
    from test_serve import _with_nan

    url, root = server
    _with_nan(root)
    page.reload()
    page.wait_for_function("() => window.qygeoApp && window.qygeoApp.ready")
    assert page.locator("#park-list tr[data-park-id=alpha]").count() == 1
    # An answer that is not JSON, even with status 200, is said on the page.
    page.route("**/api/parks", lambda r: r.fulfill(status=200, body='{"a": NaN}',
                                                   content_type="application/geo+json"))
    page.reload()
    page.wait_for_selector("body > div.error")
    assert "not JSON" in page.inner_text("body > div.error")


def test_a_refused_boundary_shows_its_reasons_and_cannot_be_confirmed(page, server, tmp_path):
    url, root = server
    from shapely.geometry import box

    file = write_boundary(tmp_path / "over.geojson", box(113.04, 23.64, 113.06, 23.66))
    fill_new_park(page, file)
    page.wait_for_selector("#edit-result .error")
    assert "overlaps park alpha" in page.inner_text("#edit-result")
    assert page.is_disabled("#edit-confirm")
    assert page.evaluate("() => qygeoApp.layers.preview.getLayers().length") == 1


def test_refusals_name_the_page_controls_and_force_is_one_of_them(page, server, tmp_path):
    """The library's messages name command-line options and commands; the page shows its
    controls' names instead, and has the Force control its refusals point to."""
    from shapely.geometry import box

    url, root = server
    fill_new_park(page, write_boundary(tmp_path / "again.geojson", truth_polygon()), "alpha")
    page.wait_for_selector("#edit-result .error")
    result = page.inner_text("#edit-result")
    assert "already exists" in result and "qygeo park update" not in result
    assert "“更新边界 Replace the boundary of” alpha" in result
    file = write_boundary(tmp_path / "over.geojson", box(113.04, 23.64, 113.06, 23.66))
    fill_new_park(page, file)
    page.wait_for_selector("#edit-result .error")
    result = page.inner_text("#edit-result")
    assert "“允许重叠 Allow overlap”" in result and "--allow-overlap" not in result
    # Alpha three times its size: refused without Force, written with it.
    bigger = write_boundary(tmp_path / "bigger.geojson", box(113.00, 23.60, 113.09, 23.65))
    page.check("input[name=mode][value=update]")
    page.set_input_files("#edit-file", str(bigger))
    page.fill("#edit-id", "alpha")
    page.evaluate("() => { qygeoApp.preview = null; }")  # wait for this preview's answer
    page.click("#edit-preview")
    page.wait_for_function("() => qygeoApp.preview && !qygeoApp.preview.ok")
    result = page.inner_text("#edit-result")
    assert "“强制 Force”" in result and "--force" not in result
    assert page.is_disabled("#edit-confirm")
    page.check("#edit-force")
    page.click("#edit-preview")
    page.wait_for_function("() => qygeoApp.preview && qygeoApp.preview.ok")
    page.click("#edit-confirm")
    page.wait_for_function("() => document.getElementById('edit-result').innerText"
                           ".includes('Written')")
    alpha = next(f for f in json.loads((root / "parks.geojson").read_text(encoding="utf-8"))
                 ["features"] if f["properties"]["park_id"] == "alpha")
    assert max(x for x, _ in alpha["geometry"]["coordinates"][0]) == pytest.approx(113.09)


def test_two_clients_editing_at_once(server, tmp_path):
    url, root = server
    files = {pid: write_boundary(tmp_path / f"{pid}.geojson", truth_polygon(cx=cx, r_m=600))
             for pid, cx in (("east", 113.15), ("west", 113.10))}
    out: dict[str, int] = {}
    barrier = threading.Barrier(3)

    def add(pid: str, key: str) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            barrier.wait()
            r = c.post("/api/parks", headers=EDIT,
                       files={"file": (f"{pid}.geojson", files[pid].read_bytes())},
                       data={"park_id": pid, "name_zh": f"{pid}园", "name_en": f"{pid} Park"})
            out[key] = r.status_code
            if r.status_code != 201:
                out[key + " error"] = r.json()["error"]

    threads = [threading.Thread(target=add, args=a)
               for a in (("east", "east"), ("west", "west"), ("east", "east again"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out["east"] in (201, 409) and out["east again"] in (201, 409)
    assert sorted([out["east"], out["east again"]]) == [201, 409]  # one told, clearly
    assert out["west"] == 201
    assert "already exists" in (out.get("east error") or out["east again error"])
    assert set(park_lib.load_state(root).ids()) == {"alpha", "beta", "beta_child", "east", "west"}
    assert len(park_lib.history(root)) == 2
    meta = [json.loads(p.with_suffix(".json").read_text()) for p in park_lib.history(root)]
    assert sorted(m["park_id"] for m in meta) == ["east", "west"]


def test_report_requests_under_load(server):
    url, _ = server
    spec = importlib.util.spec_from_file_location("serve_load", REPO / "bench" / "serve_load.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    queries = [{"format": f, "as_of": "2025-06-01"} for f in ("json", "csv", "markdown")]
    res = mod.run_load(url, requests=80, concurrency=8, queries=queries)
    assert res["errors"] == 0 and res["requests"] == 80
    assert 0 < res["median_ms"] <= res["p95_ms"] <= res["max_ms"]


def test_confirm_writes_only_what_was_previewed_and_undo_undoes_once(page, server, tmp_path):
    url, root = server
    file = write_boundary(tmp_path / "survey.geojson", truth_polygon())
    fill_new_park(page, file)
    # Shown, the edit map shows Qingyuan's districts, not the whole world.
    assert page.evaluate("() => qygeoApp.map.getZoom()") >= 7
    page.wait_for_function("() => qygeoApp.preview && qygeoApp.preview.ok")
    assert page.is_enabled("#edit-confirm")
    # Another id (or CRS) after the preview: Confirm waits for a new preview.
    page.fill("#edit-id", "delta")
    assert not page.is_enabled("#edit-confirm")
    page.click("#edit-preview")
    page.wait_for_function("() => !document.getElementById('edit-confirm').disabled")
    page.click("#edit-confirm")
    page.wait_for_function("() => document.querySelector('#park-list tr[data-park-id=delta]')")
    assert page.locator("#park-list tr[data-park-id=gamma]").count() == 0
    # The city map, reloaded while its tab was hidden, draws when shown.
    page.click("button[data-tab=map]")
    page.wait_for_function(
        "() => { const w = document.getElementById('map-frame').contentWindow;"
        " return w.qygeo && w.qygeo.layers && w.qygeo.layers.parks.getLayers().length === 4; }")
    # A double click on Undo undoes the last change only.
    with httpx.Client(base_url=url) as c:
        c.post("/api/parks", files={"file": ("b.geojson", file.read_bytes())},
               data={"park_id": "epsilon", "name_zh": "戊园", "name_en": "Epsilon",
                     "allow_overlap": "true"}, headers=EDIT).raise_for_status()
    page.click("button[data-tab=history]")  # lists again: epsilon's add on top
    page.wait_for_function("() => document.getElementById('history-list').innerText"
                           ".includes('add epsilon')")
    page.dblclick("#undo")  # the server undoes its latest change: epsilon's
    page.wait_for_function("() => document.getElementById('history-result').innerText")
    page.wait_for_timeout(500)
    ids = {f["properties"]["park_id"] for f in
           json.loads((root / "parks.geojson").read_text(encoding="utf-8"))["features"]}
    assert "delta" in ids and "epsilon" not in ids


def test_an_update_that_writes_nothing_is_not_called_written(page, server, tmp_path):
    url, root = server
    file = write_boundary(tmp_path / "survey.geojson", truth_polygon())
    fill_new_park(page, file)
    page.wait_for_function("() => qygeoApp.preview && qygeoApp.preview.ok")
    page.click("#edit-confirm")
    page.wait_for_function("() => document.querySelector('#park-list tr[data-park-id=gamma]')")
    added = (root / "parks.geojson").read_bytes()
    page.check("input[name=mode][value=update]")  # the same file again
    page.click("#edit-preview")
    page.wait_for_function("() => qygeoApp.preview && qygeoApp.preview.ok")
    page.click("#edit-confirm")
    page.wait_for_function("() => /Written|nothing written/.test("
                           "document.getElementById('edit-result').innerText)")
    result = page.inner_text("#edit-result")
    assert "Unchanged: nothing written" in result and "Written" not in result
    assert (root / "parks.geojson").read_bytes() == added


def test_a_stale_tab_is_told_and_overwrites_or_undoes_nothing(page, server, tmp_path):
    # This tab previews an update of alpha; another tab (here httpx) updates it first:
    # Confirm is refused (409) and the other tab's boundary stays. Then this tab's History,
    # listed before the other tab adds a park, does not undo that add unseen.
    from shapely.geometry import box

    url, root = server
    mine = write_boundary(tmp_path / "mine.geojson", box(113.0, 23.6, 113.062, 23.66))
    theirs = write_boundary(tmp_path / "theirs.geojson", box(113.0, 23.6, 113.058, 23.66))
    page.click("button[data-tab=edit]")
    page.check("input[name=mode][value=update]")
    page.set_input_files("#edit-file", str(mine))
    page.fill("#edit-id", "alpha")
    page.click("#edit-preview")
    page.wait_for_function("() => qygeoApp.preview && qygeoApp.preview.ok")
    with httpx.Client(base_url=url, headers=EDIT) as c:
        c.put("/api/parks/alpha", files={"file": ("theirs.geojson", theirs.read_bytes())}
              ).raise_for_status()
    after_theirs = (root / "parks.geojson").read_bytes()
    page.click("#edit-confirm")
    page.wait_for_selector("#edit-result .error")
    told = page.inner_text("#edit-result .error")
    assert "changed since this preview" in told and "“预览 Preview”" in told
    # The stale preview is gone, as the message asks for a new one.
    assert "can be written" not in page.inner_text("#edit-result")
    assert page.evaluate("() => qygeoApp.layers.preview.getLayers().length") == 0
    assert (root / "parks.geojson").read_bytes() == after_theirs
    page.qygeo_errors.remove("Failed to load resource: the server responded with a status "
                             "of 409 (Conflict)")
    page.click("button[data-tab=history]")
    page.wait_for_function("() => document.getElementById('history-list').innerText"
                           ".includes('update alpha')")
    with httpx.Client(base_url=url, headers=EDIT) as c:
        c.post("/api/parks", files={"file": ("e.geojson", write_boundary(
            tmp_path / "e.geojson", truth_polygon(cx=113.15, r_m=600)).read_bytes())},
            data={"park_id": "east", "name_zh": "东园", "name_en": "East"}).raise_for_status()
    page.click("#undo")
    page.wait_for_selector("#history-result .error")
    assert "listed its history" in page.inner_text("#history-result")
    assert "east" in park_lib.load_state(root).ids()
    page.qygeo_errors.remove("Failed to load resource: the server responded with a status "
                             "of 409 (Conflict)")
    # Listed again after the refusal: the add is on top, and Undo undoes it.
    page.wait_for_function("() => document.getElementById('history-list').innerText"
                           ".includes('add east') && !document.getElementById('undo').disabled")
    page.click("#undo")
    page.wait_for_function("() => document.getElementById('history-result').innerText"
                           ".includes('undo add east')")
    assert "east" not in park_lib.load_state(root).ids()
    assert (root / "parks.geojson").read_bytes() == after_theirs


def test_history_shows_its_notes_and_a_refused_undo_can_be_forced_there(page, server):
    # The refusal said "pass --force" (shown as the edit tab's “强制 Force”) but Undo never
    # sent force; and GET /api/history's notes (a killed command's change rolled back)
    # were never shown.
    from test_serve import _killed_remove

    url, root = server
    with httpx.Client(base_url=url, headers=EDIT) as c:
        _killed_remove(c, root)
    page.reload()
    page.wait_for_function("() => window.qygeoApp && window.qygeoApp.ready")
    page.click("button[data-tab=history]")  # the tab reloads its list: wait for it
    page.wait_for_function("() => document.getElementById('history-notes').innerText"
                           ".includes('rolled back the interrupted commit of remove beta_child')")
    parks = root / "parks.geojson"  # changed by something else since the add
    parks.write_text(parks.read_text(encoding="utf-8").replace("丙园", "丙园二"),
                     encoding="utf-8")
    page.click("#undo")
    page.wait_for_selector("#history-result .error")
    refused = page.inner_text("#history-result")
    assert "“强制撤销 Force undo”" in refused and "--force" not in refused
    assert "tick “强制撤销 Force undo”" in refused  # a box on the page, not an option passed
    page.qygeo_errors.remove("Failed to load resource: the server responded with a status "
                             "of 409 (Conflict)")
    page.check("#undo-force")
    page.click("#undo")
    page.wait_for_function("() => document.getElementById('history-result').innerText"
                           ".includes('undo add gamma')")
    assert "gamma" not in parks.read_text(encoding="utf-8")
    assert not page.is_checked("#undo-force")


@pytest.mark.parametrize(("link", "name"), [("#dl-json", "qygeo-report.json"),
                                            ("#dl-markdown", "qygeo-report.md")])
def test_every_download_link_downloads(page, link, name):
    # JSON and Markdown opened in the app's own tab, leaving the app.
    page.click("button[data-tab=report]")
    with page.expect_download() as got:
        page.click(link)
    assert got.value.suggested_filename == name
    assert page.evaluate("() => !!window.qygeoApp")


def test_the_preview_fits_a_phone_screen(browser, server, tmp_path):  # noqa: F811
    url, _ = server
    pg = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        pg.goto(url + "/")
        pg.wait_for_function("() => window.qygeoApp && window.qygeoApp.ready")
        fill_new_park(pg, write_boundary(tmp_path / "survey.geojson", truth_polygon()))
        pg.wait_for_function("() => qygeoApp.preview && qygeoApp.preview.ok")
        for selector in ("#edit-map", "#edit-result", "#edit-confirm"):
            box = pg.locator(selector).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, (selector, box)
        wide = pg.evaluate(
            "() => [...document.querySelectorAll('body *')].filter(e => e.offsetParent !== null"
            " && !e.closest('.leaflet-container')"
            " && e.getBoundingClientRect().right > 391).map(e => e.tagName + '#' + e.id)")
        assert wide == []
    finally:
        pg.close()


def test_the_feature_list_picks_a_feature_whose_neighbour_is_named_by_its_number(
        page, server, tmp_path):
    # Parcels named "2", "3", "4": the list sent "2" for its second entry ("#2 3"), which
    # the reader refuses as ambiguous (feature #2, or #1 named "2"): #2 could not be taken.
    url, root = server
    parcels = [truth_polygon(113.12 + 0.02 * i, 23.70, 400) for i in range(3)]
    file = tmp_path / "parcels.geojson"
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": str(i + 2)},
         "geometry": json.loads(shapely.to_geojson(g))} for i, g in enumerate(parcels)]}),
        encoding="utf-8")
    fill_new_park(page, file)
    page.wait_for_function("() => qygeoApp.preview && "
                           "document.querySelectorAll('#edit-feature option').length === 4")
    page.evaluate("() => { qygeoApp.preview = null; }")  # wait for the next preview's answer
    page.select_option("#edit-feature", label="#2 3")
    page.click("#edit-preview")
    page.wait_for_function("() => qygeoApp.preview")
    assert page.evaluate("() => qygeoApp.preview.errors") == []
    assert "took feature #2 of 3 (name=3)" in page.inner_text("#edit-result")
    page.click("#edit-confirm")
    page.wait_for_function("() => document.querySelector('#park-list tr[data-park-id=gamma]')")
    gamma = park_lib.load_state(root).row("gamma")
    assert shapely.geometry.shape(gamma["geometry"]).equals_exact(parcels[1], 1e-6)


def test_another_layer_empties_the_feature_list(page, server, tmp_path):
    # Choosing another layer kept the previous layer's features in the list: a feature
    # picked there was then sent for this layer (a wrong parcel or a refusal).
    import geopandas as gpd
    from shapely.geometry import box

    file = tmp_path / "two.gpkg"
    for layer, y, n in (("alpha", 23.80, 3), ("beta", 23.90, 2)):
        gpd.GeoDataFrame({"name": [f"{layer}{i}" for i in range(n)]}, crs=4326, geometry=[
            box(113.30 + 0.02 * i, y, 113.31 + 0.02 * i, y + 0.01) for i in range(n)]
        ).to_file(file, layer=layer, driver="GPKG")
    fill_new_park(page, file)
    page.wait_for_function("() => document.querySelectorAll('#edit-layer option').length === 3")
    page.select_option("#edit-layer", "alpha")
    page.evaluate("() => { qygeoApp.preview = null; }")
    page.click("#edit-preview")
    page.wait_for_function("() => document.querySelectorAll('#edit-feature option').length === 4")
    page.select_option("#edit-layer", "beta")
    assert page.eval_on_selector_all("#edit-feature option", "e => e.map(o => o.value)") == [""]
    page.click("#edit-preview")
    page.wait_for_function("() => document.querySelectorAll('#edit-feature option').length === 3")
    labels = page.eval_on_selector_all("#edit-feature option", "e => e.map(o => o.textContent)")
    assert [x for x in labels if "alpha" in x] == [] and "beta1" in labels[-1]


def test_a_history_that_cannot_be_listed_leaves_the_report_and_keeps_undo_off(
        browser, server):  # noqa: F811
    # A corrupt journal stopped the page's start: the download links kept href="#" (XLSX
    # saved the page itself), and Undo stayed enabled, sending parks_sha256=undefined.
    url, root = server
    (root / ".history").mkdir(exist_ok=True)
    (root / ".history" / "journal.json").write_text('{"x":1}\n', encoding="utf-8")
    pg = browser.new_page()
    try:
        pg.goto(url + "/")
        pg.wait_for_function("() => window.qygeoApp && window.qygeoApp.ready")
        assert pg.get_attribute("#dl-xlsx", "href").startswith("/api/report?")
        assert pg.is_disabled("#undo")
        pg.click("button[data-tab=history]")
        pg.wait_for_selector("#history-result .error")
        assert pg.locator("body > .error").count() == 0  # not under the map
        assert pg.is_disabled("#undo")
    finally:
        pg.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_park_name_does_not_widen_the_page(browser, server, tmp_path, width):  # noqa: F811
    # A 400-character name without spaces widened the page at 1280 px (Report 3988 px,
    # History 5573, the edit preview overlapping it 5244) and the preview at 390 px.
    url, root = server
    long_name = "N" * 400
    with httpx.Client(base_url=url, headers=EDIT) as c:
        c.post("/api/parks", files={"file": ("l.geojson", write_boundary(
            tmp_path / "l.geojson", truth_polygon(cx=113.15, r_m=600)).read_bytes())},
            data={"park_id": "longname", "name_zh": "长名", "name_en": long_name}
        ).raise_for_status()
    pg = browser.new_page(viewport={"width": width, "height": 800})
    scroll = "() => document.documentElement.scrollWidth"
    try:
        pg.goto(url + "/")
        pg.wait_for_function("() => window.qygeoApp && window.qygeoApp.ready")
        for tab in ("report", "history"):
            pg.click(f"button[data-tab={tab}]")
            assert long_name in pg.inner_text(f"#tab-{tab}") or tab == "report"
            assert pg.evaluate(scroll) <= width, tab
        fill_new_park(pg, write_boundary(tmp_path / "over.geojson",
                                         truth_polygon(cx=113.15, r_m=700)), "over")
        pg.wait_for_function("() => qygeoApp.preview")
        assert long_name in pg.inner_text("#edit-result")
        assert pg.evaluate(scroll) <= width, "edit preview"
        # A feature named as long: the Feature list stays in its box.
        two = tmp_path / "two.geojson"
        two.write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": n}, "geometry": json.loads(
                shapely.to_geojson(truth_polygon(cx=113.15 + i / 50, r_m=300)))}
            for i, n in enumerate(["W" * 300, "b"])]}), encoding="utf-8")
        pg.set_input_files("#edit-file", str(two))
        pg.evaluate("() => { qygeoApp.preview = null; }")
        pg.click("#edit-preview")
        pg.wait_for_function("() => document.querySelectorAll('#edit-feature option').length > 1")
        assert pg.evaluate(scroll) <= width, "feature list"
    finally:
        pg.close()


def test_the_report_keeps_only_chosen_parks_that_still_exist(page, server, tmp_path):
    # The park list was rebuilt after an edit without the choice and without the links:
    # they kept a park undone since (a download answered 404, with no word).
    url, root = server
    with httpx.Client(base_url=url, headers=EDIT) as c:
        c.post("/api/parks", files={"file": ("e.geojson", write_boundary(
            tmp_path / "e.geojson", truth_polygon(cx=113.15, r_m=600)).read_bytes())},
            data={"park_id": "east", "name_zh": "东园", "name_en": "East"}).raise_for_status()
    page.reload()
    page.wait_for_function("() => window.qygeoApp && window.qygeoApp.ready")
    page.click("button[data-tab=report]")
    page.select_option("#report-parks", ["alpha", "east"])
    page.click("#report-form button[type=submit]")
    page.click("button[data-tab=history]")
    page.wait_for_function("() => !document.getElementById('undo').disabled")
    page.click("#undo")
    page.wait_for_function("() => document.getElementById('history-result').innerText"
                           ".includes('undo add east')")
    page.wait_for_function("() => !document.querySelector('#report-parks option[value=east]')")
    chosen = page.eval_on_selector("#report-parks", "s => [...s.selectedOptions].map(o => o.value)")
    assert chosen == ["alpha"]
    for link in ("#dl-csv", "#report-frame"):
        src = page.get_attribute(link, "href" if link.startswith("#dl") else "src")
        assert "park=alpha" in src and "east" not in src, (link, src)
    with httpx.Client(base_url=url) as c:
        assert c.get(page.get_attribute("#dl-csv", "href")).status_code == 200


def test_the_page_words_name_its_controls_not_command_line_options(page, server, tmp_path):
    # Left from the command line: the CRS row "EPSG:4326 (WGS 84) (--crs)", "pick one with
    # “要素 Feature” NAME|NUMBER", "run “更新边界 …” alpha", "report --park NAME", "pass
    # “强制 Force”", and the Quality tooltip "(as qygeo park add)".
    from shapely.geometry import box

    def result():
        page.wait_for_function("() => qygeoApp.preview || "
                               "document.querySelector('#edit-result .error')")
        text = page.inner_text("#edit-result")
        page.evaluate("() => { qygeoApp.preview = null; }")  # wait for the next answer
        for cli in ("--", "qygeo", "NAME", "NUMBER", "pass "):
            assert cli not in text, (cli, text)
        return text

    assert "qygeo" not in page.get_attribute("label:has(#edit-quality)", "title")
    # Force accepts more than a big change of area or place: the label says what.
    force = page.inner_text("label:has(#edit-force)")
    assert "another park's name" in force and "validation problems" in force
    two = tmp_path / "two.geojson"
    two.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n},
         "geometry": json.loads(shapely.to_geojson(box(113.30 + i / 50, 23.8, 113.31 + i / 50,
                                                       23.81)))}
        for i, n in enumerate(["a", "b"])]}), encoding="utf-8")
    fill_new_park(page, two)
    assert "“要素 Feature”" in result()
    page.select_option("#edit-crs-choice", "wgs84")
    page.select_option("#edit-feature", index=1)
    page.fill("#edit-name-zh", "甲园")  # alpha's name
    page.click("#edit-preview")
    told = result()
    assert "choose “更新边界 Replace the boundary of” for alpha" in told
    assert "tick “强制 Force”" in told
    page.check("#edit-force")
    page.click("#edit-preview")
    told = result()
    assert "accepted with “强制 Force”" in told and "(“坐标系 CRS”)" in told


def test_layer_and_feature_names_are_shown_with_bidi_characters_escaped(page, server, tmp_path):
    # A U+202E in a GeoPackage layer name reached the Layer list raw (reversing the text
    # after it), as one in a feature's name did the Feature list.
    import geopandas as gpd
    from shapely.geometry import box

    file = tmp_path / "bidi.gpkg"
    odd = "evil\u202egpj.exe"
    for layer, y in ((odd, 23.80), ("plain", 23.90)):
        gpd.GeoDataFrame({"name": [f"a{odd}", "b"]}, crs=4326, geometry=[
            box(113.30 + 0.02 * i, y, 113.31 + 0.02 * i, y + 0.01) for i in range(2)]
        ).to_file(file, layer=layer, driver="GPKG")
    fill_new_park(page, file)
    page.wait_for_function("() => document.querySelectorAll('#edit-layer option').length === 3")
    shown = page.eval_on_selector_all("#edit-layer option", "e => e.map(o => o.textContent)")
    assert "evil\\u202egpj.exe" in shown and not any("\u202e" in s for s in shown)
    page.select_option("#edit-layer", odd)  # sent back as it is named in the file
    page.evaluate("() => { qygeoApp.preview = null; }")
    page.click("#edit-preview")
    page.wait_for_function("() => document.querySelectorAll('#edit-feature option').length === 3")
    shown = page.eval_on_selector_all("#edit-feature option", "e => e.map(o => o.textContent)")
    assert "#1 aevil\\u202egpj.exe" in shown and not any("\u202e" in s for s in shown)
    page.select_option("#edit-feature", "#1")
    page.evaluate("() => { qygeoApp.preview = null; }")
    page.click("#edit-preview")
    page.wait_for_function("() => qygeoApp.preview")
    assert page.evaluate("() => qygeoApp.preview.errors") == []
