"""Options shared by every subcommand, and the error-to-exit-code wrapper."""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    """Click callback: an ISO date (YYYY-MM-DD) or None."""
    if value is None:
        return None
    from qygeo.errors import QygeoError
    from qygeo.io.plot_rows import check_as_of

    try:
        # Python reads 20240101 and 2024-W01-1 as dates too: the help says YYYY-MM-DD.
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
            raise ValueError(value)
        return check_as_of(dt.date.fromisoformat(value.strip()))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-31") from None
    except QygeoError as exc:
        raise click.BadParameter(str(exc)) from None


def year_option(fn: F) -> F:
    """``--year``: which year of attributes/park_stats.csv."""
    return click.option(
        "--year", type=click.IntRange(1900, 2100), default=None,  # the tables' years
        help="Year of the park statistics. Default: the latest in attributes/park_stats.csv.",
    )(fn)


def as_of_option(fn: F) -> F:
    """``--as-of YYYY-MM-DD``: the date idle plots are classified on."""
    return click.option(
        "--as-of", callback=parse_date, default=None, metavar="YYYY-MM-DD",
        help="Date for classifying idle plots, 1900-01-01 … 2100-12-31 (the range of plot "
             "dates). Default: today.",
    )(fn)


def plots_options(fn: F) -> F:
    """``--plots PATH`` and ``--plots-layer NAME``: another plots layer."""
    fn = click.option("--skip-invalid-plots", is_flag=True,
                      help="Leave out plot rows that cannot be judged (bad geometry, negative "
                           "or non-numeric amounts, impossible dates) and list them, instead "
                           "of refusing the plots layer.")(fn)
    fn = click.option("--plots-layer", default=None, metavar="NAME",
                      help="Layer inside a GeoPackage given with --plots. Default: its "
                           "only layer, else the one named 'plots' (a file with several "
                           "and none so named is refused).")(fn)
    return click.option(
        "--plots", "plots_path", type=click.Path(path_type=Path), default=None,
        help="Use this plots layer instead of the data folder's plots.geojson: "
             "GeoJSON, GeoPackage, GeoParquet, Shapefile, FlatGeobuf or KML, or a CSV or "
             "Excel ledger with a WKT column or lon/lat points and areas (README).",
    )(fn)


def geodata_option(fn: F) -> F:
    """``--geodata DIR``: the data folder (else $QYGEO_GEODATA, else ./geodata)."""
    return click.option(
        "--geodata",
        "geodata",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Data folder. Default: $QYGEO_GEODATA, else ./geodata.",
    )(fn)


def quiet_option(fn: F) -> F:
    """``-q/--quiet``: no progress or warnings on stderr (errors still shown)."""
    return click.option(
        "-q", "--quiet", is_flag=True, help="No progress or warnings on stderr."
    )(fn)


def strict_option(fn: F) -> F:
    """``--strict``: unmatched join keys are errors instead of warnings."""
    return click.option(
        "--strict", is_flag=True,
        help="Refuse (exit 1) instead of warning when attributes/park_stats.csv (any year, "
             "plans too) or a plot names a park_id that parks.geojson does not have.",
    )(fn)


def output_option(fn: F) -> F:
    """``-o/--output PATH``."""
    return click.option(
        "-o", "--output", type=click.Path(path_type=Path), default=None,
        help="Write to PATH instead of stdout (- is stdout).",
    )(fn)


