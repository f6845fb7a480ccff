"""``python -m qygeo.cli`` runs the command line."""

from . import main

main(prog_name="qygeo")
