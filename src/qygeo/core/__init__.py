"""Pure formulas: units, areas, plot→park assignment, the idle rule, grading, indicators, targets.

Functions here take frames and arrays and return frames and arrays; they read no
files (apart from the packaged grading defaults) and draw nothing. They may use
:mod:`qygeo.io` for layer specifications and date bounds.
"""