class Console:
    """Where progress and warnings go: stderr, unless quiet."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def info(self, message: str) -> None:
        """A progress line (it may quote data: shown through ``for_terminal``)."""
        from qygeo.safe_text import for_terminal

        if not self.quiet:
            self._say(for_terminal(message))

    def warn(self, message: str) -> None:
        """``qygeo: warning: MESSAGE``, one line whatever the data it quotes."""
        from qygeo.safe_text import for_terminal

        if not self.quiet:
            self._say(f"qygeo: warning: {for_terminal(message)}")

    def _say(self, line: str) -> None:
        # Progress is a courtesy: a closed or broken stderr (`2>&1 | head -1`, `2>&-`)
        # silences it, and the command goes on to write what it was asked to.
        try:
            click.echo(line, err=True)
        except (OSError, ValueError, AttributeError):
            self.quiet = True


def fail(message: str, code: int = 1) -> None:
    """Print ``qygeo: error: MESSAGE`` on stderr and exit with *code*.

    The message may quote data (names, file names): control characters are shown
    as escapes, so it stays one line and cannot drive the terminal, and a long one is
    cut (:func:`qygeo.safe_text.one_line`).
    """
    from qygeo.safe_text import one_line

    text = one_line(message)
    try:
        click.echo(f"qygeo: error: {text}", err=True)
    except (OSError, ValueError, AttributeError):  # no stderr to tell: the exit code tells
        pass
    sys.exit(code)


def check_utf8(params: dict[str, Any]) -> None:
    """Refuse (usage error) a text option that is not UTF-8: bytes from a terminal or a
    script in another encoding (GBK), which Python keeps as lone surrogates that no file,
    table or page can hold. File names are paths, not text, and are left to the readers."""
    for name, value in params.items():
        for text in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    raw = text.encode("utf-8", "surrogateescape")
                    fail(f"--{name.replace('_', '-')}: '{str(raw)[2:-1]}' is not UTF-8 text; "
                         "set the terminal or script to UTF-8", 2)


def check_output(output: Path | None, geodata: Path | None,
                 plots: Path | None = None, config: Path | None = None, *,
                 name: str = "-o") -> None:
    """Refuse an output (file or folder) that would overwrite what the command reads.

    The data folder holds the inputs only: a report written over
    ``attributes/park_stats.csv`` would pass ``validate`` and change the figures the
    next report publishes, and one written over ``--plots`` destroys the ledger it was
    made from. The plain cases are usage errors (exit 2), told before any work; the
    inputs are also handed to the writer (:func:`qygeo.io.atomic.protect_inputs`), which
    refuses any file it would write into them by another name, a link, or export's
    ``OUT-<layer>`` names.
    """
    from qygeo.io.atomic import protect_inputs
    from qygeo.io.layers import geodata_dir

    root = Path(geodata_dir(geodata)).expanduser().resolve()
    protect_inputs(root, plots, config)
    if output is None or str(output) == "-":
        return
    target = output.expanduser().resolve()
    for what, path in (("the --plots file", plots), ("the --config file", config)):
        if path is not None and target == Path(path).expanduser().resolve():
            fail(f"{name} {output}: that is {what} this command reads; write elsewhere", 2)
    if target == root or root in target.parents:
        fail(f"{name} {output}: that is inside the data folder {root}, which holds the inputs "
             "only; write elsewhere", 2)


def run(fn: F) -> F:
    """Decorate a subcommand so a QygeoError becomes one line on stderr and exit 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import warnings

        from qygeo.errors import QygeoError
        from qygeo.io.atomic import release_inputs

        console = Console(bool(kwargs.get("quiet")))
        check_utf8(kwargs)
        release_inputs()  # what an earlier command in this process read (a notebook, tests)
        try:
            with warnings.catch_warnings():
                # A library's warning may quote the data (geopandas names a column it
                # could not parse): one warning line like qygeo's own, through
                # for_terminal, without Python's source line; -q silences it.
                warnings.showwarning = lambda message, *_a, **_k: console.warn(str(message))
                return fn(*args, **kwargs)
        except QygeoError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            sys.exit(0)
        except OSError as exc:  # disk full, permission denied: still one line
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            fail(f"{where}{exc.strerror or exc}")
        finally:
            release_inputs()

    return wrapper  # type: ignore[return-value]


def check_folder(con: Console, root: Path, *, refused: str = "") -> dict[str, int]:
    """Validate the data folder *root*: notes as warnings, problems as errors (exit 1).

    Parameters
    ----------
    con : Console
        Where warnings go.
    root : Path
        The data folder.
    refused : str, optional
        Appended to the closing error line (e.g. ``"; nothing built"``).

    Returns
    -------
    dict
        Features checked per layer, when there was no problem.
    """
    from qygeo.pipeline.validate import validate_folder

    if not root.is_dir():
        fail(f"{root}: data folder not found (use --geodata DIR or $QYGEO_GEODATA)")
    res = validate_folder(root)
    for note in res.notes:
        con.warn(note)
    if not res.ok:
        from qygeo.safe_text import for_terminal

        for problem in res.problems:
            click.echo(f"qygeo: error: {for_terminal(problem)}", err=True)
        n = len(res.problems)
        fail(f"{n} problem{'s' if n != 1 else ''} found in {root}{refused}")
    return res.checked
