"""``qygeo serve``: the local web app (pages and a JSON API) over the data folder."""

from __future__ import annotations

from pathlib import Path

import click

from qygeo.cli.options import Console, fail, geodata_option, quiet_option, run

BASEMAPS = ("osm", "carto", "gaode", "tianditu", "none")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Any other than loopback makes edits need a token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on.")
@click.option("--token", default=None, metavar="TEXT",
              help="Token edits must send (X-Qygeo-Token; visible ASCII). Default: none on "
                   "loopback, a random one printed at start otherwise.")
@click.option("--max-upload-mb", type=click.FloatRange(0.001, 10_000), default=50.0,
              show_default=True, help="Largest boundary file accepted.")
@click.option("--basemap", type=click.Choice(BASEMAPS), default="osm", show_default=True,
              help="Basemap of the map pages (tiles are the only thing fetched from the "
                   "internet; 'none' for fully offline).")
@geodata_option
@quiet_option
@run
def serve(host: str, port: int, token: str | None, max_upload_mb: float, basemap: str,
          geodata: Path | None, quiet: bool) -> None:
    """Serve maps, reports and park editing in the browser (http://127.0.0.1:8765).

    Pages (中文/English) and a JSON API under /api (OpenAPI at /api/openapi.json):
    the city and park maps, reports (csv, xlsx, …), and adding or updating a park
    with a preview of the boundary over the existing parks before anything is
    written. Edits go through the same checks, lock and history as `qygeo park`.

    \b
    Examples:
      qygeo serve
      qygeo serve --port 9000 --geodata /data/qingyuan
      qygeo serve --host 0.0.0.0 --token "$(openssl rand -hex 16)"
    """
    import math
    import secrets
    import socket
    from urllib.parse import quote

    import uvicorn

    from qygeo.io.layers import geodata_dir
    from qygeo.serve import Limits, ServeConfig, create_app

    root = geodata_dir(geodata)
    if not root.is_dir():
        fail(f"{root}: data folder not found (use --geodata DIR or $QYGEO_GEODATA)")
    from qygeo.serve.app import is_loopback, token_problem

    if not math.isfinite(max_upload_mb):  # FloatRange lets nan through
        fail(f"--max-upload-mb {max_upload_mb}: give a number of megabytes", 2)
    loopback = is_loopback(host)
    if token is None and not loopback:
        token = secrets.token_urlsafe(24)
    if token is not None and (problem := token_problem(token)):
        fail(f"--token {problem}", 2)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            fail(f"cannot listen on {host}:{port} ({exc.strerror or exc})")
        port = probe.getsockname()[1]  # --port 0: the free port the system chose, shown
    limits = Limits(max_upload_bytes=int(max_upload_mb * 1e6))
    app = create_app(ServeConfig(root=root.resolve(), token=token, loopback_only=loopback,
                                 limits=limits, basemap=basemap))
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    con = Console(quiet)
    # The page reads the token with URLSearchParams: '+' would be a space, '&' an end.
    fragment = f"#token={quote(token, safe='')}" if token else ""
    click.echo(f"qygeo serve: {root} at {url}{fragment}", err=True)
    if token:
        con.info(f"  edits need the token: header X-Qygeo-Token: {token}")
    con.info("  API: /api (OpenAPI at /api/openapi.json); stop with Ctrl+C")
    uvicorn.run(app, host=host.strip("[]"), port=port, log_level="warning" if quiet else "info",
                access_log=not quiet)
