"""``qygeo validate``: check every layer and join of the data folder."""

from __future__ import annotations

from pathlib import Path

import click

from .options import Console, fail, geodata_option, quiet_option, run


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
    from ..layers import geodata_dir
    from ..validate import validate_folder

    con = Console(quiet)
    root = geodata_dir(geodata)
    if not root.is_dir():
        fail(f"{root}: data folder not found (use --geodata DIR or $QYGEO_GEODATA)")
    res = validate_folder(root)
    for note in res.notes:
        con.warn(note)
    if not res.ok:
        for p in res.problems:
            click.echo(f"qygeo: error: {p}", err=True)
        n = len(res.problems)
        fail(f"{n} problem{'s' if n != 1 else ''} found in {root}")
    counts = ", ".join(f"{k} {v}" for k, v in res.checked.items())
    con.info(f"ok: {root} ({counts})")
