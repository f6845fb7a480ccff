"""What a command prints on stdout as its result (not a message)."""

from __future__ import annotations

import click

#: Formats that are files, whoever reads them: UTF-8 on any terminal.
FILE_FORMATS_ON_STDOUT = ("json", "csv")


def echo_result(text: str, fmt: str) -> None:
    """Print *text*, a command's result in format *fmt*, on stdout.

    JSON and CSV are read by programs (``> parks.json``, ``| jq``), which expect UTF-8
    whatever the terminal's encoding: under a GBK terminal they are written as UTF-8
    bytes, the same as on a UTF-8 one. A table is for the eye: the terminal's encoding.
    """
    click.echo(text.encode("utf-8") if fmt in FILE_FORMATS_ON_STDOUT else text, nl=False)
