"""``python -m qygeo`` runs the command line."""

from qygeo.cli import main

main(prog_name="qygeo")
