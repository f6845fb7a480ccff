"""No text from data is ever run as a template when pages are written (issue #12, item 1).

folium/branca compile rendered output as Jinja2 a second time; ``qygeo.render.page``
keeps that text as it is. These tests put template syntax into every free-text field
of every layer, the attribute tables, a ``--plots`` file's name and a surveyor's file
name, and check that nothing is evaluated (markers that only evaluation could produce),
nothing is executed (a canary folder that only ``os.makedirs`` could create), no
``{#`` breaks the build, and the text reaches the page.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from conftest import snapshot, write_tiny
from qygeo.cli import main
from qygeo.io import layers
from test_maps import add_planting, build_pages

#: Free text per layer: everything that is not a join key, a code or a date.
FREE_TEXT = {
    layers.DISTRICTS: ("name_zh", "name_en", "official_area_source", "source", "license"),
    layers.PARKS: ("name_zh", "name_en", "source", "notes", "source_file", "source_sha256"),
    layers.PLANTING: ("name_zh", "name_en", "crops", "source", "notes"),
    layers.PLOTS: ("plot_id", "project", "enterprise", "land_use", "source", "notes"),
}

EVALUATED = "QYEVAL"  # what "{{ 'QYE' ~ 'VAL' }}" renders to
LOOPED = "QYLOOPQYLOOP"  # what the loop renders to


def payloads(canary: Path) -> list[str]:
    return [
        "{{ 'QYE' ~ 'VAL' }}",
        "{% for i in range(2) %}QYLOOP{% endfor %}",
        f"{{{{ lipsum.__globals__['os'].makedirs('{canary}') }}}}",
        f"{{{{ cycler.__init__.__globals__.os.makedirs('{canary}') }}}}",
        "Phase {#2} park", "{#", "#}", "{%", "%}", "{{", "}}", "{% raw %}", "{% endraw %}",
        "{{ self }}", "{{ this.get_name() }}", "{{ kwargs }}",
    ]


#: Surrounding text: anything printable (control characters are intake's business).
AROUND = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=6)


def hostile(canary: Path) -> st.SearchStrategy[str]:
    return st.builds(lambda a, p, b: a + p + b, AROUND, st.sampled_from(payloads(canary)),
                     AROUND)


def _set_text(root: Path, spec: layers.LayerSpec, values: list[str]) -> None:
    path = root / spec.filename
    gdf = layers.read_layer(path, spec)
    for i, col in enumerate(FREE_TEXT[spec]):
        texts = [values[(i + j) % len(values)] for j in range(len(gdf))]
        if col == spec.id_field:  # ids stay unique
            texts = [f"{t}#{j}" for j, t in enumerate(texts)]
        gdf[col] = texts
    layers.write_layer(gdf, path, spec)


def _hostile_folder(root: Path, values: list[str]) -> Path:
    write_tiny(root)
    add_planting(root)
    for spec in FREE_TEXT:
        _set_text(root, spec, values)
    stats = root / "attributes" / "park_stats.csv"
    rows = stats.read_text(encoding="utf-8").splitlines()
    stats.write_text("\n".join([rows[0]] + [r.rsplit(",", 1)[0] + "," + json.dumps(values[0])
                                            for r in rows[1:]]) + "\n", encoding="utf-8")
    return root


def _assert_nothing_evaluated(pages: dict[str, str], canary: Path) -> None:
    assert not canary.exists(), "a template from the data ran Python"
    for name, page in pages.items():
        assert EVALUATED not in page, name
        assert LOOPED not in page, name


def _shown(text: str, page: str) -> bool:
    """*text* is in *page* once JSON string escapes and HTML entities are undone."""
    plain = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)
    plain = re.sub(r'\\(["/\\])', r"\1", plain)
    plain = plain.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # astral pairs
    return text in html.unescape(plain)


@pytest.mark.slow
# No shrinking: each example builds every page, and a failing one is printed whole anyway.
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.data())
def test_template_syntax_in_any_text_field_is_shown_never_run(data):
    with tempfile.TemporaryDirectory() as tmp:
        canary = Path(tmp) / "canary"
        values = data.draw(st.lists(hostile(canary), min_size=3, max_size=6))
        root = _hostile_folder(Path(tmp) / "geodata", values)
        pages = build_pages(root)
        _assert_nothing_evaluated(pages, canary)
        parks = layers.read_layer(root / "parks.geojson", layers.PARKS)
        city = pages["index.html"]
        for name_en in parks["name_en"]:
            assert _shown(name_en, city), name_en


@pytest.mark.slow
def test_cli_map_and_build_with_hostile_plots_file_name(tmp_path):
    canary = tmp_path / "canary"
    values = payloads(canary)
    root = _hostile_folder(tmp_path / "geodata", values)
    plots = tmp_path / "plots {{ 'QYE' ~ 'VAL' }} {# x.geojson"
    shutil.copy(root / "plots.geojson", plots)
    before = snapshot(root)
    out = tmp_path / "maps"
    res = CliRunner().invoke(main, ["map", "--geodata", str(root), "-o", str(out), "--basemap",
                                    "none", "--plots", str(plots), "--as-of", "2025-06-01", "-q"])
    assert res.exit_code == 0, res.output
    pages = {str(p): p.read_text(encoding="utf-8") for p in out.rglob("*.html")}
    assert len(pages) >= 2
    _assert_nothing_evaluated(pages, canary)
    build_out = tmp_path / "built"
    res = CliRunner().invoke(main, ["build", "--geodata", str(root), "-o", str(build_out),
                                    "--basemap", "none", "-q"])
    assert res.exit_code == 0, res.output
    built = {str(p): p.read_text(encoding="utf-8") for p in build_out.rglob("*.html")}
    assert built
    _assert_nothing_evaluated(built, canary)
    assert snapshot(root) == before


@pytest.mark.slow
def test_surveyors_file_name_reaches_the_park_page_as_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a file name holds no '/': the canary is relative
    canary = tmp_path / "canary"
    root = write_tiny(tmp_path / "geodata")
    name = "survey {{ lipsum.__globals__['os'].makedirs('canary') }} {# {{ 'QYE' ~ 'VAL' }}"
    survey = tmp_path / f"{name}.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[box(112.95, 23.55, 112.97, 23.57)],
                     crs="EPSG:4326").to_file(survey, driver="GeoJSON")
    res = CliRunner().invoke(main, ["park", "add", str(survey), "--geodata", str(root), "--id",
                                    "gamma", "--name-zh", "丙园", "--name-en", "Gamma Park", "-q"])
    assert res.exit_code == 0, res.output
    parks = layers.read_layer(root / "parks.geojson", layers.PARKS)
    assert parks.loc[parks["park_id"] == "gamma", "source_file"].item() == survey.name
    out = tmp_path / "maps"
    res = CliRunner().invoke(main, ["map", "--geodata", str(root), "-o", str(out), "--basemap",
                                    "none", "-q"])
    assert res.exit_code == 0, res.output
    pages = {str(p): p.read_text(encoding="utf-8") for p in out.rglob("*.html")}
    _assert_nothing_evaluated(pages, canary)
    assert any(_shown(survey.name, page) for page in pages.values())


def test_only_qygeo_pages_render_literally():
    """Outside a qygeo page branca behaves as before; inside, wrapped text is kept."""
    import branca.element
    import folium

    from qygeo.render.page import Map, literal_rendering

    with literal_rendering():
        assert branca.element.Element("{{ 1 + 1 }}").render() == "{{ 1 + 1 }}"
    assert branca.element.Element("{{ 1 + 1 }}").render() == "2"
    for cls in (Map, folium.Map):
        m = cls(tiles=None)
        folium.Marker([23.7, 113.0], tooltip="T{{ 'QYE' ~ 'VAL' }}").add_to(m)
        page = m.get_root().render()
        assert (EVALUATED in page) is (cls is folium.Map)  # the flaw, and its fix
