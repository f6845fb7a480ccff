"""The ``qygeo`` command line: one click group, one module per subcommand.

Subcommand modules are imported only when named, and they import geopandas and
folium inside their functions, so ``qygeo --help`` stays fast. Each subcommand
only parses arguments and calls the library; :func:`qygeo.cli.options.run`
turns library errors into a one-line message and an exit code.
"""

from __future__ import annotations

import importlib
import os

# Before numpy loads: qygeo runs its own worker threads, and OpenBLAS's idle threads
# otherwise spin and fault in their buffers at every start (nothing here uses BLAS much).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402

from qygeo import __version__

#: subcommand name -> "module:attribute" (relative to qygeo.cli)
SUBCOMMANDS: dict[str, str] = {
    "build": "build:build",
    "export": "export:export",
    "map": "map_cmd:map_cmd",
    "park": "park:park",
    "report": "report:report",
    "serve": "serve:serve",
    "validate": "validate:validate",
}


class LazyGroup(click.Group):
    """A click group that imports each subcommand's module only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(SUBCOMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in SUBCOMMANDS:
            module, attr = SUBCOMMANDS[cmd_name].split(":")
            try:
                mod = importlib.import_module(f"{__name__}.{module}")
            except ModuleNotFoundError as exc:
                if exc.name == f"{__name__}.{module}":
                    return None  # subcommand not built yet
                raise
            return getattr(mod, attr)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qygeo")
def main() -> None:
    """qygeo — 清远生物医药产业用地地图与投资强度 / Qingyuan biomedical land maps and intensity.

    Reads the layers in the data folder (districts, parks, South-medicine
    planting areas, land plots and attribute tables), computes each park's
    investment intensity on its gross area (yuan/km², 亿元/km², 万元/亩), the
    land investment intensity of its plots (万元/公顷) and its idle plots, and
    writes reports and HTML maps.

    The data folder is --geodata DIR, else $QYGEO_GEODATA, else ./geodata.
    Data goes to stdout; progress and warnings to stderr (silence them with
    -q after the command: qygeo report -q).

    \b
    Examples:
      qygeo build                       validate, write reports and every map
      qygeo report --park guangfo       one park's intensity table
      qygeo report --format json -o r.json
      qygeo validate                    check every layer and join
    """
    import warnings

    # GDAL's and pyogrio's warnings about a file (a fake GeoPackage's "bad application_id")
    # arrive as Python warnings with a source line; a file's problem is one error line.
    warnings.filterwarnings("ignore", module="pyogrio")


def run() -> None:
    """The ``qygeo`` program: :func:`main`, then an exit without the interpreter's teardown.

    Tearing down pandas, pyarrow and geopandas (and freeing a report's million-row
    columns one object at a time) takes 0.07–0.1 s at every exit, a sixth of a
    small report. Every output is written and closed by then (atomic
    writes), so once stdout and stderr are flushed the process ends at once.
    Library code and tests call :func:`main`, which exits normally; a command that
    leaves a thread running (``serve``) gets the normal exit too.
    """
    import sys
    import threading

    for stream in (sys.stdout, sys.stderr):
        # A terminal in GBK (zh_CN.GBK, Windows cp936) cannot show "²": a "?" in its
        # place, not a crash. The file formats (json, csv) are written as UTF-8 anyway.
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if stream is not None and encoding not in ("utf8", "utf_8") and hasattr(
                stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        main(prog_name="qygeo")
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    except OSError as exc:  # --help or --version to a full or closed stdout
        from qygeo.cli.options import fail

        try:
            fail(f"stdout: {exc.strerror or exc}")
        except SystemExit as done:
            code = done.code
    if threading.active_count() > 1:
        raise SystemExit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):
        from qygeo.safe_text import for_terminal

        print(for_terminal(code), file=sys.stderr)  # as Python prints a SystemExit message
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # a closed pipe, or no stream at all
            pass
    os._exit(code)
