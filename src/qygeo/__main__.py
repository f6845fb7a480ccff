"""``python -m qygeo`` runs the command line."""

from .cli import main

main(prog_name="qygeo")
