"""Output: report tables, the HTML report, the workbook, and the folium maps.

Renderers draw what a built report gives them; they compute no figures of their own.
"""

#: Report formats written as text (to stdout or -o): :func:`qygeo.render.text.render`.
FORMATS = ("table", "csv", "json", "markdown")
#: Report formats written to a file only (-o PATH): :func:`qygeo.render.text.write_report`.
FILE_FORMATS = ("html", "xlsx")
#: The report format an -o file name asks for, by its suffix.
FORMAT_BY_SUFFIX = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown",
                    ".txt": "table", ".html": "html", ".htm": "html", ".xlsx": "xlsx"}
#: Suffixes of files with geometry: written by ``qygeo export``, not by ``qygeo report``.
GIS_SUFFIXES = (".gpkg", ".geojson", ".fgb", ".shp")
