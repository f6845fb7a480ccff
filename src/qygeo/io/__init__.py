"""Files in and out: the layers, the data folder, plot rows and their checks, CRS.

The bottom layer: it imports nothing of qygeo but :mod:`qygeo.errors`,
:mod:`qygeo.ids`, :mod:`qygeo.values` and :mod:`qygeo.safe_text`.
"""
