"""Basemap tile layers for the HTML maps, and the datum each one is drawn in.

OpenStreetMap and CARTO tiles are in WGS84 (Web Mercator on WGS84 degrees),
so qygeo's layers go on them unchanged. Gaode/Amap tiles are drawn in GCJ-02,
about 600 m off WGS84 around Qingyuan: every overlay must be shifted with
:func:`qygeo.io.crs.shift_frame` before it is put on them. Tianditu tiles are in
CGCS2000, which differs from WGS84 by centimetres, and need a key from
``$TIANDITU_KEY``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from qygeo.errors import QygeoError

#: Environment variable holding the Tianditu (天地图) browser key.
TIANDITU_KEY_ENV = "TIANDITU_KEY"

#: Basemap names accepted by ``qygeo map --basemap``.
BASEMAP_NAMES = ("osm", "carto", "gaode", "tianditu", "none")

_OSM_ATTR = ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
             'contributors')


class BasemapError(QygeoError):
    """A basemap is unknown or cannot be used (e.g. Tianditu without a key)."""


@dataclass(frozen=True)
class TileSpec:
    """One XYZ tile layer: URL template, attribution (HTML), subdomains, zoom limit."""

    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18


@dataclass(frozen=True)
class Basemap:
    """A basemap choice.

    Attributes
    ----------
    name : str
        One of :data:`BASEMAP_NAMES`.
    label : str
        Bilingual name shown in the layer control.
    datum : str
        ``"wgs84"`` or ``"gcj02"``: the datum the tiles are drawn in, which the
        overlays must be shifted to.
    tiles : tuple of TileSpec
        The tile layers, bottom first (Tianditu has a separate label layer);
        empty for ``none``.
    satellite : tuple of (str, TileSpec)
        Imagery in the same datum, offered in the layer switcher (label, tiles): for
        checking idle plots on the ground. A GCJ-02 page gets Gaode's imagery, a
        WGS84 page Tianditu's (with a key) or Esri's, never one of another datum.
    """

    name: str
    label: str
    datum: str
    tiles: tuple[TileSpec, ...]
    satellite: tuple[tuple[str, TileSpec], ...] = ()

    @property
    def shift(self) -> str | None:
        """The :func:`qygeo.io.crs.shift_frame` direction for the overlays, or None."""
        return "wgs84_to_gcj02" if self.datum == "gcj02" else None


def _tianditu(key: str) -> tuple[TileSpec, ...]:
    attr = '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>'

    def wmts(layer: str) -> str:
        return (f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")

    return (TileSpec(wmts("vec"), attr, "01234567", 18),
            TileSpec(wmts("cva"), attr, "01234567", 18))


_ESRI_IMAGERY = ("卫星影像 Esri World Imagery", TileSpec(
    "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/"
    "{z}/{y}/{x}", "Imagery &copy; Esri, Maxar, Earthstar Geographics", "", 18))
_GAODE_IMAGERY = ("高德卫星 Gaode satellite (GCJ-02)", TileSpec(
    "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
    '&copy; <a href="https://www.amap.com/">高德地图 Amap</a> (GCJ-02)', "1234", 18))


def _tianditu_imagery(key: str) -> tuple[str, TileSpec]:
    attr = '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>'
    return ("天地图影像 Tianditu imagery", TileSpec(
        f"https://t{{s}}.tianditu.gov.cn/img_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
        f"&VERSION=1.0.0&LAYER=img&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}", attr, "01234567", 18))


def _wgs84_imagery(env: Mapping[str, str]) -> tuple[tuple[str, TileSpec], ...]:
    """Imagery for a WGS84 page: Tianditu's with a key, else Esri's."""
    tk = (env.get(TIANDITU_KEY_ENV) or "").strip()
    if re.fullmatch(r"[A-Za-z0-9]{8,64}", tk):
        return (_tianditu_imagery(tk),)
    return (_ESRI_IMAGERY,)


def get_basemap(name: str, *, env: Mapping[str, str] | None = None) -> Basemap:
    """Return the :class:`Basemap` called *name*.

    Parameters
    ----------
    name : str
        One of :data:`BASEMAP_NAMES` (case-insensitive).
    env : mapping, optional
        Where to look up ``TIANDITU_KEY``; default ``os.environ``.

    Raises
    ------
    BasemapError
        Unknown name, or ``tianditu`` without a usable ``$TIANDITU_KEY``.
    """
    env = os.environ if env is None else env
    key = name.strip().lower()
    if key == "osm":
        return Basemap("osm", "OpenStreetMap", "wgs84", (
            TileSpec("https://tile.openstreetmap.org/{z}/{x}/{y}.png", _OSM_ATTR, "abc", 19),),
            _wgs84_imagery(env))
    if key == "carto":
        return Basemap("carto", "CARTO Positron", "wgs84", (
            TileSpec("https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
                     _OSM_ATTR + ' &copy; <a href="https://carto.com/attributions">CARTO</a>',
                     "abcd", 20),), _wgs84_imagery(env))
    if key == "gaode":
        return Basemap("gaode", "高德地图 Gaode (GCJ-02)", "gcj02", (
            TileSpec("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                     "&style=8&x={x}&y={y}&z={z}",
                     '&copy; <a href="https://www.amap.com/">高德地图 Amap</a> (GCJ-02)',
                     "1234", 18),), (_GAODE_IMAGERY,))
    if key == "tianditu":
        tk = (env.get(TIANDITU_KEY_ENV) or "").strip()
        if not tk:
            raise BasemapError(
                f"--basemap tianditu needs a Tianditu key in ${TIANDITU_KEY_ENV} "
                f"(get one at console.tianditu.gov.cn), e.g. export {TIANDITU_KEY_ENV}=...")
        if not re.fullmatch(r"[A-Za-z0-9]{8,64}", tk):
            raise BasemapError(f"${TIANDITU_KEY_ENV} does not look like a Tianditu key "
                               "(expected 8–64 letters and digits)")
        return Basemap("tianditu", "天地图 Tianditu", "wgs84", _tianditu(tk),
                       (_tianditu_imagery(tk),))
    if key == "none":
        return Basemap("none", "none", "wgs84", ())
    raise BasemapError(f"unknown basemap {name!r}; choose one of {', '.join(BASEMAP_NAMES)}")
