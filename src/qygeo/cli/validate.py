"""``qygeo validate``: check every layer and join of the data folder."""

from __future__ import annotations

from pathlib import Path

import click

from qygeo.cli.options import Console, check_folder, geodata_option, quiet_option, run


@click.command()
@geodata_option
@quiet_option
@run
def validate(geodata: Path | None, quiet: bool) -> None:
    """Check every layer: schema, unique ids, valid geometry, CRS, parks inside
    their district, plots inside their park, and the attribute-table joins.

    Prints one line per problem (file, feature id, problem) on stderr and exits
    1 if there is any; prints a summary and exits 0 otherwise.
    """
    from qygeo.io.layers import geodata_dir

    root = geodata_dir(geodata)
    checked = check_folder(Console(quiet), root)
    counts = ", ".join(f"{k} {v}" for k, v in checked.items())
    Console(quiet).info(f"ok: {root} ({counts})")
