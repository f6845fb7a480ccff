"""``python -m qygeo.cli`` runs the command line."""

from qygeo.cli import run

run()
