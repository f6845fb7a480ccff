"""Output: report tables, the HTML report, the workbook, and the folium maps.

Renderers draw what a built report gives them; they compute no figures of their own.
"""
