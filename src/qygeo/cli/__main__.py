"""``python -m qygeo.cli`` runs the command line."""

from qygeo.cli import main

main(prog_name="qygeo")
