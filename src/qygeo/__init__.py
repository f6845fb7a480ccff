"""qygeo: Qingyuan biomedical industry geodata, land-use intensity and maps.

Heavy libraries (geopandas, folium) are imported by the modules that need them,
never here, so that ``qygeo --help`` starts fast.
"""

__version__ = "0.1.0"
