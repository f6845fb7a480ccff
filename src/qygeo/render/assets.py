"""Offline copies of the scripts and stylesheets folium takes from CDNs.

``qygeo map --self-contained`` writes pages that need no network apart from the
basemap tiles. folium links Leaflet, jQuery and its plugins from CDNs; this
module replaces each such ``<script src>`` / ``<link rel=stylesheet>`` with the
same file's text taken from an installed Python package, and turns the images
a stylesheet refers to into ``data:`` URIs. Nothing is downloaded and no asset
file lives in this repository.

Where each asset comes from
---------------------------
* Leaflet (JS, CSS and its control images): ``XStatic-Leaflet``.
* jQuery: ``XStatic-jQuery``.
* Everything else folium can link (the fullscreen, measure and minimap
  plugins, and Bootstrap, Font Awesome and the awesome-markers files that
  folium links by default): ``folium-offline``, whose ``offlinefolium.elements``
  holds the text of each of folium's CDN files keyed by its URL.

A URL with no known source raises :class:`AssetError` naming it, so a folium
upgrade that links a new file fails loudly instead of writing a page that
silently needs the internet.
"""

from __future__ import annotations

import base64
import functools
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from qygeo.errors import QygeoError

_SCRIPT_LINK = re.compile(r'<script src="([^"]+)"></script>')
_CSS_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)"\s*/?>')
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)""")
_SOURCE_MAP = re.compile(r"^\s*(//|/\*)#\s*sourceMappingURL=[^\n]*$", re.MULTILINE)

#: Patterns of references that make a browser fetch something (for checks).
_EXTERNAL = (
    re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)", re.IGNORECASE),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)", re.IGNORECASE),
    re.compile(r"@import\s+(?:url\()?\s*[\"']?((?:https?:)?//[^\"')\s;]+)", re.IGNORECASE),
    re.compile(r"url\(\s*[\"']?((?:https?:)?//[^\"')\s]+)", re.IGNORECASE),
)


class AssetError(QygeoError):
    """A script or stylesheet of a page cannot be found in an installed package."""


@dataclass(frozen=True)
class Asset:
    """The text of one script or stylesheet and where it was taken from."""

    text: str
    source: str


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css_urls(css: str, base: Path | None) -> str:
    """Turn each relative ``url()`` of *css* into a data URI read from *base*.

    ``data:`` URIs and ``#fragment`` references are kept. A reference that
    cannot be resolved (no base folder, or no such file) becomes ``none``: the
    page then lacks one decorative image instead of making a request.
    """

    def repl(m: re.Match[str]) -> str:
        target = m.group(2).strip()
        if not target or target.startswith(("data:", "#")):
            return m.group(0)
        if base is not None and "//" not in target:
            path = (base / target.split("?")[0].split("#")[0]).resolve()
            if path.is_file() and base.resolve() in path.parents:
                return f'url("{_data_uri(path)}")'
        return "none"

    return _CSS_URL.sub(repl, css)


def _default_icon_js(images: Path) -> str:
    """Give Leaflet's default marker icon data URIs.

    Leaflet finds its marker images by reading a path out of leaflet.css and
    appending the file name, which cannot work with a data URI; plugins that
    drop a default marker (the measure tool does) would otherwise request
    ``marker-icon.png`` next to the page.
    """
    urls = {key: _data_uri(images / name) for key, name in (
        ("iconUrl", "marker-icon.png"), ("iconRetinaUrl", "marker-icon-2x.png"),
        ("shadowUrl", "marker-shadow.png"))}
    opts = ", ".join(f'{k}: "{v}"' for k, v in urls.items())
    return f"\nL.Icon.Default.imagePath = '';\nL.Icon.Default.mergeOptions({{{opts}}});\n"


def _xstatic(module: str, package: str) -> tuple[Path, str]:
    import importlib

    try:
        mod = importlib.import_module(f"xstatic.pkg.{module}")
    except ImportError as exc:
        raise AssetError(f"--self-contained needs the Python package {package} "
                         f"(pip install {package})") from exc
    return Path(mod.BASE_DIR), str(mod.VERSION)


@functools.lru_cache(maxsize=1)
def _folium_offline() -> dict[str, str]:
    try:
        from offlinefolium.elements import _res  # type: ignore[import-untyped]
    except ImportError as exc:
        raise AssetError("--self-contained needs the Python package folium-offline "
                         "(pip install folium-offline)") from exc
    return dict(_res)


_LEAFLET = re.compile(r"/leaflet@[\d.]+/dist/leaflet\.(js|css)$")
_JQUERY = re.compile(r"/jquery-[\d.]+\.min\.js$")


@functools.lru_cache(maxsize=64)
def resolve(url: str) -> Asset:
    """Return the text of the file folium links at *url*, from an installed package.

    Parameters
    ----------
    url : str
        A script or stylesheet URL as folium writes it into a page.

    Raises
    ------
    AssetError
        No installed package holds that file.
    """
    m = _LEAFLET.search(url)
    if m:
        base, version = _xstatic("leaflet", "XStatic-Leaflet")
        text = (base / f"leaflet.{m.group(1)}").read_text(encoding="utf-8")
        if m.group(1) == "css":
            text = _inline_css_urls(text, base)
        else:
            text += _default_icon_js(base / "images")
        return Asset(text, f"Leaflet {version} from XStatic-Leaflet")
    if _JQUERY.search(url):
        base, version = _xstatic("jquery", "XStatic-jQuery")
        return Asset((base / "jquery.min.js").read_text(encoding="utf-8"),
                     f"jQuery {version} from XStatic-jQuery")
    res = _folium_offline()
    if url in res:
        text = res[url]
        if url.endswith(".css"):
            text = _inline_css_urls(text, None)
        return Asset(text, f"{url.rsplit('/', 1)[-1]} from folium-offline")
    raise AssetError(f"no installed package provides {url} for --self-contained; "
                     "drop the feature that needs it or add a package that ships it")


def _comment_safe(text: str) -> str:
    return text.replace("*/", "* /")


def _script(asset: Asset) -> str:
    body = _SOURCE_MAP.sub("", asset.text)
    body = re.sub(r"</(script)", r"<\\/\1", body, flags=re.IGNORECASE)
    return f"<script>/* {_comment_safe(asset.source)} */\n{body}\n</script>"


def _style(asset: Asset) -> str:
    body = _SOURCE_MAP.sub("", asset.text)
    body = re.sub(r"</(style)", r"<\\/\1", body, flags=re.IGNORECASE)
    return f"<style>/* {_comment_safe(asset.source)} */\n{body}\n</style>"


def inline_assets(html: str) -> str:
    """Replace every linked script and stylesheet of *html* with its inlined text.

    Parameters
    ----------
    html : str
        A page as folium renders it.

    Returns
    -------
    str
        The same page with no ``<script src>`` or ``<link rel="stylesheet">``.

    Raises
    ------
    AssetError
        A linked file has no source among the installed packages, or a
        reference to the network is left after inlining.
    """
    html = _SCRIPT_LINK.sub(lambda m: _script(resolve(m.group(1))), html)
    html = _CSS_LINK.sub(lambda m: _style(resolve(m.group(1))), html)
    left = external_references(html)
    if left:
        raise AssetError(f"page still refers to the network after inlining: {left[0]}")
    return html


def external_references(html: str) -> list[str]:
    """URLs a browser would fetch for *html* as scripts, stylesheets, imports or CSS images.

    Tile URL templates and attribution links live in JavaScript strings and
    ``<a href>`` and are not counted.
    """
    found: list[str] = []
    for pattern in _EXTERNAL:
        found += pattern.findall(html)
    return found
